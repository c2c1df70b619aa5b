/**
 * Fixed batch dimensions. `torch.onnx.export` without `dynamic_axes` — its default — declares
 * inputs like `[1, 3, 224, 224]`; batched methods (integrated gradients, SmoothGrad, occlusion,
 * ...) need more rows than that. A fixed leading input dimension is read as the batch, and a
 * batch of another size runs one of two ways:
 *
 * - **Free batch**: the graph is re-planned at the new batch when that is *proved* to compute
 *   every example as the declared batch would. The proof compares the plans at the declared and
 *   at the new batch: the same GPU steps; every tensor computed from the inputs has its leading
 *   dimension scaled by the batch ratio and the others unchanged (a `Reshape` to a constant
 *   `[1, -1]`, an `Expand` to `[1, …]`, a `Tile` or `Concat` that bakes the batch fails here);
 *   and every step that reads such a tensor is known to keep the rows of axis 0 apart
 *   (elementwise operators, convolutions, pooling, per-example normalizations, and axis operators
 *   whose axis is not 0 — a softmax over axis 0, a `Gather`/`Slice` of rows, a `Transpose` that
 *   moves axis 0, `Gemm` with a batched right operand or `DynamicQuantizeLinear`'s whole-tensor
 *   scale all fail). {@linkcode freeBatchReason} says why a graph is not free.
 * - **Chunked**: otherwise the plan stays at the declared batch and runs once per chunk of that
 *   many rows, every chunk recorded into the same command encoder (no readback between chunks),
 *   the last one padded; results are stacked along axis 0.
 *
 * @module
 */

import type { Plan, PlanStep } from './plan.ts';

/** How a plan runs a batch that differs from the model's declared (fixed) one. */
export interface BatchInfo {
  /** `free`: planned at the given batch; `chunked`: the declared plan, once per chunk. */
  mode: 'free' | 'chunked';
  /** The declared batch (the fixed leading dimension). */
  declared: number;
  /** The batch given. */
  given: number;
  /** Inputs whose leading dimension is the batch. */
  inputs: ReadonlySet<string>;
  /** Why the graph is not free (chunked plans). */
  reason?: string;
  /** The plan at the declared batch (chunked plans run it per chunk). */
  base: Plan;
  /**
   * Tensors computed from the batched inputs whose leading axis is the batch (leading dimension
   * equal to the declared batch in the base plan): chunk results of these stack along axis 0.
   */
  stackable: ReadonlySet<string>;
  /** Tensors computed from the batched inputs (stackable or not). */
  batched: ReadonlySet<string>;
}

const ELEMENTWISE = new Set([
  'Abs',
  'Acos',
  'Acosh',
  'Add',
  'And',
  'Asin',
  'Asinh',
  'Atan',
  'Atanh',
  'BitShift',
  'Cast',
  'CastLike',
  'Ceil',
  'Celu',
  'Clip',
  'Cos',
  'Cosh',
  'DequantizeLinear',
  'Div',
  'Dropout',
  'Elu',
  'Equal',
  'Erf',
  'Exp',
  'Expand',
  'Flatten',
  'Floor',
  'Gelu',
  'Greater',
  'GreaterOrEqual',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'IsInf',
  'IsNaN',
  'LeakyRelu',
  'Less',
  'LessOrEqual',
  'Log',
  'Max',
  'Mean',
  'Min',
  'Mish',
  'Mod',
  'Mul',
  'Neg',
  'Not',
  'Or',
  'PRelu',
  'Pow',
  'QuantizeLinear',
  'Reciprocal',
  'Relu',
  'Reshape',
  'Round',
  'Selu',
  'Shape',
  'Shrink',
  'Sigmoid',
  'Sign',
  'Sin',
  'Sinh',
  'Size',
  'Softplus',
  'Softsign',
  'Sqrt',
  'Squeeze',
  'Sub',
  'Sum',
  'Tan',
  'Tanh',
  'ThresholdedRelu',
  'Unsqueeze',
  'Where',
  'Xor',
]);

/** Operators that treat each example of input 0 on its own (the other inputs are parameters). */
const PER_EXAMPLE = new Set([
  'AveragePool',
  'BatchNormalization',
  'Conv',
  'ConvInteger',
  'ConvTranspose',
  'DepthToSpace',
  'GlobalAveragePool',
  'GlobalLpPool',
  'GlobalMaxPool',
  'GroupNormalization',
  'InstanceNormalization',
  'LRN',
  'LpPool',
  'MaxPool',
  'Pad',
  'QLinearConv',
  'Resize',
  'SpaceToDepth',
  'Upsample',
]);

/** Operators with one axis: its attribute default (by opset) and the batched inputs allowed. */
const AXIS_OPS: Record<string, (opset: number) => number> = {
  ArgMax: () => 0,
  ArgMin: () => 0,
  Concat: () => 0,
  GatherElements: () => 0,
  Hardmax: (o) => (o >= 13 ? -1 : 1),
  LayerNormalization: () => -1,
  LogSoftmax: (o) => (o >= 13 ? -1 : 1),
  LpNormalization: () => -1,
  OneHot: () => -1,
  Softmax: (o) => (o >= 13 ? -1 : 1),
  Split: () => 0,
  TopK: () => -1,
};

function axisOf(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

function intsOf(step: PlanStep, i: number): number[] | undefined {
  const v = step.values[i];
  return v && 'data' in v ? Array.from(v.data) : undefined;
}

/**
 * Why `step` may mix the rows of axis 0 of its batched inputs (`batched[i]`), or null when it
 * keeps them apart.
 */
function stepReason(step: PlanStep, batched: boolean[], opset: number): string | null {
  const { node } = step;
  const op = node.op;
  const rank = (i: number) => step.infos[i]?.shape.length ?? 0;
  const attr = (name: string) => node.attributes[name];
  const mixes = `${op} node '${node.name}'`;
  if (ELEMENTWISE.has(op)) return null;
  if (PER_EXAMPLE.has(op)) {
    return batched.every((b, i) => !b || i === 0)
      ? null
      : `${mixes} reads the batch in a parameter input`;
  }
  if (op in AXIS_OPS) {
    const a = attr('axis');
    const axis = axisOf(typeof a === 'number' ? a : AXIS_OPS[op](opset), rank(0));
    // Gather-like ops: only a batched data input along axis 0 mixes.
    if (op === 'OneHot') return axisOf(axis, rank(0) + 1) === 0 ? `${mixes} adds axis 0` : null;
    return axis === 0 ? `${mixes} works along axis 0` : null;
  }
  switch (op) {
    case 'Gather': {
      const a = attr('axis');
      const axis = axisOf(typeof a === 'number' ? a : 0, rank(0));
      if (batched[0] && axis === 0) return `${mixes} picks rows of axis 0`;
      if (batched[1] && axis !== 0) return `${mixes} indexes with batched ids along axis ${axis}`;
      return null;
    }
    case 'CumSum': {
      const axis = intsOf(step, 1);
      return axis && axisOf(axis[0], rank(0)) !== 0 ? null : `${mixes} sums along axis 0`;
    }
    case 'Slice': {
      const axes = intsOf(step, 3) ??
        (typeof attr('axes') === 'object' ? attr('axes') as number[] : undefined) ??
        [...Array((intsOf(step, 1) ?? (attr('starts') as number[] | undefined) ?? []).length)]
          .map((_, i) => i);
      return axes.some((x) => axisOf(x, rank(0)) === 0) ? `${mixes} slices axis 0` : null;
    }
    case 'Transpose': {
      const perm = attr('perm') as number[] | undefined;
      return perm && perm[0] === 0 ? null : `${mixes} moves axis 0`;
    }
    case 'Trilu':
      return rank(0) >= 3 ? null : `${mixes} masks a matrix whose rows are the batch`;
    case 'MatMul':
    case 'MatMulInteger':
      if (batched[0] && rank(0) < 2) return `${mixes} contracts a batched vector`;
      if (batched[1] && rank(1) < 3) {
        return `${mixes} contracts over the batch of its right operand`;
      }
      return null;
    case 'QLinearMatMul':
      if (batched[0] && rank(0) < 2) return `${mixes} contracts a batched vector`;
      if (batched[3] && rank(3) < 3) {
        return `${mixes} contracts over the batch of its right operand`;
      }
      return null;
    case 'Gemm':
      if (batched[1]) return `${mixes} contracts over the batch of its right operand`;
      return attr('transA') === 1 && batched[0] ? `${mixes} transposes its batched operand` : null;
    case 'LSTM':
    case 'GRU':
    case 'RNN':
      return attr('layout') === 1 ? null : `${mixes} runs sequence-first (batch on axis 1)`;
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceMin':
    case 'ReduceProd':
    case 'ReduceL1':
    case 'ReduceL2':
    case 'ReduceLogSumExp':
    case 'ReduceSumSquare': {
      const fromInput = (op === 'ReduceSum' && opset >= 13) || opset >= 18;
      const axes = fromInput ? intsOf(step, 1) : attr('axes') as number[] | undefined;
      if (!axes || axes.length === 0) {
        return attr('noop_with_empty_axes') === 1 ? null : `${mixes} reduces every axis`;
      }
      return axes.some((x) => axisOf(x, rank(0)) === 0) ? `${mixes} reduces axis 0` : null;
    }
    case 'MeanVarianceNormalization': {
      const axes = (attr('axes') as number[] | undefined) ?? [0, 2, 3];
      return axes.some((x) => axisOf(x, rank(0)) === 0) ? `${mixes} normalizes over axis 0` : null;
    }
  }
  return `${mixes} is not known to keep the examples of a batch apart`;
}

/** Tensors computed (on the GPU) from the `inputs`, following the plan's steps. */
export function batchedTensors(plan: Plan, inputs: ReadonlySet<string>): Set<string> {
  const batched = new Set(inputs);
  for (const step of plan.steps) {
    if (step.node.inputs.some((n) => batched.has(n))) {
      for (const o of step.node.outputs) if (o) batched.add(o);
    }
  }
  return batched;
}

/**
 * Null when the graph provably runs a batch of `given` rows at `planned` as `declared` rows at
 * `base` would, example by example; else why not (see the module doc).
 */
export function freeBatchReason(
  base: Plan,
  planned: Plan,
  inputs: ReadonlySet<string>,
  declared: number,
  given: number,
  opset: number,
): string | null {
  if (
    base.steps.length !== planned.steps.length ||
    base.steps.some((s, i) => s.node !== planned.steps[i].node)
  ) {
    return 'the graph folds differently at the two batch sizes';
  }
  const batched = batchedTensors(base, inputs);
  for (const name of batched) {
    const s0 = base.infos.get(name)?.shape;
    const s1 = planned.infos.get(name)?.shape;
    if (!s0 || !s1) continue;
    const scaled = s0.length > 0 && s1.length === s0.length &&
      s1[0] * declared === s0[0] * given && s1.slice(1).join() === s0.slice(1).join();
    if (!scaled) {
      const producer = base.steps.find((s) => s.node.outputs.includes(name))?.node;
      return `'${name}'${producer ? ` (${producer.op} node '${producer.name}')` : ''} is ` +
        `[${s0}] at batch ${declared} but [${s1}] at batch ${given}: the graph bakes in its batch`;
    }
  }
  for (const step of base.steps) {
    const reads = step.node.inputs.map((n) => batched.has(n));
    if (!reads.some(Boolean)) continue;
    const reason = stepReason(step, reads, opset);
    if (reason) return reason;
  }
  return null;
}

/**
 * The stackable tensors of a chunked plan: computed from the batched inputs (or one of them),
 * float or integer, with the declared batch as their leading dimension.
 */
export function stackableTensors(
  base: Plan,
  batched: ReadonlySet<string>,
  declared: number,
): Set<string> {
  const out = new Set<string>();
  for (const name of batched) {
    const t = base.infos.get(name);
    if (t && t.shape.length > 0 && t.shape[0] === declared && !base.known.has(name)) out.add(name);
  }
  return out;
}
