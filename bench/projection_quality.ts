// Quality of 2-D projections of the 10,000-word GloVe subset (cosine): neighbour preservation
// (of each word's 10 nearest in 100-D, the fraction within its 30 nearest in 2-D), trustworthiness
// (k = 10), wall time, and the 2-D neighbours of a few words.
//
//   deno run -A bench/projection_quality.ts tsne|umap|umap-js [--epochs N] [--n N] [--seed S]
//     [--perplexity P] [--neighbors K] [--negative R] [--out FILE.f32]
import { createEngine } from '../src/gpu/engine.ts';
import { knn } from '../src/stats/knn.ts';
import { neighbourPreservation, trustworthiness } from '../src/stats/trustworthiness.ts';
import { tsne } from '../src/stats/tsne.ts';
import { umap } from '../src/stats/umap.ts';
import { tensor } from '../src/tensor.ts';

const args = Deno.args;
const method = args[0] ?? 'umap';
const opt = (name: string): number | undefined => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : Number(args[i + 1]);
};
const outIdx = args.indexOf('--out');
const n = opt('n') ?? 10000;
const d = 100;
const bytes = await Deno.readFile(new URL('../data/glove/glove_10k_100d.f32', import.meta.url));
const all = new Float32Array(bytes.buffer, bytes.byteOffset, 10000 * d);
const data = all.slice(0, n * d);
const words: string[] = JSON.parse(
  await Deno.readTextFile(new URL('../data/glove/words.json', import.meta.url)),
);
using engine = await createEngine();
console.log(`adapter: ${engine.adapterName}; ${method} on ${n}×${d} GloVe (cosine)`);
using x = tensor(engine, data, [n, d]);
const seed = opt('seed') ?? 1;
const t0 = performance.now();
let y: Float32Array;
if (method === 'umap') {
  using emb = (await umap(engine, x, {
    metric: 'cosine',
    epochs: opt('epochs'),
    seed,
    neighbors: opt('neighbors'),
    negativeSampleRate: opt('negative'),
  })).embedding;
  y = await emb.readFloat32();
} else if (method === 'tsne') {
  using emb = (await tsne(engine, x, {
    metric: 'cosine',
    iterations: opt('epochs'),
    perplexity: opt('perplexity'),
    gridSize: opt('grid'),
    method: args.includes('--exact') ? 'exact' : 'grid',
    learningRate: opt('lr'),
  })).embedding;
  y = await emb.readFloat32();
} else if (method === 'umap-js') {
  const { UMAP } = await import('umap-js');
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const cosine = (a: number[], b: number[]) => {
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < a.length; i++) {
      ab += a[i] * b[i];
      aa += a[i] * a[i];
      bb += b[i] * b[i];
    }
    return 1 - ab / Math.sqrt(aa * bb);
  };
  const rows = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, i * d + d)));
  const u = new UMAP({
    nComponents: 2,
    nNeighbors: opt('neighbors') ?? 15,
    nEpochs: opt('epochs'),
    distanceFn: cosine,
    random,
  });
  const out = u.fit(rows);
  y = Float32Array.from(out.flat());
} else {
  throw new Error(`unknown method ${method}`);
}
const seconds = (performance.now() - t0) / 1000;
if (outIdx >= 0) await Deno.writeFile(args[outIdx + 1], new Uint8Array(y.buffer));
using emb = tensor(engine, y, [n, 2]);
const high = await knn(engine, x, { k: 10, metric: 'cosine' });
const low = await knn(engine, emb, { k: 30 });
const kept = neighbourPreservation(high.indices, low.indices, 10, 30);
const trust = await trustworthiness(engine, x, emb, { k: 10, metric: 'cosine' });
console.log(
  `${method}: ${seconds.toFixed(1)} s; neighbour preservation (10 in 30) ${kept.toFixed(4)}; ` +
    `trustworthiness(10) ${trust.toFixed(4)}`,
);
for (const word of ['king', 'paris', 'monday', 'red', 'three', 'dog']) {
  const i = words.indexOf(word);
  if (i < 0 || i >= n) continue;
  const near = Array.from(low.indices.subarray(i * 30, i * 30 + 8), (j) => words[j]);
  console.log(`  ${word}: ${near.join(', ')}`);
}
