/**
 * ONNX `Slice` on the GPU (one strided copy, `shaders/nn/strided_copy.wgsl`) and its CPU
 * reference: per-axis starts, ends and steps, negative ones included, clamped by ONNX's rules.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { checkOperand } from './common.ts';
import { stridedCopy } from './strided_copy.ts';

/** Options for {@linkcode slice} and {@linkcode sliceOutputShape}. */
export interface SliceOptions {
  /** First index per sliced axis (negative counts from the end; ±Infinity allowed). */
  starts: readonly number[];
  /**
   * End index (exclusive) per sliced axis (negative counts from the end). Values past the axis,
   * such as int64's extremes or ±Infinity, are clamped.
   */
  ends: readonly number[];
  /** Axes the entries refer to (negative counts from the end, no repeats). Default 0, 1, .... */
  axes?: readonly number[];
  /** Step per sliced axis, non-zero (negative walks backwards). Default 1. */
  steps?: readonly number[];
  /** Label of the output buffer. */
  label?: string;
}

/** A resolved slice: per axis of the input, the first index, the step and the output length. */
export interface SlicePlan {
  /** First input index per axis (meaningless where the length is 0). */
  starts: number[];
  /** Step per axis. */
  steps: number[];
  /** Output shape. */
  shape: number[];
}

function formatList(list: readonly number[]): string {
  return `[${list.join(', ')}]`;
}

/**
 * Resolves `options` against an input of `shape` by ONNX's rules (opset 13): a negative start or
 * end has the axis length added; then for a positive step start and end are clamped to
 * `[0, len]`, for a negative step start to `[0, len − 1]` and end to `[−1, len − 1]`; the output
 * length is `max(0, ceil((end − start) / step))`. Ends past the axis (such as int64's maximum)
 * (and ±Infinity) are clamped like any other.
 *
 * @throws {ArgumentError} for lists of different lengths, non-integers, a zero step, an axis
 *   out of range or repeated.
 */
export function planSlice(shape: readonly number[], options: SliceOptions): SlicePlan {
  const rank = shape.length;
  const { starts, ends } = options;
  const what = `run slice on ${formatShape(shape)}`;
  if (!Array.isArray(starts) || !Array.isArray(ends)) {
    throw new ArgumentError(`Cannot ${what}: starts and ends must be arrays of integers`);
  }
  const count = starts.length;
  const axes = options.axes ?? Array.from({ length: count }, (_, i) => i);
  const steps = options.steps ?? new Array<number>(count).fill(1);
  if (ends.length !== count || axes.length !== count || steps.length !== count) {
    throw new ArgumentError(
      `Cannot ${what}: starts ${formatList(starts)}, ends ${formatList(ends)}, axes ` +
        `${formatList(axes)} and steps ${formatList(steps)} must have one length`,
    );
  }
  for (const [name, list] of [['starts', starts], ['ends', ends]] as const) {
    if (list.some((v) => !Number.isInteger(v) && Math.abs(v) !== Infinity)) {
      throw new ArgumentError(
        `Cannot ${what}: ${name} ${formatList(list)} must be integers (or ±Infinity)`,
      );
    }
  }
  if (steps.some((v) => !Number.isInteger(v))) {
    throw new ArgumentError(`Cannot ${what}: steps ${formatList(steps)} must be integers`);
  }
  const plan: SlicePlan = {
    starts: new Array<number>(rank).fill(0),
    steps: new Array<number>(rank).fill(1),
    shape: [...shape],
  };
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const axis = normalizeAxis(axes[i], rank, what);
    if (seen.has(axis)) {
      throw new ArgumentError(`Cannot ${what}: axes ${formatList(axes)} repeat axis ${axis}`);
    }
    seen.add(axis);
    const step = steps[i];
    if (step === 0) {
      throw new ArgumentError(`Cannot ${what}: steps ${formatList(steps)} contain a zero`);
    }
    const len = shape[axis];
    let start = starts[i] < 0 ? starts[i] + len : starts[i];
    let end = ends[i] < 0 ? ends[i] + len : ends[i];
    if (step > 0) {
      start = Math.min(Math.max(start, 0), len);
      end = Math.min(Math.max(end, 0), len);
    } else {
      start = Math.min(Math.max(start, 0), len - 1);
      end = Math.min(Math.max(end, -1), len - 1);
    }
    plan.starts[axis] = start;
    plan.steps[axis] = step;
    plan.shape[axis] = len === 0 ? 0 : Math.max(0, Math.ceil((end - start) / step));
  }
  return plan;
}

/** The output shape of {@linkcode slice} for an input of `shape` (ONNX shape inference). */
export function sliceOutputShape(shape: readonly number[], options: SliceOptions): number[] {
  return planSlice(shape, options).shape;
}

/**
 * ONNX `Slice`: `y[c] = x[start + c·step]` per axis; axes not listed are kept whole. Returns a
 * new tensor of `x`'s dtype (f32 or i32); an empty result is allowed.
 *
 * @example
 * ```ts ignore
 * using last = slice(engine, x, { starts: [-1], ends: [Infinity], axes: [1] });
 * using reversed = slice(engine, x, { starts: [-1], ends: [-Infinity], steps: [-1] });
 * ```
 * @throws {ArgumentError} for malformed starts/ends/axes/steps (see {@linkcode planSlice}).
 */
export function slice(engine: Engine, x: Tensor, options: SliceOptions): Tensor {
  checkOperand(engine, 'slice', 'x', x, ['f32', 'i32']);
  const plan = planSlice(x.shape, options);
  const y = empty(engine, plan.shape, { dtype: x.dtype, label: options.label ?? 'slice.out' });
  if (y.size === 0) return y;
  const strides = stridesOf(x.shape);
  let srcBase = 0;
  for (let d = 0; d < x.rank; d++) srcBase += plan.starts[d] * strides[d];
  stridedCopy(engine, x, y, {
    shape: plan.shape,
    srcBase,
    srcStrides: strides.map((s, d) => s * plan.steps[d]),
  }, 'slice');
  return y;
}

/** CPU reference of {@linkcode slice}: walks the output coordinates. */
export function sliceReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  options: SliceOptions,
): { data: number[]; shape: number[] } {
  const plan = planSlice(shape, options);
  const strides = stridesOf(shape);
  const n = sizeOf(plan.shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let src = 0;
    for (let d = plan.shape.length - 1; d >= 0; d--) {
      const c = rest % plan.shape[d];
      rest = Math.floor(rest / plan.shape[d]);
      src += (plan.starts[d] + c * plan.steps[d]) * strides[d];
    }
    data[i] = x[src];
  }
  return { data, shape: plan.shape };
}
