/**
 * ONNX `Where` on the GPU (`shaders/nn/where.wgsl`): elementwise selection between two tensors by
 * a condition, all three broadcast by numpy's rule; and its CPU reference.
 *
 * @module
 */

import whereSource from '../../shaders/nn/where.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, type Tensor } from '../tensor.ts';
import { broadcastShapes, broadcastStrides, checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Options for {@linkcode where}. */
export interface WhereOptions {
  /** Label of the output buffer. */
  label?: string;
}

/**
 * The shape `condition`, `x` and `y` broadcast to together (numpy's rule over all three).
 *
 * @throws {ShapeError} naming all three shapes when they do not broadcast.
 */
export function whereOutputShape(
  conditionShape: readonly number[],
  xShape: readonly number[],
  yShape: readonly number[],
): number[] {
  try {
    return broadcastShapes(broadcastShapes(conditionShape, xShape, 'where'), yShape, 'where');
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new ShapeError(
      `Cannot run where: condition ${formatShape(conditionShape)}, x ${formatShape(xShape)} and ` +
        `y ${formatShape(yShape)} do not broadcast together`,
      { cause: error },
    );
  }
}

/**
 * ONNX `Where`: `condition ? x : y` elementwise, the three broadcast together. `condition` is i32
 * (ONNX bool; any non-zero counts as true); `x` and `y` are both f32 or both i32, and the result
 * has their dtype.
 *
 * @example
 * ```ts ignore
 * using masked = where(engine, mask, scores, minusInfinity);
 * ```
 * @throws {ShapeError} when the shapes do not broadcast; {@linkcode ArgumentError} for an f32
 *   condition or mixed x/y dtypes.
 */
export function where(
  engine: Engine,
  condition: Tensor,
  x: Tensor,
  y: Tensor,
  options: WhereOptions = {},
): Tensor {
  checkOperand(engine, 'where', 'condition', condition, ['i32']);
  checkOperand(engine, 'where', 'x', x, ['f32', 'i32']);
  checkOperand(engine, 'where', 'y', y, ['f32', 'i32']);
  if (x.dtype !== y.dtype) {
    throw new ArgumentError(
      `Cannot run where: x ${formatShape(x.shape)} is ${x.dtype} but y ${formatShape(y.shape)} ` +
        `is ${y.dtype}; both must have one dtype`,
    );
  }
  const shape = whereOutputShape(condition.shape, x.shape, y.shape);
  const n = sizeOf(shape);
  const out = empty(engine, shape, { dtype: x.dtype, label: options.label ?? 'where.out' });
  if (n === 0) return out;
  const rank = shape.length;
  const geometry = new Uint32Array([
    n,
    rank,
    ...shape,
    ...broadcastStrides(condition.shape, rank),
    ...broadcastStrides(x.shape, rank),
    ...broadcastStrides(y.shape, rank),
  ]);
  engine.dispatch({
    code: whereSource,
    label: 'nn/where.wgsl',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      condition.buffer,
      x.buffer,
      y.buffer,
      out.buffer,
      engine.constants('where.geometry', geometry),
    ],
    workgroups: Math.ceil(n / WORKGROUP_SIZE),
  });
  return out;
}

/** CPU reference of {@linkcode where}: walks the output coordinates. */
export function whereReference(
  condition: ArrayLike<number>,
  conditionShape: readonly number[],
  x: ArrayLike<number>,
  xShape: readonly number[],
  y: ArrayLike<number>,
  yShape: readonly number[],
): { data: number[]; shape: number[] } {
  const shape = whereOutputShape(conditionShape, xShape, yShape);
  const rank = shape.length;
  const index = (i: number, s: readonly number[]) => {
    // The element of an operand of shape `s` that output element i reads.
    let rest = i;
    let at = 0;
    let stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      const sd = d - (rank - s.length);
      if (sd < 0) break;
      if (s[sd] !== 1) at += c * stride;
      stride *= s[sd];
    }
    return at;
  };
  const n = sizeOf(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    data[i] = condition[index(i, conditionShape)] !== 0 ? x[index(i, xShape)] : y[index(i, yShape)];
  }
  return { data, shape };
}
