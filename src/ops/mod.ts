/**
 * ONNX `Mod` on the GPU (`shaders/nn/mod.wgsl`): the remainder of truncated division (C's fmod,
 * sign of the dividend) or of floored division (Python's %, sign of the divisor), with numpy
 * broadcasting, on f32 (exact) or i32; and its f64 CPU reference.
 *
 * @module
 */

import modSource from '../../shaders/nn/mod.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { type DType, empty, sizeOf, type Tensor } from '../tensor.ts';
import { checkSameDtype } from './binary.ts';
import { broadcastShapes, broadcastStrides, WORKGROUP_SIZE } from './common.ts';
import { broadcastReference } from './binary.ts';

/** Options for {@linkcode mod}. */
export interface ModOptions {
  /**
   * true: C's fmod, the result has the dividend's sign (ONNX `fmod = 1`); false (default):
   * floored, the result has the divisor's sign (ONNX `fmod = 0`, Python's %, numpy.mod).
   */
  fmod?: boolean;
  /** Label of the output buffer. */
  label?: string;
}

/**
 * `a mod b`, broadcast by numpy's rule; a new tensor of the broadcast shape and the operands'
 * dtype (both f32 or both i32).
 *
 * f32: the truncated remainder is exact (long division of the significands); fmod(±inf, b),
 * fmod(a, 0) and NaN give NaN, fmod(a, ±inf) = a. The floored rule adds b to a remainder of the
 * other sign (one rounding, as numpy) and gives zero the divisor's sign. i32: exact, with
 * `x mod 0 = 0` (numpy's; ONNX leaves it undefined).
 *
 * @example
 * ```ts ignore
 * using r = mod(engine, a, b, { fmod: true });
 * ```
 * @throws {ShapeError} when the shapes do not broadcast; {@linkcode ArgumentError} for dtypes
 *   that differ or other operand problems.
 */
export function mod(engine: Engine, a: Tensor, b: Tensor, options: ModOptions = {}): Tensor {
  const op = options.fmod ? 'fmod' : 'mod';
  const dtype = checkSameDtype(engine, op, a, b);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const n = sizeOf(shape);
  const y = empty(engine, shape, { dtype, label: options.label ?? `${op}.out` });
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
    code: modSource,
    label: `nn/mod.wgsl ${op}`,
    constants: {
      WG: WORKGROUP_SIZE,
      INT: dtype === 'i32' ? 1 : 0,
      FLOOR: options.fmod ? 0 : 1,
      BROADCAST: same ? 0 : 1,
    },
    bindings: [a.buffer, b.buffer, y.buffer, engine.constants(`${op}.geometry`, geometry)],
    workgroups: Math.ceil(n / WORKGROUP_SIZE),
  });
  return y;
}

/**
 * The remainder of `a / b` in f64: truncated (`fmod`, JavaScript's %, exact) or floored. With
 * `integer`, `x mod 0 = 0`, as the GPU's i32 path.
 */
export function modScalar(a: number, b: number, fmod: boolean, integer = false): number {
  if (integer && b === 0) return 0;
  const r = a % b;
  if (fmod || Number.isNaN(r)) return r;
  if (r === 0) return b < 0 || Object.is(b, -0) ? -0 : 0;
  return (r < 0) !== (b < 0) ? r + b : r;
}

/**
 * f64 CPU reference of {@linkcode mod}: the data and the broadcast shape. For f32 operands the
 * truncated remainder is exact (hence equal to the GPU's); the floored one rounds its final
 * addition in f64 instead of f32.
 */
export function modReference(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  options: { fmod?: boolean; dtype?: DType } = {},
): { data: Float64Array; shape: number[] } {
  const integer = options.dtype === 'i32';
  return broadcastReference(
    (u, v) => modScalar(u, v, options.fmod ?? false, integer),
    a,
    aShape,
    b,
    bShape,
    options.fmod ? 'fmod' : 'mod',
  );
}
