import { assert, assertClose, assertThrows } from '../../test/assert.ts';
import { test } from '../../test/harness.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { matrixWithSpectrum, qr, seededGaussian, svd, symmetricEigen } from './linalg.ts';

/** Frobenius norm of a − b (b omitted: of a). */
function frob(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - (b ? b[i] : 0)) ** 2;
  return Math.sqrt(s);
}

/** ‖XᵀX − I‖_max for an m×n row-major X. */
function orthonormalityError(x: Float64Array, m: number, n: number): number {
  let worst = 0;
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += x[i * n + p] * x[i * n + q];
      worst = Math.max(worst, Math.abs(s - (p === q ? 1 : 0)));
    }
  }
  return worst;
}

/** U·diag(s)·Vᵀ with U m×r, V n×r. */
function compose(u: Float64Array, s: ArrayLike<number>, v: Float64Array, m: number, n: number) {
  const r = s.length;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let t = 0; t < r; t++) acc += u[i * r + t] * s[t] * v[j * r + t];
      out[i * n + j] = acc;
    }
  }
  return out;
}

function randomSymmetric(n: number, seed: number): Float64Array {
  const g = seededGaussian(n * n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (g[i * n + j] + g[j * n + i]);
  }
  return a;
}

// Backward-stable factorizations in f64: residuals of a few n·ε relative. 1e-10 leaves room.
test('symmetricEigen: reconstructs random symmetric matrices, orthonormal vectors', () => {
  for (const n of [1, 2, 3, 17, 64, 100]) {
    const a = randomSymmetric(n, n + 3);
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 1; i < n; i++) assert(values[i - 1] >= values[i], `descending n=${n}`);
    const back = compose(vectors, values, vectors, n, n);
    const residual = frob(a, back) / frob(a);
    assert(residual <= 1e-10, `n=${n}: ‖A − VΛVᵀ‖/‖A‖ = ${residual}`);
    const ortho = orthonormalityError(vectors, n, n);
    assert(ortho <= 1e-10, `n=${n}: ‖VᵀV − I‖ = ${ortho}`);
    const only = symmetricEigen(a, n, { vectors: false }).values;
    assertClose(only, values, { atol: 1e-10 * frob(a) }, `values without vectors n=${n}`);
  }
});

test('symmetricEigen: known spectrum, repeated eigenvalues and a diagonal matrix', () => {
  const n = 30;
  const lambda = Float64Array.from({ length: n }, (_, i) => (i < 5 ? 2 : 10 - i * 0.25));
  const { a } = matrixWithSpectrum(n, n, lambda.map(Math.sqrt), 4); // A = UΣVᵀ
  // AᵀA has eigenvalues λ exactly.
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += a[t * n + i] * a[t * n + j];
      g[i * n + j] = s;
    }
  }
  const want = Float64Array.from(lambda).sort().reverse();
  assertClose(symmetricEigen(g, n).values, want, { atol: 1e-12 * 10 }, 'known eigenvalues');
  const diag = new Float64Array(9);
  [3, -1, 2].forEach((v, i) => (diag[i * 3 + i] = v));
  assertClose(symmetricEigen(diag, 3).values, [3, 2, -1], { atol: 0 }, 'diagonal');
  assertThrows(() => symmetricEigen([1, 2, 3], 2), ArgumentError, '2×2 matrix has 4');
  assertThrows(() => symmetricEigen([NaN], 1), ArgumentError, 'NaN');
});

test('qr: orthonormal Q, upper triangular R, Q·R = A, dependent columns completed', () => {
  for (const [m, n] of [[1, 1], [5, 5], [50, 20], [200, 30]]) {
    const a = seededGaussian(m * n, m * 7 + n);
    const { q, r } = qr(a, m, n);
    assert(orthonormalityError(q, m, n) <= 1e-13, `QᵀQ = I for ${m}×${n}`);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert(r[i * n + j] === 0, 'R upper');
    const back = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += q[i * n + t] * r[t * n + j];
        back[i * n + j] = s;
      }
    }
    assert(frob(a, back) <= 1e-12 * frob(a), `QR = A for ${m}×${n}`);
  }
  // Column 2 = column 0 + column 1; column 3 = 0.
  const m = 8;
  const a = seededGaussian(m * 4, 11);
  for (let i = 0; i < m; i++) {
    a[i * 4 + 2] = a[i * 4] + a[i * 4 + 1];
    a[i * 4 + 3] = 0;
  }
  const { q, r } = qr(a, m, 4);
  assert(orthonormalityError(q, m, 4) <= 1e-13, 'completed basis is orthonormal');
  assert(r[2 * 4 + 2] === 0 && r[3 * 4 + 3] === 0, 'dependent columns get a zero pivot');
  assertThrows(() => qr(new Float64Array(6), 2, 3), ArgumentError, 'must be tall');
});

test('svd: reconstructs tall, wide and rank-deficient matrices; matches a known spectrum', () => {
  for (const [m, n] of [[1, 1], [1, 7], [7, 1], [20, 12], [12, 20], [40, 40]]) {
    const a = seededGaussian(m * n, 100 + m * n);
    const { s, u, v } = svd(a, m, n);
    const r = Math.min(m, n);
    assert(s.length === r, 'r values');
    for (let i = 1; i < r; i++) assert(s[i - 1] >= s[i], 'descending');
    assert(frob(a, compose(u, s, v, m, n)) <= 1e-12 * frob(a), `UΣVᵀ = A for ${m}×${n}`);
    assert(orthonormalityError(u, m, r) <= 1e-12, `UᵀU = I ${m}×${n}`);
    assert(orthonormalityError(v, n, r) <= 1e-12, `VᵀV = I ${m}×${n}`);
  }
  const sigma = Float64Array.from({ length: 10 }, (_, i) => 5 * 0.5 ** i);
  const { a } = matrixWithSpectrum(25, 15, sigma, 9);
  const s = svd(a, 25, 15).s;
  assertClose(s.subarray(0, 10), sigma, { rtol: 1e-12 }, 'known singular values');
  assertClose(s.subarray(10), new Float64Array(5), { atol: 1e-13 }, 'zeros beyond the rank');
});
