/**
 * Exact k-nearest neighbours on the GPU (`shaders/stats/knn.wgsl`): brute-force distances from
 * every query to every point, tiled through workgroup memory, with an in-kernel sorted top-k per
 * query, in one submission; and {@linkcode knnReference}, its f64 CPU reference.
 *
 * @module
 */

import knnSource from '../../shaders/stats/knn.wgsl' with { type: 'text' };
import { type Engine, TENSOR_USAGE } from '../gpu/engine.ts';
import { ArgumentError, LimitExceededError, ShapeError } from '../gpu/errors.ts';
import { checkOperand, WORKGROUP_SIZE } from '../ops/common.ts';
import { formatShape, type Tensor } from '../tensor.ts';

/** Largest `k` {@linkcode knn} supports (the kernel's private list length). */
export const KNN_MAX_K = 64;

/** Distance of {@linkcode knn}: `euclidean` ‖q − p‖₂, or `cosine` 1 − cos(q, p). */
export type KnnMetric = 'euclidean' | 'cosine';

/** Options for {@linkcode knn}. */
export interface KnnOptions {
  /** Neighbours per query, 1 to 64 and less than the number of points. Default 10. */
  k?: number;
  /** Distance. Default `euclidean`. */
  metric?: KnnMetric;
  /**
   * Query rows [Q, D]. Default the points themselves, each excluded from its own list.
   */
  queries?: Tensor;
  /**
   * Cancels between passes (each scans a few hundred points for every query): with a signal the
   * passes are waited for one by one, so an abort lands within one pass; the promise rejects with
   * the signal's reason.
   */
  signal?: AbortSignal;
}

/** What {@linkcode knn} returns: row q holds query q's neighbours, nearest first. */
export interface KnnResult {
  /** Q×k point indices, row-major; equal distances list the lower index first. */
  indices: Int32Array;
  /** Q×k distances, ascending per row. */
  distances: Float32Array;
}

const METRICS: Readonly<Record<KnnMetric, number>> = { euclidean: 0, cosine: 1 };

/** Tile steps (32 points × 64 dimensions) one pass may scan per invocation. */
const STEPS = 64;

function checkK(k: number, n: number, what: string): void {
  if (!Number.isInteger(k) || k < 1 || k > KNN_MAX_K) {
    throw new ArgumentError(`Cannot run ${what}: k must be an integer 1..${KNN_MAX_K}, got ${k}`);
  }
  if (k >= n) {
    throw new ArgumentError(`Cannot run ${what}: k must be less than the ${n} points, got ${k}`);
  }
}

function checkMetric(metric: string, what: string): asserts metric is KnnMetric {
  if (typeof metric !== 'string' || !Object.hasOwn(METRICS, metric)) {
    throw new ArgumentError(
      `Cannot run ${what}: unknown metric '${metric}' (supported: euclidean, cosine)`,
    );
  }
}

function checkMatrix(t: Tensor, name: string): void {
  if (t.rank !== 2) {
    throw new ShapeError(
      `Cannot run knn: ${name} must be 2-D [rows, dims], current shape is ${formatShape(t.shape)}`,
    );
  }
  if (t.shape[1] < 1) {
    throw new ShapeError(`Cannot run knn: ${name} ${formatShape(t.shape)} has no dimensions`);
  }
}

/**
 * The exact `k` nearest points of each query (default: of each point, itself excluded), computed
 * on the GPU and read back. Distances are Σ(q − p)² in f32 (square-rooted for `euclidean`), or
 * 1 − cos from unit-normalized rows for `cosine` (a zero row counts as distance ½ to others).
 *
 * @example
 * ```ts ignore
 * using points = tensor(engine, vectors, [10000, 100]);
 * const { indices, distances } = await knn(engine, points, { k: 5, metric: 'cosine' });
 * console.log(indices.subarray(0, 5), distances.subarray(0, 5)); // point 0's neighbours
 * ```
 * @throws {ShapeError} unless points (and queries) are 2-D f32 with the same number of columns.
 * @throws {ArgumentError} unless 1 ≤ k ≤ 64 and k < N, or for an unknown metric.
 * @throws the signal's reason when `signal` aborts.
 */
export async function knn(
  engine: Engine,
  points: Tensor,
  options: KnnOptions = {},
): Promise<KnnResult> {
  checkOperand(engine, 'knn', 'points', points);
  checkMatrix(points, 'points');
  const queries = options.queries;
  if (queries !== undefined) {
    checkOperand(engine, 'knn', 'queries', queries);
    checkMatrix(queries, 'queries');
    if (queries.shape[1] !== points.shape[1]) {
      throw new ShapeError(
        `Cannot run knn: queries ${formatShape(queries.shape)} and points ` +
          `${formatShape(points.shape)} differ in dimension`,
      );
    }
  }
  const k = options.k ?? 10;
  const metric = options.metric ?? 'euclidean';
  checkMetric(metric, 'knn');
  const [n, d] = points.shape;
  checkK(k, n, 'knn');
  const q = queries ? queries.shape[0] : n;
  if (q === 0) return { indices: new Int32Array(0), distances: new Float32Array(0) };

  const outVal = engine.pooledBuffer('knn.distances', q * k * 4, TENSOR_USAGE, false);
  const outIdx = engine.pooledBuffer('knn.indices', q * k * 4, TENSOR_USAGE, false);
  // Each pass scans at most STEPS tile steps (32 points × 64 dimensions each) per invocation:
  // lavapipe returned wrong lists, without any error, from dispatches that ran too long —
  // past about 500 steps at k = 10, and already at 250 steps with k = 64 over 4,000 queries.
  const chunks = Math.max(1, Math.ceil(d / 64));
  if (chunks > STEPS) {
    throw new LimitExceededError(
      `Cannot run knn: ${d} dimensions is more than ${STEPS * 64}, the most one pass can scan`,
    );
  }
  const pointsPerPass = Math.floor(STEPS / chunks) * 32;
  const scratch: GPUBuffer[] = [];
  // Cosine: unit-normalize the rows first (MODE 1), in the same submission.
  const normalized = (t: Tensor, rows: number): GPUBuffer => {
    const out = engine.pooledBuffer('knn.normalized', rows * d * 4, TENSOR_USAGE, false);
    scratch.push(out);
    engine.dispatch({
      code: knnSource,
      label: 'stats/knn.wgsl',
      constants: { WG: WORKGROUP_SIZE, MODE: 1 },
      bindings: [
        t.buffer,
        t.buffer,
        out,
        outIdx,
        engine.constants(
          'knn.params',
          new Uint32Array([rows, rows, d, 1, 0, 0, 0, 0]),
        ),
      ],
      workgroups: Math.ceil(rows / WORKGROUP_SIZE),
    });
    return out;
  };
  let p = points.buffer;
  let qb = queries ? queries.buffer : points.buffer;
  if (metric === 'cosine') {
    p = normalized(points, n);
    qb = queries ? normalized(queries, q) : p;
  }
  const signal = options.signal;
  try {
    for (let start = 0; start < n; start += pointsPerPass) {
      if (signal) {
        // Bound the queued work so that an abort lands within one pass.
        if (start > 0) await engine.sync();
        signal.throwIfAborted();
      }
      const end = Math.min(n, start + pointsPerPass);
      const flags = (start === 0 ? 1 : 0) | (end === n ? 2 : 0);
      engine.dispatch({
        code: knnSource,
        label: 'stats/knn.wgsl',
        constants: { WG: WORKGROUP_SIZE, MODE: 0, METRIC: METRICS[metric] },
        bindings: [
          qb,
          p,
          outVal,
          outIdx,
          engine.constants(
            'knn.params',
            new Uint32Array([q, n, d, k, queries ? 0 : 1, start, end, flags]),
          ),
        ],
        workgroups: Math.ceil(q / WORKGROUP_SIZE),
      });
    }
    const distances = new Float32Array(await engine.read(outVal, q * k * 4));
    const indices = new Int32Array(await engine.read(outIdx, q * k * 4));
    return { indices, distances };
  } finally {
    engine.release(outVal);
    engine.release(outIdx);
    for (const b of scratch) engine.release(b);
  }
}

/** Options for {@linkcode knnReference}: as {@linkcode KnnOptions}, with CPU arrays. */
export interface KnnReferenceOptions {
  /** Neighbours per query. Default 10. */
  k?: number;
  /** Distance. Default `euclidean`. */
  metric?: KnnMetric;
  /** Query rows, row-major [Q, dims]; default the points, each excluded from its own list. */
  queries?: ArrayLike<number>;
}

/**
 * f64 CPU brute force of {@linkcode knn} on row-major `points` [N, dims], same tie rule (lower
 * index first) and same cosine convention (unit rows; a zero row stays zero).
 */
export function knnReference(
  points: ArrayLike<number>,
  dims: number,
  options: KnnReferenceOptions = {},
): KnnResult & { distances64: Float64Array } {
  const k = options.k ?? 10;
  const metric = options.metric ?? 'euclidean';
  checkMetric(metric, 'knnReference');
  if (!Number.isInteger(dims) || dims < 1 || points.length % dims !== 0) {
    throw new ShapeError(
      `Cannot run knnReference: ${points.length} values do not make rows of ${dims}`,
    );
  }
  const n = points.length / dims;
  checkK(k, n, 'knnReference');
  const cosine = metric === 'cosine';
  const rows = (data: ArrayLike<number>): Float64Array => {
    const out = Float64Array.from(data);
    if (cosine) {
      for (let r = 0; r < out.length / dims; r++) {
        let s = 0;
        for (let j = 0; j < dims; j++) s += out[r * dims + j] ** 2;
        const norm = Math.sqrt(s);
        for (let j = 0; j < dims; j++) out[r * dims + j] = s > 0 ? out[r * dims + j] / norm : 0;
      }
    }
    return out;
  };
  const p = rows(points);
  const qs = options.queries ? rows(options.queries) : p;
  if (qs.length % dims !== 0) {
    throw new ShapeError(`Cannot run knnReference: queries do not make rows of ${dims}`);
  }
  const q = qs.length / dims;
  const indices = new Int32Array(q * k);
  const distances64 = new Float64Array(q * k);
  const dist = new Float64Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < dims; c++) s += (qs[i * dims + c] - p[j * dims + c]) ** 2;
      dist[j] = cosine ? 0.5 * s : Math.sqrt(s);
    }
    const candidates = options.queries ? order : order.filter((j) => j !== i);
    const best = candidates.slice().sort((a, b) => dist[a] - dist[b] || a - b).slice(0, k);
    best.forEach((j, r) => {
      indices[i * k + r] = j;
      distances64[i * k + r] = dist[j];
    });
  }
  return { indices, distances: Float32Array.from(distances64), distances64 };
}
