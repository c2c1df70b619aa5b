import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, stridesOf, tensor } from '../tensor.ts';
import { broadcastStrides } from './common.ts';
import { layerNormalization, layerNormalizationReference } from './layer_norm.ts';
import {
  layerNormalizationBackward,
  layerNormalizationBackwardReference,
} from './layer_norm_backward.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

/** Offsets into a tensor of shape `s` broadcast to `normShape`, per row element. */
function offsets(s: readonly number[], normShape: readonly number[]): number[] {
  const rank = normShape.length;
  const rowStrides = stridesOf(normShape);
  const strides = broadcastStrides(s.slice(Math.max(0, s.length - rank)), rank);
  return Array.from(
    { length: sizeOf(normShape) },
    (_, l) =>
      rowStrides.reduce((at, st, d) => at + Math.floor(l / st) % normShape[d] * strides[d], 0),
  );
}

/**
 * Per-element error bounds of the f32 kernels (see layer_norm_backward.wgsl). Per row, with
 * E = (k + 4)·u, k = len/64 + log2 64 (each row sum's error in units of Σ|terms|, plus a few
 * roundings), M = mean|x|·rstd (how much the mean's error is amplified in x̂), A = mean|g|,
 * B = mean|g·x̂|, g = dy·scale: x̂ errs by ε ≤ E·(|x̂| + M); mean(g) by E·A; mean(g·x̂) by
 * E·(2B + A·M); so dx = rstd·(g − mean g − x̂·mean(g·x̂)) errs by at most
 *   rstd·E·(|inner| + A + (|x̂| + M)·B + |x̂|·(2B + A·M) + |g|),
 * the |inner| term for rstd's own error and the final roundings. dScale sums dy·x̂ over the rows
 * sequentially: Σ|dy|·ε + (rows + 2)·u·Σ|dy·x̂|; dBias (rows + 2)·u·Σ|dy|; a broadcast scale or
 * bias adds the reduction over its broadcast axes, (count + 8)·u·Σ|terms|. Everything times 2
 * for the roundings not listed (each a fraction of a listed term).
 */
function bounds(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: number[],
  axis: number,
  scale: ArrayLike<number>,
  scaleShape: number[],
  biasShape: number[],
) {
  const a = axis < 0 ? axis + shape.length : axis;
  const normShape = shape.slice(a);
  const len = sizeOf(normShape);
  const rows = sizeOf(shape) / len;
  const scaleAt = offsets(scaleShape, normShape);
  const biasAt = offsets(biasShape, normShape);
  const E = (len / 64 + 6 + 4) * u;
  const dx = new Float64Array(rows * len);
  const dsFull = new Float64Array(len);
  const dsMag = new Float64Array(len);
  const dbMag = new Float64Array(len);
  const ref = layerNormalizationReference(x, shape, { scale, scaleShape, axis });
  for (let r = 0; r < rows; r++) {
    const inv = ref.invStdDev[r];
    const xh = (l: number) => (x[r * len + l] - ref.mean[r]) * inv;
    const g = (l: number) => dy[r * len + l] * scale[scaleAt[l]];
    let mag = 0;
    let A = 0;
    let B = 0;
    let meanG = 0;
    let meanGx = 0;
    for (let l = 0; l < len; l++) {
      mag += Math.abs(x[r * len + l]);
      A += Math.abs(g(l));
      B += Math.abs(g(l) * xh(l));
      meanG += g(l);
      meanGx += g(l) * xh(l);
    }
    const M = (mag / len) * inv;
    A /= len;
    B /= len;
    meanG /= len;
    meanGx /= len;
    for (let l = 0; l < len; l++) {
      const xhat = Math.abs(xh(l));
      const inner = Math.abs(g(l) - meanG - xh(l) * meanGx);
      dx[r * len + l] = 2 * inv * E *
        (inner + A + (xhat + M) * B + xhat * (2 * B + A * M) + Math.abs(g(l)));
      const d = Math.abs(dy[r * len + l]);
      dsFull[l] += d * E * (xhat + M);
      dsMag[l] += d * xhat;
      dbMag[l] += d;
    }
  }
  const mapped = (at: number[], size: number, base: Float64Array, mags: Float64Array) => {
    const count = new Float64Array(size);
    const bound = new Float64Array(size);
    const magSum = new Float64Array(size);
    for (let l = 0; l < len; l++) {
      count[at[l]]++;
      bound[at[l]] += base[l] + (rows + 2) * u * mags[l];
      magSum[at[l]] += mags[l];
    }
    return bound.map((b, j) => 2 * (b + (count[j] + 8) * u * magSum[j]));
  };
  return {
    dx,
    dScale: mapped(scaleAt, sizeOf(scaleShape), dsFull, dsMag),
    dBias: mapped(biasAt, sizeOf(biasShape), new Float64Array(len), dbMag),
  };
}

// [x shape, axis, scale shape, bias shape]: rows of 1, 63/64/65 and 1000 elements, several
// normalized axes, scale/bias broadcast from a suffix or with leading ones, many rows.
const CASES: [number[], number, number[], number[]][] = [
  [[3, 1], -1, [1], [1]],
  [[2, 63], -1, [63], [63]],
  [[4, 64], 1, [64], [64]],
  [[3, 65], -1, [65], [65]],
  [[2, 1000], -1, [1000], [1000]],
  [[2, 3, 5, 7], 2, [5, 7], [5, 7]],
  [[2, 3, 5, 7], -3, [5, 7], [1, 7]], // broadcast over the normalized axes
  [[2, 3, 5, 7], 0, [1, 1, 1, 7], [3, 5, 7]],
  [[5, 16], 1, [1, 16], [1]],
  [[6], 0, [6], [6]],
  [[300, 5], -1, [5], [5]], // the column pass loops over 300 rows
];

testGpu(
  'layerNormalizationBackward: cases against f64 with derived bounds',
  getEngine,
  async (e) => {
    for (const [shape, axis, scaleShape, biasShape] of CASES) {
      const n = sizeOf(shape);
      const data = uniform(n, shape.length + shape[shape.length - 1], -3, 5);
      const scale = uniform(sizeOf(scaleShape), 2, 0.5, 2).map((v, i) => (i % 3 ? v : -v));
      const grad = uniform(n, 40 + n, -1, 1);
      using x = tensor(e, data, shape);
      using s = tensor(e, scale, scaleShape);
      using dy = tensor(e, grad, shape);
      const got = layerNormalizationBackward(e, x, s, dy, { axis, biasShape });
      using dx = got.dx;
      using dScale = got.dScale;
      using dBias = got.dBias;
      const ref = layerNormalizationBackwardReference(data, grad, shape, {
        scale,
        scaleShape,
        biasShape,
        axis,
      });
      const b = bounds(data, grad, shape, axis, scale, scaleShape, biasShape);
      const what = `${shape} axis ${axis} scale ${scaleShape} bias ${biasShape}`;
      assertArrayEquals(dx.shape, shape);
      assertArrayEquals(dScale.shape, scaleShape);
      assertArrayEquals(dBias.shape, biasShape);
      assertClose(await dx.read(), ref.dx, { bound: b.dx }, `dx ${what}`);
      assertClose(await dScale.read(), ref.dScale, { bound: b.dScale }, `dScale ${what}`);
      assertClose(await dBias.read(), ref.dBias, { bound: b.dBias }, `dBias ${what}`);
    }
  },
);

testGpu('layerNormalizationBackwardReference matches central differences', getEngine, () => {
  // L = Σ dy·LayerNorm(x; scale, bias). (L(v + h) − L(v − h)) / 2h in f64 errs by
  // h²·|L'''|/6 ≈ 1e-9 with h = 1e-4 and rows of unit spread, plus rounding ~1e-16/h: 1e-6
  // absolute and relative leaves a wide margin and still catches any wrong term.
  const h = 1e-4;
  const cases: [number[], number, number[], number[]][] = [
    [[3, 4], -1, [4], [4]],
    [[2, 3, 4], 1, [1, 4], [3, 1]],
    [[2, 5], 0, [5], [1]],
  ];
  for (const [shape, axis, scaleShape, biasShape] of cases) {
    const n = sizeOf(shape);
    const x = Array.from(uniform(n, 1, -2, 2));
    const scale = Array.from(uniform(sizeOf(scaleShape), 2, -1.5, 1.5));
    const bias = Array.from(uniform(sizeOf(biasShape), 3, -1, 1));
    const grad = uniform(n, 4, -1, 1);
    const loss = (xv: number[], sv: number[], bv: number[]) =>
      layerNormalizationReference(xv, shape, {
        scale: sv,
        scaleShape,
        bias: bv,
        biasShape,
        axis,
        epsilon: 1e-3,
      }).data.reduce((acc, y, i) => acc + y * grad[i], 0);
    const fd = (v: number[], at: (w: number[]) => number) =>
      v.map((_, j) => {
        const plus = v.slice();
        const minus = v.slice();
        plus[j] += h;
        minus[j] -= h;
        return (at(plus) - at(minus)) / (2 * h);
      });
    const ref = layerNormalizationBackwardReference(x, grad, shape, {
      scale,
      scaleShape,
      biasShape,
      axis,
      epsilon: 1e-3,
    });
    const tol = { atol: 1e-6, rtol: 1e-6 };
    const what = `${shape} axis ${axis}`;
    assertClose(ref.dx, fd(x, (w) => loss(w, scale, bias)), tol, `dx ${what}`);
    assertClose(ref.dScale, fd(scale, (w) => loss(x, w, bias)), tol, `dScale ${what}`);
    assertClose(ref.dBias, fd(bias, (w) => loss(x, scale, w)), tol, `dBias ${what}`);
  }
  return Promise.resolve();
});

testGpu(
  'layerNormalizationBackward: rows far from zero; composes with the forward',
  getEngine,
  async (e) => {
    // Rows offset by 1000 with unit spread: the two-pass variance keeps x̂ accurate.
    const len = 100;
    const shape = [2, len];
    const data = uniform(2 * len, 9, -1, 1).map((v, i) => v + (i < len ? 1000 : -500));
    const scale = uniform(len, 10, 0.5, 1.5);
    const grad = uniform(2 * len, 11, -1, 1);
    using x = tensor(e, data, shape);
    using s = tensor(e, scale, [len]);
    using dy = tensor(e, grad, shape);
    const got = layerNormalizationBackward(e, x, s, dy);
    using dx = got.dx;
    using dScale = got.dScale;
    using dBias = got.dBias;
    const ref = layerNormalizationBackwardReference(data, grad, shape, { scale });
    const b = bounds(data, grad, shape, -1, scale, [len], [len]);
    assertClose(await dx.read(), ref.dx, { bound: b.dx }, 'dx');
    assertClose(await dScale.read(), ref.dScale, { bound: b.dScale }, 'dScale');
    assertClose(await dBias.read(), ref.dBias, { bound: b.dBias }, 'dBias');
    // Σ dx over a row is 0 (x̂ and 1 are orthogonal to dx's row space): a reference-free check.
    const out = await dx.readFloat32();
    for (let r = 0; r < 2; r++) {
      let total = 0;
      let mag = 0;
      for (let l = 0; l < len; l++) {
        total += out[r * len + l];
        mag += Math.abs(out[r * len + l]);
      }
      assertClose([total], [0], { atol: 1e-4 * mag }, `row ${r} sums to 0`);
    }
    // The forward runs on the same engine with the same tensors (sanity of the pairing).
    using y = layerNormalization(e, x, s);
    assertArrayEquals(y.shape, shape);
  },
);

testGpu('layerNormalizationBackward: folded dispatches over many rows', getFolding, async (e) => {
  const shape = [30, 7]; // rows: 30 workgroups, a 4×4×2 grid at 4 per dimension
  const data = uniform(210, 4, -2, 2);
  const scale = uniform(7, 5, 0.5, 1.5);
  const grad = uniform(210, 6, -1, 1);
  using x = tensor(e, data, shape);
  using s = tensor(e, scale, [7]);
  using dy = tensor(e, grad, shape);
  const got = layerNormalizationBackward(e, x, s, dy);
  using dx = got.dx;
  using dScale = got.dScale;
  using dBias = got.dBias;
  const ref = layerNormalizationBackwardReference(data, grad, shape, { scale });
  const b = bounds(data, grad, shape, -1, scale, [7], [7]);
  assertClose(await dx.read(), ref.dx, { bound: b.dx }, 'dx');
  assertClose(await dScale.read(), ref.dScale, { bound: b.dScale }, 'dScale');
  assertClose(await dBias.read(), ref.dBias, { bound: b.dBias }, 'dBias');
  // The column pass over 1000 elements: 16 workgroups, a 4×4 grid.
  const wide = [3, 1000];
  const wData = uniform(3000, 7, -2, 2);
  const wScale = uniform(1000, 8, 0.5, 1.5);
  const wGrad = uniform(3000, 9, -1, 1);
  using wx = tensor(e, wData, wide);
  using ws = tensor(e, wScale, [1000]);
  using wdy = tensor(e, wGrad, wide);
  const w = layerNormalizationBackward(e, wx, ws, wdy);
  using wdx = w.dx;
  using wdScale = w.dScale;
  using wdBias = w.dBias;
  const wRef = layerNormalizationBackwardReference(wData, wGrad, wide, { scale: wScale });
  const wb = bounds(wData, wGrad, wide, -1, wScale, [1000], [1000]);
  assertClose(await wdx.read(), wRef.dx, { bound: wb.dx }, 'wide dx');
  assertClose(await wdScale.read(), wRef.dScale, { bound: wb.dScale }, 'wide dScale');
  assertClose(await wdBias.read(), wRef.dBias, { bound: wb.dBias }, 'wide dBias');
});

testGpu('layerNormalizationBackward: empty tensors; rejects bad operands', getEngine, async (e) => {
  using x0 = tensor(e, [], [0, 4]);
  using s4 = tensor(e, uniform(4, 1), [4]);
  const empty = layerNormalizationBackward(e, x0, s4, x0);
  using dx0 = empty.dx;
  using ds0 = empty.dScale;
  using db0 = empty.dBias;
  assertArrayEquals(dx0.shape, [0, 4]);
  assertArrayEquals(await ds0.read(), [0, 0, 0, 0], 'no rows: dScale is 0');
  assertArrayEquals(await db0.read(), [0, 0, 0, 0], 'no rows: dBias is 0');
  using x = tensor(e, uniform(24, 1), [2, 3, 4]);
  using s3 = tensor(e, uniform(3, 1), [3]);
  using flat = tensor(e, uniform(24, 1), [24]);
  using i = tensor(e, new Int32Array(24), [2, 3, 4]);
  using scalar = tensor(e, [1], []);
  assertThrows(
    () => layerNormalizationBackward(e, x, s3, x),
    ShapeError,
    'scale [3] does not broadcast to the normalized shape [4]',
  );
  assertThrows(
    () => layerNormalizationBackward(e, x, s4, x, { biasShape: [2, 4] }),
    ShapeError,
    'bias [2, 4] does not broadcast',
  );
  assertThrows(
    () => layerNormalizationBackward(e, x, s4, flat),
    ShapeError,
    'dy [24] must have the shape of x [2, 3, 4]',
  );
  assertThrows(() => layerNormalizationBackward(e, x, s4, i), ArgumentError, 'dy must be f32');
  assertThrows(() => layerNormalizationBackward(e, scalar, s4, scalar), ArgumentError, 'rank >= 1');
  assertThrows(
    () => layerNormalizationBackward(e, x, s4, x, { epsilon: -1 }),
    ArgumentError,
    'epsilon must be finite',
  );
  assertThrows(
    () => layerNormalizationBackwardReference([1, 2], [1], [2], { scale: [1, 1] }),
    ArgumentError,
    'dy 1',
  );
});
