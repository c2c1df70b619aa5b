/**
 * Every ONNX operator glassbox implements, by op type (default domain).
 *
 * @module
 */

import type { OperatorDef } from '../graph/operator.ts';
import { CONTROL_OPS } from './ops/control.ts';
import { ELEMENTWISE_OPS } from './ops/elementwise.ts';
import { NN_OPS } from './ops/nn.ts';
import { SHAPE_OPS } from './ops/shape.ts';

/** The operator registry. */
export const ONNX_OPERATORS: ReadonlyMap<string, OperatorDef> = new Map(
  Object.entries({ ...SHAPE_OPS, ...ELEMENTWISE_OPS, ...NN_OPS, ...CONTROL_OPS }),
);

/** Names of the supported operators, sorted. */
export function supportedOperators(): string[] {
  return [...ONNX_OPERATORS.keys()].sort();
}
