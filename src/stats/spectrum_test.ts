import { assert, assertClose, assertRejects, assertThrows } from '../../test/assert.ts';
import { RUNNER, sharedEngine, test, testGpu } from '../../test/harness.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import { matrixWithSpectrum } from './linalg.ts';
import {
  effectiveRank,
  singularValues,
  singularValuesReference,
  spectralNorm,
  stableRank,
  stableRankReference,
  topSingularValues,
} from './spectrum.ts';

const getEngine = sharedEngine();

/** σᵢ = top·ratioⁱ, i < r. */
function geometric(r: number, top: number, ratio: number): Float64Array {
  return Float64Array.from({ length: r }, (_, i) => top * ratio ** i);
}

function relativeErrors(got: ArrayLike<number>, want: ArrayLike<number>, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.abs(got[i] - want[i]) / want[i]);
}

/** |cosine| between column j of x (rows×kx) and column j of y (rows×ky). */
function columnCosine(x: Float64Array, kx: number, y: Float64Array, ky: number, j: number): number {
  const rows = x.length / kx;
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < rows; i++) {
    const a = x[i * kx + j];
    const b = y[i * ky + j];
    xy += a * b;
    xx += a * a;
    yy += b * b;
  }
  return Math.abs(xy) / Math.sqrt(xx * yy);
}

// The bound: the top 10 within 1e-3 relative. The f32 products contribute about
// √n·u·σ₁ (≈ 1e-6·σ₁ here) and the randomized error, (σ₂₁/σ₁₀)^9 for the 0.8 decay, is ~1e-10.
// Singular vectors of values 20% apart: |cos| ≥ 0.999 (the error is ≈ f32 noise / gap).
async function checkTop(engine: Engine, m: number, n: number, sigma: Float64Array, seed: number) {
  const known = matrixWithSpectrum(m, n, sigma, seed);
  using a = tensor(engine, Float32Array.from(known.a), [m, n]);
  const k = 10;
  const got = await topSingularValues(engine, a, { k });
  const errors = relativeErrors(got.values, sigma, k);
  console.log(
    `topSingularValues ${m}×${n} relative errors: ${errors.map((e) => e.toExponential(1))}`,
  );
  assertClose(got.values, sigma.subarray(0, k), { rtol: 1e-3 }, `top-${k} of ${m}×${n}`);
  const r = sigma.length;
  for (let j = 0; j < k; j++) {
    const cu = columnCosine(got.left, k, known.u, r, j);
    const cv = columnCosine(got.right, k, known.v, r, j);
    assert(cu >= 0.999 && cv >= 0.999, `${m}×${n} vector ${j}: |cos| left ${cu}, right ${cv}`);
  }
}

testGpu('topSingularValues: 256×256 with a known decaying spectrum', getEngine, async (engine) => {
  await checkTop(engine, 256, 256, geometric(256, 10, 0.8), 21);
});

testGpu('topSingularValues: rectangular 300×120 and 120×300', getEngine, async (engine) => {
  await checkTop(engine, 300, 120, geometric(120, 3, 0.8), 22);
  await checkTop(engine, 120, 300, geometric(120, 3, 0.8), 23);
});

testGpu(
  'topSingularValues: k = min(m, n) on a small matrix, no oversampling',
  getEngine,
  async (engine) => {
    const sigma = Float64Array.from([4, 3, 2, 1, 0.5]);
    const known = matrixWithSpectrum(9, 5, sigma, 5);
    using a = tensor(engine, Float32Array.from(known.a), [9, 5]);
    const got = await topSingularValues(engine, a, { k: 5, oversample: 0, iterations: 0 });
    // l = min(m, n): the sketch spans the whole column space, so the result is exact up to f32.
    assertClose(got.values, sigma, { rtol: 1e-5 }, 'all five');
  },
);

// Gram route: |Δσᵢ| ≈ c·u·σ₁²/σᵢ, with c ≈ √K ≈ 11 for K = 128 ⇒ relative ≈ 7e-7·(σ₁/σᵢ)².
// With σ₁/σᵢ ≤ 10 that is ≤ 7e-5·σ₁/σᵢ; we allow 1e-4·σ₁/σᵢ.
testGpu(
  'singularValues: full spectrum of 128×96 and 96×128 via the Gram matrix',
  getEngine,
  async (engine) => {
    const sigma = Float64Array.from({ length: 96 }, (_, i) => 0.1 ** (i / 95));
    for (const [m, n] of [[128, 96], [96, 128]]) {
      const known = matrixWithSpectrum(m, n, sigma, m);
      using a = tensor(engine, Float32Array.from(known.a), [m, n]);
      const got = await singularValues(engine, a);
      assert(got.length === 96, `min(m, n) values, got ${got.length}`);
      const bound = sigma.map((s) => 1e-4 * sigma[0] / s * s);
      const worst = assertClose(got, sigma, { bound }, `singularValues ${m}×${n}`);
      const errors = relativeErrors(got, sigma, 96);
      console.log(
        `singularValues ${m}×${n}: max relative error ${Math.max(...errors).toExponential(2)} ` +
          `(σ₉₆ ${errors[95].toExponential(2)}), ${(worst * 100).toFixed(1)}% of the tolerance`,
      );
    }
  },
);

testGpu(
  'spectralNorm, stableRank, effectiveRank against f64 formulas',
  getEngine,
  async (engine) => {
    const sigma = geometric(60, 2, 0.9);
    const known = matrixWithSpectrum(150, 60, sigma, 31);
    using a = tensor(engine, Float32Array.from(known.a), [150, 60]);
    // σ₁ and ‖A‖_F from f32 products and sums: 1e-5 relative covers √n·u and rounding A to f32.
    const norm = await spectralNorm(engine, a);
    assertClose([norm], [2], { rtol: 1e-5 }, 'spectralNorm');
    const wantStable = sigma.reduce((s, v) => s + v * v, 0) / 4;
    assertClose(
      [stableRankReference(known.a, 150, 60)],
      [wantStable],
      { rtol: 1e-12 },
      'reference',
    );
    assertClose([await stableRank(engine, a)], [wantStable], { rtol: 1e-5 }, 'stableRank');
    // Entropy of p = σ/Σσ moves by ≤ Σ|Δpᵢ|·|log pᵢ + 1|: the small values' Gram error is damped
    // by their small weight. 1e-4 relative.
    const values = await singularValues(engine, a);
    assertClose([effectiveRank(values)], [effectiveRank(sigma)], { rtol: 1e-4 }, 'effectiveRank');
    assertClose(singularValuesReference(known.a, 150, 60), sigma, { rtol: 1e-12 }, 'f64 reference');
  },
);

test('effectiveRank: flat, one-hot and zero spectra; bad values', () => {
  assertClose([effectiveRank([1, 1, 1, 1])], [4], { rtol: 1e-15 }, 'flat');
  assertClose([effectiveRank([3, 0, 0])], [1], { rtol: 0 }, 'one-hot');
  assert(effectiveRank([0, 0]) === 0, 'zero spectrum');
  assertThrows(() => effectiveRank([1, -1]), ArgumentError, 'element 1 is -1');
  assertThrows(() => effectiveRank([NaN]), ArgumentError, 'element 0 is NaN');
});

testGpu('spectrum functions reject bad inputs before the GPU', getEngine, async (engine) => {
  using v = tensor(engine, [1, 2, 3]);
  using m = tensor(engine, new Float32Array(12), [4, 3]);
  using i = tensor(engine, new Int32Array(12), [4, 3]);
  using big = tensor(engine, new Float32Array(1025 * 2), [1025, 2]);
  await assertRejects(topSingularValues(engine, v), ShapeError, 'must be 2-D');
  await assertRejects(topSingularValues(engine, i), ArgumentError, 'must be f32');
  await assertRejects(topSingularValues(engine, m, { k: 0 }), ArgumentError, 'k must be');
  await assertRejects(topSingularValues(engine, m, { k: 4 }), ArgumentError, '1..3, got 4');
  await assertRejects(topSingularValues(engine, m, { k: 2.5 }), ArgumentError, 'k must be');
  await assertRejects(
    topSingularValues(engine, m, { iterations: -1 }),
    ArgumentError,
    'iterations',
  );
  await assertRejects(singularValues(engine, big), ArgumentError, 'limit of 1024×1024');
  await assertRejects(singularValues(engine, v), ShapeError, 'must be 2-D');
  await assertRejects(stableRank(engine, i), ArgumentError, 'must be f32');
});

testGpu(
  'topSingularValues: 1024×1024 with a known spectrum, top 10 within 1e-3 (issue acceptance)',
  getEngine,
  async (engine) => {
    // Rank 256 with a slow harmonic decay σᵢ = 1/(i + 1): a harder case than geometric decay.
    const sigma = Float64Array.from({ length: 256 }, (_, i) => 1 / (i + 1));
    const known = matrixWithSpectrum(1024, 1024, sigma, 1024);
    using a = tensor(engine, Float32Array.from(known.a), [1024, 1024]);
    const start = performance.now();
    const got = await topSingularValues(engine, a, { k: 10 });
    const errors = relativeErrors(got.values, sigma, 10);
    console.log(
      `topSingularValues 1024×1024 (${(performance.now() - start).toFixed(0)} ms) relative ` +
        `errors: ${errors.map((e) => e.toExponential(2)).join(', ')}`,
    );
    assertClose(got.values, sigma.subarray(0, 10), { rtol: 1e-3 }, 'top 10 of 1024×1024');
  },
  { ignore: RUNNER === 'browser' ? '1024×1024 at software speed' : false },
);
