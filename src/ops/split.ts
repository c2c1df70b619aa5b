/**
 * ONNX `Split` on the GPU (one strided copy per output, `shaders/nn/strided_copy.wgsl`) and its
 * CPU reference.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { checkOperand } from './common.ts';
import { stridedCopy } from './strided_copy.ts';

/** Options for {@linkcode split} and {@linkcode splitOutputShapes}. */
export interface SplitOptions {
  /** Axis to split along (negative counts from the end). Default 0. */
  axis?: number;
  /** Length of each part along `axis`; they must sum to the axis length. */
  sizes?: readonly number[];
  /**
   * Number of parts when `sizes` is absent: parts of `ceil(len / numOutputs)`, the last one
   * smaller when the length does not divide (ONNX opset 18's `num_outputs`).
   */
  numOutputs?: number;
  /** Label prefix of the output buffers (`${label}.${i}`). */
  label?: string;
}

/**
 * The lengths of the parts along the split axis.
 *
 * @throws {ArgumentError} when neither or both of `sizes` and `numOutputs` are given, sizes are
 *   negative or do not sum to the axis length, or `numOutputs` cannot split the axis.
 */
export function splitSizes(
  shape: readonly number[],
  options: Omit<SplitOptions, 'label'>,
): number[] {
  const what = `run split on ${formatShape(shape)}`;
  if (shape.length === 0) throw new ArgumentError(`Cannot ${what}: x must have rank >= 1`);
  const axis = normalizeAxis(options.axis ?? 0, shape.length, what);
  const len = shape[axis];
  const { sizes, numOutputs } = options;
  if ((sizes === undefined) === (numOutputs === undefined)) {
    throw new ArgumentError(`Cannot ${what}: give either sizes or numOutputs (exactly one)`);
  }
  if (sizes !== undefined) {
    if (
      !Array.isArray(sizes) || sizes.length === 0 ||
      sizes.some((s) => !Number.isInteger(s) || s < 0)
    ) {
      throw new ArgumentError(
        `Cannot ${what}: sizes must be a non-empty list of non-negative integers, got ` +
          `${Array.isArray(sizes) ? formatShape(sizes) : sizes}`,
      );
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== len) {
      throw new ArgumentError(
        `Cannot ${what}: sizes ${formatShape(sizes)} sum to ${total}, but axis ${axis} has ` +
          `length ${len}`,
      );
    }
    return [...sizes];
  }
  const n = numOutputs as number;
  if (!Number.isInteger(n) || n < 1) {
    throw new ArgumentError(`Cannot ${what}: numOutputs must be a positive integer, got ${n}`);
  }
  const part = Math.ceil(len / n);
  const last = len - part * (n - 1);
  if (last < 0) {
    throw new ArgumentError(
      `Cannot ${what}: axis ${axis} of length ${len} cannot be split into ${n} parts of ` +
        `${part} with a smaller last one`,
    );
  }
  return Array.from({ length: n }, (_, i) => (i < n - 1 ? part : last));
}

/** The output shapes of {@linkcode split} (ONNX shape inference). */
export function splitOutputShapes(
  shape: readonly number[],
  options: Omit<SplitOptions, 'label'>,
): number[][] {
  const sizes = splitSizes(shape, options);
  const axis = normalizeAxis(options.axis ?? 0, shape.length, `run split on ${formatShape(shape)}`);
  return sizes.map((s) => shape.map((d, i) => (i === axis ? s : d)));
}

/**
 * ONNX `Split`: cuts `x` (f32 or i32) along `axis` into parts of `sizes` (or `numOutputs`
 * near-equal parts). Returns new tensors, which the caller owns; parts may be empty.
 *
 * @example
 * ```ts ignore
 * const [q, k, v] = split(engine, qkv, { axis: -1, numOutputs: 3 });
 * ```
 * @throws {ArgumentError} for bad sizes or axis (see {@linkcode splitSizes}).
 */
export function split(engine: Engine, x: Tensor, options: SplitOptions): Tensor[] {
  checkOperand(engine, 'split', 'x', x, ['f32', 'i32']);
  const shapes = splitOutputShapes(x.shape, options);
  const axis = normalizeAxis(options.axis ?? 0, x.rank, 'run split');
  const strides = stridesOf(x.shape);
  const label = options.label ?? 'split.out';
  let offset = 0;
  return shapes.map((shape, i) => {
    const y = empty(engine, shape, { dtype: x.dtype, label: `${label}.${i}` });
    stridedCopy(engine, x, y, {
      shape,
      srcBase: offset * strides[axis],
      srcStrides: strides,
    }, `split output ${i}`);
    offset += shape[axis];
    return y;
  });
}

/** CPU reference of {@linkcode split}. */
export function splitReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  options: Omit<SplitOptions, 'label'>,
): { data: number[]; shape: number[] }[] {
  const shapes = splitOutputShapes(shape, options);
  const axis = normalizeAxis(options.axis ?? 0, shape.length, 'run splitReference');
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const len = shape[axis];
  let offset = 0;
  return shapes.map((s) => {
    const data: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < s[axis] * inner; k++) data.push(x[(o * len + offset) * inner + k]);
    }
    offset += s[axis];
    return { data, shape: s };
  });
}
