/**
 * Seeded pseudo-random inputs for tests and benchmarks (mulberry32): the same seed gives the same
 * data in Deno and in the browser.
 *
 * @module
 */

/** A generator of uniform floats in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` floats uniform in [lo, hi), rounded to f32. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array<ArrayBuffer> {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** `n` integers uniform in [lo, hi). */
export function integers(
  n: number,
  seed: number,
  lo: number,
  hi: number,
): Float32Array<ArrayBuffer> {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor((hi - lo) * next());
  return out;
}
