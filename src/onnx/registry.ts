/**
 * Every ONNX operator glassbox implements, by op type (default domain).
 *
 * @module
 */

import type { OperatorDef } from '../graph/operator.ts';
import { CONTROL_OPS } from './ops/control.ts';
import { DATA_OPS } from './ops/data.ts';
import { ELEMENTWISE_OPS } from './ops/elementwise.ts';
import { MATH_OPS } from './ops/math.ts';
import { NN_OPS } from './ops/nn.ts';
import { NORM_OPS } from './ops/norm.ts';
import { QUANT_OPS } from './ops/quant.ts';
import { RECURRENT_OPS } from './ops/recurrent.ts';
import { SHAPE_OPS } from './ops/shape.ts';

/** The operator registry. */
export const ONNX_OPERATORS: ReadonlyMap<string, OperatorDef> = new Map(
  Object.entries({
    ...SHAPE_OPS,
    ...ELEMENTWISE_OPS,
    ...NN_OPS,
    ...CONTROL_OPS,
    ...DATA_OPS,
    ...MATH_OPS,
    ...NORM_OPS,
    ...RECURRENT_OPS,
    ...QUANT_OPS,
  }),
);

/** Names of the supported operators, sorted. */
export function supportedOperators(): string[] {
  return [...ONNX_OPERATORS.keys()].sort();
}
