/**
 * ONNX recurrent layers: RNN, GRU and LSTM, forward and backward, on the kernels of
 * `src/ops/recurrent.ts` and `src/ops/recurrent_backward.ts`. Every attribute of the spec is
 * supported: direction, hidden_size, activations with activation_alpha / activation_beta (every
 * function the spec lists), clip, input_forget (LSTM), linear_before_reset (GRU) and layout
 * (opset 14: batch first, handled by transposes around the time-first kernels). Inputs past X, W
 * and R are optional; so are the outputs. With every input known at load time the layer folds on
 * the CPU (the f64 reference).
 *
 * Activation parameters are consumed as onnxruntime does: walking the activations in order, each
 * function that takes an alpha (beta) takes the next one from the list, or its default when the
 * list is exhausted.
 *
 * @module
 */

import { cpuTensor, isFloat } from '../../graph/ir.ts';
import {
  attrs,
  type BackwardContext,
  type GpuContext,
  info,
  input,
  nodeError,
  type OpContext,
  type OperatorDef,
  present,
  type TensorInfo,
  value,
} from '../../graph/operator.ts';
import {
  type Activation,
  activation,
  type ActivationName,
  ACTIVATIONS,
  type Cell,
  DEFAULT_ACTIVATIONS,
  type Direction,
  GATES,
  planRecurrent,
  recurrent,
  type RecurrentInputs,
  type RecurrentOptions,
  recurrentReference,
} from '../../ops/recurrent.ts';
import { recurrentBackward } from '../../ops/recurrent_backward.ts';
import { transpose, transposeReference } from '../../ops/transpose.ts';
import type { Tensor } from '../../tensor.ts';

/** Input indices of the ONNX operators. */
const X = 0, W = 1, R = 2, B = 3, LENS = 4, H0 = 5, C0 = 6, P = 7;

/** Activation names in any case, to the spec's spelling. */
const NAMES = new Map(
  (Object.keys(ACTIVATIONS) as ActivationName[]).map((n) => [n.toLowerCase(), n]),
);

interface Parsed {
  options: RecurrentOptions;
  /** 1: batch first (X [B, T, I], Y [B, T, D, H], states [B, D, H]). */
  batchFirst: boolean;
  /** Directions. */
  D: number;
  /** Hidden size. */
  H: number;
}

function parse(ctx: OpContext, cell: Cell): Parsed {
  const a = attrs(ctx);
  const direction = a.string('direction', 'forward') as Direction;
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) {
    nodeError(ctx, `direction '${direction}' is not one of forward, reverse, bidirectional`);
  }
  const D = direction === 'bidirectional' ? 2 : 1;
  const layout = ctx.opset >= 14 ? a.int('layout', 0) : 0;
  if (layout !== 0 && layout !== 1) nodeError(ctx, `layout ${layout} is not 0 or 1`);
  const r = info(ctx, R);
  const H = a.int('hidden_size', r.shape[2]);
  if (r.shape.length !== 3 || r.shape[2] !== H) {
    nodeError(ctx, `R must be [${D}, ${GATES[cell]}·${H}, ${H}], got [${r.shape}]`);
  }
  const per = DEFAULT_ACTIVATIONS[cell].length;
  const rawNames = ctx.node.attributes.activations;
  let names: string[] = [];
  if (rawNames !== undefined) {
    if (!Array.isArray(rawNames) || rawNames.some((n) => typeof n !== 'string')) {
      nodeError(ctx, "attribute 'activations' must be a list of strings");
    }
    names = rawNames as string[];
    if (names.length === per && D === 2) names = [...names, ...names];
    if (names.length !== per * D) {
      nodeError(
        ctx,
        `'activations' lists ${names.length} functions; a ${direction} ${ctx.node.op} takes ` +
          `${per * D} (${per} per direction)`,
      );
    }
  } else {
    names = Array.from({ length: D }, () => DEFAULT_ACTIVATIONS[cell]).flat();
  }
  const floats = (name: string): number[] => {
    const v = ctx.node.attributes[name];
    if (v === undefined) return [];
    if (typeof v === 'number') return [v];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) {
      nodeError(ctx, `attribute '${name}' must be a list of floats`);
    }
    return [...v as number[]]; // a copy: consumed below
  };
  const alphas = floats('activation_alpha');
  const betas = floats('activation_beta');
  const resolved: Activation[] = names.map((raw) => {
    const name = NAMES.get(raw.toLowerCase());
    if (!name) {
      nodeError(
        ctx,
        `activation '${raw}' is not supported (supported: ${[...NAMES.values()].join(', ')})`,
      );
    }
    const spec = ACTIVATIONS[name];
    const alpha = spec.alpha === undefined ? undefined : alphas.shift();
    const beta = spec.beta === undefined ? undefined : betas.shift();
    return activation(name, alpha, beta);
  });
  const clip = a.float('clip');
  if (clip !== undefined && !(clip > 0)) nodeError(ctx, `clip must be positive, got ${clip}`);
  const inputForget = cell === 'lstm' ? a.int('input_forget', 0) !== 0 : false;
  const linearBeforeReset = cell === 'gru' ? a.int('linear_before_reset', 0) !== 0 : false;
  const activations = Array.from({ length: D }, (_, d) => resolved.slice(d * per, (d + 1) * per));
  return {
    options: { cell, direction, activations, clip, inputForget, linearBeforeReset },
    batchFirst: layout === 1,
    D,
    H,
  };
}

/** [T, B, I] from X's shape. */
function sequenceShape(ctx: OpContext, batchFirst: boolean): number[] {
  const x = info(ctx, X);
  if (x.shape.length !== 3) nodeError(ctx, `X must be 3-D, got [${x.shape}]`);
  return batchFirst ? [x.shape[1], x.shape[0], x.shape[2]] : [...x.shape];
}

function infer(ctx: OpContext, cell: Cell): TensorInfo[] {
  const { options, batchFirst, D, H } = parse(ctx, cell);
  const x = info(ctx, X);
  if (!isFloat(x.dtype)) nodeError(ctx, `X must be a float tensor, got ${x.dtype}`);
  const [T, Bt, I] = sequenceShape(ctx, batchFirst);
  try {
    planRecurrent({ x: [T, Bt, I], w: info(ctx, W).shape, r: info(ctx, R).shape }, options);
  } catch (error) {
    nodeError(ctx, (error as Error).message.replace(/^Cannot run recurrent layer: /, ''));
  }
  const G = GATES[cell];
  const want: [number, string, number[]][] = [
    [B, 'B', [D, 2 * G * H]],
    [LENS, 'sequence_lens', [Bt]],
    [H0, 'initial_h', batchFirst ? [Bt, D, H] : [D, Bt, H]],
    [C0, 'initial_c', batchFirst ? [Bt, D, H] : [D, Bt, H]],
    [P, 'P', [D, 3 * H]],
  ];
  for (const [i, name, shape] of want) {
    if (i >= (cell === 'lstm' ? 8 : 6) || !present(ctx, i)) continue;
    const t = info(ctx, i);
    if (t.shape.join() !== shape.join()) {
      nodeError(ctx, `${name} must be [${shape}], got [${t.shape}]`);
    }
  }
  const state = { dtype: x.dtype, shape: batchFirst ? [Bt, D, H] : [D, Bt, H] };
  const y = { dtype: x.dtype, shape: batchFirst ? [Bt, T, D, H] : [T, D, Bt, H] };
  return cell === 'lstm' ? [y, state, { ...state }] : [y, state];
}

/** The inputs in the kernels' layout (time first); the returned tensors are owned. */
function kernelInputs(ctx: GpuContext, cell: Cell, batchFirst: boolean): RecurrentInputs {
  const engine = ctx.engine;
  const opt = (i: number) =>
    i < (cell === 'lstm' ? 8 : 6) && present(ctx, i) ? input(ctx, i) : undefined;
  const view = (t: Tensor | undefined, perm: number[]) =>
    t === undefined ? undefined : batchFirst ? transpose(engine, t, { perm }) : t.reshape(t.shape);
  const x = input(ctx, X);
  return {
    x: view(x, [1, 0, 2])!,
    w: input(ctx, W).reshape(input(ctx, W).shape),
    r: input(ctx, R).reshape(input(ctx, R).shape),
    bias: opt(B)?.reshape(opt(B)!.shape),
    sequenceLens: opt(LENS)?.reshape(opt(LENS)!.shape),
    initialH: view(opt(H0), [1, 0, 2]),
    initialC: view(opt(C0), [1, 0, 2]),
    peepholes: opt(P)?.reshape(opt(P)!.shape),
  };
}

function destroyInputs(inputs: RecurrentInputs): void {
  for (const t of Object.values(inputs)) t?.destroy();
}

/** A time-first result in the node's layout (a new tensor); destroys `t`. */
function toLayout(ctx: GpuContext, t: Tensor, batchFirst: boolean, perm: number[]): Tensor {
  if (!batchFirst) return t;
  try {
    return transpose(ctx.engine, t, { perm });
  } finally {
    t.destroy();
  }
}

function recurrentOp(cell: Cell): OperatorDef {
  return {
    infer: (ctx) => infer(ctx, cell),
    cpu(ctx) {
      const count = cell === 'lstm' ? 8 : 6;
      const known = Array.from({ length: count }, (_, i) => present(ctx, i) ? value(ctx, i) : null);
      if (known.some((v) => v === undefined)) return null;
      const { options, batchFirst, D, H } = parse(ctx, cell);
      const outs = infer(ctx, cell);
      const [T, Bt, I] = sequenceShape(ctx, batchFirst);
      const swap = (v: typeof known[number], shape: number[]) =>
        v && batchFirst ? transposeReference(v.data, shape, [1, 0, 2]).data : v?.data;
      const ref = recurrentReference({
        x: swap(known[X], [Bt, T, I])!,
        xShape: [T, Bt, I],
        w: known[W]!.data,
        r: known[R]!.data,
        hiddenSize: H,
        bias: known[B]?.data,
        sequenceLens: known[LENS]?.data,
        initialH: swap(known[H0], [Bt, D, H]),
        initialC: swap(known[C0] ?? null, [Bt, D, H]),
        peepholes: known[P]?.data,
      }, options);
      const dtype = outs[0].dtype;
      const back = (data: Float64Array, shape: number[], perm: number[]) =>
        batchFirst ? transposeReference(data, shape, perm).data : data;
      const results = [
        cpuTensor(dtype, outs[0].shape, back(ref.y, [T, D, Bt, H], [2, 0, 1, 3])),
        cpuTensor(dtype, outs[1].shape, back(ref.yH, [D, Bt, H], [1, 0, 2])),
      ];
      if (cell === 'lstm') {
        results.push(cpuTensor(dtype, outs[2].shape, back(ref.yC, [D, Bt, H], [1, 0, 2])));
      }
      return results;
    },
    gpu(ctx) {
      const { options, batchFirst } = parse(ctx, cell);
      const inputs = kernelInputs(ctx, cell, batchFirst);
      try {
        const { y, yH, yC } = recurrent(ctx.engine, inputs, options);
        const outs = [
          toLayout(ctx, y, batchFirst, [2, 0, 1, 3]),
          toLayout(ctx, yH, batchFirst, [1, 0, 2]),
        ];
        if (yC) outs.push(toLayout(ctx, yC, batchFirst, [1, 0, 2]));
        return outs;
      } finally {
        destroyInputs(inputs);
      }
    },
    flops(ctx) {
      const { batchFirst, D, H } = parse(ctx, cell);
      const [T, Bt, I] = sequenceShape(ctx, batchFirst);
      const G = GATES[cell];
      return 2 * T * Bt * D * G * H * (I + H) + 10 * T * Bt * D * H;
    },
    backward(ctx: BackwardContext) {
      const engine = ctx.engine;
      const { options, batchFirst } = parse(ctx, cell);
      const inputs = kernelInputs(ctx, cell, batchFirst);
      const grad = (i: number, perm: number[]) => {
        const g = ctx.grads[i];
        if (!g) return undefined;
        return batchFirst ? transpose(engine, g, { perm }) : g.reshape(g.shape);
      };
      const gy = grad(0, [1, 2, 0, 3]);
      const gyH = grad(1, [1, 0, 2]);
      const gyC = cell === 'lstm' ? grad(2, [1, 0, 2]) : undefined;
      try {
        const g = recurrentBackward(engine, inputs, { y: gy, yH: gyH, yC: gyC }, options, {
          x: ctx.needs[X],
          w: ctx.needs[W],
          r: ctx.needs[R],
          bias: ctx.needs[B] ?? false,
          initialH: ctx.needs[H0] ?? false,
          initialC: ctx.needs[C0] ?? false,
          peepholes: ctx.needs[P] ?? false,
        });
        const back = (t: Tensor | undefined) =>
          t && batchFirst ? toLayout(ctx, t, true, [1, 0, 2]) : t;
        const result: (Tensor | undefined)[] = new Array(ctx.node.inputs.length).fill(undefined);
        result[X] = back(g.x);
        result[W] = g.w;
        result[R] = g.r;
        if (B < result.length) result[B] = g.bias;
        else g.bias?.destroy();
        if (H0 < result.length) result[H0] = back(g.initialH);
        else g.initialH?.destroy();
        if (C0 < result.length) result[C0] = back(g.initialC);
        else g.initialC?.destroy();
        if (P < result.length) result[P] = g.peepholes;
        else g.peepholes?.destroy();
        return result;
      } finally {
        destroyInputs(inputs);
        for (const t of [gy, gyH, gyC]) t?.destroy();
      }
    },
  };
}

/** The recurrent operators by name. */
export const RECURRENT_OPS: Record<string, OperatorDef> = {
  RNN: recurrentOp('rnn'),
  GRU: recurrentOp('gru'),
  LSTM: recurrentOp('lstm'),
};
