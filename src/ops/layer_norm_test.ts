import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { layerNormalization, layerNormalizationReference } from './layer_norm.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

/**
 * Per-element error bound of the f32 kernel (see layer_norm.wgsl): each row sum errs by about
 * k·u·Σ|terms| with k = len/64 + log2 64; the mean's error, times 1/σ, and the variance's
 * relative error (halved by the square root) reach y through x̂ and the scale; then a few
 * rounded operations (subtract, two products, inverseSqrt's 2 ulp) and the bias add; with
 * S = max|scale| and B = max|bias|:
 *   (k + 4)·u·(|x̂| + mean|x|·invStd)·S + 4u·B.
 * Observed errors are 5–15% of it (a worst-case bound: the sums' errors rarely align).
 */
function bound(
  x: ArrayLike<number>,
  len: number,
  ref: { mean: Float64Array; invStdDev: Float64Array },
  scale: ArrayLike<number>,
  bias: ArrayLike<number> = [0],
): Float64Array {
  const k = len / 64 + 6 + 4;
  const S = Math.max(...Array.from(scale, Math.abs));
  const B = Math.max(...Array.from(bias, Math.abs));
  const out = new Float64Array(x.length);
  for (let r = 0; r < ref.mean.length; r++) {
    let mag = 0;
    for (let l = 0; l < len; l++) mag += Math.abs(x[r * len + l]);
    mag /= len;
    for (let l = 0; l < len; l++) {
      const xhat = Math.abs(x[r * len + l] - ref.mean[r]) * ref.invStdDev[r];
      out[r * len + l] = (k + 4) * u * (xhat + mag * ref.invStdDev[r]) * S + 4 * u * B;
    }
  }
  return out;
}

// [x shape, axis, scale shape, bias shape (null: none)]: rows of 1, 63/64/65 and 1000
// elements, several normalized axes, scale/bias broadcast from a suffix or with leading ones.
const CASES: [number[], number, number[], number[] | null][] = [
  [[3, 1], -1, [1], [1]],
  [[2, 63], -1, [63], [63]],
  [[4, 64], 1, [64], null],
  [[3, 65], -1, [65], [65]],
  [[2, 1000], -1, [1000], [1000]],
  [[2, 3, 5, 7], 2, [5, 7], [5, 7]],
  [[2, 3, 5, 7], -3, [5, 7], [1, 7]], // broadcast over the normalized axes
  [[2, 3, 5, 7], 0, [1, 1, 1, 7], [3, 5, 7]],
  [[5, 16], 1, [1, 16], [1]],
  [[6], 0, [6], [6]],
];

testGpu('layerNormalization: cases against f64 with a derived bound', getEngine, async (e) => {
  for (const [shape, axis, scaleShape, biasShape] of CASES) {
    const data = uniform(sizeOf(shape), shape.length + shape[shape.length - 1], -3, 5);
    const scale = uniform(sizeOf(scaleShape), 2, 0.5, 2).map((v, i) => (i % 3 ? v : -v));
    const bias = biasShape ? uniform(sizeOf(biasShape), 3, -1, 1) : undefined;
    using x = tensor(e, data, shape);
    using s = tensor(e, scale, scaleShape);
    using b = bias && biasShape ? tensor(e, bias, biasShape) : undefined;
    using y = layerNormalization(e, x, s, b, { axis });
    const ref = layerNormalizationReference(data, shape, {
      scale,
      scaleShape,
      bias,
      biasShape: biasShape ?? undefined,
      axis,
    });
    const len = sizeOf(shape.slice(axis < 0 ? axis + shape.length : axis));
    assertArrayEquals(y.shape, shape);
    assertClose(
      await y.read(),
      ref.data,
      { bound: bound(data, len, ref, scale, bias) },
      `${shape}`,
    );
  }
});

testGpu(
  'layerNormalization: stable far from zero, constant rows, epsilon',
  getEngine,
  async (e) => {
    // Rows offset by 1000 with unit spread: a one-pass E[x²] − E[x]² would lose every digit.
    const len = 100;
    const data = uniform(2 * len, 9, -1, 1).map((v, i) => v + (i < len ? 1000 : -500));
    const scale = new Float32Array(len).fill(1);
    using x = tensor(e, data, [2, len]);
    using s = tensor(e, scale, [len]);
    using y = layerNormalization(e, x, s);
    const ref = layerNormalizationReference(data, [2, len], { scale });
    assertClose(await y.read(), ref.data, { bound: bound(data, len, ref, scale) }, 'offset rows');
    // A constant row has variance 0: y = bias (x − mean is exactly 0 for these values).
    using c = tensor(e, [3, 3, 3, 3, -2, -2, -2, -2], [2, 4]);
    using s4 = tensor(e, [1, 2, 3, 4], [4]);
    using b4 = tensor(e, [0.5, -0.5, 0, 1], [4]);
    using yc = layerNormalization(e, c, s4, b4, { epsilon: 1e-3 });
    assertArrayEquals(await yc.read(), [0.5, -0.5, 0, 1, 0.5, -0.5, 0, 1]);
    // Epsilon matters when the variance is small: [−1, 1]·1e-2 with epsilon 1e-4.
    const small = [-1e-2, 1e-2];
    using xs = tensor(e, small, [1, 2]);
    using one = tensor(e, [1, 1], [2]);
    using ys = layerNormalization(e, xs, one, undefined, { epsilon: 1e-4 });
    const refS = layerNormalizationReference(small, [1, 2], { scale: [1, 1], epsilon: 1e-4 });
    assertClose(await ys.read(), refS.data, { rtol: 16 * u }, 'epsilon');
    assertClose(refS.data, [-1 / Math.sqrt(2), 1 / Math.sqrt(2)], { rtol: 1e-12 }, 'reference');
  },
);

testGpu('layerNormalization: folded dispatch over many rows', getFolding, async (engine) => {
  const shape = [30, 7];
  const data = uniform(sizeOf(shape), 4, -2, 2);
  const scale = uniform(7, 5, 0.5, 1.5);
  using x = tensor(engine, data, shape);
  using s = tensor(engine, scale, [7]);
  using y = layerNormalization(engine, x, s); // 30 workgroups: a 4×4×2 grid
  const ref = layerNormalizationReference(data, shape, { scale });
  assertClose(await y.read(), ref.data, { bound: bound(data, 7, ref, scale) });
});

testGpu('layerNormalization: rejects bad shapes, axes, dtypes', getEngine, async (engine) => {
  using x = tensor(engine, uniform(24, 1), [2, 3, 4]);
  using s4 = tensor(engine, uniform(4, 1), [4]);
  using s3 = tensor(engine, uniform(3, 1), [3]);
  using s24 = tensor(engine, uniform(8, 1), [2, 4]);
  using i = tensor(engine, new Int32Array(4), [4]);
  using scalar = tensor(engine, [1], []);
  assertThrows(
    () => layerNormalization(engine, x, s3),
    ShapeError,
    'scale [3] does not broadcast to the normalized shape [4]',
  );
  assertThrows(
    () => layerNormalization(engine, x, s4, s24),
    ShapeError,
    'bias [2, 4] does not broadcast',
  );
  assertThrows(() => layerNormalization(engine, x, s4, undefined, { axis: 3 }), ArgumentError);
  assertThrows(() => layerNormalization(engine, x, i), ArgumentError, 'scale must be f32');
  assertThrows(() => layerNormalization(engine, scalar, s4), ArgumentError, 'rank >= 1');
  assertThrows(
    () => layerNormalization(engine, x, s4, undefined, { epsilon: -1 }),
    ArgumentError,
    'epsilon must be finite',
  );
  await Promise.resolve();
});
