/**
 * Axis permutation on the GPU (`shaders/nn/transpose.wgsl`) and its CPU reference. Works for
 * f32 and i32 tensors, bit for bit.
 *
 * @module
 */

import transposeSource from '../../shaders/nn/transpose.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { empty, formatShape, stridesOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Options for {@linkcode transpose}. */
export interface TransposeOptions {
  /**
   * Output axis `d` is input axis `perm[d]`. Default: reversed axes (a matrix transpose for
   * rank 2), as numpy and ONNX do.
   */
  perm?: readonly number[];
  /** Label of the output buffer. */
  label?: string;
}

/** Validates `perm` against `rank` (negative axes allowed) and returns it normalized. */
export function normalizePerm(perm: readonly number[] | undefined, rank: number): number[] {
  if (perm === undefined) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const out = perm.map((p) => (Number.isInteger(p) && p < 0 ? p + rank : p));
  const seen = new Set(out);
  if (
    out.length !== rank || seen.size !== rank ||
    out.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)
  ) {
    throw new ArgumentError(
      `Cannot run transpose: perm ${formatShape(perm)} is not a permutation of the ${rank} axes`,
    );
  }
  return out;
}

/** Permutes the axes of `x`; returns a new contiguous tensor of the same dtype. */
export function transpose(engine: Engine, x: Tensor, options: TransposeOptions = {}): Tensor {
  checkOperand(engine, 'transpose', 'x', x, ['f32', 'i32']);
  const perm = normalizePerm(options.perm, x.rank);
  const shape = perm.map((p) => x.shape[p]);
  const y = empty(engine, shape, { dtype: x.dtype, label: options.label ?? 'transpose.out' });
  if (y.size === 0) return y;
  const strides = stridesOf(x.shape);
  const geometry = new Uint32Array([y.size, x.rank, ...shape, ...perm.map((p) => strides[p])]);
  engine.dispatch({
    code: transposeSource,
    label: 'nn/transpose.wgsl',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [x.buffer, y.buffer, engine.constants('transpose.geometry', geometry)],
    workgroups: Math.ceil(y.size / WORKGROUP_SIZE),
  });
  return y;
}

/** CPU reference of {@linkcode transpose}. */
export function transposeReference<T extends ArrayLike<number>>(
  x: T,
  shape: readonly number[],
  perm?: readonly number[],
): { data: number[]; shape: number[] } {
  const p = normalizePerm(perm, shape.length);
  const outShape = p.map((axis) => shape[axis]);
  const strides = stridesOf(shape);
  const n = x.length;
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let src = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      src += (rest % outShape[d]) * strides[p[d]];
      rest = Math.floor(rest / outShape[d]);
    }
    data[i] = x[src];
  }
  return { data, shape: outShape };
}
