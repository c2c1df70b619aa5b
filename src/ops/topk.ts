/**
 * ONNX `TopK` on the GPU (`shaders/nn/topk.wgsl`): the k largest (or smallest) elements along an
 * axis with their positions, sorted, ties to the lower index; and the gradient of the values
 * (`shaders/nn/topk_backward.wgsl`). With f64 CPU references.
 *
 * @module
 */

import topkSource from '../../shaders/nn/topk.wgsl' with { type: 'text' };
import topkBackwardSource from '../../shaders/nn/topk_backward.wgsl' with { type: 'text' };
import { type Engine, TENSOR_USAGE } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Options for {@linkcode topK}. */
export interface TopKOptions {
  /** How many elements to keep, 0 ≤ k ≤ the axis length. */
  k: number;
  /** Axis to select along (negative counts from the end). Default −1. */
  axis?: number;
  /** Largest first (default true) or smallest first. */
  largest?: boolean;
  /** Label prefix of the outputs. */
  label?: string;
}

/** Options for {@linkcode topKBackward}. */
export interface TopKBackwardOptions {
  /** The forward's axis. Default −1. */
  axis?: number;
  /** Shape of the forward's input (and of the result). */
  xShape: readonly number[];
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Positions one invocation compares against per dispatch; longer rows take several dispatches
 * (lavapipe has returned zeros for ~10⁵-step loops).
 */
const SPAN = 4096;

/** The `[outer, len, inner]` view of `shape` around `axis`, and the output shape for k. */
export function planTopK(
  shape: readonly number[],
  options: { k: number; axis?: number },
  op = 'topK',
): { axis: number; outer: number; len: number; inner: number; shape: number[] } {
  if (shape.length === 0) {
    throw new ArgumentError(`Cannot run ${op}: x must have at least one axis, got a scalar`);
  }
  const axis = normalizeAxis(options.axis ?? -1, shape.length, `run ${op}`);
  const len = shape[axis];
  const k = options.k;
  if (!Number.isInteger(k) || k < 0 || k > len) {
    throw new ArgumentError(
      `Cannot run ${op}: k must be an integer in [0, ${len}] (the length of axis ${axis} of ` +
        `${formatShape(shape)}), got ${k}`,
    );
  }
  const out = [...shape];
  out[axis] = k;
  return {
    axis,
    outer: sizeOf(shape.slice(0, axis)),
    len,
    inner: sizeOf(shape.slice(axis + 1)),
    shape: out,
  };
}

/**
 * The `k` largest (or smallest) elements of `x` along `axis`, sorted, and their positions along
 * the axis (i32). Equal elements keep their order (the lower index first); NaN counts as larger
 * than every number. Work is size(x)·len comparisons (ranking), parallel over the elements:
 * right for the class-score and attention rows glassbox sees, not for sorting millions.
 *
 * @example
 * ```ts ignore
 * const { values, indices } = topK(engine, logits, { k: 5 });
 * ```
 * @throws {ArgumentError} for a bad k or axis, or a non-f32 x.
 */
export function topK(
  engine: Engine,
  x: Tensor,
  options: TopKOptions,
): { values: Tensor; indices: Tensor } {
  checkOperand(engine, 'topK', 'x', x);
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError('Cannot run topK: options with k are required');
  }
  const plan = planTopK(x.shape, options);
  const label = options.label ?? 'topK';
  const values = empty(engine, plan.shape, { label: `${label}.values` });
  const indices = empty(engine, plan.shape, { label: `${label}.indices`, dtype: 'i32' });
  const n = x.size;
  if (n === 0 || options.k === 0) return { values, indices };
  const ranks = engine.pooledBuffer(`${label}.ranks`, n * 4, TENSOR_USAGE, false);
  for (let first = 0; first < plan.len; first += SPAN) {
    const last = Math.min(plan.len, first + SPAN);
    const params = new Uint32Array([
      n,
      plan.len,
      plan.inner,
      options.k,
      first,
      last,
      first > 0 ? 1 : 0,
      last === plan.len ? 1 : 0,
      options.largest === false ? 0 : 1,
      0,
      0,
      0,
    ]);
    engine.dispatch({
      code: topkSource,
      label: 'nn/topk.wgsl',
      constants: { WG: WORKGROUP_SIZE },
      bindings: [
        x.buffer,
        values.buffer,
        indices.buffer,
        ranks,
        engine.constants('topK.params', params),
      ],
      workgroups: Math.ceil(n / WORKGROUP_SIZE),
    });
  }
  engine.release(ranks);
  return { values, indices };
}

/**
 * Gradient of {@linkcode topK}'s values with respect to x: `dValues` (the values' shape) goes
 * back to the positions `indices` (the forward's) name; every other element gets 0.
 *
 * @throws {ShapeError} when dValues and indices disagree with each other or with xShape;
 *   {@linkcode ArgumentError} for bad operands.
 */
export function topKBackward(
  engine: Engine,
  dValues: Tensor,
  indices: Tensor,
  options: TopKBackwardOptions,
): Tensor {
  const op = 'topKBackward';
  checkOperand(engine, op, 'dValues', dValues);
  checkOperand(engine, op, 'indices', indices, ['i32']);
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`Cannot run ${op}: options with xShape are required`);
  }
  const axis = normalizeAxis(options.axis ?? -1, options.xShape.length, `run ${op}`);
  const k = dValues.shape[axis];
  const plan = planTopK(options.xShape, { k, axis }, op);
  if (
    formatShape(dValues.shape) !== formatShape(plan.shape) ||
    formatShape(indices.shape) !== formatShape(plan.shape)
  ) {
    throw new ShapeError(
      `Cannot run ${op}: dValues ${formatShape(dValues.shape)} and indices ` +
        `${formatShape(indices.shape)} must both be x ${formatShape(options.xShape)} with axis ` +
        `${axis} cut to k`,
    );
  }
  const label = options.label ?? `${op}.out`;
  const n = sizeOf(options.xShape);
  if (n === 0 || k === 0) return empty(engine, options.xShape, { label, zero: true });
  const dx = empty(engine, options.xShape, { label });
  for (let first = 0; first < k; first += SPAN) {
    const params = new Uint32Array([
      n,
      plan.len,
      plan.inner,
      k,
      first,
      Math.min(k, first + SPAN),
      first > 0 ? 1 : 0,
      0,
    ]);
    engine.dispatch({
      code: topkBackwardSource,
      label: 'nn/topk_backward.wgsl',
      constants: { WG: WORKGROUP_SIZE },
      bindings: [
        dValues.buffer,
        indices.buffer,
        dx.buffer,
        engine.constants(`${op}.params`, params),
      ],
      workgroups: Math.ceil(n / WORKGROUP_SIZE),
    });
  }
  return dx;
}

/** Whether p comes before q in descending order, NaN first (and ties not broken). */
function above(p: number, q: number): boolean {
  if (Number.isNaN(p) || Number.isNaN(q)) return Number.isNaN(p) && !Number.isNaN(q);
  return p > q;
}

/**
 * f64 CPU reference of {@linkcode topK}: values, indices (as numbers) and the output shape, by a
 * stable sort of each row.
 */
export function topKReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  options: { k: number; axis?: number; largest?: boolean },
): { values: Float64Array; indices: Float64Array; shape: number[] } {
  const plan = planTopK(shape, options, 'topKReference');
  const k = options.k;
  const largest = options.largest !== false;
  const values = new Float64Array(plan.outer * k * plan.inner);
  const indices = new Float64Array(values.length);
  const order = Array.from({ length: plan.len }, (_, j) => j);
  for (let o = 0; o < plan.outer; o++) {
    for (let i = 0; i < plan.inner; i++) {
      const at = (j: number) => x[(o * plan.len + j) * plan.inner + i];
      const sorted = [...order].sort((p, q) => {
        const [a, b] = [at(p), at(q)];
        const before = largest ? above(a, b) : above(b, a);
        const after = largest ? above(b, a) : above(a, b);
        return before ? -1 : after ? 1 : p - q;
      });
      for (let r = 0; r < k; r++) {
        const out = (o * k + r) * plan.inner + i;
        values[out] = at(sorted[r]);
        indices[out] = sorted[r];
      }
    }
  }
  return { values, indices, shape: plan.shape };
}

/** f64 CPU reference of {@linkcode topKBackward}. */
export function topKBackwardReference(
  dValues: ArrayLike<number>,
  indices: ArrayLike<number>,
  options: { axis?: number; xShape: readonly number[]; k: number },
): Float64Array {
  const plan = planTopK(options.xShape, options, 'topKBackwardReference');
  const dx = new Float64Array(sizeOf(options.xShape));
  for (let o = 0; o < plan.outer; o++) {
    for (let r = 0; r < options.k; r++) {
      for (let i = 0; i < plan.inner; i++) {
        const at = (o * options.k + r) * plan.inner + i;
        dx[(o * plan.len + indices[at]) * plan.inner + i] += dValues[at];
      }
    }
  }
  return dx;
}
