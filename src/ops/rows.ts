/**
 * Rows along axis 0, moved by buffer copies (no kernel): {@linkcode takeRows} cuts a run of rows
 * out of a tensor (padding a short run to a fixed count), {@linkcode stackRows} joins the valid
 * rows of several tensors. Row-major storage makes a run of rows one contiguous byte range, so
 * each is `copyBufferToBuffer` recorded into the engine's encoder, in order with the kernels.
 * Used to run a model with a fixed batch in chunks of its own batch size.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, sizeOf, type Tensor } from '../tensor.ts';

/** Options for {@linkcode takeRows}. */
export interface TakeRowsOptions {
  /** Rows of the result (default `count`); the rows past `count` are padding. */
  rows?: number;
  /** Padding: repeat the last taken row (default, keeps values in the data's range) or zeros. */
  pad?: 'repeat' | 'zero';
  /** Label of the result. */
  label?: string;
}

/**
 * Rows `[start, start + count)` of `t` along axis 0, as a new tensor of `options.rows` rows.
 *
 * @throws {ShapeError} for a scalar or rows outside `t`.
 */
export function takeRows(
  engine: Engine,
  t: Tensor,
  start: number,
  count: number,
  options: TakeRowsOptions = {},
): Tensor {
  if (t.rank === 0) throw new ShapeError(`Cannot take rows of ${t}: it is a scalar`);
  const rows = options.rows ?? count;
  if (
    !Number.isInteger(start) || !Number.isInteger(count) || !Number.isInteger(rows) ||
    start < 0 || count < 1 || start + count > t.shape[0] || rows < count
  ) {
    throw new ShapeError(
      `Cannot take rows [${start}, ${start + count}) padded to ${rows} of ${t}: out of range`,
    );
  }
  const per = sizeOf(t.shape.slice(1)) * 4;
  const zero = options.pad === 'zero' && rows > count;
  const out = empty(engine, [rows, ...t.shape.slice(1)], {
    dtype: t.dtype,
    label: options.label ?? `${t.label}.rows`,
    zero,
  });
  if (per === 0) return out;
  const encoder = engine.encoder();
  encoder.copyBufferToBuffer(t.buffer, start * per, out.buffer, 0, count * per);
  if (rows > count && !zero) {
    const last = (start + count - 1) * per;
    for (let r = count; r < rows; r++) {
      encoder.copyBufferToBuffer(t.buffer, last, out.buffer, r * per, per);
    }
  }
  return out;
}

/** One part of {@linkcode stackRows}: a tensor and how many of its leading rows to keep. */
export interface RowPart {
  /** The tensor. */
  tensor: Tensor;
  /** Leading rows to keep (default: all). */
  rows?: number;
}

/**
 * The kept rows of every part, in order, along axis 0: parts must agree on the trailing
 * dimensions and dtype.
 *
 * @throws {ArgumentError} for no parts; {@linkcode ShapeError} when the parts disagree.
 */
export function stackRows(engine: Engine, parts: readonly RowPart[], label?: string): Tensor {
  if (parts.length === 0) throw new ArgumentError('Cannot stack rows: no parts');
  const first = parts[0].tensor;
  if (first.rank === 0) throw new ShapeError(`Cannot stack rows of ${first}: it is a scalar`);
  const tail = first.shape.slice(1);
  let total = 0;
  for (const { tensor: t, rows } of parts) {
    const keep = rows ?? t.shape[0];
    if (t.rank === 0 || t.shape.slice(1).join() !== tail.join() || t.dtype !== first.dtype) {
      throw new ShapeError(
        `Cannot stack rows: ${t} does not match ${first} after the first axis`,
      );
    }
    if (!Number.isInteger(keep) || keep < 0 || keep > t.shape[0]) {
      throw new ShapeError(`Cannot stack rows: ${keep} rows of ${t}`);
    }
    total += keep;
  }
  const per = sizeOf(tail) * 4;
  const out = empty(engine, [total, ...tail], {
    dtype: first.dtype,
    label: label ?? `${first.label}.stacked`,
  });
  if (per === 0) return out;
  const encoder = engine.encoder();
  let offset = 0;
  for (const { tensor: t, rows } of parts) {
    const bytes = (rows ?? t.shape[0]) * per;
    if (bytes > 0) encoder.copyBufferToBuffer(t.buffer, 0, out.buffer, offset, bytes);
    offset += bytes;
  }
  return out;
}

/** f64 reference of {@linkcode takeRows} on host data. */
export function takeRowsReference(
  data: ArrayLike<number>,
  shape: readonly number[],
  start: number,
  count: number,
  rows = count,
  pad: 'repeat' | 'zero' = 'repeat',
): Float64Array {
  const per = sizeOf(shape.slice(1));
  const out = new Float64Array(rows * per);
  for (let r = 0; r < rows; r++) {
    if (r >= count && pad === 'zero') continue;
    const src = start + Math.min(r, count - 1);
    for (let i = 0; i < per; i++) out[r * per + i] = data[src * per + i];
  }
  return out;
}
