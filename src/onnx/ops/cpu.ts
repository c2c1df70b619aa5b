/**
 * CPU helpers for folding: broadcasting elementwise evaluation and index arithmetic over
 * {@linkcode CpuTensor}s. Used at plan time on small tensors (shapes, indices, constants).
 *
 * @module
 */

import { type CpuTensor, cpuTensor, elementCount, type ElementType } from '../../graph/ir.ts';
import { broadcastShapes, broadcastStrides } from '../../ops/common.ts';
import { roundBfloat16, roundFloat16 } from '../../ops/round_float.ts';
import { stridesOf } from '../../tensor.ts';

/**
 * Rounds a value to what `dtype` can hold (integers truncate, bools are 0/1, floats round to
 * nearest even: f32, float16, bfloat16).
 */
export function castValue(v: number, dtype: ElementType): number {
  switch (dtype) {
    case 'float32':
      return Math.fround(v);
    case 'float16':
      return roundFloat16(v);
    case 'bfloat16':
      return roundBfloat16(v);
    case 'float64':
      return v;
    case 'bool':
      return v !== 0 && !Number.isNaN(v) ? 1 : 0;
    default:
      return Number.isFinite(v) ? Math.trunc(v) : 0;
  }
}

/** Applies `f` elementwise with numpy broadcasting; results are cast to `dtype`. */
export function broadcastMap(
  inputs: CpuTensor[],
  dtype: ElementType,
  f: (...values: number[]) => number,
  op = 'elementwise',
): CpuTensor {
  let shape: number[] = [];
  for (const t of inputs) shape = broadcastShapes(shape, t.shape, op);
  const rank = shape.length;
  const strides = inputs.map((t) => broadcastStrides(t.shape, rank));
  const n = elementCount(shape);
  const out = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    let rest = i;
    const offsets = new Array<number>(inputs.length).fill(0);
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      for (let k = 0; k < inputs.length; k++) offsets[k] += c * strides[k][d];
    }
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k].data[offsets[k]];
    out[i] = castValue(f(...args), dtype);
  }
  return cpuTensor(dtype, shape, out);
}

/** Copies the elements of `t` at the output coordinates mapped by `source` (gather-style). */
export function remap(
  t: CpuTensor,
  shape: number[],
  source: (coords: number[]) => number,
): CpuTensor {
  const n = elementCount(shape);
  const out = new Float64Array(n);
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let rest = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      coords[d] = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
    }
    out[i] = t.data[source(coords)];
  }
  return cpuTensor(t.dtype, shape, out);
}

/** The flat offset of `coords` in a row-major tensor of `shape`. */
export function offsetOf(coords: readonly number[], shape: readonly number[]): number {
  const strides = stridesOf(shape);
  let o = 0;
  for (let d = 0; d < shape.length; d++) o += coords[d] * strides[d];
  return o;
}

/** Resolves a possibly negative axis against `rank` (no validation). */
export function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/**
 * Concatenates tensors along `axis` (their other dimensions agree; the caller checks). The result
 * has the first tensor's type.
 */
export function concatCpu(parts: CpuTensor[], axis: number): CpuTensor {
  const shape = [...parts[0].shape];
  shape[axis] = parts.reduce((a, t) => a + t.shape[axis], 0);
  const outer = elementCount(shape.slice(0, axis));
  const inner = elementCount(shape.slice(axis + 1));
  const data = new Float64Array(elementCount(shape));
  let offset = 0;
  for (const p of parts) {
    const len = p.shape[axis] * inner;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < len; k++) {
        data[o * shape[axis] * inner + offset + k] = p.data[o * len + k];
      }
    }
    offset += len;
  }
  return cpuTensor(parts[0].dtype, shape, data);
}
