/**
 * Recurrent layers — ONNX RNN, GRU and LSTM — on the GPU (`shaders/nn/recurrent.wgsl`): the
 * input projection X·Wᵀ of every step is one matmul, then each time step is one dispatch (two for
 * a GRU with `linearBeforeReset` 0) that fuses the recurrent product h·Rᵀ with the gates and the
 * state update, for every direction and batch row at once. Everything is recorded into the
 * engine's encoder; nothing is read back. Also the f64 CPU reference of the forward pass.
 *
 * Tensors are in ONNX's layout 0 (time first): x [T, B, I], w [D, G·H, I], r [D, G·H, H],
 * bias [D, 2·G·H], sequenceLens [B] (i32), initialH/initialC [D, B, H], peepholes [D, 3·H];
 * y [T, D, B, H], yH/yC [D, B, H]. The ONNX operator transposes for layout 1.
 *
 * @module
 */

import recurrentSource from '../../shaders/nn/recurrent.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, type Tensor } from '../tensor.ts';
import { cast } from './cast.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';
import { matmul } from './matmul.ts';
import { slice } from './slice.ts';
import { stridedCopy } from './strided_copy.ts';

/** The recurrent cell. */
export type Cell = 'rnn' | 'gru' | 'lstm';

/** Which way the sequence is read. */
export type Direction = 'forward' | 'reverse' | 'bidirectional';

/** The activation functions ONNX lists for recurrent layers. */
export type ActivationName =
  | 'Relu'
  | 'Tanh'
  | 'Sigmoid'
  | 'Affine'
  | 'LeakyRelu'
  | 'ThresholdedRelu'
  | 'ScaledTanh'
  | 'HardSigmoid'
  | 'Elu'
  | 'Softsign'
  | 'Softplus';

/**
 * Per activation: its code in the shaders and the defaults of the alpha/beta it takes
 * (`undefined`: it takes none).
 */
export const ACTIVATIONS: Readonly<
  Record<ActivationName, { code: number; alpha?: number; beta?: number }>
> = Object.freeze({
  Relu: { code: 0 },
  Tanh: { code: 1 },
  Sigmoid: { code: 2 },
  Affine: { code: 3, alpha: 1, beta: 0 },
  LeakyRelu: { code: 4, alpha: 0.01 },
  ThresholdedRelu: { code: 5, alpha: 1 },
  ScaledTanh: { code: 6, alpha: 1, beta: 1 },
  HardSigmoid: { code: 7, alpha: 0.2, beta: 0.5 },
  Elu: { code: 8, alpha: 1 },
  Softsign: { code: 9 },
  Softplus: { code: 10 },
});

/** One activation with its parameters. */
export interface Activation {
  /** Function. */
  name: ActivationName;
  /** alpha (ignored by functions without one). */
  alpha: number;
  /** beta (ignored by functions without one). */
  beta: number;
}

/** Gates per cell (row blocks of W and R). */
export const GATES: Readonly<Record<Cell, number>> = Object.freeze({ rnn: 1, gru: 3, lstm: 4 });

/** The activations a cell uses (f; f, g; f, g, h) and ONNX's defaults. */
export const DEFAULT_ACTIVATIONS: Readonly<Record<Cell, readonly ActivationName[]>> = Object
  .freeze({
    rnn: ['Tanh'],
    gru: ['Sigmoid', 'Tanh'],
    lstm: ['Sigmoid', 'Tanh', 'Tanh'],
  });

/** An activation with its default parameters. */
export function activation(name: ActivationName, alpha?: number, beta?: number): Activation {
  const spec = ACTIVATIONS[name];
  if (!spec) {
    throw new ArgumentError(
      `Cannot run recurrent layer: unknown activation '${name}' (supported: ` +
        `${Object.keys(ACTIVATIONS).join(', ')})`,
    );
  }
  return { name, alpha: alpha ?? spec.alpha ?? 0, beta: beta ?? spec.beta ?? 0 };
}

/** Options of {@linkcode recurrent}. */
export interface RecurrentOptions {
  /** The cell. */
  cell: Cell;
  /** Direction (default `forward`). */
  direction?: Direction;
  /**
   * Activations per direction: [f] (RNN), [f, g] (GRU), [f, g, h] (LSTM). Default ONNX's
   * (Tanh; Sigmoid, Tanh; Sigmoid, Tanh, Tanh).
   */
  activations?: readonly (readonly Activation[])[];
  /** Bound the gate pre-activations to [−clip, clip] (default: no clip). */
  clip?: number;
  /** LSTM: couple the forget gate to the input gate (f = 1 − i). */
  inputForget?: boolean;
  /** GRU: apply the reset gate after the recurrent product (PyTorch's GRU; default false). */
  linearBeforeReset?: boolean;
}

/** The optional inputs of a recurrent layer (ONNX layout 0). */
export interface RecurrentInputs {
  /** Input sequence [T, B, I]. */
  x: Tensor;
  /** Input weights [D, G·H, I]. */
  w: Tensor;
  /** Recurrence weights [D, G·H, H]. */
  r: Tensor;
  /** Biases [D, 2·G·H]: Wb then Rb. Default zeros. */
  bias?: Tensor;
  /** Valid length of each batch row [B] (i32). Default T for all. */
  sequenceLens?: Tensor;
  /** Initial hidden state [D, B, H]. Default zeros. */
  initialH?: Tensor;
  /** LSTM: initial cell state [D, B, H]. Default zeros. */
  initialC?: Tensor;
  /** LSTM: peepholes [D, 3·H] (Pi, Po, Pf). Default zeros. */
  peepholes?: Tensor;
}

/** What {@linkcode recurrent} returns; the caller owns the tensors. */
export interface RecurrentOutputs {
  /** Hidden state at every time [T, D, B, H] (0 past a row's length). */
  y: Tensor;
  /** Final hidden state [D, B, H]. */
  yH: Tensor;
  /** LSTM: final cell state [D, B, H]. */
  yC?: Tensor;
}

/** The resolved geometry of a recurrent layer. */
export interface RecurrentPlan {
  /** Sequence length. */
  T: number;
  /** Batch. */
  B: number;
  /** Input features. */
  I: number;
  /** Hidden size. */
  H: number;
  /** Directions (1 or 2). */
  D: number;
  /** Gates. */
  G: number;
  /** Saved pre-activation slots per unit (GRU keeps h·Rhᵀ + Rbh as a fourth). */
  GS: number;
  /** Per direction: runs backwards in time. */
  reverse: boolean[];
  /** Activations [D][3] (unused slots Tanh). */
  activations: Activation[][];
}

function fail(message: string): never {
  throw new ShapeError(`Cannot run recurrent layer: ${message}`);
}

function expectShape(name: string, t: Tensor | undefined, want: number[]): void {
  if (t && t.shape.join() !== want.join()) {
    fail(`${name} must be ${formatShape(want)}, got ${formatShape(t.shape)}`);
  }
}

/**
 * Checks the inputs of a recurrent layer and resolves its geometry.
 *
 * @throws {ShapeError} naming the input whose shape does not fit; {@linkcode ArgumentError} for
 *   bad options.
 */
export function planRecurrent(
  shapes: {
    x: readonly number[];
    w: readonly number[];
    r: readonly number[];
  },
  options: RecurrentOptions,
): RecurrentPlan {
  const cell = options.cell;
  if (!(cell in GATES)) {
    throw new ArgumentError(`Cannot run recurrent layer: unknown cell '${cell}'`);
  }
  const direction = options.direction ?? 'forward';
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) {
    throw new ArgumentError(
      `Cannot run recurrent layer: direction must be forward, reverse or bidirectional, got ` +
        `'${direction}'`,
    );
  }
  const D = direction === 'bidirectional' ? 2 : 1;
  const G = GATES[cell];
  if (shapes.x.length !== 3) fail(`X must be 3-D [T, B, I], got ${formatShape(shapes.x)}`);
  const [T, B, I] = shapes.x;
  if (shapes.r.length !== 3) fail(`R must be 3-D [D, G·H, H], got ${formatShape(shapes.r)}`);
  const H = shapes.r[2];
  if (H < 1) fail(`the hidden size must be at least 1, got ${H}`);
  if (shapes.r.join() !== [D, G * H, H].join()) {
    fail(`R must be ${formatShape([D, G * H, H])} (${direction}), got ${formatShape(shapes.r)}`);
  }
  if (shapes.w.join() !== [D, G * H, I].join()) {
    fail(`W must be ${formatShape([D, G * H, I])}, got ${formatShape(shapes.w)}`);
  }
  const names = DEFAULT_ACTIVATIONS[cell];
  const given = options.activations;
  if (given && given.length !== D) {
    throw new ArgumentError(
      `Cannot run recurrent layer: activations are given for ${given.length} directions, ` +
        `the layer has ${D}`,
    );
  }
  const activations = Array.from({ length: D }, (_, d) => {
    const list = given?.[d] ?? names.map((n) => activation(n));
    if (list.length !== names.length) {
      throw new ArgumentError(
        `Cannot run recurrent layer: a ${cell.toUpperCase()} takes ${names.length} ` +
          `activation(s) per direction, got ${list.length}`,
      );
    }
    const slots = [...list];
    while (slots.length < 3) slots.push(activation('Tanh'));
    return slots.map((a) => activation(a.name, a.alpha, a.beta));
  });
  if (options.clip !== undefined && !(options.clip > 0)) {
    throw new ArgumentError(
      `Cannot run recurrent layer: clip must be positive, got ${options.clip}`,
    );
  }
  const reverse = direction === 'bidirectional' ? [false, true] : [direction === 'reverse'];
  return { T, B, I, H, D, G, GS: cell === 'rnn' ? 1 : 4, reverse, activations };
}

/** Where each part sits in the packed constants buffer (in elements). */
interface ConstLayout {
  bias: number;
  p: number;
  h0: number;
  c0: number;
  lens: number;
  size: number;
}

function constLayout(plan: RecurrentPlan): ConstLayout {
  const { D, B, H, G } = plan;
  const bias = 0;
  const p = bias + D * 2 * G * H;
  const h0 = p + D * 3 * H;
  const c0 = h0 + D * B * H;
  const lens = c0 + D * B * H;
  return { bias, p, h0, c0, lens, size: lens + B };
}

/** The words of the shaders' `params` (see the constants in nn/recurrent.wgsl). */
export function recurrentParams(
  plan: RecurrentPlan,
  options: RecurrentOptions,
  layout: { c0: number; p: number; h0: number; lens: number; bias: number },
  at: { step: number; phase: number; hasLens: boolean; hasGy?: boolean },
): Uint32Array<ArrayBuffer> {
  const words = new Uint32Array(44);
  const floats = new Float32Array(words.buffer);
  const { T, B, H, D, G, GS } = plan;
  words.set([T, B, H, D, at.step, { rnn: 0, gru: 1, lstm: 2 }[options.cell]]);
  words[6] = options.linearBeforeReset ? 1 : 0;
  words[7] = at.phase;
  words[8] = plan.reverse.reduce((m, r, d) => m | (r ? 1 << d : 0), 0);
  words[9] = options.inputForget ? 1 : 0;
  words[10] = options.clip !== undefined ? 1 : 0;
  floats[11] = options.clip ?? 0;
  words.set([layout.bias, layout.p, layout.h0, layout.c0, layout.lens], 12);
  words[17] = at.hasLens ? 1 : 0;
  words[18] = D * B * H;
  words[19] = G;
  plan.activations.forEach((slots, d) =>
    slots.forEach((a, slot) => {
      const w = 20 + (d * 3 + slot) * 3;
      words[w] = ACTIVATIONS[a.name].code;
      floats[w + 1] = a.alpha;
      floats[w + 2] = a.beta;
    })
  );
  words[38] = D * T * B * GS * H;
  words[39] = GS;
  words[40] = at.hasGy ? 1 : 0;
  return words;
}

/** The forward pass with what its backward reads; internal to the recurrent kernels. */
export interface RecurrentState extends RecurrentOutputs {
  /** Geometry. */
  plan: RecurrentPlan;
  /** Packed bias, peepholes, h0, c0, lengths. */
  consts: Tensor;
  /** Offsets in `consts`. */
  layout: ConstLayout;
  /** Pre-activations [D, T, B, GS·H] then C [D, T, B, H], flat. */
  saved: Tensor;
  /** [NH, D, T·B, H]: h_prev per time, then r ⊙ h_prev (GRU with linearBeforeReset 0). */
  hin: Tensor;
}

function validate(engine: Engine, inputs: RecurrentInputs, options: RecurrentOptions) {
  const op = `recurrent ${options.cell}`;
  checkOperand(engine, op, 'x', inputs.x);
  checkOperand(engine, op, 'w', inputs.w);
  checkOperand(engine, op, 'r', inputs.r);
  const plan = planRecurrent(
    { x: inputs.x.shape, w: inputs.w.shape, r: inputs.r.shape },
    options,
  );
  const { D, B, H, G } = plan;
  for (
    const [name, t, shape, dtype] of [
      ['bias', inputs.bias, [D, 2 * G * H], 'f32'],
      ['sequenceLens', inputs.sequenceLens, [B], 'i32'],
      ['initialH', inputs.initialH, [D, B, H], 'f32'],
      ['initialC', inputs.initialC, [D, B, H], 'f32'],
      ['peepholes', inputs.peepholes, [D, 3 * H], 'f32'],
    ] as const
  ) {
    if (!t) continue;
    checkOperand(engine, op, name, t, [dtype]);
    expectShape(name, t, [...shape]);
  }
  if (options.cell !== 'lstm' && (inputs.initialC || inputs.peepholes)) {
    throw new ArgumentError(
      `Cannot run recurrent ${options.cell}: initialC and peepholes are LSTM inputs`,
    );
  }
  return plan;
}

/** Packs bias, peepholes, h0, c0 and the lengths (as f32) into one zeroed buffer. */
function packConsts(
  engine: Engine,
  inputs: RecurrentInputs,
  layout: ConstLayout,
): Tensor {
  const consts = empty(engine, [layout.size], { zero: true, label: 'recurrent.consts' });
  const put = (t: Tensor | undefined, at: number, what: string) => {
    if (t && t.size > 0) stridedCopy(engine, t, consts, { shape: [t.size], dstBase: at }, what);
  };
  put(inputs.bias, layout.bias, 'recurrent bias');
  put(inputs.peepholes, layout.p, 'recurrent peepholes');
  put(inputs.initialH, layout.h0, 'recurrent initial_h');
  put(inputs.initialC, layout.c0, 'recurrent initial_c');
  if (inputs.sequenceLens) {
    using lens = cast(engine, inputs.sequenceLens, 'f32');
    put(lens, layout.lens, 'recurrent sequence_lens');
  }
  return consts;
}

/**
 * The forward pass, keeping what the backward pass reads (see {@linkcode RecurrentState}). The
 * caller owns every tensor in the result.
 */
export function recurrentState(
  engine: Engine,
  inputs: RecurrentInputs,
  options: RecurrentOptions,
): RecurrentState {
  const plan = validate(engine, inputs, options);
  const { T, B, I, H, D, GS } = plan;
  const layout = constLayout(plan);
  const lbr0 = options.cell === 'gru' && !options.linearBeforeReset;
  const made: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (made.push(t), t);
  try {
    const consts = keep(packConsts(engine, inputs, layout));
    using x2 = inputs.x.reshape([T * B, I]);
    using xw = matmul(engine, x2, inputs.w, { transposeB: true, label: 'recurrent.xw' });
    const y = keep(empty(engine, [T, D, B, H], { zero: true, label: 'recurrent.y' }));
    using fin = empty(engine, [2, D, B, H], { label: 'recurrent.final' });
    const saved = keep(empty(engine, [D * T * B * (GS + 1) * H], { label: 'recurrent.saved' }));
    const hin = keep(
      empty(engine, [lbr0 ? 2 : 1, D, T * B, H], { zero: true, label: 'recurrent.hin' }),
    );
    const groups = Math.ceil((D * B * H) / WORKGROUP_SIZE);
    // One step even for an empty sequence: it copies h0/c0 to the final state.
    for (let s = 0; s < Math.max(T, 1); s++) {
      for (const phase of lbr0 ? [0, 1] : [1]) {
        const params = recurrentParams(plan, options, layout, {
          step: s,
          phase,
          hasLens: inputs.sequenceLens !== undefined,
        });
        engine.dispatch({
          code: recurrentSource,
          label: `nn/recurrent.wgsl ${options.cell} step ${s}${lbr0 ? ` phase ${phase}` : ''}`,
          constants: { WG: WORKGROUP_SIZE },
          bindings: [
            xw.buffer,
            consts.buffer,
            inputs.r.buffer,
            y.buffer,
            fin.buffer,
            saved.buffer,
            hin.buffer,
            engine.constants('recurrent.params', params),
          ],
          workgroups: groups,
        });
      }
    }
    using yh = slice(engine, fin, { starts: [0], ends: [1], axes: [0], label: 'recurrent.y_h' });
    const yH = keep(yh.reshape([D, B, H]));
    let yC: Tensor | undefined;
    if (options.cell === 'lstm') {
      using yc = slice(engine, fin, { starts: [1], ends: [2], axes: [0], label: 'recurrent.y_c' });
      yC = keep(yc.reshape([D, B, H]));
    }
    return { y, yH, yC, plan, consts, layout, saved, hin };
  } catch (error) {
    for (const t of made) t.destroy();
    throw error;
  }
}

/**
 * Runs an ONNX recurrent layer (RNN, GRU or LSTM) over a whole sequence on the GPU.
 *
 * @example
 * ```ts ignore
 * const { y, yH, yC } = recurrent(engine, { x, w, r, bias }, { cell: 'lstm' });
 * ```
 * @throws {ShapeError} when an input's shape does not fit; {@linkcode ArgumentError} for bad
 *   options.
 */
export function recurrent(
  engine: Engine,
  inputs: RecurrentInputs,
  options: RecurrentOptions,
): RecurrentOutputs {
  const state = recurrentState(engine, inputs, options);
  state.consts.destroy();
  state.saved.destroy();
  state.hin.destroy();
  return { y: state.y, yH: state.yH, yC: state.yC };
}

// ---------------------------------------------------------------- f64 CPU reference

/** Host data of a recurrent layer's inputs (ONNX layout 0), for the CPU references. */
export interface RecurrentData {
  /** [T, B, I]. */
  x: ArrayLike<number>;
  /** Shape of x. */
  xShape: readonly number[];
  /** [D, G·H, I]. */
  w: ArrayLike<number>;
  /** [D, G·H, H]. */
  r: ArrayLike<number>;
  /** Hidden size. */
  hiddenSize: number;
  /** [D, 2·G·H]. */
  bias?: ArrayLike<number>;
  /** [B]. */
  sequenceLens?: ArrayLike<number>;
  /** [D, B, H]. */
  initialH?: ArrayLike<number>;
  /** [D, B, H]. */
  initialC?: ArrayLike<number>;
  /** [D, 3·H]. */
  peepholes?: ArrayLike<number>;
}

/** One activation in f64. */
export function activationReference(a: Activation, v: number): number {
  switch (a.name) {
    case 'Relu':
      return Math.max(v, 0);
    case 'Tanh':
      return Math.tanh(v);
    case 'Sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'Affine':
      return a.alpha * v + a.beta;
    case 'LeakyRelu':
      return v >= 0 ? v : a.alpha * v;
    case 'ThresholdedRelu':
      return v > a.alpha ? v : 0;
    case 'ScaledTanh':
      return a.alpha * Math.tanh(a.beta * v);
    case 'HardSigmoid':
      return Math.min(Math.max(a.alpha * v + a.beta, 0), 1);
    case 'Elu':
      return v >= 0 ? v : a.alpha * Math.expm1(v);
    case 'Softsign':
      return v / (1 + Math.abs(v));
    case 'Softplus':
      return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
}

/** The derivative of {@linkcode activationReference} (one-sided at kinks, as the shaders). */
export function activationDerivative(a: Activation, v: number): number {
  switch (a.name) {
    case 'Relu':
      return v > 0 ? 1 : 0;
    case 'Tanh':
      return 1 - Math.tanh(v) ** 2;
    case 'Sigmoid': {
      const s = 1 / (1 + Math.exp(-v));
      return s * (1 - s);
    }
    case 'Affine':
      return a.alpha;
    case 'LeakyRelu':
      return v >= 0 ? 1 : a.alpha;
    case 'ThresholdedRelu':
      return v > a.alpha ? 1 : 0;
    case 'ScaledTanh':
      return a.alpha * a.beta * (1 - Math.tanh(a.beta * v) ** 2);
    case 'HardSigmoid': {
      const u = a.alpha * v + a.beta;
      return u > 0 && u < 1 ? a.alpha : 0;
    }
    case 'Elu':
      return v >= 0 ? 1 : a.alpha * Math.exp(v);
    case 'Softsign':
      return 1 / (1 + Math.abs(v)) ** 2;
    case 'Softplus':
      return 1 / (1 + Math.exp(-v));
  }
}

/** What one step of one (direction, batch row) computed: the backward reference's tape. */
export interface StepRecord {
  /** Time index. */
  t: number;
  /** h_prev [H]. */
  hPrev: Float64Array;
  /** C_prev [H] (LSTM). */
  cPrev: Float64Array;
  /** Pre-activations per gate [G][H] (before clip; LSTM a_o includes Po·C). */
  pre: Float64Array[];
  /** GRU: h_prev·Rhᵀ + Rbh [H]. */
  q: Float64Array;
  /** GRU: r ⊙ h_prev [H]. */
  rh: Float64Array;
  /** LSTM: C [H]. */
  c: Float64Array;
}

/** What {@linkcode recurrentReference} returns. */
export interface RecurrentReference {
  /** [T, D, B, H]. */
  y: Float64Array;
  /** [D, B, H]. */
  yH: Float64Array;
  /** [D, B, H] (LSTM). */
  yC: Float64Array;
  /** Per direction and batch row (index d·B + b), the steps in order. */
  tape: StepRecord[][];
  /** Geometry. */
  plan: RecurrentPlan;
}

/** The clip-aware gate value and derivative of a pre-activation. */
export function gateReference(a: Activation, v: number, clip: number | undefined): number {
  return activationReference(a, clip === undefined ? v : Math.min(Math.max(v, -clip), clip));
}

/** ∂gate/∂a with the clip mask. */
export function gateDerivative(a: Activation, v: number, clip: number | undefined): number {
  if (clip !== undefined && Math.abs(v) > clip) return 0;
  return activationDerivative(a, v);
}

/**
 * f64 CPU reference of {@linkcode recurrent}: the ONNX equations, one (direction, batch row) at a
 * time. Returns the tape the backward reference replays.
 */
export function recurrentReference(
  data: RecurrentData,
  options: RecurrentOptions,
): RecurrentReference {
  const H = data.hiddenSize;
  const D = options.direction === 'bidirectional' ? 2 : 1;
  const G = GATES[options.cell];
  const [T, B, I] = data.xShape;
  const plan = planRecurrent({ x: data.xShape, w: [D, G * H, I], r: [D, G * H, H] }, options);
  const clip = options.clip;
  const y = new Float64Array(T * D * B * H);
  const yH = new Float64Array(D * B * H);
  const yC = new Float64Array(D * B * H);
  const tape: StepRecord[][] = [];
  const GH = G * H;
  for (let d = 0; d < D; d++) {
    const [f, g, hAct] = plan.activations[d];
    for (let b = 0; b < B; b++) {
      const L = Math.min(T, Math.max(0, data.sequenceLens ? data.sequenceLens[b] : T));
      const steps: StepRecord[] = [];
      tape.push(steps);
      let h = Float64Array.from({ length: H }, (_, j) => data.initialH?.[(d * B + b) * H + j] ?? 0);
      let c = Float64Array.from({ length: H }, (_, j) => data.initialC?.[(d * B + b) * H + j] ?? 0);
      for (let s = 0; s < L; s++) {
        const t = plan.reverse[d] ? L - 1 - s : s;
        // x·Wᵀ + Wb + Rb and h·Rᵀ per gate row.
        const xPart = new Float64Array(GH);
        const hPart = new Float64Array(GH);
        for (let m = 0; m < GH; m++) {
          let sx = data.bias?.[d * 2 * GH + m] ?? 0;
          for (let i = 0; i < I; i++) {
            sx += data.x[(t * B + b) * I + i] * data.w[(d * GH + m) * I + i];
          }
          let sh = data.bias?.[d * 2 * GH + GH + m] ?? 0;
          for (let k = 0; k < H; k++) sh += h[k] * data.r[(d * GH + m) * H + k];
          xPart[m] = sx;
          hPart[m] = sh;
        }
        const rec: StepRecord = {
          t,
          hPrev: h,
          cPrev: c,
          pre: Array.from({ length: G }, () => new Float64Array(H)),
          q: new Float64Array(H),
          rh: new Float64Array(H),
          c: new Float64Array(H),
        };
        const next = new Float64Array(H);
        if (options.cell === 'rnn') {
          for (let j = 0; j < H; j++) {
            rec.pre[0][j] = xPart[j] + hPart[j];
            next[j] = gateReference(f, rec.pre[0][j], clip);
          }
        } else if (options.cell === 'gru') {
          const z = new Float64Array(H);
          const rg = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            rec.pre[0][j] = xPart[j] + hPart[j];
            rec.pre[1][j] = xPart[H + j] + hPart[H + j];
            z[j] = gateReference(f, rec.pre[0][j], clip);
            rg[j] = gateReference(f, rec.pre[1][j], clip);
            rec.rh[j] = rg[j] * h[j];
          }
          for (let j = 0; j < H; j++) {
            if (options.linearBeforeReset) {
              rec.q[j] = hPart[2 * H + j];
              rec.pre[2][j] = xPart[2 * H + j] + rg[j] * rec.q[j];
            } else {
              let sh = data.bias?.[d * 2 * GH + GH + 2 * H + j] ?? 0;
              for (let k = 0; k < H; k++) sh += rec.rh[k] * data.r[(d * GH + 2 * H + j) * H + k];
              rec.pre[2][j] = xPart[2 * H + j] + sh;
            }
            next[j] = (1 - z[j]) * gateReference(g, rec.pre[2][j], clip) + z[j] * h[j];
          }
        } else {
          const P = (k: number, j: number) => data.peepholes?.[d * 3 * H + k * H + j] ?? 0;
          const cNext = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            rec.pre[0][j] = xPart[j] + hPart[j] + P(0, j) * c[j];
            rec.pre[2][j] = xPart[2 * H + j] + hPart[2 * H + j] + P(2, j) * c[j];
            rec.pre[3][j] = xPart[3 * H + j] + hPart[3 * H + j];
            const i = gateReference(f, rec.pre[0][j], clip);
            const fg = options.inputForget ? 1 - i : gateReference(f, rec.pre[2][j], clip);
            cNext[j] = fg * c[j] + i * gateReference(g, rec.pre[3][j], clip);
            rec.pre[1][j] = xPart[H + j] + hPart[H + j] + P(1, j) * cNext[j];
            next[j] = gateReference(f, rec.pre[1][j], clip) * activationReference(hAct, cNext[j]);
          }
          rec.c = cNext;
          c = cNext;
        }
        steps.push(rec);
        h = next;
        for (let j = 0; j < H; j++) y[((t * D + d) * B + b) * H + j] = h[j];
      }
      yH.set(h, (d * B + b) * H);
      yC.set(c, (d * B + b) * H);
    }
  }
  return { y, yH, yC, tape, plan };
}
