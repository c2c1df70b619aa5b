/**
 * Backward (vector-Jacobian product) of ONNX `Gather` with respect to `data`
 * (`shaders/nn/gather_backward.wgsl`): the gradient rows of repeated indices add up, negative
 * indices count from the end, and rows no index picks get 0 — how token-embedding gradients are
 * formed. With its f64 CPU reference.
 *
 * @module
 */

import gatherBackwardSource from '../../shaders/nn/gather_backward.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import {
  empty,
  formatShape,
  normalizeAxis,
  sizeOf,
  type Tensor,
  validateShape,
} from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';
import { gatherOutputShape } from './gather.ts';

/** Options for {@linkcode gatherBackward}. */
export interface GatherBackwardOptions {
  /** Axis of `data` the forward gathered along (negative counts from the end). */
  axis: number;
  /** Shape of the forward's `data` (the shape of the result). */
  dataShape: readonly number[];
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Index positions one invocation visits per dispatch; longer index lists take several
 * dispatches that accumulate (lavapipe has returned zeros for ~10⁵-step loops).
 */
const INDEX_SPAN = 4096;

/**
 * The `[outer, axisLen, inner]` view of a gather's data, after checking that `dyShape` is the
 * forward's output shape.
 */
function planGatherBackward(
  op: string,
  dyShape: readonly number[],
  indicesShape: readonly number[],
  options: GatherBackwardOptions,
): { axis: number; outer: number; len: number; inner: number } {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`Cannot run ${op}: options with axis and dataShape are required`);
  }
  const dataShape = options.dataShape;
  validateShape(dataShape, `run ${op} (dataShape)`);
  const expected = gatherOutputShape(dataShape, indicesShape, options.axis);
  if (formatShape(dyShape) !== formatShape(expected)) {
    throw new ShapeError(
      `Cannot run ${op}: dy ${formatShape(dyShape)} must be the gather output shape ` +
        `${formatShape(expected)} of data ${formatShape(dataShape)} by indices ` +
        `${formatShape(indicesShape)} along axis ${options.axis}`,
    );
  }
  const axis = normalizeAxis(options.axis, dataShape.length, `run ${op}`);
  return {
    axis,
    outer: sizeOf(dataShape.slice(0, axis)),
    len: dataShape[axis],
    inner: sizeOf(dataShape.slice(axis + 1)),
  };
}

/**
 * Gradient of {@linkcode gather} with respect to `data`: d(data)[..., a, ...] = Σ dy[..., j, ...]
 * over the index positions j whose index (negative ones wrapped, then clamped into the axis as
 * the forward kernel does) is a. `indices` is the forward's i32 tensor; dy has the forward's
 * output shape. Each element of the result loops over the index positions (spans of 4096 per
 * dispatch), so the work is size(data)·size(indices): right for embeddings of moderate
 * vocabularies and sequence lengths.
 *
 * @example
 * ```ts ignore
 * // embeddings [V, D] gathered by tokens [B, T] into [B, T, D]:
 * using dEmbeddings = gatherBackward(engine, dy, tokens, { axis: 0, dataShape: [V, D] });
 * ```
 * @throws {ShapeError} when dy is not the gather output shape; {@linkcode ArgumentError} for a
 * bad axis, operands or dtypes. Both before anything is recorded.
 */
export function gatherBackward(
  engine: Engine,
  dy: Tensor,
  indices: Tensor,
  options: GatherBackwardOptions,
): Tensor {
  const op = 'gatherBackward';
  checkOperand(engine, op, 'dy', dy);
  checkOperand(engine, op, 'indices', indices, ['i32']);
  const { len, inner } = planGatherBackward(op, dy.shape, indices.shape, options);
  const label = options.label ?? `${op}.out`;
  const count = indices.size;
  if (count === 0 || sizeOf(options.dataShape) === 0) {
    return empty(engine, options.dataShape, { label, zero: true });
  }
  const dx = empty(engine, options.dataShape, { label });
  for (let first = 0; first < count; first += INDEX_SPAN) {
    const params = new Uint32Array([
      dx.size,
      len,
      inner,
      count,
      first,
      Math.min(count, first + INDEX_SPAN),
      first > 0 ? 1 : 0,
      0,
    ]);
    engine.dispatch({
      code: gatherBackwardSource,
      label: 'nn/gather_backward.wgsl',
      constants: { WG: WORKGROUP_SIZE },
      bindings: [
        dy.buffer,
        indices.buffer,
        dx.buffer,
        engine.constants(`${op}.params`, params),
      ],
      workgroups: Math.ceil(dx.size / WORKGROUP_SIZE),
    });
  }
  return dx;
}

/**
 * f64 CPU reference of {@linkcode gatherBackward}, with the forward's wrapping and clamping of
 * indices. `magnitude` is Σ|dy| per element (the f32 sum is within (terms + 1)·2⁻²⁴·magnitude).
 */
export function gatherBackwardReference(
  dy: ArrayLike<number>,
  indices: ArrayLike<number>,
  indicesShape: readonly number[],
  options: { axis: number; dataShape: readonly number[] },
): { data: Float64Array; shape: number[]; magnitude: Float64Array } {
  const op = 'gatherBackwardReference';
  const dyShape = gatherOutputShape(options.dataShape, indicesShape, options.axis);
  const { outer, len, inner } = planGatherBackward(op, dyShape, indicesShape, options);
  if (dy.length !== sizeOf(dyShape) || indices.length !== sizeOf(indicesShape)) {
    throw new ShapeError(
      `Cannot run ${op}: dy has ${dy.length} values and indices ${indices.length}; shapes ` +
        `${formatShape(dyShape)} and ${formatShape(indicesShape)} hold ${sizeOf(dyShape)} and ` +
        `${sizeOf(indicesShape)}`,
    );
  }
  const data = new Float64Array(sizeOf(options.dataShape));
  const magnitude = new Float64Array(data.length);
  const count = indices.length;
  if (data.length === 0) return { data, shape: [...options.dataShape], magnitude };
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const raw = indices[j] < 0 ? indices[j] + len : indices[j];
      const at = Math.min(Math.max(raw, 0), len - 1);
      for (let k = 0; k < inner; k++) {
        const v = dy[(o * count + j) * inner + k];
        data[(o * len + at) * inner + k] += v;
        magnitude[(o * len + at) * inner + k] += Math.abs(v);
      }
    }
  }
  return { data, shape: [...options.dataShape], magnitude };
}
