/**
 * ONNX data-movement operators: padding, tiling, depth/space rearrangement, triangular masks,
 * element and slice gathers and scatters, one-hot, non-zero, cumulative sums and Einsum.
 *
 * @module
 */

import type { OperatorDef } from '../../graph/operator.ts';

/** The data-movement operators by name. */
export const DATA_OPS: Record<string, OperatorDef> = {};
