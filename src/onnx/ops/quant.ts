/**
 * ONNX quantization operators (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
 * MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv).
 *
 * @module
 */

import type { OperatorDef } from '../../graph/operator.ts';

/** The quantization operators by name. */
export const QUANT_OPS: Record<string, OperatorDef> = {};
