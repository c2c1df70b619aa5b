/**
 * Checks and helpers shared by the operators.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { formatShape, type Tensor } from '../tensor.ts';

/** Default workgroup size of the elementwise and row kernels. */
export const WORKGROUP_SIZE = 64;

/**
 * Validates an operand: it belongs to `engine`, is alive, and (unless `dtypes` says otherwise)
 * is f32. Throws with the operator's name and the operand's description.
 */
export function checkOperand(
  engine: Engine,
  op: string,
  name: string,
  t: Tensor,
  dtypes: readonly string[] = ['f32'],
): void {
  if (t === null || typeof t !== 'object' || !('shape' in t) || !('dtype' in t)) {
    throw new ArgumentError(`Cannot run ${op}: ${name} must be a Tensor, got ${t}`);
  }
  if (t.engine !== engine) {
    throw new ArgumentError(`Cannot run ${op}: ${name} belongs to another engine`);
  }
  if (t.isDestroyed) {
    throw new ArgumentError(
      `Cannot run ${op}: ${name} ${formatShape(t.shape)} was destroyed`,
    );
  }
  if (!dtypes.includes(t.dtype)) {
    throw new ArgumentError(
      `Cannot run ${op}: ${name} must be ${dtypes.join(' or ')}, current dtype is ${t.dtype}`,
    );
  }
  engine.assertAlive(`run ${op}`);
}

/** Throws {@linkcode ArgumentError} unless `op` is a key of `table`. */
export function checkChoice<K extends string>(
  what: string,
  op: string,
  table: Readonly<Record<K, unknown>>,
): asserts op is K {
  if (typeof op !== 'string' || !Object.hasOwn(table, op)) {
    throw new ArgumentError(
      `Cannot run ${what}: unknown op '${op}' (supported: ${Object.keys(table).join(', ')})`,
    );
  }
}

/**
 * The shape two operands broadcast to, by numpy's rule: align trailing axes; each pair must be
 * equal or contain a 1.
 *
 * @throws {ShapeError} naming both shapes and the axis that disagrees.
 */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `Cannot run ${op}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast ` +
          `(axis ${i - rank}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides of `shape` as seen from a broadcast output of rank `rank`: leading missing axes and
 * axes of size 1 get stride 0.
 */
export function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    strides[axis] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}
