/**
 * Probes: what each layer of a model knows about a task it was not trained for. Activations are
 * captured at every layer for a labeled dataset, pooled to at most `maxFeatures` per example,
 * standardized, and a linear (softmax) probe is trained per layer on the GPU; its held-out
 * accuracy is the layer's score. Two controls, as Hewitt & Liang (2019) recommend:
 *
 * - **selectivity**: the same probe trained on a *control task* — each of the model's own classes
 *   (the "types", e.g. digits) mapped to a random task label, drawn from the task's label
 *   distribution — and evaluated the same way; selectivity = task accuracy − control accuracy.
 *   A probe that is accurate on the task only because it can read off the class has selectivity
 *   near 0. Without class labels the control labels are a shuffle of the task labels (chance).
 * - **random model**: the same probe on a copy of the model with its weights replaced by random
 *   values of the same per-tensor mean and spread ({@linkcode randomizedOnnx}).
 *
 * @module
 */

import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { ArgumentError } from '../gpu/errors.ts';
import { type InputData, type Model, run } from '../onnx/model.ts';
import { tensor } from '../tensor.ts';
import { seededRandom, shuffledIndices, trainHead } from './train.ts';

/** Ops whose outputs are probed by default (besides the graph outputs and a float input). */
const LAYER_OPS = new Set([
  'Relu',
  'Gelu',
  'Tanh',
  'Sigmoid',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'LayerNormalization',
]);

/**
 * The tensors probed by default: a float model input, the outputs of activation, pooling and
 * normalization nodes, and embedding lookups (Gather from an initializer), in graph order, then
 * the graph outputs.
 */
export function defaultProbeLayers(model: Model): string[] {
  const g = model.ir.graph;
  const names: string[] = [];
  const input = model.inputs[0];
  if (input.dtype === 'float32') names.push(input.name);
  for (const node of g.nodes) {
    const embedding = node.op === 'Gather' && g.initializers.has(node.inputs[0]) &&
      (g.initializers.get(node.inputs[0])!.shape.length === 2);
    if (LAYER_OPS.has(node.op) || embedding) names.push(node.outputs[0]);
  }
  for (const o of model.outputs) if (!names.includes(o.name)) names.push(o.name);
  return names;
}

/** Options for {@linkcode probeLayers}. */
export interface ProbeOptions {
  /** Tensors to probe (default {@linkcode defaultProbeLayers}). */
  layers?: readonly string[];
  /** The model's own class per example: the "types" of the control task (optional). */
  classes?: ArrayLike<number>;
  /** A randomly initialized copy of the model (see {@linkcode randomizedOnnx}) for the control. */
  randomModel?: Model;
  /** Most features per example and layer; larger maps are average-pooled (default 2048). */
  maxFeatures?: number;
  /** Fraction held out for the accuracy figures (default 0.25). */
  testFraction?: number;
  /**
   * Probe training epochs (default 30 with early stopping on 10% of the training rows; for fewer
   * than 500 training rows enough epochs for ~600 steps, without early stopping).
   */
  epochs?: number;
  /** Probe learning rate (Adam; default 1e-2) and weight decay (default 1e-3). */
  learningRate?: number;
  /** L2 weight decay of the probe. */
  weightDecay?: number;
  /** Examples per forward run (default 64). */
  batchSize?: number;
  /** Seed of the split, control labels and training (default 0). */
  seed?: number;
  /** Token ids for a token-sequence input: rank-3 activations are averaged over non-pad (≠ 0) tokens. */
  tokenIds?: ArrayLike<number | bigint>;
  /** Progress: what is running, and how far. */
  onProgress?: (phase: string, done: number, total: number) => void;
  /** Cancels between batches and epochs. */
  signal?: AbortSignal;
}

/** The probe results of one layer. */
export interface LayerProbe {
  /** Tensor name. */
  layer: string;
  /** Per-example shape of the activation. */
  shape: number[];
  /** Features the probe saw (after pooling). */
  features: number;
  /** How the activation was reduced: `none`, `avgpool K×K`, `token mean`. */
  pooling: string;
  /** Held-out accuracy of the task probe. */
  accuracy: number;
  /** Training accuracy of the task probe. */
  trainAccuracy: number;
  /** Held-out accuracy of the control-task probe. */
  controlAccuracy: number;
  /** accuracy − controlAccuracy. */
  selectivity: number;
  /** Held-out accuracy of the probe on the random model's layer (when one was given). */
  randomModelAccuracy?: number;
}

/** What {@linkcode probeLayers} returns. */
export interface ProbeReport {
  /** Task classes, examples per class, and the majority-class accuracy on the test split. */
  task: { classes: number; counts: number[]; majority: number };
  /** Control task: `class` (random label per model class) or `shuffle` (see {@linkcode controlLabels}). */
  control: 'class' | 'shuffle';
  /** Split sizes. */
  split: { train: number; test: number };
  /** One entry per layer, in the order given. */
  layers: LayerProbe[];
  /** Milliseconds taken. */
  timeMs: number;
}

/** Reduces one example's activation to at most `max` features; returns the pooling used. */
export function poolFeatures(
  act: Float32Array,
  shape: readonly number[],
  max: number,
  mask?: ArrayLike<number>,
): { features: Float32Array; pooling: string } {
  if (shape.length === 2 && mask) {
    const [t, d] = shape;
    const out = new Float32Array(d);
    let count = 0;
    for (let i = 0; i < t; i++) {
      if (!mask[i]) continue;
      count++;
      for (let j = 0; j < d; j++) out[j] += act[i * d + j];
    }
    for (let j = 0; j < d; j++) out[j] /= Math.max(count, 1);
    return { features: out, pooling: 'token mean' };
  }
  if (act.length <= max) return { features: act, pooling: 'none' };
  if (shape.length === 3) {
    const [c, h, w] = shape;
    let k = 2;
    while (c * Math.ceil(h / k) * Math.ceil(w / k) > max && k < Math.max(h, w)) k++;
    const ph = Math.ceil(h / k);
    const pw = Math.ceil(w / k);
    const out = new Float32Array(c * ph * pw);
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < ph; i++) {
        for (let j = 0; j < pw; j++) {
          let s = 0;
          let n = 0;
          for (let y = i * k; y < Math.min(h, i * k + k); y++) {
            for (let x = j * k; x < Math.min(w, j * k + k); x++) {
              s += act[(ch * h + y) * w + x];
              n++;
            }
          }
          out[(ch * ph + i) * pw + j] = s / n;
        }
      }
    }
    return { features: out, pooling: `avgpool ${k}×${k}` };
  }
  // Other ranks: average consecutive runs down to `max` features.
  const k = Math.ceil(act.length / max);
  const out = new Float32Array(Math.ceil(act.length / k));
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    const end = Math.min(act.length, i * k + k);
    for (let j = i * k; j < end; j++) s += act[j];
    out[i] = s / (end - i * k);
  }
  return { features: out, pooling: `mean of ${k}` };
}

/** Captures `layers` of `model` on `data`, pooled per example: [N, F] per layer. */
async function captureFeatures(
  model: Model,
  data: InputData,
  layers: readonly string[],
  options: ProbeOptions,
  phase: string,
): Promise<{ x: Float32Array; f: number; shape: number[]; pooling: string }[]> {
  const n = data.shape[0];
  const per = data.shape.slice(1).reduce((a, b) => a * b, 1);
  const batch = options.batchSize ?? 64;
  const max = options.maxFeatures ?? 2048;
  const outputs = new Set(model.outputs.map((o) => o.name));
  const result: { x: Float32Array; f: number; shape: number[]; pooling: string }[] = [];
  for (let start = 0; start < n; start += batch) {
    if (options.signal?.aborted) throw options.signal.reason;
    const count = Math.min(batch, n - start);
    const slice = data.data.slice(start * per, (start + count) * per) as InputData['data'];
    const r = run(model, {
      [model.inputs[0].name]: { data: slice, shape: [count, ...data.shape.slice(1)] },
    }, {
      keep: layers.filter((l) => !outputs.has(l) && l !== model.inputs[0].name),
    });
    try {
      for (let li = 0; li < layers.length; li++) {
        const name = layers[li];
        let act: Float32Array;
        let shape: number[];
        if (name === model.inputs[0].name) {
          act = Float32Array.from(slice as ArrayLike<number>);
          shape = data.shape.slice(1);
        } else {
          const t = outputs.has(name) ? r.outputs[name] : r.intermediates[name];
          act = await t.readFloat32();
          shape = t.shape.slice(1);
        }
        const size = act.length / count;
        for (let b = 0; b < count; b++) {
          const mask = options.tokenIds && shape.length === 2
            ? Array.from(
              { length: shape[0] },
              (_, i) => Number(options.tokenIds![(start + b) * shape[0] + i]) !== 0 ? 1 : 0,
            )
            : undefined;
          const pooled = poolFeatures(act.subarray(b * size, (b + 1) * size), shape, max, mask);
          if (!result[li]) {
            const f = pooled.features.length;
            result[li] = { x: new Float32Array(n * f), f, shape, pooling: pooled.pooling };
          }
          result[li].x.set(pooled.features, (start + b) * result[li].f);
        }
      }
    } finally {
      for (const t of [...Object.values(r.outputs), ...Object.values(r.intermediates)]) t.destroy();
    }
    options.onProgress?.(phase, start + count, n);
  }
  return result;
}

/** Standardizes columns by the training rows' mean and standard deviation (in place). */
function standardize(x: Float32Array, f: number, trainRows: ArrayLike<number>): void {
  const n = x.length / f;
  const mean = new Float64Array(f);
  const sq = new Float64Array(f);
  for (let i = 0; i < trainRows.length; i++) {
    const base = trainRows[i] * f;
    for (let j = 0; j < f; j++) {
      mean[j] += x[base + j];
      sq[j] += x[base + j] * x[base + j];
    }
  }
  for (let j = 0; j < f; j++) {
    mean[j] /= trainRows.length;
    const v = sq[j] / trainRows.length - mean[j] * mean[j];
    sq[j] = v > 1e-12 ? 1 / Math.sqrt(v) : 1;
  }
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < f; j++) x[r * f + j] = (x[r * f + j] - mean[j]) * sq[j];
  }
}

/** Trains a linear probe on the training rows and returns train and test accuracy. */
async function fitProbe(
  model: Model,
  x: Float32Array,
  f: number,
  labels: ArrayLike<number>,
  classes: number,
  trainRows: Int32Array,
  testRows: Int32Array,
  options: ProbeOptions,
): Promise<{ train: number; test: number }> {
  const engine = model.engine;
  const rows = (idx: Int32Array) => {
    const out = new Float32Array(idx.length * f);
    for (let i = 0; i < idx.length; i++) out.set(x.subarray(idx[i] * f, idx[i] * f + f), i * f);
    return out;
  };
  using xt = tensor(engine, rows(trainRows), [trainRows.length, f], { label: 'probe.x' });
  using xs = tensor(engine, rows(testRows), [testRows.length, f], { label: 'probe.xTest' });
  // Small training sets get more epochs (at least ~600 steps) and no validation split: early
  // stopping on a handful of examples stops at noise.
  const steps = Math.ceil(trainRows.length / 64);
  const small = trainRows.length < 500;
  const { head } = await trainHead(engine, xt, Array.from(trainRows, (r) => labels[r]), {
    outputs: classes,
    epochs: options.epochs ?? Math.max(30, Math.ceil(600 / steps)),
    optimizer: {
      kind: 'adam',
      learningRate: options.learningRate ?? 1e-2,
      weightDecay: options.weightDecay ?? 1e-3,
    },
    validationFraction: small ? 0 : 0.1,
    patience: 5,
    seed: options.seed ?? 0,
    signal: options.signal,
  });
  using h = head;
  const accuracy = async (t: typeof xt, idx: Int32Array) => {
    using z = h.forward(t);
    const logits = await z.readFloat32();
    let ok = 0;
    for (let i = 0; i < idx.length; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) {
        if (logits[i * classes + c] > logits[i * classes + best]) best = c;
      }
      if (best === labels[idx[i]]) ok++;
    }
    return ok / idx.length;
  };
  return { train: await accuracy(xt, trainRows), test: await accuracy(xs, testRows) };
}

/**
 * Control-task labels (Hewitt & Liang): a random task label per model class ("type"), drawn from
 * the task's label distribution and redrawn until at least two labels occur; or, without
 * classes or with fewer than two types per task class (where a per-type control degenerates,
 * e.g. a binary text classifier), a seeded shuffle of the task labels.
 */
export function controlLabels(
  labels: ArrayLike<number>,
  classes: ArrayLike<number> | undefined,
  seed: number,
): { labels: number[]; kind: 'class' | 'shuffle' } {
  const random = seededRandom(seed ^ 0xc0de);
  const n = labels.length;
  const taskClasses = new Set(Array.from(labels)).size;
  const types = classes ? new Set(Array.from(classes, Number)).size : 0;
  if (!classes || types < 2 * taskClasses) {
    const perm = shuffledIndices(n, random);
    return { labels: Array.from(perm, (i) => labels[i]), kind: 'shuffle' };
  }
  for (let attempt = 0;; attempt++) {
    const map = new Map<number, number>();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const type = Number(classes[i]);
      if (!map.has(type)) map.set(type, labels[Math.floor(random() * n)]);
      out.push(map.get(type)!);
    }
    if (new Set(map.values()).size > 1 || attempt >= 100) return { labels: out, kind: 'class' };
  }
}

/**
 * Trains a linear probe per layer of `model` for task `labels` (class indices, one per example
 * of `data`) and reports held-out accuracy with the controls described in the module doc.
 *
 * @throws {ArgumentError} for mismatched lengths, non-integer labels or unknown layers.
 */
export async function probeLayers(
  model: Model,
  data: InputData,
  labels: ArrayLike<number>,
  options: ProbeOptions = {},
): Promise<ProbeReport> {
  const start = performance.now();
  const n = data.shape[0];
  if (labels.length !== n) {
    throw new ArgumentError(`Cannot probe: ${n} examples but ${labels.length} task labels`);
  }
  const y = Array.from(labels, Number);
  if (y.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new ArgumentError('Cannot probe: task labels must be class indices ≥ 0');
  }
  const classes = Math.max(...y) + 1;
  if (classes < 2) throw new ArgumentError('Cannot probe: the task has a single class');
  if (options.classes && options.classes.length !== n) {
    throw new ArgumentError(`Cannot probe: ${n} examples but ${options.classes.length} classes`);
  }
  const layers = options.layers ?? defaultProbeLayers(model);
  const known = new Set([
    ...model.ir.graph.nodes.flatMap((nd) => nd.outputs),
    model.inputs[0].name,
  ]);
  for (const l of layers) {
    if (!known.has(l)) throw new ArgumentError(`Cannot probe: the model has no tensor '${l}'`);
  }
  const seed = options.seed ?? 0;
  const order = shuffledIndices(n, seededRandom(seed ^ 0x9b0b));
  const nTest = Math.max(1, Math.round(n * (options.testFraction ?? 0.25)));
  const testRows = order.slice(0, nTest);
  const trainRows = order.slice(nTest);
  const control = controlLabels(y, options.classes, seed);
  const counts = new Array(classes).fill(0);
  for (const v of y) counts[v]++;
  const testCounts = new Array(classes).fill(0);
  for (const r of testRows) testCounts[y[r]]++;
  const features = await captureFeatures(model, data, layers, options, 'capture');
  const randomFeatures = options.randomModel
    ? await captureFeatures(options.randomModel, data, layers, options, 'capture random model')
    : null;
  const out: LayerProbe[] = [];
  for (let li = 0; li < layers.length; li++) {
    const { x, f, shape, pooling } = features[li];
    standardize(x, f, trainRows);
    const task = await fitProbe(model, x, f, y, classes, trainRows, testRows, options);
    const ctl = await fitProbe(model, x, f, control.labels, classes, trainRows, testRows, options);
    const entry: LayerProbe = {
      layer: layers[li],
      shape,
      features: f,
      pooling,
      accuracy: task.test,
      trainAccuracy: task.train,
      controlAccuracy: ctl.test,
      selectivity: task.test - ctl.test,
    };
    if (randomFeatures) {
      const rf = randomFeatures[li];
      standardize(rf.x, rf.f, trainRows);
      entry.randomModelAccuracy =
        (await fitProbe(model, rf.x, rf.f, y, classes, trainRows, testRows, options)).test;
    }
    out.push(entry);
    options.onProgress?.('probe', li + 1, layers.length);
  }
  return {
    task: { classes, counts, majority: Math.max(...testCounts) / nTest },
    control: control.kind,
    split: { train: trainRows.length, test: nTest },
    layers: out,
    timeMs: performance.now() - start,
  };
}

/**
 * A copy of an ONNX model with every float weight tensor (initializers of more than one element)
 * replaced by seeded Gaussian values of the same mean and standard deviation (absolute values
 * where the original is all positive, e.g. variances): the "random model" control of probes and
 * sanity checks. Shape constants and integer tensors are kept.
 */
export function randomizedOnnx(bytes: Uint8Array, seed = 0): Uint8Array {
  const m = fromBinary(ModelProtoSchema, bytes);
  const random = seededRandom(seed ^ 0x4a4d);
  const gauss = () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  for (const t of m.graph?.initializer ?? []) {
    if (t.dataType !== TensorProto_DataType.FLOAT) continue;
    const values = t.rawData.length
      ? new Float32Array(t.rawData.slice().buffer)
      : Float32Array.from(t.floatData);
    if (values.length < 2) continue;
    let mean = 0;
    let positive = true;
    for (const v of values) {
      mean += v;
      if (v <= 0) positive = false;
    }
    mean /= values.length;
    let v2 = 0;
    for (const v of values) v2 += (v - mean) ** 2;
    const std = Math.sqrt(v2 / values.length);
    const out = new Float32Array(values.length);
    for (let i = 0; i < out.length; i++) {
      const r = mean + std * gauss();
      out[i] = positive ? Math.abs(r) : r;
    }
    t.rawData = new Uint8Array(out.buffer);
    t.floatData = [];
  }
  return toBinary(ModelProtoSchema, m);
}
