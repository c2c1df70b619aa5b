/**
 * ONNX `GatherElements` and `ScatterElements` (and the legacy `Scatter`) on the GPU
 * (`shaders/nn/gather_elements.wgsl`, `shaders/nn/scatter_elements.wgsl`), with f64 CPU
 * references and the index check for indices known on the CPU. Each is the other's gradient:
 * GatherElements' is a scatter-add into zeros; ScatterElements' (reduction none) gathers dy at
 * the positions each update last wrote.
 *
 * @module
 */

import gatherElementsSource from '../../shaders/nn/gather_elements.wgsl' with { type: 'text' };
import scatterElementsSource from '../../shaders/nn/scatter_elements.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, IndexError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, stridesOf, type Tensor } from '../tensor.ts';
import { checkChoice, checkOperand, WORKGROUP_SIZE } from './common.ts';
import { checkIndices } from './index_check.ts';

/** Scatter reductions, with their `REDUCTION` override code in the scatter shaders. */
export const SCATTER_REDUCTIONS: Readonly<{ none: 0; add: 1; mul: 2; max: 3; min: 4 }> = Object
  .freeze({ none: 0, add: 1, mul: 2, max: 3, min: 4 });

/** A scatter reduction. */
export type ScatterReduction = keyof typeof SCATTER_REDUCTIONS;

/** Axis positions one scatter invocation scans per dispatch (see the shader's header). */
const AXIS_SPAN = 4096;

/**
 * Checks the shapes of an element-wise gather or scatter: same rank, the indices no larger
 * than data on any axis but `axis`. Returns the normalized axis.
 *
 * @throws {ShapeError} naming both shapes.
 */
export function checkElementsShapes(
  op: string,
  dataShape: readonly number[],
  indicesShape: readonly number[],
  axis: number,
): number {
  const a = normalizeAxis(axis, Math.max(dataShape.length, 1), `run ${op}`);
  if (dataShape.length === 0 || indicesShape.length !== dataShape.length) {
    throw new ShapeError(
      `Cannot run ${op}: data ${formatShape(dataShape)} and indices ${formatShape(indicesShape)} ` +
        'must have the same rank (at least 1)',
    );
  }
  indicesShape.forEach((d, i) => {
    if (i !== a && d > dataShape[i]) {
      throw new ShapeError(
        `Cannot run ${op}: indices ${formatShape(indicesShape)} exceed data ` +
          `${formatShape(dataShape)} on axis ${i}`,
      );
    }
  });
  return a;
}

/**
 * Checks indices known on the CPU against an axis of length `axisLen`: ONNX accepts
 * `[-axisLen, axisLen − 1]` and calls anything else an error.
 *
 * @throws {IndexError} (an {@linkcode ArgumentError}) naming the first index out of range.
 */
export function validateIndices(
  op: string,
  indices: ArrayLike<number>,
  axisLen: number,
): void {
  for (let j = 0; j < indices.length; j++) {
    const v = indices[j];
    if (!Number.isInteger(v) || v < -axisLen || v >= axisLen) {
      throw new IndexError(
        `Cannot run ${op}: index ${v} (element ${j} of indices) is out of range for an axis of ` +
          `length ${axisLen} (valid: ${-axisLen}..${axisLen - 1})`,
      );
    }
  }
}

/** Options for {@linkcode gatherElements}. */
export interface GatherElementsOptions {
  /** Axis of `data` the indices index (negative counts from the end). Default 0. */
  axis?: number;
  /**
   * Zero every position that a later position along the axis (same other coordinates) shares
   * its index with: the gradient of a reduction-none scatter with respect to its updates, where
   * only the last write survives. f32 only. Default false.
   */
  lastWriter?: boolean;
  /** Label of the output buffer. */
  label?: string;
  /**
   * Validate the indices on the GPU before they are used: one out of range makes the next
   * readback reject with `IndexError`. Default true; false skips the check for indices already
   * validated (on the host, or by the forward pass a gradient reuses them from).
   */
  checkIndices?: boolean;
  /** Who indexes, for that error, e.g. `Gather node 'embed'`. Default: the kernel's name. */
  caller?: string;
  /** Name of the indices in that error (a model's tensor name). Default: the tensor's label. */
  indicesName?: string;
}

/**
 * ONNX `GatherElements`: `out[c] = data[c with c[axis] = indices[c]]`; the output has the
 * indices' shape. `data` is f32 or i32, `indices` i32 (negative counts from the end). Unless
 * `checkIndices` is false, out-of-range indices are recorded on the GPU and the next readback
 * rejects with {@linkcode IndexError} (the kernel clamps them); CPU-known indices can be checked
 * at once with {@linkcode validateIndices}.
 *
 * @throws {ShapeError} for mismatched ranks or indices larger than data off the axis;
 *   {@linkcode ArgumentError} for indices into an empty axis.
 */
export function gatherElements(
  engine: Engine,
  data: Tensor,
  indices: Tensor,
  options: GatherElementsOptions = {},
): Tensor {
  const op = 'gatherElements';
  checkOperand(engine, op, 'data', data, options.lastWriter ? ['f32'] : ['f32', 'i32']);
  checkOperand(engine, op, 'indices', indices, ['i32']);
  const axis = checkElementsShapes(op, data.shape, indices.shape, options.axis ?? 0);
  const out = empty(engine, indices.shape, {
    dtype: data.dtype,
    label: options.label ?? `${op}.out`,
  });
  if (out.size === 0) return out;
  if (data.shape[axis] === 0) {
    throw new ArgumentError(
      `Cannot run ${op}: axis ${axis} of data ${
        formatShape(data.shape)
      } is empty, so every index ` +
        'is out of range',
    );
  }
  if (options.checkIndices ?? true) {
    checkIndices(engine, indices, [{
      length: data.shape[axis],
      what: `axis ${axis} of data ${formatShape(data.shape)}`,
    }], { caller: options.caller ?? op, indicesName: options.indicesName });
  }
  const geometry = new Int32Array([
    out.size,
    data.rank,
    axis,
    data.shape[axis],
    ...indices.shape,
    ...stridesOf(data.shape),
    ...stridesOf(indices.shape),
  ]);
  engine.dispatch({
    code: gatherElementsSource,
    label: 'nn/gather_elements.wgsl',
    constants: { WG: WORKGROUP_SIZE, LAST_WRITER: options.lastWriter ? 1 : 0 },
    bindings: [
      data.buffer,
      indices.buffer,
      out.buffer,
      engine.constants(`${op}.geometry`, geometry),
    ],
    workgroups: Math.ceil(out.size / WORKGROUP_SIZE),
  });
  return out;
}

/** Options for {@linkcode scatterElements}. */
export interface ScatterElementsOptions {
  /** Axis of `data` the indices index (negative counts from the end). Default 0. */
  axis?: number;
  /** How an update combines with what is there; default `none` (replace). */
  reduction?: ScatterReduction;
  /** Label of the output buffer. */
  label?: string;
  /**
   * Validate the indices on the GPU before they are used: one out of range makes the next
   * readback reject with `IndexError`. Default true; false skips the check for indices already
   * validated (on the host, or by the forward pass a gradient reuses them from).
   */
  checkIndices?: boolean;
  /** Who indexes, for that error, e.g. `Gather node 'embed'`. Default: the kernel's name. */
  caller?: string;
  /** Name of the indices in that error (a model's tensor name). Default: the tensor's label. */
  indicesName?: string;
}

/**
 * ONNX `ScatterElements`: a copy of `data` where each `updates[c]` is written (or combined by
 * `reduction`) at `c with c[axis] = indices[c]`, in position order (so with reduction none the
 * last of repeated indices wins). `data` and `updates` are both f32 or both i32; `indices` i32
 * of the updates' shape. Unless `checkIndices` is false, out-of-range indices are recorded on
 * the GPU and the next readback rejects with {@linkcode IndexError} (the kernel skips them);
 * CPU-known ones can be checked at once with {@linkcode validateIndices}.
 *
 * @throws {ShapeError} for mismatched shapes; {@linkcode ArgumentError} for dtypes or reduction.
 */
export function scatterElements(
  engine: Engine,
  data: Tensor,
  indices: Tensor,
  updates: Tensor,
  options: ScatterElementsOptions = {},
): Tensor {
  const op = 'scatterElements';
  const reduction = options.reduction ?? 'none';
  checkChoice(op, reduction, SCATTER_REDUCTIONS);
  checkOperand(engine, op, 'data', data, ['f32', 'i32']);
  checkOperand(engine, op, 'indices', indices, ['i32']);
  checkOperand(engine, op, 'updates', updates, [data.dtype]);
  const axis = checkElementsShapes(op, data.shape, indices.shape, options.axis ?? 0);
  if (formatShape(updates.shape) !== formatShape(indices.shape)) {
    throw new ShapeError(
      `Cannot run ${op}: updates ${formatShape(updates.shape)} must have the indices' shape ` +
        formatShape(indices.shape),
    );
  }
  const out = empty(engine, data.shape, { dtype: data.dtype, label: options.label ?? `${op}.out` });
  if (out.size === 0) return out;
  if (options.checkIndices ?? true) {
    checkIndices(engine, indices, [{
      length: data.shape[axis],
      what: `axis ${axis} of data ${formatShape(data.shape)}`,
    }], { caller: options.caller ?? op, indicesName: options.indicesName });
  }
  const count = indices.shape[axis];
  const spans = Math.max(1, Math.ceil(count / AXIS_SPAN));
  for (let s = 0; s < spans; s++) {
    const geometry = new Int32Array([
      out.size,
      data.rank,
      axis,
      s * AXIS_SPAN,
      Math.min(count, (s + 1) * AXIS_SPAN),
      s > 0 ? 1 : 0,
      ...data.shape,
      ...indices.shape,
      ...stridesOf(indices.shape),
    ]);
    engine.dispatch({
      code: scatterElementsSource,
      label: `nn/scatter_elements.wgsl ${reduction}`,
      constants: {
        WG: WORKGROUP_SIZE,
        REDUCTION: SCATTER_REDUCTIONS[reduction],
        INT: data.dtype === 'i32' ? 1 : 0,
      },
      bindings: [
        data.buffer,
        // An empty indices tensor still needs a buffer; the kernel reads none of it.
        indices.buffer,
        updates.buffer,
        out.buffer,
        engine.constants(`${op}.geometry`, geometry),
      ],
      workgroups: Math.ceil(out.size / WORKGROUP_SIZE),
    });
  }
  return out;
}

/** Coordinates of flat index `i` in `shape`. */
function coordsOf(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

/** The flat offset of `c` in a row-major `shape` with `c[axis]` replaced by `at`. */
function offsetWith(c: readonly number[], shape: readonly number[], axis: number, at: number) {
  let o = 0;
  for (let d = 0; d < shape.length; d++) o = o * shape[d] + (d === axis ? at : c[d]);
  return o;
}

/**
 * f64 CPU reference of {@linkcode gatherElements} with ONNX's strict indices (out-of-range ones
 * throw). With `lastWriter`, positions overwritten by a later one along the axis give 0.
 */
export function gatherElementsReference(
  data: ArrayLike<number>,
  dataShape: readonly number[],
  indices: ArrayLike<number>,
  indicesShape: readonly number[],
  options: { axis?: number; lastWriter?: boolean } = {},
): Float64Array {
  const op = 'gatherElementsReference';
  const axis = checkElementsShapes(op, dataShape, indicesShape, options.axis ?? 0);
  const len = dataShape[axis];
  validateIndices(op, indices, len);
  const out = new Float64Array(indices.length);
  const step = stridesOf(indicesShape)[axis];
  for (let i = 0; i < out.length; i++) {
    const c = coordsOf(i, indicesShape);
    const at = indices[i] < 0 ? indices[i] + len : indices[i];
    let overwritten = false;
    if (options.lastWriter) {
      for (let j = c[axis] + 1; j < indicesShape[axis]; j++) {
        const v = indices[i + (j - c[axis]) * step];
        if ((v < 0 ? v + len : v) === at) overwritten = true;
      }
    }
    out[i] = overwritten ? 0 : data[offsetWith(c, dataShape, axis, at)];
  }
  return out;
}

/** Applies a scatter reduction in f64 (i32 data: the caller rounds). */
export function combineReference(reduction: ScatterReduction, a: number, b: number): number {
  switch (reduction) {
    case 'none':
      return b;
    case 'add':
      return a + b;
    case 'mul':
      return a * b;
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
  }
}

/**
 * f64 CPU reference of {@linkcode scatterElements}: ONNX's sequential loop over the update
 * positions in row-major order, with strict indices (out-of-range ones throw).
 */
export function scatterElementsReference(
  data: ArrayLike<number>,
  dataShape: readonly number[],
  indices: ArrayLike<number>,
  indicesShape: readonly number[],
  updates: ArrayLike<number>,
  options: { axis?: number; reduction?: ScatterReduction } = {},
): Float64Array {
  const op = 'scatterElementsReference';
  const axis = checkElementsShapes(op, dataShape, indicesShape, options.axis ?? 0);
  const len = dataShape[axis];
  validateIndices(op, indices, len);
  const out = Float64Array.from(data);
  for (let i = 0; i < indices.length; i++) {
    const at = indices[i] < 0 ? indices[i] + len : indices[i];
    const o = offsetWith(coordsOf(i, indicesShape), dataShape, axis, at);
    out[o] = combineReference(options.reduction ?? 'none', out[o], updates[i]);
  }
  return out;
}
