/**
 * Rounding to the 16-bit float formats that models ship (`shaders/nn/round_float.wgsl`):
 * IEEE float16 and bfloat16, round-to-nearest-even as onnx's reference and numpy do. The engine
 * keeps every float as f32; `roundFloat` gives ONNX `Cast` to FLOAT16/BFLOAT16 its rounding.
 * Beside it, the CPU side: decoding stored 16-bit patterns (exact upcasts) and rounding
 * numbers (from f64, directly — no double rounding through f32).
 *
 * @module
 */

import roundSource from '../../shaders/nn/round_float.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { empty, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** A 16-bit float format. */
export type HalfFormat = 'float16' | 'bfloat16';

/** Options for {@linkcode roundFloat}. */
export interface RoundFloatOptions {
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Rounds each element of the f32 tensor `x` to the nearest `format` value (ties to even) and
 * returns the values as a new f32 tensor. float16: beyond ±65504 (after rounding) gives ±Inf;
 * NaN and ±Inf pass through.
 *
 * @example
 * ```ts ignore
 * using half = roundFloat(engine, x, 'float16');
 * ```
 * @throws {ArgumentError} for an unknown format or a non-f32 tensor.
 */
export function roundFloat(
  engine: Engine,
  x: Tensor,
  format: HalfFormat,
  options: RoundFloatOptions = {},
): Tensor {
  checkOperand(engine, 'roundFloat', 'x', x);
  if (format !== 'float16' && format !== 'bfloat16') {
    throw new ArgumentError(
      `Cannot run roundFloat of ${x}: format must be 'float16' or 'bfloat16', got '${format}'`,
    );
  }
  const y = empty(engine, x.shape, { label: options.label ?? `round.${format}` });
  if (y.size === 0) return y;
  engine.dispatch({
    code: roundSource,
    label: `nn/round_float.wgsl ${format}`,
    constants: { WG: WORKGROUP_SIZE, MODE: format === 'bfloat16' ? 1 : 0 },
    bindings: [
      x.buffer,
      y.buffer,
      engine.constants('round_float.params', new Uint32Array([x.size])),
    ],
    workgroups: Math.ceil(y.size / WORKGROUP_SIZE),
  });
  return y;
}

/** The value of an IEEE float16 bit pattern (exact). */
export function float16FromBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -24 * frac;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const f32Scratch = new DataView(new ArrayBuffer(4));

/** The value of a bfloat16 bit pattern (exact: the upper half of an f32). */
export function bfloat16FromBits(b: number): number {
  f32Scratch.setUint32(0, (b & 0xffff) << 16 >>> 0);
  return f32Scratch.getFloat32(0);
}

/**
 * Rounds `v` to the nearest number with `bits` significant bits (ties to even), subnormals
 * on the grid 2^`minExponent` (the smallest normal's exponent minus the fraction bits), and
 * ±Inf beyond `maxFinite`.
 */
function roundTo(v: number, bits: number, minExponent: number, maxFinite: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const a = Math.abs(v);
  // The exponent of the leading bit, from the f64 itself (Math.log2 can be off by one).
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const ulpExponent = Math.max(e - (bits - 1), minExponent);
  const scaled = a / 2 ** ulpExponent; // exact: a power-of-two scaling
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  const kept = rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  const r = kept * 2 ** ulpExponent;
  return Math.sign(v) * (r > maxFinite ? Infinity : r);
}

/** CPU reference: `v` rounded to the nearest float16 value (ties to even; ±Inf beyond 65504). */
export function roundFloat16(v: number): number {
  return roundTo(v, 11, -24, 65504);
}

/** CPU reference: `v` rounded to the nearest bfloat16 value (ties to even). */
export function roundBfloat16(v: number): number {
  return roundTo(v, 8, -133, (2 - 2 ** -7) * 2 ** 127);
}

/** CPU reference of {@linkcode roundFloat}. */
export function roundFloatReference(x: ArrayLike<number>, format: HalfFormat): number[] {
  const f = format === 'float16' ? roundFloat16 : roundBfloat16;
  return Array.from(x, (v) => f(v));
}

/** The IEEE float16 bit pattern of `v` rounded to float16 (ties to even). */
export function float16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const r = roundFloat16(v);
  const sign = r < 0 || Object.is(r, -0) ? 0x8000 : 0;
  const a = Math.abs(r);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | (a / 2 ** -24); // subnormal: multiples of 2^-24
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | ((a / 2 ** e - 1) * 1024);
}

/** The bfloat16 bit pattern of `v` rounded to bfloat16 (ties to even). */
export function bfloat16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7fc0;
  f32Scratch.setFloat32(0, roundBfloat16(v));
  return f32Scratch.getUint32(0) >>> 16;
}
