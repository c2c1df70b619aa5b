/**
 * Principal component analysis of an [N, D] f32 tensor: column means, centering, the D×D
 * covariance and the projection on the GPU; the eigen-decomposition of the covariance in f64 on
 * the CPU (`linalg.ts`), so D is limited to {@linkcode MAX_PCA_FEATURES}.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { binary } from '../ops/binary.ts';
import { checkOperand } from '../ops/common.ts';
import { matmul } from '../ops/matmul.ts';
import { reduce } from '../ops/reduce.ts';
import { formatShape, type Tensor, tensor } from '../tensor.ts';
import { symmetricEigen } from './linalg.ts';

/** Largest feature count D: the D×D covariance is read back and decomposed on the CPU (O(D³)). */
export const MAX_PCA_FEATURES = 4096;

/** Options for {@linkcode pca}. */
export interface PcaOptions {
  /** Number of principal components c, 1..D. Default 2. */
  components?: number;
}

/** What {@linkcode pca} returns. */
export interface PcaResult {
  /** [N, c] f32 on the GPU: the centered data times the components. The caller destroys it. */
  projection: Tensor;
  /** D×c row-major: unit principal axes as columns, largest variance first. */
  components: Float64Array;
  /** The c largest eigenvalues of the sample covariance (divisor N − 1). */
  explainedVariance: Float64Array;
  /** explainedVariance / total variance (the covariance's trace). */
  explainedVarianceRatio: Float64Array;
  /** The D column means. */
  mean: Float64Array;
}

/** The f64 result of {@linkcode pcaReference}: as {@linkcode PcaResult}, projection on the CPU. */
export interface PcaReferenceResult extends Omit<PcaResult, 'projection'> {
  /** N×c row-major. */
  projection: Float64Array;
}

function checkComponents(op: string, options: PcaOptions, d: number): number {
  const c = options.components ?? 2;
  if (!Number.isInteger(c) || c < 1 || c > d) {
    throw new ArgumentError(`Cannot run ${op}: components must be an integer in 1..${d}, got ${c}`);
  }
  return c;
}

/**
 * Picks the top c eigenpairs of a D×D covariance and fixes each axis' sign: its largest-|value|
 * entry (the first, on ties) is made positive, so results are deterministic.
 */
function principalAxes(
  cov: Float64Array,
  d: number,
  c: number,
): Pick<PcaResult, 'components' | 'explainedVariance' | 'explainedVarianceRatio'> {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += cov[i * d + i];
  const { values, vectors } = symmetricEigen(cov, d);
  const components = new Float64Array(d * c);
  for (let j = 0; j < c; j++) {
    let best = 0;
    for (let i = 1; i < d; i++) {
      if (Math.abs(vectors[i * d + j]) > Math.abs(vectors[best * d + j])) best = i;
    }
    const sign = vectors[best * d + j] < 0 ? -1 : 1;
    for (let i = 0; i < d; i++) components[i * c + j] = sign * vectors[i * d + j];
  }
  const explainedVariance = values.slice(0, c).map((v) => Math.max(v, 0));
  const explainedVarianceRatio = explainedVariance.map((v) => (trace > 0 ? v / trace : 0));
  return { components, explainedVariance, explainedVarianceRatio };
}

/**
 * PCA of `x` ([N, D], f32, N ≥ 2, D ≤ 4096). On the GPU: the column means (`reduce` mean over
 * axis 0), centered = x − mean (broadcast `sub`), centeredᵀ·centered (matmul with transposeA),
 * and the projection centered·W. The covariance (÷ (N − 1) in f64) is read back and decomposed
 * in f64 on the CPU. Sign convention: each component's largest-|value| entry is positive.
 *
 * Accuracy: f32 covariance entries are within about √N·u·(row norms)² of exact, so explained
 * variances are good to ~1e-5 relative for well-scaled data, and components to that error over
 * the gap to the next eigenvalue.
 *
 * @throws {ShapeError} unless `x` is 2-D with N ≥ 2 and D ≥ 1; {@linkcode ArgumentError} for a
 * non-f32 tensor, D > {@linkcode MAX_PCA_FEATURES}, or `components` outside 1..D.
 * @example
 * ```ts ignore
 * const { projection, explainedVarianceRatio } = await pca(engine, activations, { components: 2 });
 * const xy = await projection.read();
 * projection.destroy();
 * ```
 */
export async function pca(engine: Engine, x: Tensor, options: PcaOptions = {}): Promise<PcaResult> {
  const op = 'pca';
  checkOperand(engine, op, 'x', x);
  if (x.rank !== 2 || x.shape[0] < 2 || x.shape[1] < 1) {
    throw new ShapeError(
      `Cannot run ${op}: x must be [N, D] with N ≥ 2 and D ≥ 1, current shape is ` +
        formatShape(x.shape),
    );
  }
  const [rows, d] = x.shape;
  if (d > MAX_PCA_FEATURES) {
    throw new ArgumentError(
      `Cannot run ${op}: D = ${d} exceeds the limit of ${MAX_PCA_FEATURES} features (the D×D ` +
        `covariance is decomposed on the CPU)`,
    );
  }
  const c = checkComponents(op, options, d);
  using meanT = reduce(engine, 'mean', x, { axis: 0, keepDims: true, label: `${op}.mean` });
  using centered = binary(engine, 'sub', x, meanT, { label: `${op}.centered` });
  using scatter = matmul(engine, centered, centered, { transposeA: true, label: `${op}.scatter` });
  const mean = Float64Array.from(await meanT.read());
  const cov = Float64Array.from(await scatter.read());
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const v = (0.5 * (cov[i * d + j] + cov[j * d + i])) / (rows - 1);
      cov[i * d + j] = cov[j * d + i] = v;
    }
  }
  const axes = principalAxes(cov, d, c);
  using w = tensor(engine, Float32Array.from(axes.components), [d, c], { label: `${op}.W` });
  const projection = matmul(engine, centered, w, { label: `${op}.projection` });
  return { projection, mean, ...axes };
}

/** f64 CPU reference of {@linkcode pca} on row-major N×D `data`. */
export function pcaReference(
  data: ArrayLike<number>,
  rows: number,
  d: number,
  options: PcaOptions = {},
): PcaReferenceResult {
  const op = 'pcaReference';
  if (!Number.isInteger(rows) || !Number.isInteger(d) || rows < 2 || d < 1) {
    throw new ShapeError(`Cannot run ${op}: need N ≥ 2 and D ≥ 1, got ${rows}×${d}`);
  }
  if (data.length !== rows * d) {
    throw new ShapeError(
      `Cannot run ${op}: ${rows}×${d} needs ${rows * d} values, got ${data.length}`,
    );
  }
  const c = checkComponents(op, options, d);
  const mean = new Float64Array(d);
  for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= rows;
  const centered = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < d; j++) centered[i * d + j] = data[i * d + j] - mean[j];
  }
  const cov = new Float64Array(d * d);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < d; p++) {
      const xp = centered[i * d + p];
      for (let q = 0; q <= p; q++) cov[p * d + q] += xp * centered[i * d + q];
    }
  }
  for (let p = 0; p < d; p++) {
    for (let q = 0; q <= p; q++) cov[p * d + q] = cov[q * d + p] = cov[p * d + q] / (rows - 1);
  }
  const axes = principalAxes(cov, d, c);
  const projection = new Float64Array(rows * c);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let p = 0; p < d; p++) s += centered[i * d + p] * axes.components[p * c + j];
      projection[i * c + j] = s;
    }
  }
  return { projection, mean, ...axes };
}
