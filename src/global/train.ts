/**
 * The training core: minibatch training on the GPU of small dense heads (a linear layer, or
 * dense layers with ReLU between) — the surrogates and probes of `global/`. Losses
 * (`shaders/train/loss.wgsl`): softmax cross-entropy, KL to a teacher's soft labels at a
 * temperature, mean squared error. Optimizers (`shaders/train/optimizer.wgsl`): SGD with
 * momentum, Adam, AdamW, with weight decay; PyTorch's update rules, checked against a PyTorch
 * reference of the same steps (`test/fixtures/make_train_reference.py`). Seeded shuffling, early
 * stopping on a validation split, progress callbacks, cancellation with an `AbortSignal`.
 *
 * Forward and backward reuse the engine's kernels (`matmul` with transposes, broadcast `add`,
 * `sum`, `unaryBackward` for ReLU, `gather` for the minibatch rows); nothing waits on the GPU
 * within an epoch.
 *
 * @module
 */

import lossSource from '../../shaders/train/loss.wgsl' with { type: 'text' };
import optimizerSource from '../../shaders/train/optimizer.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { add } from '../ops/binary.ts';
import { WORKGROUP_SIZE } from '../ops/common.ts';
import { gather } from '../ops/gather.ts';
import { matmul } from '../ops/matmul.ts';
import { sum } from '../ops/reduce.ts';
import { relu } from '../ops/unary.ts';
import { unaryBackward } from '../ops/unary_backward.ts';
import { empty, type Tensor, tensor } from '../tensor.ts';

/** A training loss. */
export type LossKind = 'cross-entropy' | 'kl' | 'mse';
/** An optimizer. */
export type OptimizerKind = 'sgd' | 'adam' | 'adamw';

const LOSS_MODES: Record<LossKind, number> = { 'cross-entropy': 0, kl: 1, mse: 2 };
const OPTIMIZER_KINDS: Record<OptimizerKind, number> = { sgd: 0, adam: 1, adamw: 2 };

/** Optimizer settings (PyTorch's names and defaults, except the learning rate). */
export interface OptimizerOptions {
  /** `sgd` (with `momentum`), `adam` (L2 weight decay) or `adamw` (decoupled). Default adam. */
  kind?: OptimizerKind;
  /** Learning rate (default 1e-3 for Adam/AdamW, 1e-2 for SGD). */
  learningRate?: number;
  /** SGD momentum (default 0). */
  momentum?: number;
  /** Adam β1 (default 0.9). */
  beta1?: number;
  /** Adam β2 (default 0.999). */
  beta2?: number;
  /** Adam ε (default 1e-8). */
  epsilon?: number;
  /** Weight decay λ (default 0; AdamW's PyTorch default 1e-2 is not applied implicitly). */
  weightDecay?: number;
}

/** Loss settings. */
export interface LossOptions {
  /** The loss (default cross-entropy). */
  loss?: LossKind;
  /** Temperature of the KL loss (default 1); the loss is scaled by T² (Hinton et al.). */
  temperature?: number;
}

/** A dense layer's weights on the CPU: `w` is [inputs, outputs] row-major, `b` is [outputs]. */
export interface DenseWeights {
  /** Weights, row-major [inputs, outputs] (`y = x·w + b`). */
  w: Float32Array;
  /** Bias, [outputs]. */
  b: Float32Array;
}

/** Options for {@linkcode createHead}. */
export interface HeadOptions {
  /** Seed of the initialization (default 0). */
  seed?: number;
  /** Initial weights, one per layer (default: PyTorch's `nn.Linear` init, U(±1/√inputs)). */
  weights?: readonly DenseWeights[];
}

/** A deterministic PRNG (mulberry32) giving floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = (seed >>> 0) + 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `0..n-1` with a seeded PRNG. */
export function shuffledIndices(n: number, random: () => number): Int32Array<ArrayBuffer> {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/**
 * A stack of dense layers with ReLU between them, its parameters on the GPU: `sizes = [D, C]`
 * is a linear (logistic) model, `[D, H, C]` a one-hidden-layer MLP. Owns its tensors.
 */
export class Head {
  /** The engine. */
  readonly engine: Engine;
  /** Layer widths, input first. */
  readonly sizes: readonly number[];
  /** Parameters: w0, b0, w1, b1, ... (`w` [in, out], `b` [out]). */
  readonly params: Tensor[];

  /** Prefer {@linkcode createHead}. */
  constructor(engine: Engine, sizes: readonly number[], params: Tensor[]) {
    this.engine = engine;
    this.sizes = Object.freeze([...sizes]);
    this.params = params;
  }

  /** Number of dense layers. */
  get layers(): number {
    return this.sizes.length - 1;
  }

  /** The logits for `x` [B, D] (recorded, not awaited); the caller owns the result. */
  forward(x: Tensor): Tensor {
    return this.#forward(x).out;
  }

  #forward(x: Tensor): { out: Tensor; pre: Tensor[]; acts: Tensor[] } {
    const pre: Tensor[] = [];
    const acts: Tensor[] = [x];
    let h = x;
    for (let l = 0; l < this.layers; l++) {
      const prod = matmul(this.engine, h, this.params[2 * l]);
      const z = add(this.engine, prod, this.params[2 * l + 1]);
      prod.destroy();
      if (l === this.layers - 1) return { out: z, pre, acts };
      pre.push(z);
      h = relu(this.engine, z);
      acts.push(h);
    }
    throw new Error('unreachable');
  }

  /**
   * Records forward and backward for the batch `x` given the gradient function of the logits;
   * returns the parameter gradients (owned by the caller) in `params` order.
   */
  gradients(x: Tensor, lossGrad: (logits: Tensor) => Tensor): Tensor[] {
    const engine = this.engine;
    const { out, pre, acts } = this.#forward(x);
    let dz = lossGrad(out);
    out.destroy();
    const grads: Tensor[] = new Array(this.params.length);
    for (let l = this.layers - 1; l >= 0; l--) {
      const a = acts[l];
      grads[2 * l] = matmul(engine, a, dz, { transposeA: true, label: `head.dw${l}` });
      grads[2 * l + 1] = sum(engine, dz, { axis: 0, label: `head.db${l}` });
      if (l > 0) {
        const da = matmul(engine, dz, this.params[2 * l], { transposeB: true });
        dz.destroy();
        dz = unaryBackward(engine, 'relu', pre[l - 1], da);
        da.destroy();
      }
    }
    dz.destroy();
    for (const t of pre) t.destroy();
    for (const t of acts.slice(1)) t.destroy();
    return grads;
  }

  /** Copies the weights to the CPU. */
  async read(): Promise<DenseWeights[]> {
    const out: DenseWeights[] = [];
    for (let l = 0; l < this.layers; l++) {
      out.push({
        w: await this.params[2 * l].readFloat32(),
        b: await this.params[2 * l + 1].readFloat32(),
      });
    }
    return out;
  }

  /** Overwrites the weights. */
  write(weights: readonly DenseWeights[]): void {
    for (let l = 0; l < this.layers; l++) {
      const w = weights[l];
      this.engine.device.queue.writeBuffer(this.params[2 * l].buffer, 0, Float32Array.from(w.w));
      this.engine.device.queue.writeBuffer(
        this.params[2 * l + 1].buffer,
        0,
        Float32Array.from(w.b),
      );
    }
  }

  /** Destroys the parameters. Idempotent. */
  destroy(): void {
    for (const p of this.params) p.destroy();
  }

  /** `using` support. */
  [Symbol.dispose](): void {
    this.destroy();
  }
}

/** PyTorch's default `nn.Linear` initialization, U(±1/√inputs) for weights and bias, seeded. */
export function initDense(inputs: number, outputs: number, random: () => number): DenseWeights {
  const bound = 1 / Math.sqrt(inputs);
  const w = new Float32Array(inputs * outputs);
  for (let i = 0; i < w.length; i++) w[i] = (2 * random() - 1) * bound;
  const b = new Float32Array(outputs);
  for (let i = 0; i < outputs; i++) b[i] = (2 * random() - 1) * bound;
  return { w, b };
}

/**
 * Creates a dense head with layer widths `sizes` (at least two: inputs and outputs).
 *
 * @throws {ArgumentError} for bad sizes or initial weights of the wrong length.
 */
export function createHead(
  engine: Engine,
  sizes: readonly number[],
  options: HeadOptions = {},
): Head {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new ArgumentError(
      `Cannot create head: sizes must be ≥ 2 positive integers, got [${sizes}]`,
    );
  }
  const random = seededRandom(options.seed ?? 0);
  const params: Tensor[] = [];
  for (let l = 0; l < sizes.length - 1; l++) {
    const given = options.weights?.[l];
    const init = given ?? initDense(sizes[l], sizes[l + 1], random);
    if (init.w.length !== sizes[l] * sizes[l + 1] || init.b.length !== sizes[l + 1]) {
      throw new ArgumentError(
        `Cannot create head: layer ${l} wants w of ${sizes[l]}×${sizes[l + 1]} and b of ` +
          `${sizes[l + 1]}, got ${init.w.length} and ${init.b.length}`,
      );
    }
    params.push(tensor(engine, init.w, [sizes[l], sizes[l + 1]], { label: `head.w${l}` }));
    params.push(tensor(engine, init.b, [sizes[l + 1]], { label: `head.b${l}` }));
  }
  return new Head(engine, sizes, params);
}

/** Optimizer state: moment buffers per parameter and the step count. */
export class Optimizer {
  /** The resolved settings. */
  readonly options: Required<OptimizerOptions>;
  /** Steps taken. */
  step = 0;
  #m: Tensor[];
  #v: Tensor[];
  #engine: Engine;

  /** Makes zeroed state for `params`. */
  constructor(engine: Engine, params: readonly Tensor[], options: OptimizerOptions = {}) {
    const kind = options.kind ?? 'adam';
    if (!(kind in OPTIMIZER_KINDS)) {
      throw new ArgumentError(`Cannot create optimizer: unknown kind '${kind}' (sgd, adam, adamw)`);
    }
    this.options = {
      kind,
      learningRate: options.learningRate ?? (kind === 'sgd' ? 1e-2 : 1e-3),
      momentum: options.momentum ?? 0,
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      epsilon: options.epsilon ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
    };
    for (const [k, v] of Object.entries(this.options)) {
      if (k !== 'kind' && (!Number.isFinite(v as number) || (v as number) < 0)) {
        throw new ArgumentError(
          `Cannot create optimizer: ${k} must be a finite number ≥ 0, got ${v}`,
        );
      }
    }
    this.#engine = engine;
    this.#m = params.map((p) => empty(engine, p.shape, { label: `${p.label}.m`, zero: true }));
    this.#v = params.map((p) =>
      empty(engine, kind === 'sgd' ? [1] : p.shape, { label: `${p.label}.v`, zero: true })
    );
  }

  /** Records one update of `params` with `grads` (same order as at construction). */
  update(params: readonly Tensor[], grads: readonly Tensor[]): void {
    this.step++;
    const o = this.options;
    const t = this.step;
    const stepSize = o.learningRate / (1 - o.beta1 ** t);
    const rootC2 = Math.sqrt(1 - o.beta2 ** t);
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const u = new Uint32Array(12);
      const f = new Float32Array(u.buffer);
      u[0] = p.size;
      f.set([o.learningRate, o.momentum, o.beta1, o.beta2, o.epsilon, o.weightDecay], 4);
      f[10] = stepSize;
      f[11] = rootC2;
      this.#engine.dispatch({
        code: optimizerSource,
        label: `train/optimizer.wgsl ${o.kind}`,
        constants: { WG: WORKGROUP_SIZE, KIND: OPTIMIZER_KINDS[o.kind] },
        bindings: [
          p.buffer,
          grads[i].buffer,
          this.#m[i].buffer,
          this.#v[i].buffer,
          this.#engine.constants('optimizer.params', u),
        ],
        workgroups: Math.ceil(p.size / WORKGROUP_SIZE),
      });
    }
  }

  /** Destroys the state. */
  destroy(): void {
    for (const t of [...this.#m, ...this.#v]) t.destroy();
  }
}

/**
 * Records the loss kernel on `logits` [B, C] against `targets` (class indices as f32 [B], or
 * [B, C] teacher logits / regression targets); writes each row's loss into `losses` at
 * `index[row]` and returns the gradient of the batch-mean loss with respect to the logits.
 */
export function lossGradient(
  engine: Engine,
  logits: Tensor,
  targets: Tensor,
  index: Tensor,
  losses: Tensor,
  options: LossOptions = {},
): Tensor {
  const kind = options.loss ?? 'cross-entropy';
  if (!(kind in LOSS_MODES)) {
    throw new ArgumentError(`Cannot compute loss: unknown loss '${kind}' (cross-entropy, kl, mse)`);
  }
  const [rows, cols] = logits.shape;
  const T = options.temperature ?? 1;
  if (!(T > 0)) throw new ArgumentError(`Cannot compute loss: temperature must be > 0, got ${T}`);
  const want = kind === 'cross-entropy' ? rows : rows * cols;
  if (targets.size !== want || index.size !== rows) {
    throw new ArgumentError(
      `Cannot compute ${kind} loss: logits [${logits.shape}] want ${want} targets and ${rows} ` +
        `indices, got ${targets.size} and ${index.size}`,
    );
  }
  const scale = kind === 'kl' ? T / rows : kind === 'mse' ? 1 / (rows * cols) : 1 / rows;
  const dz = empty(engine, logits.shape, { label: 'loss.dz' });
  const u = new Uint32Array(4);
  const f = new Float32Array(u.buffer);
  u[0] = rows;
  u[1] = cols;
  f[2] = kind === 'kl' ? T : 1;
  f[3] = scale;
  engine.dispatch({
    code: lossSource,
    label: `train/loss.wgsl ${kind}`,
    constants: { WG: WORKGROUP_SIZE, MODE: LOSS_MODES[kind] },
    bindings: [
      logits.buffer,
      targets.buffer,
      index.buffer,
      dz.buffer,
      losses.buffer,
      engine.constants('loss.params', u),
    ],
    workgroups: Math.ceil(rows / WORKGROUP_SIZE),
  });
  return dz;
}

/**
 * f64 CPU reference of the loss kernel: per-row losses and the gradient of the batch mean.
 */
export function lossReference(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  rows: number,
  cols: number,
  options: LossOptions = {},
): { losses: Float64Array; grad: Float64Array } {
  const kind = options.loss ?? 'cross-entropy';
  const T = kind === 'kl' ? options.temperature ?? 1 : 1;
  const losses = new Float64Array(rows);
  const grad = new Float64Array(rows * cols);
  const logSoftmax = (v: number[]) => {
    const m = Math.max(...v);
    const lse = m + Math.log(v.reduce((a, x) => a + Math.exp(x - m), 0));
    return v.map((x) => x - lse);
  };
  for (let r = 0; r < rows; r++) {
    const z = Array.from({ length: cols }, (_, c) => logits[r * cols + c]);
    if (kind === 'mse') {
      for (let c = 0; c < cols; c++) {
        const d = z[c] - targets[r * cols + c];
        losses[r] += d * d / cols;
        grad[r * cols + c] = 2 * d / (rows * cols);
      }
      continue;
    }
    const lq = logSoftmax(z.map((x) => x / T));
    if (kind === 'cross-entropy') {
      const y = targets[r];
      losses[r] = -lq[y];
      for (let c = 0; c < cols; c++) {
        grad[r * cols + c] = (Math.exp(lq[c]) - (c === y ? 1 : 0)) / rows;
      }
      continue;
    }
    const lp = logSoftmax(Array.from({ length: cols }, (_, c) => targets[r * cols + c] / T));
    for (let c = 0; c < cols; c++) {
      const p = Math.exp(lp[c]);
      if (p > 0) losses[r] += T * T * p * (lp[c] - lq[c]);
      grad[r * cols + c] = T * (Math.exp(lq[c]) - p) / rows;
    }
  }
  return { losses, grad };
}

/** Progress of {@linkcode trainHead}, after each epoch. */
export interface EpochReport {
  /** Epoch number, from 1. */
  epoch: number;
  /** Mean training loss over the epoch's minibatches. */
  trainLoss: number;
  /** Mean validation loss (NaN without a validation split). */
  validationLoss: number;
  /** Validation top-1 agreement with the targets' argmax (NaN for MSE or no validation). */
  validationAccuracy: number;
}

/** Options for {@linkcode trainHead}. */
export interface TrainOptions extends LossOptions {
  /** Hidden widths between inputs and outputs (default none: a linear model). */
  hidden?: readonly number[];
  /** Number of outputs (classes); required for cross-entropy, else taken from the targets. */
  outputs?: number;
  /** The optimizer (default Adam, lr 1e-3). */
  optimizer?: OptimizerOptions;
  /** Minibatch size (default 64). */
  batchSize?: number;
  /** Maximum epochs (default 20). */
  epochs?: number;
  /** Seed of the initialization, the split and the shuffling (default 0). */
  seed?: number;
  /** Fraction of the rows held out for early stopping (default 0: none). */
  validationFraction?: number;
  /** Epochs without a better validation loss before stopping (default 5). */
  patience?: number;
  /** Initial weights (default: PyTorch-style init from the seed). */
  weights?: readonly DenseWeights[];
  /** Called after each epoch. */
  onEpoch?: (report: EpochReport) => void;
  /** Cancels between minibatches; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@linkcode trainHead} returns. */
export interface TrainResult {
  /** The trained head (the best validation epoch's weights when early stopping); caller owns. */
  head: Head;
  /** One report per epoch run. */
  history: EpochReport[];
  /** The epoch whose weights the head holds. */
  bestEpoch: number;
  /** Whether early stopping ended training before `epochs`. */
  stoppedEarly: boolean;
}

function argmaxRow(v: ArrayLike<number>, base: number, cols: number): number {
  let best = 0;
  for (let c = 1; c < cols; c++) if (v[base + c] > v[base + best]) best = c;
  return best;
}

/**
 * Trains a dense head on `x` [N, D] (a GPU tensor, borrowed) against `targets` (host data:
 * class indices [N] for cross-entropy, teacher logits [N·C] for KL, targets [N·C] for MSE).
 *
 * @example
 * ```ts ignore
 * const { head } = await trainHead(engine, x, labels, { outputs: 10, epochs: 10 });
 * const logits = head.forward(xTest);
 * ```
 * @throws {ArgumentError} for inconsistent shapes or options.
 */
export async function trainHead(
  engine: Engine,
  x: Tensor,
  targets: ArrayLike<number>,
  options: TrainOptions = {},
): Promise<TrainResult> {
  if (x.rank !== 2 || x.dtype !== 'f32') {
    throw new ArgumentError(`Cannot train: x must be f32 [N, D], got ${x.dtype} [${x.shape}]`);
  }
  const [n, d] = x.shape;
  const kind = options.loss ?? 'cross-entropy';
  let classes: number;
  if (kind === 'cross-entropy') {
    if (targets.length !== n) {
      throw new ArgumentError(`Cannot train: ${n} rows but ${targets.length} class labels`);
    }
    let maxLabel = 0;
    for (let i = 0; i < n; i++) {
      const y = targets[i];
      if (!Number.isInteger(y) || y < 0) {
        throw new ArgumentError(`Cannot train: label ${i} is ${y}, not a class index`);
      }
      maxLabel = Math.max(maxLabel, y);
    }
    classes = options.outputs ?? maxLabel + 1;
    if (maxLabel >= classes) {
      throw new ArgumentError(`Cannot train: label ${maxLabel} ≥ outputs ${classes}`);
    }
  } else {
    if (targets.length % n !== 0 || targets.length === 0) {
      throw new ArgumentError(`Cannot train: ${targets.length} targets for ${n} rows`);
    }
    classes = targets.length / n;
  }
  const batchSize = options.batchSize ?? 64;
  const epochs = options.epochs ?? 20;
  const patience = options.patience ?? 5;
  const fraction = options.validationFraction ?? 0;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ArgumentError(`Cannot train: batchSize must be ≥ 1, got ${batchSize}`);
  }
  if (!(fraction >= 0 && fraction < 1)) {
    throw new ArgumentError(`Cannot train: validationFraction must be in [0, 1), got ${fraction}`);
  }
  const seed = options.seed ?? 0;
  const random = seededRandom(seed ^ 0x5eed);
  const order = shuffledIndices(n, random);
  const nVal = Math.floor(n * fraction);
  const valRows = order.slice(0, nVal);
  const trainRows = order.slice(nVal);
  if (trainRows.length === 0) throw new ArgumentError('Cannot train: no training rows');
  const per = kind === 'cross-entropy' ? 1 : classes;
  const targetData = Float32Array.from(targets);
  const head = createHead(engine, [d, ...(options.hidden ?? []), classes], {
    seed,
    weights: options.weights,
  });
  const optimizer = new Optimizer(engine, head.params, options.optimizer);
  const targetShape = kind === 'cross-entropy' ? [n] : [n, classes];
  const allTargets = tensor(engine, targetData, targetShape, { label: 'train.targets' });
  const losses = empty(engine, [n], { label: 'train.losses', zero: true });
  const history: EpochReport[] = [];
  let best = { loss: Infinity, epoch: 0, weights: null as DenseWeights[] | null };
  let stoppedEarly = false;
  let valX: Tensor | null = null;
  try {
    if (nVal > 0) {
      using idx = tensor(engine, valRows, [nVal], { dtype: 'i32', label: 'train.valRows' });
      valX = gather(engine, x, idx, { axis: 0, label: 'train.valX' });
    }
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const perm = shuffledIndices(trainRows.length, random);
      for (let s = 0; s < trainRows.length; s += batchSize) {
        if (options.signal?.aborted) throw options.signal.reason;
        const count = Math.min(batchSize, trainRows.length - s);
        const rows = new Int32Array(count);
        for (let i = 0; i < count; i++) rows[i] = trainRows[perm[s + i]];
        using idx = tensor(engine, rows, [count], { dtype: 'i32', label: 'train.rows' });
        using bx = gather(engine, x, idx, { axis: 0, label: 'train.batch' });
        using bt = gather(engine, allTargets, idx, { axis: 0, label: 'train.batchTargets' });
        const grads = head.gradients(bx, (z) => lossGradient(engine, z, bt, idx, losses, options));
        optimizer.update(head.params, grads);
        for (const g of grads) g.destroy();
        engine.flush();
      }
      const all = await losses.readFloat32();
      let trainLoss = 0;
      for (const r of trainRows) trainLoss += all[r];
      trainLoss /= trainRows.length;
      let validationLoss = NaN;
      let validationAccuracy = NaN;
      if (valX) {
        using z = head.forward(valX);
        const logits = await z.readFloat32();
        const vt = new Float32Array(nVal * per);
        for (let i = 0; i < nVal; i++) {
          vt.set(targetData.subarray(valRows[i] * per, (valRows[i] + 1) * per), i * per);
        }
        const ref = lossReference(logits, vt, nVal, classes, options);
        validationLoss = ref.losses.reduce((a, v) => a + v, 0) / nVal;
        if (kind !== 'mse') {
          let agree = 0;
          for (let i = 0; i < nVal; i++) {
            const want = kind === 'cross-entropy' ? vt[i] : argmaxRow(vt, i * classes, classes);
            if (argmaxRow(logits, i * classes, classes) === want) agree++;
          }
          validationAccuracy = agree / nVal;
        }
      }
      const report = { epoch, trainLoss, validationLoss, validationAccuracy };
      history.push(report);
      options.onEpoch?.(report);
      if (valX) {
        if (validationLoss < best.loss) {
          best = { loss: validationLoss, epoch, weights: await head.read() };
        } else if (epoch - best.epoch >= patience) {
          stoppedEarly = epoch < epochs;
          break;
        }
      }
    }
    if (best.weights) head.write(best.weights);
    return {
      head,
      history,
      bestEpoch: best.weights ? best.epoch : history.length,
      stoppedEarly,
    };
  } catch (error) {
    head.destroy();
    throw error;
  } finally {
    optimizer.destroy();
    allTargets.destroy();
    losses.destroy();
    valX?.destroy();
  }
}
