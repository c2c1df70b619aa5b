/**
 * ONNX `Concat` on the GPU (one strided copy per input into its place in the output,
 * `shaders/nn/strided_copy.wgsl`) and its CPU reference.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { checkOperand } from './common.ts';
import { stridedCopy } from './strided_copy.ts';

/** Options for {@linkcode concat}. */
export interface ConcatOptions {
  /** Axis to join along (negative counts from the end). Required, as in ONNX. */
  axis: number;
  /** Label of the output buffer. */
  label?: string;
}

function formatShapes(shapes: readonly (readonly number[])[]): string {
  return shapes.map(formatShape).join(', ');
}

/**
 * The output shape of {@linkcode concat}: the inputs' common shape with the lengths along `axis`
 * summed.
 *
 * @throws {ArgumentError} for no inputs, scalars or a bad axis; {@linkcode ShapeError} when the
 *   ranks or the other dimensions differ (naming every shape).
 */
export function concatOutputShape(shapes: readonly (readonly number[])[], axis: number): number[] {
  if (!(shapes?.length > 0)) {
    throw new ArgumentError('Cannot run concat: at least one input is needed, got none');
  }
  const rank = shapes[0].length;
  if (rank === 0) {
    throw new ArgumentError(`Cannot run concat: inputs must have rank >= 1, got a scalar`);
  }
  const a = normalizeAxis(axis, rank, `run concat on ${formatShapes(shapes)}`);
  const out = [...shapes[0]];
  out[a] = 0;
  for (const shape of shapes) {
    if (shape.length !== rank || shape.some((d, i) => i !== a && d !== out[i])) {
      throw new ShapeError(
        `Cannot run concat along axis ${axis}: shapes ${formatShapes(shapes)} differ ` +
          `outside that axis`,
      );
    }
    out[a] += shape[a];
  }
  return out;
}

/**
 * ONNX `Concat`: joins `tensors` (all f32 or all i32, one rank, equal outside `axis`) along
 * `axis`. Returns a new tensor; inputs with no elements contribute nothing.
 *
 * @example
 * ```ts ignore
 * using kv = concat(engine, [past, current], { axis: -2 });
 * ```
 * @throws {ShapeError} when the shapes do not fit together; {@linkcode ArgumentError} for no
 *   inputs, mixed dtypes or a bad axis.
 */
export function concat(
  engine: Engine,
  tensors: readonly Tensor[],
  options: ConcatOptions,
): Tensor {
  if (!(tensors?.length > 0)) {
    throw new ArgumentError('Cannot run concat: at least one input is needed, got none');
  }
  tensors.forEach((t, i) => checkOperand(engine, 'concat', `input ${i}`, t, ['f32', 'i32']));
  const dtype = tensors[0].dtype;
  const other = tensors.findIndex((t) => t.dtype !== dtype);
  if (other >= 0) {
    throw new ArgumentError(
      `Cannot run concat: input 0 is ${dtype} but input ${other} is ${tensors[other].dtype}; ` +
        `all inputs must have one dtype`,
    );
  }
  if (typeof options?.axis !== 'number') {
    throw new ArgumentError('Cannot run concat: options.axis is required');
  }
  const shape = concatOutputShape(tensors.map((t) => t.shape), options.axis);
  const axis = normalizeAxis(options.axis, shape.length, 'run concat');
  const y = empty(engine, shape, { dtype, label: options.label ?? 'concat.out' });
  const outStrides = stridesOf(shape);
  let offset = 0;
  tensors.forEach((t, i) => {
    stridedCopy(engine, t, y, {
      shape: t.shape,
      dstBase: offset * outStrides[axis],
      dstStrides: outStrides,
    }, `concat input ${i}`);
    offset += t.shape[axis];
  });
  return y;
}

/** CPU reference of {@linkcode concat}: walks the output coordinates. */
export function concatReference(
  inputs: readonly { data: ArrayLike<number>; shape: readonly number[] }[],
  axis: number,
): { data: number[]; shape: number[] } {
  const shape = concatOutputShape(inputs.map((t) => t.shape), axis);
  const a = normalizeAxis(axis, shape.length, 'run concatReference');
  const outer = sizeOf(shape.slice(0, a));
  const inner = sizeOf(shape.slice(a + 1));
  const data: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of inputs) {
      const len = t.shape[a] * inner;
      for (let k = 0; k < len; k++) data.push(t.data[o * len + k]);
    }
  }
  return { data, shape };
}
