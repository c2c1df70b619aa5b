/**
 * Reductions along one axis or over all elements on the GPU (`shaders/nn/reduce.wgsl`): sum,
 * mean, max, min, argmax, argmin, product, L1 and L2 norms, sum of squares and log-sum-exp;
 * and their f64 CPU reference.
 *
 * @module
 */

import reduceSource from '../../shaders/nn/reduce.wgsl' with { type: 'text' };
import { type Engine, TENSOR_USAGE } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, type Tensor, tensor } from '../tensor.ts';
import { checkChoice, checkOperand, WORKGROUP_SIZE } from './common.ts';

/**
 * Name of a reduction. `l1` is Σ|x|, `l2` √Σx², `sumSquare` Σx², `logSumExp` log Σ exp(x)
 * (computed stably), `prod` the product.
 */
export type ReduceOp =
  | 'sum'
  | 'mean'
  | 'max'
  | 'min'
  | 'argmax'
  | 'argmin'
  | 'prod'
  | 'l1'
  | 'l2'
  | 'sumSquare'
  | 'logSumExp';

/**
 * Supported reductions and their `OP` override code (mean is a scaled sum; l1, l2 and
 * sumSquare are sums of a mapped input, see {@linkcode REDUCE_MAPS}).
 */
export const REDUCE_OPS: Readonly<Record<ReduceOp, number>> = Object.freeze({
  sum: 0,
  mean: 0,
  max: 1,
  min: 2,
  argmax: 3,
  argmin: 4,
  prod: 5,
  l1: 0,
  l2: 0,
  sumSquare: 0,
  logSumExp: 6,
});

/**
 * The kernel's `pre` map of the input (0 none, 1 |x|, 2 x²; first pass only) and `post` map of
 * the result (0 none, 1 √, 2 finish log-sum-exp; last pass only) per reduction.
 */
export const REDUCE_MAPS: Readonly<Record<ReduceOp, { pre: number; post: number }>> = Object
  .freeze({
    sum: { pre: 0, post: 0 },
    mean: { pre: 0, post: 0 },
    max: { pre: 0, post: 0 },
    min: { pre: 0, post: 0 },
    argmax: { pre: 0, post: 0 },
    argmin: { pre: 0, post: 0 },
    prod: { pre: 0, post: 0 },
    l1: { pre: 1, post: 0 },
    l2: { pre: 2, post: 1 },
    sumSquare: { pre: 2, post: 0 },
    logSumExp: { pre: 0, post: 2 },
  });

/** The value of a reduction over no elements, where it has one (ONNX's convention). */
const EMPTY_VALUE: Partial<Record<ReduceOp, number>> = {
  sum: 0,
  prod: 1,
  l1: 0,
  l2: 0,
  sumSquare: 0,
  logSumExp: -Infinity,
};

/** Options for {@linkcode reduce}. */
export interface ReduceOptions {
  /** Axis to reduce (negative counts from the end). Omit to reduce over all elements. */
  axis?: number;
  /** Keep the reduced axis with size 1 (all axes, for a full reduction). Default false. */
  keepDims?: boolean;
  /**
   * argmax/argmin only: ties (and several NaNs) go to the highest index instead of the lowest
   * (ONNX's `select_last_index`). Default false.
   */
  selectLastIndex?: boolean;
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
 * positions along the axis (flat positions for a full reduction); ties go to the lowest index
 * (the highest with `selectLastIndex`), and a NaN wins (the first NaN), as in numpy. A NaN
 * makes a log-sum-exp NaN; ±inf elements give ±inf (all −inf: −inf).
 *
 * An empty axis gives 0 for sum, l1, l2 and sumSquare, 1 for prod and −inf for logSumExp.
 * All passes of a long reduction are recorded into one command encoder: nothing is read back.
 *
 * @throws {ArgumentError} for an empty reduction of mean/max/min/argmax/argmin, a bad axis, or
 *   `selectLastIndex` on another op.
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
  if (options.selectLastIndex && !indexed) {
    throw new ArgumentError(`Cannot run ${op}: selectLastIndex applies to argmax/argmin only`);
  }
  const emptyValue = EMPTY_VALUE[op];
  if (view.len === 0 && outputs > 0 && emptyValue === undefined) {
    throw new ArgumentError(
      `Cannot run ${op}: the reduced axis of ${formatShape(x.shape)} is empty`,
    );
  }
  const label = options.label ?? `${op}.out`;
  if (outputs === 0 || view.len === 0) {
    if (outputs > 0 && emptyValue !== 0) {
      return tensor(engine, new Float32Array(outputs).fill(emptyValue!), view.shape, { label });
    }
    return empty(engine, view.shape, { label, dtype: indexed ? 'i32' : 'f32', zero: true });
  }
  const maps = REDUCE_MAPS[op];

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
    const params = new ArrayBuffer(48);
    new Uint32Array(params, 0, 5).set([outer, len, inner, spans, spanLen]);
    new Float32Array(params, 20, 1)[0] = last && op === 'mean' ? 1 / view.len : 1;
    new Uint32Array(params, 24, 3).set([
      pass === 0 ? maps.pre : 0,
      last ? maps.post : 0,
      options.selectLastIndex ? 1 : 0,
    ]);
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
    // The partials form [outer·inner, spans]: reduce their last axis next (log-sum-exp's partial
    // sums and argmax/argmin's positions ride along in the index buffer).
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

/** Product along an axis (or of all elements). */
export const prod = (engine: Engine, x: Tensor, options?: ReduceOptions): Tensor =>
  reduce(engine, 'prod', x, options);
/** log Σ exp(x) along an axis (or of all elements), computed stably (online max shift). */
export const logSumExp = (engine: Engine, x: Tensor, options?: ReduceOptions): Tensor =>
  reduce(engine, 'logSumExp', x, options);

/**
 * f64 CPU reference of {@linkcode reduce}. Also returns `magnitude`, which bounds the f32
 * rounding error: Σ|x| per output for sum and mean, Σ|x| for l1, Σx² for sumSquare, |y| for
 * prod and l2 (relative error), and 1 + max|x| for logSumExp (absolute error on the log scale).
 */
export function reduceReference(
  op: ReduceOp,
  x: ArrayLike<number>,
  shape: readonly number[],
  options: Pick<ReduceOptions, 'axis' | 'keepDims' | 'selectLastIndex'> = {},
): { data: Float64Array; magnitude: Float64Array; shape: number[] } {
  checkChoice('reduceReference', op, REDUCE_OPS);
  const view = planReduce(shape, options, op);
  const n = view.outer * view.inner;
  const data = new Float64Array(n);
  const magnitude = new Float64Array(n);
  const last = options.selectLastIndex ?? false;
  const row = new Float64Array(view.len);
  for (let o = 0; o < view.outer; o++) {
    for (let i = 0; i < view.inner; i++) {
      for (let l = 0; l < view.len; l++) row[l] = x[(o * view.len + l) * view.inner + i];
      const k = o * view.inner + i;
      const [value, mag] = reduceRowReference(op, row, last);
      data[k] = value;
      magnitude[k] = mag;
    }
  }
  return { data, magnitude, shape: view.shape };
}

/**
 * One output of {@linkcode reduceReference} from the elements of its row: the value (a position
 * for argmax/argmin) and the magnitude that bounds its f32 error.
 */
export function reduceRowReference(
  op: ReduceOp,
  row: ArrayLike<number>,
  last = false,
): [number, number] {
  let abs = 0;
  let squares = 0;
  for (let l = 0; l < row.length; l++) {
    abs += Math.abs(row[l]);
    squares += row[l] * row[l];
  }
  switch (op) {
    case 'sum':
    case 'mean': {
      let s = 0;
      for (let l = 0; l < row.length; l++) s += row[l];
      return op === 'mean' ? [s / row.length, abs / row.length] : [s, abs];
    }
    case 'l1':
      return [abs, abs];
    case 'sumSquare':
      return [squares, squares];
    case 'l2':
      return [Math.sqrt(squares), Math.sqrt(squares)];
    case 'prod': {
      let p = 1;
      for (let l = 0; l < row.length; l++) p *= row[l];
      return [p, Math.abs(p)];
    }
    case 'logSumExp': {
      let m = -Infinity;
      let big = 0;
      for (let l = 0; l < row.length; l++) {
        const v = row[l];
        m = Number.isNaN(v) || Number.isNaN(m) ? NaN : Math.max(m, v);
        big = Math.max(big, Math.abs(v));
      }
      if (!Number.isFinite(m)) return [m, 1];
      let s = 0;
      for (let l = 0; l < row.length; l++) s += Math.exp(row[l] - m);
      return [m + Math.log(s), 1 + big];
    }
    default: {
      // max, min, argmax, argmin: the first NaN wins (the last with selectLastIndex), then the
      // extreme value, ties to the first (last) index.
      const greater = op === 'max' || op === 'argmax';
      let at = -1;
      for (let l = 0; l < row.length; l++) {
        const v = row[l];
        if (at < 0) {
          at = l;
          continue;
        }
        const u = row[at];
        if (Number.isNaN(u) || Number.isNaN(v)) {
          if (Number.isNaN(v) && (!Number.isNaN(u) || last)) at = l;
          continue;
        }
        if (v === u ? last : greater ? v > u : v < u) at = l;
      }
      return [op === 'argmax' || op === 'argmin' ? at : row[at], abs];
    }
  }
}
