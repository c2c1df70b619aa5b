/**
 * N-D resampling with ONNX `Resize` semantics (nearest, linear and cubic interpolation; every
 * coordinate transformation mode) on the GPU (`shaders/nn/resize.wgsl`), its backward (the
 * transposed interpolation, as a gather), and their f64 CPU references.
 *
 * The host computes, in f64, each resized axis's taps (source index and weight per output
 * coordinate); the kernel gathers through these tables. Its backward runs the same kernel on
 * the transposed tables. The CPU reference is a separate transcription of the ONNX backend
 * tests' reference algorithm (edge-padded neighbours, recursive over the axes).
 *
 * @module
 */

import resizeSource from '../../shaders/nn/resize.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Interpolation mode. */
export type ResizeMode = 'nearest' | 'linear' | 'cubic';

/** How an output coordinate maps to an input coordinate (ONNX `coordinate_transformation_mode`). */
export type CoordinateTransformationMode =
  | 'half_pixel'
  | 'half_pixel_symmetric'
  | 'pytorch_half_pixel'
  | 'align_corners'
  | 'asymmetric'
  | 'tf_half_pixel_for_nn'
  | 'tf_crop_and_resize';

/**
 * How nearest mode rounds a source coordinate. `simple` is ONNX Resize-10's and Upsample's
 * (onnxruntime's): floor when upsampling an axis, ceil when downsampling it.
 */
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'simple';

/** The coordinate transformation modes, for validation. */
export const COORDINATE_MODES: readonly CoordinateTransformationMode[] = [
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_half_pixel_for_nn',
  'tf_crop_and_resize',
];

/** The nearest rounding modes, for validation. */
export const NEAREST_MODES: readonly NearestMode[] = [
  'round_prefer_floor',
  'round_prefer_ceil',
  'floor',
  'ceil',
  'simple',
];

/** Options for {@linkcode resize} and its references. */
export interface ResizeOptions {
  /** Output shape (same rank as x). Required. */
  sizes: readonly number[];
  /**
   * Per-axis scale as the coordinate transformation sees it (output length / input length);
   * default `sizes[d] / xShape[d]`. ONNX passes the given scales here (`floor(in·scale)` is
   * the size).
   */
  scales?: readonly number[];
  /** Interpolation; default `nearest`. */
  mode?: ResizeMode;
  /** Default `half_pixel`. */
  coordinateTransformationMode?: CoordinateTransformationMode;
  /** Default `round_prefer_floor`. */
  nearestMode?: NearestMode;
  /** Cubic kernel parameter A; default −0.75 (PyTorch uses the same). */
  cubicCoeffA?: number;
  /** Zero the weights of taps outside the input and renormalize; default false. */
  excludeOutside?: boolean;
  /** Output value of tf_crop_and_resize outside the input; default 0. */
  extrapolationValue?: number;
  /** tf_crop_and_resize's region, normalized: [start_0, ..., start_r−1, end_0, ..., end_r−1]. */
  roi?: readonly number[];
  /** Label of the output buffer. */
  label?: string;
}

interface Resolved {
  inShape: number[];
  outShape: number[];
  scales: number[];
  mode: ResizeMode;
  coord: CoordinateTransformationMode;
  nearest: NearestMode;
  a: number;
  exclude: boolean;
  fill: number;
  roi: number[];
}

function resolve(xShape: readonly number[], options: ResizeOptions, what: string): Resolved {
  const rank = xShape.length;
  const fail = (message: string): never => {
    throw new ArgumentError(`Cannot ${what} of x ${formatShape(xShape)}: ${message}`);
  };
  if (rank === 0) fail('x must have rank >= 1');
  const sizes = options.sizes;
  if (!Array.isArray(sizes) || sizes.length !== rank) {
    throw new ShapeError(
      `Cannot ${what} of x ${formatShape(xShape)}: sizes must list ${rank} output dimensions, ` +
        `got ${JSON.stringify(sizes)}`,
    );
  }
  if (sizes.some((d) => !Number.isInteger(d) || d < 1)) {
    fail(`sizes ${formatShape(sizes)} must be positive integers`);
  }
  if (xShape.some((d) => d < 1)) fail('x must not be empty');
  const scales = options.scales ? [...options.scales] : sizes.map((d, i) => d / xShape[i]);
  if (scales.length !== rank || scales.some((s) => !(s > 0) || !Number.isFinite(s))) {
    fail(`scales [${scales}] must be ${rank} positive finite numbers`);
  }
  const mode = options.mode ?? 'nearest';
  if (!['nearest', 'linear', 'cubic'].includes(mode)) fail(`unknown mode '${mode}'`);
  const coord = options.coordinateTransformationMode ?? 'half_pixel';
  if (!COORDINATE_MODES.includes(coord)) fail(`unknown coordinate transformation '${coord}'`);
  const nearest = options.nearestMode ?? 'round_prefer_floor';
  if (!NEAREST_MODES.includes(nearest)) fail(`unknown nearest mode '${nearest}'`);
  const roi = options.roi ? [...options.roi] : [...xShape.map(() => 0), ...xShape.map(() => 1)];
  if (roi.length !== 2 * rank || roi.some((v) => !Number.isFinite(v))) {
    fail(`roi [${roi}] must hold ${2 * rank} finite numbers (starts, then ends)`);
  }
  const a = options.cubicCoeffA ?? -0.75;
  const fill = options.extrapolationValue ?? 0;
  if (!Number.isFinite(a) || !Number.isFinite(fill)) {
    fail('cubicCoeffA and extrapolationValue must be finite');
  }
  return {
    inShape: [...xShape],
    outShape: [...sizes],
    scales,
    mode,
    coord,
    nearest,
    a,
    exclude: options.excludeOutside ?? false,
    fill,
    roi,
  };
}

/**
 * The input coordinate (f64) that output coordinate `o` of axis `d` samples, by the ONNX
 * formulas; `length_resized` is `scale·length_original` (a fraction when scales are given), as
 * in the ONNX reference, except for tf_crop_and_resize, which uses the output length (as
 * onnxruntime does: the crop spans the whole output).
 */
export function sourceCoordinate(
  o: number,
  inSize: number,
  outSize: number,
  scale: number,
  coord: CoordinateTransformationMode,
  roiStart = 0,
  roiEnd = 1,
): number {
  const resized = scale * inSize;
  switch (coord) {
    case 'half_pixel':
      return (o + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = outSize / resized;
      const center = inSize / 2;
      return center * (1 - adjustment) + (o + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel':
      return resized > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return resized === 1 ? 0 : o * (inSize - 1) / (resized - 1);
    case 'asymmetric':
      return o / scale;
    case 'tf_half_pixel_for_nn':
      return (o + 0.5) / scale;
    case 'tf_crop_and_resize':
      return outSize > 1
        ? roiStart * (inSize - 1) + o * (roiEnd - roiStart) * (inSize - 1) / (outSize - 1)
        : 0.5 * (roiStart + roiEnd) * (inSize - 1);
  }
}

/** The cubic convolution weights of taps floor(x) − 1 .. floor(x) + 2 at fraction `t`. */
function cubicWeights(t: number, a: number): number[] {
  const near = (s: number) => ((a + 2) * s - (a + 3)) * s * s + 1; // |s| ≤ 1
  const far = (s: number) => ((a * s - 5 * a) * s + 8 * a) * s - 4 * a; // 1 < |s| < 2
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/** Rounds a source coordinate to a tap by the nearest mode. */
function roundNearest(x: number, mode: NearestMode, scale: number): number {
  const f = Math.floor(x);
  switch (mode) {
    case 'round_prefer_floor':
      return x - f <= 0.5 ? f : f + 1;
    case 'round_prefer_ceil':
      return x - f < 0.5 ? f : f + 1;
    case 'floor':
      return f;
    case 'ceil':
      return Math.ceil(x);
    case 'simple':
      return scale < 1 ? Math.ceil(x) : f;
  }
}

/** The taps of one axis: per output coordinate, source indices and weights (f64). */
export interface AxisTaps {
  /** Per output coordinate: the source indices (distinct, within the input). */
  index: number[][];
  /** Per output coordinate: the weights (nonzero); empty lists mark extrapolated outputs. */
  weight: number[][];
  /** Whether every output coordinate reads its own index with weight 1. */
  identity: boolean;
}

/**
 * The interpolation taps of axis `d`: clamped to the edge, exclude_outside applied, duplicate
 * indices merged, zero weights dropped.
 */
function axisTaps(r: Resolved, d: number): AxisTaps {
  const inSize = r.inShape[d];
  const outSize = r.outShape[d];
  const scale = r.scales[d];
  const rank = r.inShape.length;
  const index: number[][] = [];
  const weight: number[][] = [];
  let identity = inSize === outSize;
  for (let o = 0; o < outSize; o++) {
    const x = sourceCoordinate(o, inSize, outSize, scale, r.coord, r.roi[d], r.roi[rank + d]);
    let taps: number[];
    let ws: number[];
    if (r.coord === 'tf_crop_and_resize' && (x < 0 || x > inSize - 1)) {
      taps = [];
      ws = [];
    } else if (r.mode === 'nearest') {
      taps = [roundNearest(x, r.nearest, scale)];
      ws = [1];
    } else {
      const f = Math.floor(x);
      const t = x - f;
      if (r.mode === 'linear') {
        taps = [f, f + 1];
        ws = [1 - t, t];
      } else {
        taps = [f - 1, f, f + 1, f + 2];
        ws = cubicWeights(t, r.a);
      }
      if (r.exclude) {
        ws = ws.map((w, k) => (taps[k] < 0 || taps[k] >= inSize ? 0 : w));
        const total = ws.reduce((s, w) => s + w, 0);
        ws = ws.map((w) => w / total);
      }
    }
    const merged = new Map<number, number>();
    taps.forEach((tap, k) => {
      const at = Math.min(Math.max(tap, 0), inSize - 1);
      merged.set(at, (merged.get(at) ?? 0) + ws[k]);
    });
    const idx: number[] = [];
    const wt: number[] = [];
    for (const [at, w] of [...merged].sort((p, q) => p[0] - q[0])) {
      if (w !== 0) {
        idx.push(at);
        wt.push(w);
      }
    }
    if (!(idx.length === 1 && idx[0] === o && wt[0] === 1)) identity = false;
    index.push(idx);
    weight.push(wt);
  }
  return { index, weight, identity };
}

/** The transposed taps: per input coordinate, the output coordinates that read it. */
function transposeTaps(taps: AxisTaps, inSize: number): AxisTaps {
  const index: number[][] = Array.from({ length: inSize }, () => []);
  const weight: number[][] = Array.from({ length: inSize }, () => []);
  taps.index.forEach((list, o) => {
    list.forEach((j, k) => {
      index[j].push(o);
      weight[j].push(taps.weight[o][k]);
    });
  });
  return { index, weight, identity: taps.identity };
}

/** The plan of a resampling: output shape and the taps of every axis. */
export interface ResizePlan {
  /** Input shape. */
  inShape: number[];
  /** Output shape. */
  outShape: number[];
  /** Taps per axis. */
  taps: AxisTaps[];
  /** Value of extrapolated outputs. */
  fill: number;
}

/**
 * Validates the options and computes every axis's taps (f64).
 *
 * @throws {ShapeError} for sizes of the wrong rank; {@linkcode ArgumentError} for bad scales,
 *   modes, roi or parameters.
 */
export function planResize(xShape: readonly number[], options: ResizeOptions): ResizePlan {
  const r = resolve(xShape, options, 'run resize');
  return {
    inShape: r.inShape,
    outShape: r.outShape,
    taps: r.inShape.map((_, d) => axisTaps(r, d)),
    fill: r.fill,
  };
}

const IDENTITY = 0xffffffff;
const MAX_AXES = 8;

/** Runs the gather kernel: dst of `dstShape` from src of `srcShape` through `taps`. */
function gather(
  engine: Engine,
  src: Tensor,
  srcShape: readonly number[],
  dstShape: readonly number[],
  taps: AxisTaps[],
  fill: number,
  label: string,
): Tensor {
  const dst = empty(engine, dstShape, { label });
  const n = dst.size;
  if (n === 0) return dst;
  const rank = dstShape.length;
  const tableAxes = taps.filter((t) => !t.identity).length;
  if (tableAxes > MAX_AXES) {
    dst.destroy();
    throw new ArgumentError(
      `Cannot run resize on ${formatShape(srcShape)}: at most ${MAX_AXES} axes can be ` +
        `resampled, ${tableAxes} are`,
    );
  }
  const words: number[] = [];
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const bits = (v: number) => {
    f32[0] = v;
    return u32[0];
  };
  const geom = new Uint32Array(4 + 3 * rank);
  geom.set([n, rank, bits(fill), 0]);
  const strides = stridesOf(srcShape);
  taps.forEach((t, d) => {
    let base = IDENTITY;
    if (!t.identity) {
      base = words.length;
      const dim = dstShape[d];
      let at = base + dim + 1;
      for (let o = 0; o <= dim; o++) {
        words.push(at);
        if (o < dim) at += 2 * t.index[o].length;
      }
      for (let o = 0; o < dim; o++) {
        t.index[o].forEach((j, k) => words.push(j, bits(t.weight[o][k])));
      }
    }
    geom.set([dstShape[d], strides[d], base], 4 + 3 * d);
  });
  if (words.length === 0) words.push(0);
  engine.dispatch({
    code: resizeSource,
    label: 'nn/resize.wgsl',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      src.buffer,
      dst.buffer,
      engine.constants('resize.table', new Uint32Array(words)),
      engine.constants('resize.geometry', geom),
    ],
    workgroups: Math.ceil(n / WORKGROUP_SIZE),
  });
  return dst;
}

/**
 * Resamples x (f32, any rank) to `options.sizes` with ONNX Resize semantics (axes whose size
 * and scale are unchanged are copied). Returns a new tensor. Bilinear half-pixel resampling
 * (PyTorch's `interpolate(mode='bilinear', align_corners=False)`) is `mode: 'linear'` with the
 * default `half_pixel` transformation.
 *
 * @example
 * ```ts ignore
 * using y = resize(engine, x, { sizes: [1, 3, 64, 64], mode: 'cubic' });
 * ```
 * @throws {ShapeError} for sizes of the wrong rank; {@linkcode ArgumentError} for bad options
 *   or a non-f32 x.
 */
export function resize(engine: Engine, x: Tensor, options: ResizeOptions): Tensor {
  checkOperand(engine, 'resize', 'x', x);
  const plan = planResize(x.shape, options);
  return gather(
    engine,
    x,
    plan.inShape,
    plan.outShape,
    plan.taps,
    plan.fill,
    options.label ?? 'resize.out',
  );
}

/**
 * Gradient of {@linkcode resize} with respect to x, given dy of the output shape: the transpose
 * of the interpolation, a gather over the output positions that read each input element (the
 * same kernel on transposed tap tables; no atomics). Extrapolated outputs contribute nothing.
 *
 * @throws {ShapeError} when dy's shape is not the output shape; as {@linkcode resize} for the
 *   options.
 */
export function resizeBackward(
  engine: Engine,
  dy: Tensor,
  options: ResizeOptions & { xShape: readonly number[] },
): Tensor {
  checkOperand(engine, 'resize backward', 'dy', dy);
  const plan = planResize(options.xShape, options);
  if (dy.shape.join() !== plan.outShape.join()) {
    throw new ShapeError(
      `Cannot run resize backward: dy ${formatShape(dy.shape)} must have the output shape ` +
        `${formatShape(plan.outShape)}`,
    );
  }
  const transposed = plan.taps.map((t, d) => transposeTaps(t, plan.inShape[d]));
  return gather(
    engine,
    dy,
    plan.outShape,
    plan.inShape,
    transposed,
    0,
    options.label ?? 'resize.dx',
  );
}

// ---------------------------------------------------------------------------------------------
// f64 reference: the ONNX backend tests' algorithm (onnx/backend/test/case/node/resize.py),
// transcribed: the n nearest indices of the edge-padded axis (ties to the smaller), ratio in
// (0, 1], coefficients by mode, exclude_outside renormalized, recursion over the axes.

/** Coefficients of the ONNX reference at `ratio` ∈ (0, 1] (nearest: two, on floor and ceil). */
function referenceCoefficients(r: Resolved, ratio: number, scale: number): number[] {
  if (r.mode === 'linear') return [1 - ratio, ratio];
  if (r.mode === 'cubic') return cubicWeights(ratio, r.a);
  if (ratio === 1) return [0, 1];
  switch (r.nearest) {
    case 'round_prefer_floor':
      return ratio <= 0.5 ? [1, 0] : [0, 1];
    case 'round_prefer_ceil':
      return ratio < 0.5 ? [1, 0] : [0, 1];
    case 'floor':
      return [1, 0];
    case 'ceil':
      return [0, 1];
    case 'simple':
      return scale < 1 ? [0, 1] : [1, 0];
  }
}

/** The `n` indices of [0, limit) nearest to `x`, ties to the smaller, ascending. */
function neighborIndices(x: number, n: number, limit: number): number[] {
  const lo = Math.max(0, Math.floor(x) - n);
  const hi = Math.min(limit - 1, Math.ceil(x) + n);
  const candidates: number[] = [];
  for (let i = lo; i <= hi; i++) candidates.push(i);
  candidates.sort((p, q) => Math.abs(x - p) - Math.abs(x - q) || p - q);
  return candidates.slice(0, n).sort((p, q) => p - q);
}

/** The reference's taps of axis d at output coordinate o: null when extrapolated. */
function referenceTaps(r: Resolved, d: number, o: number): { at: number[]; c: number[] } | null {
  const rank = r.inShape.length;
  const inSize = r.inShape[d];
  const x = sourceCoordinate(
    o,
    inSize,
    r.outShape[d],
    r.scales[d],
    r.coord,
    r.roi[d],
    r.roi[rank + d],
  );
  if (r.coord === 'tf_crop_and_resize' && (x < 0 || x > inSize - 1)) return null;
  const ratio = Number.isInteger(x) ? 1 : x - Math.floor(x);
  const c = referenceCoefficients(r, ratio, r.scales[d]);
  const pad = Math.ceil(c.length / 2);
  const idx = neighborIndices(x + pad, c.length, inSize + 2 * pad).map((i) => i - pad);
  if (r.exclude && r.mode !== 'nearest') {
    idx.forEach((i, k) => {
      if (i < 0 || i >= inSize) c[k] = 0;
    });
    const total = c.reduce((s, v) => s + v, 0);
    c.forEach((v, k) => (c[k] = v / total));
  }
  // Edge padding: indices outside read the nearest edge element.
  return { at: idx.map((i) => Math.min(Math.max(i, 0), inSize - 1)), c };
}

/**
 * f64 CPU reference of {@linkcode resize}: the ONNX reference algorithm. `magnitude` is the same
 * sum with |coefficients| and |x| (the scale of the f32 rounding error).
 */
export function resizeReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  options: ResizeOptions,
): { data: Float64Array; shape: number[]; magnitude: Float64Array } {
  const r = resolve(xShape, options, 'run resizeReference');
  if (x.length !== sizeOf(xShape)) {
    throw new ArgumentError(
      `Cannot run resizeReference: x has ${x.length} elements, shape ${formatShape(xShape)} ` +
        `holds ${sizeOf(xShape)}`,
    );
  }
  const rank = xShape.length;
  const strides = stridesOf(xShape);
  const n = sizeOf(r.outShape);
  const data = new Float64Array(n);
  const magnitude = new Float64Array(n);
  const coords = new Array<number>(rank).fill(0);
  const tapCache = r.outShape.map((size, d) =>
    Array.from({ length: size }, (_, o) => referenceTaps(r, d, o))
  );
  const evaluate = (d: number, offset: number): [number, number] => {
    if (d === rank) return [x[offset], Math.abs(x[offset])];
    const taps = tapCache[d][coords[d]];
    if (!taps) return [r.fill, Math.abs(r.fill)];
    let v = 0;
    let m = 0;
    taps.at.forEach((i, k) => {
      const [value, mag] = evaluate(d + 1, offset + i * strides[d]);
      v += taps.c[k] * value;
      m += Math.abs(taps.c[k]) * mag;
    });
    return [v, m];
  };
  for (let p = 0; p < n; p++) {
    let rest = p;
    for (let d = rank - 1; d >= 0; d--) {
      coords[d] = rest % r.outShape[d];
      rest = Math.floor(rest / r.outShape[d]);
    }
    [data[p], magnitude[p]] = evaluate(0, 0);
  }
  return { data, shape: r.outShape, magnitude };
}

/**
 * f64 CPU reference of {@linkcode resizeBackward}: each output's gradient spread back along the
 * reference algorithm's coefficients (its exact transpose). `magnitude` sums |coefficient·dy|.
 */
export function resizeBackwardReference(
  dy: ArrayLike<number>,
  xShape: readonly number[],
  options: ResizeOptions,
): { data: Float64Array; magnitude: Float64Array } {
  const r = resolve(xShape, options, 'run resizeBackwardReference');
  if (dy.length !== sizeOf(r.outShape)) {
    throw new ArgumentError(
      `Cannot run resizeBackwardReference: dy has ${dy.length} elements, the output shape ` +
        `${formatShape(r.outShape)} holds ${sizeOf(r.outShape)}`,
    );
  }
  const rank = xShape.length;
  const strides = stridesOf(xShape);
  const data = new Float64Array(sizeOf(xShape));
  const magnitude = new Float64Array(data.length);
  const coords = new Array<number>(rank).fill(0);
  const tapCache = r.outShape.map((size, d) =>
    Array.from({ length: size }, (_, o) => referenceTaps(r, d, o))
  );
  const spread = (d: number, offset: number, factor: number) => {
    if (d === rank) {
      data[offset] += factor;
      magnitude[offset] += Math.abs(factor);
      return;
    }
    const taps = tapCache[d][coords[d]];
    if (!taps) return;
    taps.at.forEach((i, k) => spread(d + 1, offset + i * strides[d], factor * taps.c[k]));
  };
  for (let p = 0; p < dy.length; p++) {
    let rest = p;
    for (let d = rank - 1; d >= 0; d--) {
      coords[d] = rest % r.outShape[d];
      rest = Math.floor(rest / r.outShape[d]);
    }
    // An output extrapolated along any axis reads nothing.
    if (coords.some((o, d) => !tapCache[d][o])) continue;
    spread(0, 0, dy[p]);
  }
  return { data, magnitude };
}
