/**
 * Singular spectra of 2-D f32 tensors: the top-k singular triplets by randomized subspace
 * iteration (Halko, Martinsson & Tropp 2011, Alg. 4.4), the full spectrum of matrices up to
 * 1024×1024 from the Gram matrix, and the scalars built on them (spectral norm, stable rank,
 * effective rank). The products with A run on the GPU ({@linkcode matmul}); the small dense
 * factorizations run in f64 on the CPU (`linalg.ts`).
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
import { qr, seededGaussian, svd, symmetricEigen } from './linalg.ts';

/** Options for {@linkcode topSingularValues}. */
export interface TopSingularValuesOptions {
  /** Singular triplets wanted, 1..min(m, n). Default 10 (clamped to min(m, n)). */
  k?: number;
  /** Extra sketch columns p (the sketch has min(k + p, min(m, n)) columns). Default 10. */
  oversample?: number;
  /** Power iterations q; the error shrinks like (σ_{k+p+1}/σ_k)^(2q+1). Default 4. */
  iterations?: number;
  /** Seed of the Gaussian test matrix Ω. Default 1. */
  seed?: number;
}

/** The top-k singular triplets of an m×n matrix: `A ≈ left·diag(values)·rightᵀ`. */
export interface SingularTriplets {
  /** σ₁ ≥ … ≥ σ_k. */
  values: Float64Array;
  /** m×k row-major: left singular vectors as columns. */
  left: Float64Array;
  /** n×k row-major: right singular vectors as columns. */
  right: Float64Array;
}

/** Largest side {@linkcode singularValues} accepts. */
export const MAX_FULL_SPECTRUM_SIDE = 1024;

function checkMatrix(engine: Engine, op: string, a: Tensor): [number, number] {
  checkOperand(engine, op, 'a', a);
  if (a.rank !== 2) {
    throw new ShapeError(
      `Cannot run ${op}: a must be 2-D, current shape is ${formatShape(a.shape)}`,
    );
  }
  const [m, n] = a.shape;
  if (m === 0 || n === 0) {
    throw new ShapeError(`Cannot run ${op}: a ${formatShape(a.shape)} is empty`);
  }
  return [m, n];
}

function checkCount(op: string, name: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new ArgumentError(
      `Cannot run ${op}: ${name} must be an integer in ${lo}..${hi}, got ${value}`,
    );
  }
}

/** Reads an f32 tensor into f64 and destroys it. */
async function take(t: Tensor): Promise<Float64Array> {
  try {
    return Float64Array.from(await t.read());
  } finally {
    t.destroy();
  }
}

/**
 * The k largest singular values of `a` ([m, n], f32) and their singular vectors, by randomized
 * subspace iteration: Y = AΩ with Ω a seeded Gaussian n×(k+p); then `iterations` times
 * Q ← orth(Y), Z ← orth(AᵀQ), Y ← AZ; finally B = QᵀA and the SVD of the small B. Every product
 * with A is a GPU matmul; each panel is read back and orthonormalized in f64 (MGS twice), then
 * uploaded as f32. Cost: 2q + 2 products with A, each m·n·(k+p) multiply-adds.
 *
 * Accuracy: the f32 products bound the error of σᵢ by about √max(m,n)·u·σ₁ (u = 2⁻²⁴); the
 * randomized error is negligible once the spectrum decays past k + p.
 *
 * @throws {ShapeError} unless `a` is 2-D and non-empty; {@linkcode ArgumentError} for a
 * non-f32 tensor, or k outside 1..min(m, n), or bad oversample/iterations.
 * @example
 * ```ts ignore
 * const { values } = await topSingularValues(engine, weights, { k: 5 });
 * ```
 */
export async function topSingularValues(
  engine: Engine,
  a: Tensor,
  options: TopSingularValuesOptions = {},
): Promise<SingularTriplets> {
  const op = 'topSingularValues';
  const [m, n] = checkMatrix(engine, op, a);
  const small = Math.min(m, n);
  const k = options.k ?? Math.min(10, small);
  checkCount(op, 'k', k, 1, small);
  const oversample = options.oversample ?? 10;
  checkCount(op, 'oversample', oversample, 0, 1 << 16);
  const iterations = options.iterations ?? 4;
  checkCount(op, 'iterations', iterations, 0, 100);
  const seed = options.seed ?? 1;
  const l = Math.min(k + oversample, small);

  const upload = (data: Float64Array, rows: number) =>
    tensor(engine, Float32Array.from(data), [rows, l], { label: `${op}.panel` });

  let q: Float64Array;
  {
    using omega = upload(seededGaussian(n * l, seed), n);
    q = qr(await take(matmul(engine, a, omega, { label: `${op}.Y` })), m, l).q;
  }
  for (let i = 0; i < iterations; i++) {
    using qt = upload(q, m);
    const z = qr(await take(matmul(engine, a, qt, { transposeA: true, label: `${op}.Z` })), n, l).q;
    using zt = upload(z, n);
    q = qr(await take(matmul(engine, a, zt, { label: `${op}.Y` })), m, l).q;
  }
  using qt = upload(q, m);
  // B = QᵀA, l×n.
  const b = await take(matmul(engine, qt, a, { transposeA: true, label: `${op}.B` }));
  const f = svd(b, l, n); // u: l×l, v: n×l
  const values = f.s.slice(0, k);
  const left = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < l; t++) s += q[i * l + t] * f.u[t * l + j];
      left[i * k + j] = s;
    }
  }
  const right = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) right[i * k + j] = f.v[i * l + j];
  return { values, left, right };
}

/**
 * σ₁ = ‖A‖₂ of a 2-D f32 tensor, by {@linkcode topSingularValues} with k = 1 (same options;
 * `k` is ignored).
 */
export async function spectralNorm(
  engine: Engine,
  a: Tensor,
  options: TopSingularValuesOptions = {},
): Promise<number> {
  return (await topSingularValues(engine, a, { ...options, k: 1 })).values[0];
}

/** ‖A‖_F of a tensor: Σx² on the GPU (elementwise square, then a sum reduction), √ in f64. */
export async function frobeniusNorm(engine: Engine, a: Tensor): Promise<number> {
  checkOperand(engine, 'frobeniusNorm', 'a', a);
  using squares = binary(engine, 'mul', a, a, { label: 'frobeniusNorm.squares' });
  const total = await take(reduce(engine, 'sum', squares, { label: 'frobeniusNorm.sum' }));
  return Math.sqrt(total[0]);
}

/**
 * Stable rank ‖A‖_F² / ‖A‖₂² (between 1 and rank A; 0 for a zero matrix): Frobenius norm from
 * the GPU, σ₁ from {@linkcode spectralNorm}.
 */
export async function stableRank(
  engine: Engine,
  a: Tensor,
  options: TopSingularValuesOptions = {},
): Promise<number> {
  const sigma = await spectralNorm(engine, a, options);
  const frobenius = await frobeniusNorm(engine, a);
  return sigma > 0 ? (frobenius * frobenius) / (sigma * sigma) : 0;
}

/**
 * All min(m, n) singular values of `a` ([m, n], f32, both sides ≤ 1024), descending: the Gram
 * matrix of the smaller side (AᵀA when m ≥ n, else AAᵀ) on the GPU, read back, symmetrized,
 * its eigenvalues in f64, σᵢ = √max(λᵢ, 0).
 *
 * Accuracy: squaring loses relative accuracy for small singular values. The f32 Gram entries
 * carry an error of about √K·u·σ₁² (K = the contracted side, u = 2⁻²⁴), so
 * |Δσᵢ| ≈ u·σ₁²/σᵢ (times a modest factor): fine near σ₁, meaningless below about √u·σ₁ ≈
 * 2.4e-4·σ₁, where values come out as noise (or 0). Use {@linkcode topSingularValues} for
 * the leading values of larger matrices.
 *
 * @throws {ArgumentError} when a side exceeds {@linkcode MAX_FULL_SPECTRUM_SIDE}, or for a
 * non-f32 tensor; {@linkcode ShapeError} unless 2-D and non-empty.
 */
export async function singularValues(engine: Engine, a: Tensor): Promise<Float64Array> {
  const op = 'singularValues';
  const [m, n] = checkMatrix(engine, op, a);
  if (m > MAX_FULL_SPECTRUM_SIDE || n > MAX_FULL_SPECTRUM_SIDE) {
    throw new ArgumentError(
      `Cannot run ${op}: a ${formatShape(a.shape)} exceeds the limit of ` +
        `${MAX_FULL_SPECTRUM_SIDE}×${MAX_FULL_SPECTRUM_SIDE}; use topSingularValues`,
    );
  }
  const side = Math.min(m, n);
  const gram = await take(
    matmul(
      engine,
      a,
      a,
      m >= n ? { transposeA: true, label: `${op}.gram` } : {
        transposeB: true,
        label: `${op}.gram`,
      },
    ),
  );
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (gram[i * side + j] + gram[j * side + i]);
      gram[i * side + j] = gram[j * side + i] = s;
    }
  }
  const { values } = symmetricEigen(gram, side, { vectors: false });
  return values.map((v) => Math.sqrt(Math.max(v, 0)));
}

/**
 * Effective rank (Roy & Vetterli 2007): exp of the Shannon entropy of pᵢ = σᵢ/Σσ. Between 1
 * and the number of non-zero values; 0 for an all-zero spectrum.
 *
 * @throws {ArgumentError} for a negative or non-finite value.
 */
export function effectiveRank(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new ArgumentError(
        `Cannot compute effectiveRank: values must be finite and ≥ 0, element ${i} is ${v}`,
      );
    }
    total += v;
  }
  if (total === 0) return 0;
  let entropy = 0;
  for (let i = 0; i < values.length; i++) {
    const p = values[i] / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/** f64 CPU reference: all min(m, n) singular values of a row-major m×n matrix, descending. */
export function singularValuesReference(
  a: ArrayLike<number>,
  m: number,
  n: number,
): Float64Array {
  return svd(a, m, n).s;
}

/** f64 CPU reference of {@linkcode stableRank} from a row-major m×n matrix. */
export function stableRankReference(a: ArrayLike<number>, m: number, n: number): number {
  const s = singularValuesReference(a, m, n);
  let frobenius2 = 0;
  for (let i = 0; i < a.length; i++) frobenius2 += a[i] * a[i];
  return s[0] > 0 ? frobenius2 / (s[0] * s[0]) : 0;
}
