// Operands past the binding limit (maxStorageBufferBindingSize): an engine made with a tiny
// `maxBindingBytes` (1 KiB: 256 f32) makes small tensors "big", so that the blocked paths —
// matmul's bands and K slabs over bound sub-ranges, elementwise binary in element blocks, and
// Gemm/MatMul forward and backward through the ONNX loader — run in both runners and are checked
// against f64 CPU references. The engine's dispatch enforces the tiny limit on every binding, so
// a block that bound too much fails the test with LimitExceededError.
//
// Tolerances. matmul: f32 accumulation of K products, |error| ≤ (K + 2)·u·Σ|a·b| in any
// summation order (u = 2⁻²⁴), which covers adding the K slabs' partial sums; Gemm with α adds
// one rounding (+1·u). Elementwise add/mul of f32 operands: one rounding, so exactly
// `Math.fround` of the f64 result.
import {
  assert,
  assertArrayEquals,
  assertClose,
  assertEquals,
  assertRejects,
  assertThrows,
} from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { buildModel } from '../../test/onnx_builder.ts';
import { integers, uniform } from '../../test/random.ts';
import { backward } from '../grad/backward.ts';
import { loadModel } from '../onnx/model.ts';
import { binary } from '../ops/binary.ts';
import { matmul, type MatmulOptions, matmulReference } from '../ops/matmul.ts';
import { unary } from '../ops/unary.ts';
import { empty, sizeOf, tensor } from '../tensor.ts';
import { elementRange, maxRangeElements } from './binding.ts';
import { createEngine, type Engine } from './engine.ts';
import { ArgumentError, LimitExceededError } from './errors.ts';

const LIMIT = 1024;
const getEngine = sharedEngine({ maxBindingBytes: LIMIT });

const u = 2 ** -24;

/** Runs one matmul under the tiny limit; checks it against f64 and that it was split. */
async function check(
  engine: Engine,
  aShape: number[],
  bShape: number[],
  options: MatmulOptions = {},
): Promise<void> {
  const a = uniform(sizeOf(aShape), 11 + sizeOf(aShape));
  const b = uniform(sizeOf(bShape), 22 + sizeOf(bShape));
  using ta = tensor(engine, a, aShape);
  using tb = tensor(engine, b, bShape);
  const before = engine.dispatchCount;
  using c = matmul(engine, ta, tb, options);
  const dispatches = engine.dispatchCount - before;
  const ref = matmulReference(a, aShape, b, bShape, options);
  const what = `${aShape} × ${bShape} ${JSON.stringify(options)}`;
  assertArrayEquals(c.shape, ref.shape, `${what}: shape`);
  assert(dispatches > 1, `${what}: one dispatch, expected blocks`);
  const K = aShape[aShape.length - (options.transposeA ? 2 : 1)];
  const bound = ref.magnitude.map((m) => (K + 2) * u * m);
  assertClose(await c.read(), ref.data, { atol: 1e-30, bound }, `${what} (${dispatches} blocks)`);
}

testGpu('binding: ranges start on the alignment and stay within the limit', getEngine, (engine) => {
  using t = empty(engine, [1000]);
  const most = maxRangeElements(engine);
  for (const start of [0, 1, 63, 64, 65, 700]) {
    const end = Math.min(1000, start + most);
    const { range, skip } = elementRange(engine, t.buffer, start, end);
    assertEquals(range.offset % engine.bindingAlignment, 0, `offset of [${start}, ${end})`);
    assertEquals(range.offset / 4 + skip, start, `skip of [${start}, ${end})`);
    assert(range.size <= LIMIT && range.offset + range.size >= end * 4, `size ${range.size}`);
  }
  assertThrows(() => elementRange(engine, t.buffer, 0, 257), LimitExceededError, 'binding limit');
  return Promise.resolve();
});

testGpu('binding: matmul with B past the limit, split along K or N', getEngine, async (engine) => {
  // B = K×N rows contiguous: K slabs added into C; scalar and vec4 kernels.
  await check(engine, [3, 40], [40, 20], { kernel: 'scalar' });
  await check(engine, [3, 40], [40, 20]);
  await check(engine, [33, 40], [40, 12]);
  // Bᵀ = N×K rows contiguous: N bands (a Linear layer's weight, Gemm transB = 1).
  await check(engine, [2, 40], [30, 40], { transposeB: true });
  await check(engine, [40, 2], [30, 40], { transposeA: true, transposeB: true });
  // One row of B longer than a binding: single rows cut into parts.
  await check(engine, [2, 6], [6, 300], { kernel: 'scalar' });
  await check(engine, [2, 6], [6, 300]);
  await check(engine, [2, 300], [3, 300], { transposeB: true });
});

testGpu('binding: matmul with A or C past the limit, or all three', getEngine, async (engine) => {
  await check(engine, [50, 30], [30, 2]);
  await check(engine, [30, 50], [30, 2], { transposeA: true });
  await check(engine, [40, 5], [5, 30]); // C 40×30
  await check(engine, [40, 5], [5, 32]); // vec4
  await check(engine, [1, 8], [8, 400]); // one row of C past the limit
  await check(engine, [30, 40], [40, 30], { kernel: 'scalar' });
  await check(engine, [36, 40], [40, 36]);
});

testGpu('binding: batched matmul with big operands', getEngine, async (engine) => {
  await check(engine, [3, 4, 40], [40, 20]); // big B shared by the batches
  await check(engine, [2, 3, 40], [2, 40, 20]); // big B per batch
  await check(engine, [3, 10, 8], [8, 12]); // big C: one batch at a time
  await check(engine, [2, 1, 3, 40], [1, 3, 40, 8]); // broadcast both ways, B per batch
});

testGpu('binding: elementwise binary in blocks, exact', getEngine, async (engine) => {
  const n = 1000;
  const a = uniform(n, 5);
  const b = uniform(n, 6);
  using ta = tensor(engine, a, [10, 100]);
  using tb = tensor(engine, b, [10, 100]);
  using s = tensor(engine, [0.375], []);
  using sum = binary(engine, 'add', ta, tb);
  assertArrayEquals(await sum.read(), a.map((v, i) => Math.fround(v + b[i])), 'a + b');
  using scaled = binary(engine, 'mul', s, ta);
  assertArrayEquals(await scaled.read(), a.map((v) => Math.fround(0.375 * v)), '0.375 · a');
  const ia = integers(n, 7, -1000, 1000);
  using ti = tensor(engine, Int32Array.from(ia), [n], { dtype: 'i32' });
  using one = tensor(engine, Int32Array.from([3]), [1], { dtype: 'i32' });
  using diff = binary(engine, 'sub', ti, one);
  assertArrayEquals(await diff.read(), ia.map((v) => v - 3), 'i32 a − 3');
});

testGpu(
  'binding: a kernel that does not split names itself and the limit',
  getEngine,
  (engine) => {
    using t = tensor(engine, uniform(300, 8), [300], { label: 'wide' });
    assertThrows(() => unary(engine, 'relu', t), LimitExceededError, 'nn/unary.wgsl');
    assertThrows(() => unary(engine, 'relu', t), LimitExceededError, 'wide');
    return Promise.resolve();
  },
);

testGpu('binding: maxBindingBytes is checked and capped by the device', getEngine, async (e) => {
  const device = e.device;
  const alignment = device.limits.minStorageBufferOffsetAlignment;
  for (const bad of [100, 1022, 2 * alignment - 4]) {
    await assertRejects(
      () => createEngine({ device, maxBindingBytes: bad }),
      ArgumentError,
      'maxBindingBytes',
    );
  }
  using big = await createEngine({ device, maxBindingBytes: 2 ** 40 });
  assertEquals(big.maxBindingBytes, device.limits.maxStorageBufferBindingSize);
});

// --- Gemm and MatMul through the ONNX loader, forward and backward ---------------------------

interface LinearCase {
  name: string;
  op: 'Gemm' | 'MatMul';
  x: number[];
  w: number[];
  transB?: boolean;
  alpha?: number;
  beta?: number;
  bias?: boolean;
}

/** f64 y, dx and dW of y = α·x·op(W) (+ β·c) for the output gradient g, with error bounds. */
function linearReference(
  c: LinearCase,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  g: Float32Array,
) {
  const alpha = c.alpha ?? 1;
  const beta = c.beta ?? 1;
  const transB = c.transB ?? false;
  const y = matmulReference(x, c.x, w, c.w, { transposeB: transB });
  const n = y.shape[y.shape.length - 1];
  const out = y.data.map((v, i) => alpha * v + (c.bias ? beta * bias[i % n] : 0));
  // dx = α·g·op(W)ᵀ; dW = α·xᵀ·g (Wᵀ's gradient transposed when transB).
  const dx = matmulReference(g, y.shape, w, c.w, { transposeB: !transB });
  const dw = transB
    ? matmulReference(g, y.shape, x, c.x, { transposeA: true })
    : matmulReference(x, c.x, g, y.shape, { transposeA: true });
  const kOf = (shape: number[], axis: number) => shape[shape.length + axis];
  const bounds = (r: { magnitude: Float64Array }, k: number) =>
    r.magnitude.map((m) => Math.abs(alpha) * (k + 3) * u * m + 1e-30);
  return {
    y: out,
    yBound: bounds(y, kOf(c.x, -1)).map((b, i) => b + 2 * u * Math.abs(out[i])),
    dx: dx.data.map((v) => alpha * v),
    dxBound: bounds(dx, n),
    dw: dw.data.map((v) => alpha * v),
    dwBound: bounds(dw, c.x[0]),
  };
}

const LINEAR_CASES: LinearCase[] = [
  // A Linear layer as torch exports it: Gemm(x, W[out, in], b), transB = 1 (alexnet, VGG).
  { name: 'Gemm transB, bias', op: 'Gemm', x: [2, 48], w: [30, 48], transB: true, bias: true },
  {
    name: 'Gemm α = 0.5, β = 2',
    op: 'Gemm',
    x: [3, 40],
    w: [40, 24],
    alpha: 0.5,
    beta: 2,
    bias: true,
  },
  { name: 'MatMul x·W', op: 'MatMul', x: [2, 40], w: [40, 20] },
];

for (const c of LINEAR_CASES) {
  testGpu(
    `binding: ONNX ${c.name} with W past the limit: y, dx, dW vs f64`,
    getEngine,
    async (engine) => {
      const n = c.transB ? c.w[0] : c.w[1];
      const x = uniform(sizeOf(c.x), 31);
      const w = uniform(sizeOf(c.w), 32);
      const bias = uniform(n, 33);
      const g = uniform(c.x[0] * n, 34);
      const bytes = buildModel({
        nodes: [{
          op: c.op,
          inputs: c.bias ? ['x', 'W', 'c'] : ['x', 'W'],
          outputs: ['y'],
          ints: c.op === 'Gemm' ? { transB: c.transB ? 1 : 0 } : undefined,
          floats: c.op === 'Gemm' ? { alpha: c.alpha ?? 1, beta: c.beta ?? 1 } : undefined,
        }],
        inputs: [{ name: 'x', shape: c.x }],
        outputs: [{ name: 'y', shape: [c.x[0], n] }],
        initializers: [
          { name: 'W', dims: c.w, float: [...w] },
          ...(c.bias ? [{ name: 'c', dims: [n], float: [...bias] }] : []),
        ],
      });
      using model = loadModel(engine, bytes);
      const before = engine.dispatchCount;
      const result = backward(model, { x: { data: x, shape: c.x } }, {
        wrt: ['x', 'W'],
        seed: (value) => ({ y: tensor(engine, g, value('y').shape) }),
      });
      try {
        const ref = linearReference(c, x, w, bias, g);
        assert(engine.dispatchCount - before > 4, `${c.name}: expected blocked dispatches`);
        assertClose(await result.values.y.read(), ref.y, { bound: ref.yBound }, `${c.name}: y`);
        assertClose(await result.grads.x.read(), ref.dx, { bound: ref.dxBound }, `${c.name}: dx`);
        assertArrayEquals(result.grads.W.shape, c.w, `${c.name}: dW shape`);
        assertClose(await result.grads.W.read(), ref.dw, { bound: ref.dwBound }, `${c.name}: dW`);
      } finally {
        for (const t of [...Object.values(result.values), ...Object.values(result.grads)]) {
          t.destroy();
        }
      }
    },
  );
}

testGpu(
  'binding: a fixed-batch model whose batched activations pass the limit runs in chunks',
  getEngine,
  async (engine) => {
    // Exported with the batch fixed at 1 (torch's default); given 12 rows, h and y [12, 30]
    // (1440 bytes) would not fit one binding of Relu's kernel, so the plan runs the rows one
    // chunk at a time instead of failing there. W [30, 48] stays past the limit in every chunk.
    const x = uniform(12 * 48, 41);
    const w = uniform(30 * 48, 42);
    const g = uniform(12 * 30, 43);
    const bytes = buildModel({
      nodes: [
        { op: 'Gemm', inputs: ['x', 'W'], outputs: ['h'], ints: { transB: 1 } },
        { op: 'Relu', inputs: ['h'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: [1, 48] }],
      outputs: [{ name: 'y', shape: [1, 30] }],
      initializers: [{ name: 'W', dims: [30, 48], float: [...w] }],
    });
    using model = loadModel(engine, bytes);
    const result = backward(model, { x: { data: x, shape: [12, 48] } }, {
      wrt: ['x'],
      seed: (value) => ({ y: tensor(engine, g, value('y').shape) }),
    });
    try {
      // y = relu(x·Wᵀ), dx = (g ⊙ [x·Wᵀ > 0])·W.
      const h = matmulReference(x, [12, 48], w, [30, 48], { transposeB: true });
      const masked = g.map((v, i) => (h.data[i] > 0 ? v : 0));
      const dx = matmulReference(masked, [12, 30], w, [30, 48]);
      const y = h.data.map((v) => Math.max(v, 0));
      const yBound = h.magnitude.map((m) => 50 * u * m);
      assertClose(await result.values.y.read(), y, { atol: 1e-30, bound: yBound }, 'y');
      const dxBound = dx.magnitude.map((m) => 32 * u * m);
      assertClose(await result.grads.x.read(), dx.data, { atol: 1e-30, bound: dxBound }, 'dx');
    } finally {
      for (const t of [...Object.values(result.values), ...Object.values(result.grads)]) {
        t.destroy();
      }
    }
  },
);
