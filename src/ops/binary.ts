/**
 * Elementwise binary functions with numpy broadcasting on the GPU (`shaders/nn/binary.wgsl`)
 * and their f64 CPU reference. Operands are f32 or i32 (both the same); i32 arithmetic has
 * integer semantics (wrapping, division truncating toward zero). Where an operand or the result
 * exceeds the binding limit and each operand is full-size or a single element (a gradient scaled
 * or accumulated), the kernel runs over consecutive element blocks.
 *
 * @module
 */

import binarySource from '../../shaders/nn/binary.wgsl' with { type: 'text' };
import { elementRange, fitsBinding } from '../gpu/binding.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { type DType, empty, formatShape, sizeOf, type Tensor } from '../tensor.ts';
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
 * Checks that `a` and `b` are live tensors of `engine` with one dtype out of `dtypes`; returns
 * that dtype.
 *
 * @throws {ArgumentError} naming the op and both dtypes when they differ.
 */
export function checkSameDtype(
  engine: Engine,
  op: string,
  a: Tensor,
  b: Tensor,
  dtypes: readonly DType[] = ['f32', 'i32'],
): DType {
  checkOperand(engine, op, 'a', a, dtypes);
  checkOperand(engine, op, 'b', b, dtypes);
  if (a.dtype !== b.dtype) {
    throw new ArgumentError(
      `Cannot run ${op}: a ${formatShape(a.shape)} is ${a.dtype} but b ${formatShape(b.shape)} ` +
        `is ${b.dtype}; both must have one dtype`,
    );
  }
  return a.dtype;
}

/**
 * Records `nn/binary.wgsl` with override `OP = code` on validated operands of one dtype and
 * returns the broadcast result of dtype `outDtype`. Shared by {@linkcode binary} and the
 * comparison and logical operators (`compare.ts`); callers validate first.
 *
 * @throws {ShapeError} when the shapes do not broadcast.
 */
export function runBinaryKernel(
  engine: Engine,
  op: string,
  code: number,
  a: Tensor,
  b: Tensor,
  outDtype: DType,
  label: string,
): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const n = sizeOf(shape);
  const y = empty(engine, shape, { dtype: outDtype, label });
  if (n === 0) return y;
  const flat = (a.size === n || a.size === 1) && (b.size === n || b.size === 1);
  if (flat && ![a, b, y].every((t) => fitsBinding(engine, t.buffer))) {
    recordInBlocks(engine, op, code, a, b, y);
    return y;
  }
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
    constants: {
      OP: code,
      WG: WORKGROUP_SIZE,
      INT: a.dtype === 'i32' ? 1 : 0,
      BROADCAST: same ? 0 : 1,
    },
    bindings: [a.buffer, b.buffer, y.buffer, engine.constants(`${op}.geometry`, geometry)],
    workgroups: Math.ceil(n / WORKGROUP_SIZE),
  });
  return y;
}

/**
 * Records `nn/binary.wgsl` over consecutive element blocks of `y` when an operand or the result
 * exceeds the binding limit: each block binds the same element range of `y` and of each full-size
 * operand (ranges start on the device's offset alignment), and a one-element operand whole.
 */
function recordInBlocks(
  engine: Engine,
  op: string,
  code: number,
  a: Tensor,
  b: Tensor,
  y: Tensor,
): void {
  const n = y.size;
  const alignment = engine.bindingAlignment / 4;
  const step = Math.floor(engine.maxBindingBytes / 4 / alignment) * alignment;
  for (let start = 0; start < n; start += step) {
    const end = Math.min(n, start + step);
    const len = end - start;
    const bind = (t: Tensor) =>
      t.size === 1 ? t.buffer : elementRange(engine, t.buffer, start, end).range;
    const geometry = a.size === b.size
      ? new Uint32Array([len, 0])
      : new Uint32Array([len, 1, len, a.size === 1 ? 0 : 1, b.size === 1 ? 0 : 1]);
    engine.dispatch({
      code: binarySource,
      label: `nn/binary.wgsl ${op}`,
      constants: {
        OP: code,
        WG: WORKGROUP_SIZE,
        INT: a.dtype === 'i32' ? 1 : 0,
        BROADCAST: a.size === b.size ? 0 : 1,
      },
      bindings: [bind(a), bind(b), bind(y), engine.constants(`${op}.geometry`, geometry)],
      workgroups: Math.ceil(len / WORKGROUP_SIZE),
    });
  }
}

/**
 * Applies `op` elementwise to `a` and `b`, broadcast by numpy's rule; returns a new tensor of
 * the broadcast shape and the operands' dtype. (The op name comes first, like the named wrappers
 * `add`, `mul`, ... that most callers use.)
 *
 * On i32 operands: add, sub and mul wrap (two's complement); div truncates toward zero, and
 * `x / 0 = x` (WGSL's rule; ONNX leaves it undefined); pow is exact, and a negative exponent
 * gives the truncated `1 / a^|b|` (0 unless |a| = 1).
 *
 * @throws {ShapeError} when the shapes do not broadcast, naming both.
 * @throws {ArgumentError} when the operands' dtypes differ.
 */
export function binary(
  engine: Engine,
  op: BinaryOp,
  a: Tensor,
  b: Tensor,
  options: BinaryOptions = {},
): Tensor {
  checkChoice('binary', op, BINARY_OPS);
  const dtype = checkSameDtype(engine, op, a, b);
  return runBinaryKernel(engine, op, BINARY_OPS[op], a, b, dtype, options.label ?? `${op}.out`);
}

/** `a + b`, broadcast. */
export const add = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'add', a, b);
/** `a − b`, broadcast. */
export const sub = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'sub', a, b);
/** `a · b`, broadcast. */
export const mul = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'mul', a, b);
/** `a / b`, broadcast (truncating toward zero on i32). */
export const div = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'div', a, b);
/** Elementwise maximum, broadcast. */
export const maximum = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  binary(engine, 'max', a, b);
/** Elementwise minimum, broadcast. */
export const minimum = (engine: Engine, a: Tensor, b: Tensor): Tensor =>
  binary(engine, 'min', a, b);
/** `a ** b`, broadcast (negative bases with integral exponents keep their sign). */
export const pow = (engine: Engine, a: Tensor, b: Tensor): Tensor => binary(engine, 'pow', a, b);

/**
 * C's pow (onnxruntime's and PyTorch's): `pow(x, ±0)` and `pow(1, y)` are 1 for every x and y,
 * NaN included, and `pow(−1, ±inf)` is 1, where JavaScript's `**` gives NaN.
 */
function powC(u: number, v: number): number {
  if (v === 0 || u === 1) return 1;
  if (u === -1 && Math.abs(v) === Infinity) return 1;
  return Math.pow(u, v);
}

const REFERENCE: Record<BinaryOp, (u: number, v: number) => number> = {
  add: (u, v) => u + v,
  sub: (u, v) => u - v,
  mul: (u, v) => u * v,
  div: (u, v) => u / v,
  max: Math.max,
  min: Math.min,
  pow: powC,
};

const I32_MIN = -2147483648;

function powInt(u: number, v: number): number {
  if (v < 0) return u === 1 ? 1 : u === -1 ? (v % 2 ? -1 : 1) : 0;
  let r = 1;
  let base = u;
  for (let k = v; k !== 0; k = Math.floor(k / 2)) {
    if (k % 2) r = Math.imul(r, base);
    base = Math.imul(base, base);
  }
  return r;
}

const REFERENCE_I32: Record<BinaryOp, (u: number, v: number) => number> = {
  add: (u, v) => (u + v) | 0,
  sub: (u, v) => (u - v) | 0,
  mul: (u, v) => Math.imul(u, v),
  div: (u, v) => (v === 0 || (u === I32_MIN && v === -1) ? u : Math.trunc(u / v)),
  max: Math.max,
  min: Math.min,
  pow: powInt,
};

/**
 * Evaluates `f` over the numpy broadcast of two row-major operands: the shared loop of the
 * binary, comparison and logical references.
 */
export function broadcastReference(
  f: (u: number, v: number) => number,
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  op: string,
): { data: Float64Array; shape: number[] } {
  const shape = broadcastShapes(aShape, bShape, op);
  const rank = shape.length;
  const sa = broadcastStrides(aShape, rank);
  const sb = broadcastStrides(bShape, rank);
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

/**
 * f64 CPU reference of {@linkcode binary}: returns the data and the broadcast shape. With
 * `dtype: 'i32'` it follows the GPU's integer semantics exactly (wrapping, truncating division,
 * `x / 0 = x`).
 */
export function binaryReference(
  op: BinaryOp,
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  dtype: DType = 'f32',
): { data: Float64Array; shape: number[] } {
  checkChoice('binaryReference', op, BINARY_OPS);
  const f = dtype === 'i32' ? REFERENCE_I32[op] : REFERENCE[op];
  return broadcastReference(f, a, aShape, b, bShape, op);
}
