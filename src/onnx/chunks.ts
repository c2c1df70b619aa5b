/**
 * Running a chunked plan (a fixed-batch model given another batch, see `src/graph/batch.ts`):
 * the row ranges of the chunks, each chunk's feeds cut from the full-batch tensors, and the
 * chunks' results stacked back. Rows move by buffer copies in the engine's encoder.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import type { BatchInfo } from '../graph/batch.ts';
import type { Plan } from '../graph/plan.ts';
import { stackRows, takeRows } from '../ops/rows.ts';
import { formatShape, type Tensor } from '../tensor.ts';

/** Rows `[start, start + count)` of the full batch. */
export interface ChunkRange {
  /** First row. */
  start: number;
  /** Rows (the declared batch, or fewer for the last chunk). */
  count: number;
}

/** The chunks of a chunked plan, in order. */
export function chunkRanges(batch: BatchInfo): ChunkRange[] {
  const ranges: ChunkRange[] = [];
  for (let start = 0; start < batch.given; start += batch.declared) {
    ranges.push({ start, count: Math.min(batch.declared, batch.given - start) });
  }
  return ranges;
}

/**
 * The rows of one chunk of a full-batch tensor, padded to the declared batch (by repeating the
 * last row, so that padding stays in the data's range, or with zeros for seeds).
 */
export function chunkOf(
  batch: BatchInfo,
  t: Tensor,
  range: ChunkRange,
  pad: 'repeat' | 'zero' = 'repeat',
): Tensor {
  return takeRows(t.engine, t, range.start, range.count, {
    rows: batch.declared,
    pad,
    label: `${t.label}.chunk${range.start / batch.declared}`,
  });
}

/** The full-batch tensor from the chunks' tensors of `name`, without the padding rows. */
export function stackChunks(batch: BatchInfo, name: string, parts: readonly Tensor[]): Tensor {
  const ranges = chunkRanges(batch);
  return stackRows(
    parts[0].engine,
    parts.map((tensor, i) => ({ tensor, rows: ranges[i].count })),
    name,
  );
}

/**
 * One chunk's feeds: the batched inputs' rows (others shared as views) and the overrides' rows.
 * The caller owns the returned tensors.
 */
export function chunkFeeds(
  batch: BatchInfo,
  range: ChunkRange,
  values: ReadonlyMap<string, Tensor>,
  overrides: ReadonlyMap<string, Tensor>,
): { values: Map<string, Tensor>; overrides: Map<string, Tensor> } {
  const chunk = { values: new Map<string, Tensor>(), overrides: new Map<string, Tensor>() };
  try {
    for (const [name, t] of values) {
      chunk.values.set(
        name,
        batch.inputs.has(name) ? chunkOf(batch, t, range) : t.reshape(t.shape),
      );
    }
    for (const [name, t] of overrides) chunk.overrides.set(name, chunkOf(batch, t, range));
    return chunk;
  } catch (error) {
    for (const t of chunk.values.values()) t.destroy();
    for (const t of chunk.overrides.values()) t.destroy();
    throw error;
  }
}

/**
 * Throws unless `name` can be read, kept, overridden or differentiated across the chunks of a
 * chunked plan: it must not depend on the batch, or have the batch as its leading axis.
 */
export function checkStackable(plan: Plan, name: string, what: string): void {
  const batch = plan.batch;
  if (batch?.mode !== 'chunked' || !batch.batched.has(name) || batch.stackable.has(name)) return;
  throw new ArgumentError(
    `Cannot ${what} '${name}' with a batch of ${batch.given}: the model's batch is fixed at ` +
      `${batch.declared} (${batch.reason}), so it runs in chunks of ${batch.declared}, and ` +
      `'${name}' ${formatShape(batch.base.infos.get(name)?.shape ?? [])} does not have the ` +
      'batch as its leading axis',
  );
}
