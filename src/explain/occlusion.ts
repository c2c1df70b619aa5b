/**
 * Occlusion (Zeiler & Fergus 2014): slide a window over the input's spatial axes (all
 * channels at once), replace what it covers by a fill value, and credit each covered position
 * with the drop of the target's output, averaged over the windows that cover it. For token
 * inputs the window covers tokens, replaced by a fill token id. All windows run as batched
 * forwards; the credit is accumulated by matrix products on the GPU.
 *
 * Window starts are 0, s, 2s, … along each axis. When the stride s does not divide
 * (size − window), the last full window leaves a border strip; by default (`border: 'clip'`, as
 * Captum's `Occlusion`) one more window starts at the next multiple of s and is clipped at the
 * border, so every position is covered. `border: 'skip'` keeps only full windows: the strip is
 * covered by fewer windows or none (attribution 0 there).
 *
 * Which axes are spatial: an input [N, C, ...spatial] (rank ≥ 3) slides over its spatial axes with
 * the channels whole; [N, F] (tabular rows, token ids) slides over F.
 *
 * @module
 */

import { ArgumentError, LimitExceededError } from '../gpu/errors.ts';
import { accumulate } from '../grad/util.ts';
import { run } from '../onnx/model.ts';
import { binary } from '../ops/binary.ts';
import { concat } from '../ops/concat.ts';
import { expand } from '../ops/expand.ts';
import { matmul } from '../ops/matmul.ts';
import { sizeOf, type Tensor, tensor } from '../tensor.ts';
import { MAX_WINDOWS } from './limits.ts';
import type { Progress } from './progress.ts';
import {
  rowOf,
  selectTargets,
  siteOutputs,
  type Subject,
  subjectPlan,
  tiledRow,
} from './subject.ts';

/** Options of {@linkcode occlusion}. */
export interface OcclusionOptions {
  /** Window size per spatial axis (one number for all; default ≈ a seventh of each axis). */
  window?: number | readonly number[];
  /** Stride per spatial axis (default: the window, no overlap). */
  stride?: number | readonly number[];
  /** Value that replaces occluded inputs (token inputs: a token id; default 0). */
  fill?: number;
  /**
   * When the stride does not divide (size − window): `clip` (default, Captum's) adds a last
   * window clipped at the border; `skip` leaves the border strip with fewer windows or none.
   */
  border?: OcclusionBorder;
}

/** How occlusion treats the strip a stride leaves at the border. */
export type OcclusionBorder = 'clip' | 'skip';

/** The occlusion geometry of an input row shape. */
export interface OcclusionPlan {
  /** Axes of the row shape the window slides along. */
  axes: number[];
  /** Their sizes. */
  dims: number[];
  /** Window size per axis. */
  window: number[];
  /** Stride per axis. */
  stride: number[];
  /** How the border strip is treated. */
  border: OcclusionBorder;
  /** Window start coordinates (a clipped window's may leave less than a window before the end). */
  starts: number[][];
  /** Windows covering each spatial position. */
  counts: Float64Array;
}

function perAxis(
  v: number | readonly number[] | undefined,
  n: number,
  what: string,
): number[] | undefined {
  if (v === undefined) return undefined;
  const list = typeof v === 'number' ? new Array(n).fill(v) : Array.isArray(v) ? [...v] : [];
  if (list.length !== n || list.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ArgumentError(
      `Cannot run occlusion: ${what} must be a positive integer or ${n} of them, got ${
        JSON.stringify(v)
      }`,
    );
  }
  return list;
}

/**
 * Resolves windows over a row shape ([1, C, ...spatial] or [1, F] / [1, T]).
 *
 * @throws {ArgumentError} for a row without features, windows larger than their axis, bad
 *   strides or an unknown border mode; {@linkcode LimitExceededError} for more than
 *   {@linkcode MAX_WINDOWS} windows.
 */
export function planOcclusion(
  rowShape: readonly number[],
  options: OcclusionOptions,
): OcclusionPlan {
  if (rowShape.length < 2 || sizeOf(rowShape) === 0) {
    throw new ArgumentError(
      `Cannot run occlusion: an example of shape [${rowShape.slice(1)}] has no axis to slide a ` +
        'window along; it needs [N, F] features or tokens, or an [N, C, ...spatial] image',
    );
  }
  const border = options.border ?? 'clip';
  if (border !== 'clip' && border !== 'skip') {
    throw new ArgumentError(
      `Cannot run occlusion: border must be 'clip' or 'skip', got '${border}'`,
    );
  }
  const axes = rowShape.length >= 3 ? rowShape.slice(2).map((_, i) => i + 2) : [1];
  const dims = axes.map((a) => rowShape[a]);
  const window = perAxis(options.window, axes.length, 'window') ??
    dims.map((d) => Math.max(1, Math.round(d / 7)));
  const stride = perAxis(options.stride, axes.length, 'stride') ?? window;
  window.forEach((w, i) => {
    if (w > dims[i]) {
      throw new ArgumentError(
        `Cannot run occlusion: the window ${w} is larger than axis ${axes[i]} (${dims[i]})`,
      );
    }
  });
  const perAxisCounts = dims.map((d, i) =>
    // Captum's shift count: ⌈(d − w) / s⌉ + 1 windows, the last clipped at the border.
    border === 'clip'
      ? Math.ceil((d - window[i]) / stride[i]) + 1
      : Math.floor((d - window[i]) / stride[i]) + 1
  );
  const total = perAxisCounts.reduce((a, b) => a * b, 1);
  if (total > MAX_WINDOWS) {
    throw new LimitExceededError(
      `Cannot run occlusion: window [${window}] and stride [${stride}] over [${dims}] make ` +
        `${total} windows per example, over the limit of ${MAX_WINDOWS}; use a larger stride`,
    );
  }
  const perAxisStarts = perAxisCounts.map((count, i) =>
    Array.from({ length: count }, (_, k) => k * stride[i])
  );
  let starts: number[][] = [[]];
  for (const list of perAxisStarts) starts = starts.flatMap((p) => list.map((s) => [...p, s]));
  // The windows are a product of per-axis starts, so a position's cover count is the product of
  // its per-axis counts: O(positions), not O(windows × window size).
  const axisCover = dims.map((d, i) => {
    const c = new Float64Array(d);
    for (const s of perAxisStarts[i]) {
      for (let k = s; k < Math.min(d, s + window[i]); k++) c[k]++;
    }
    return c;
  });
  const counts = new Float64Array(sizeOf(dims)).fill(1);
  let inner = counts.length;
  axisCover.forEach((c, i) => {
    inner /= dims[i];
    for (let o = 0; o < counts.length; o++) counts[o] *= c[Math.floor(o / inner) % dims[i]];
  });
  return { axes, dims, window, stride, border, starts, counts };
}

/**
 * Calls `fn` with the offset (in the spatial plane) of every position a window covers (a window
 * that starts less than its size before the end is clipped there).
 */
export function forEachCovered(
  plan: OcclusionPlan,
  start: readonly number[],
  fn: (offset: number) => void,
): void {
  const { dims, window } = plan;
  const strides = dims.map((_, i) => sizeOf(dims.slice(i + 1)));
  const rec = (axis: number, offset: number) => {
    if (axis === dims.length) return fn(offset);
    for (let k = 0; k < window[axis] && start[axis] + k < dims[axis]; k++) {
      rec(axis + 1, offset + (start[axis] + k) * strides[axis]);
    }
  };
  rec(0, 0);
}

/** Occlusion maps with the explained input's shape [batch, ...]. */
export async function occlusion(
  subject: Subject,
  targets: readonly number[],
  options: OcclusionOptions,
  chunk: number,
  progress: Progress,
): Promise<Tensor> {
  const engine = subject.model.engine;
  const rowShape = subject.inputRowShape;
  const plan = planOcclusion(rowShape, options);
  const fill = options.fill ?? 0;
  if (!Number.isFinite(fill) || (subject.embedding && !Number.isInteger(fill))) {
    throw new ArgumentError(
      `Cannot run occlusion: fill must be ${
        subject.embedding ? 'a token id' : 'a finite number'
      }, got ${fill}`,
    );
  }
  if (subject.embedding) {
    const gather = subjectPlan(subject).steps.find((s) => s.node.outputs[0] === subject.site);
    const vocabulary = gather?.infos[0]?.shape[0];
    if (vocabulary !== undefined && (fill < 0 || fill >= vocabulary)) {
      throw new ArgumentError(
        `Cannot run occlusion: fill token ${fill} is outside the embedding table of ` +
          `${vocabulary} rows (0..${vocabulary - 1}); pass a padding or unknown-token id`,
      );
    }
  }
  const plane = sizeOf(plan.dims);
  const windows = plan.starts.length;
  // Mask shape: the row with its channel axis (if any) of 1.
  const maskRow = rowShape.length >= 3 ? [1, ...plan.dims] : [plan.dims[0]];
  const inv = Float32Array.from(plan.counts, (c) => (c > 0 ? 1 / c : 0));
  const rows: Tensor[] = [];
  try {
    for (let b = 0; b < subject.batch; b++) {
      const target = targets[b];
      using x = tiledRow(subject, subject.inputName, b, 1);
      using out0 = subject.embedding ? tokenOutputs(subject, b, x) : siteOutputs(subject, b, x);
      using fx = selectTargets(subject, out0, target);
      let acc: Tensor | undefined;
      try {
        for (let start = 0; start < windows; start += chunk) {
          const count = Math.min(chunk, windows - start);
          const mask = new Float32Array(count * plane);
          for (let k = 0; k < count; k++) {
            forEachCovered(plan, plan.starts[start + k], (o) => (mask[k * plane + o] = 1));
          }
          let out: Tensor;
          if (subject.embedding) {
            const ids = Int32Array.from(
              rowOf(subject.feeds[subject.inputName], b).data as ArrayLike<number | bigint>,
              Number,
            );
            const occluded = new Int32Array(count * ids.length);
            for (let k = 0; k < count; k++) {
              for (let i = 0; i < ids.length; i++) {
                occluded[k * ids.length + i] = mask[k * plane + i] ? fill : ids[i];
              }
            }
            using t = tensor(engine, occluded, [count, ...rowShape.slice(1)], { dtype: 'i32' });
            out = tokenOutputs(subject, b, t);
          } else {
            const keep = Float32Array.from(mask, (m) => 1 - m);
            const filled = Float32Array.from(mask, (m) => m * fill);
            using k = tensor(engine, keep, [count, ...maskRow]);
            using f = tensor(engine, filled, [count, ...maskRow]);
            using kept = binary(engine, 'mul', x, k);
            using occluded = binary(engine, 'add', kept, f);
            out = siteOutputs(subject, b, occluded);
          }
          using o = out;
          using picked = selectTargets(subject, o, target);
          using drop = binary(engine, 'sub', fx, picked);
          using m = tensor(engine, mask, [count, plane]);
          acc = accumulate(engine, acc, matmul(engine, drop, m, { transposeA: true }));
          await progress.tick(count);
        }
        using w = tensor(engine, inv, [1, plane]);
        using averaged = binary(engine, 'mul', acc!, w);
        using shaped = averaged.reshape([1, ...maskRow]);
        rows.push(expand(engine, shaped, rowShape));
      } finally {
        acc?.destroy();
      }
    }
    return rows.length === 1 ? rows[0].reshape(rows[0].shape) : concat(engine, rows, { axis: 0 });
  } finally {
    for (const t of rows) t.destroy();
  }
}

/** Outputs for token-id rows of example `b` (other inputs repeated). */
function tokenOutputs(subject: Subject, b: number, ids: Tensor): Tensor {
  const count = ids.shape[0];
  const feeds: Record<string, Tensor> = {};
  try {
    for (const name of Object.keys(subject.feeds)) {
      feeds[name] = name === subject.inputName
        ? ids.reshape(ids.shape)
        : tiledRow(subject, name, b, count);
    }
    const result = run(subject.model, feeds);
    for (const [name, t] of Object.entries(result.outputs)) {
      if (name !== subject.outputName) t.destroy();
    }
    return result.outputs[subject.outputName];
  } finally {
    for (const t of Object.values(feeds)) t.destroy();
  }
}
