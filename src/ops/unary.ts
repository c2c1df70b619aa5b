/**
 * Elementwise unary functions on the GPU (`shaders/nn/unary.wgsl`) and their f64 CPU reference.
 *
 * @module
 */

import unarySource from '../../shaders/nn/unary.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { empty, type Tensor } from '../tensor.ts';
import { checkChoice, checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Name of a unary function. `gelu` is the exact (erf) form; `gelu_tanh` the tanh approximation. */
export type UnaryOp =
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'gelu'
  | 'exp'
  | 'log'
  | 'abs'
  | 'neg'
  | 'sqrt'
  | 'gelu_tanh'
  | 'erf';

/** Supported unary functions and their `OP` override code in the shader. */
export const UNARY_OPS: Readonly<Record<UnaryOp, number>> = Object.freeze({
  relu: 0,
  sigmoid: 1,
  tanh: 2,
  gelu: 3,
  exp: 4,
  log: 5,
  abs: 6,
  neg: 7,
  sqrt: 8,
  gelu_tanh: 9,
  erf: 10,
});

/** Options for {@linkcode unary}. */
export interface UnaryOptions {
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Applies `op` to every element of `x`; returns a new f32 tensor of `x`'s shape.
 *
 * @example
 * ```ts ignore
 * using y = unary(engine, 'relu', x);
 * ```
 */
export function unary(engine: Engine, op: UnaryOp, x: Tensor, options: UnaryOptions = {}): Tensor {
  checkChoice('unary', op, UNARY_OPS);
  checkOperand(engine, op, 'x', x);
  const y = empty(engine, x.shape, { label: options.label ?? `${op}.out` });
  if (x.size === 0) return y;
  engine.dispatch({
    code: unarySource,
    label: `nn/unary.wgsl ${op}`,
    constants: { OP: UNARY_OPS[op], WG: WORKGROUP_SIZE },
    bindings: [x.buffer, y.buffer, engine.constants(`${op}.params`, new Uint32Array([x.size]))],
    workgroups: Math.ceil(x.size / WORKGROUP_SIZE),
  });
  return y;
}

/** `max(x, 0)`. */
export const relu = (engine: Engine, x: Tensor): Tensor => unary(engine, 'relu', x);
/** `1 / (1 + exp(-x))`, overflow-free. */
export const sigmoid = (engine: Engine, x: Tensor): Tensor => unary(engine, 'sigmoid', x);
/** Hyperbolic tangent, overflow-free. */
export const tanh = (engine: Engine, x: Tensor): Tensor => unary(engine, 'tanh', x);
/** `x·Φ(x)` with the exact normal CDF (erf); ONNX `Gelu` with `approximate='none'`. */
export const gelu = (engine: Engine, x: Tensor): Tensor => unary(engine, 'gelu', x);
/** Natural exponential. */
export const exp = (engine: Engine, x: Tensor): Tensor => unary(engine, 'exp', x);
/** Natural logarithm. */
export const log = (engine: Engine, x: Tensor): Tensor => unary(engine, 'log', x);
/** Absolute value. */
export const abs = (engine: Engine, x: Tensor): Tensor => unary(engine, 'abs', x);
/** Negation. */
export const neg = (engine: Engine, x: Tensor): Tensor => unary(engine, 'neg', x);
/** Square root. */
export const sqrt = (engine: Engine, x: Tensor): Tensor => unary(engine, 'sqrt', x);

/** The error function in f64 (series below 3, continued fraction above; ~1e-13 absolute). */
export function erf64(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    // erf x = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
    let term = a;
    let sum = a;
    const x2 = a * a;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (a > 6) return x < 0 ? -1 : 1;
  // erfc a = exp(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …))))), by Lentz.
  const tiny = 1e-300;
  let f = a;
  let c = a;
  let d = 0;
  for (let k = 1; k < 300; k++) {
    const ak = k / 2;
    d = a + ak * d;
    d = d === 0 ? tiny : d;
    c = a + ak / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

const REFERENCE: Record<UnaryOp, (v: number) => number> = {
  relu: (v) => Math.max(v, 0),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
  gelu: (v) => 0.5 * v * (1 + erf64(v / Math.SQRT2)),
  exp: Math.exp,
  log: Math.log,
  abs: Math.abs,
  neg: (v) => -v,
  sqrt: Math.sqrt,
  gelu_tanh: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  erf: erf64,
};

/** f64 CPU reference of {@linkcode unary}. */
export function unaryReference(op: UnaryOp, x: ArrayLike<number>): Float64Array {
  checkChoice('unaryReference', op, UNARY_OPS);
  const f = REFERENCE[op];
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
  return y;
}
