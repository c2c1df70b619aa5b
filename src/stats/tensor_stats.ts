/**
 * Summary statistics of any tensor on the GPU: count, mean, variance, min, max, L1/L2/L∞ norms,
 * sparsity, NaN and ±Inf counts (by bit pattern), and a histogram with exact counts from
 * privatized workgroup counters, with quantiles read from it. One GPU pass for the moments
 * (`shaders/stats/moments.wgsl`) and one for the histogram (`shaders/stats/histogram.wgsl`),
 * whose range comes from the first unless given.
 *
 * @module
 */

import histogramSource from '../../shaders/stats/histogram.wgsl' with { type: 'text' };
import momentsSource from '../../shaders/stats/moments.wgsl' with { type: 'text' };
import { type Engine, TENSOR_USAGE } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { checkOperand, WORKGROUP_SIZE } from '../ops/common.ts';
import type { Tensor } from '../tensor.ts';

/** Options for {@linkcode tensorStats}. */
export interface TensorStatsOptions {
  /** Histogram bins, 1 to 4096. Default 64. */
  bins?: number;
  /** Histogram range [lo, hi]; default the finite values' [min, max]. */
  range?: readonly [number, number];
  /** Values with |x| ≤ epsilon count as zero for `sparsity`. Default 0. */
  epsilon?: number;
  /**
   * Also the moments of each slice along axis 0 (output channels of a conv weight, rows of a
   * matrix), in {@linkcode TensorStatistics.channels}.
   */
  perChannel?: boolean;
}

/** Moments of a tensor or of one channel (everything but the histogram). */
export type Moments = Omit<TensorStatistics, 'histogram' | 'channels'>;

/** A histogram: `counts[i]` values fell in [lo + i·w, lo + (i+1)·w), the last bin closed. */
export interface Histogram {
  /** Lower edge. */
  lo: number;
  /** Upper edge. */
  hi: number;
  /** Counts per bin (exact). */
  counts: Uint32Array;
  /** Finite values below `lo` (only with an explicit range). */
  below: number;
  /** Finite values above `hi` (only with an explicit range). */
  above: number;
}

/** What {@linkcode tensorStats} returns. Moments are over the finite values. */
export interface TensorStatistics {
  /** All elements. */
  count: number;
  /** Finite elements. */
  finite: number;
  /** NaN elements. */
  nan: number;
  /** +Inf elements. */
  posInf: number;
  /** −Inf elements. */
  negInf: number;
  /** Mean (NaN when there is no finite value). */
  mean: number;
  /** Population variance. */
  variance: number;
  /** Population standard deviation. */
  std: number;
  /** Smallest finite value. */
  min: number;
  /** Largest finite value. */
  max: number;
  /** Σ|x|. */
  l1: number;
  /** √Σx². */
  l2: number;
  /** max |x|. */
  linf: number;
  /** Fraction of finite values with |x| ≤ epsilon. */
  sparsity: number;
  /** The histogram. */
  histogram: Histogram;
  /** Per-channel moments, with `perChannel`. */
  channels?: Moments[];
}

const FIELDS = 12;
const MAX_BINS = 4096;
const PER_GROUP = WORKGROUP_SIZE * 16;

/** Elements per moments workgroup: at least 4096, at most 2²⁰ (f32 counts stay exact). */
function spanLength(n: number): number {
  return Math.min(1 << 20, Math.max(4096, Math.ceil(n / 1024)));
}

function checkOptions(options: TensorStatsOptions): { bins: number; epsilon: number } {
  const bins = options.bins ?? 64;
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) {
    throw new ArgumentError(`Cannot compute statistics: bins must be 1..${MAX_BINS}, got ${bins}`);
  }
  const epsilon = options.epsilon ?? 0;
  if (!(epsilon >= 0)) {
    throw new ArgumentError(`Cannot compute statistics: epsilon must be ≥ 0, got ${epsilon}`);
  }
  if (options.range) {
    const [lo, hi] = options.range;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new ArgumentError(
        `Cannot compute statistics: range must be finite with lo < hi, got [${lo}, ${hi}]`,
      );
    }
  }
  return { bins, epsilon };
}

/** The f32 histogram parameters both the kernel and the reference use. */
export function histogramParameters(
  bins: number,
  lo: number,
  hi: number,
): { lo: number; hi: number; scale: number } {
  let l = Math.fround(lo);
  let h = Math.fround(hi);
  if (!(h > l)) {
    // A constant tensor: one unit wide around its value.
    l = Math.fround(l - 0.5);
    h = Math.fround(h + 0.5);
  }
  return { lo: l, hi: h, scale: Math.fround(bins / Math.fround(h - l)) };
}

/**
 * The histogram's f32 parameters: the given range, else the finite values' [min, max]; an empty
 * histogram (scale 0) when there is neither.
 */
function histogramRange(
  bins: number,
  range: readonly [number, number] | undefined,
  moments: { finite: number; min: number; max: number },
): { lo: number; hi: number; scale: number } {
  if (range) return histogramParameters(bins, range[0], range[1]);
  if (moments.finite === 0) return { lo: 0, hi: 0, scale: 0 };
  return histogramParameters(bins, moments.min, moments.max);
}

/**
 * Statistics of `x` (f32), computed on the GPU and read back.
 *
 * @example
 * ```ts ignore
 * const s = await tensorStats(engine, weights, { bins: 100, perChannel: true });
 * console.log(s.mean, s.std, histogramQuantile(s.histogram, 0.5), s.channels?.[0].std);
 * ```
 */
export async function tensorStats(
  engine: Engine,
  x: Tensor,
  options: TensorStatsOptions = {},
): Promise<TensorStatistics> {
  return (await tensorStatsBatch(engine, [x], options))[0];
}

/**
 * Statistics of many tensors at once (e.g. every weight of a model): all moments passes in one
 * submission and one readback, then all histograms in one submission and one readback.
 */
export async function tensorStatsBatch(
  engine: Engine,
  xs: readonly Tensor[],
  options: TensorStatsOptions = {},
): Promise<TensorStatistics[]> {
  xs.forEach((x, i) => checkOperand(engine, 'tensorStats', `tensor ${i}`, x));
  const { bins, epsilon } = checkOptions(options);
  if (xs.length === 0) return [];
  const layouts = xs.map((x) => {
    const n = x.size;
    const channels = options.perChannel && x.rank > 0 && x.shape[0] > 0 ? x.shape[0] : 1;
    const channelLen = Math.max(1, n / channels);
    const spanLen = spanLength(channelLen);
    const spansPerChannel = Math.max(1, Math.ceil(channelLen / spanLen));
    return { n, channels, channelLen, spanLen, spansPerChannel, spans: channels * spansPerChannel };
  });
  const totalSpans = layouts.reduce((a, l) => a + l.spans, 0);
  const partials = engine.pooledBuffer(
    'stats.partials',
    totalSpans * FIELDS * 4,
    TENSOR_USAGE,
    false,
  );
  let base = 0;
  const bases = layouts.map((l, i) => {
    const params = new ArrayBuffer(32);
    new Uint32Array(params, 0, 3).set([l.n, l.spanLen, l.spans]);
    new Float32Array(params, 12, 1)[0] = epsilon;
    new Uint32Array(params, 16, 3).set([l.channelLen, l.spansPerChannel, base]);
    engine.dispatch({
      code: momentsSource,
      label: 'stats/moments.wgsl',
      constants: { WG: WORKGROUP_SIZE },
      bindings: [xs[i].buffer, partials, engine.constants('stats.params', new Uint32Array(params))],
      workgroups: l.spans,
    });
    const b = base;
    base += l.spans;
    return b;
  });
  const raw = new Float32Array(await engine.read(partials, totalSpans * FIELDS * 4));
  engine.release(partials);
  const moments = layouts.map((l, i) => {
    const mine = raw.subarray(bases[i] * FIELDS, (bases[i] + l.spans) * FIELDS);
    const all = combinePartials(mine, l.spans, l.n);
    const channels = options.perChannel
      ? Array.from({ length: l.channels }, (_, c) =>
        combinePartials(
          mine.subarray(c * l.spansPerChannel * FIELDS, (c + 1) * l.spansPerChannel * FIELDS),
          l.spansPerChannel,
          l.n / l.channels,
        ))
      : undefined;
    return { all, channels };
  });

  const stride = bins + 2;
  const counts = engine.pooledBuffer('stats.histogram', stride * xs.length * 4, TENSOR_USAGE, true);
  const ranges = moments.map(({ all }, i) => {
    const h = histogramRange(bins, options.range, all);
    if (xs[i].size > 0 && h.scale > 0) {
      const hp = new ArrayBuffer(32);
      new Uint32Array(hp, 0, 2).set([xs[i].size, bins]);
      new Float32Array(hp, 8, 3).set([h.lo, h.scale, h.hi]);
      new Uint32Array(hp, 20, 1)[0] = i * stride;
      engine.dispatch({
        code: histogramSource,
        label: 'stats/histogram.wgsl',
        constants: { WG: WORKGROUP_SIZE, MAX_BINS },
        bindings: [
          xs[i].buffer,
          counts,
          engine.constants('stats.histogram.params', new Uint32Array(hp)),
        ],
        workgroups: Math.ceil(xs[i].size / PER_GROUP),
      });
    }
    return h;
  });
  const all = new Uint32Array(await engine.read(counts, stride * xs.length * 4));
  engine.release(counts);
  return moments.map((m, i) => {
    const c = all.subarray(i * stride, (i + 1) * stride);
    const result: TensorStatistics = {
      ...m.all,
      histogram: {
        lo: ranges[i].lo,
        hi: ranges[i].hi,
        counts: c.slice(0, bins),
        below: c[bins],
        above: c[bins + 1],
      },
    };
    if (m.channels) result.channels = m.channels;
    return result;
  });
}

/** Combines per-span partials (count, mean, M2, ...) in f64 by Chan's formula. */
function combinePartials(raw: Float32Array, spans: number, n: number): Moments {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  let l1 = 0;
  let sumSq = 0;
  let linf = 0;
  let small = 0;
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  for (let g = 0; g < spans; g++) {
    const p = raw.subarray(g * FIELDS, (g + 1) * FIELDS);
    const c = p[0];
    if (c > 0) {
      const total = count + c;
      const delta = p[1] - mean;
      mean += (delta * c) / total;
      m2 += p[2] + (delta * delta * count * c) / total;
      count = total;
      min = Math.min(min, p[3]);
      max = Math.max(max, p[4]);
    }
    l1 += p[5];
    sumSq += p[6];
    linf = Math.max(linf, p[7]);
    small += p[8];
    nan += p[9];
    posInf += p[10];
    negInf += p[11];
  }
  const variance = count > 0 ? Math.max(0, m2 / count) : NaN;
  return {
    count: n,
    finite: count,
    nan,
    posInf,
    negInf,
    mean: count > 0 ? mean : NaN,
    variance,
    std: Math.sqrt(variance),
    min: count > 0 ? min : NaN,
    max: count > 0 ? max : NaN,
    l1,
    l2: Math.sqrt(sumSq),
    linf,
    sparsity: count > 0 ? small / count : NaN,
  };
}

/**
 * The q-quantile (0..1) estimated from a histogram: the bin where the cumulative count reaches
 * q·total, interpolated linearly inside it. Exact to within one bin width.
 */
export function histogramQuantile(h: Histogram, q: number): number {
  if (!(q >= 0 && q <= 1)) {
    throw new ArgumentError(`Cannot take quantile ${q}: q must be in [0, 1]`);
  }
  let total = 0;
  for (const c of h.counts) total += c;
  if (total === 0) return NaN;
  const target = q * total;
  const width = (h.hi - h.lo) / h.counts.length;
  let cumulative = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i];
    if (c > 0 && cumulative + c >= target) {
      return h.lo + width * (i + (target - cumulative) / c);
    }
    cumulative += c;
  }
  return h.hi;
}

/**
 * f64 CPU reference of {@linkcode tensorStats} (the histogram repeats the kernel's f32 steps).
 * With `perChannel`, `channels` says how many equal slices the data has (axis 0's size).
 */
export function tensorStatsReference(
  data: ArrayLike<number>,
  options: TensorStatsOptions & { channels?: number } = {},
): TensorStatistics {
  const { bins, epsilon } = checkOptions(options);
  if (options.perChannel) {
    const channels = options.channels ?? 1;
    const len = data.length / channels;
    const all = tensorStatsReference(data, { ...options, perChannel: false });
    all.channels = Array.from({ length: channels }, (_, c) => {
      const slice = Array.prototype.slice.call(data, c * len, (c + 1) * len) as number[];
      const { histogram: _h, channels: _c, ...moments } = tensorStatsReference(slice, {
        epsilon: options.epsilon,
      });
      return moments;
    });
    return all;
  }
  let finite = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let l1 = 0;
  let sumSq = 0;
  let linf = 0;
  let small = 0;
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isNaN(v)) nan++;
    else if (v === Infinity) posInf++;
    else if (v === -Infinity) negInf++;
    else {
      finite++;
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
      l1 += Math.abs(v);
      sumSq += v * v;
      linf = Math.max(linf, Math.abs(v));
      if (Math.abs(v) <= Math.fround(epsilon)) small++;
    }
  }
  const mean = finite > 0 ? sum / finite : NaN;
  let m2 = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) m2 += (data[i] - mean) ** 2;
  const variance = finite > 0 ? m2 / finite : NaN;
  const h = histogramRange(bins, options.range, { finite, min, max });
  const counts = new Uint32Array(bins);
  let below = 0;
  let above = 0;
  if (h.scale > 0) {
    for (let i = 0; i < data.length; i++) {
      const v = Math.fround(data[i]);
      if (!Number.isFinite(v)) continue;
      if (v < h.lo) below++;
      else if (v > h.hi) above++;
      else {
        const t = Math.floor(Math.fround(Math.fround(v - h.lo) * h.scale));
        counts[Math.min(Math.max(t, 0), bins - 1)]++;
      }
    }
  }
  return {
    count: data.length,
    finite,
    nan,
    posInf,
    negInf,
    mean,
    variance,
    std: Math.sqrt(variance),
    min: finite > 0 ? min : NaN,
    max: finite > 0 ? max : NaN,
    l1,
    l2: Math.sqrt(sumSq),
    linf,
    sparsity: finite > 0 ? small / finite : NaN,
    histogram: { lo: h.lo, hi: h.hi, counts, below, above },
  };
}
