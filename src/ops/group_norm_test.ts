import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { finiteDifferenceGradient } from '../../test/finite_difference.ts';
import { sharedEngine, test, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  groupNormalization,
  groupNormalizationBackward,
  groupNormalizationBackwardReference,
  groupNormalizationReference,
  meanVarianceNormalization,
  meanVarianceNormalizationBackward,
  meanVarianceNormalizationBackwardReference,
  meanVarianceNormalizationReference,
  slices,
} from './group_norm.ts';

const getEngine = sharedEngine();

const u = 2 ** -24;

/**
 * The layer-norm kernels' error (layer_norm.wgsl, layer_norm_backward.wgsl) in units of u:
 * E = len/64 + log2 64 + 4 per row sum and the roundings after it. Forward:
 * |error of x̂| ≲ E·(|x̂| + mean|x|/σ); times |scale|, plus 4u·|bias| for the multiply-add.
 * Backward: dx = (g − mean g − x̂·mean(g·x̂))/σ errs by E·(|g| + mean|g| + (|x̂| + M)·mean|g·x̂|
 * + |x̂|·mean|g|·M)/σ with g = dy·scale, M = mean|x|/σ (x̂'s own error enters both means); ×2
 * for the roundings of g and the unlisted cross terms. dScale and dBias are sums over
 * count = N·(spatial) terms: (count + 8)·u·Σ|dy·x̂| (+ Σ|dy|·x̂'s error), and (count + 8)·u·Σ|dy|.
 */
const E = (len: number) => (len / 64 + 6 + 4) * u;

// [shape, groups, per-group affine]: instance norm (groups = C), groups of 2–4 channels, one
// group, rank 2–5, rows below/at/above the workgroup size.
const CASES: [number[], number, boolean][] = [
  [[2, 4, 3, 3], 4, false],
  [[2, 6, 5], 3, false],
  [[1, 6, 4, 4], 2, true],
  [[3, 4], 1, false],
  [[1, 8, 2, 2, 4], 4, true],
  [[2, 3, 65], 3, false],
];

function rowStats(x: ArrayLike<number>, rows: number, len: number) {
  const absMean = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let l = 0; l < len; l++) absMean[r] += Math.abs(x[r * len + l]) / len;
  }
  return absMean;
}

testGpu('groupNormalization: forward and backward against f64', getEngine, async (e) => {
  let worst = 0;
  for (const [shape, groups, perGroup] of CASES) {
    const name = `[${shape}] groups ${groups}${perGroup ? ' per-group affine' : ''}`;
    const c = shape[1];
    const affine = perGroup ? groups : c;
    const data = uniform(sizeOf(shape), shape.length * 3 + groups, -2, 3);
    const scale = uniform(affine, 2, 0.5, 2).map((v, i) => (i % 2 ? v : -v));
    const bias = uniform(affine, 3, -1, 1);
    const g = uniform(sizeOf(shape), 4, -1, 1);
    using x = tensor(e, data, shape);
    using s = tensor(e, scale, [affine]);
    using b = tensor(e, bias, [affine]);
    using dy = tensor(e, g, shape);
    using y = groupNormalization(e, x, s, b, { groups, epsilon: 1e-5 });
    const ref = groupNormalizationReference(data, shape, scale, bias, { groups });
    assertArrayEquals(y.shape, shape);
    const rows = shape[0] * groups;
    const len = sizeOf(shape) / rows;
    const absMean = rowStats(data, rows, len);
    const perAffine = sizeOf(shape) / (shape[0] * affine);
    const affineOf = (i: number) => Math.floor(i / perAffine) % affine;
    const forwardBound = ref.data.map((_, i) => {
      const r = Math.floor(i / len);
      const xhat = Math.abs(data[i] - ref.mean[r]) * ref.invStdDev[r];
      return E(len) * (xhat + absMean[r] * ref.invStdDev[r]) * Math.abs(scale[affineOf(i)]) +
        4 * u * Math.abs(bias[affineOf(i)]);
    });
    worst = Math.max(worst, assertClose(await y.read(), ref.data, { bound: forwardBound }, name));

    const grads = groupNormalizationBackward(e, x, s, dy, { groups });
    using dx = grads.dx;
    using dScale = grads.dScale;
    using dBias = grads.dBias;
    const refB = groupNormalizationBackwardReference(data, g, shape, scale, { groups });
    const dxBound = new Float64Array(data.length);
    const dsBound = new Float64Array(affine);
    const dbBound = new Float64Array(affine);
    const count = sizeOf(shape) / affine;
    for (let r = 0; r < rows; r++) {
      const inv = ref.invStdDev[r];
      const M = absMean[r] * inv;
      let meanG = 0;
      let meanGx = 0;
      for (let l = 0; l < len; l++) {
        const i = r * len + l;
        const xhat = Math.abs(data[i] - ref.mean[r]) * inv;
        meanG += Math.abs(g[i] * scale[affineOf(i)]) / len;
        meanGx += Math.abs(g[i] * scale[affineOf(i)]) * xhat / len;
      }
      for (let l = 0; l < len; l++) {
        const i = r * len + l;
        const xhat = Math.abs(data[i] - ref.mean[r]) * inv;
        const gi = Math.abs(g[i] * scale[affineOf(i)]);
        dxBound[i] = 2 * E(len) * inv * (gi + meanG + (xhat + M) * meanGx + xhat * meanG * M);
        dsBound[affineOf(i)] += Math.abs(g[i]) * (xhat * (count + 8) * u + E(len) * (xhat + M));
        dbBound[affineOf(i)] += (count + 8) * u * Math.abs(g[i]);
      }
    }
    worst = Math.max(worst, assertClose(await dx.read(), refB.dx, { bound: dxBound }, name));
    worst = Math.max(
      worst,
      assertClose(await dScale.read(), refB.dScale, { bound: dsBound }, name),
    );
    worst = Math.max(worst, assertClose(await dBias.read(), refB.dBias, { bound: dbBound }, name));
  }
  console.log(`groupNormalization: worst ${worst.toFixed(3)} of the bound`);
});

test('groupNormalization backward reference matches finite differences', () => {
  for (const [shape, groups, perGroup] of CASES.slice(0, 4)) {
    const affine = perGroup ? groups : shape[1];
    const x = uniform(sizeOf(shape), 51, -2, 2);
    const scale = uniform(affine, 52, -2, 2);
    const bias = uniform(affine, 53, -1, 1);
    const g = uniform(sizeOf(shape), 54, -1, 1);
    const exact = groupNormalizationBackwardReference(x, g, shape, scale, { groups });
    const tol = { atol: 1e-8, rtol: 1e-6 };
    const name = `[${shape}] groups ${groups}`;
    const f = (v: Float64Array) => groupNormalizationReference(v, shape, scale, bias, { groups });
    assertClose(exact.dx, finiteDifferenceGradient((v) => f(v).data, x, g), tol, `${name} dx`);
    const byScale = (v: Float64Array) =>
      groupNormalizationReference(x, shape, v, bias, { groups }).data;
    assertClose(exact.dScale, finiteDifferenceGradient(byScale, scale, g), tol, `${name} dScale`);
    const byBias = (v: Float64Array) =>
      groupNormalizationReference(x, shape, scale, v, { groups }).data;
    assertClose(exact.dBias, finiteDifferenceGradient(byBias, bias, g), tol, `${name} dBias`);
  }
});

// [shape, axes]: ONNX's default [0, 2, 3] (a transpose), trailing axes (none), one middle axis.
const MVN: [number[], number[]][] = [
  [[3, 3, 3, 1], [0, 2, 3]],
  [[2, 3, 4, 5], [2, 3]],
  [[2, 5, 3], [1]],
  [[4, 70], [-1]],
];

testGpu('meanVarianceNormalization: forward and backward against f64', getEngine, async (e) => {
  let worst = 0;
  for (const [shape, axes] of MVN) {
    const name = `[${shape}] axes [${axes}]`;
    const data = uniform(sizeOf(shape), 60 + shape.length, -1, 2);
    const g = uniform(sizeOf(shape), 61, -1, 1);
    using x = tensor(e, data, shape);
    using dy = tensor(e, g, shape);
    using y = meanVarianceNormalization(e, x, { axes });
    using dx = meanVarianceNormalizationBackward(e, x, dy, { axes });
    const ref = meanVarianceNormalizationReference(data, shape, axes);
    const refB = meanVarianceNormalizationBackwardReference(data, g, shape, axes);
    // The layer-norm bound per slice (see E above) with M = mean|x|/σ of the element's slice:
    // forward E·(|y| + M); backward 2E·(|g| + mean|g| + (|y| + M)·mean|g·y| + |y|·mean|g|·M)/σ.
    const sorted = axes.map((a) => (a < 0 ? a + shape.length : a)).sort((p, q) => p - q);
    const { groups, len } = slices(shape, sorted);
    const fb = new Float64Array(data.length);
    const bb = new Float64Array(data.length);
    for (const members of groups) {
      let m = 0;
      let absMean = 0;
      for (const i of members) {
        m += data[i] / len;
        absMean += Math.abs(data[i]) / len;
      }
      let v = 0;
      for (const i of members) v += (data[i] - m) ** 2 / len;
      const sigma = Math.sqrt(v);
      const M = absMean / sigma;
      let meanG = 0;
      let meanGy = 0;
      for (const i of members) {
        meanG += Math.abs(g[i]) / len;
        meanGy += Math.abs(g[i] * ref[i]) / len;
      }
      for (const i of members) {
        const yi = Math.abs(ref[i]);
        fb[i] = E(len) * (yi + M);
        bb[i] = 2 * E(len) * (Math.abs(g[i]) + meanG + (yi + M) * meanGy + yi * meanG * M) /
          sigma;
      }
    }
    worst = Math.max(worst, assertClose(await y.read(), ref, { bound: fb }, name));
    worst = Math.max(worst, assertClose(await dx.read(), refB, { bound: bb }, name));
  }
  console.log(`meanVarianceNormalization: worst ${worst.toFixed(3)} of the bound`);
});

test('meanVarianceNormalization backward reference matches finite differences', () => {
  for (const [shape, axes] of MVN.slice(0, 3)) {
    const x = uniform(sizeOf(shape), 71, -2, 2);
    const g = uniform(sizeOf(shape), 72, -1, 1);
    const numeric = finiteDifferenceGradient(
      (v) => meanVarianceNormalizationReference(v, shape, axes),
      x,
      g,
    );
    const exact = meanVarianceNormalizationBackwardReference(x, g, shape, axes);
    assertClose(exact, numeric, { atol: 1e-8, rtol: 1e-6 }, `[${shape}] axes [${axes}]`);
  }
});

testGpu('groupNormalization and MVN: errors', getEngine, async (e) => {
  using x = tensor(e, new Float32Array(12), [1, 6, 2]);
  using s4 = tensor(e, [1, 1, 1, 1], [4]);
  using s6 = tensor(e, new Float32Array(6).fill(1), [6]);
  assertThrows(() => groupNormalization(e, x, s6, s6, { groups: 4 }), ArgumentError, 'divide');
  assertThrows(() => groupNormalization(e, x, s4, s4, { groups: 3 }), ShapeError, 'per channel');
  assertThrows(() => meanVarianceNormalization(e, x, { axes: [3] }), ArgumentError, 'axes [3]');
  await Promise.resolve();
});
