/**
 * Central finite differences of f64 CPU references, to check backward references: the
 * derivative of L(x) = Σ dy·f(x) with respect to each element of x.
 *
 * @module
 */

/**
 * ∂/∂x_i Σ_j dy_j·f(x)_j for every i, by central differences with step h·max(1, |x_i|).
 * Truncation error O(h²·f‴), roundoff about 1e-16·Σ|dy·f| / h.
 */
export function finiteDifferenceGradient(
  f: (x: Float64Array) => ArrayLike<number>,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  h = 1e-5,
): Float64Array {
  const point = Float64Array.from(x);
  const out = new Float64Array(point.length);
  const loss = () => {
    const y = f(point);
    let s = 0;
    for (let j = 0; j < y.length; j++) s += dy[j] * y[j];
    return s;
  };
  for (let i = 0; i < point.length; i++) {
    const v = point[i];
    const step = h * Math.max(1, Math.abs(v));
    point[i] = v + step;
    const up = loss();
    point[i] = v - step;
    const down = loss();
    point[i] = v;
    out[i] = (up - down) / (2 * step);
  }
  return out;
}
