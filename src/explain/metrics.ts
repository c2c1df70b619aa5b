/**
 * Evaluation beside every map: deletion and insertion curves with their area under the curve
 * (Petsiuk et al. 2018), max-sensitivity (Yeh et al. 2019) and the rank correlations the
 * model-randomization sanity check reports (Adebayo et al. 2018).
 *
 * @module
 */

import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { isFloat } from '../graph/ir.ts';
import { type InputData, type Model, run } from '../onnx/model.ts';
import { sizeOf } from '../tensor.ts';
import { gaussianBlur, mulberry32 } from './baseline.ts';
import { explain, type ExplainOptions } from './explain.ts';

/** One curve: the target's probability as a growing fraction of features is removed/inserted. */
export interface Curve {
  /** Fraction of features changed at each point (0 … 1). */
  fractions: number[];
  /** The target's softmax probability at each point. */
  scores: number[];
  /** Area under the curve (trapezoid rule over the fractions). */
  auc: number;
}

/** Options of {@linkcode deletionInsertion}. */
export interface DeletionOptions {
  /** The class whose probability is tracked (default: the predicted one). */
  target?: number;
  /** Points on the curve besides 0 (default 20). */
  steps?: number;
  /**
   * What removed features become: `zeros` (default), `blur` (a Gaussian blur of the input) or a
   * constant. For token inputs: a token id (default 0).
   */
  baseline?: 'zeros' | 'blur' | number;
  /** Inputs per batched forward (default 64). */
  batchSize?: number;
  /** Cancels between batches; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each batched forward with the inputs done and the total (2·(steps + 1)). */
  onProgress?: (done: number, total: number) => void;
}

/** Deletion and insertion curves of one attribution map. */
export interface DeletionResult {
  /** Most important features removed first: a good map makes it fall fast (low AUC). */
  deletion: Curve;
  /** Most important features inserted first into the baseline: rises fast (high AUC). */
  insertion: Curve;
  /** The class tracked. */
  target: number;
}

/** The trapezoid area under y(x). */
export function trapezoid(x: readonly number[], y: readonly number[]): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return s;
}

function softmaxAt(row: ArrayLike<number>, t: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let total = 0;
  for (let i = 0; i < row.length; i++) total += Math.exp(row[i] - max);
  return Math.exp(row[t] - max) / total;
}

/** Runs rows of one input through the model in batches; returns each row's output row. */
async function outputsOf(
  model: Model,
  name: string,
  rows: (Float32Array | Int32Array)[],
  rowShape: readonly number[],
  options: Pick<DeletionOptions, 'batchSize' | 'signal' | 'onProgress'>,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const batchSize = options.batchSize ?? 64;
  for (let start = 0; start < rows.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const part = rows.slice(start, start + batchSize);
    const int = part[0] instanceof Int32Array;
    const data = int
      ? new Int32Array(part.length * part[0].length)
      : new Float32Array(part.length * part[0].length);
    part.forEach((r, i) => data.set(r, i * r.length));
    const result = run(model, { [name]: { data, shape: [part.length, ...rowShape.slice(1)] } });
    try {
      const y = await result.outputs[model.outputs[0].name].readFloat32();
      const per = y.length / part.length;
      for (let i = 0; i < part.length; i++) out.push(y.slice(i * per, (i + 1) * per));
    } finally {
      for (const t of Object.values(result.outputs)) t.destroy();
    }
    options.onProgress?.(out.length, rows.length);
  }
  options.signal?.throwIfAborted();
  return out;
}

/**
 * Deletion and insertion curves for one example (`input` with a batch axis of 1) and its
 * attribution map (the input's size, or one value per spatial position of an [1, C, H, W]
 * input, which then moves all channels of a pixel together).
 *
 * @throws {ShapeError} when the map's size fits neither.
 * @throws the signal's reason when `signal` aborts (checked between batched forwards).
 */
export async function deletionInsertion(
  model: Model,
  input: InputData,
  attribution: ArrayLike<number>,
  options: DeletionOptions = {},
): Promise<DeletionResult> {
  const name = model.inputs[0].name;
  const shape = [...input.shape];
  if (shape[0] !== 1) {
    throw new ShapeError(`Cannot draw deletion curves: give one example, got batch ${shape[0]}`);
  }
  const n = sizeOf(shape);
  const steps = options.steps ?? 20;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new ArgumentError(`steps must be ≥ 1, got ${steps}`);
  }
  const int = !(model.inputs[0].dtype ?? 'float32').startsWith('float');
  const x = int
    ? Int32Array.from(input.data as ArrayLike<number | bigint>, Number)
    : Float32Array.from(input.data as ArrayLike<number>);
  // Features: elements, or pixels whose channels move together.
  let group = 1;
  if (attribution.length !== n) {
    const plane = shape.length === 4 ? shape[2] * shape[3] : -1;
    if (attribution.length !== plane) {
      throw new ShapeError(
        `Cannot draw deletion curves: the map has ${attribution.length} values; the input ` +
          `[${shape}] has ${n} elements${plane > 0 ? ` and ${plane} pixels` : ''}`,
      );
    }
    group = shape[1];
  }
  const features = attribution.length;
  const order = Array.from({ length: features }, (_, i) => i).sort((a, b) =>
    (attribution[b] - attribution[a]) || a - b
  );
  const base: Float32Array | Int32Array = int
    ? new Int32Array(n).fill(typeof options.baseline === 'number' ? options.baseline : 0)
    : options.baseline === 'blur'
    ? gaussianBlur(x, shape, Math.max(1, Math.min(...shape.slice(-2)) / 8))
    : new Float32Array(n).fill(typeof options.baseline === 'number' ? options.baseline : 0);
  const fractions = Array.from({ length: steps + 1 }, (_, i) => i / steps);
  const setFeature = (
    dst: Float32Array | Int32Array,
    src: Float32Array | Int32Array,
    f: number,
  ) => {
    if (group === 1) dst[f] = src[f];
    else for (let c = 0; c < group; c++) dst[c * features + f] = src[c * features + f];
  };
  const rows: (Float32Array | Int32Array)[] = [];
  for (const mode of ['deletion', 'insertion'] as const) {
    for (const fr of fractions) {
      const k = Math.round(fr * features);
      const row = (mode === 'deletion' ? x : base).slice();
      for (let i = 0; i < k; i++) setFeature(row, mode === 'deletion' ? base : x, order[i]);
      rows.push(row);
    }
  }
  options.signal?.throwIfAborted();
  const outs = await outputsOf(model, name, rows, shape, options);
  const first = outs[0];
  const target = options.target ?? first.indexOf(Math.max(...first));
  const scores = outs.map((o) => softmaxAt(o, target));
  const curve = (s: number[]): Curve => ({ fractions, scores: s, auc: trapezoid(fractions, s) });
  return {
    deletion: curve(scores.slice(0, fractions.length)),
    insertion: curve(scores.slice(fractions.length)),
    target,
  };
}

/** Ranks with ties averaged (1-based). */
export function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation in f64 (0 when either side is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/** Spearman rank correlation (Pearson of the tie-averaged ranks). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new ShapeError(`Cannot correlate: ${a.length} values against ${b.length}`);
  }
  return pearson(ranks(a), ranks(b));
}

/** Options of {@linkcode maxSensitivity}. */
export interface SensitivityOptions extends ExplainOptions {
  /** Radius of the L∞ ball perturbations are drawn from, uniformly (default 0.02). */
  radius?: number;
  /** Perturbations (default 10). */
  perturbations?: number;
}

/** What {@linkcode maxSensitivity} measures. */
export interface SensitivityResult {
  /** max over perturbations of ‖Φ(x + δ) − Φ(x)‖₂ / ‖Φ(x)‖₂ (Captum's normalized form). */
  maxSensitivity: number;
  /** The same maximum without the normalization. */
  maxAbsolute: number;
  /** Each perturbation's normalized change. */
  values: number[];
}

/**
 * Max-sensitivity of a method at one example: how much its map changes under small input
 * perturbations (same target). Perturbed inputs run as one batch for single-backward methods.
 */
export async function maxSensitivity(
  model: Model,
  input: InputData,
  options: SensitivityOptions,
): Promise<SensitivityResult> {
  const radius = options.radius ?? 0.02;
  const count = options.perturbations ?? 10;
  if (!(radius > 0) || !Number.isInteger(count) || count < 1) {
    throw new ArgumentError(
      `Cannot measure sensitivity: radius must be > 0 and perturbations ≥ 1, got ${radius}, ${count}`,
    );
  }
  if (input.shape[0] !== 1) throw new ShapeError('Cannot measure sensitivity: give one example');
  const decl = model.inputs[0];
  if (!isFloat(decl.dtype ?? 'float32')) {
    throw new ArgumentError(
      `Cannot measure sensitivity: input '${decl.name}' holds ${decl.dtype} ids, which have no ` +
        'small perturbations; measure it on a float input (or compare maps across similar texts)',
    );
  }
  const base = await explain(model, input, options);
  const a0 = await base.attribution.readFloat32();
  base.attribution.destroy();
  const target = base.targets[0];
  const x = Float32Array.from(input.data as ArrayLike<number>);
  const next = mulberry32(options.seed ?? 0);
  const data = new Float32Array(count * x.length);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < x.length; i++) data[p * x.length + i] = x[i] + radius * (2 * next() - 1);
  }
  const e = await explain(model, { data, shape: [count, ...input.shape.slice(1)] }, {
    ...options,
    target: new Array(count).fill(target),
  });
  const a = await e.attribution.readFloat32();
  e.attribution.destroy();
  let norm0 = 0;
  for (const v of a0) norm0 += v * v;
  norm0 = Math.sqrt(norm0);
  const per = a0.length;
  const absolute: number[] = [];
  for (let p = 0; p < count; p++) {
    let s = 0;
    for (let i = 0; i < per; i++) s += (a[p * per + i] - a0[i]) ** 2;
    absolute.push(Math.sqrt(s));
  }
  const values = absolute.map((v) => (norm0 > 0 ? v / norm0 : v));
  return { maxSensitivity: Math.max(...values), maxAbsolute: Math.max(...absolute), values };
}
