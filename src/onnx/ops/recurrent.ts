/**
 * ONNX recurrent layers: RNN, GRU and LSTM, forward and backward.
 *
 * @module
 */

import type { OperatorDef } from '../../graph/operator.ts';

/** The recurrent operators by name. */
export const RECURRENT_OPS: Record<string, OperatorDef> = {};
