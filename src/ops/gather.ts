/**
 * ONNX `Gather` on the GPU (`shaders/nn/gather.wgsl`): picks slices of `data` along one axis by
 * an i32 index tensor of any shape — how token embeddings are looked up. With its CPU reference
 * and an index check for the runtime.
 *
 * @module
 */

import gatherSource from '../../shaders/nn/gather.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, IndexError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';
import { checkIndices } from './index_check.ts';

/** Options for {@linkcode gather}. */
export interface GatherOptions {
  /** Axis of `data` to gather along (negative counts from the end). Default 0. */
  axis?: number;
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
 * The output shape of {@linkcode gather}: `dataShape[:axis] + indicesShape +
 * dataShape[axis+1:]`.
 *
 * @throws {ArgumentError} for a scalar `data` or an axis out of range.
 */
export function gatherOutputShape(
  dataShape: readonly number[],
  indicesShape: readonly number[],
  axis = 0,
): number[] {
  const what = `run gather on data ${formatShape(dataShape)}`;
  if (dataShape.length === 0) throw new ArgumentError(`Cannot ${what}: data must have rank >= 1`);
  const a = normalizeAxis(axis, dataShape.length, what);
  return [...dataShape.slice(0, a), ...indicesShape, ...dataShape.slice(a + 1)];
}

/**
 * Checks indices known on the CPU (e.g. a model's constants) against an axis of length
 * `axisLen`: ONNX accepts `[-axisLen, axisLen − 1]` and calls anything else an error.
 *
 * @throws {IndexError} (an {@linkcode ArgumentError}) naming the first index out of range.
 */
export function validateGatherIndices(indices: ArrayLike<number>, axisLen: number): void {
  for (let j = 0; j < indices.length; j++) {
    const v = indices[j];
    if (!Number.isInteger(v) || v < -axisLen || v >= axisLen) {
      throw new IndexError(
        `Cannot run gather: index ${v} (element ${j} of indices) is out of range for an axis ` +
          `of length ${axisLen} (valid: ${-axisLen}..${axisLen - 1})`,
      );
    }
  }
}

/**
 * ONNX `Gather`: `out[..., j..., ...] = data[..., indices[j...], ...]` along `axis`. `data` is
 * f32 or i32; `indices` is i32 of any shape (a scalar drops the axis). A negative index counts
 * from the end. Out-of-range indices are an error in ONNX: unless `checkIndices` is false, a
 * check on the GPU records them and the next readback rejects with {@linkcode IndexError}
 * (the kernel itself clamps them into the axis, so it never reads outside `data`). Indices on
 * the host can be checked at once with {@linkcode validateGatherIndices}.
 *
 * @example
 * ```ts ignore
 * using embedded = gather(engine, embeddings, tokenIds); // [vocab, d] by [batch, seq]
 * ```
 * @throws {ArgumentError} for a non-i32 `indices`, a scalar `data`, a bad axis, or indices into
 *   an empty axis. Out-of-range indices: {@linkcode IndexError} from the next readback.
 */
export function gather(
  engine: Engine,
  data: Tensor,
  indices: Tensor,
  options: GatherOptions = {},
): Tensor {
  checkOperand(engine, 'gather', 'data', data, ['f32', 'i32']);
  checkOperand(engine, 'gather', 'indices', indices, ['i32']);
  const shape = gatherOutputShape(data.shape, indices.shape, options.axis ?? 0);
  const axis = normalizeAxis(options.axis ?? 0, data.rank, 'run gather');
  const axisLen = data.shape[axis];
  const out = empty(engine, shape, { dtype: data.dtype, label: options.label ?? 'gather.out' });
  if (out.size === 0) return out;
  if (axisLen === 0) {
    throw new ArgumentError(
      `Cannot run gather: axis ${axis} of data ${formatShape(data.shape)} is empty, so every ` +
        `one of the ${indices.size} indices is out of range`,
    );
  }
  if (options.checkIndices ?? true) {
    checkIndices(engine, indices, [{
      length: axisLen,
      what: `axis ${axis} of data ${formatShape(data.shape)}`,
    }], { caller: options.caller ?? 'gather', indicesName: options.indicesName });
  }
  const inner = sizeOf(data.shape.slice(axis + 1));
  engine.dispatch({
    code: gatherSource,
    label: 'nn/gather.wgsl',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      data.buffer,
      indices.buffer,
      out.buffer,
      engine.constants('gather.params', new Uint32Array([out.size, axisLen, inner, indices.size])),
    ],
    workgroups: Math.ceil(out.size / WORKGROUP_SIZE),
  });
  return out;
}

/**
 * CPU reference of {@linkcode gather}, with the kernel's clamping of out-of-range indices (call
 * {@linkcode validateGatherIndices} first for ONNX's strict rule).
 */
export function gatherReference(
  data: ArrayLike<number>,
  dataShape: readonly number[],
  indices: ArrayLike<number>,
  indicesShape: readonly number[],
  options: { axis?: number } = {},
): { data: number[]; shape: number[] } {
  const shape = gatherOutputShape(dataShape, indicesShape, options.axis ?? 0);
  const axis = normalizeAxis(options.axis ?? 0, dataShape.length, 'run gatherReference');
  const outer = sizeOf(dataShape.slice(0, axis));
  const len = dataShape[axis];
  const inner = sizeOf(dataShape.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < indices.length; j++) {
      const raw = indices[j] < 0 ? indices[j] + len : indices[j];
      const at = Math.min(Math.max(raw, 0), len - 1);
      for (let k = 0; k < inner; k++) out.push(data[(o * len + at) * inner + k]);
    }
  }
  return { data: out, shape };
}
