/**
 * Dispatch geometry: folding a linear workgroup count into 2-D or 3-D grids when it exceeds
 * `maxComputeWorkgroupsPerDimension`.
 *
 * Shaders recover the linear workgroup index as
 * `wid.x + nwg.x * (wid.y + nwg.y * wid.z)` and return early when it is past the real count,
 * since a folded grid can hold up to `x - 1` surplus workgroups.
 *
 * @module
 */

import { LimitExceededError } from './errors.ts';

/** A 3-D workgroup grid. */
export type Grid = [x: number, y: number, z: number];

/**
 * Folds `count` workgroups into a grid whose dimensions are each at most `maxPerDimension`,
 * using as few dimensions as possible.
 *
 * @example
 * ```ts
 * import { foldWorkgroups } from './dispatch.ts';
 * foldWorkgroups(70_000, 65_535); // [65535, 2, 1]
 * ```
 * @throws {LimitExceededError} when `count` exceeds `maxPerDimension`³.
 */
export function foldWorkgroups(count: number, maxPerDimension: number): Grid {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(
      `Cannot fold workgroups: count must be a non-negative integer, got ${count}`,
    );
  }
  if (count <= maxPerDimension) return [count, 1, 1];
  const x = maxPerDimension;
  const rows = Math.ceil(count / x);
  if (rows <= maxPerDimension) return [x, rows, 1];
  const y = maxPerDimension;
  const z = Math.ceil(rows / y);
  if (z > maxPerDimension) {
    throw new LimitExceededError(
      `Cannot dispatch ${count} workgroups: more than maxComputeWorkgroupsPerDimension³ ` +
        `(${maxPerDimension}³)`,
    );
  }
  return [x, y, z];
}
