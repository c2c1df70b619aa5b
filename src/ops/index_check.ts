/**
 * Validation of gather and scatter indices against the axes they index. ONNX accepts
 * `[−len, len − 1]` (a negative index counts from the end) and calls anything else an error, which
 * the kernels cannot report (gathers clamp, scatters skip). Indices the host holds are checked
 * there ({@linkcode validateIndexValues}); the others on the GPU ({@linkcode checkIndices},
 * `shaders/nn/index_check.wgsl`), with the failure reported by the next readback
 * (`deferred_check.ts`).
 *
 * @module
 */

import indexCheckSource from '../../shaders/nn/index_check.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { IndexError } from '../gpu/errors.ts';
import { formatShape, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';
import { deferCheck } from './deferred_check.ts';

/** One position of an index (tuple): the length of the axis it indexes, and what that is. */
export interface IndexRange {
  /** Length of the indexed axis: valid indices are `−length..length − 1`. */
  length: number;
  /** The indexed axis for messages, e.g. `axis 0 of data [2002, 32]`. */
  what: string;
}

/**
 * The index-check options of the gathers and scatters (each options interface declares these
 * fields itself, so that the public docs need no extra type).
 */
export interface IndexCheckOptions {
  /**
   * Validate the indices on the GPU before they are used: one out of range makes the next
   * readback reject with {@linkcode IndexError}. Default true; false skips the check for
   * indices already validated (on the host, or by the forward pass a gradient reuses them from).
   */
  checkIndices?: boolean;
  /** Who indexes, for that error, e.g. `Gather node 'embed'`. Default: the kernel's name. */
  caller?: string;
  /** Name of the indices in that error (a model's tensor name). Default: the tensor's label. */
  indicesName?: string;
}

/** Coordinates of flat index `i` in `shape`, as `[0, 5]`. */
function coordinates(i: number, shape: readonly number[]): string {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return `[${c.join(', ')}]`;
}

/** The message of an index out of range: who, the value, where, the axis and the valid range. */
export function indexErrorMessage(
  caller: string,
  indices: { name: string; shape: readonly number[] },
  position: number,
  value: number | bigint,
  range: IndexRange,
): string {
  return `Cannot run ${caller}: index ${value} at ${indices.name}${
    coordinates(position, indices.shape)
  } (indices ${formatShape(indices.shape)}) is out of range for ${range.what} (valid: ` +
    `${-range.length}..${range.length - 1})`;
}

/**
 * Checks indices held on the host: element `i` against `ranges[i % ranges.length]` (one range
 * per position of an index tuple; one range for Gather and the element-wise ops).
 *
 * @throws {IndexError} naming the first index out of range, where it is and the valid range.
 */
export function validateIndexValues(
  values: ArrayLike<number | bigint>,
  shape: readonly number[],
  ranges: readonly IndexRange[],
  options: { caller: string; indicesName: string },
): void {
  const period = ranges.length;
  if (period === 0) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const r = ranges[i % period];
    const n = typeof v === 'bigint' ? v : Number(v);
    const ok = typeof n === 'bigint'
      ? n >= BigInt(-r.length) && n < BigInt(r.length)
      : Number.isInteger(n) && n >= -r.length && n < r.length;
    if (!ok) {
      throw new IndexError(
        indexErrorMessage(options.caller, { name: options.indicesName, shape }, i, v, r),
      );
    }
  }
}

/**
 * Records `nn/index_check.wgsl` over `indices` (i32): element `i` must lie in
 * `ranges[i % ranges.length]`. Asynchronous: the next readback on the engine rejects with
 * {@linkcode IndexError} if one does not (see `deferred_check.ts`). No-op for no indices.
 */
export function checkIndices(
  engine: Engine,
  indices: Tensor,
  ranges: readonly IndexRange[],
  options: { caller: string; indicesName?: string },
): void {
  checkOperand(engine, options.caller, 'indices', indices, ['i32']);
  const period = ranges.length;
  if (indices.size === 0 || period === 0) return;
  const bounds = new Int32Array(2 * period);
  ranges.forEach((r, p) => {
    bounds[2 * p] = -r.length;
    bounds[2 * p + 1] = r.length - 1;
  });
  const where = { name: options.indicesName ?? indices.label, shape: [...indices.shape] };
  const frozen = ranges.map((r) => ({ ...r }));
  const { flag, id } = deferCheck(
    engine,
    (f) =>
      new IndexError(
        indexErrorMessage(options.caller, where, f.position, f.value, frozen[f.position % period]),
      ),
  );
  engine.dispatch({
    code: indexCheckSource,
    label: 'nn/index_check.wgsl',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      indices.buffer,
      engine.constants('index_check.bounds', bounds),
      flag,
      engine.constants('index_check.params', new Uint32Array([indices.size, period, id, 0])),
    ],
    workgroups: Math.ceil(indices.size / WORKGROUP_SIZE),
  });
}
