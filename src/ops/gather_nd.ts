/**
 * ONNX `GatherND` (with `batch_dims`) and `ScatterND` on the GPU (`shaders/nn/gather_nd.wgsl`,
 * `shaders/nn/scatter_nd.wgsl`), with f64 CPU references. Each is the other's gradient:
 * GatherND's is a scatter-add into zeros (the scatter takes the same batch dimensions);
 * ScatterND's (reduction none) gathers dy at the slices each update last wrote.
 *
 * @module
 */

import gatherNdSource from '../../shaders/nn/gather_nd.wgsl' with { type: 'text' };
import scatterNdSource from '../../shaders/nn/scatter_nd.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { checkChoice, checkOperand, WORKGROUP_SIZE } from './common.ts';
import { checkIndices, type IndexRange } from './index_check.ts';
import {
  combineReference,
  SCATTER_REDUCTIONS,
  type ScatterReduction,
  validateIndices,
} from './gather_elements.ts';

/** Index tuples one scatter invocation scans per dispatch (see the shader's header). */
const TUPLE_SPAN = 1024;

/** The geometry of a GatherND/ScatterND: data [B, D_0..D_{q−1}, R], indices [B, I, q]. */
export interface NdPlan {
  /** Number of leading batch dimensions. */
  batchDims: number;
  /** ∏ of the batch dimensions. */
  batch: number;
  /** Index tuples per batch (∏I). */
  count: number;
  /** Length of one index tuple. */
  q: number;
  /** Elements of one gathered slice (∏R). */
  inner: number;
  /** The indexed dimensions D_0..D_{q−1}. */
  dims: number[];
  /** Strides of the indexed dimensions within one batch of data. */
  dimStrides: number[];
  /** Elements of data per batch. */
  batchStride: number;
  /** Shape of GatherND's output (and of ScatterND's updates): [B..., I..., R...]. */
  sliceShape: number[];
}

/**
 * Resolves the shapes of a GatherND (or ScatterND, `batchDims` 0): data rank r ≥ 1, indices
 * rank ≥ 1, the leading `batchDims` dimensions shared, the last index dimension q with
 * `batchDims + q ≤ r`.
 *
 * @throws {ShapeError} naming the shapes.
 */
export function planNd(
  op: string,
  dataShape: readonly number[],
  indicesShape: readonly number[],
  batchDims = 0,
): NdPlan {
  const r = dataShape.length;
  const m = indicesShape.length;
  const what = `Cannot run ${op} on data ${formatShape(dataShape)} by indices ` +
    `${formatShape(indicesShape)} with ${batchDims} batch dimension(s)`;
  if (
    r < 1 || m < 1 || !Number.isInteger(batchDims) || batchDims < 0 || batchDims >= Math.min(r, m)
  ) {
    throw new ShapeError(`${what}: needs ranks ≥ 1 and batch_dims < both ranks`);
  }
  const q = indicesShape[m - 1];
  if (batchDims + q > r) throw new ShapeError(`${what}: index tuples of ${q} are too long`);
  for (let d = 0; d < batchDims; d++) {
    if (dataShape[d] !== indicesShape[d]) {
      throw new ShapeError(`${what}: batch dimension ${d} differs`);
    }
  }
  const dims = dataShape.slice(batchDims, batchDims + q);
  const rest = dataShape.slice(batchDims + q);
  const strides = stridesOf(dataShape.slice(batchDims));
  return {
    batchDims,
    batch: sizeOf(dataShape.slice(0, batchDims)),
    count: sizeOf(indicesShape.slice(batchDims, m - 1)),
    q,
    inner: sizeOf(rest),
    dims,
    dimStrides: strides.slice(0, q),
    batchStride: sizeOf(dataShape.slice(batchDims)),
    sliceShape: [...indicesShape.slice(0, m - 1), ...rest],
  };
}

/**
 * The valid range of each position of an index tuple, for {@linkcode checkIndices} and
 * `validateIndexValues`: position r indexes dimension `batchDims + r` of data.
 */
export function ndIndexRanges(plan: NdPlan, dataShape: readonly number[]): IndexRange[] {
  return plan.dims.map((length, r) => ({
    length,
    what: `dimension ${plan.batchDims + r} of data ${formatShape(dataShape)} (position ${r} ` +
      'of the index tuples)',
  }));
}

/**
 * Checks index tuples known on the CPU: ONNX accepts `[-D_r, D_r − 1]` for position r of each
 * tuple and calls anything else an error.
 *
 * @throws {IndexError} (an `ArgumentError`) naming the first index out of range.
 */
export function validateNdIndices(op: string, indices: ArrayLike<number>, plan: NdPlan): void {
  if (plan.q === 0) return;
  for (let r = 0; r < plan.q; r++) {
    const column = Array.from(
      { length: indices.length / plan.q },
      (_, t) => indices[t * plan.q + r],
    );
    validateIndices(`${op} (position ${r} of the index tuples)`, column, plan.dims[r]);
  }
}

/** Options for {@linkcode gatherND}. */
export interface GatherNdOptions {
  /** Leading dimensions shared by data and indices. Default 0. */
  batchDims?: number;
  /**
   * Zero the slices of tuples that a later tuple of the same batch repeats: the gradient of a
   * reduction-none ScatterND with respect to its updates. Default false.
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
 * ONNX `GatherND`: gathers the slices of `data` (f32 or i32) named by the index tuples in the
 * last axis of `indices` (i32), per batch. Unless `checkIndices` is false, out-of-range indices
 * are recorded on the GPU and the next readback rejects with `IndexError` (the kernel clamps
 * them); CPU-known ones can be checked at once with {@linkcode validateNdIndices}.
 *
 * @throws {ShapeError} for incompatible shapes; {@linkcode ArgumentError} for an empty indexed
 *   dimension with tuples to look up.
 */
export function gatherND(
  engine: Engine,
  data: Tensor,
  indices: Tensor,
  options: GatherNdOptions = {},
): Tensor {
  const op = 'gatherND';
  checkOperand(engine, op, 'data', data, options.lastWriter ? ['f32'] : ['f32', 'i32']);
  checkOperand(engine, op, 'indices', indices, ['i32']);
  const plan = planNd(op, data.shape, indices.shape, options.batchDims ?? 0);
  const out = empty(engine, plan.sliceShape, {
    dtype: data.dtype,
    label: options.label ?? `${op}.out`,
  });
  if (out.size === 0) return out;
  if (plan.dims.some((d) => d === 0)) {
    throw new ArgumentError(
      `Cannot run ${op}: data ${formatShape(data.shape)} has an empty indexed dimension`,
    );
  }
  if (options.checkIndices ?? true) {
    checkIndices(engine, indices, ndIndexRanges(plan, data.shape), {
      caller: options.caller ?? op,
      indicesName: options.indicesName,
    });
  }
  const geometry = new Int32Array([
    out.size,
    plan.count,
    plan.q,
    plan.inner,
    plan.batchStride,
    ...plan.dims,
    ...plan.dimStrides,
  ]);
  engine.dispatch({
    code: gatherNdSource,
    label: 'nn/gather_nd.wgsl',
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

/** Options for {@linkcode scatterND}. */
export interface ScatterNdOptions {
  /** How an update combines with what is there; default `none` (replace). */
  reduction?: ScatterReduction;
  /** Leading dimensions shared by data, indices and updates (not in ONNX; for gradients). */
  batchDims?: number;
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
 * ONNX `ScatterND`: a copy of `data` where each update slice is written (or combined by
 * `reduction`) at the position its index tuple names, in tuple order (so with reduction none
 * the last of repeated tuples wins). `data` and `updates` are both f32 or both i32; `indices`
 * i32. Unless `checkIndices` is false, out-of-range indices are recorded on the GPU and the next
 * readback rejects with `IndexError` (the kernel skips their tuples); CPU-known ones can be
 * checked at once with {@linkcode validateNdIndices}.
 *
 * @throws {ShapeError} for incompatible shapes; {@linkcode ArgumentError} for dtypes.
 */
export function scatterND(
  engine: Engine,
  data: Tensor,
  indices: Tensor,
  updates: Tensor,
  options: ScatterNdOptions = {},
): Tensor {
  const op = 'scatterND';
  const reduction = options.reduction ?? 'none';
  checkChoice(op, reduction, SCATTER_REDUCTIONS);
  checkOperand(engine, op, 'data', data, ['f32', 'i32']);
  checkOperand(engine, op, 'indices', indices, ['i32']);
  checkOperand(engine, op, 'updates', updates, [data.dtype]);
  const plan = planNd(op, data.shape, indices.shape, options.batchDims ?? 0);
  if (formatShape(updates.shape) !== formatShape(plan.sliceShape)) {
    throw new ShapeError(
      `Cannot run ${op}: updates ${formatShape(updates.shape)} must be ` +
        `${formatShape(plan.sliceShape)} for data ${formatShape(data.shape)} and indices ` +
        formatShape(indices.shape),
    );
  }
  const out = empty(engine, data.shape, { dtype: data.dtype, label: options.label ?? `${op}.out` });
  if (out.size === 0) return out;
  if (options.checkIndices ?? true) {
    checkIndices(engine, indices, ndIndexRanges(plan, data.shape), {
      caller: options.caller ?? op,
      indicesName: options.indicesName,
    });
  }
  const spans = Math.max(1, Math.ceil(plan.count / TUPLE_SPAN));
  for (let s = 0; s < spans; s++) {
    const geometry = new Int32Array([
      out.size,
      plan.count,
      plan.q,
      plan.inner,
      plan.batchStride,
      s * TUPLE_SPAN,
      Math.min(plan.count, (s + 1) * TUPLE_SPAN),
      s > 0 ? 1 : 0,
      ...plan.dims,
      ...plan.dimStrides,
    ]);
    engine.dispatch({
      code: scatterNdSource,
      label: `nn/scatter_nd.wgsl ${reduction}`,
      constants: {
        WG: WORKGROUP_SIZE,
        REDUCTION: SCATTER_REDUCTIONS[reduction],
        INT: data.dtype === 'i32' ? 1 : 0,
      },
      bindings: [
        data.buffer,
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

/** The offset (within one batch of data) of tuple `t`, indices validated. */
function tupleOffset(indices: ArrayLike<number>, t: number, plan: NdPlan): number {
  let o = 0;
  for (let r = 0; r < plan.q; r++) {
    const v = indices[t * plan.q + r];
    o += (v < 0 ? v + plan.dims[r] : v) * plan.dimStrides[r];
  }
  return o;
}

/**
 * f64 CPU reference of {@linkcode gatherND}, strict indices (out-of-range ones throw). With
 * `lastWriter`, slices of tuples repeated later in their batch give 0.
 */
export function gatherNdReference(
  data: ArrayLike<number>,
  dataShape: readonly number[],
  indices: ArrayLike<number>,
  indicesShape: readonly number[],
  options: { batchDims?: number; lastWriter?: boolean } = {},
): { data: Float64Array; shape: number[] } {
  const op = 'gatherNdReference';
  const plan = planNd(op, dataShape, indicesShape, options.batchDims ?? 0);
  validateNdIndices(op, indices, plan);
  const out = new Float64Array(sizeOf(plan.sliceShape));
  for (let b = 0; b < plan.batch; b++) {
    for (let t = 0; t < plan.count; t++) {
      const row = b * plan.count + t;
      const at = tupleOffset(indices, row, plan);
      let overwritten = false;
      if (options.lastWriter) {
        for (let later = t + 1; later < plan.count; later++) {
          if (tupleOffset(indices, b * plan.count + later, plan) === at) overwritten = true;
        }
      }
      for (let k = 0; k < plan.inner; k++) {
        out[row * plan.inner + k] = overwritten ? 0 : data[b * plan.batchStride + at + k];
      }
    }
  }
  return { data: out, shape: plan.sliceShape };
}

/**
 * f64 CPU reference of {@linkcode scatterND}: ONNX's sequential loop over the tuples, strict
 * indices (out-of-range ones throw).
 */
export function scatterNdReference(
  data: ArrayLike<number>,
  dataShape: readonly number[],
  indices: ArrayLike<number>,
  indicesShape: readonly number[],
  updates: ArrayLike<number>,
  options: { reduction?: ScatterReduction; batchDims?: number } = {},
): Float64Array {
  const op = 'scatterNdReference';
  const plan = planNd(op, dataShape, indicesShape, options.batchDims ?? 0);
  validateNdIndices(op, indices, plan);
  if (updates.length !== sizeOf(plan.sliceShape)) {
    throw new ShapeError(
      `Cannot run ${op}: updates hold ${updates.length} values, ${formatShape(plan.sliceShape)} ` +
        'expected',
    );
  }
  const out = Float64Array.from(data);
  for (let b = 0; b < plan.batch; b++) {
    for (let t = 0; t < plan.count; t++) {
      const row = b * plan.count + t;
      const at = b * plan.batchStride + tupleOffset(indices, row, plan);
      for (let k = 0; k < plan.inner; k++) {
        out[at + k] = combineReference(
          options.reduction ?? 'none',
          out[at + k],
          updates[row * plan.inner + k],
        );
      }
    }
  }
  return out;
}
