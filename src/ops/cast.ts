/**
 * ONNX `Cast` between the GPU's two dtypes (`shaders/nn/cast.wgsl`), with `bool` (i32 0/1) as a
 * target; and its CPU reference.
 *
 * @module
 */

import castSource from '../../shaders/nn/cast.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { type DType, empty, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/**
 * What {@linkcode cast} converts to: a dtype, or `bool`, which is i32 holding 0/1 (ONNX bool on
 * the GPU).
 */
export type CastTarget = DType | 'bool';

/** Options for {@linkcode cast}. */
export interface CastOptions {
  /** Label of the output buffer. */
  label?: string;
}

const I32_MAX = 2147483647;
const I32_MIN = -2147483648;

function mode(from: DType, to: CastTarget): number {
  if (to === 'bool') return from === 'f32' ? 3 : 4;
  if (from === to) return 0;
  return from === 'f32' ? 1 : 2;
}

/**
 * ONNX `Cast` from f32 or i32 to `f32`, `i32` or `bool` (i32 0/1); returns a new tensor.
 * f32→i32 truncates toward zero (as C does), saturates values beyond the i32 range to its
 * min/max and maps NaN to 0 — C leaves those undefined; this is the documented choice.
 * i32→f32 rounds magnitudes above 2²⁴ to a neighbouring f32. To bool: non-zero (and NaN) is 1.
 * A same-dtype cast is a copy.
 *
 * @example
 * ```ts ignore
 * using ids = cast(engine, floats, 'i32');
 * ```
 * @throws {ArgumentError} for an unknown target.
 */
export function cast(
  engine: Engine,
  x: Tensor,
  dtype: CastTarget,
  options: CastOptions = {},
): Tensor {
  checkOperand(engine, 'cast', 'x', x, ['f32', 'i32']);
  if (dtype !== 'f32' && dtype !== 'i32' && dtype !== 'bool') {
    throw new ArgumentError(
      `Cannot run cast of ${x}: target must be 'f32', 'i32' or 'bool', got '${dtype}'`,
    );
  }
  const out = dtype === 'bool' ? 'i32' : dtype;
  const y = empty(engine, x.shape, { dtype: out, label: options.label ?? `cast.${dtype}` });
  if (y.size === 0) return y;
  const m = mode(x.dtype, dtype);
  engine.dispatch({
    code: castSource,
    label: `nn/cast.wgsl ${x.dtype}→${dtype}`,
    constants: { WG: WORKGROUP_SIZE, MODE: m },
    bindings: [x.buffer, y.buffer, engine.constants('cast.params', new Uint32Array([x.size]))],
    workgroups: Math.ceil(y.size / WORKGROUP_SIZE),
  });
  return y;
}

/**
 * CPU reference of {@linkcode cast}: the exact values the GPU must produce (i32→f32 rounds to
 * nearest here; the GPU may pick the other neighbour above 2²⁴).
 */
export function castReference(x: ArrayLike<number>, from: DType, to: CastTarget): number[] {
  const out = new Array<number>(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (to === 'bool') out[i] = v !== 0 ? 1 : 0; // NaN !== 0
    else if (to === 'f32') out[i] = Math.fround(v);
    else if (from === 'i32') out[i] = v;
    else if (Number.isNaN(v)) out[i] = 0;
    else out[i] = Math.min(Math.max(Math.trunc(v), I32_MIN), I32_MAX);
  }
  return out;
}
