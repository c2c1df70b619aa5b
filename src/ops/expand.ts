/**
 * ONNX `Expand` on the GPU (one strided copy with stride 0 on broadcast axes,
 * `shaders/nn/strided_copy.wgsl`) and its CPU reference.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { empty, sizeOf, stridesOf, type Tensor, validateShape } from '../tensor.ts';
import { broadcastShapes, broadcastStrides, checkOperand } from './common.ts';
import { stridedCopy } from './strided_copy.ts';

/** Options for {@linkcode expand}. */
export interface ExpandOptions {
  /** Label of the output buffer. */
  label?: string;
}

/**
 * The output shape of {@linkcode expand}: the numpy broadcast of `xShape` and `shape` (ONNX's
 * Expand broadcasts both ways, so a 1 in `shape` keeps x's dimension and the result's rank is
 * the larger one).
 *
 * @throws {ShapeError} when `shape` is not a list of non-negative integers or the two do not
 *   broadcast.
 */
export function expandOutputShape(
  xShape: readonly number[],
  shape: readonly number[],
): number[] {
  validateShape(shape, 'run expand');
  return broadcastShapes(xShape, shape, 'expand');
}

/**
 * ONNX `Expand`: broadcasts `x` (f32 or i32) to the broadcast of its shape with `shape`; returns
 * a new contiguous tensor of `x`'s dtype.
 *
 * @example
 * ```ts ignore
 * using rows = expand(engine, bias, [batch, 1]); // bias [n] → [batch, n]
 * ```
 * @throws {ShapeError} when the shapes do not broadcast, naming both.
 */
export function expand(
  engine: Engine,
  x: Tensor,
  shape: readonly number[],
  options: ExpandOptions = {},
): Tensor {
  checkOperand(engine, 'expand', 'x', x, ['f32', 'i32']);
  const out = expandOutputShape(x.shape, shape);
  const y = empty(engine, out, { dtype: x.dtype, label: options.label ?? 'expand.out' });
  stridedCopy(
    engine,
    x,
    y,
    { shape: out, srcStrides: broadcastStrides(x.shape, out.length) },
    'expand',
  );
  return y;
}

/** CPU reference of {@linkcode expand}: walks the output coordinates. */
export function expandReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  shape: readonly number[],
): { data: number[]; shape: number[] } {
  const out = expandOutputShape(xShape, shape);
  const rank = out.length;
  const xStrides = stridesOf(xShape);
  const n = sizeOf(out);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let src = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % out[d];
      rest = Math.floor(rest / out[d]);
      const xd = d - (rank - xShape.length);
      if (xd >= 0 && xShape[xd] !== 1) src += c * xStrides[xd];
    }
    data[i] = x[src];
  }
  return { data, shape: out };
}
