/**
 * Custom backward rules that turn the gradient pass into other attribution methods:
 * guided backpropagation (Springenberg et al. 2015: ReLUs pass only positive gradients) and
 * layer-wise relevance propagation (Bach et al. 2015) with the ε and z⁺ rules for dense
 * (Gemm, MatMul with a weight) and convolution layers. In an LRP pass the "gradient" slot
 * carries relevance: activations pass it unchanged, max pooling routes it to the window's
 * maximum, reshapes move it, each linear layer redistributes it in proportion to its inputs'
 * contributions, and average pooling — a linear layer too — shares it in proportion to the
 * averaged values (Rᵢ = xᵢ / Σx · R, with the ε stabilizer), as Captum's LRP does.
 *
 * A linear map whose bias is a separate node — `nn.Linear` on a 3-D tensor exports as MatMul then
 * Add, a bias-free Conv may be followed by an Add — is one layer: the bias add is found in the
 * graph (an Add of a constant that broadcasts along the layer's output features only, the
 * layer's only consumer) and the ε rule's z includes it, as it does for Gemm and Conv's own bias.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import type { BackwardContext, BackwardRule, OperatorDef } from '../graph/operator.ts';
import type { Plan } from '../graph/plan.ts';
import { outputGrad } from '../grad/util.ts';
import { ONNX_OPERATORS } from '../onnx/registry.ts';
import { binary } from '../ops/binary.ts';
import { cast } from '../ops/cast.ts';
import { compare } from '../ops/compare.ts';
import { unary } from '../ops/unary.ts';
import { unaryBackward } from '../ops/unary_backward.ts';
import { type Tensor, tensor } from '../tensor.ts';

/** Guided backpropagation: a ReLU's backward keeps the gradient where x > 0 and it is > 0. */
export const GUIDED_BACKPROP_RULES: Readonly<Record<string, BackwardRule>> = Object.freeze({
  Relu(ctx: BackwardContext) {
    using g = outputGrad(ctx);
    using positive = unary(ctx.engine, 'relu', g);
    return [unaryBackward(ctx.engine, 'relu', ctx.inputs[0]!, positive)];
  },
});

/** Which LRP rule the linear layers use. */
export type LrpRule = 'epsilon' | 'zplus' | 'epsilon-plus';

/** Options of {@linkcode lrpRules}. */
export interface LrpOptions {
  /**
   * `epsilon`: the ε rule everywhere; `zplus`: the z⁺ rule everywhere; `epsilon-plus`: z⁺ for
   * convolutions and ε for dense layers (Kohlbrenner et al. 2020's recommendation). Default
   * `epsilon`.
   */
  rule?: LrpRule;
  /** The ε of the ε rule (default 1e-6, Zennit's; Captum's is 1e-9). */
  epsilon?: number;
  /**
   * The graph the rules will run on: with it, a MatMul or Conv whose bias is a separate Add
   * counts that bias in the ε rule's z. Without it every node stands alone.
   */
  graph?: LrpGraph;
}

/** What the LRP rules need to know about the graph beyond one node. */
export interface LrpGraph {
  /** The plan the backward pass runs. */
  plan: Plan;
  /** The GPU tensor of a constant of the plan (borrowed). */
  constant(name: string): Tensor;
}

/** Where a layer's bias is added by a separate node: layer output → bias constant name. */
export function separateBiases(plan: Plan): Map<string, string> {
  const consumers = new Map<string, number>();
  for (const step of plan.steps) {
    for (const name of step.node.inputs) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  }
  const producers = new Map(plan.steps.flatMap((s) => s.node.outputs.map((o) => [o, s] as const)));
  const found = new Map<string, string>();
  for (const step of plan.steps) {
    if (step.node.op !== 'Add' || step.node.inputs.length !== 2) continue;
    const [a, b] = step.node.inputs;
    const constant = plan.known.has(a) ? a : plan.known.has(b) ? b : undefined;
    const linear = constant === a ? b : a;
    if (!constant || plan.known.has(linear)) continue;
    const layer = producers.get(linear);
    if (!layer || consumers.get(linear) !== 1 || plan.outputs.includes(linear)) continue;
    const op = layer.node.op;
    const weighted = op === 'Conv' || op === 'Gemm' ||
      (op === 'MatMul' && plan.known.has(layer.node.inputs[1]));
    if (!weighted) continue;
    const out = plan.infos.get(linear)!.shape;
    const bias = plan.infos.get(constant)!.shape;
    const featureAxis = op === 'Conv' ? 1 : out.length - 1;
    if (out.length < 2 || bias.length > out.length || bias.length === 0) continue;
    const offset = out.length - bias.length;
    const alongFeatures = bias.every((d, i) =>
      i + offset === featureAxis ? d === out[featureAxis] : d === 1
    );
    if (alongFeatures && featureAxis >= offset) found.set(linear, constant);
  }
  return found;
}

/** Activations that pass relevance through unchanged. */
const PASS_THROUGH = [
  'Relu',
  'LeakyRelu',
  'Elu',
  'Gelu',
  'Sigmoid',
  'Tanh',
  'Softplus',
  'HardSwish',
  'HardSigmoid',
  'Clip',
  'Dropout',
  'Identity',
];

/**
 * z + ε·sign(z) with sign(0) = 1: keeps the denominator away from zero. ε has a floor of 1e-30
 * (ε = 0 is LRP-0): a unit with z = 0 carries no relevance, and 0 / 1e-30 is 0 where 0 / 0
 * would be NaN.
 */
function stabilized(engine: Engine, z: Tensor, given: number): Tensor {
  const epsilon = Math.max(given, 1e-30);
  using zero = tensor(engine, [0], []);
  using nonNegative = compare(engine, 'greaterOrEqual', z, zero);
  using f = cast(engine, nonNegative, 'f32');
  using two = tensor(engine, [2 * epsilon], []);
  using eps = tensor(engine, [epsilon], []);
  using scaled = binary(engine, 'mul', f, two);
  using sign = binary(engine, 'sub', scaled, eps);
  return binary(engine, 'add', z, sign);
}

/** The transposed linear map of the layer applied to `s`: its gradient with respect to x. */
function transposedMap(
  def: OperatorDef,
  ctx: BackwardContext,
  x: Tensor,
  w: Tensor,
  s: Tensor,
): Tensor {
  const inner: BackwardContext = {
    ...ctx,
    inputs: [x, w, ...ctx.inputs.slice(2)],
    grads: [s],
    needs: ctx.node.inputs.map((_, i) => i === 0),
  };
  const out = def.backward!(inner);
  out.slice(1).forEach((t) => t?.destroy());
  return out[0]!;
}

/** The layer's forward without bias, on other inputs and weights. */
function forwardWithout(def: OperatorDef, ctx: BackwardContext, x: Tensor, w: Tensor): Tensor {
  const node = { ...ctx.node, inputs: ctx.node.inputs.slice(0, 2) };
  const [y] = def.gpu!({ ...ctx, node, infos: ctx.infos.slice(0, 2), inputs: [x, w] });
  return y;
}

/** The layer's output with its bias: its own, or the separate Add's that `biases` names. */
function withBias(
  ctx: BackwardContext,
  biases: ReadonlyMap<string, string>,
  graph: LrpGraph | undefined,
): Tensor {
  const z = ctx.results[0]!;
  const bias = biases.get(ctx.node.outputs[0]);
  if (!bias || !graph) return z.reshape(z.shape);
  return binary(ctx.engine, 'add', z, graph.constant(bias));
}

function linearRule(
  kind: 'epsilon' | 'zplus',
  epsilon: number,
  biases: ReadonlyMap<string, string>,
  graph: LrpGraph | undefined,
): BackwardRule {
  return (ctx) => {
    const engine = ctx.engine;
    const def = ONNX_OPERATORS.get(ctx.node.op)!;
    const [x, w] = [ctx.inputs[0]!, ctx.inputs[1]!];
    const none = ctx.node.inputs.slice(1).map(() => undefined);
    using r = outputGrad(ctx);
    if (kind === 'epsilon') {
      // R_in = x ⊙ Wᵀ(R / (z + ε·sign z)), z with the bias (its own or a separate Add's).
      using z = withBias(ctx, biases, graph);
      using den = stabilized(engine, z, epsilon);
      using s = binary(engine, 'div', r, den);
      using c = transposedMap(def, ctx, x, w, s);
      return [binary(engine, 'mul', x, c), ...none];
    }
    // z⁺: positive weights with positive inputs and negative with negative, no bias.
    using xp = unary(engine, 'relu', x);
    using xn = binary(engine, 'sub', x, xp);
    using wp = unary(engine, 'relu', w);
    using wn = binary(engine, 'sub', w, wp);
    using zp = forwardWithout(def, ctx, xp, wp);
    using zn = forwardWithout(def, ctx, xn, wn);
    using z = binary(engine, 'add', zp, zn);
    using den = stabilized(engine, z, 1e-9);
    using s = binary(engine, 'div', r, den);
    using cp = transposedMap(def, ctx, xp, wp, s);
    using cn = transposedMap(def, ctx, xn, wn, s);
    using rp = binary(engine, 'mul', xp, cp);
    using rn = binary(engine, 'mul', xn, cn);
    return [binary(engine, 'add', rp, rn), ...none];
  };
}

/**
 * Average pooling as the linear layer it is: Rᵢ = xᵢ · Σ_windows (R / (z + ε·sign z)) / k — each
 * input's share of the window's sum. Passing R by the gradient instead (R / k to every position)
 * hands relevance to ReLU-dead inputs, which the layer below divides by their tiny
 * pre-activations.
 */
function poolRule(epsilon: number): BackwardRule {
  return (ctx) => {
    const engine = ctx.engine;
    const def = ONNX_OPERATORS.get(ctx.node.op)!;
    const x = ctx.inputs[0]!;
    using r = outputGrad(ctx);
    using den = stabilized(engine, ctx.results[0]!, epsilon);
    using s = binary(engine, 'div', r, den);
    const [c] = def.backward!({ ...ctx, grads: [s], needs: [true] });
    using spread = c!;
    return [binary(engine, 'mul', x, spread)];
  };
}

/**
 * Backward rules for an LRP pass. Seed it with the target's output value (the initial
 * relevance); the input's "gradient" is then the relevance map. Pass `options.graph` (the plan
 * the pass runs) so that biases added by separate nodes count in z; with ε → 0 and every bias
 * in z, LRP-ε on a ReLU network equals input × gradient, as Captum's `LRP` does.
 *
 * @throws {ArgumentError} for an unknown rule or a negative ε.
 */
export function lrpRules(options: LrpOptions = {}): Record<string, BackwardRule> {
  const rule = options.rule ?? 'epsilon';
  const epsilon = options.epsilon ?? 1e-6;
  if (!['epsilon', 'zplus', 'epsilon-plus'].includes(rule)) {
    throw new ArgumentError(
      `Cannot run LRP: rule must be epsilon, zplus or epsilon-plus, got '${rule}'`,
    );
  }
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new ArgumentError(`Cannot run LRP: epsilon must be a finite number ≥ 0, got ${epsilon}`);
  }
  const graph = options.graph;
  const biases = graph ? separateBiases(graph.plan) : new Map<string, string>();
  const dense = linearRule(rule === 'zplus' ? 'zplus' : 'epsilon', epsilon, biases, graph);
  const convolution = linearRule(rule === 'epsilon' ? 'epsilon' : 'zplus', epsilon, biases, graph);
  const pool = poolRule(epsilon);
  const pass: BackwardRule = (
    ctx,
  ) => [outputGrad(ctx), ...ctx.node.inputs.slice(1).map(() => undefined)];
  const rules: Record<string, BackwardRule> = {
    Conv: convolution,
    Gemm: dense,
    AveragePool: pool,
    GlobalAveragePool: pool,
    MatMul(ctx) {
      // A weight matrix (known at load time) makes a dense layer; a product of two
      // activations (attention) has no LRP rule here and propagates by its gradient.
      if (ctx.values[1] !== undefined) return dense(ctx);
      return ONNX_OPERATORS.get('MatMul')!.backward!(ctx);
    },
  };
  for (const op of PASS_THROUGH) rules[op] = pass;
  return rules;
}
