/**
 * Baselines for path methods: zeros, a Gaussian blur of the input, uniform noise over the
 * input's range, or a user-given tensor.
 *
 * @module
 */

import { ArgumentError, LimitExceededError, ShapeError } from '../gpu/errors.ts';
import { sizeOf } from '../tensor.ts';

/** A baseline: a named kind or the values of one example (the site's shape without batch). */
export type Baseline = 'zeros' | 'blur' | 'uniform' | Float32Array | readonly number[];

/** Options of {@linkcode baselineFor}. */
export interface BaselineOptions {
  /** Seed of the uniform baseline. */
  seed?: number;
  /** σ in pixels of the blur baseline (default: an eighth of the smaller image side, ≥ 1). */
  blurSigma?: number;
}

/** mulberry32: a small seeded generator of uniform [0, 1) numbers. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller over mulberry32). */
export function normalSampler(seed: number): () => number {
  const next = mulberry32(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(next(), 1e-12);
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Separable Gaussian blur of the last two axes (or the last one for rank-2 rows), edges clamped. */
export function gaussianBlur(
  x: ArrayLike<number>,
  rowShape: readonly number[],
  sigma: number,
): Float32Array {
  const spatial = rowShape.length >= 3 ? rowShape.slice(-2) : [1, rowShape[rowShape.length - 1]];
  const [h, w] = spatial;
  const planes = x.length / (h * w);
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from(
    { length: 2 * radius + 1 },
    (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)),
  );
  const total = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i] /= total;
  const out = new Float32Array(x.length);
  const tmp = new Float64Array(h * w);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) {
          const cc = Math.min(w - 1, Math.max(0, c + k));
          s += kernel[k + radius] * x[base + r * w + cc];
        }
        tmp[r * w + c] = s;
      }
    }
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        let s = 0;
        if (h === 1) s = tmp[c];
        else {
          for (let k = -radius; k <= radius; k++) {
            const rr = Math.min(h - 1, Math.max(0, r + k));
            s += kernel[k + radius] * tmp[rr * w + c];
          }
        }
        out[base + r * w + c] = s;
      }
    }
  }
  return out;
}

/**
 * Checks a baseline for examples of `rowShape` (batch axis of 1) before any work: its kind, a
 * user baseline's length, and a blur's σ — a finite number > 0 and at most the longest blurred
 * side (past it the blur is flat, and its kernel, 6σ wide, would make the host work grow
 * without bound).
 *
 * @throws {ArgumentError} for an unknown kind, a blur of a row without spatial axes or a bad σ;
 *   {@linkcode ShapeError} for a user baseline of another size; {@linkcode LimitExceededError}
 *   for a σ over the longest side.
 */
export function checkBaseline(
  baseline: Baseline,
  rowShape: readonly number[],
  options: BaselineOptions = {},
): void {
  const n = sizeOf(rowShape);
  if (typeof baseline !== 'string') {
    if (!ArrayBuffer.isView(baseline) && !Array.isArray(baseline)) {
      throw new ArgumentError(
        `Cannot use the baseline: it must be zeros, blur, uniform or an array of values, got ` +
          `${baseline === null ? 'null' : typeof baseline}`,
      );
    }
    if (baseline.length !== n) {
      throw new ShapeError(
        `Cannot use the baseline: it has ${baseline.length} values, one example has ${n} ` +
          `([${rowShape.slice(1)}])`,
      );
    }
    return;
  }
  if (baseline === 'blur') {
    if (rowShape.length < 3) {
      throw new ArgumentError(
        `Cannot use the blur baseline: an example of shape [${rowShape.slice(1)}] has no ` +
          'spatial axes to blur along (it needs [N, C, ...spatial]); use zeros, uniform or ' +
          'an array of values',
      );
    }
    const sigma = options.blurSigma;
    if (sigma === undefined) return;
    if (typeof sigma !== 'number' || !(sigma > 0) || !Number.isFinite(sigma)) {
      throw new ArgumentError(`Cannot blur: blurSigma must be a finite number > 0, got ${sigma}`);
    }
    const side = Math.max(...rowShape.slice(-2));
    if (sigma > side) {
      throw new LimitExceededError(
        `Cannot blur: blurSigma ${sigma} exceeds the limit of ${side} (the longest blurred side)`,
      );
    }
    return;
  }
  if (baseline !== 'zeros' && baseline !== 'uniform') {
    throw new ArgumentError(
      `Cannot use baseline '${baseline}': use zeros, blur, uniform or an array of values`,
    );
  }
}

/**
 * The baseline values for one example `x` (host values of the site, `rowShape` with the batch
 * axis of 1).
 *
 * @throws as {@linkcode checkBaseline}.
 */
export function baselineFor(
  baseline: Baseline,
  x: ArrayLike<number>,
  rowShape: readonly number[],
  options: BaselineOptions = {},
): Float32Array {
  checkBaseline(baseline, rowShape, options);
  const n = sizeOf(rowShape);
  if (typeof baseline !== 'string') return Float32Array.from(baseline);
  switch (baseline) {
    case 'zeros':
      return new Float32Array(n);
    case 'uniform': {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        lo = Math.min(lo, x[i]);
        hi = Math.max(hi, x[i]);
      }
      const next = mulberry32(options.seed ?? 0);
      return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
    }
    case 'blur': {
      const side = Math.min(...rowShape.slice(-2));
      const sigma = options.blurSigma ?? Math.max(1, side / 8);
      return gaussianBlur(x, rowShape, sigma);
    }
    default:
      return new Float32Array(n);
  }
}
