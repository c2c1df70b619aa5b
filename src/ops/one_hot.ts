/**
 * ONNX `OneHot` on the GPU (`shaders/nn/one_hot.wgsl`) and its f64 CPU reference.
 *
 * @module
 */

import oneHotSource from '../../shaders/nn/one_hot.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { type DType, empty, formatShape, normalizeAxis, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Options for {@linkcode oneHot}. */
export interface OneHotOptions {
  /** Number of classes (the length of the new axis), ≥ 1. */
  depth: number;
  /**
   * Where the new axis goes in the output (negative counts from the end of the output's
   * rank). Default −1 (last).
   */
  axis?: number;
  /**
   * `[off, on]`: numbers (then the output is `dtype`), or a two-element tensor whose dtype the
   * output takes (a model's runtime `values`). Default `[0, 1]`.
   */
  values?: readonly [number, number] | Tensor;
  /** Output dtype when `values` are numbers; default f32. */
  dtype?: DType;
  /** Label of the output buffer. */
  label?: string;
}

/** The output shape of {@linkcode oneHot} and the position of the new axis. */
export function oneHotShape(
  indicesShape: readonly number[],
  depth: number,
  axis = -1,
): { shape: number[]; axis: number } {
  if (!Number.isInteger(depth) || depth < 1) {
    throw new ArgumentError(`Cannot run oneHot: depth must be a positive integer, got ${depth}`);
  }
  const a = normalizeAxis(axis, indicesShape.length + 1, 'run oneHot');
  return { shape: [...indicesShape.slice(0, a), depth, ...indicesShape.slice(a)], axis: a };
}

/**
 * ONNX `OneHot`: a new axis of length `depth` at `axis`, holding `on` where it equals the index
 * (negative indices count from the end; float indices truncate) and `off` elsewhere; an index
 * out of range gives a row of `off`. `indices` is i32 or f32.
 *
 * @throws {ArgumentError} for a bad depth, axis or values.
 */
export function oneHot(engine: Engine, indices: Tensor, options: OneHotOptions): Tensor {
  checkOperand(engine, 'oneHot', 'indices', indices, ['i32', 'f32']);
  const { shape, axis } = oneHotShape(indices.shape, options.depth, options.axis);
  let values: GPUBuffer;
  let dtype: DType;
  const given = options.values ?? [0, 1];
  if ('buffer' in given) {
    checkOperand(engine, 'oneHot', 'values', given, ['f32', 'i32']);
    if (given.size !== 2) {
      throw new ArgumentError(
        `Cannot run oneHot: values must hold two elements [off, on], got ${
          formatShape(given.shape)
        }`,
      );
    }
    values = given.buffer;
    dtype = given.dtype;
  } else {
    dtype = options.dtype ?? 'f32';
    const pair = given as readonly number[];
    values = engine.constants(
      'oneHot.values',
      dtype === 'f32' ? new Float32Array(pair) : new Int32Array(pair),
    );
  }
  const out = empty(engine, shape, { dtype, label: options.label ?? 'oneHot.out' });
  if (out.size === 0) return out;
  const inner = sizeOf(indices.shape.slice(axis));
  engine.dispatch({
    code: oneHotSource,
    label: 'nn/one_hot.wgsl',
    constants: { WG: WORKGROUP_SIZE, FLOAT_INDICES: indices.dtype === 'f32' ? 1 : 0 },
    bindings: [
      indices.buffer,
      values,
      out.buffer,
      engine.constants('oneHot.params', new Uint32Array([out.size, options.depth, inner, 0])),
    ],
    workgroups: Math.ceil(out.size / WORKGROUP_SIZE),
  });
  return out;
}

/** f64 CPU reference of {@linkcode oneHot}. */
export function oneHotReference(
  indices: ArrayLike<number>,
  indicesShape: readonly number[],
  options: { depth: number; axis?: number; values?: readonly [number, number] },
): { data: Float64Array; shape: number[] } {
  const { shape, axis } = oneHotShape(indicesShape, options.depth, options.axis);
  const [off, on] = options.values ?? [0, 1];
  const inner = sizeOf(indicesShape.slice(axis));
  const depth = options.depth;
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const k = i % inner;
    const d = Math.floor(i / inner) % depth;
    const o = Math.floor(i / (inner * depth));
    let index = Math.trunc(indices[o * inner + k]);
    if (index < 0) index += depth;
    data[i] = index === d ? on : off;
  }
  return { data, shape };
}
