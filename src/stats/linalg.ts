/**
 * Small dense linear algebra in f64 on the CPU, for the factorizations that follow a GPU product
 * in `spectrum.ts` and `pca.ts`: thin QR by modified Gram-Schmidt with one
 * reorthogonalization ("twice is enough"), the symmetric eigen-decomposition by Householder
 * tridiagonalization and implicit QL (Numerical Recipes' tred2/tqli), and the SVD by one-sided
 * (Hestenes) Jacobi rotations. Matrices are row-major `Float64Array`s.
 *
 * These are O(n³) in plain JavaScript: meant for panels of tens of columns and matrices up to a
 * few thousand on a side.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';

/** A thin QR factorization: `a = q·r`. */
export interface QrResult {
  /** m×n with orthonormal columns, row-major. */
  q: Float64Array;
  /** n×n upper triangular, row-major. */
  r: Float64Array;
}

/** A symmetric eigen-decomposition `a = V·diag(values)·Vᵀ`. */
export interface EigenResult {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** n×n row-major; column j is the eigenvector of `values[j]` (empty without vectors). */
  vectors: Float64Array;
}

/** A thin SVD `a = U·diag(s)·Vᵀ` of an m×n matrix, r = min(m, n). */
export interface SvdResult {
  /** Singular values, descending, length r. */
  s: Float64Array;
  /** m×r row-major, orthonormal columns (a column of a zero singular value is zero). */
  u: Float64Array;
  /** n×r row-major, orthonormal columns. */
  v: Float64Array;
}

function checkDims(op: string, a: ArrayLike<number>, m: number, n: number): void {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) {
    throw new ArgumentError(
      `Cannot run ${op}: dimensions must be positive integers, got ${m}×${n}`,
    );
  }
  if (a.length !== m * n) {
    throw new ArgumentError(
      `Cannot run ${op}: a ${m}×${n} matrix has ${m * n} elements, the data has ${a.length}`,
    );
  }
}

/** Columns of a row-major m×n matrix as contiguous arrays. */
function columnsOf(a: ArrayLike<number>, m: number, n: number): Float64Array[] {
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const c = new Float64Array(m);
    for (let i = 0; i < m; i++) c[i] = a[i * n + j];
    cols.push(c);
  }
  return cols;
}

function dot(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/**
 * Thin QR of a tall m×n matrix (m ≥ n) by modified Gram-Schmidt, each column orthogonalized
 * twice, which keeps ‖QᵀQ − I‖ near machine precision whatever the conditioning. A column that
 * is (numerically) dependent on the previous ones gets `r[j][j] = 0` and is replaced in `q` by
 * a unit vector orthogonal to them, so `q` always has orthonormal columns.
 *
 * @throws {ArgumentError} when m < n or the data does not match the dimensions.
 */
export function qr(a: ArrayLike<number>, m: number, n: number): QrResult {
  checkDims('qr', a, m, n);
  if (m < n) {
    throw new ArgumentError(`Cannot run qr: the matrix must be tall (m ≥ n), got ${m}×${n}`);
  }
  const cols = columnsOf(a, m, n);
  const r = new Float64Array(n * n);
  const orthogonalize = (v: Float64Array, j: number, record: boolean) => {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const q = cols[i];
        const c = dot(q, v);
        for (let t = 0; t < m; t++) v[t] -= c * q[t];
        if (record) r[i * n + j] += c;
      }
    }
  };
  for (let j = 0; j < n; j++) {
    const v = cols[j];
    const before = Math.sqrt(dot(v, v));
    orthogonalize(v, j, true);
    const norm = Math.sqrt(dot(v, v));
    if (norm > 1e-13 * before && norm > 0) {
      r[j * n + j] = norm;
      for (let t = 0; t < m; t++) v[t] /= norm;
      continue;
    }
    // Dependent column: complete the basis with the unit vector that keeps most of its length.
    r[j * n + j] = 0;
    for (let e = 0; e < m; e++) {
      v.fill(0);
      v[(j + e) % m] = 1;
      orthogonalize(v, j, false);
      const left = Math.sqrt(dot(v, v));
      if (left > 0.5) {
        for (let t = 0; t < m; t++) v[t] /= left;
        break;
      }
    }
  }
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) q[i * n + j] = cols[j][i];
  return { q, r };
}

/** Options for {@linkcode symmetricEigen}. */
export interface SymmetricEigenOptions {
  /** Compute the eigenvectors (default true); without them it is about 3× faster. */
  vectors?: boolean;
}

/**
 * Eigenvalues (descending) and eigenvectors of a symmetric n×n matrix: Householder reduction to
 * tridiagonal form, then the QL algorithm with implicit Wilkinson shifts. Backward stable:
 * ‖A − VΛVᵀ‖ ≈ n·ε·‖A‖. Only the lower triangle is read.
 *
 * @throws {ArgumentError} for a bad size; also if QL fails to converge
 * (non-finite input).
 */
export function symmetricEigen(
  a: ArrayLike<number>,
  n: number,
  options: SymmetricEigenOptions = {},
): EigenResult {
  checkDims('symmetricEigen', a, n, n);
  const yes = options.vectors ?? true;
  const z = Float64Array.from(a);
  for (let i = 0; i < z.length; i++) {
    if (!Number.isFinite(z[i])) {
      throw new ArgumentError(`Cannot run symmetricEigen: element ${i} is ${z[i]}`);
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(z, n, d, e, yes);
  tqli(d, e, n, z, yes);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x]);
  const values = Float64Array.from(order, (i) => d[i]);
  if (!yes) return { values, vectors: new Float64Array(0) };
  const vectors = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const src = order[j];
    for (let i = 0; i < n; i++) vectors[i * n + j] = z[i * n + src];
  }
  return { values, vectors };
}

/** Householder tridiagonalization (Numerical Recipes 3rd ed. §11.3, 0-based, row-major z). */
function tred2(z: Float64Array, n: number, d: Float64Array, e: Float64Array, yes: boolean) {
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k < i; k++) scale += Math.abs(z[i * n + k]);
      if (scale === 0) {
        e[i] = z[i * n + l];
      } else {
        for (let k = 0; k < i; k++) {
          z[i * n + k] /= scale;
          h += z[i * n + k] * z[i * n + k];
        }
        let f = z[i * n + l];
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        z[i * n + l] = f - g;
        f = 0;
        for (let j = 0; j < i; j++) {
          if (yes) z[j * n + i] = z[i * n + j] / h;
          g = 0;
          for (let k = 0; k < j + 1; k++) g += z[j * n + k] * z[i * n + k];
          for (let k = j + 1; k < i; k++) g += z[k * n + j] * z[i * n + k];
          e[j] = g / h;
          f += e[j] * z[i * n + j];
        }
        const hh = f / (h + h);
        for (let j = 0; j < i; j++) {
          f = z[i * n + j];
          e[j] = g = e[j] - hh * f;
          for (let k = 0; k < j + 1; k++) z[j * n + k] -= f * e[k] + g * z[i * n + k];
        }
      }
    } else {
      e[i] = z[i * n + l];
    }
    d[i] = h;
  }
  d[0] = 0;
  e[0] = 0;
  for (let i = 0; i < n; i++) {
    if (yes) {
      if (d[i] !== 0) {
        for (let j = 0; j < i; j++) {
          let g = 0;
          for (let k = 0; k < i; k++) g += z[i * n + k] * z[k * n + j];
          for (let k = 0; k < i; k++) z[k * n + j] -= g * z[k * n + i];
        }
      }
      d[i] = z[i * n + i];
      z[i * n + i] = 1;
      for (let j = 0; j < i; j++) z[j * n + i] = z[i * n + j] = 0;
    } else {
      d[i] = z[i * n + i];
    }
  }
}

/** Implicit QL on the tridiagonal (d, e), accumulating rotations into z (NR3 §11.4). */
function tqli(d: Float64Array, e: Float64Array, n: number, z: Float64Array, yes: boolean) {
  const EPS = Number.EPSILON;
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= EPS * dd) break;
      }
      if (m !== l) {
        if (iter++ === 60) {
          throw new ArgumentError('Cannot run symmetricEigen: QL iteration did not converge');
        }
        let g = (d[l + 1] - d[l]) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
        let s = 1;
        let c = 1;
        let p = 0;
        let i: number;
        for (i = m - 1; i >= l; i--) {
          let f = s * e[i];
          const b = c * e[i];
          e[i + 1] = r = Math.hypot(f, g);
          if (r === 0) {
            d[i + 1] -= p;
            e[m] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1] - p;
          r = (d[i] - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
          if (yes) {
            for (let k = 0; k < n; k++) {
              f = z[k * n + i + 1];
              z[k * n + i + 1] = s * z[k * n + i] + c * f;
              z[k * n + i] = c * z[k * n + i] - s * f;
            }
          }
        }
        if (r === 0 && i >= l) continue;
        d[l] -= p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
}

/**
 * Thin SVD of an m×n matrix by one-sided Jacobi rotations on the columns of the taller
 * orientation, swept until every pair is orthogonal to 1e-15 relative. Accurate to a few ε in
 * each singular value relative to σ₁ (and often relative to σᵢ itself).
 *
 * @throws {ArgumentError} for bad dimensions or non-finite data.
 */
export function svd(a: ArrayLike<number>, m: number, n: number): SvdResult {
  checkDims('svd', a, m, n);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new ArgumentError(`Cannot run svd: element ${i} is ${a[i]}`);
  }
  // Work on W = A (m ≥ n) or W = Aᵀ (m < n), rows × c with c ≤ rows; rotate W's columns.
  const tall = m >= n;
  const rows = tall ? m : n;
  const c = tall ? n : m;
  const w: Float64Array[] = [];
  for (let j = 0; j < c; j++) {
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) col[i] = tall ? a[i * n + j] : a[j * n + i];
    w.push(col);
  }
  const vcols: Float64Array[] = [];
  for (let j = 0; j < c; j++) {
    const col = new Float64Array(c);
    col[j] = 1;
    vcols.push(col);
  }
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < c - 1; p++) {
      for (let q = p + 1; q < c; q++) {
        const x = w[p];
        const y = w[q];
        const alpha = dot(x, x);
        const beta = dot(y, y);
        const gamma = dot(x, y);
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let i = 0; i < rows; i++) {
          const xp = x[i];
          const yq = y[i];
          x[i] = cs * xp - sn * yq;
          y[i] = sn * xp + cs * yq;
        }
        const vp = vcols[p];
        const vq = vcols[q];
        for (let i = 0; i < c; i++) {
          const xp = vp[i];
          const yq = vq[i];
          vp[i] = cs * xp - sn * yq;
          vq[i] = sn * xp + cs * yq;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = w.map((col) => Math.sqrt(dot(col, col)));
  const order = Array.from({ length: c }, (_, i) => i).sort((x, y) => norms[y] - norms[x]);
  const s = Float64Array.from(order, (i) => norms[i]);
  // W = Û·diag(s)·V̂ᵀ with Û = columns of w / s. For A = Wᵀ, U and V swap.
  const wHat = new Float64Array(rows * c);
  const vHat = new Float64Array(c * c);
  for (let j = 0; j < c; j++) {
    const src = order[j];
    const sj = s[j];
    for (let i = 0; i < rows; i++) wHat[i * c + j] = sj > 0 ? w[src][i] / sj : 0;
    for (let i = 0; i < c; i++) vHat[i * c + j] = vcols[src][i];
  }
  return tall ? { s, u: wHat, v: vHat } : { s, u: vHat, v: wHat };
}

/**
 * `count` standard normal samples (Box-Muller over mulberry32), the same for a seed in every
 * runtime. For random test matrices and the sketches of `spectrum.ts`.
 */
export function seededGaussian(count: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - next(); // (0, 1]
    const u2 = next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    out[i] = radius * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** A matrix with a known spectrum, from {@linkcode matrixWithSpectrum}. */
export interface SpectrumMatrix {
  /** m×n row-major: `U·diag(sigma)·Vᵀ`. */
  a: Float64Array;
  /** m×r orthonormal columns. */
  u: Float64Array;
  /** n×r orthonormal columns. */
  v: Float64Array;
}

/**
 * `A = U·diag(sigma)·Vᵀ` with U (m×r) and V (n×r) Haar-random orthonormal (QR of seeded
 * Gaussian matrices), r = `sigma.length` ≤ min(m, n): a test matrix whose singular values and
 * vectors are known. The singular values beyond r are zero.
 *
 * @throws {ArgumentError} when r > min(m, n).
 */
export function matrixWithSpectrum(
  m: number,
  n: number,
  sigma: ArrayLike<number>,
  seed: number,
): SpectrumMatrix {
  const r = sigma.length;
  if (r < 1 || r > Math.min(m, n)) {
    throw new ArgumentError(
      `Cannot build a ${m}×${n} matrix with ${r} singular values: need 1..${Math.min(m, n)}`,
    );
  }
  const u = qr(seededGaussian(m * r, seed), m, r).q;
  const v = qr(seededGaussian(n * r, seed + 7919), n, r).q;
  const a = new Float64Array(m * n);
  const row = new Float64Array(r);
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < r; t++) row[t] = u[i * r + t] * sigma[t];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < r; t++) s += row[t] * v[j * r + t];
      a[i * n + j] = s;
    }
  }
  return { a, u, v };
}
