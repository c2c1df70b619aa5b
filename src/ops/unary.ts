/**
 * Elementwise unary functions on the GPU (`shaders/nn/unary.wgsl`) and their f64 CPU reference.
 *
 * @module
 */

import unarySource from '../../shaders/nn/unary.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
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
  | 'erf'
  | 'leakyRelu'
  | 'hardSigmoid'
  | 'hardSwish'
  | 'clip'
  | 'elu'
  | 'reciprocal'
  | 'floor'
  | 'ceil'
  | 'softplus'
  | 'sin'
  | 'cos'
  | 'round'
  | 'sign'
  | 'selu'
  | 'celu'
  | 'mish'
  | 'softsign'
  | 'thresholdedRelu'
  | 'tan'
  | 'atan'
  | 'asin'
  | 'acos'
  | 'sinh'
  | 'cosh'
  | 'asinh'
  | 'acosh'
  | 'atanh'
  | 'isNaN'
  | 'isInf';

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
  leakyRelu: 11,
  hardSigmoid: 12,
  hardSwish: 13,
  clip: 14,
  elu: 15,
  reciprocal: 16,
  floor: 17,
  ceil: 18,
  softplus: 19,
  sin: 20,
  cos: 21,
  round: 22,
  sign: 23,
  selu: 24,
  celu: 25,
  mish: 26,
  softsign: 27,
  thresholdedRelu: 28,
  tan: 29,
  atan: 30,
  asin: 31,
  acos: 32,
  sinh: 33,
  cosh: 34,
  asinh: 35,
  acosh: 36,
  atanh: 37,
  isNaN: 38,
  isInf: 39,
});

/** ONNX's default `alpha` of `Selu`. */
export const SELU_ALPHA = 1.67326319217;
/** ONNX's default `gamma` of `Selu` (the `beta` of {@linkcode unary}'s `selu`). */
export const SELU_GAMMA = 1.05070102;

/** Functions that take `alpha` but no `beta`. */
const ALPHA_ONLY: ReadonlySet<UnaryOp> = new Set(['leakyRelu', 'elu', 'celu', 'thresholdedRelu']);

/**
 * Default `alpha` and `beta` of the functions that take them (ONNX's defaults). For `clip`,
 * `alpha` is the lower bound and `beta` the upper one; absent bounds are ∓infinity.
 */
export const UNARY_PARAMETERS: Readonly<
  Partial<Record<UnaryOp, Readonly<{ alpha: number; beta: number }>>>
> = Object.freeze({
  leakyRelu: Object.freeze({ alpha: 0.01, beta: 0 }),
  hardSigmoid: Object.freeze({ alpha: 0.2, beta: 0.5 }),
  hardSwish: Object.freeze({ alpha: 1 / 6, beta: 0.5 }),
  clip: Object.freeze({ alpha: -Infinity, beta: Infinity }),
  elu: Object.freeze({ alpha: 1, beta: 0 }),
  selu: Object.freeze({ alpha: SELU_ALPHA, beta: SELU_GAMMA }),
  celu: Object.freeze({ alpha: 1, beta: 0 }),
  thresholdedRelu: Object.freeze({ alpha: 1, beta: 0 }),
  isInf: Object.freeze({ alpha: 1, beta: 1 }),
});

/** Options for {@linkcode unary}. */
export interface UnaryOptions {
  /**
   * First parameter: the negative-side slope of `leakyRelu`, the negative-side scale of `elu`,
   * `selu` and `celu` (non-zero for `celu`), the slope of `hardSigmoid` and `hardSwish`, the
   * lower bound of `clip`, the threshold of `thresholdedRelu`, whether `isInf` detects −inf
   * (non-zero: yes). Default: see {@linkcode UNARY_PARAMETERS}. Only the functions listed there
   * take one.
   */
  alpha?: number;
  /**
   * Second parameter: the offset of `hardSigmoid` and `hardSwish`, the upper bound of `clip`,
   * the scale `gamma` of `selu`, whether `isInf` detects +inf (`leakyRelu`, `elu`, `celu` and
   * `thresholdedRelu` take none).
   */
  beta?: number;
  /** Label of the output buffer. */
  label?: string;
}

/** Options for {@linkcode clip}. */
export interface ClipOptions {
  /** Lower bound; absent means none (−infinity). */
  min?: number;
  /** Upper bound; absent means none (+infinity). When `min > max`, every element becomes `max`. */
  max?: number;
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Resolves `alpha` and `beta` of `op` against its defaults.
 *
 * @throws {ArgumentError} when `op` does not take a parameter that is given, or a value is NaN
 *   (or infinite, except for `clip`'s bounds).
 */
export function unaryParameters(
  op: UnaryOp,
  options: Pick<UnaryOptions, 'alpha' | 'beta'> = {},
): { alpha: number; beta: number } {
  const defaults = UNARY_PARAMETERS[op];
  for (const key of ['alpha', 'beta'] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (!defaults || (key === 'beta' && ALPHA_ONLY.has(op))) {
      throw new ArgumentError(`Cannot run ${op}: it takes no ${key}, got ${key} = ${v}`);
    }
    if (typeof v !== 'number' || Number.isNaN(v) || (op !== 'clip' && !Number.isFinite(v))) {
      throw new ArgumentError(
        `Cannot run ${op}: ${key} must be a ${op === 'clip' ? 'non-NaN' : 'finite'} number, ` +
          `got ${v}`,
      );
    }
  }
  if (op === 'celu' && options.alpha === 0) {
    throw new ArgumentError('Cannot run celu: alpha must be non-zero (it divides x), got 0');
  }
  return {
    alpha: options.alpha ?? defaults?.alpha ?? 0,
    beta: options.beta ?? defaults?.beta ?? 0,
  };
}

/**
 * Applies `op` to every element of `x`; returns a new f32 tensor of `x`'s shape. `alpha` and
 * `beta` parameterize the functions listed in {@linkcode UNARY_PARAMETERS}; they are runtime
 * values, so changing them compiles nothing.
 *
 * @example
 * ```ts ignore
 * using y = unary(engine, 'relu', x);
 * using z = unary(engine, 'leakyRelu', x, { alpha: 0.2 });
 * ```
 * @throws {ArgumentError} for an unknown op, a non-f32 input or bad parameters.
 */
export function unary(engine: Engine, op: UnaryOp, x: Tensor, options: UnaryOptions = {}): Tensor {
  checkChoice('unary', op, UNARY_OPS);
  checkOperand(engine, op, 'x', x);
  const { alpha, beta } = unaryParameters(op, options);
  const y = empty(engine, x.shape, { label: options.label ?? `${op}.out` });
  if (x.size === 0) return y;
  const params = new ArrayBuffer(16);
  new Uint32Array(params, 0, 1)[0] = x.size;
  new Float32Array(params, 4, 2).set([alpha, beta]);
  engine.dispatch({
    code: unarySource,
    label: `nn/unary.wgsl ${op}`,
    constants: { OP: UNARY_OPS[op], WG: WORKGROUP_SIZE },
    bindings: [x.buffer, y.buffer, engine.constants(`${op}.params`, new Uint32Array(params))],
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
/** `x` for `x ≥ 0`, else `alpha·x` (default alpha 0.01); ONNX `LeakyRelu`. */
export const leakyRelu = (engine: Engine, x: Tensor, options: { alpha?: number } = {}): Tensor =>
  unary(engine, 'leakyRelu', x, { alpha: options.alpha });
/** `clamp(alpha·x + beta, 0, 1)` (defaults 0.2, 0.5); ONNX `HardSigmoid`. */
export const hardSigmoid = (
  engine: Engine,
  x: Tensor,
  options: { alpha?: number; beta?: number } = {},
): Tensor => unary(engine, 'hardSigmoid', x, { alpha: options.alpha, beta: options.beta });
/** `x · clamp(x/6 + 1/2, 0, 1)`; ONNX `HardSwish`. */
export const hardSwish = (engine: Engine, x: Tensor): Tensor => unary(engine, 'hardSwish', x);
/**
 * Clamps to `[min, max]`; either bound may be absent. ONNX `Clip` (NaN stays NaN; `min > max`
 * gives `max`).
 */
export const clip = (engine: Engine, x: Tensor, options: ClipOptions = {}): Tensor =>
  unary(engine, 'clip', x, { alpha: options.min, beta: options.max, label: options.label });
/** `x` for `x > 0`, else `alpha·(exp(x) − 1)` (default alpha 1); ONNX `Elu`. */
export const elu = (engine: Engine, x: Tensor, options: { alpha?: number } = {}): Tensor =>
  unary(engine, 'elu', x, { alpha: options.alpha });
/** `1 / x`. */
export const reciprocal = (engine: Engine, x: Tensor): Tensor => unary(engine, 'reciprocal', x);
/** Largest integer ≤ x. */
export const floor = (engine: Engine, x: Tensor): Tensor => unary(engine, 'floor', x);
/** Smallest integer ≥ x. */
export const ceil = (engine: Engine, x: Tensor): Tensor => unary(engine, 'ceil', x);
/** `log(1 + exp(x))`, overflow-free; ONNX `Softplus`. */
export const softplus = (engine: Engine, x: Tensor): Tensor => unary(engine, 'softplus', x);
/** Sine (accurate to 2⁻¹¹ absolute on [−π, π]). */
export const sin = (engine: Engine, x: Tensor): Tensor => unary(engine, 'sin', x);
/** Cosine (accurate to 2⁻¹¹ absolute on [−π, π]). */
export const cos = (engine: Engine, x: Tensor): Tensor => unary(engine, 'cos', x);
/** Rounds to the nearest integer, halves to even; ONNX `Round`. */
export const round = (engine: Engine, x: Tensor): Tensor => unary(engine, 'round', x);
/** −1, 0 or 1 by the sign of x; ONNX `Sign`. */
export const sign = (engine: Engine, x: Tensor): Tensor => unary(engine, 'sign', x);

/** `gamma·x` for `x > 0`, else `gamma·alpha·(exp(x) − 1)`; ONNX `Selu` (its defaults). */
export const selu = (
  engine: Engine,
  x: Tensor,
  options: { alpha?: number; gamma?: number } = {},
): Tensor => unary(engine, 'selu', x, { alpha: options.alpha, beta: options.gamma });
/** `max(0, x) + min(0, alpha·(exp(x/alpha) − 1))` (default alpha 1); ONNX `Celu`. */
export const celu = (engine: Engine, x: Tensor, options: { alpha?: number } = {}): Tensor =>
  unary(engine, 'celu', x, { alpha: options.alpha });
/** `x·tanh(softplus(x))`; ONNX `Mish`. */
export const mish = (engine: Engine, x: Tensor): Tensor => unary(engine, 'mish', x);
/** `x / (1 + |x|)`; ONNX `Softsign`. */
export const softsign = (engine: Engine, x: Tensor): Tensor => unary(engine, 'softsign', x);
/** `x` for `x > alpha`, else 0 (default alpha 1); ONNX `ThresholdedRelu`. */
export const thresholdedRelu = (
  engine: Engine,
  x: Tensor,
  options: { alpha?: number } = {},
): Tensor => unary(engine, 'thresholdedRelu', x, { alpha: options.alpha });
/** 1.0 where x is NaN (by bit pattern), else 0.0. */
export const isNan = (engine: Engine, x: Tensor): Tensor => unary(engine, 'isNaN', x);
/**
 * 1.0 where x is an infinity that is detected (both by default), else 0.0; ONNX `IsInf`'s
 * `detect_negative` and `detect_positive`.
 */
export const isInf = (
  engine: Engine,
  x: Tensor,
  options: { detectNegative?: boolean; detectPositive?: boolean } = {},
): Tensor =>
  unary(engine, 'isInf', x, {
    alpha: options.detectNegative === false ? 0 : 1,
    beta: options.detectPositive === false ? 0 : 1,
  });

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

/** Round half to even, in f64. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const REFERENCE: Record<UnaryOp, (v: number, alpha: number, beta: number) => number> = {
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
  leakyRelu: (v, alpha) => (v >= 0 ? v : alpha * v),
  hardSigmoid: (v, alpha, beta) => Math.min(1, Math.max(0, alpha * v + beta)),
  hardSwish: (v, alpha, beta) => v * Math.min(1, Math.max(0, alpha * v + beta)),
  clip: (v, lo, hi) => (Number.isNaN(v) ? v : Math.min(Math.max(v, lo), hi)),
  elu: (v, alpha) => (v > 0 ? v : alpha * Math.expm1(v)),
  reciprocal: (v) => 1 / v,
  floor: Math.floor,
  ceil: Math.ceil,
  softplus: (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
  sin: Math.sin,
  cos: Math.cos,
  round: roundHalfEven,
  sign: Math.sign,
  selu: (v, alpha, gamma) => gamma * (v > 0 ? v : alpha * Math.expm1(v)),
  celu: (v, alpha) => Math.max(0, v) + Math.min(0, alpha * Math.expm1(v / alpha)),
  mish: (v) => v * Math.tanh(Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))),
  softsign: (v) => v / (1 + Math.abs(v)),
  thresholdedRelu: (v, alpha) => (v <= alpha ? 0 : v), // NaN stays NaN, as PyTorch's threshold
  tan: Math.tan,
  atan: Math.atan,
  asin: Math.asin,
  acos: Math.acos,
  sinh: Math.sinh,
  cosh: Math.cosh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  isNaN: (v) => (Number.isNaN(v) ? 1 : 0),
  isInf: (v, negative, positive) =>
    (v === Infinity && positive !== 0) || (v === -Infinity && negative !== 0) ? 1 : 0,
};

/**
 * f64 CPU reference of {@linkcode unary}. The parameters are used as given (f64); the GPU rounds
 * them to f32.
 */
export function unaryReference(
  op: UnaryOp,
  x: ArrayLike<number>,
  options: Pick<UnaryOptions, 'alpha' | 'beta'> = {},
): Float64Array {
  checkChoice('unaryReference', op, UNARY_OPS);
  const { alpha, beta } = unaryParameters(op, options);
  const f = REFERENCE[op];
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i], alpha, beta);
  return y;
}
