/**
 * Inputs for a fuzz case, generated from the shapes a model declares and a recipe (random values,
 * NaN/±Inf, out-of-range token ids, values that overflow 32 bits), seeded so that a case
 * reproduces. The same values are fed to glassbox and to onnxruntime-web, converted to each
 * one's typed arrays.
 *
 * @module
 */

import { mulberry32 } from '../random.ts';

/** How to fill the inputs of a case. Every field is optional; `{}` is random data. */
export interface InputRecipe {
  /** Float inputs: `random` in [-1, 1), `nan` (random with NaN, +Inf and −Inf sprinkled), `zeros`. */
  fill?: 'random' | 'nan' | 'zeros';
  /** Integer inputs: every fifth element (the first included) is this value, e.g. a token id. */
  id?: number;
  /** Integer inputs: every element is this value. */
  int?: number;
  /** Upper bound (exclusive) of random integers; default 10 (valid ids for any vocabulary). */
  intHigh?: number;
  /** The size given to symbolic or unset dimensions; default 1. */
  batch?: number;
  /** Inputs filled with one value, by name (e.g. an `If` condition). */
  values?: Record<string, number>;
}

/** A declared graph input, as read from the model. */
export interface InputDecl {
  name: string;
  /** Element type name (`float32`, `int64`, ...). */
  dtype: string;
  /** Dimensions: sizes, symbolic names, or null for unknown; null for no shape at all. */
  shape: (number | string | null)[] | null;
}

/** One generated input: its values as numbers (integers for integer types, 0/1 for bool). */
export interface GeneratedInput {
  name: string;
  dtype: string;
  shape: number[];
  values: Float64Array;
}

/** Raised when inputs cannot be generated (too large, or a type the harness cannot feed). */
export class InputLimitError extends Error {}

/** The most elements the harness generates for one input. */
export const MAX_INPUT_ELEMENTS = 1 << 24;

const FLOATS = new Set(['float32', 'float16', 'float64', 'bfloat16']);
const INTS = new Set([
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
]);

function nameSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Generates every input of `decls` from `recipe`, seeded by `seed`. */
export function generateInputs(
  decls: readonly InputDecl[],
  recipe: InputRecipe,
  seed: number,
): GeneratedInput[] {
  return decls.map((d) => {
    if (!FLOATS.has(d.dtype) && !INTS.has(d.dtype)) {
      throw new InputLimitError(
        `input '${d.name}' has type ${d.dtype}, which the harness cannot feed`,
      );
    }
    const shape = (d.shape ?? []).map((x) =>
      typeof x === 'number' && x > 0 ? x : recipe.batch ?? 1
    );
    const n = shape.reduce((a, b) => a * b, 1);
    if (!(n <= MAX_INPUT_ELEMENTS)) {
      throw new InputLimitError(`input '${d.name}' [${shape}] has more than 2^24 elements`);
    }
    const next = mulberry32(nameSeed(seed, d.name));
    const values = new Float64Array(n);
    const fixed = recipe.values?.[d.name];
    if (fixed !== undefined) {
      values.fill(fixed);
    } else if (FLOATS.has(d.dtype)) {
      for (let i = 0; i < n; i++) {
        values[i] = recipe.fill === 'zeros' ? 0 : 2 * next() - 1;
        if (recipe.fill === 'nan') {
          if (i % 7 === 3) values[i] = NaN;
          else if (i % 11 === 5) values[i] = Infinity;
          else if (i % 13 === 6) values[i] = -Infinity;
        }
      }
    } else if (d.dtype === 'bool') {
      for (let i = 0; i < n; i++) values[i] = next() < 0.5 ? 0 : 1;
    } else {
      const high = recipe.intHigh ?? 10;
      for (let i = 0; i < n; i++) {
        values[i] = recipe.int ??
          (recipe.id !== undefined && i % 5 === 0 ? recipe.id : Math.floor(next() * high));
      }
    }
    // Both engines must see the same numbers: glassbox takes float16 inputs as f32 data.
    if (d.dtype === 'float16') {
      for (let i = 0; i < n; i++) values[i] = float16Value(float16Bits(values[i]));
    }
    return { name: d.name, dtype: d.dtype, shape, values };
  });
}

/** Describes a recipe in a few words (for reports). */
export function describeRecipe(recipe: InputRecipe): string {
  const parts = Object.entries(recipe).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length > 0 ? parts.join(' ') : 'random';
}

/** The float16 bit pattern of `x` (round to nearest even; enough for test inputs). */
export function float16Bits(x: number): number {
  const f = new Float32Array([x]);
  const b = new Uint32Array(f.buffer)[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - e + 13);
    return sign | m;
  }
  const m = mant >>> 13;
  const rest = mant & 0x1fff;
  const rounded = (e << 10 | m) + (rest > 0x1000 || (rest === 0x1000 && (m & 1)) ? 1 : 0);
  return sign | rounded;
}

/** The value of a float16 bit pattern. */
export function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
