import { assert, assertClose, assertRejects, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import { qr, seededGaussian } from './linalg.ts';
import { pca, pcaReference } from './pca.ts';

const getEngine = sharedEngine();
const u = 2 ** -24;

/**
 * N×D data with a planted rank-3 structure: an offset mean, three latent directions with
 * standard deviations 5, 3, 2, and isotropic noise of 0.05 — eigenvalue gaps ≫ f32 noise.
 */
function planted(rows: number, d: number, seed: number): Float32Array<ArrayBuffer> {
  const basis = qr(seededGaussian(d * 3, seed), d, 3).q;
  const z = seededGaussian(rows * 3, seed + 1);
  const noise = seededGaussian(rows * d, seed + 2);
  const scales = [5, 3, 2];
  const out = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < d; j++) {
      let v = 1 + 0.1 * j + 0.05 * noise[i * d + j];
      for (let t = 0; t < 3; t++) v += scales[t] * z[i * 3 + t] * basis[j * 3 + t];
      out[i * d + j] = v;
    }
  }
  return out;
}

// Tolerances. The f32 covariance entries err by about √N·u·(row norm)² ≈ 1e-5 of the largest
// eigenvalue, so explained variances are within 1e-4 relative and the components (gaps ≥ 4 in
// eigenvalue) within 1e-5 in angle: |cos| ≥ 0.9999. Projections: |x·w| ≤ ~15, errors from the
// f32 centering, the f32 W and the angle: 1e-4·max|projection|. Means: a sum of N values,
// within N·u·max|x|.
async function check(engine: Engine, rows: number, d: number, components: number, seed: number) {
  const data = planted(rows, d, seed);
  using x = tensor(engine, data, [rows, d]);
  const got = await pca(engine, x, { components });
  using projection = got.projection;
  const want = pcaReference(data, rows, d, { components });
  const what = `${rows}×${d} c=${components}`;
  assert(
    projection.shape[0] === rows && projection.shape[1] === components,
    `projection shape ${projection.shape}`,
  );
  const varErr = assertClose(got.explainedVariance, want.explainedVariance, { rtol: 1e-4 }, what);
  assertClose(got.explainedVarianceRatio, want.explainedVarianceRatio, { rtol: 1e-4 }, what);
  const maxAbs = data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assertClose(got.mean, want.mean, { atol: rows * u * maxAbs }, `mean ${what}`);
  for (let j = 0; j < components; j++) {
    let dotGW = 0;
    for (let i = 0; i < d; i++) {
      dotGW += got.components[i * components + j] * want.components[i * components + j];
    }
    // Unit vectors: the dot product is the cosine; positive since both follow the sign rule.
    assert(dotGW >= 0.9999, `${what}: component ${j} cosine ${dotGW}`);
  }
  const proj = await projection.read();
  const scale = want.projection.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const projErr = assertClose(proj, want.projection, { atol: 1e-4 * scale }, `projection ${what}`);
  console.log(
    `pca ${what}: explained variance at ${(varErr * 100).toFixed(2)}% of 1e-4 rel, projection at ` +
      `${(projErr * 100).toFixed(2)}% of 1e-4·max`,
  );
  return got;
}

testGpu(
  'pca: planted rank-3 structure, N = 300 (not a multiple of 64)',
  getEngine,
  async (engine) => {
    const got = await check(engine, 300, 24, 3, 7);
    const ratio = got.explainedVarianceRatio.reduce((s, v) => s + v, 0);
    assert(ratio > 0.99, `three components explain ${ratio}`);
    for (let j = 0; j < 3; j++) {
      let best = 0;
      for (let i = 0; i < 24; i++) {
        if (Math.abs(got.components[i * 3 + j]) > Math.abs(got.components[best * 3 + j])) best = i;
      }
      assert(got.components[best * 3 + j] > 0, `component ${j}: largest entry positive`);
    }
  },
);

testGpu('pca: default 2 components, N = 2, 65 and 1000; D = 1 and 5', getEngine, async (engine) => {
  await check(engine, 65, 5, 2, 3);
  await check(engine, 1000, 10, 2, 4);
  // Rows (1, 2) and (3, 6): centered ±(1, 2), covariance [[2, 4], [4, 8]], eigenvalues 10, 0.
  using two = tensor(engine, [1, 2, 3, 6], [2, 2]);
  const tiny = await pca(engine, two);
  tiny.projection.destroy();
  assertClose(tiny.explainedVariance, [10, 0], { atol: 1e-5 }, 'N = 2');
  using column = tensor(engine, [1, 2, 4, 7], [4, 1]);
  const one = await pca(engine, column, { components: 1 });
  assertClose(await one.projection.read(), [-2.5, -1.5, 0.5, 3.5], { atol: 1e-6 }, 'D = 1');
  assertClose(one.components, [1], { atol: 0 }, 'D = 1 axis');
  one.projection.destroy();
});

testGpu('pca rejects bad inputs before the GPU', getEngine, async (engine) => {
  using v = tensor(engine, [1, 2, 3]);
  using single = tensor(engine, [1, 2, 3], [1, 3]);
  using m = tensor(engine, new Float32Array(12), [4, 3]);
  using i = tensor(engine, new Int32Array(12), [4, 3]);
  using wide = tensor(engine, new Float32Array(2 * 4097), [2, 4097]);
  await assertRejects(pca(engine, v), ShapeError, 'must be [N, D]');
  await assertRejects(pca(engine, single), ShapeError, 'N ≥ 2');
  await assertRejects(pca(engine, i), ArgumentError, 'must be f32');
  await assertRejects(pca(engine, m, { components: 0 }), ArgumentError, '1..3, got 0');
  await assertRejects(pca(engine, m, { components: 4 }), ArgumentError, '1..3, got 4');
  await assertRejects(pca(engine, wide), ArgumentError, 'limit of 4096 features');
  assertThrows(() => pcaReference([1, 2, 3], 1, 3), ShapeError, 'N ≥ 2');
  assertThrows(() => pcaReference([1, 2, 3, 4], 2, 2, { components: 3 }), ArgumentError, '1..2');
});
