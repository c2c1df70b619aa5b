/**
 * Comparisons (ONNX `Equal`, `Less`, `LessOrEqual`, `Greater`, `GreaterOrEqual`) and logical
 * operators (`And`, `Or`, `Xor`, `Not`) with numpy broadcasting, on the GPU through
 * `shaders/nn/binary.wgsl`, and their CPU reference. Results are i32 0/1, the GPU form of ONNX
 * bool.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import type { Tensor } from '../tensor.ts';
import { broadcastReference, checkSameDtype, runBinaryKernel } from './binary.ts';
import { checkChoice, checkOperand } from './common.ts';

/** Name of a comparison. */
export type CompareOp = 'equal' | 'less' | 'lessOrEqual' | 'greater' | 'greaterOrEqual';

/** Supported comparisons and their `OP` override code in `nn/binary.wgsl`. */
export const COMPARE_OPS: Readonly<Record<CompareOp, number>> = Object.freeze({
  equal: 7,
  less: 8,
  lessOrEqual: 9,
  greater: 10,
  greaterOrEqual: 11,
});

/** Name of a binary logical operator. */
export type LogicalOp = 'and' | 'or' | 'xor';

/** Supported binary logical operators and their `OP` override code in `nn/binary.wgsl`. */
export const LOGICAL_OPS: Readonly<Record<LogicalOp, number>> = Object.freeze({
  and: 12,
  or: 13,
  xor: 14,
});

const NOT_CODE = 15;

/** Options for {@linkcode compare} and {@linkcode logical}. */
export interface CompareOptions {
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Compares `a` with `b` elementwise, broadcast by numpy's rule; returns an i32 tensor of 0/1.
 * `a` and `b` are both f32 or both i32. A comparison with NaN is false (so `equal(NaN, NaN)` is
 * 0), and `-0` equals `+0`.
 *
 * @example
 * ```ts ignore
 * using mask = compare(engine, 'greater', x, threshold); // i32 0/1
 * ```
 * @throws {ShapeError} when the shapes do not broadcast; {@linkcode ArgumentError} for mixed
 *   dtypes or an unknown op.
 */
export function compare(
  engine: Engine,
  op: CompareOp,
  a: Tensor,
  b: Tensor,
  options: CompareOptions = {},
): Tensor {
  checkChoice('compare', op, COMPARE_OPS);
  checkSameDtype(engine, op, a, b);
  return runBinaryKernel(engine, op, COMPARE_OPS[op], a, b, 'i32', options.label ?? `${op}.out`);
}

/** `a == b` as i32 0/1, broadcast. */
export const equal = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  compare(engine, 'equal', a, b);
/** `a < b` as i32 0/1, broadcast. */
export const less = (engine: Engine, a: Tensor, b: Tensor): Tensor => compare(engine, 'less', a, b);
/** `a <= b` as i32 0/1, broadcast. */
export const lessOrEqual = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  compare(engine, 'lessOrEqual', a, b);
/** `a > b` as i32 0/1, broadcast. */
export const greater = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  compare(engine, 'greater', a, b);
/** `a >= b` as i32 0/1, broadcast. */
export const greaterOrEqual = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  compare(engine, 'greaterOrEqual', a, b);

/**
 * Logical `and`, `or` or `xor` of two i32 tensors, broadcast; any non-zero element counts as
 * true. Returns i32 0/1.
 *
 * @throws {ShapeError} when the shapes do not broadcast; {@linkcode ArgumentError} for f32
 *   operands or an unknown op.
 */
export function logical(
  engine: Engine,
  op: LogicalOp,
  a: Tensor,
  b: Tensor,
  options: CompareOptions = {},
): Tensor {
  checkChoice('logical', op, LOGICAL_OPS);
  checkSameDtype(engine, op, a, b, ['i32']);
  return runBinaryKernel(engine, op, LOGICAL_OPS[op], a, b, 'i32', options.label ?? `${op}.out`);
}

/** Logical and of i32 tensors (non-zero is true), as 0/1, broadcast. */
export const logicalAnd = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  logical(engine, 'and', a, b);
/** Logical or of i32 tensors (non-zero is true), as 0/1, broadcast. */
export const logicalOr = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  logical(engine, 'or', a, b);
/** Logical exclusive or of i32 tensors (non-zero is true), as 0/1, broadcast. */
export const logicalXor = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  logical(engine, 'xor', a, b);

/** Logical not of an i32 tensor: 1 where `x` is 0, else 0. */
export function logicalNot(engine: Engine, x: Tensor, options: CompareOptions = {}): Tensor {
  checkOperand(engine, 'not', 'x', x, ['i32']);
  // `x` is bound as both operands; the kernel reads only the first.
  return runBinaryKernel(engine, 'not', NOT_CODE, x, x, 'i32', options.label ?? 'not.out');
}

const COMPARE_REFERENCE: Record<CompareOp, (u: number, v: number) => boolean> = {
  equal: (u, v) => u === v,
  less: (u, v) => u < v,
  lessOrEqual: (u, v) => u <= v,
  greater: (u, v) => u > v,
  greaterOrEqual: (u, v) => u >= v,
};

const LOGICAL_REFERENCE: Record<LogicalOp, (u: boolean, v: boolean) => boolean> = {
  and: (u, v) => u && v,
  or: (u, v) => u || v,
  xor: (u, v) => u !== v,
};

/**
 * CPU reference of {@linkcode compare}: 0/1 data and the broadcast shape. JavaScript's
 * comparisons already give false for NaN and `-0 === 0`.
 */
export function compareReference(
  op: CompareOp,
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
): { data: Int32Array; shape: number[] } {
  checkChoice('compareReference', op, COMPARE_OPS);
  const f = COMPARE_REFERENCE[op];
  const r = broadcastReference((u, v) => (f(u, v) ? 1 : 0), a, aShape, b, bShape, op);
  return { data: Int32Array.from(r.data), shape: r.shape };
}

/** CPU reference of {@linkcode logical} and, with `op: 'not'` (b ignored), {@linkcode logicalNot}. */
export function logicalReference(
  op: LogicalOp | 'not',
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number> = a,
  bShape: readonly number[] = aShape,
): { data: Int32Array; shape: number[] } {
  if (op === 'not') {
    return { data: Int32Array.from(a, (v) => (v === 0 ? 1 : 0)), shape: [...aShape] };
  }
  checkChoice('logicalReference', op, LOGICAL_OPS);
  const f = LOGICAL_REFERENCE[op];
  const r = broadcastReference((u, v) => (f(u !== 0, v !== 0) ? 1 : 0), a, aShape, b, bShape, op);
  return { data: Int32Array.from(r.data), shape: r.shape };
}
