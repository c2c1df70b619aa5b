// `npm run bench:browser` (with the other bench files): statistics and PCA through glassbox, next
// to TensorFlow.js's WebGPU backend (`moments`, `matMul`) and ml-matrix (CPU), in the same
// Chromium session on the same data — 1M values for the statistics, the 10,000×100 GloVe subset
// for PCA. Checks that they agree and prints median times and ratios.
import { createEngine } from '../src/gpu/engine.ts';
import { knn } from '../src/stats/knn.ts';
import { pca } from '../src/stats/pca.ts';
import { neighbourPreservation } from '../src/stats/trustworthiness.ts';
import { umap } from '../src/stats/umap.ts';
import { tensorStats } from '../src/stats/tensor_stats.ts';
import { tensor } from '../src/tensor.ts';
import { loadBytes } from '../test/files.ts';
import { test } from '../test/harness.ts';
import { uniform } from '../test/random.ts';
import { quantile } from './harness.ts';

const SAMPLES = 5;

// Bundled by bench/wtr.config.mjs (the peers ship CommonJS parts).
const peers = './dist/peers.js';
const { tf, EVD, Matrix, UMAP } = await import(peers) as typeof import('./peers.ts');

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return quantile(times, 0.5);
}

test(
  'statistics and PCA: glassbox vs TensorFlow.js (WebGPU) and ml-matrix (Chromium)',
  async () => {
    using engine = await createEngine();
    await tf.setBackend('webgpu');
    await tf.ready();
    const lines = [
      `statistics on Chromium, adapter: ${engine.adapterName}, tfjs backend ${tf.getBackend()}`,
    ];
    if (engine.info.isFallbackAdapter) {
      lines.push('software adapter: ratios only; absolute times are not speed claims.');
    }
    lines.push(
      'task                         glassbox ms  tfjs ms  ml-matrix ms  tfjs/glassbox  ml-matrix/glassbox',
    );
    const row = (task: string, g: number, t: number, m: number) =>
      lines.push(
        `${task.padEnd(28)} ${g.toFixed(1).padStart(11)} ${t.toFixed(1).padStart(8)} ${
          m.toFixed(1).padStart(13)
        } ${(t / g).toFixed(2).padStart(14)} ${(m / g).toFixed(2).padStart(19)}`,
      );

    // Mean and variance of 1M values (glassbox also computes min, max, norms and a histogram).
    const data = uniform(1 << 20, 5, -1, 3);
    using x = tensor(engine, data, [data.length]);
    let ours = await tensorStats(engine, x);
    const g1 = await time(async () => (ours = await tensorStats(engine, x)));
    const tx = tf.tensor1d(data);
    let theirs = { mean: 0, variance: 0 };
    const t1 = await time(async () => {
      const m = tf.moments(tx);
      theirs = { mean: (await m.mean.data())[0], variance: (await m.variance.data())[0] };
      m.mean.dispose();
      m.variance.dispose();
    });
    const mx = Matrix.rowVector(Array.from(data));
    let ml = { mean: 0, variance: 0 };
    const m1 = await time(() =>
      Promise.resolve(ml = { mean: mx.mean(), variance: mx.variance({ unbiased: false }) })
    );
    tx.dispose();
    for (const other of [theirs, ml]) {
      if (Math.abs(other.mean - ours.mean) > 1e-4 * Math.abs(ours.mean)) {
        throw new Error(`means disagree: ${other.mean} vs ${ours.mean}`);
      }
      if (Math.abs(other.variance - ours.variance) > 1e-3 * ours.variance) {
        throw new Error(`variances disagree: ${other.variance} vs ${ours.variance}`);
      }
    }
    row('moments of 1M values', g1, t1, m1);

    // PCA of the GloVe subset: glassbox end to end; tfjs the covariance product (it has no
    // eigensolver); ml-matrix covariance plus EVD on the CPU.
    const bytes = await loadBytes('data/glove/glove_10k_100d.f32');
    const glove = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const [N, D] = [10000, 100];
    using g = tensor(engine, glove, [N, D]);
    let variance: Float64Array<ArrayBufferLike> = new Float64Array();
    const g2 = await time(async () => {
      const r = await pca(engine, g, { components: 2 });
      variance = r.explainedVariance;
      r.projection.destroy();
    });
    const tg = tf.tensor2d(glove, [N, D]);
    const t2 = await time(async () => {
      const centered = tf.sub(tg, tf.mean(tg, 0));
      const cov = tf.matMul(centered, centered, true, false);
      await cov.data();
      tf.dispose([centered, cov]);
    });
    tg.dispose();
    const rows: number[][] = [];
    for (let i = 0; i < N; i++) rows.push(Array.from(glove.subarray(i * D, (i + 1) * D)));
    const mg = new Matrix(rows);
    let top = 0;
    const m2 = await time(() => {
      const centered = mg.clone().subRowVector(mg.mean('column'));
      const cov = centered.transpose().mmul(centered).div(N - 1);
      const evd = new EVD(cov, { assumeSymmetric: true });
      top = Math.max(...evd.realEigenvalues);
      return Promise.resolve();
    });
    if (Math.abs(top - variance[0]) > 1e-3 * top) {
      throw new Error(
        `first principal variance disagrees: ml-matrix ${top}, glassbox ${variance[0]}`,
      );
    }
    row('PCA of 10k×100 GloVe', g2, t2, m2);
    console.log(lines.join('\n'));
  },
  { timeout: 900_000 },
);

test(
  'UMAP: glassbox vs umap-js (Chromium), same GloVe rows, neighbours and epochs',
  async () => {
    using engine = await createEngine();
    // 2,000 GloVe words (SwiftShader runs the 10,000 too slowly for a bench session), cosine,
    // 15 neighbours, 200 epochs on both sides; one timed run each after a warm-up of glassbox's
    // pipelines (umap-js has none to warm). Both layouts are scored by the same metric.
    const [N, D, NEIGHBORS, EPOCHS] = [2000, 100, 15, 200];
    const bytes = await loadBytes('data/glove/glove_10k_100d.f32');
    const glove = new Float32Array(bytes.buffer, bytes.byteOffset, N * D).slice();
    using x = tensor(engine, glove, [N, D]);
    (await umap(engine, x, { metric: 'cosine', neighbors: NEIGHBORS, epochs: 2 })).embedding
      .destroy();
    let t = performance.now();
    using ours = (await umap(engine, x, {
      metric: 'cosine',
      neighbors: NEIGHBORS,
      epochs: EPOCHS,
    })).embedding;
    await ours.readFloat32();
    const gMs = performance.now() - t;
    const cosine = (a: number[], b: number[]) => {
      let ab = 0, aa = 0, bb = 0;
      for (let i = 0; i < a.length; i++) {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
      }
      return 1 - ab / Math.sqrt(aa * bb);
    };
    const rows = Array.from({ length: N }, (_, i) => Array.from(glove.subarray(i * D, i * D + D)));
    t = performance.now();
    const theirs = new UMAP({
      nComponents: 2,
      nNeighbors: NEIGHBORS,
      nEpochs: EPOCHS,
      distanceFn: cosine,
    }).fit(rows);
    const uMs = performance.now() - t;
    using theirsT = tensor(engine, Float32Array.from(theirs.flat()), [N, 2]);
    const high = await knn(engine, x, { k: 10, metric: 'cosine' });
    const kept = async (emb: typeof ours) =>
      neighbourPreservation(high.indices, (await knn(engine, emb, { k: 30 })).indices, 10, 30);
    console.log(
      [
        `UMAP on Chromium, adapter: ${engine.adapterName}; ${N}×${D} GloVe, cosine, ` +
        `${NEIGHBORS} neighbours, ${EPOCHS} epochs`,
        `glassbox ${gMs.toFixed(0)} ms, umap-js ${uMs.toFixed(0)} ms, ` +
        `umap-js/glassbox ${(uMs / gMs).toFixed(2)}`,
        `10-in-30 neighbour preservation: glassbox ${(await kept(ours)).toFixed(3)}, ` +
        `umap-js ${(await kept(theirsT)).toFixed(3)}`,
      ].join('\n'),
    );
  },
  { timeout: 900_000 },
);
