/**
 * UMAP (McInnes, Healy & Melville 2018), following umap-learn's defaults: the fuzzy k-nearest
 * neighbour graph from the exact GPU {@linkcode knn} (ρ, σ and the fuzzy union on the CPU in
 * f64), the curve parameters a, b fitted to `minDist` and `spread`, a PCA initialization, and
 * the layout by stochastic gradient descent on the GPU (`shaders/stats/umap_sgd.wgsl`), one
 * dispatch per epoch.
 *
 * @module
 */

import umapSource from '../../shaders/stats/umap_sgd.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { checkOperand, WORKGROUP_SIZE } from '../ops/common.ts';
import { formatShape, type Tensor, tensor } from '../tensor.ts';
import { knn, KNN_MAX_K, type KnnMetric } from './knn.ts';
import { pca } from './pca.ts';

/** Largest embedding dimension of {@linkcode umap} (the kernel's private vectors). */
export const UMAP_MAX_DIMS = 16;

/** Options for {@linkcode umap}; the defaults are umap-learn's. */
export interface UmapOptions {
  /** Neighbourhood size, the point itself included (as umap-learn counts): 2..65, < N. Default 15. */
  neighbors?: number;
  /** Embedding dimension, 1..min(16, D). Default 2. */
  dims?: number;
  /** SGD epochs. Default 500 when N ≤ 10,000, else 200. */
  epochs?: number;
  /** Minimum distance between embedded points (0 ≤ minDist ≤ spread). Default 0.1. */
  minDist?: number;
  /** Scale of the embedded points. Default 1. */
  spread?: number;
  /** Negative samples per positive sample. Default 5. */
  negativeSampleRate?: number;
  /** Initial SGD learning rate, decaying linearly to 0. Default 1. */
  learningRate?: number;
  /** Seed of the initialization jitter and the negative sampling (a 32-bit integer). Default 1. */
  seed?: number;
  /** Distance in the input space. Default `euclidean`. */
  metric?: KnnMetric;
  /**
   * Called after every epoch (0-based); `embedding` (N×dims, row-major) is read back every
   * 10th epoch and after the last, and is `null` otherwise.
   */
  onEpoch?: (epoch: number, embedding: Float32Array | null) => void;
  /** Cancels the run between epochs: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@linkcode umap} returns. */
export interface UmapResult {
  /** [N, dims] f32 on the GPU. The caller destroys it. */
  embedding: Tensor;
}

/** The fuzzy simplicial set of {@linkcode fuzzyGraph}: a symmetric graph as CSR rows. */
export interface FuzzyGraph {
  /** N + 1 row offsets. */
  rowPtr: Uint32Array;
  /** Column (neighbour) of each entry, ascending within a row. */
  cols: Uint32Array;
  /** Membership strength of each entry, in (0, 1]. */
  weights: Float64Array;
}

const SNAPSHOT_EVERY = 10;

/**
 * umap-learn's `find_ab_params`: least-squares fit of 1 / (1 + a·x^(2b)) to the curve that is 1
 * below `minDist` and exp(−(x − minDist) / spread) above it, on 300 points of [0, 3·spread]
 * (Levenberg–Marquardt in f64 from a = b = 1, as scipy's `curve_fit`). For minDist 0.1 and
 * spread 1 it gives a ≈ 1.5769, b ≈ 0.8951.
 */
export function fitAB(minDist: number, spread: number): { a: number; b: number } {
  const m = 300;
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const x = (3 * spread * i) / (m - 1);
    xs[i] = x;
    ys[i] = x < minDist ? 1 : Math.exp(-(x - minDist) / spread);
  }
  const cost = (a: number, b: number): number => {
    let s = 0;
    for (let i = 0; i < m; i++) {
      const r = 1 / (1 + a * xs[i] ** (2 * b)) - ys[i];
      s += r * r;
    }
    return s;
  };
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  let c = cost(a, b);
  for (let iter = 0; iter < 500; iter++) {
    // J^T J and J^T r of f(x) = 1 / (1 + a·x^(2b)).
    let jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
    for (let i = 0; i < m; i++) {
      const x = xs[i];
      const p = x > 0 ? x ** (2 * b) : 0;
      const f = 1 / (1 + a * p);
      const r = f - ys[i];
      const da = -p * f * f;
      const db = x > 0 ? -a * p * 2 * Math.log(x) * f * f : 0;
      jaa += da * da;
      jab += da * db;
      jbb += db * db;
      ga += da * r;
      gb += db * r;
    }
    let improved = false;
    for (let tries = 0; tries < 30 && !improved; tries++) {
      const haa = jaa * (1 + lambda);
      const hbb = jbb * (1 + lambda);
      const det = haa * hbb - jab * jab;
      const stepA = -(hbb * ga - jab * gb) / det;
      const stepB = -(haa * gb - jab * ga) / det;
      const na = a + stepA;
      const nb = b + stepB;
      const nc = na > 0 && nb > 0 ? cost(na, nb) : Infinity;
      if (nc < c) {
        const done = Math.abs(stepA) < 1e-12 * (1 + a) && Math.abs(stepB) < 1e-12 * (1 + b);
        a = na;
        b = nb;
        c = nc;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (done) return { a, b };
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  return { a, b };
}

/**
 * umap-learn's `smooth_knn_dist` and `compute_membership_strengths`, then the fuzzy union
 * w = a + b − a·b, in f64. `indices`/`distances` are N×k neighbour lists without the point itself
 * (so umap-learn's `n_neighbors` is k + 1, and the target Σ exp(−max(0, d − ρ)/σ) is
 * log2(k + 1)). ρ is the distance to the nearest neighbour; σ comes from 64 bisection steps and
 * is kept at least 1e-3 times the mean neighbour distance (of the point, or of all points when
 * ρ = 0), as in umap-learn.
 */
export function fuzzyGraph(
  indices: Int32Array,
  distances: ArrayLike<number>,
  n: number,
  k: number,
): FuzzyGraph {
  const target = Math.log2(k + 1);
  let meanAll = 0;
  for (let t = 0; t < n * k; t++) meanAll += distances[t];
  meanAll /= n * k;
  const directed = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let rho = 0;
    for (let r = 0; r < k; r++) {
      if (distances[row + r] > 0) {
        rho = distances[row + r];
        break;
      }
    }
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let iter = 0; iter < 64; iter++) {
      let psum = 0;
      for (let r = 0; r < k; r++) {
        const d = distances[row + r] - rho;
        psum += d > 0 ? Math.exp(-d / mid) : 1;
      }
      if (Math.abs(psum - target) < 1e-5) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    let sigma = mid;
    let meanRow = 0;
    for (let r = 0; r < k; r++) meanRow += distances[row + r];
    meanRow /= k;
    sigma = Math.max(sigma, 1e-3 * (rho > 0 ? meanRow : meanAll));
    for (let r = 0; r < k; r++) {
      const j = indices[row + r];
      if (j === i || j < 0) continue;
      const d = distances[row + r] - rho;
      const w = d <= 0 || sigma === 0 ? 1 : Math.exp(-d / sigma);
      if (w > 0) directed.set(i * n + j, w);
    }
  }
  // Fuzzy union: both directions of every pair, w = a + b − a·b.
  const perRow: Array<Array<[number, number]>> = Array.from({ length: n }, () => []);
  for (const [key, w] of directed) {
    const i = Math.floor(key / n);
    const j = key - i * n;
    const back = directed.get(j * n + i);
    if (back === undefined) {
      perRow[i].push([j, w]);
      perRow[j].push([i, w]);
    } else if (i < j) {
      const s = w + back - w * back;
      perRow[i].push([j, s]);
      perRow[j].push([i, s]);
    }
  }
  const rowPtr = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) rowPtr[i + 1] = rowPtr[i] + perRow[i].length;
  const cols = new Uint32Array(rowPtr[n]);
  const weights = new Float64Array(rowPtr[n]);
  for (let i = 0; i < n; i++) {
    perRow[i].sort((p, q) => p[0] - q[0]);
    perRow[i].forEach(([j, w], t) => {
      cols[rowPtr[i] + t] = j;
      weights[rowPtr[i] + t] = w;
    });
  }
  return { rowPtr, cols, weights };
}

/** A seeded uniform generator (mulberry32) for the initialization jitter. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkNumber(
  name: string,
  value: number,
  ok: (v: number) => boolean,
  rule: string,
): void {
  if (typeof value !== 'number' || !ok(value)) {
    throw new ArgumentError(`Cannot run umap: ${name} must be ${rule}, got ${value}`);
  }
}

/**
 * Embeds the rows of `x` ([N, D], f32) in `dims` dimensions with UMAP.
 *
 * Steps: (1) the exact `neighbors − 1` nearest neighbours of each row on the GPU, the per-point ρ
 * and σ and the symmetric fuzzy graph on the CPU in f64 ({@linkcode fuzzyGraph}); edges lighter
 * than max / epochs are dropped, and each edge is sampled every max / w epochs, as in umap-learn.
 * (2) a, b from {@linkcode fitAB}. (3) Initialization: umap-learn uses a spectral layout by
 * default; here it is PCA (umap-learn's `init='pca'`): the first `dims` principal components
 * (of the unit-normalized rows for `cosine`), centred and scaled so the largest |coordinate| is
 * 10, plus N(0, 1e-4²) seeded jitter, then rescaled to [0, 10] per axis as umap-learn does
 * before optimizing. (4) The layout by SGD on the GPU, one dispatch per epoch recorded without
 * readback: attraction along sampled edges, `negativeSampleRate` repulsive samples per edge from
 * a PCG hash of (seed, epoch, edge, sample), gradients clipped to ±4, learning rate
 * learningRate·(1 − epoch/epochs). Where umap-learn's threads update shared coordinates
 * Hogwild-style (racing, without locks), the kernel has each vertex's owner apply that vertex's
 * updates against the epoch-start layout (double-buffered), so the result is deterministic for a
 * seed on a given device; see the shader's header.
 *
 * @example
 * ```ts ignore
 * using x = tensor(engine, vectors, [10000, 100]);
 * const { embedding } = await umap(engine, x, { metric: 'cosine', epochs: 200 });
 * const xy = await embedding.read();
 * embedding.destroy();
 * ```
 * @throws {ShapeError} unless `x` is [N, D] with N ≥ 3.
 * @throws {ArgumentError} for an option out of range (e.g. neighbors ≥ N).
 * @throws the signal's reason when `signal` aborts.
 */
export async function umap(
  engine: Engine,
  x: Tensor,
  options: UmapOptions = {},
): Promise<UmapResult> {
  const op = 'umap';
  checkOperand(engine, op, 'x', x);
  if (x.rank !== 2 || x.shape[0] < 3 || x.shape[1] < 1) {
    throw new ShapeError(
      `Cannot run umap: x must be [N, D] with N ≥ 3 and D ≥ 1, current shape is ` +
        formatShape(x.shape),
    );
  }
  const [n, d] = x.shape;
  const neighbors = options.neighbors ?? 15;
  const dims = options.dims ?? 2;
  const epochs = options.epochs ?? (n <= 10000 ? 500 : 200);
  const minDist = options.minDist ?? 0.1;
  const spread = options.spread ?? 1;
  const negativeSampleRate = options.negativeSampleRate ?? 5;
  const learningRate = options.learningRate ?? 1;
  const seed = options.seed ?? 1;
  const metric = options.metric ?? 'euclidean';
  const isInt = Number.isInteger;
  checkNumber(
    'neighbors',
    neighbors,
    (v) => isInt(v) && v >= 2 && v <= KNN_MAX_K + 1,
    `an integer 2..${KNN_MAX_K + 1}`,
  );
  if (neighbors >= n) {
    throw new ArgumentError(
      `Cannot run umap: neighbors must be less than the ${n} points, got ${neighbors}`,
    );
  }
  const maxDims = Math.min(UMAP_MAX_DIMS, d);
  checkNumber('dims', dims, (v) => isInt(v) && v >= 1 && v <= maxDims, `an integer 1..${maxDims}`);
  checkNumber('epochs', epochs, (v) => isInt(v) && v >= 1, 'a positive integer');
  checkNumber('spread', spread, (v) => Number.isFinite(v) && v > 0, 'positive');
  checkNumber('minDist', minDist, (v) => v >= 0 && v <= spread, `in [0, spread = ${spread}]`);
  checkNumber(
    'negativeSampleRate',
    negativeSampleRate,
    (v) => Number.isFinite(v) && v >= 0,
    'a number ≥ 0',
  );
  checkNumber('learningRate', learningRate, (v) => Number.isFinite(v) && v > 0, 'positive');
  checkNumber(
    'seed',
    seed,
    (v) => isInt(v) && v >= 0 && v <= 0xffffffff,
    'a 32-bit unsigned integer',
  );
  if (metric !== 'euclidean' && metric !== 'cosine') {
    throw new ArgumentError(
      `Cannot run umap: unknown metric '${metric}' (supported: euclidean, cosine)`,
    );
  }
  const signal = options.signal;
  signal?.throwIfAborted();

  // 1. The fuzzy graph.
  const k = neighbors - 1;
  const nn = await knn(engine, x, { k, metric, signal });
  signal?.throwIfAborted();
  const graph = fuzzyGraph(nn.indices, nn.distances, n, k);
  let wMax = 0;
  for (const w of graph.weights) wMax = Math.max(wMax, w);
  const rowPtr = new Uint32Array(n + 1);
  const cols: number[] = [];
  const epsList: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let t = graph.rowPtr[i]; t < graph.rowPtr[i + 1]; t++) {
      const w = graph.weights[t];
      if (w < wMax / epochs) continue;
      cols.push(graph.cols[t]);
      epsList.push(wMax / w);
    }
    rowPtr[i + 1] = cols.length;
  }
  const edges = cols.length;
  const eps = Float32Array.from(epsList);
  const state = new Float32Array(2 * edges);
  for (let e = 0; e < edges; e++) {
    state[2 * e] = eps[e];
    state[2 * e + 1] = negativeSampleRate > 0 ? eps[e] / negativeSampleRate : 0;
  }

  // 2. The curve.
  const { a, b } = fitAB(minDist, spread);

  // 3. PCA initialization.
  const init = await initialLayout(engine, x, dims, metric, seed);
  signal?.throwIfAborted();

  // 4. SGD.
  let from = tensor(engine, init, [n, dims], { label: 'umap.embedding' });
  let to = tensor(engine, init, [n, dims], { label: 'umap.embedding' });
  using rowPtrT = tensor(engine, new Int32Array(rowPtr.buffer), [n + 1], { label: 'umap.rowPtr' });
  using colsT = tensor(engine, Int32Array.from(edges > 0 ? cols : [0]), [Math.max(edges, 1)], {
    label: 'umap.cols',
  });
  using epsT = tensor(engine, edges > 0 ? eps : new Float32Array(1), [Math.max(edges, 1)], {
    label: 'umap.eps',
  });
  using stateT = tensor(engine, edges > 0 ? state : new Float32Array(2), [Math.max(2 * edges, 2)], {
    label: 'umap.state',
  });
  const params = new ArrayBuffer(48);
  const u32 = new Uint32Array(params);
  const f32 = new Float32Array(params);
  u32[0] = n;
  u32[1] = dims;
  f32[4] = a;
  f32[5] = b;
  f32[6] = 1; // repulsion strength γ
  f32[7] = negativeSampleRate;
  u32[8] = seed >>> 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      signal?.throwIfAborted();
      f32[2] = epoch;
      f32[3] = learningRate * (1 - epoch / epochs);
      engine.dispatch({
        code: umapSource,
        label: 'stats/umap_sgd.wgsl',
        constants: { WG: WORKGROUP_SIZE },
        bindings: [
          from.buffer,
          to.buffer,
          rowPtrT.buffer,
          colsT.buffer,
          epsT.buffer,
          stateT.buffer,
          engine.constants('umap.params', u32.slice()),
        ],
        workgroups: Math.ceil(n / WORKGROUP_SIZE),
      });
      [from, to] = [to, from];
      const last = epoch === epochs - 1;
      if ((epoch + 1) % SNAPSHOT_EVERY === 0 || last) {
        // Bound the queued work and let an abort arrive; read back only for a caller who asks.
        if (options.onEpoch) {
          const snapshot = await from.readFloat32();
          options.onEpoch(epoch, snapshot);
        } else {
          engine.flush();
          if (!last) await engine.sync();
        }
      } else {
        options.onEpoch?.(epoch, null);
      }
    }
    signal?.throwIfAborted();
  } catch (error) {
    from.destroy();
    throw error;
  } finally {
    to.destroy();
  }
  return { embedding: from };
}

/** PCA layout scaled as umap-learn's `noisy_scale_coords` and then to [0, 10] per axis. */
async function initialLayout(
  engine: Engine,
  x: Tensor,
  dims: number,
  metric: KnnMetric,
  seed: number,
): Promise<Float32Array> {
  const [n, d] = x.shape;
  let source = x;
  let normalized: Tensor | null = null;
  if (metric === 'cosine') {
    const data = await x.readFloat32();
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += data[i * d + j] ** 2;
      const scale = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let j = 0; j < d; j++) data[i * d + j] *= scale;
    }
    normalized = tensor(engine, data, [n, d], { label: 'umap.normalized' });
    source = normalized;
  }
  let coords: Float64Array;
  try {
    const { projection } = await pca(engine, source, { components: dims });
    try {
      coords = Float64Array.from(await projection.readFloat32());
    } finally {
      projection.destroy();
    }
  } finally {
    normalized?.destroy();
  }
  let maxAbs = 0;
  for (let c = 0; c < dims; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += coords[i * dims + c];
    mean /= n;
    for (let i = 0; i < n; i++) {
      coords[i * dims + c] -= mean;
      maxAbs = Math.max(maxAbs, Math.abs(coords[i * dims + c]));
    }
  }
  const next = random(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  for (let t = 0; t < n * dims; t++) {
    coords[t] = (maxAbs > 0 ? (coords[t] * 10) / maxAbs : 0) + 1e-4 * gauss();
  }
  const out = new Float32Array(n * dims);
  for (let c = 0; c < dims; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, coords[i * dims + c]);
      hi = Math.max(hi, coords[i * dims + c]);
    }
    for (let i = 0; i < n; i++) {
      out[i * dims + c] = hi > lo ? (10 * (coords[i * dims + c] - lo)) / (hi - lo) : 0;
    }
  }
  return out;
}
