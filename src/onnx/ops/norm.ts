/**
 * ONNX normalization and resampling operators: InstanceNormalization, GroupNormalization,
 * LpNormalization, LRN, MeanVarianceNormalization, Resize and Upsample.
 *
 * @module
 */

import type { OperatorDef } from '../../graph/operator.ts';

/** The normalization and resampling operators by name. */
export const NORM_OPS: Record<string, OperatorDef> = {};
