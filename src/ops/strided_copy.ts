/**
 * The general strided copy (`shaders/nn/strided_copy.wgsl`) that slice, expand, split and
 * concat record: every element of a copy shape goes from an affine view of one buffer to an
 * affine view of another. Works for f32 and i32 data, bit for bit.
 *
 * @module
 */

import stridedCopySource from '../../shaders/nn/strided_copy.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, LimitExceededError, ShapeError } from '../gpu/errors.ts';
import { formatShape, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Two affine views of one copy: element `c` of `shape` goes from source to destination. */
export interface CopyView {
  /** Shape of the region copied (the coordinates `c`). */
  shape: readonly number[];
  /** Source offset (in elements) of coordinate 0. Default 0. */
  srcBase?: number;
  /** Source stride per axis (may be 0 or negative). Default: row-major strides of `shape`. */
  srcStrides?: readonly number[];
  /** Destination offset of coordinate 0. Default 0. */
  dstBase?: number;
  /** Destination stride per axis. Default: row-major strides of `shape`. */
  dstStrides?: readonly number[];
}

/** The lowest and highest offset an affine view reaches (shape must not be empty). */
function extent(base: number, shape: readonly number[], strides: readonly number[]) {
  let lo = base;
  let hi = base;
  for (let d = 0; d < shape.length; d++) {
    const reach = (shape[d] - 1) * strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  return { lo, hi };
}

/**
 * Records one strided copy from `src` into `dst` (two tensors of one dtype, f32 or i32); the
 * rest of `dst` is left as it was. Nothing is recorded for an empty shape.
 *
 * @throws {ShapeError} when a view reaches outside its tensor; {@linkcode ArgumentError} when
 *   the dtypes differ.
 */
export function stridedCopy(
  engine: Engine,
  src: Tensor,
  dst: Tensor,
  view: CopyView,
  label: string,
): void {
  checkOperand(engine, label, 'source', src, ['f32', 'i32']);
  checkOperand(engine, label, 'destination', dst, ['f32', 'i32']);
  if (src.dtype !== dst.dtype) {
    throw new ArgumentError(
      `Cannot record ${label}: source is ${src.dtype} but destination is ${dst.dtype}`,
    );
  }
  const n = sizeOf(view.shape);
  if (n === 0) return;
  const rank = view.shape.length;
  const contiguous = stridesOf(view.shape);
  const srcBase = view.srcBase ?? 0;
  const dstBase = view.dstBase ?? 0;
  const srcStrides = view.srcStrides ?? contiguous;
  const dstStrides = view.dstStrides ?? contiguous;
  const s = extent(srcBase, view.shape, srcStrides);
  const d = extent(dstBase, view.shape, dstStrides);
  if (s.lo < 0 || s.hi >= src.size || d.lo < 0 || d.hi >= dst.size) {
    throw new ShapeError(
      `Cannot record ${label}: the copy of ${formatShape(view.shape)} reaches source offsets ` +
        `${s.lo}..${s.hi} of ${src.size} and destination offsets ${d.lo}..${d.hi} of ${dst.size}`,
    );
  }
  if (Math.max(Math.abs(s.lo), s.hi, d.hi, n) > 0x7fffffff) {
    throw new LimitExceededError(`Cannot record ${label}: offsets exceed the i32 range`);
  }
  const geometry = new Int32Array([
    n,
    rank,
    srcBase,
    dstBase,
    ...view.shape,
    ...srcStrides,
    ...dstStrides,
  ]);
  engine.dispatch({
    code: stridedCopySource,
    label: `nn/strided_copy.wgsl ${label}`,
    constants: { WG: WORKGROUP_SIZE },
    bindings: [src.buffer, dst.buffer, engine.constants(`${label}.geometry`, geometry)],
    workgroups: Math.ceil(n / WORKGROUP_SIZE),
  });
}

/** CPU reference of {@linkcode stridedCopy}: writes into `dst` and returns it. */
export function stridedCopyReference<T extends { [i: number]: number; length: number }>(
  src: ArrayLike<number>,
  dst: T,
  view: CopyView,
): T {
  const shape = view.shape;
  const contiguous = stridesOf(shape);
  const srcStrides = view.srcStrides ?? contiguous;
  const dstStrides = view.dstStrides ?? contiguous;
  const n = sizeOf(shape);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let s = view.srcBase ?? 0;
    let d = view.dstBase ?? 0;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      const c = rest % shape[axis];
      rest = Math.floor(rest / shape[axis]);
      s += c * srcStrides[axis];
      d += c * dstStrides[axis];
    }
    dst[d] = src[s];
  }
  return dst;
}
