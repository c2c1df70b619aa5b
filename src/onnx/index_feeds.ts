/**
 * Index checks on the host for indices the caller feeds as host data: each input that an
 * indexing node (Gather — embedding lookups —, GatherElements, ScatterElements, Scatter,
 * GatherND, ScatterND) reads directly as its indices is checked against the axis it indexes
 * before anything is recorded, so that the run throws at once. Indices computed by the model, or
 * fed as GPU tensors, are checked on the GPU by the kernels (`src/ops/index_check.ts`) and
 * reported by the next readback; both raise the same {@linkcode IndexError}.
 *
 * @module
 */

import type { Plan } from '../graph/plan.ts';
import { validateIndexValues } from '../ops/index_check.ts';
import type { Tensor } from '../tensor.ts';
import type { InputData } from './model.ts';
import { indexOperand } from './ops/data.ts';

/**
 * Checks the host-data feeds that `plan`'s indexing nodes read as indices (ONNX allows
 * `[−len, len − 1]` for an axis of length len). Feeds given as tensors are left to the GPU check.
 *
 * @example
 * ```ts ignore
 * const { plan } = prepareRun(model, feeds); // or model.plan(types)
 * validateIndexFeeds(plan, feeds); // IndexError for token id 2002 of a 2002-word vocabulary
 * ```
 * @throws {IndexError} naming the node, the input, the element, the index and the valid range.
 */
export function validateIndexFeeds(
  plan: Plan,
  feeds: Readonly<Record<string, Tensor | InputData>>,
): void {
  for (const step of plan.steps) {
    const operand = indexOperand(step);
    if (!operand) continue;
    const name = step.node.inputs[operand.input];
    const feed = Object.hasOwn(feeds, name) ? feeds[name] : undefined;
    if (!feed || !('data' in feed) || 'buffer' in feed) continue;
    validateIndexValues(feed.data, feed.shape, operand.ranges, {
      caller: operand.caller,
      indicesName: name,
    });
  }
}
