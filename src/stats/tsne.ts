/**
 * t-SNE (van der Maaten & Hinton 2008) on the GPU. Affinities P come from a per-point perplexity
 * calibration on the CPU in f64 — over all pairs for the exact method, over the
 * min(3·perplexity, 64) nearest neighbours of the GPU {@linkcode knn} otherwise. The layout is
 * optimized on the GPU with scikit-learn's schedule (early exaggeration, momentum, gains); the
 * repulsion is either exact (all pairs, small N) or interpolated from a gridded field computed by
 * FFT convolution (FIt-SNE's idea, Linderman et al. 2019, with linear interpolation). Positions
 * stream to the caller every few iterations so a view can animate.
 *
 * @module
 */

import fftSource from '../../shaders/stats/tsne_fft.wgsl' with { type: 'text' };
import gradientSource from '../../shaders/stats/tsne_gradient.wgsl' with { type: 'text' };
import gridSource from '../../shaders/stats/tsne_grid.wgsl' with { type: 'text' };
import reduceSource from '../../shaders/stats/tsne_reduce.wgsl' with { type: 'text' };
import updateSource from '../../shaders/stats/tsne_update.wgsl' with { type: 'text' };
import { type Engine, TENSOR_USAGE } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { checkOperand, WORKGROUP_SIZE } from '../ops/common.ts';
import { formatShape, type Tensor, tensor } from '../tensor.ts';
import { knn, KNN_MAX_K, type KnnMetric } from './knn.ts';
import { pca } from './pca.ts';

/** Largest N for the exact (all pairs) method: its kernel loops over every point. */
export const TSNE_EXACT_MAX_N = 4096;

/**
 * Most neighbours per point of the kNN affinities: {@linkcode KNN_MAX_K} (64), so a perplexity
 * above 21 uses 64 neighbours rather than openTSNE's 3·perplexity.
 */
export const TSNE_MAX_K: number = KNN_MAX_K;

/** Repulsion of {@linkcode tsne}: `exact` all pairs, or `grid` (FFT-interpolated field). */
export type TsneMethod = 'exact' | 'grid';

/** Options for {@linkcode tsne}; the defaults follow scikit-learn and openTSNE. */
export interface TsneOptions {
  /** Effective number of neighbours, > 0 and < N. Default 30 (less for small N: (N − 1) / 3). */
  perplexity?: number;
  /** Optimizer iterations, early exaggeration included. Default 1000. */
  iterations?: number;
  /** `exact` (N ≤ 4096) or `grid`. Default `exact` for N ≤ 1000, else `grid`. */
  method?: TsneMethod;
  /** Learning rate η. Default max(200, N / 12). */
  learningRate?: number;
  /** Early exaggeration α. Default 12. */
  exaggeration?: number;
  /** Iterations with exaggeration and momentum 0.5 (then α = 1, momentum 0.8). Default 250. */
  exaggerationIterations?: number;
  /** Distance in the input space. Default `euclidean` (affinities from d²; cosine: 1 − cos). */
  metric?: KnnMetric;
  /**
   * Grid nodes per axis for `grid` (a power of two, 16..512). Default 128, or 256 when
   * N > 20,000.
   */
  gridSize?: number;
  /** Initial layout, N×2 row-major. Default PCA scaled to a first-axis std of 1e-4. */
  init?: Float32Array;
  /**
   * Called after every iteration (0-based); `positions` (N×2, row-major) is read back every
   * `snapshotEvery` iterations and after the last, `null` otherwise.
   */
  onIteration?: (iteration: number, positions: Float32Array | null) => void;
  /** Stride of the snapshots passed to `onIteration`. Default 10. */
  snapshotEvery?: number;
  /** Cancels the run between iterations: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@linkcode tsne} returns. */
export interface TsneResult {
  /** [N, 2] f32 on the GPU. The caller destroys it. */
  embedding: Tensor;
  /** The method used. */
  method: TsneMethod;
}

/** Symmetric affinities P as CSR rows (Σ of all entries = 1). */
export interface TsneAffinities {
  /** N + 1 row offsets. */
  rowPtr: Uint32Array;
  /** Column j of each entry, ascending within a row. */
  cols: Uint32Array;
  /** p_ij of each entry. */
  values: Float64Array;
}

/**
 * Conditional probabilities p_{j|i} ∝ exp(−β·d_j) of one point over its candidate distances `d`
 * (squared euclidean, or cosine distance), with β found by bisection so that the entropy is
 * log(perplexity) (scikit-learn's `_binary_search_perplexity`: 100 steps, tolerance 1e-5 nats).
 * Writes into `out` and returns it.
 */
export function perplexityRow(
  d: ArrayLike<number>,
  perplexity: number,
  out: Float64Array = new Float64Array(d.length),
): Float64Array {
  const m = d.length;
  let dMin = Infinity;
  for (let r = 0; r < m; r++) dMin = Math.min(dMin, d[r]);
  const target = Math.log(perplexity);
  let beta = 1;
  let lo = -Infinity;
  let hi = Infinity;
  for (let step = 0; step < 100; step++) {
    let sum = 0;
    let sumDP = 0;
    for (let r = 0; r < m; r++) {
      const dr = d[r] - dMin;
      const p = Math.exp(-dr * beta);
      out[r] = p;
      sum += p;
      sumDP += dr * p;
    }
    const entropy = Math.log(sum) + (beta * sumDP) / sum;
    for (let r = 0; r < m; r++) out[r] /= sum;
    const diff = entropy - target;
    if (Math.abs(diff) <= 1e-5) break;
    if (diff > 0) {
      lo = beta;
      beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
    } else {
      hi = beta;
      beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
    }
  }
  return out;
}

/**
 * Symmetric t-SNE affinities from neighbour lists: `indices`/`distances` are N rows of `k`
 * (neighbours only, not the point itself; distances as {@linkcode knn} returns them).
 * p_{j|i} from {@linkcode perplexityRow} on d² (euclidean) or d (cosine, 1 − cos, which is
 * ½‖x̂ᵢ − x̂ⱼ‖² on unit rows), then p_ij = (p_{j|i} + p_{i|j}) / 2N over the union of the lists.
 */
export function tsneAffinities(
  indices: Int32Array,
  distances: ArrayLike<number>,
  n: number,
  k: number,
  options: { perplexity: number; metric: KnnMetric },
): TsneAffinities {
  const rows: Array<Map<number, number>> = Array.from({ length: n }, () => new Map());
  const d = new Float64Array(k);
  const p = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < k; r++) {
      const v = distances[i * k + r];
      d[r] = options.metric === 'euclidean' ? v * v : v;
    }
    perplexityRow(d, options.perplexity, p);
    for (let r = 0; r < k; r++) {
      const j = indices[i * k + r];
      if (j === i || j < 0) continue;
      const v = p[r] / (2 * n);
      rows[i].set(j, (rows[i].get(j) ?? 0) + v);
      rows[j].set(i, (rows[j].get(i) ?? 0) + v);
    }
  }
  return toCsr(rows);
}

function toCsr(rows: Array<Map<number, number>>): TsneAffinities {
  const n = rows.length;
  const rowPtr = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) rowPtr[i + 1] = rowPtr[i] + rows[i].size;
  const cols = new Uint32Array(rowPtr[n]);
  const values = new Float64Array(rowPtr[n]);
  for (let i = 0; i < n; i++) {
    const entries = [...rows[i]].sort((a, b) => a[0] - b[0]);
    entries.forEach(([j, v], t) => {
      cols[rowPtr[i] + t] = j;
      values[rowPtr[i] + t] = v;
    });
  }
  return { rowPtr, cols, values };
}

/**
 * Exact symmetric affinities over all pairs, in f64 on the CPU (O(N²·D)): as
 * {@linkcode tsneAffinities} with every other point a candidate neighbour. `data` is N×`dims`.
 */
export function tsneExactAffinities(
  data: ArrayLike<number>,
  dims: number,
  options: { perplexity: number; metric: KnnMetric },
): TsneAffinities {
  const n = data.length / dims;
  const x = Float64Array.from(data);
  if (options.metric === 'cosine') {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < dims; c++) s += x[i * dims + c] ** 2;
      const scale = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let c = 0; c < dims; c++) x[i * dims + c] *= scale;
    }
  }
  const rows: Array<Map<number, number>> = Array.from({ length: n }, () => new Map());
  const d = new Float64Array(n - 1);
  const p = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0, r = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < dims; c++) s += (x[i * dims + c] - x[j * dims + c]) ** 2;
      d[r++] = options.metric === 'cosine' ? s / 2 : s;
    }
    perplexityRow(d, options.perplexity, p);
    for (let j = 0, r = 0; j < n; j++) {
      if (j === i) continue;
      const v = p[r++] / (2 * n);
      rows[i].set(j, (rows[i].get(j) ?? 0) + v);
      rows[j].set(i, (rows[j].get(i) ?? 0) + v);
    }
  }
  return toCsr(rows);
}

/**
 * f64 reference of the exact t-SNE gradient ∂KL/∂y_i = 4·Σ_j (α·p_ij − q_ij)·w_ij·(y_i − y_j),
 * w_ij = 1 / (1 + ‖y_i − y_j‖²), q_ij = w_ij / Z, Z = Σ_{k≠l} w_kl, for `y` N×2. Returns the
 * gradient (N×2) and Z.
 */
export function tsneGradientReference(
  p: TsneAffinities,
  y: ArrayLike<number>,
  exaggeration = 1,
): { gradient: Float64Array; z: number } {
  const n = p.rowPtr.length - 1;
  const gradient = new Float64Array(2 * n);
  let z = 0;
  const rep = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = y[2 * i] - y[2 * j];
      const dy = y[2 * i + 1] - y[2 * j + 1];
      const w = 1 / (1 + dx * dx + dy * dy);
      z += w;
      rep[2 * i] += w * w * dx;
      rep[2 * i + 1] += w * w * dy;
    }
    for (let e = p.rowPtr[i]; e < p.rowPtr[i + 1]; e++) {
      const j = p.cols[e];
      const dx = y[2 * i] - y[2 * j];
      const dy = y[2 * i + 1] - y[2 * j + 1];
      const w = 1 / (1 + dx * dx + dy * dy);
      gradient[2 * i] += 4 * exaggeration * p.values[e] * w * dx;
      gradient[2 * i + 1] += 4 * exaggeration * p.values[e] * w * dy;
    }
  }
  for (let t = 0; t < 2 * n; t++) gradient[t] -= (4 * rep[t]) / z;
  return { gradient, z };
}

/** Optimizer state of {@linkcode tsneStepReference}: N×2 arrays, updated in place. */
export interface TsneState {
  /** Positions. */
  y: Float64Array;
  /** Previous update (velocity). */
  update: Float64Array;
  /** Per-coordinate gains. */
  gains: Float64Array;
}

/**
 * f64 reference of one optimizer step of {@linkcode tsne} with the exact gradient (as
 * scikit-learn's `_gradient_descent`): gains +0.2 where sign(gradient) ≠ sign(update), else ×0.8,
 * at least 0.01; update ← momentum·update − η·gain·gradient; y ← y + update. In place.
 */
export function tsneStepReference(
  p: TsneAffinities,
  state: TsneState,
  options: { exaggeration: number; momentum: number; learningRate: number },
): TsneState {
  const { gradient } = tsneGradientReference(p, state.y, options.exaggeration);
  for (let t = 0; t < state.y.length; t++) {
    const g = gradient[t];
    let gain = state.gains[t];
    gain = state.update[t] * g < 0 ? gain + 0.2 : gain * 0.8;
    gain = Math.max(gain, 0.01);
    state.gains[t] = gain;
    state.update[t] = options.momentum * state.update[t] - options.learningRate * gain * g;
    state.y[t] += state.update[t];
  }
  return state;
}

function check(name: string, value: number, ok: (v: number) => boolean, rule: string): void {
  if (typeof value !== 'number' || !ok(value)) {
    throw new ArgumentError(`Cannot run tsne: ${name} must be ${rule}, got ${value}`);
  }
}

/**
 * Embeds the rows of `x` ([N, D], f32) in 2-D with t-SNE.
 *
 * Steps: (1) affinities P on the CPU in f64: {@linkcode tsneExactAffinities} for `exact`;
 * otherwise the GPU {@linkcode knn} with k = min(3·perplexity, 64, N − 1) and
 * {@linkcode tsneAffinities} (openTSNE uses 3·perplexity; {@linkcode TSNE_MAX_K} caps it at 64, so
 * perplexity above 21 is calibrated on 64 neighbours). (2) Initialization: `init`, or the first
 * two principal components (of the unit rows for `cosine`) scaled to a first-axis std of 1e-4 as
 * scikit-learn does. (3) Optimization on the GPU, recorded without readback: per iteration the
 * attractive sums over P's CSR rows and the repulsive sums — all pairs (`exact`), or for `grid`
 * the bounding box → a G×G node grid (spacing h = span / (G − 3)), charges splatted bilinearly,
 * convolved with the kernels 1 / (1 + r²) and (x, y) / (1 + r²)² by 2-D FFTs of the
 * zero-padded 2G×2G arrays, and interpolated back bilinearly (the point's own charge removed) —
 * then Z = Σ w, and the update with gains and momentum. α = `exaggeration` and momentum 0.5 for
 * the first `exaggerationIterations`, then 1 and 0.8.
 *
 * The grid's error is that of linear interpolation at spacing h (O(h²) relative, h ≈ 0.4–0.8
 * for a 10,000-point embedding at G = 128); the tests bound it against the exact gradient.
 *
 * @example
 * ```ts ignore
 * using x = tensor(engine, vectors, [10000, 100]);
 * const { embedding } = await tsne(engine, x, {
 *   metric: 'cosine',
 *   onIteration: (i, xy) => xy && draw(xy),
 * });
 * embedding.destroy();
 * ```
 * @throws {ShapeError} unless `x` is [N, D] with N ≥ 4.
 * @throws {ArgumentError} for an option out of range (e.g. perplexity ≥ N, exact with N > 4096).
 * @throws the signal's reason when `signal` aborts.
 */
export async function tsne(
  engine: Engine,
  x: Tensor,
  options: TsneOptions = {},
): Promise<TsneResult> {
  checkOperand(engine, 'tsne', 'x', x);
  if (x.rank !== 2 || x.shape[0] < 4 || x.shape[1] < 1) {
    throw new ShapeError(
      `Cannot run tsne: x must be [N, D] with N ≥ 4 and D ≥ 1, current shape is ` +
        formatShape(x.shape),
    );
  }
  const [n, d] = x.shape;
  const perplexity = options.perplexity ?? Math.min(30, (n - 1) / 3);
  const iterations = options.iterations ?? 1000;
  const method = options.method ?? (n <= 1000 ? 'exact' : 'grid');
  const learningRate = options.learningRate ?? Math.max(200, n / 12) / 4;
  const exaggeration = options.exaggeration ?? 12;
  const exaggerationIterations = options.exaggerationIterations ?? 250;
  const metric = options.metric ?? 'euclidean';
  const gridSize = options.gridSize ?? (n > 20000 ? 256 : 128);
  const snapshotEvery = options.snapshotEvery ?? 10;
  const isInt = Number.isInteger;
  check('perplexity', perplexity, (v) => Number.isFinite(v) && v > 0 && v < n, `in (0, N = ${n})`);
  check('iterations', iterations, (v) => isInt(v) && v >= 1, 'a positive integer');
  check('learningRate', learningRate, (v) => Number.isFinite(v) && v > 0, 'positive');
  check('exaggeration', exaggeration, (v) => Number.isFinite(v) && v > 0, 'positive');
  check(
    'exaggerationIterations',
    exaggerationIterations,
    (v) => isInt(v) && v >= 0,
    'an integer ≥ 0',
  );
  check('snapshotEvery', snapshotEvery, (v) => isInt(v) && v >= 1, 'a positive integer');
  check(
    'gridSize',
    gridSize,
    (v) => isInt(v) && v >= 16 && v <= 512 && (v & (v - 1)) === 0,
    'a power of two 16..512',
  );
  if (method !== 'exact' && method !== 'grid') {
    throw new ArgumentError(`Cannot run tsne: unknown method '${method}' (supported: exact, grid)`);
  }
  if (method === 'exact' && n > TSNE_EXACT_MAX_N) {
    throw new ArgumentError(
      `Cannot run tsne: the exact method takes at most ${TSNE_EXACT_MAX_N} points, got ${n}; ` +
        `use method 'grid'`,
    );
  }
  if (metric !== 'euclidean' && metric !== 'cosine') {
    throw new ArgumentError(
      `Cannot run tsne: unknown metric '${metric}' (supported: euclidean, cosine)`,
    );
  }
  if (options.init !== undefined && options.init.length !== 2 * n) {
    throw new ArgumentError(
      `Cannot run tsne: init must hold N×2 = ${2 * n} values, got ${options.init.length}`,
    );
  }
  const signal = options.signal;
  signal?.throwIfAborted();

  // 1. Affinities.
  let p: TsneAffinities;
  if (method === 'exact') {
    p = tsneExactAffinities(await x.readFloat32(), d, { perplexity, metric });
  } else {
    const k = Math.min(Math.ceil(3 * perplexity), TSNE_MAX_K, n - 1);
    const nn = await knn(engine, x, { k, metric, signal });
    p = tsneAffinities(nn.indices, nn.distances, n, k, { perplexity, metric });
  }
  signal?.throwIfAborted();

  // 2. Initialization.
  const init = options.init ? Float32Array.from(options.init) : await pcaInit(engine, x, metric);
  signal?.throwIfAborted();

  // 3. Optimization.
  const pos = tensor(engine, init, [n, 2], { label: 'tsne.embedding' });
  const scratch: GPUBuffer[] = [];
  const buffer = (label: string, bytes: number, zero = true): GPUBuffer => {
    const b = engine.pooledBuffer(label, bytes, TENSOR_USAGE, zero);
    scratch.push(b);
    return b;
  };
  const upload = (label: string, data: Uint32Array | Float32Array): GPUBuffer => {
    // A queue write runs before the pending commands: the engine picks a buffer none of them reads.
    const b = engine.uploadBuffer(label, data);
    scratch.push(b);
    return b;
  };
  try {
    const rowPtr = upload('tsne.rowPtr', p.rowPtr);
    const cols = upload('tsne.cols', p.cols.length ? p.cols : new Uint32Array(1));
    const pval = upload(
      'tsne.p',
      p.values.length ? Float32Array.from(p.values) : new Float32Array(1),
    );
    const velocity = buffer('tsne.update', n * 8);
    const gains = upload('tsne.gains', new Float32Array(2 * n).fill(1));
    const stats = buffer('tsne.stats', n * 20);
    const scalars = buffer('tsne.scalars', 32);
    const g = gridSize;
    const len = 2 * g;
    const grid = method === 'grid';
    const counts = grid ? buffer('tsne.counts', g * g * 4) : scalars;
    const rho = grid ? buffer('tsne.rho', len * len * 8) : scalars;
    const kA = grid ? buffer('tsne.kA', len * len * 8) : scalars;
    const kB = grid ? buffer('tsne.kB', len * len * 8) : scalars;
    // Fixed-point charge scale: N·scale < 2^32 (each point adds at most `scale` in total).
    const scale = 2 ** Math.min(16, Math.floor(Math.log2(2 ** 31 / n)));
    const gridParams = new Uint32Array(4);
    gridParams[0] = n;
    gridParams[1] = g;
    gridParams[2] = len;
    new Float32Array(gridParams.buffer)[3] = scale;
    const logLen = Math.log2(len);
    const fft2d = (data: GPUBuffer, inverse: boolean) => {
      for (const [lineStride, elemStride] of [[len, 1], [1, len]]) {
        const params = new Uint32Array(8);
        params.set([len, logLen, lineStride, elemStride]);
        const f = new Float32Array(params.buffer);
        f[4] = inverse ? 1 : -1;
        f[5] = inverse ? 1 / len : 1;
        engine.dispatch({
          code: fftSource,
          label: 'stats/tsne_fft.wgsl',
          constants: { WG: 256 },
          bindings: [data, engine.constants('tsne.fft.params', params)],
          workgroups: [len, 1, 1],
        });
      }
    };
    const gridPass = (mode: number, workgroups: number) =>
      engine.dispatch({
        code: gridSource,
        label: 'stats/tsne_grid.wgsl',
        constants: { WG: WORKGROUP_SIZE, MODE: mode },
        bindings: [
          pos.buffer,
          counts,
          scalars,
          rho,
          kA,
          kB,
          engine.constants('tsne.grid.params', gridParams),
        ],
        workgroups,
      });
    const reduce = (mode: number, src: GPUBuffer) =>
      engine.dispatch({
        code: reduceSource,
        label: 'stats/tsne_reduce.wgsl',
        constants: { WG: 256, MODE: mode },
        bindings: [
          src,
          scalars,
          engine.constants('tsne.reduce.params', new Uint32Array([n, g, 0, 0])),
        ],
        workgroups: 1,
      });
    const pointGroups = Math.ceil(n / WORKGROUP_SIZE);
    for (let iter = 0; iter < iterations; iter++) {
      signal?.throwIfAborted();
      const early = iter < exaggerationIterations;
      if (grid) {
        reduce(0, pos.buffer);
        gridPass(0, pointGroups);
        gridPass(1, Math.ceil((len * len) / WORKGROUP_SIZE));
        fft2d(rho, false);
        fft2d(kA, false);
        fft2d(kB, false);
        gridPass(2, Math.ceil((len * len) / WORKGROUP_SIZE));
        fft2d(kA, true);
        fft2d(kB, true);
      }
      engine.dispatch({
        code: gradientSource,
        label: 'stats/tsne_gradient.wgsl',
        constants: { WG: WORKGROUP_SIZE, MODE: grid ? 1 : 0 },
        bindings: [
          pos.buffer,
          rowPtr,
          cols,
          pval,
          stats,
          kA,
          kB,
          scalars,
          engine.constants('tsne.gradient.params', new Uint32Array([n, g, len, 0])),
        ],
        workgroups: pointGroups,
      });
      reduce(1, stats);
      const up = new Float32Array(4);
      new Uint32Array(up.buffer)[0] = n;
      up[1] = early ? exaggeration : 1;
      up[2] = early ? 0.5 : 0.8;
      up[3] = learningRate;
      engine.dispatch({
        code: updateSource,
        label: 'stats/tsne_update.wgsl',
        constants: { WG: WORKGROUP_SIZE },
        bindings: [
          pos.buffer,
          velocity,
          gains,
          stats,
          scalars,
          engine.constants('tsne.update.params', up),
        ],
        workgroups: pointGroups,
      });
      const last = iter === iterations - 1;
      if ((iter + 1) % snapshotEvery === 0 || last) {
        if (options.onIteration) {
          options.onIteration(iter, await pos.readFloat32());
        } else {
          // Bound the queued work and let an abort arrive.
          engine.flush();
          if (!last) await engine.sync();
        }
      } else {
        options.onIteration?.(iter, null);
      }
    }
    signal?.throwIfAborted();
  } catch (error) {
    pos.destroy();
    throw error;
  } finally {
    for (const b of scratch) engine.release(b);
  }
  return { embedding: pos, method };
}

/** First two principal components (of the unit rows for cosine), first-axis std 1e-4. */
async function pcaInit(engine: Engine, x: Tensor, metric: KnnMetric): Promise<Float32Array> {
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
    normalized = tensor(engine, data, [n, d], { label: 'tsne.normalized' });
    source = normalized;
  }
  let coords: Float32Array;
  try {
    const components = Math.min(2, d);
    const { projection } = await pca(engine, source, { components });
    try {
      const raw = await projection.readFloat32();
      coords = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < components; c++) coords[2 * i + c] = raw[i * components + c];
      }
    } finally {
      projection.destroy();
    }
  } finally {
    normalized?.destroy();
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += coords[2 * i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (coords[2 * i] - mean) ** 2;
  const std = Math.sqrt(v / n);
  const s = std > 0 ? 1e-4 / std : 1;
  for (let t = 0; t < 2 * n; t++) coords[t] *= s;
  return coords;
}
