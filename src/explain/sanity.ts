/**
 * The model-randomization sanity check (Adebayo et al. 2018): re-initialize the model's layers
 * one after another from the output down ("cascading"), recompute the attribution after each,
 * and measure how similar it stays to the original by Spearman rank correlation (of the signed
 * map and of its absolute value). A method that explains the model must decorrelate as its
 * weights are destroyed; one that stays similar is showing the input, not the model.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import type { CpuTensor, ModelIR } from '../graph/ir.ts';
import { type InputData, Model } from '../onnx/model.ts';
import { normalSampler } from './baseline.ts';
import { explain, type ExplainOptions } from './explain.ts';
import { spearman } from './metrics.ts';

/** A layer with parameters: its node and the initializers it reads. */
export interface ParameterLayer {
  /** Node name. */
  node: string;
  /** Op type. */
  op: string;
  /** Float initializers the node reads (weights, biases). */
  parameters: string[];
}

/** One step of the cascade. */
export interface SanityStep {
  /** The layer randomized at this step (all layers above it are randomized too). */
  layer: string;
  /** Spearman correlation of the signed maps. */
  spearman: number;
  /** Spearman correlation of the absolute maps. */
  spearmanAbs: number;
}

/** The result of {@linkcode sanityCheck}. */
export interface SanityResult {
  /** The target explained (fixed across the cascade). */
  target: number;
  /** Layers from the output down, with the correlation after randomizing up to each. */
  steps: SanityStep[];
  /** The original map. */
  original: Float32Array;
}

/** Layers with float parameters, from the output down (reverse execution order). */
export function parameterLayers(model: Model): ParameterLayer[] {
  const init = model.ir.graph.initializers;
  const plan = model.plan(model.defaultInputs());
  const layers: ParameterLayer[] = [];
  for (const step of plan.steps) {
    const parameters = step.node.inputs.filter((n) => {
      const t = init.get(n);
      return t !== undefined && t.dtype.startsWith('float') && t.data.length > 1;
    });
    if (parameters.length > 0) {
      layers.push({ node: step.node.name, op: step.node.op, parameters });
    }
  }
  return layers.reverse();
}

/** A copy of the IR with some initializers replaced. */
function withInitializers(ir: ModelIR, replaced: ReadonlyMap<string, CpuTensor>): ModelIR {
  const initializers = new Map(ir.graph.initializers);
  for (const [name, t] of replaced) initializers.set(name, t);
  return { ...ir, graph: { ...ir.graph, initializers } };
}

/** Gaussian re-initialization with the original tensor's standard deviation. */
function randomLike(t: CpuTensor, seed: number): CpuTensor {
  let mean = 0;
  for (const v of t.data) mean += v;
  mean /= t.data.length;
  let variance = 0;
  for (const v of t.data) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / t.data.length) || 0.01;
  const normal = normalSampler(seed);
  return { ...t, data: Float32Array.from(t.data, () => std * normal()) };
}

/**
 * Cascading randomization for one example (`input` with batch 1) and `options.method`.
 * `layers` limits the cascade to some nodes (default: every layer with parameters). The cascade
 * stops between layers when `options.signal` aborts.
 *
 * @throws {ArgumentError} for a batch other than one example or an unknown layer; what
 *   {@linkcode explain} throws for the options.
 */
export async function sanityCheck(
  model: Model,
  input: InputData,
  options: ExplainOptions & { layers?: readonly string[]; seed?: number },
): Promise<SanityResult> {
  if (!input || typeof input !== 'object' || !Array.isArray(input.shape)) {
    throw new ArgumentError('Cannot run the sanity check: input must be { data, shape }');
  }
  if (input.shape[0] !== 1) {
    throw new ArgumentError(
      `Cannot run the sanity check: give one example, got a batch of ${input.shape[0]}`,
    );
  }
  const all = parameterLayers(model);
  if (options.layers !== undefined) {
    const known = new Set(all.map((l) => l.node));
    const unknown = Array.isArray(options.layers)
      ? options.layers.filter((l) => !known.has(l))
      : [String(options.layers)];
    if (unknown.length > 0) {
      throw new ArgumentError(
        `Cannot run the sanity check: ${unknown.map((l) => `'${l}'`).join(', ')} ` +
          `${unknown.length > 1 ? 'are not layers' : 'is not a layer'} with parameters ` +
          `(layers: ${[...known].join(', ')})`,
      );
    }
  }
  const layers = options.layers ? all.filter((l) => options.layers!.includes(l.node)) : all;
  if (layers.length === 0) {
    throw new ArgumentError('Cannot run the sanity check: no layer with parameters');
  }
  const first = await explain(model, input, options);
  const original = await first.attribution.readFloat32();
  first.attribution.destroy();
  const target = first.targets[0];
  const abs = (a: Float32Array) => Float32Array.from(a, Math.abs);
  const replaced = new Map<string, CpuTensor>();
  const steps: SanityStep[] = [];
  let seed = options.seed ?? 0;
  for (const layer of layers) {
    // Each step is a whole explanation: stop between them when asked.
    options.signal?.throwIfAborted();
    for (const name of layer.parameters) {
      replaced.set(name, randomLike(model.ir.graph.initializers.get(name)!, ++seed));
    }
    using randomized = new Model(model.engine, withInitializers(model.ir, replaced));
    const e = await explain(randomized, input, { ...options, target });
    const a = await e.attribution.readFloat32();
    e.attribution.destroy();
    steps.push({
      layer: layer.node,
      spearman: spearman(original, a),
      spearmanAbs: spearman(abs(original), abs(a)),
    });
  }
  return { target, steps, original };
}
