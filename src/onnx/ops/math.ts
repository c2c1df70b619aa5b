/**
 * ONNX elementwise math and selection operators: activations (PRelu, Selu, Celu, Mish, Softsign,
 * ThresholdedRelu), trigonometric and hyperbolic functions, Mod, IsNaN/IsInf, the remaining
 * reductions (Min, Prod, L1, L2, LogSumExp, SumSquare), ArgMax/ArgMin, TopK and Hardmax.
 *
 * @module
 */

import type { OperatorDef } from '../../graph/operator.ts';

/** The math operators by name. */
export const MATH_OPS: Record<string, OperatorDef> = {};
