import { assertArrayEquals, assertEquals, assertRejects, assertThrows } from '../test/assert.ts';
import { sharedEngine, testGpu } from '../test/harness.ts';
import { ArgumentError, DestroyedError, LimitExceededError, ShapeError } from './gpu/errors.ts';
import { unary } from './ops/unary.ts';
import { empty, stridesOf, tensor } from './tensor.ts';

const getEngine = sharedEngine();
const getOther = sharedEngine();

testGpu('tensor: f32 and i32 round trips, shapes and scalars', getEngine, async (engine) => {
  using a = tensor(engine, [1.5, -2, 3.25, 4, 5, 6], [2, 3]);
  assertArrayEquals(a.shape, [2, 3]);
  assertEquals(a.size, 6);
  assertEquals(a.dtype, 'f32');
  assertArrayEquals(await a.read(), [1.5, -2, 3.25, 4, 5, 6]);
  using b = tensor(engine, new Int32Array([-7, 2147483647, -2147483648]));
  assertEquals(b.dtype, 'i32');
  assertArrayEquals(await b.read(), [-7, 2147483647, -2147483648]);
  using s = tensor(engine, [42], []);
  assertEquals(s.rank, 0);
  assertArrayEquals(await s.read(), [42]);
  using z = empty(engine, [3, 0, 2]);
  assertEquals(z.size, 0);
  assertArrayEquals(await z.read(), []);
  using e = empty(engine, [5], { dtype: 'i32' });
  assertArrayEquals(await e.read(), [0, 0, 0, 0, 0]);
  assertArrayEquals(stridesOf([2, 3, 4]), [12, 4, 1]);
});

testGpu(
  'tensor: bad shapes and data are rejected with the shapes named',
  getEngine,
  async (engine) => {
    assertThrows(
      () => tensor(engine, [1, 2, 3], [2, 2]),
      ShapeError,
      'shape [2, 2] holds 4 elements but the data has 3',
    );
    assertThrows(() => tensor(engine, [1], [1.5]), ShapeError, 'not a non-negative integer (1.5)');
    assertThrows(() => tensor(engine, [1], [-1]), ShapeError);
    assertThrows(
      () => tensor(engine, [1.5], [1], { dtype: 'i32' }),
      ArgumentError,
      'element 0 (1.5)',
    );
    assertThrows(() => empty(engine, [2], { dtype: 'f16' as 'f32' }), ArgumentError, "got 'f16'");
    await Promise.resolve();
  },
);

testGpu(
  'tensor: past maxBufferSize fails before allocating, naming the tensor and the limit',
  getEngine,
  async (engine) => {
    const limit = engine.device.limits.maxBufferSize;
    const elements = Math.floor(limit / 4) + 1;
    assertThrows(
      () => empty(engine, [elements], { label: 'huge' }),
      LimitExceededError,
      `tensor huge [${elements}]: ${elements * 4} bytes exceeds the device's maxBufferSize`,
    );
    await Promise.resolve();
  },
);

testGpu(
  'tensor: destroy is idempotent; use after destroy is an error',
  getEngine,
  async (engine) => {
    const t = tensor(engine, [1, 2]);
    t.destroy();
    t.destroy();
    assertEquals(t.isDestroyed, true);
    assertThrows(() => unary(engine, 'relu', t), ArgumentError, 'was destroyed');
    await assertRejects(() => t.read(), DestroyedError, 'was destroyed');
  },
);

testGpu(
  'tensor: destroying an input right after recording keeps the result valid',
  getEngine,
  async (engine) => {
    const x = tensor(engine, [-1, 4]);
    using y = unary(engine, 'abs', x);
    x.destroy(); // the recorded dispatch still reads it: destruction waits for the submission
    assertArrayEquals(await y.read(), [1, 4]);
  },
);

testGpu('tensor: operands from another engine are rejected', getEngine, async (engine) => {
  const other = await getOther();
  using x = tensor(other, [1]);
  assertThrows(() => unary(engine, 'relu', x), ArgumentError, 'belongs to another engine');
});
