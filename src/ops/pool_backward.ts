/**
 * Backward (vector-Jacobian products) of the pooling operators with respect to x: `MaxPool`,
 * `AveragePool`, `GlobalMaxPool`, `GlobalAveragePool` (NCHW; 1 to 3 spatial axes; strides,
 * pads, dilations, auto_pad, ceil_mode, count_include_pad, as {@linkcode planPool} resolves
 * them) on the GPU (`shaders/nn/pool_backward.wgsl`), and their f64 CPU references. The kernels
 * gather: each element of dx sums over the windows that contain it, without atomics.
 *
 * Max pooling routes each window's gradient to the tap that won it: the first maximum in
 * row-major window order (PyTorch's rule for ties), or the first NaN (as {@linkcode maxPool}
 * picks it); padding never wins. Overlapping windows add up.
 *
 * @module
 */

import poolBackwardSource from '../../shaders/nn/pool_backward.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, type Tensor, validateShape } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';
import { checkDataLength, type ReferenceResult, toThreeAxes, windowTable } from './conv.ts';
import {
  type AveragePoolAttributes,
  type AveragePoolOptions,
  checkCountIncludePad,
  forEachWindow,
  type MaxPoolOptions,
  planGlobalPool,
  planPool,
  type PoolAttributes,
  type PoolPlan,
} from './pool.ts';

/** Options for {@linkcode averagePoolBackward}: the forward's attributes and x's shape. */
export interface AveragePoolBackwardOptions extends AveragePoolOptions {
  /** Shape of the forward input x, [N, C, ...spatial] (the shape of the result). */
  xShape: readonly number[];
}

/** Options for {@linkcode globalAveragePoolBackward}. */
export interface GlobalAveragePoolBackwardOptions {
  /** Shape of the forward input x, [N, C, ...spatial] (the shape of the result). */
  xShape: readonly number[];
  /** Label of the output buffer. */
  label?: string;
}

/** Throws {@linkcode ShapeError} unless `dyShape` is the pool's output shape. */
function checkDy(
  op: string,
  dyShape: readonly number[],
  plan: PoolPlan,
  xShape: readonly number[],
) {
  if (formatShape(dyShape) !== formatShape(plan.shape)) {
    throw new ShapeError(
      `Cannot run ${op}: dy ${formatShape(dyShape)} must be the pool output shape ` +
        `${formatShape(plan.shape)} of x ${formatShape(xShape)}`,
    );
  }
}

function geometry(n: number, plan: PoolPlan, countIncludePad: boolean): Int32Array {
  return new Int32Array([
    n,
    countIncludePad ? 1 : 0,
    ...windowTable(plan.axes),
    ...toThreeAxes(plan.axes).map((a) => a.padEnd),
  ]);
}

function dispatchMaxBackward(
  engine: Engine,
  op: string,
  x: Tensor,
  dy: Tensor,
  plan: PoolPlan,
  label: string | undefined,
): Tensor {
  checkDy(op, dy.shape, plan, x.shape);
  const dx = empty(engine, x.shape, { label: label ?? `${op}.out` });
  if (dx.size === 0) return dx;
  using winners = empty(engine, plan.shape, { dtype: 'i32', label: `${op}.argmax` });
  engine.dispatch({
    code: poolBackwardSource,
    label: `nn/pool_backward.wgsl ${op} argmax`,
    entryPoint: 'argmax',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      x.buffer,
      engine.constants(`${op}.geometry`, geometry(dy.size, plan, false)),
      winners.buffer,
    ],
    workgroups: Math.ceil(dy.size / WORKGROUP_SIZE),
  });
  engine.dispatch({
    code: poolBackwardSource,
    label: `nn/pool_backward.wgsl ${op}`,
    entryPoint: 'max_backward',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      dy.buffer,
      engine.constants(`${op}.geometry`, geometry(dx.size, plan, false)),
      dx.buffer,
      winners.buffer,
    ],
    workgroups: Math.ceil(dx.size / WORKGROUP_SIZE),
  });
  return dx;
}

function dispatchAverageBackward(
  engine: Engine,
  op: string,
  dy: Tensor,
  xShape: readonly number[],
  plan: PoolPlan,
  countIncludePad: boolean,
  label: string | undefined,
): Tensor {
  checkDy(op, dy.shape, plan, xShape);
  const dx = empty(engine, xShape, { label: label ?? `${op}.out` });
  if (dx.size === 0) return dx;
  engine.dispatch({
    code: poolBackwardSource,
    label: `nn/pool_backward.wgsl ${op}`,
    entryPoint: 'average_backward',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      dy.buffer,
      engine.constants(`${op}.geometry`, geometry(dx.size, plan, countIncludePad)),
      dx.buffer,
      dy.buffer, // `idx`, unread by average_backward
    ],
    workgroups: Math.ceil(dx.size / WORKGROUP_SIZE),
  });
  return dx;
}

/**
 * Gradient of {@linkcode maxPool} with respect to x: each window's dy goes to the tap that won
 * it (first maximum in window order; first NaN), overlapping windows add up, and positions that
 * win no window get 0. Returns a new tensor of x's shape. Two dispatches: the winners of the
 * windows, then the gather.
 *
 * @example
 * ```ts ignore
 * const options = { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] };
 * using dx = maxPoolBackward(engine, x, dy, options);
 * ```
 * @throws {ShapeError} when dy is not the pool's output shape, or as {@linkcode planPool};
 * {@linkcode ArgumentError} for bad attributes or operands. Both before anything is recorded.
 */
export function maxPoolBackward(
  engine: Engine,
  x: Tensor,
  dy: Tensor,
  options: MaxPoolOptions,
): Tensor {
  const op = 'maxPoolBackward';
  checkOperand(engine, op, 'x', x);
  checkOperand(engine, op, 'dy', dy);
  const plan = planPool(x.shape, options, { op });
  return dispatchMaxBackward(engine, op, x, dy, plan, options.label);
}

/**
 * Gradient of {@linkcode averagePool} with respect to x: dx[i] = Σ dy[o] / divisor(o) over the
 * windows o that contain i, with the forward's divisor (taps inside x, or with
 * `countIncludePad` inside the padded x). Returns a new tensor of shape `options.xShape`.
 *
 * @throws {ShapeError} or {@linkcode ArgumentError}, as {@linkcode maxPoolBackward}.
 */
export function averagePoolBackward(
  engine: Engine,
  dy: Tensor,
  options: AveragePoolBackwardOptions,
): Tensor {
  const op = 'averagePoolBackward';
  checkOperand(engine, op, 'dy', dy);
  validateShape(options?.xShape, `run ${op} (xShape)`);
  const countIncludePad = checkCountIncludePad(options);
  const plan = planPool(options.xShape, options, { op, requireTaps: !countIncludePad });
  return dispatchAverageBackward(
    engine,
    op,
    dy,
    options.xShape,
    plan,
    countIncludePad,
    options.label,
  );
}

/**
 * Gradient of {@linkcode globalAveragePool}: dx[n, c, i] = dy[n, c] / (spatial size). Each
 * element of dx reads one value of dy.
 *
 * @throws {ShapeError} unless dy is [N, C, 1, ...] for `options.xShape`.
 */
export function globalAveragePoolBackward(
  engine: Engine,
  dy: Tensor,
  options: GlobalAveragePoolBackwardOptions,
): Tensor {
  const op = 'globalAveragePoolBackward';
  checkOperand(engine, op, 'dy', dy);
  validateShape(options?.xShape, `run ${op} (xShape)`);
  const plan = planGlobalPool(op, options.xShape);
  return dispatchAverageBackward(engine, op, dy, options.xShape, plan, false, options.label);
}

/**
 * Gradient of {@linkcode globalMaxPool}: each plane's dy goes to the first maximum (or first
 * NaN) of that plane of x; every other element gets 0.
 *
 * @throws {ShapeError} unless dy is [N, C, 1, ...] for x.
 */
export function globalMaxPoolBackward(
  engine: Engine,
  x: Tensor,
  dy: Tensor,
  options: { label?: string } = {},
): Tensor {
  const op = 'globalMaxPoolBackward';
  checkOperand(engine, op, 'x', x);
  checkOperand(engine, op, 'dy', dy);
  const plan = planGlobalPool(op, x.shape);
  return dispatchMaxBackward(engine, op, x, dy, plan, options.label);
}

function maxBackwardOf(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  plan: PoolPlan,
  n: number,
): ReferenceResult {
  const data = new Float64Array(n);
  const magnitude = new Float64Array(n);
  forEachWindow(plan, (out, taps) => {
    if (taps.length === 0) return;
    let best = 0;
    for (let j = 1; j < taps.length && !Number.isNaN(x[taps[best]]); j++) {
      const v = x[taps[j]];
      if (Number.isNaN(v) || v > x[taps[best]]) best = j;
    }
    data[taps[best]] += dy[out];
    magnitude[taps[best]] += Math.abs(dy[out]);
  });
  return { data, shape: [], magnitude };
}

function averageBackwardOf(
  dy: ArrayLike<number>,
  plan: PoolPlan,
  n: number,
  countIncludePad: boolean,
): ReferenceResult {
  const data = new Float64Array(n);
  const magnitude = new Float64Array(n);
  forEachWindow(plan, (out, taps, padded) => {
    const share = dy[out] / (countIncludePad ? padded : taps.length);
    for (const t of taps) {
      data[t] += share;
      magnitude[t] += Math.abs(share);
    }
  });
  return { data, shape: [], magnitude };
}

/**
 * f64 CPU reference of {@linkcode maxPoolBackward}. `magnitude` is Σ|dy| over the windows each
 * element wins (the f32 sum is within (terms + 1)·2⁻²⁴·magnitude).
 */
export function maxPoolBackwardReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  dy: ArrayLike<number>,
  attributes: PoolAttributes,
): ReferenceResult {
  const op = 'maxPoolBackwardReference';
  const plan = planPool(xShape, attributes, { op });
  checkDataLength(op, 'x', x, xShape);
  checkDataLength(op, 'dy', dy, plan.shape);
  return { ...maxBackwardOf(x, dy, plan, sizeOf(xShape)), shape: [...xShape] };
}

/**
 * f64 CPU reference of {@linkcode averagePoolBackward}. `magnitude` is Σ|dy / divisor| over the
 * windows containing each element.
 */
export function averagePoolBackwardReference(
  dy: ArrayLike<number>,
  xShape: readonly number[],
  attributes: AveragePoolAttributes,
): ReferenceResult {
  const op = 'averagePoolBackwardReference';
  const countIncludePad = checkCountIncludePad(attributes);
  const plan = planPool(xShape, attributes, { op, requireTaps: !countIncludePad });
  checkDataLength(op, 'dy', dy, plan.shape);
  return {
    ...averageBackwardOf(dy, plan, sizeOf(xShape), countIncludePad),
    shape: [...xShape],
  };
}

/** f64 CPU reference of {@linkcode globalMaxPoolBackward}. */
export function globalMaxPoolBackwardReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  dy: ArrayLike<number>,
): ReferenceResult {
  const op = 'globalMaxPoolBackwardReference';
  const plan = planGlobalPool(op, xShape);
  checkDataLength(op, 'x', x, xShape);
  checkDataLength(op, 'dy', dy, plan.shape);
  return { ...maxBackwardOf(x, dy, plan, sizeOf(xShape)), shape: [...xShape] };
}

/** f64 CPU reference of {@linkcode globalAveragePoolBackward}. */
export function globalAveragePoolBackwardReference(
  dy: ArrayLike<number>,
  xShape: readonly number[],
): ReferenceResult {
  const op = 'globalAveragePoolBackwardReference';
  const plan = planGlobalPool(op, xShape);
  checkDataLength(op, 'dy', dy, plan.shape);
  return { ...averageBackwardOf(dy, plan, sizeOf(xShape), false), shape: [...xShape] };
}
