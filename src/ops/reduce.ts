/**
 * Reductions along one axis or over all elements on the GPU (`shaders/nn/reduce.wgsl`): sum,
 * mean, max, min, argmax, argmin; and their f64 CPU reference.
 *
 * @module
 */

import reduceSource from '../../shaders/nn/reduce.wgsl' with { type: 'text' };
import { type Engine, TENSOR_USAGE } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, type Tensor } from '../tensor.ts';
import { checkChoice, checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Name of a reduction. */
export type ReduceOp = 'sum' | 'mean' | 'max' | 'min' | 'argmax' | 'argmin';

/** Supported reductions and their `OP` override code (mean is a scaled sum). */
export const REDUCE_OPS: Readonly<Record<ReduceOp, number>> = Object.freeze({
  sum: 0,
  mean: 0,
  max: 1,
  min: 2,
  argmax: 3,
  argmin: 4,
});

/** Options for {@linkcode reduce}. */
export interface ReduceOptions {
  /** Axis to reduce (negative counts from the end). Omit to reduce over all elements. */
  axis?: number;
  /** Keep the reduced axis with size 1 (all axes, for a full reduction). Default false. */
  keepDims?: boolean;
  /** Label of the output buffer. */
  label?: string;
}

/** Elements one workgroup reduces before the work is split across spans. */
const SPAN_TARGET = 2048;
/** Enough workgroups to fill a large GPU when there are few outputs. */
const WORKGROUP_TARGET = 1024;

/** The `[outer, len, inner]` view of a reduction and its output shape. */
export function planReduce(
  shape: readonly number[],
  options: Pick<ReduceOptions, 'axis' | 'keepDims'>,
  op: string,
): { outer: number; len: number; inner: number; shape: number[] } {
  if (options.axis === undefined) {
    return {
      outer: 1,
      len: sizeOf(shape),
      inner: 1,
      shape: options.keepDims ? shape.map(() => 1) : [],
    };
  }
  const axis = normalizeAxis(options.axis, shape.length, op);
  const out = [...shape];
  if (options.keepDims) out[axis] = 1;
  else out.splice(axis, 1);
  return {
    outer: sizeOf(shape.slice(0, axis)),
    len: shape[axis],
    inner: sizeOf(shape.slice(axis + 1)),
    shape: out,
  };
}

/**
 * Reduces `x` along `options.axis` (or over everything). argmax/argmin return an i32 tensor of
 * positions along the axis (flat positions for a full reduction); ties go to the lowest index,
 * and a NaN wins (the first NaN), as in numpy.
 *
 * All passes of a long reduction are recorded into one command encoder: nothing is read back.
 *
 * @throws {ArgumentError} for an empty reduction of max/min/argmax/argmin, or a bad axis.
 */
export function reduce(
  engine: Engine,
  op: ReduceOp,
  x: Tensor,
  options: ReduceOptions = {},
): Tensor {
  checkChoice('reduce', op, REDUCE_OPS);
  checkOperand(engine, op, 'x', x);
  const view = planReduce(x.shape, options, op);
  const outputs = view.outer * view.inner;
  const indexed = op === 'argmax' || op === 'argmin';
  if (view.len === 0 && outputs > 0 && op !== 'sum') {
    throw new ArgumentError(
      `Cannot run ${op}: the reduced axis of ${formatShape(x.shape)} is empty`,
    );
  }
  const label = options.label ?? `${op}.out`;
  if (outputs === 0 || view.len === 0) {
    return empty(engine, view.shape, { label, dtype: indexed ? 'i32' : 'f32', zero: true });
  }

  // Pass after pass, until one span per output is left; intermediate partials are released
  // after submission.
  let values = x.buffer;
  let indices: GPUBuffer | null = null;
  let len = view.len;
  let outer = view.outer;
  let inner = view.inner;
  for (let pass = 0;; pass++) {
    const spans = Math.min(
      Math.ceil(len / SPAN_TARGET),
      Math.max(1, Math.ceil(WORKGROUP_TARGET / (outer * inner))),
    );
    const spanLen = Math.ceil(len / spans);
    const last = spans === 1;
    const count = outer * inner * spans;
    const outValues = last && !indexed
      ? empty(engine, view.shape, { label })
      : engine.pooledBuffer(`${op}.partial${pass}`, count * 4, TENSOR_USAGE, false);
    const outIndices = last && indexed
      ? empty(engine, view.shape, { label, dtype: 'i32' })
      : engine.pooledBuffer(`${op}.indices${pass}`, count * 4, TENSOR_USAGE, false);
    const outValuesBuffer = 'buffer' in outValues ? outValues.buffer : outValues;
    const outIndicesBuffer = 'buffer' in outIndices ? outIndices.buffer : outIndices;
    const params = new ArrayBuffer(32);
    new Uint32Array(params, 0, 5).set([outer, len, inner, spans, spanLen]);
    new Float32Array(params, 20, 1)[0] = last && op === 'mean' ? 1 / view.len : 1;
    engine.dispatch({
      code: reduceSource,
      label: `nn/reduce.wgsl ${op} pass ${pass}`,
      constants: { OP: REDUCE_OPS[op], WG: WORKGROUP_SIZE, USE_INDICES: indices ? 1 : 0 },
      bindings: [
        values,
        indices ?? values,
        outValuesBuffer,
        outIndicesBuffer,
        engine.constants(`${op}.params`, new Uint32Array(params)),
      ],
      workgroups: count,
    });
    // Partials are dead once this pass is recorded: back to the pool for later outputs.
    if (values !== x.buffer) engine.release(values);
    if (indices) engine.release(indices);
    if (last) {
      if (indexed) engine.release(outValuesBuffer);
      else engine.release(outIndicesBuffer);
      return (indexed ? outIndices : outValues) as Tensor;
    }
    values = outValuesBuffer;
    indices = outIndicesBuffer;
    // The partials form [outer·inner, spans]: reduce their last axis next.
    outer = outer * inner;
    inner = 1;
    len = spans;
  }
}

/** Sum along an axis (or of all elements). */
export const sum = (engine: Engine, x: Tensor, options?: ReduceOptions): Tensor =>
  reduce(engine, 'sum', x, options);
/** Mean along an axis (or of all elements). */
export const mean = (engine: Engine, x: Tensor, options?: ReduceOptions): Tensor =>
  reduce(engine, 'mean', x, options);
/** Maximum along an axis (or of all elements); NaN propagates. */
export const max = (engine: Engine, x: Tensor, options?: ReduceOptions): Tensor =>
  reduce(engine, 'max', x, options);
/** Minimum along an axis (or of all elements); NaN propagates. */
export const min = (engine: Engine, x: Tensor, options?: ReduceOptions): Tensor =>
  reduce(engine, 'min', x, options);
/** Index of the maximum along an axis (or flat index over all elements), as i32. */
export const argmax = (engine: Engine, x: Tensor, options?: ReduceOptions): Tensor =>
  reduce(engine, 'argmax', x, options);
/** Index of the minimum along an axis (or flat index over all elements), as i32. */
export const argmin = (engine: Engine, x: Tensor, options?: ReduceOptions): Tensor =>
  reduce(engine, 'argmin', x, options);

/**
 * f64 CPU reference of {@linkcode reduce}. Also returns `magnitude` (Σ|x| per output) for sum
 * and mean, which bounds their f32 rounding error.
 */
export function reduceReference(
  op: ReduceOp,
  x: ArrayLike<number>,
  shape: readonly number[],
  options: Pick<ReduceOptions, 'axis' | 'keepDims'> = {},
): { data: Float64Array; magnitude: Float64Array; shape: number[] } {
  checkChoice('reduceReference', op, REDUCE_OPS);
  const view = planReduce(shape, options, op);
  const n = view.outer * view.inner;
  const data = new Float64Array(n);
  const magnitude = new Float64Array(n);
  for (let o = 0; o < view.outer; o++) {
    for (let i = 0; i < view.inner; i++) {
      let acc = op === 'max' || op === 'argmax'
        ? -Infinity
        : op === 'min' || op === 'argmin'
        ? Infinity
        : 0;
      let at = -1;
      let mag = 0;
      for (let l = 0; l < view.len; l++) {
        const v = x[(o * view.len + l) * view.inner + i];
        mag += Math.abs(v);
        if (op === 'sum' || op === 'mean') {
          acc += v;
          continue;
        }
        if (Number.isNaN(acc)) continue;
        const greater = op === 'max' || op === 'argmax';
        if (Number.isNaN(v) || at < 0 || (greater ? v > acc : v < acc)) {
          acc = v;
          at = l;
        }
      }
      const k = o * view.inner + i;
      data[k] = op === 'mean' ? acc / view.len : op === 'argmax' || op === 'argmin' ? at : acc;
      magnitude[k] = op === 'mean' ? mag / view.len : mag;
    }
  }
  return { data, magnitude, shape: view.shape };
}
