/**
 * Backward (vector-Jacobian product) of the elementwise unary functions of
 * {@linkcode unary} on the GPU (`shaders/nn/unary_backward.wgsl`), and its f64 CPU reference:
 * `dx = dy · f'(x)`.
 *
 * @module
 */

import unaryBackwardSource from '../../shaders/nn/unary_backward.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, type Tensor } from '../tensor.ts';
import { checkChoice, checkOperand, WORKGROUP_SIZE } from './common.ts';
import { erf64, UNARY_OPS, type UnaryOp, type UnaryOptions, unaryParameters } from './unary.ts';

/**
 * Gradient of `unary(engine, op, x, options)` with respect to `x`, given the gradient `dy` of
 * its output: a new f32 tensor of `x`'s shape holding `dy · f'(x)`. `alpha` and `beta` mean
 * what they mean for {@linkcode unary} (same defaults, same checks).
 *
 * Derivatives at kinks follow PyTorch autograd: `relu'(0) = abs'(0) = 0`, `leakyRelu'(0) =
 * alpha`, `clip` passes the gradient on the closed `[min, max]`, `hardSigmoid'` is `alpha`
 * strictly inside its linear part, `hardSwish'` is `2·alpha·x + beta` on the closed linear part;
 * `selu'` and `celu'` take their negative-side value at 0 (`gamma·alpha`, 1),
 * `thresholdedRelu'` is 0 at the threshold; floor, ceil, round, sign, isNaN and isInf have
 * derivative 0. A zero derivative gives 0 even for an infinite
 * `dy`.
 *
 * @example
 * ```ts ignore
 * using y = unary(engine, 'gelu', x);
 * using dx = unaryBackward(engine, 'gelu', x, dy); // dy: gradient of the loss w.r.t. y
 * ```
 * @throws {ArgumentError} for an unknown op, non-f32 operands or bad parameters;
 *   {@linkcode ShapeError} when `dy`'s shape differs from `x`'s.
 */
export function unaryBackward(
  engine: Engine,
  op: UnaryOp,
  x: Tensor,
  dy: Tensor,
  options: UnaryOptions = {},
): Tensor {
  checkChoice('unaryBackward', op, UNARY_OPS);
  const name = `${op} backward`;
  checkOperand(engine, name, 'x', x);
  checkOperand(engine, name, 'dy', dy);
  if (x.shape.length !== dy.shape.length || x.shape.some((d, i) => d !== dy.shape[i])) {
    throw new ShapeError(
      `Cannot run ${name}: dy ${formatShape(dy.shape)} must have the shape of x ` +
        `${formatShape(x.shape)}`,
    );
  }
  const { alpha, beta } = unaryParameters(op, options);
  const dx = empty(engine, x.shape, { label: options.label ?? `${op}.dx` });
  if (x.size === 0) return dx;
  const params = new ArrayBuffer(16);
  new Uint32Array(params, 0, 1)[0] = x.size;
  new Float32Array(params, 4, 2).set([alpha, beta]);
  engine.dispatch({
    code: unaryBackwardSource,
    label: `nn/unary_backward.wgsl ${op}`,
    constants: { OP: UNARY_OPS[op], WG: WORKGROUP_SIZE },
    bindings: [
      x.buffer,
      dy.buffer,
      dx.buffer,
      engine.constants(`${op}.backward.params`, new Uint32Array(params)),
    ],
    workgroups: Math.ceil(x.size / WORKGROUP_SIZE),
  });
  return dx;
}

const sigmoid64 = (v: number) => v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));

/** 1 − tanh²(v) = 4e/(1+e)² with e = exp(−2|v|): accurate in the tails. */
const tanhGrad64 = (v: number) => {
  const e = Math.exp(-2 * Math.abs(v));
  return (4 * e) / ((1 + e) * (1 + e));
};

/**
 * f'(v) per op, in f64 (at kinks, PyTorch's choice). The piecewise ones compare in PyTorch's
 * order, so that a NaN v takes PyTorch's branch (its comparisons are false): relu' 1,
 * hardSwish' 1, elu'/celu' 1, selu' gamma, thresholdedRelu' 1, leakyRelu' alpha; hardSigmoid',
 * clip' and abs' 0.
 */
const DERIVATIVE: Record<UnaryOp, (v: number, alpha: number, beta: number) => number> = {
  relu: (v) => (v <= 0 ? 0 : 1),
  sigmoid: (v) => sigmoid64(v) * sigmoid64(-v),
  tanh: tanhGrad64,
  gelu: (v) =>
    0.5 * (1 + erf64(v / Math.SQRT2)) + v * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI),
  exp: Math.exp,
  log: (v) => 1 / v,
  abs: (v) => (v > 0 ? 1 : v < 0 ? -1 : 0),
  neg: () => -1,
  sqrt: (v) => 0.5 / Math.sqrt(v),
  gelu_tanh: (v) => {
    const c = Math.sqrt(2 / Math.PI);
    const k = c * (v + 0.044715 * v ** 3);
    const dk = c * (1 + 3 * 0.044715 * v * v);
    return 0.5 * (1 + Math.tanh(k)) + 0.5 * v * tanhGrad64(k) * dk;
  },
  erf: (v) => (2 / Math.sqrt(Math.PI)) * Math.exp(-v * v),
  leakyRelu: (v, alpha) => (v > 0 ? 1 : alpha),
  hardSigmoid: (v, alpha, beta) => {
    const h = alpha * v + beta;
    return h > 0 && h < 1 ? alpha : 0;
  },
  hardSwish: (v, alpha, beta) => {
    const h = alpha * v + beta;
    return h < 0 ? 0 : h <= 1 ? 2 * alpha * v + beta : 1;
  },
  clip: (v, lo, hi) => (v >= lo && v <= hi ? 1 : 0),
  elu: (v, alpha) => (v <= 0 ? alpha * Math.exp(v) : 1),
  reciprocal: (v) => -1 / (v * v),
  floor: () => 0,
  ceil: () => 0,
  softplus: sigmoid64,
  sin: Math.cos,
  cos: (v) => -Math.sin(v),
  round: () => 0,
  sign: () => 0,
  selu: (v, alpha, gamma) => (v <= 0 ? gamma * alpha * Math.exp(v) : gamma),
  celu: (v, alpha) => (v <= 0 ? Math.exp(v / alpha) : 1),
  mish: (v) => {
    const t = Math.tanh(Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
    return t + v * sigmoid64(v) * (1 - t * t);
  },
  softsign: (v) => 1 / ((1 + Math.abs(v)) ** 2),
  thresholdedRelu: (v, alpha) => (v <= alpha ? 0 : 1),
  tan: (v) => 1 + Math.tan(v) ** 2,
  atan: (v) => 1 / (1 + v * v),
  asin: (v) => 1 / Math.sqrt((1 - v) * (1 + v)),
  acos: (v) => -1 / Math.sqrt((1 - v) * (1 + v)),
  sinh: Math.cosh,
  cosh: Math.sinh,
  asinh: (v) => 1 / Math.sqrt(v * v + 1),
  acosh: (v) => 1 / Math.sqrt((v - 1) * (v + 1)),
  atanh: (v) => 1 / ((1 - v) * (1 + v)),
  isNaN: () => 0,
  isInf: () => 0,
};

/**
 * f64 CPU reference of {@linkcode unaryBackward}: `dy[i] · f'(x[i])`, with the parameters used
 * as given (f64; the GPU rounds them to f32). Where the derivative is 0 the result is 0, even
 * for an infinite `dy`.
 *
 * @throws {ArgumentError} for an unknown op, bad parameters or lengths that differ.
 */
export function unaryBackwardReference(
  op: UnaryOp,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  params: Pick<UnaryOptions, 'alpha' | 'beta'> = {},
): Float64Array {
  checkChoice('unaryBackwardReference', op, UNARY_OPS);
  if (x.length !== dy.length) {
    throw new ArgumentError(
      `Cannot run unaryBackwardReference ${op}: x has ${x.length} elements, dy ${dy.length}`,
    );
  }
  const { alpha, beta } = unaryParameters(op, params);
  const f = DERIVATIVE[op];
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = f(x[i], alpha, beta);
    dx[i] = d === 0 ? 0 : dy[i] * d;
  }
  return dx;
}
