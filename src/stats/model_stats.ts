/**
 * Parameter statistics of a whole model: every float initializer's statistics and histogram in
 * one batched GPU call (see {@linkcode tensorStatsBatch}).
 *
 * @module
 */

import { isFloat } from '../graph/ir.ts';
import type { Model } from '../onnx/model.ts';
import {
  type TensorStatistics,
  tensorStatsBatch,
  type TensorStatsOptions,
} from './tensor_stats.ts';

/** One weight's statistics. */
export interface WeightStatistics extends TensorStatistics {
  /** Initializer name. */
  name: string;
  /** Its shape. */
  shape: number[];
}

/** Options for {@linkcode modelWeightStats}. */
export interface ModelStatsOptions extends TensorStatsOptions {
  /** Only these initializers (default: every float initializer). */
  names?: readonly string[];
}

/** Statistics of the model's float initializers, in file order. */
export async function modelWeightStats(
  model: Model,
  options: ModelStatsOptions = {},
): Promise<WeightStatistics[]> {
  const all = [...model.ir.graph.initializers].filter(([, t]) => isFloat(t.dtype));
  const names = options.names ?? all.map(([name]) => name);
  const tensors = names.map((name) => model.initializerTensor(name));
  const stats = await tensorStatsBatch(model.engine, tensors, options);
  return stats.map((s, i) => ({ name: names[i], shape: [...tensors[i].shape], ...s }));
}
