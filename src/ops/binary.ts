/**
 * Elementwise binary functions with numpy broadcasting on the GPU (`shaders/nn/binary.wgsl`)
 * and their f64 CPU reference.
 *
 * @module
 */

import binarySource from '../../shaders/nn/binary.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { empty, sizeOf, type Tensor } from '../tensor.ts';
import {
  broadcastShapes,
  broadcastStrides,
  checkChoice,
  checkOperand,
  WORKGROUP_SIZE,
} from './common.ts';

/** Name of a binary function. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'pow';

/** Supported binary functions and their `OP` override code in the shader. */
export const BINARY_OPS: Readonly<Record<BinaryOp, number>> = Object.freeze({
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  max: 4,
  min: 5,
  pow: 6,
});

/** Options for {@linkcode binary}. */
export interface BinaryOptions {
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Applies `op` elementwise to `a` and `b`, broadcast by numpy's rule; returns a new f32 tensor
 * of the broadcast shape. (The op name comes first, like the named wrappers `add`, `mul`, ...
 * that most callers use.)
 *
 * @throws {ShapeError} when the shapes do not broadcast, naming both.
 */
export function binary(
  engine: Engine,
  op: BinaryOp,
  a: Tensor,
  b: Tensor,
  options: BinaryOptions = {},
): Tensor {
  checkChoice('binary', op, BINARY_OPS);
  checkOperand(engine, op, 'a', a);
  checkOperand(engine, op, 'b', b);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const n = sizeOf(shape);
  const y = empty(engine, shape, { label: options.label ?? `${op}.out` });
  if (n === 0) return y;
  const same = a.size === n && b.size === n;
  const rank = shape.length;
  const geometry = same ? new Uint32Array([n, 0]) : new Uint32Array([
    n,
    rank,
    ...shape,
    ...broadcastStrides(a.shape, rank),
    ...broadcastStrides(b.shape, rank),
  ]);
  engine.dispatch({
    code: binarySource,
    label: `nn/binary.wgsl ${op}`,
    constants: { OP: BINARY_OPS[op], WG: WORKGROUP_SIZE, BROADCAST: same ? 0 : 1 },
    bindings: [a.buffer, b.buffer, y.buffer, engine.constants(`${op}.geometry`, geometry)],
    workgroups: Math.ceil(n / WORKGROUP_SIZE),
  });
  return y;
}

/** `a + b`, broadcast. */
export const add = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'add', a, b);
/** `a − b`, broadcast. */
export const sub = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'sub', a, b);
/** `a · b`, broadcast. */
export const mul = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'mul', a, b);
/** `a / b`, broadcast. */
export const div = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'div', a, b);
/** Elementwise maximum, broadcast. */
export const maximum = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  binary(engine, 'max', a, b);
/** Elementwise minimum, broadcast. */
export const minimum = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  binary(engine, 'min', a, b);
/** `a ** b`, broadcast (negative bases with integral exponents keep their sign). */
export const pow = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'pow', a, b);

const REFERENCE: Record<BinaryOp, (u: number, v: number) => number> = {
  add: (u, v) => u + v,
  sub: (u, v) => u - v,
  mul: (u, v) => u * v,
  div: (u, v) => u / v,
  max: Math.max,
  min: Math.min,
  pow: Math.pow,
};

/** f64 CPU reference of {@linkcode binary}: returns the data and the broadcast shape. */
export function binaryReference(
  op: BinaryOp,
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
): { data: Float64Array; shape: number[] } {
  checkChoice('binaryReference', op, BINARY_OPS);
  const shape = broadcastShapes(aShape, bShape, op);
  const rank = shape.length;
  const sa = broadcastStrides(aShape, rank);
  const sb = broadcastStrides(bShape, rank);
  const f = REFERENCE[op];
  const n = sizeOf(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let ia = 0;
    let ib = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      ia += c * sa[d];
      ib += c * sb[d];
    }
    data[i] = f(a[ia], b[ib]);
  }
  return { data, shape };
}
