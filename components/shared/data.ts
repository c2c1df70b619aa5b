/**
 * Input checks and small numeric helpers shared by the elements. Checks return a message (shown
 * in the element's `message` part) instead of throwing: a component never throws on bad data.
 *
 * @module
 */

/** Numbers an element accepts: a typed array or a plain array. */
export type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array | number[];

/** An engine tensor (or anything like it): read back once per update. */
export interface TensorLike {
  readonly shape: readonly number[];
  readFloat32(): Promise<Float32Array>;
}

/** Whether `v` is tensor-like (has a shape and `readFloat32()`). */
export function isTensorLike(v: unknown): v is TensorLike {
  return typeof v === 'object' && v !== null && Array.isArray((v as TensorLike).shape) &&
    typeof (v as TensorLike).readFloat32 === 'function';
}

/** Whether `v` is an array of numbers the elements accept. */
export function isNumeric(v: unknown): v is NumericArray {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** The product of a shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Checks a shape: non-empty, positive integer dimensions. Returns a message or null. */
export function checkShape(shape: unknown, what: string): string | null {
  if (!Array.isArray(shape) || shape.length === 0) {
    return `Cannot draw ${what}: no shape given`;
  }
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
    return `Cannot draw ${what}: shape [${shape.join(', ')}] must hold positive integers`;
  }
  return null;
}

/**
 * Checks that `data` holds `expected` finite numbers. Returns a message naming what failed (and
 * the first bad index) or null.
 */
export function checkValues(data: unknown, expected: number | null, what: string): string | null {
  if (!isNumeric(data)) return `Cannot draw ${what}: expected an array of numbers`;
  if (data.length === 0) return `Cannot draw ${what}: the data is empty`;
  if (expected !== null && data.length !== expected) {
    return `Cannot draw ${what}: expected ${expected} values, got ${data.length}`;
  }
  let bad = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      if (bad++ === 0) first = i;
    }
  }
  if (bad > 0) {
    return `Cannot draw ${what}: ${bad} non-finite value${bad > 1 ? 's' : ''} (first at index ` +
      `${first}: ${data[first]})`;
  }
  return null;
}

/**
 * The `p`-th percentile (0–100) of `values`, interpolated linearly between order statistics as
 * numpy's default does. `values` is not modified. NaN for an empty array.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = Math.min(1, Math.max(0, p / 100)) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Minimum and maximum of a range of `data` (`[Infinity, -Infinity]` when empty). */
export function extent(
  data: ArrayLike<number>,
  start = 0,
  end = data.length,
): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** A number for a label: 3 significant digits, exponent when very small or large. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

/** Indices of the `k` largest values of `score(i)` over `n` items (ties: lower index first). */
export function topK(n: number, k: number, score: (i: number) => number): number[] {
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = score(i);
    if (!(s > 0)) continue;
    if (best.length === k && s <= score(best[k - 1])) continue;
    let j = best.length < k ? best.length : k - 1;
    best[j] = i;
    while (j > 0 && score(best[j - 1]) < s) {
      [best[j - 1], best[j]] = [best[j], best[j - 1]];
      j--;
    }
  }
  return best;
}
