/**
 * Reverse-mode automatic differentiation over a model's plan: one forward pass that keeps its
 * activations on the GPU, then every GPU step in reverse, each operator's `backward` rule
 * turning the gradients of its outputs into gradients of its inputs. Nothing is read back: the
 * gradients come out as tensors, with respect to inputs, intermediates (layer methods,
 * Grad-CAM, token embeddings) or initializers (weights, for training).
 *
 * @module
 */

import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { NodeError } from '../graph/errors.ts';
import { isFloat } from '../graph/ir.ts';
import type { BackwardContext, BackwardRule } from '../graph/operator.ts';
import type { Plan } from '../graph/plan.ts';
import { checkStackable, chunkFeeds, chunkOf, chunkRanges, stackChunks } from '../onnx/chunks.ts';
import { execute, type InputData, type Model, prepareRun } from '../onnx/model.ts';
import { formatShape, type Tensor } from '../tensor.ts';
import { accumulate, zeros } from './util.ts';

/** Looks up a forward value by tensor name (inputs, intermediates, outputs, constants). */
export type ValueLookup = (name: string) => Tensor;

/** Options for {@linkcode backward}. */
export interface BackwardOptions {
  /**
   * Names of the tensors to differentiate with respect to: float model inputs, intermediates
   * (any tensor a GPU step computes) or initializers that a GPU step reads directly.
   */
  wrt: readonly string[];
  /**
   * The gradient of the objective with respect to computed tensors (usually the logits: a
   * one-hot row per example), given the forward's values. Called once, after the forward; the
   * returned tensors are taken over (destroyed by `backward`).
   */
  seed(value: ValueLookup): Record<string, Tensor>;
  /** Forward tensors to return besides the graph outputs (e.g. a layer's activations). */
  keep?: readonly string[];
  /**
   * Intermediates replaced by given tensors in the forward (their producing nodes are skipped;
   * gradients stop there). Borrowed. Used to integrate along a path in embedding space.
   */
  overrides?: Readonly<Record<string, Tensor>>;
  /** Backward rules by op type that replace the operators' own (guided backprop, LRP). */
  rules?: Readonly<Record<string, BackwardRule>>;
}

/** What {@linkcode backward} returns; the caller owns every tensor in it. */
export interface BackwardResult {
  /** Gradient of the objective with respect to each `wrt` name (zeros when no path leads there). */
  grads: Record<string, Tensor>;
  /** Graph outputs and the `keep` tensors of the forward pass. */
  values: Record<string, Tensor>;
}

/**
 * Runs `model` forward on `inputs` and back from `options.seed`, returning the gradients with
 * respect to `options.wrt`. Everything is recorded into the engine's encoder; read the results
 * to wait for them.
 *
 * @example
 * ```ts ignore
 * const { grads } = backward(model, { input: x }, {
 *   wrt: ['input'],
 *   seed: () => ({ logits: tensor(engine, oneHot, [1, 10]) }),
 * });
 * ```
 * @throws {ArgumentError} for unknown or non-float `wrt` names; {@linkcode NodeError} when a
 *   path to them crosses an operator without a gradient.
 */
export function backward(
  model: Model,
  inputs: Record<string, Tensor | InputData>,
  options: BackwardOptions,
): BackwardResult {
  if (!options || !Array.isArray(options.wrt) || options.wrt.length === 0) {
    throw new ArgumentError('Cannot differentiate: options.wrt must name at least one tensor');
  }
  if (typeof options.seed !== 'function') {
    throw new ArgumentError('Cannot differentiate: options.seed must be a function');
  }
  const { plan, values } = prepareRun(model, inputs);
  const overrides = new Map(Object.entries(options.overrides ?? {}));
  const wrt = new Set(options.wrt);
  try {
    checkNames(model, plan, values, wrt, options.keep ?? []);
    return plan.batch?.mode === 'chunked'
      ? chunkedBackward(model, plan, values, wrt, overrides, options)
      : planBackward(model, plan, values, wrt, overrides, options);
  } finally {
    for (const t of values.values()) t.destroy();
  }
}

/** Checks the `wrt` and `keep` names against the plan. */
function checkNames(
  model: Model,
  plan: Plan,
  values: ReadonlyMap<string, Tensor>,
  wrt: ReadonlySet<string>,
  keep: readonly string[],
): void {
  const initializers = model.ir.graph.initializers;
  const readByGpu = new Set(plan.steps.flatMap((s) => s.node.inputs));
  for (const name of wrt) {
    const t = plan.infos.get(name);
    if (!t) {
      throw new ArgumentError(`Cannot differentiate with respect to '${name}': no such tensor`);
    }
    if (!isFloat(t.dtype)) {
      throw new ArgumentError(
        `Cannot differentiate with respect to '${name}': it is ${t.dtype}, not a float tensor`,
      );
    }
    if (plan.known.has(name) && !values.has(name)) {
      if (!initializers.has(name)) {
        throw new ArgumentError(
          `Cannot differentiate with respect to '${name}': it is a constant folded at load time`,
        );
      }
      if (!readByGpu.has(name)) {
        throw new ArgumentError(
          `Cannot differentiate with respect to initializer '${name}': it reaches the GPU only ` +
            'through nodes folded at load time (e.g. a Transpose of the weight)',
        );
      }
    }
    checkStackable(plan, name, 'differentiate with respect to');
  }
  for (const name of keep) {
    if (!plan.infos.has(name)) throw new ArgumentError(`Cannot keep '${name}': no such tensor`);
    checkStackable(plan, name, 'keep');
  }
}

/** Checks the seeds' shapes against the plan (taking them over: destroyed on failure). */
function checkSeeds(plan: Plan, seeds: Record<string, Tensor>): Map<string, Tensor> {
  for (const [name, g] of Object.entries(seeds)) {
    const want = plan.infos.get(name);
    if (!want || g.shape.join() !== want.shape.join() || g.dtype !== 'f32') {
      for (const s of Object.values(seeds)) s.destroy();
      throw new ShapeError(
        `Cannot differentiate: the seed for '${name}' must be f32 ` +
          `${want ? formatShape(want.shape) : '(no such tensor)'}, got ${g}`,
      );
    }
    if (plan.batch?.mode === 'chunked' && !plan.batch.stackable.has(name)) {
      for (const s of Object.values(seeds)) s.destroy();
      checkStackable(plan, name, 'seed');
      throw new ArgumentError(`Cannot seed '${name}': it does not depend on the batched inputs`);
    }
  }
  return new Map(Object.entries(seeds));
}

/** Backward over one plan run as a whole. */
function planBackward(
  model: Model,
  plan: Plan,
  values: Map<string, Tensor>,
  wrt: ReadonlySet<string>,
  overrides: ReadonlyMap<string, Tensor>,
  options: BackwardOptions,
): BackwardResult {
  execute(model, plan, values, { keep: () => true, overrides });
  const valueOf = lookup(model, plan, values);
  const grads = reverse(
    model,
    plan,
    valueOf,
    checkSeeds(plan, options.seed(valueOf)),
    wrt,
    overrides,
    options.rules,
  );
  return collect(model, plan, grads, wrt, options.keep ?? [], valueOf);
}

/**
 * Backward over a chunked plan (a fixed-batch model given another batch): every chunk runs
 * forward, the seed sees the stacked values, then every chunk runs backward with its rows of
 * the seed (padding rows seeded with zeros). Gradients stack along the batch, or sum over the
 * chunks for initializers. All recorded into one encoder; nothing is read back.
 */
function chunkedBackward(
  model: Model,
  plan: Plan,
  values: ReadonlyMap<string, Tensor>,
  wrt: ReadonlySet<string>,
  overrides: ReadonlyMap<string, Tensor>,
  options: BackwardOptions,
): BackwardResult {
  const batch = plan.batch!;
  const base = batch.base;
  const engine = model.engine;
  const ranges = chunkRanges(batch);
  const chunks: { values: Map<string, Tensor>; overrides: Map<string, Tensor> }[] = [];
  const stacked = new Map<string, Tensor>();
  const partial = new Map<string, Tensor[]>();
  for (const name of overrides.keys()) checkStackable(plan, name, 'override');
  try {
    for (const range of ranges) {
      const chunk = chunkFeeds(batch, range, values, overrides);
      chunks.push(chunk);
      execute(model, base, chunk.values, { keep: () => true, overrides: chunk.overrides });
    }
    // The stacked forward value of a tensor, made once on demand.
    const valueOf: ValueLookup = (name) => {
      let t = stacked.get(name);
      if (t) return t;
      if (!batch.batched.has(name)) return lookup(model, base, chunks[0].values)(name);
      checkStackable(plan, name, 'read');
      t = stackChunks(batch, name, chunks.map((c) => lookup(model, base, c.values)(name)));
      stacked.set(name, t);
      return t;
    };
    const seeds = checkSeeds(plan, options.seed(valueOf));
    try {
      ranges.forEach((range, c) => {
        const chunkSeeds = new Map<string, Tensor>();
        for (const [name, g] of seeds) chunkSeeds.set(name, chunkOf(batch, g, range, 'zero'));
        const grads = reverse(
          model,
          base,
          lookup(model, base, chunks[c].values),
          chunkSeeds,
          wrt,
          chunks[c].overrides,
          options.rules,
        );
        for (const [name, g] of grads) {
          (partial.get(name) ?? partial.set(name, []).get(name)!).push(g);
        }
      });
    } finally {
      for (const g of seeds.values()) g.destroy();
    }
    const grads = new Map<string, Tensor>();
    for (const [name, parts] of partial) {
      if (batch.stackable.has(name)) {
        grads.set(name, stackChunks(batch, name, parts));
      } else {
        // Initializers (weights) are shared by the chunks: their gradients add up.
        let sum: Tensor | undefined;
        for (const g of parts) sum = accumulate(engine, sum, g.reshape(g.shape));
        grads.set(name, sum!);
      }
    }
    return collect(model, plan, grads, wrt, options.keep ?? [], valueOf);
  } finally {
    for (const parts of partial.values()) for (const g of parts) g.destroy();
    for (const t of stacked.values()) t.destroy();
    for (const c of chunks) {
      for (const t of c.values.values()) t.destroy();
      for (const t of c.overrides.values()) t.destroy();
    }
  }
}

/** A value lookup over a plan's computed values and its constants. */
function lookup(model: Model, plan: Plan, values: ReadonlyMap<string, Tensor>): ValueLookup {
  return (name) => {
    const t = values.get(name);
    if (t) return t;
    if (plan.known.has(name)) return model.constantTensor(plan, name);
    throw new ArgumentError(`No forward value named '${name}'`);
  };
}

/** The result: gradients for every `wrt` name (zeros where none flowed) and the kept values. */
function collect(
  model: Model,
  plan: Plan,
  grads: Map<string, Tensor>,
  wrt: ReadonlySet<string>,
  keep: readonly string[],
  valueOf: ValueLookup,
): BackwardResult {
  const returned = new Set<Tensor>();
  try {
    const result: BackwardResult = { grads: {}, values: {} };
    for (const name of wrt) {
      const g = grads.get(name) ?? zeros(model.engine, plan.infos.get(name)!.shape);
      grads.delete(name);
      result.grads[name] = g;
      returned.add(g);
    }
    for (const name of [...plan.outputs, ...keep]) {
      const t = valueOf(name).reshape(valueOf(name).shape);
      result.values[name] = t;
      returned.add(t);
    }
    return result;
  } catch (error) {
    for (const t of returned) t.destroy();
    throw error;
  } finally {
    for (const t of grads.values()) t.destroy();
  }
}

/**
 * Every GPU step of `plan` in reverse, from `seeds` (taken over) back to the `wrt` tensors.
 * Returns the gradients that reached a `wrt` tensor; the caller owns them.
 */
function reverse(
  model: Model,
  plan: Plan,
  valueOf: ValueLookup,
  seeds: Map<string, Tensor>,
  wrt: ReadonlySet<string>,
  overrides: ReadonlyMap<string, Tensor>,
  rules: BackwardOptions['rules'],
): Map<string, Tensor> {
  const engine = model.engine;
  const grads = new Map<string, Tensor>();
  try {
    // Tensors that depend on a `wrt` tensor: only they need gradients. Integers carry none,
    // except quantized ones: the outputs of straight-through operators and what is computed
    // from them (see OperatorDef.straightThrough).
    const reach = new Set(wrt);
    for (const step of plan.steps) {
      if (step.node.outputs.some((n) => overrides.has(n))) continue;
      const reached = step.node.inputs.map((n) => reach.has(n));
      if (reached.some(Boolean)) {
        const quantized = step.def.straightThrough ||
          reached.some((r, k) => r && !isFloat(step.infos[k]!.dtype));
        step.node.outputs.forEach((n, i) => {
          if (n && (quantized || isFloat(step.outputs[i].dtype))) reach.add(n);
        });
      }
    }

    for (const [name, g] of seeds) {
      seeds.delete(name);
      grads.set(name, accumulate(engine, grads.get(name), g));
    }

    for (let index = plan.steps.length - 1; index >= 0; index--) {
      const step = plan.steps[index];
      const { node } = step;
      if (node.outputs.some((n) => overrides.has(n))) continue;
      const outGrads = node.outputs.map((n) => (n ? grads.get(n) : undefined));
      if (outGrads.every((g) => !g)) continue;
      const needs = node.inputs.map((n, k) =>
        n !== '' && reach.has(n) && step.infos[k] !== undefined
      );
      let inGrads: (Tensor | undefined)[] = [];
      if (needs.some(Boolean)) {
        const rule = rules?.[node.op] ??
          (step.def.backward ? (c: BackwardContext) => step.def.backward!(c) : undefined);
        if (!rule) {
          throw new NodeError(
            `Cannot differentiate through ${node.op} node '${node.name}': glassbox has no ` +
              `gradient for ${node.op}`,
          );
        }
        const ctx: BackwardContext = {
          node,
          opset: model.ir.opset,
          infos: step.infos,
          values: step.values,
          runSubgraph: () => {
            throw new NodeError(`Internal error: ${node.op} has no GPU subgraph support`);
          },
          engine,
          inputs: node.inputs.map((n, i) =>
            !n || (step.def.cpuInputs?.includes(i) && plan.known.has(n)) ? undefined : valueOf(n)
          ),
          outputs: step.outputs,
          results: node.outputs.map((n) => (n ? valueOf(n) : undefined)),
          grads: outGrads,
          needs,
        };
        inGrads = rule(ctx);
      }
      for (const n of node.outputs) {
        if (n && !wrt.has(n) && grads.has(n)) {
          grads.get(n)!.destroy();
          grads.delete(n);
        }
      }
      node.inputs.forEach((n, k) => {
        const g = inGrads[k];
        if (!g) return;
        if (!needs[k]) return g.destroy();
        const want = step.infos[k]!;
        // Gradients are f32, also those of quantized integers.
        if (g.shape.join() !== want.shape.join() || g.dtype !== 'f32') {
          g.destroy();
          throw new NodeError(
            `Internal error: the gradient of ${node.op} node '${node.name}' for input '${n}' is ` +
              `${g}, expected f32 ${formatShape(want.shape)}`,
          );
        }
        grads.set(n, accumulate(engine, grads.get(n), g));
      });
    }

    const out = new Map<string, Tensor>();
    for (const name of wrt) {
      const g = grads.get(name);
      if (g) {
        out.set(name, g);
        grads.delete(name);
      }
    }
    return out;
  } finally {
    for (const t of grads.values()) t.destroy();
    for (const t of seeds.values()) t.destroy();
  }
}
