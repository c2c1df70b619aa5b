// NaN and ±infinity through the kernels, compared with the f64 CPU references by bit class (a
// NaN must come out NaN, an infinity the same infinity; finite results within a loose
// tolerance), in Deno (wgpu on lavapipe) and Chromium (Dawn on SwiftShader). Software adapters
// are not IEEE on NaN (lavapipe's max(NaN, 0) is 0, SwiftShader's comparisons with NaN are not
// ordered), so the kernels test bit patterns; these cases hold them to it. GitHub issue 13.
import { assert, assertArrayEquals, assertEquals } from './assert.ts';
import { loadBytes } from './files.ts';
import { sharedEngine, testGpu } from './harness.ts';
import { loadModel, run } from '../src/onnx/model.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { type Tensor, tensor } from '../src/tensor.ts';
import { unary, UNARY_OPS, type UnaryOp, unaryReference } from '../src/ops/unary.ts';
import { unaryBackward, unaryBackwardReference } from '../src/ops/unary_backward.ts';
import { binary, type BinaryOp, binaryReference } from '../src/ops/binary.ts';
import { logSoftmax, softmax, softmaxReference } from '../src/ops/softmax.ts';
import { softmaxBackward, softmaxBackwardReference } from '../src/ops/softmax_backward.ts';
import {
  globalMaxPool,
  globalMaxPoolReference,
  maxPool,
  maxPoolReference,
} from '../src/ops/pool.ts';
import { maxPoolBackward, maxPoolBackwardReference } from '../src/ops/pool_backward.ts';
import { reduce, type ReduceOp, reduceReference } from '../src/ops/reduce.ts';
import { topK, topKReference } from '../src/ops/topk.ts';
import {
  lpNormalization,
  lpNormalizationBackward,
  lpNormalizationBackwardReference,
  lpNormalizationReference,
} from '../src/ops/lp_norm.ts';

const getEngine = sharedEngine();

/** Inputs at and around the special values: NaN, ±inf, ±0, and ordinary numbers. */
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 1.5, -1.5, 0.25, -NaN];

function bitClass(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+inf';
  if (v === -Infinity) return '-inf';
  return 'finite';
}

/**
 * Asserts that `got` (f32 from the GPU) and `want` (the f64 reference) agree element by element
 * in bit class, and finite elements within `tol` (relative to max(1, |want|)): these cases test
 * where non-finite values go, the ops' own tests test accuracy.
 */
function assertSameClasses(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  what: string,
  inputs: (i: number) => string,
  tol = 1e-3,
): void {
  assertEquals(got.length, want.length, `${what}: length`);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i], want[i]];
    const ok = bitClass(g) === bitClass(w) &&
      (bitClass(w) !== 'finite' || Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)));
    if (!ok) bad.push(`${inputs(i)}: got ${g}, want ${w}`);
  }
  assert(bad.length === 0, `${what}: ${bad.length} mismatch(es):\n  ${bad.join('\n  ')}`);
}

async function read(t: Tensor): Promise<Float32Array> {
  try {
    return await t.readFloat32();
  } finally {
    t.destroy();
  }
}

/** The forward ops of unary.wgsl except isNaN/isInf, whose outputs are 0/1 by design. */
const UNARY = (Object.keys(UNARY_OPS) as UnaryOp[]).filter((op) =>
  op !== 'isNaN' && op !== 'isInf'
);

testGpu(
  'nan: unary forward keeps NaN NaN and infinities IEEE, as the reference',
  getEngine,
  async (e) => {
    using x = tensor(e, SPECIAL, [SPECIAL.length]);
    const failures: string[] = [];
    for (const op of UNARY) {
      try {
        assertSameClasses(
          await read(unary(e, op, x)),
          unaryReference(op, SPECIAL),
          op,
          (i) => `x = ${SPECIAL[i]}`,
        );
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    // Clip with finite bounds (the default has none).
    assertSameClasses(
      await read(unary(e, 'clip', x, { alpha: -1, beta: 1 })),
      unaryReference('clip', SPECIAL, { alpha: -1, beta: 1 }),
      'clip [-1, 1]',
      (i) => `x = ${SPECIAL[i]}`,
    );
    assert(failures.length === 0, failures.join('\n'));
  },
);

testGpu('nan: unary backward follows PyTorch autograd at NaN and ±inf', getEngine, async (e) => {
  // x special with dy = 1, then x ordinary with dy special.
  const xs = [...SPECIAL, ...SPECIAL.map(() => 0.75)];
  const dys = [...SPECIAL.map(() => 1), ...SPECIAL];
  using x = tensor(e, xs, [xs.length]);
  using dy = tensor(e, dys, [dys.length]);
  const failures: string[] = [];
  for (const op of UNARY) {
    try {
      assertSameClasses(
        await read(unaryBackward(e, op, x, dy)),
        unaryBackwardReference(op, xs, dys),
        `${op} backward`,
        (i) => `x = ${xs[i]}, dy = ${dys[i]}`,
      );
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  assert(failures.length === 0, failures.join('\n'));
});

testGpu('nan: PyTorch 1.13 autograd values at NaN x (dy = 1)', getEngine, async (e) => {
  // Checked with Debian's python3-torch 1.13: x = tensor([nan], requires_grad=True);
  // f(x).backward(); x.grad. The piecewise functions pick a branch by comparisons, which are
  // false for NaN; the smooth ones give NaN.
  const torch: Partial<Record<UnaryOp, number>> = {
    relu: 1,
    leakyRelu: 0.01,
    hardSigmoid: 0,
    hardSwish: 1,
    clip: 0,
    elu: 1,
    selu: 1.0507010221481323,
    celu: 1,
    thresholdedRelu: 1,
    abs: 0,
    sign: 0,
    floor: 0,
    round: 0,
    sigmoid: NaN,
    tanh: NaN,
    gelu: NaN,
    softplus: NaN,
    exp: NaN,
    mish: NaN,
    softsign: NaN,
  };
  using x = tensor(e, [NaN], [1]);
  using dy = tensor(e, [1], [1]);
  for (const [op, want] of Object.entries(torch) as [UnaryOp, number][]) {
    const got = await read(unaryBackward(e, op, x, dy));
    assertSameClasses(got, [want], `${op} backward`, () => 'x = NaN', 1e-6);
    assertSameClasses(unaryBackwardReference(op, [NaN], [1]), [want], `${op} ref`, () => 'NaN');
  }
});

testGpu('nan: binary max/min/arithmetic on every pair of specials', getEngine, async (e) => {
  const n = SPECIAL.length;
  using a = tensor(e, SPECIAL, [n, 1]);
  using b = tensor(e, SPECIAL, [1, n]);
  for (const op of ['max', 'min', 'add', 'sub', 'mul', 'div', 'pow'] as BinaryOp[]) {
    assertSameClasses(
      await read(binary(e, op, a, b)),
      binaryReference(op, SPECIAL, [n, 1], SPECIAL, [1, n]).data,
      op,
      (i) => `a = ${SPECIAL[Math.floor(i / n)]}, b = ${SPECIAL[i % n]}`,
    );
  }
});

/** Rows of three along the last axis: one NaN, ±inf, all −inf, two +inf, all NaN, ordinary. */
const ROWS = [
  [1, NaN, 2],
  [1, Infinity, 2],
  [1, -Infinity, 2],
  [-Infinity, -Infinity, -Infinity],
  [Infinity, Infinity, 1],
  [NaN, NaN, NaN],
  [0.5, -1, 2],
];
const ROW_DATA = ROWS.flat();
const ROW_SHAPE = [ROWS.length, 3];
const rowOf = (i: number) => `row [${ROWS[Math.floor(i / 3)]}] at ${i % 3}`;

testGpu('nan: softmax and logSoftmax give a NaN row for NaN or +inf', getEngine, async (e) => {
  // PyTorch 1.13: softmax([1, nan, 2]), softmax([1, inf, 2]) and softmax([-inf]*3) are all
  // NaN; softmax([1, -inf, 2]) is [0.27, 0, 0.73].
  using x = tensor(e, ROW_DATA, ROW_SHAPE);
  for (const log of [false, true]) {
    const y = await read(log ? logSoftmax(e, x) : softmax(e, x));
    const want = softmaxReference(ROW_DATA, ROW_SHAPE, { log });
    assertSameClasses(y, want, log ? 'logSoftmax' : 'softmax', rowOf);
    // Backward from the forward output, with dy = 1, 2, 3 per row.
    const dys = ROW_DATA.map((_, i) => 1 + (i % 3));
    using yt = tensor(e, want, ROW_SHAPE);
    using dy = tensor(e, dys, ROW_SHAPE);
    assertSameClasses(
      await read(softmaxBackward(e, yt, dy, { log })),
      softmaxBackwardReference(want, dys, ROW_SHAPE, { log }),
      `${log ? 'logSoftmax' : 'softmax'} backward`,
      rowOf,
    );
  }
  assertArrayEquals(
    Array.from(softmaxReference([1, -Infinity, 2], [3]), (v) => Number(Number.isNaN(v))),
    [0, 0, 0],
  );
});

testGpu('nan: reductions over rows with NaN and infinities', getEngine, async (e) => {
  using x = tensor(e, ROW_DATA, ROW_SHAPE);
  const ops: ReduceOp[] = ['max', 'min', 'argmax', 'argmin', 'sum', 'mean', 'logSumExp'];
  for (const op of ops) {
    using y = reduce(e, op, x, { axis: 1 });
    const got = Array.from(await y.read());
    const want = reduceReference(op, ROW_DATA, ROW_SHAPE, { axis: 1 }).data;
    assertSameClasses(got, want, op, (i) => `row [${ROWS[i]}]`, op.startsWith('arg') ? 0 : 1e-3);
  }
  // onnxruntime and PyTorch: argmax/argmin of a row holding NaN is the first NaN's index.
  using am = reduce(e, 'argmax', x, { axis: 1 });
  assertEquals((await am.read())[0], 1);
});

testGpu('nan: maxPool and its backward, topK, lpNormalization', getEngine, async (e) => {
  const data = [1, NaN, 2, -Infinity, -Infinity, 3, Infinity, 0, -5, NaN, 4, 1];
  const shape = [1, 1, 3, 4];
  const attributes = { kernelShape: [2, 2], strides: [1, 2] };
  using x = tensor(e, data, shape);
  const where = (i: number) => `output ${i}`;
  assertSameClasses(
    await read(maxPool(e, x, attributes)),
    maxPoolReference(data, shape, attributes).data,
    'maxPool',
    where,
  );
  assertSameClasses(
    await read(globalMaxPool(e, x)),
    globalMaxPoolReference(data, shape).data,
    'globalMaxPool',
    where,
  );
  const dys = [1, 2, 3, 4];
  using dy = tensor(e, dys, [1, 1, 2, 2]);
  assertSameClasses(
    await read(maxPoolBackward(e, x, dy, attributes)),
    maxPoolBackwardReference(data, shape, dys, attributes).data,
    'maxPool backward',
    (i) => `x[${i}] = ${data[i]}`,
  );
  using rows = tensor(e, ROW_DATA, ROW_SHAPE);
  const { values, indices } = topK(e, rows, { k: 2 });
  const ref = topKReference(ROW_DATA, ROW_SHAPE, { k: 2 });
  assertSameClasses(await read(values), ref.values, 'topK values', (i) => `row ${i >> 1}`);
  assertSameClasses(await read(indices), ref.indices, 'topK indices', (i) => `row ${i >> 1}`, 0);
  for (const p of [1, 2] as const) {
    assertSameClasses(
      await read(lpNormalization(e, rows, { p })),
      lpNormalizationReference(ROW_DATA, ROW_SHAPE, { p }).data,
      `lpNormalization p=${p}`,
      rowOf,
    );
    const dys = ROW_DATA.map((_, i) => 0.5 + (i % 3));
    using dy = tensor(e, dys, ROW_SHAPE);
    assertSameClasses(
      await read(lpNormalizationBackward(e, rows, dy, { p })),
      lpNormalizationBackwardReference(ROW_DATA, dys, ROW_SHAPE, { p }).data,
      `lpNormalization backward p=${p}`,
      rowOf,
    );
  }
});

async function mnistLogits(engine: Engine, edit: (x: Float32Array) => void): Promise<Float32Array> {
  using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
  const input = model.inputs[0];
  const shape = [1, 1, 28, 28];
  const x = new Float32Array(28 * 28);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 255) / 255; // a fixed pattern
  edit(x);
  const { outputs } = run(model, { [input.name]: { data: x, shape } });
  try {
    return await outputs[model.outputs[0].name].readFloat32();
  } finally {
    for (const t of Object.values(outputs)) t.destroy();
  }
}

testGpu(
  'nan: one NaN pixel makes mnist_cnn logits NaN, as onnxruntime-web',
  getEngine,
  async (e) => {
    // onnxruntime-web (wasm) gives all-NaN logits for this model with one NaN pixel, and with
    // one +inf pixel (checked in Node with onnxruntime-web 1.x).
    const clean = await mnistLogits(e, () => {});
    assert(clean.every(Number.isFinite), `clean logits are finite: ${clean}`);
    const nanPixel = await mnistLogits(e, (x) => (x[14 * 28 + 14] = NaN));
    assert(nanPixel.every(Number.isNaN), `one NaN pixel: logits ${nanPixel}`);
    const allNan = await mnistLogits(e, (x) => x.fill(NaN));
    assert(allNan.every(Number.isNaN), `all-NaN image: logits ${allNan}`);
    const infPixel = await mnistLogits(e, (x) => (x[14 * 28 + 14] = Infinity));
    assert(infPixel.every((v) => !Number.isFinite(v)), `one +inf pixel: logits ${infPixel}`);
  },
);
