/**
 * The engine's buffer pool: size classes, reuse, the count and byte caps, zeroing after reuse,
 * the ordering rule for queue writes, and flat buffer counts over many runs and explanations.
 * Counts, never timings.
 */
import { assert, assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { buildModel } from '../../test/onnx_builder.ts';
import { sharedEngine, test, testGpu } from '../../test/harness.ts';
import { explain } from '../explain/explain.ts';
import { loadModel, type Model, run } from '../onnx/model.ts';
import { unary } from '../ops/unary.ts';
import { empty, tensor } from '../tensor.ts';
import { Engine, POOL_MIN_CLASS_BYTES, poolSizeClass } from './engine.ts';
import { ArgumentError } from './errors.ts';

const getEngine = sharedEngine();
/** A pool of at most 4 buffers and 4 KiB. */
const getSmallPool = sharedEngine({ poolLimitBuffers: 4, poolLimitBytes: 4096 });
const getModelEngine = sharedEngine();
const getCappedModelEngine = sharedEngine({ poolLimitBuffers: 16, poolLimitBytes: 16384 });

const MIB = 1024 * 1024;

test('poolSizeClass: a minimum, then four classes per power of two, within the limits', () => {
  const big = 1 << 30;
  assertEquals(POOL_MIN_CLASS_BYTES, 256);
  assertEquals(poolSizeClass(4, big, big), 256, 'below the minimum');
  assertEquals(poolSizeClass(256, big, big), 256, 'at the minimum');
  assertEquals(poolSizeClass(260, big, big), 320, 'just above: ×1.25');
  assertEquals(poolSizeClass(320, big, big), 320, 'at a class');
  assertEquals(poolSizeClass(324, big, big), 384);
  assertEquals(poolSizeClass(508, big, big), 512);
  assertEquals(poolSizeClass(512, big, big), 512);
  assertEquals(poolSizeClass(516, big, big), 640);
  assertEquals(poolSizeClass(3 * MIB + 4, big, big), 3.5 * MIB);
  for (let bytes = 4; bytes < 70_000; bytes += 52) {
    const c = poolSizeClass(bytes, big, big);
    assert(c >= bytes && c % 4 === 0, `class ${c} of ${bytes}`);
    assert(c <= Math.max(256, bytes * 1.25), `class ${c} of ${bytes} wastes over 25%`);
    assertEquals(poolSizeClass(c, big, big), c, `a class is its own class (${c})`);
  }
  // A tensor that fits one binding still does; one that does not may grow up to maxBufferSize.
  assertEquals(poolSizeClass(260, 300, big), 300, 'binding limit caps a bindable tensor');
  assertEquals(poolSizeClass(300, 300, big), 300, 'at the binding limit');
  assertEquals(poolSizeClass(304, 300, big), 320, 'past the binding limit: its class');
  assertEquals(poolSizeClass(1028, big, 1100), 1100, 'buffer limit caps the class');
  assertEquals(poolSizeClass(1100, big, 1100), 1100, 'at the buffer limit');
});

testGpu('engine: pool limits are validated', getEngine, async (e) => {
  for (const bad of [-1, NaN]) {
    for (const name of ['poolLimitBuffers', 'poolLimitBytes']) {
      assertThrows(
        () => new Engine(e.device, { [name]: bad }),
        ArgumentError,
        `${name} must be a non-negative number`,
      );
    }
  }
  await Promise.resolve();
});

testGpu(
  'pool: a released buffer is reused by the next request of its class',
  getEngine,
  async (e) => {
    e.trim();
    const base = e.poolStats();
    const a = empty(e, [100]); // 400 bytes: class 448
    const buffer = a.buffer;
    assertEquals(buffer.size, 448);
    assertEquals(e.poolStats().live, base.live + 1);
    a.destroy();
    assertEquals(
      JSON.stringify(e.poolStats()),
      JSON.stringify({
        free: base.free + 1,
        freeBytes: base.freeBytes + 448,
        live: base.live,
        liveBytes: base.liveBytes,
      }),
    );
    const other = empty(e, [200]); // 800 bytes: another class
    assert(other.buffer !== buffer, 'a request of another class does not take it');
    const b = empty(e, [111]); // 444 bytes: the same class
    assert(b.buffer === buffer, 'the same GPUBuffer');
    assertEquals(e.poolStats().free, base.free);
    b.destroy();
    b.destroy(); // idempotent: released once
    other.destroy();
    assertEquals(e.poolStats().free, base.free + 2);
    e.release(buffer); // a buffer already in the pool: nothing happens
    assertEquals(e.poolStats().free, base.free + 2);
    assertEquals(e.poolStats().live, base.live);
    await e.sync();
  },
);

testGpu('pool: zero-initialized requests see zeros after reuse', getEngine, async (e) => {
  e.trim();
  const dirty = tensor(e, Float32Array.from({ length: 100 }, (_, i) => i + 1));
  const buffer = dirty.buffer;
  assertArrayEquals(await dirty.read(), Array.from({ length: 100 }, (_, i) => i + 1));
  dirty.destroy();
  // Smaller than the dirty tensor but in its class: the whole buffer must be cleared.
  const zeros = empty(e, [97], { zero: true });
  assert(zeros.buffer === buffer, 'reused');
  assertArrayEquals(await zeros.read(), new Array(97).fill(0));
  const whole = new Float32Array(await e.read(buffer, buffer.size));
  assertArrayEquals(whole, new Array(buffer.size / 4).fill(0), 'the slack is cleared too');
  zeros.destroy();
  // Control: without `zero` the stale data is still there (so the check above can fail).
  const stale = tensor(e, new Float32Array(100).fill(7));
  await stale.read();
  stale.destroy();
  const raw = empty(e, [100]);
  assertArrayEquals(await raw.read(), new Array(100).fill(7), 'reuse without zero keeps data');
  raw.destroy();
});

testGpu(
  'pool: a queue write never reuses a buffer that pending commands read',
  getEngine,
  async (e) => {
    e.trim();
    await e.sync();
    const x = tensor(e, [1, 2, 3, 4]);
    const xBuffer = x.buffer;
    const y = unary(e, 'neg', x); // recorded, not submitted: it reads x
    x.destroy(); // to the pool while the read is pending
    const upload = tensor(e, [9, 9, 9, 9]); // a queue write: runs before `neg`
    assert(upload.buffer !== xBuffer, 'a buffer pending commands read was taken for an upload');
    // A kernel output recorded after the read may take it: commands run in order.
    const z = unary(e, 'neg', upload);
    assert(z.buffer === xBuffer, 'a later kernel output reuses it');
    assertArrayEquals(await y.read(), [-1, -2, -3, -4]);
    assertArrayEquals(await z.read(), [-9, -9, -9, -9]);
    const zBuffer = z.buffer;
    z.destroy(); // released with nothing pending: uploads may take it
    const again = tensor(e, [5, 6, 7, 8]);
    assert(again.buffer === zBuffer, 'after the submission an upload reuses it');
    assertArrayEquals(await again.read(), [5, 6, 7, 8]);
    for (const t of [y, upload, again]) t.destroy();
    // Released while commands are pending, then submitted: reusable by uploads.
    const w = tensor(e, [1, 1, 1, 1]);
    const v = unary(e, 'neg', w);
    const wBuffer = w.buffer;
    w.destroy();
    e.flush();
    const after = tensor(e, [2, 2, 2, 2]);
    assert(after.buffer === wBuffer, 'reused once the reading commands were submitted');
    assertArrayEquals(await v.read(), [-1, -1, -1, -1]);
    assertArrayEquals(await after.read(), [2, 2, 2, 2]);
    v.destroy();
    after.destroy();
  },
);

testGpu(
  'pool: at most poolLimitBuffers and poolLimitBytes, least recently released evicted',
  getSmallPool,
  async (e) => {
    assertEquals(e.poolLimitBuffers, 4);
    assertEquals(e.poolLimitBytes, 4096);
    const tensors = [64, 80, 96, 112, 128, 160, 192].map((n) => empty(e, [n]));
    const buffers = tensors.map((t) => t.buffer);
    for (const t of tensors) {
      t.destroy();
      const s = e.poolStats();
      assert(s.free <= 4, `free ${s.free} > 4`);
      assert(s.freeBytes <= 4096, `free bytes ${s.freeBytes} > 4096`);
    }
    assertEquals(e.poolStats().free, 4, 'the count cap binds first here (256…768 bytes)');
    // The most recent class (192 floats = 768 bytes) is still pooled; the first is not.
    assert(empty(e, [192]).buffer === buffers[6], 'most recently released kept');
    assert(empty(e, [64]).buffer !== buffers[0], 'least recently released evicted');
    // Bytes bind: three 1.5 KiB buffers exceed 4 KiB.
    const big = [384, 384, 384].map((n) => empty(e, [n]));
    for (const t of big) t.destroy();
    const s = e.poolStats();
    assert(s.freeBytes <= 4096, `free bytes ${s.freeBytes} > 4096`);
    // A buffer larger than the byte cap is never pooled.
    const huge = empty(e, [2048]);
    const hugeBuffer = huge.buffer;
    huge.destroy();
    assert(e.poolStats().freeBytes <= 4096);
    assert(empty(e, [2048]).buffer !== hugeBuffer, 'a buffer over the cap was destroyed');
    await e.sync();
  },
);

/** A small MLP: x [batch, 16] → Gemm 32 → Relu → Gemm 4. */
function mlp(engine: Engine): Model {
  const w1 = Array.from({ length: 32 * 16 }, (_, i) => Math.sin(i));
  const w2 = Array.from({ length: 4 * 32 }, (_, i) => Math.cos(i));
  return loadModel(
    engine,
    buildModel({
      nodes: [
        { op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'], ints: { transB: 1 } },
        { op: 'Relu', inputs: ['h'], outputs: ['r'] },
        { op: 'Gemm', inputs: ['r', 'w2', 'b2'], outputs: ['y'], ints: { transB: 1 } },
      ],
      inputs: [{ name: 'x', shape: ['batch', 16] }],
      outputs: [{ name: 'y', shape: ['batch', 4] }],
      initializers: [
        { name: 'w1', dims: [32, 16], float: w1 },
        { name: 'b1', dims: [32], float: new Array(32).fill(0.1) },
        { name: 'w2', dims: [4, 32], float: w2 },
        { name: 'b2', dims: [4], float: [0, 1, 2, 3] },
      ],
    }),
  );
}

const INPUT = {
  data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i * 0.3)),
  shape: [2, 16],
};

/** live + free tensor buffers of `e`. */
function buffers(e: Engine): number {
  const s = e.poolStats();
  return s.live + s.free;
}

testGpu(
  'pool: 1,000 runs and 100 integrated-gradients calls hold a flat buffer count',
  getModelEngine,
  async (e) => {
    using model = mlp(e);
    const counts: number[] = [];
    let first: Float32Array | null = null;
    for (let i = 0; i < 1000; i++) {
      const { outputs } = run(model, { x: INPUT });
      const y = await outputs.y.readFloat32();
      first ??= y;
      if (i % 97 === 0) assertArrayEquals(y, first, `run ${i} equals the first`);
      for (const t of Object.values(outputs)) t.destroy();
      counts.push(buffers(e));
      const s = e.poolStats();
      assert(s.freeBytes <= e.poolLimitBytes && s.free <= e.poolLimitBuffers);
    }
    const created = e.tensorBuffersCreated;
    assertArrayEquals(counts.slice(3), new Array(997).fill(counts[2]), 'runs: live + free flat');
    console.log(`runs: ${counts[2]} buffers; integrated gradients: see below`);
    assert(counts[2] <= 16, `runs: ${counts[2]} buffers for 4 weights and 3 activations`);
    const igCounts: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await explain(model, INPUT, {
        method: 'integrated-gradients',
        steps: 4,
        target: 1,
      });
      await r.attribution.read();
      r.attribution.destroy();
      igCounts.push(buffers(e));
      assert(e.poolStats().freeBytes <= e.poolLimitBytes);
    }
    assertArrayEquals(igCounts.slice(3), new Array(97).fill(igCounts[2]), 'IG: live + free flat');
    console.log(`integrated gradients: ${igCounts[2]} buffers, ${e.poolStats().free} free`);
    assert(igCounts[2] <= 64, `IG: ${igCounts[2]} buffers`);
    assert(e.tensorBuffersCreated - created <= 64, 'IG allocates only in its first calls');
  },
  { timeout: 900_000 },
);

testGpu(
  'pool: unread runs (outputs destroyed, nothing submitted) stay within the caps',
  getCappedModelEngine,
  async (e) => {
    using model = mlp(e);
    const warm = run(model, { x: INPUT }).outputs;
    await warm.y.read();
    for (const t of Object.values(warm)) t.destroy();
    const weights = e.poolStats().live; // and cached plan constants
    let most = 0;
    for (let i = 0; i < 200; i++) {
      const { outputs } = run(model, { x: INPUT });
      for (const t of Object.values(outputs)) t.destroy();
      const s = e.poolStats();
      most = Math.max(most, s.free);
      assert(s.free <= 16 && s.freeBytes <= 16384, `run ${i}: ${JSON.stringify(s)}`);
      assertEquals(s.live, weights, `run ${i}: nothing but the weights is live`);
    }
    // Each upload needs a buffer no pending command reads: the pool fills to its cap.
    assertEquals(most, 16, 'the count cap was reached');
    await e.sync();
    // The pool's buffers serve later runs once submitted.
    const before = e.tensorBuffersCreated;
    for (let i = 0; i < 5; i++) {
      const { outputs } = run(model, { x: INPUT });
      await outputs.y.read();
      for (const t of Object.values(outputs)) t.destroy();
    }
    assertEquals(e.tensorBuffersCreated, before, 'read runs after the flush allocate nothing');
  },
);

testGpu('pool: a destroyed engine empties its pool', getEngine, async (e) => {
  const engine = new Engine(e.device); // does not own the shared device
  empty(engine, [10]).destroy();
  assertEquals(engine.poolStats().free, 1);
  engine.destroy();
  assertEquals(engine.poolStats().free, 0);
  await Promise.resolve();
});
