/**
 * Quality of a low-dimensional embedding: {@linkcode trustworthiness} (Venna & Kaski 2001) with
 * its f64 brute-force reference, and {@linkcode neighbourPreservation}.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { checkOperand } from '../ops/common.ts';
import { formatShape, type Tensor } from '../tensor.ts';
import { knn, type KnnMetric } from './knn.ts';

/** Options for {@linkcode trustworthiness}. */
export interface TrustworthinessOptions {
  /** Neighbourhood size, 1 ≤ k < N / 2 (and ≤ 64). Default 10. */
  k?: number;
  /** Distance in the high-dimensional space. Default `euclidean` (low-dim is always euclidean). */
  metric?: KnnMetric;
}

function checkK(k: number, n: number, op: string): void {
  if (!Number.isInteger(k) || k < 1 || k > 64 || 2 * k >= n) {
    throw new ArgumentError(
      `Cannot run ${op}: k must be an integer 1..64 below N / 2 = ${n / 2}, got ${k}`,
    );
  }
}

/** Unit rows (f64) for `cosine`, plain f64 rows otherwise. */
function rowsOf(data: ArrayLike<number>, n: number, d: number, metric: KnnMetric): Float64Array {
  const out = Float64Array.from(data);
  if (metric === 'cosine') {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += out[i * d + j] ** 2;
      const scale = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let j = 0; j < d; j++) out[i * d + j] *= scale;
    }
  }
  return out;
}

/** f64 squared distances (½ of it for cosine is 1 − cos; ranks are unchanged) from row i. */
function distanceRow(p: Float64Array, n: number, d: number, i: number, out: Float64Array): void {
  for (let l = 0; l < n; l++) {
    let s = 0;
    for (let c = 0; c < d; c++) {
      const t = p[i * d + c] - p[l * d + c];
      s += t * t;
    }
    out[l] = s;
  }
}

function score(penalty: number, n: number, k: number): number {
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

/**
 * Trustworthiness T(k) = 1 − 2 / (N·k·(2N − 3k − 1)) · Σᵢ Σ_{j ∈ Uₖ(i)} max(0, r(i, j) − k),
 * where Uₖ(i) are i's k nearest points in `low` and r(i, j) is j's rank among i's neighbours in
 * `high` (1 = nearest). 1 means every low-dimensional neighbour is a high-dimensional one.
 *
 * The low-dimensional neighbours come from the GPU {@linkcode knn} (f32). The high-dimensional
 * ranks are counted on the CPU in f64, without sorting: r(i, j) = 1 + #{l ≠ i : d(i, l) <
 * d(i, j)} + #{l < j, l ≠ i : d(i, l) = d(i, j)} (ties by index, as a stable sort), from
 * one row of N distances per point: O(N²·D) in total, a few seconds for 10,000 × 100.
 *
 * @throws {ShapeError} unless both are 2-D with the same number of rows.
 * @throws {ArgumentError} unless 1 ≤ k < N / 2 and k ≤ 64.
 */
export async function trustworthiness(
  engine: Engine,
  high: Tensor,
  low: Tensor,
  options: TrustworthinessOptions = {},
): Promise<number> {
  const op = 'trustworthiness';
  checkOperand(engine, op, 'high', high);
  checkOperand(engine, op, 'low', low);
  if (high.rank !== 2 || low.rank !== 2 || high.shape[0] !== low.shape[0]) {
    throw new ShapeError(
      `Cannot run ${op}: high and low must be [N, D] and [N, d], current shapes are ` +
        `${formatShape(high.shape)} and ${formatShape(low.shape)}`,
    );
  }
  const k = options.k ?? 10;
  const metric = options.metric ?? 'euclidean';
  const [n, d] = high.shape;
  checkK(k, n, op);
  const { indices } = await knn(engine, low, { k });
  const p = rowsOf(await high.readFloat32(), n, d, metric);
  const dist = new Float64Array(n);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    distanceRow(p, n, d, i, dist);
    for (let r = 0; r < k; r++) {
      const j = indices[i * k + r];
      const dj = dist[j];
      let rank = 1;
      for (let l = 0; l < n; l++) {
        if (l === i) continue;
        const dl = dist[l];
        if (dl < dj || (dl === dj && l < j)) rank++;
      }
      if (rank > k) penalty += rank - k;
    }
  }
  return score(penalty, n, k);
}

/**
 * f64 brute force of {@linkcode trustworthiness} on row-major CPU arrays: full sorts of every
 * row of distances in both spaces (ties by index), O(N² log N).
 */
export function trustworthinessReference(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  n: number,
  options: TrustworthinessOptions = {},
): number {
  const k = options.k ?? 10;
  checkK(k, n, 'trustworthinessReference');
  if (n < 1 || high.length % n !== 0 || low.length % n !== 0) {
    throw new ShapeError(
      `Cannot run trustworthinessReference: ${high.length} and ${low.length} values do not make ` +
        `${n} rows`,
    );
  }
  const dh = high.length / n;
  const dl = low.length / n;
  const ph = rowsOf(high, n, dh, options.metric ?? 'euclidean');
  const pl = Float64Array.from(low);
  const hd = new Float64Array(n);
  const ld = new Float64Array(n);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    distanceRow(ph, n, dh, i, hd);
    distanceRow(pl, n, dl, i, ld);
    const others = Array.from({ length: n }, (_, l) => l).filter((l) => l !== i);
    const highOrder = others.slice().sort((a, b) => hd[a] - hd[b] || a - b);
    const rank = new Int32Array(n);
    highOrder.forEach((l, r) => (rank[l] = r + 1));
    const lowOrder = others.slice().sort((a, b) => ld[a] - ld[b] || a - b);
    for (const j of lowOrder.slice(0, k)) penalty += Math.max(0, rank[j] - k);
  }
  return score(penalty, n, k);
}

/**
 * The fraction of each point's `k` nearest high-dimensional neighbours that are among its
 * `within` nearest low-dimensional neighbours, averaged over points (e.g. k = 10, within = 30:
 * "of each point's 10 nearest neighbours, how many stay within its 30 nearest in 2-D").
 * `highIdx` holds N rows of `k` indices and `lowIdx` N rows of `within` (as {@linkcode knn}
 * returns them for those k).
 *
 * @throws {ArgumentError} when the lengths do not make the same N rows.
 */
export function neighbourPreservation(
  highIdx: ArrayLike<number>,
  lowIdx: ArrayLike<number>,
  k: number,
  within: number,
): number {
  if (!Number.isInteger(k) || !Number.isInteger(within) || k < 1 || within < 1) {
    throw new ArgumentError(
      `Cannot run neighbourPreservation: k and within must be positive integers, got ${k}, ${within}`,
    );
  }
  const n = highIdx.length / k;
  if (!Number.isInteger(n) || lowIdx.length !== n * within) {
    throw new ArgumentError(
      `Cannot run neighbourPreservation: ${highIdx.length} high indices (rows of ${k}) and ` +
        `${lowIdx.length} low indices (rows of ${within}) do not make the same number of rows`,
    );
  }
  if (n === 0) return 1;
  let kept = 0;
  const set = new Set<number>();
  for (let i = 0; i < n; i++) {
    set.clear();
    for (let r = 0; r < within; r++) set.add(lowIdx[i * within + r]);
    for (let r = 0; r < k; r++) if (set.has(highIdx[i * k + r])) kept++;
  }
  return kept / (n * k);
}
