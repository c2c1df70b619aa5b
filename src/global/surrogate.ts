/**
 * Distillation: fit an interpretable surrogate to a model's outputs over a dataset (not the
 * labels) and measure how faithful it is on held-out data. Kinds: a multinomial logistic model
 * on the inputs (per-class weights are templates), a one-hidden-layer MLP, a depth-limited
 * decision tree with printed rules. Every surrogate is exported as ONNX (`onnx_export.ts`), so
 * it can be run and explained like any model.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import type { InputData, Model } from '../onnx/model.ts';
import { captureActivations } from '../stats/capture.ts';
import { tensor } from '../tensor.ts';
import { exportDenseOnnx, exportTreeOnnx, type TreeNode } from './onnx_export.ts';
import {
  type DenseWeights,
  type EpochReport,
  type OptimizerOptions,
  seededRandom,
  shuffledIndices,
  trainHead,
} from './train.ts';
import { fitTree, predictTree, treeRules } from './tree.ts';

/** A surrogate kind. */
export type SurrogateKind = 'linear' | 'mlp' | 'tree';
/** Every surrogate kind. */
export const SURROGATE_KINDS: readonly SurrogateKind[] = ['linear', 'mlp', 'tree'];

/** Options for {@linkcode distill}. */
export interface DistillOptions {
  /** `linear` (default), `mlp` or `tree`. */
  kind?: SurrogateKind;
  /** True labels per example, for the accuracy figures (optional). */
  labels?: ArrayLike<number>;
  /** Fraction of the examples held out for fidelity (default 0.25). */
  testFraction?: number;
  /** Hidden width of the MLP (default 64). */
  hidden?: number;
  /** Tree depth (default 6). */
  depth?: number;
  /** Fewest training examples in a tree leaf (default 5). */
  minLeaf?: number;
  /** Distillation temperature of the KL loss (default 1). */
  temperature?: number;
  /** Training epochs (default 40; early stopping on 10% of the training rows). */
  epochs?: number;
  /** Minibatch size (default 64). */
  batchSize?: number;
  /** Optimizer (default Adam, lr 3e-3, weight decay 1e-4). */
  optimizer?: OptimizerOptions;
  /** Seed of the split, init and shuffling (default 0). */
  seed?: number;
  /** Progress: phase and fraction. */
  onProgress?: (phase: 'teacher' | 'fit', done: number, total: number) => void;
  /** Cancels between batches and epochs. */
  signal?: AbortSignal;
}

/** Agreement of a surrogate with the model on held-out examples. */
export interface Fidelity {
  /** Fraction of held-out examples where the surrogate's top-1 class is the model's. */
  agreement: number;
  /** Mean KL(model ‖ surrogate) of the softmax outputs, in nats. */
  kl: number;
  /** Held-out examples. */
  count: number;
}

/** A fitted surrogate and its figures. */
export interface Surrogate {
  /** The kind. */
  kind: SurrogateKind;
  /** The model's input name and per-example shape (the surrogate takes the same). */
  inputName: string;
  /** Per-example input dimensions. */
  inputShape: number[];
  /** Number of classes (model outputs). */
  classes: number;
  /** Fidelity on the held-out examples. */
  fidelity: Fidelity;
  /** Fidelity on the training examples (for the generalization gap). */
  trainFidelity: Fidelity;
  /** Accuracy against the true labels on the held-out examples, when labels were given. */
  accuracy?: { surrogate: number; model: number };
  /** Dense kinds: the layers (`w` [in, out]). */
  weights?: DenseWeights[];
  /**
   * Linear kind: per-class templates, [classes, D] row-major (row c is the weight column of
   * class c; reshape to `inputShape` to show as an image).
   */
  templates?: Float32Array;
  /** Tree kind: the tree and its rules (one per leaf). */
  tree?: TreeNode;
  /** Tree rules, one line per leaf. */
  rules?: string[];
  /** Training history (dense kinds). */
  history: EpochReport[];
  /** The surrogate as an ONNX model (input and output named like the model's). */
  onnx: Uint8Array;
  /** Split sizes. */
  split: { train: number; test: number };
  /** Milliseconds taken (teacher outputs and fit). */
  timeMs: number;
}

function softmaxRows(logits: Float32Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let k = 0; k < c; k++) m = Math.max(m, logits[r * c + k]);
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.exp(logits[r * c + k] - m);
    for (let k = 0; k < c; k++) out[r * c + k] = Math.exp(logits[r * c + k] - m) / s;
  }
  return out;
}

function argmax(v: ArrayLike<number>, base: number, c: number): number {
  let best = 0;
  for (let k = 1; k < c; k++) if (v[base + k] > v[base + best]) best = k;
  return best;
}

/** Top-1 agreement and mean KL(teacher ‖ student) between two logit arrays [n, c]. */
export function fidelityOf(
  teacher: Float32Array,
  student: Float32Array,
  n: number,
  c: number,
): Fidelity {
  const p = softmaxRows(teacher, n, c);
  let agree = 0;
  let kl = 0;
  for (let r = 0; r < n; r++) {
    if (argmax(teacher, r * c, c) === argmax(student, r * c, c)) agree++;
    // log-softmax of the student in f64
    let m = -Infinity;
    for (let k = 0; k < c; k++) m = Math.max(m, student[r * c + k]);
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.exp(student[r * c + k] - m);
    const lse = m + Math.log(s);
    for (let k = 0; k < c; k++) {
      const pk = p[r * c + k];
      if (pk > 0) kl += pk * (Math.log(pk) - (student[r * c + k] - lse));
    }
  }
  return { agreement: n ? agree / n : NaN, kl: n ? kl / n : NaN, count: n };
}

/** Flattened float rows of host input data. */
export function flattenInput(data: InputData): { x: Float32Array; n: number; d: number } {
  const n = data.shape[0];
  const d = data.shape.slice(1).reduce((a, b) => a * b, 1);
  const x = data.data instanceof Float32Array ? data.data : Float32Array.from(data.data, Number);
  return { x, n, d };
}

function rowsOf(x: Float32Array, d: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i] * d, rows[i] * d + d), i * d);
  return out;
}

/** A readable name for a flattened feature of an input of per-example shape `shape`. */
export function featureName(shape: readonly number[], f: number): string {
  if (shape.length <= 1) return `x[${f}]`;
  const idx: number[] = [];
  let rest = f;
  for (let a = shape.length - 1; a >= 0; a--) {
    idx.unshift(rest % shape[a]);
    rest = Math.floor(rest / shape[a]);
  }
  // Images [C, H, W] with one channel: name the pixel by row and column.
  if (shape.length === 3 && shape[0] === 1) return `pixel(${idx[1]},${idx[2]})`;
  return `x[${idx.join(',')}]`;
}

/**
 * Fits a surrogate of `model` on `data` (its first input, batch axis first): the model's logits
 * are the targets (KL at `temperature` for dense kinds; argmax splits and mean probabilities for
 * the tree). A seeded `testFraction` of the rows is held out for the fidelity figures.
 *
 * @example
 * ```ts ignore
 * const s = await distill(model, { data: x, shape: [2000, 1, 28, 28] }, { kind: 'linear' });
 * console.log(s.fidelity.agreement); // ≈ 0.9 on the MNIST CNN
 * await Deno.writeFile('surrogate.onnx', s.onnx);
 * ```
 * @throws {ArgumentError} for a model with other than one input, too few examples, bad labels.
 */
export async function distill(
  model: Model,
  data: InputData,
  options: DistillOptions = {},
): Promise<Surrogate> {
  const start = performance.now();
  const kind = options.kind ?? 'linear';
  if (!SURROGATE_KINDS.includes(kind)) {
    throw new ArgumentError(
      `Cannot distill: unknown kind '${kind}' (${SURROGATE_KINDS.join(', ')})`,
    );
  }
  if (model.inputs.length !== 1) {
    throw new ArgumentError(
      `Cannot distill: the model has ${model.inputs.length} inputs; surrogates take one`,
    );
  }
  const { x, n, d } = flattenInput(data);
  if (n < 8) throw new ArgumentError(`Cannot distill: need at least 8 examples, got ${n}`);
  if (options.labels && options.labels.length !== n) {
    throw new ArgumentError(
      `Cannot distill: ${n} examples but ${options.labels.length} labels`,
    );
  }
  const testFraction = options.testFraction ?? 0.25;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ArgumentError(`Cannot distill: testFraction must be in (0, 1), got ${testFraction}`);
  }
  const engine = model.engine;
  const outputName = model.outputs[0].name;
  const captured = await captureActivations(model, data, [outputName], {
    signal: options.signal,
    onProgress: (done, total) => options.onProgress?.('teacher', done, total),
  });
  const teacherT = captured[outputName];
  const teacher = await teacherT.readFloat32();
  teacherT.destroy();
  if (teacher.length % n !== 0) {
    throw new ArgumentError(
      `Cannot distill: the output '${outputName}' is [${teacherT.shape}], not one row per example`,
    );
  }
  const classes = teacher.length / n;
  const seed = options.seed ?? 0;
  const order = shuffledIndices(n, seededRandom(seed ^ 0x7e57));
  const nTest = Math.max(1, Math.round(n * testFraction));
  const testRows = order.slice(0, nTest);
  const trainRows = order.slice(nTest);
  const xTrain = rowsOf(x, d, trainRows);
  const xTest = rowsOf(x, d, testRows);
  const tTrain = rowsOf(teacher, classes, trainRows);
  const tTest = rowsOf(teacher, classes, testRows);
  const inputName = model.inputs[0].name;
  const inputShape = data.shape.slice(1);
  const exportOptions = {
    inputName,
    inputShape,
    outputName,
    name: `glassbox_${kind}_surrogate`,
  };
  let studentTrain: Float32Array;
  let studentTest: Float32Array;
  let history: EpochReport[] = [];
  const result: Partial<Surrogate> = {};
  if (kind === 'tree') {
    const labels = Array.from(
      { length: trainRows.length },
      (_, r) => argmax(tTrain, r * classes, classes),
    );
    const tree = fitTree(
      xTrain,
      trainRows.length,
      d,
      labels,
      softmaxRows(tTrain, trainRows.length, classes),
      classes,
      {
        depth: options.depth,
        minLeaf: options.minLeaf,
      },
    );
    options.onProgress?.('fit', 1, 1);
    studentTrain = predictTree(tree, xTrain, trainRows.length, d);
    studentTest = predictTree(tree, xTest, nTest, d);
    result.tree = tree;
    result.rules = treeRules(tree, (f) => featureName(inputShape, f));
    result.onnx = exportTreeOnnx(tree, d, classes, exportOptions);
  } else {
    using xt = tensor(engine, xTrain, [trainRows.length, d], { label: 'distill.x' });
    const epochs = options.epochs ?? 40;
    const trained = await trainHead(engine, xt, tTrain, {
      loss: 'kl',
      temperature: options.temperature ?? 1,
      hidden: kind === 'mlp' ? [options.hidden ?? 64] : [],
      optimizer: options.optimizer ?? { kind: 'adam', learningRate: 3e-3, weightDecay: 1e-4 },
      batchSize: options.batchSize ?? 64,
      epochs,
      seed,
      validationFraction: 0.1,
      patience: 5,
      signal: options.signal,
      onEpoch: (r) => options.onProgress?.('fit', r.epoch, epochs),
    });
    using head = trained.head;
    history = trained.history;
    using xs = tensor(engine, xTest, [nTest, d], { label: 'distill.xTest' });
    using zs = head.forward(xs);
    using zt = head.forward(xt);
    studentTest = await zs.readFloat32();
    studentTrain = await zt.readFloat32();
    const weights = await head.read();
    result.weights = weights;
    if (kind === 'linear') {
      const w = weights[0].w;
      const templates = new Float32Array(classes * d);
      for (let i = 0; i < d; i++) {
        for (let c = 0; c < classes; c++) templates[c * d + i] = w[i * classes + c];
      }
      result.templates = templates;
    }
    result.onnx = exportDenseOnnx(weights, exportOptions);
  }
  const fidelity = fidelityOf(tTest, studentTest, nTest, classes);
  if (options.labels) {
    let s = 0;
    let m = 0;
    for (let i = 0; i < nTest; i++) {
      const y = Number(options.labels[testRows[i]]);
      if (argmax(studentTest, i * classes, classes) === y) s++;
      if (argmax(tTest, i * classes, classes) === y) m++;
    }
    result.accuracy = { surrogate: s / nTest, model: m / nTest };
  }
  return {
    kind,
    inputName,
    inputShape,
    classes,
    fidelity,
    trainFidelity: fidelityOf(tTrain, studentTrain, trainRows.length, classes),
    history,
    split: { train: trainRows.length, test: nTest },
    timeMs: performance.now() - start,
    onnx: result.onnx!,
    ...result,
  } as Surrogate;
}
