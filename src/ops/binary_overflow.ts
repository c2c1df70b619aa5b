/**
 * The overflow check of i32 arithmetic that stands for int64 (`shaders/nn/binary_overflow.wgsl`)
 * and its CPU reference. glassbox holds int64 as i32 on the GPU, where `binary` wraps: a sum,
 * difference, product or quotient that does not fit in 32 bits would be silently wrong. The
 * check reads the operands of such an operation (it does not need the result) and records the
 * first overflow; the next readback on the engine then rejects with
 * {@linkcode IntegerOverflowError} (see `deferred_check.ts`). The ONNX operators schedule it for
 * int64 Add, Sub, Mul, Div and Sum (`src/onnx/ops/elementwise.ts`).
 *
 * @module
 */

import overflowSource from '../../shaders/nn/binary_overflow.wgsl' with { type: 'text' };
import { elementRange, fitsBinding } from '../gpu/binding.ts';
import type { BufferRange, Engine } from '../gpu/engine.ts';
import { IntegerOverflowError } from '../gpu/errors.ts';
import { formatShape, sizeOf, type Tensor } from '../tensor.ts';
import {
  broadcastShapes,
  broadcastStrides,
  checkChoice,
  checkOperand,
  WORKGROUP_SIZE,
} from './common.ts';
import { deferCheck } from './deferred_check.ts';

/** The operations the check covers, with their `OP` code (that of `nn/binary.wgsl`). */
export const OVERFLOW_OPS: Readonly<{ add: 0; sub: 1; mul: 2; div: 3 }> = Object.freeze({
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
});

/** An operation the overflow check covers. */
export type OverflowOp = keyof typeof OVERFLOW_OPS;

const SYMBOLS: Readonly<Record<OverflowOp, string>> = { add: '+', sub: '−', mul: '×', div: '/' };

const I32_MIN = -2147483648n;
const I32_MAX = 2147483647n;

/**
 * The exact result of `x op y` on integers (div truncates toward zero, as ONNX's integer
 * division does; null for a division by zero, which ONNX leaves undefined).
 */
export function exactIntResult(op: OverflowOp, x: number, y: number): bigint | null {
  const [u, v] = [BigInt(x), BigInt(y)];
  switch (op) {
    case 'add':
      return u + v;
    case 'sub':
      return u - v;
    case 'mul':
      return u * v;
    case 'div':
      return v === 0n ? null : u / v;
  }
}

/** CPU reference of the check: whether `x op y` (32-bit integers) leaves the i32 range. */
export function overflowsI32(op: OverflowOp, x: number, y: number): boolean {
  const r = exactIntResult(op, x, y);
  return r !== null && (r < I32_MIN || r > I32_MAX);
}

/** Options for {@linkcode checkIntOverflow}. */
export interface IntOverflowOptions {
  /** Who computes, for the error, e.g. `Add node 'sum'`. Default: the op's name. */
  caller?: string;
  /** The element type the i32 operands stand for, for the error. Default `int64`. */
  dtype?: string;
}

/**
 * Records the overflow check of `a op b` (i32, broadcast by numpy's rule, as `binary` computes
 * it): the next readback on the engine rejects with {@linkcode IntegerOverflowError} naming the
 * first result that does not fit in 32 bits, its operands and its exact value.
 *
 * @throws {ShapeError} when the shapes do not broadcast; {@linkcode ArgumentError} for operands
 *   that are not i32.
 */
export function checkIntOverflow(
  engine: Engine,
  op: OverflowOp,
  a: Tensor,
  b: Tensor,
  options: IntOverflowOptions = {},
): void {
  const caller = options.caller ?? op;
  checkOperand(engine, caller, 'a', a, ['i32']);
  checkOperand(engine, caller, 'b', b, ['i32']);
  checkChoice('checkIntOverflow', op, OVERFLOW_OPS);
  const code = OVERFLOW_OPS[op];
  const shape = broadcastShapes(a.shape, b.shape, caller);
  const n = sizeOf(shape);
  if (n === 0) return;
  const dtype = options.dtype ?? 'int64';
  const { flag, id } = deferCheck(engine, (f) => {
    const exact = exactIntResult(op, f.value, f.aux);
    return new IntegerOverflowError(
      `Cannot run ${caller}: ${dtype} result ${f.value} ${SYMBOLS[op]} ${f.aux} = ${exact} ` +
        `(element ${f.position} of the output ${formatShape(shape)}) does not fit in the 32-bit ` +
        `integers that hold ${dtype} on the GPU (valid: ${I32_MIN}..${I32_MAX})`,
    );
  });
  const record = (
    x: GPUBuffer | BufferRange,
    y: GPUBuffer | BufferRange,
    geometry: Uint32Array<ArrayBuffer>,
    base: number,
  ) =>
    engine.dispatch({
      code: overflowSource,
      label: `nn/binary_overflow.wgsl ${op}`,
      constants: { WG: WORKGROUP_SIZE, OP: code },
      bindings: [
        x,
        y,
        flag,
        engine.constants(`${op}.overflow.geometry`, geometry),
        engine.constants(`${op}.overflow.params`, new Uint32Array([id, base, 0, 0])),
      ],
      workgroups: Math.ceil(geometry[0] / WORKGROUP_SIZE),
    });
  const flat = (a.size === n || a.size === 1) && (b.size === n || b.size === 1);
  if (flat && ![a, b].every((t) => fitsBinding(engine, t.buffer))) {
    // Operands past the binding limit: consecutive element blocks, as `binary` records them
    // (block starts are multiples of the offset alignment, so each range starts at its block).
    const alignment = engine.bindingAlignment / 4;
    const step = Math.floor(engine.maxBindingBytes / 4 / alignment) * alignment;
    for (let start = 0; start < n; start += step) {
      const end = Math.min(n, start + step);
      const bind = (t: Tensor) =>
        t.size === 1 ? t.buffer : elementRange(engine, t.buffer, start, end).range;
      const len = end - start;
      const geometry = a.size === b.size
        ? new Uint32Array([len, 0])
        : new Uint32Array([len, 1, len, a.size === 1 ? 0 : 1, b.size === 1 ? 0 : 1]);
      record(bind(a), bind(b), geometry, start);
    }
    return;
  }
  const rank = shape.length;
  const geometry = a.size === n && b.size === n ? new Uint32Array([n, 0]) : new Uint32Array([
    n,
    rank,
    ...shape,
    ...broadcastStrides(a.shape, rank),
    ...broadcastStrides(b.shape, rank),
  ]);
  record(a.buffer, b.buffer, geometry, 0);
}
