/**
 * Concept activation vectors (TCAV, Kim et al. 2018). A concept's CAV at a layer is the normal
 * of a linear classifier (trained on the GPU) separating the layer's activations for concept
 * examples from those for a random set; the TCAV score of a class is the fraction of the class's
 * inputs whose directional derivative of the class logit along the CAV is positive. The score
 * is computed against several random sets, and compared by a two-sided Welch t-test with the
 * scores of random-vs-random CAVs: a concept whose scores are indistinguishable from random
 * directions is not significant.
 *
 * Choose a layer with nonlinear computation after it: at a layer that feeds the logits through a
 * linear map only (e.g. the CNNs' `/relu3`, before the final Gemm), the gradient of a logit is
 * the same vector for every input, so every score is 0 or 1 and the test has little to say.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import { backward } from '../grad/backward.ts';
import type { InputData, Model } from '../onnx/model.ts';
import { captureActivations } from '../stats/capture.ts';
import { tensor } from '../tensor.ts';
import { trainHead } from './train.ts';

/** Options for {@linkcode tcav}. */
export interface TcavOptions {
  /** The layer (tensor name) whose activations the CAVs live in. */
  layer: string;
  /** The class whose logit is differentiated. */
  target: number;
  /** CAV training epochs (default 30). */
  epochs?: number;
  /** Examples per gradient batch (default 32). */
  batchSize?: number;
  /** Seed (default 0). */
  seed?: number;
  /** Significance level of the test (default 0.05). */
  alpha?: number;
  /** Cancels between steps. */
  signal?: AbortSignal;
}

/** What {@linkcode tcav} returns. */
export interface TcavResult {
  /** Layer and target. */
  layer: string;
  /** Target class. */
  target: number;
  /** TCAV score of the concept against each random set. */
  scores: number[];
  /** Scores of random-vs-random CAVs (random set i against random set i+1). */
  randomScores: number[];
  /** Mean concept score. */
  mean: number;
  /** Mean random score. */
  randomMean: number;
  /** Two-sided Welch t-test p-value, concept scores vs random scores. */
  pValue: number;
  /** pValue < alpha. */
  significant: boolean;
  /** Held-out-free training accuracy of each concept CAV's classifier (separability). */
  cavAccuracy: number[];
  /** The first concept CAV (unit length), for display: [features]. */
  cav: Float32Array;
}

async function flatActivations(
  model: Model,
  data: InputData,
  layer: string,
): Promise<{ x: Float32Array; n: number; f: number }> {
  const captured = await captureActivations(model, data, [layer]);
  const t = captured[layer];
  const x = await t.readFloat32();
  t.destroy();
  const n = data.shape[0];
  return { x, n, f: x.length / n };
}

/** Trains concept (1) vs random (0) on activations; returns the unit CAV and train accuracy. */
async function trainCav(
  model: Model,
  a: { x: Float32Array; n: number; f: number },
  b: { x: Float32Array; n: number; f: number },
  options: TcavOptions,
  seed: number,
): Promise<{ cav: Float32Array; accuracy: number }> {
  const f = a.f;
  const x = new Float32Array((a.n + b.n) * f);
  x.set(a.x, 0);
  x.set(b.x, a.n * f);
  const labels = [...new Array(a.n).fill(1), ...new Array(b.n).fill(0)];
  using xt = tensor(model.engine, x, [a.n + b.n, f], { label: 'tcav.x' });
  const { head, history } = await trainHead(model.engine, xt, labels, {
    outputs: 2,
    epochs: options.epochs ?? 30,
    batchSize: 32,
    optimizer: { kind: 'adam', learningRate: 1e-2 },
    seed,
    signal: options.signal,
  });
  using h = head;
  const [{ w }] = await h.read();
  using z = h.forward(xt);
  const logits = await z.readFloat32();
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    if ((logits[2 * i + 1] > logits[2 * i] ? 1 : 0) === labels[i]) ok++;
  }
  const cav = new Float32Array(f);
  let norm = 0;
  for (let j = 0; j < f; j++) {
    cav[j] = w[j * 2 + 1] - w[j * 2];
    norm += cav[j] * cav[j];
  }
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < f; j++) cav[j] /= norm;
  void history;
  return { cav, accuracy: ok / labels.length };
}

/** Gradients of the target logit with respect to `layer` for every row of `data`: [n, f]. */
async function layerGradients(
  model: Model,
  data: InputData,
  options: TcavOptions,
): Promise<Float32Array> {
  const n = data.shape[0];
  const per = data.shape.slice(1).reduce((a, b) => a * b, 1);
  const batch = options.batchSize ?? 32;
  const outputName = model.outputs[0].name;
  const chunks: Float32Array[] = [];
  for (let s = 0; s < n; s += batch) {
    if (options.signal?.aborted) throw options.signal.reason;
    const count = Math.min(batch, n - s);
    const slice = data.data.slice(s * per, (s + count) * per) as InputData['data'];
    const { grads, values } = backward(
      model,
      { [model.inputs[0].name]: { data: slice, shape: [count, ...data.shape.slice(1)] } },
      {
        wrt: [options.layer],
        seed: (value) => {
          const out = value(outputName);
          const classes = out.size / count;
          const hot = new Float32Array(out.size);
          for (let r = 0; r < count; r++) hot[r * classes + options.target] = 1;
          return { [outputName]: tensor(model.engine, hot, out.shape, { label: 'tcav.seed' }) };
        },
      },
    );
    chunks.push(await grads[options.layer].readFloat32());
    for (const t of [...Object.values(grads), ...Object.values(values)]) t.destroy();
  }
  const out = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function score(grads: Float32Array, n: number, cav: Float32Array): number {
  const f = cav.length;
  let positive = 0;
  for (let r = 0; r < n; r++) {
    let d = 0;
    for (let j = 0; j < f; j++) d += grads[r * f + j] * cav[j];
    if (d > 0) positive++;
  }
  return positive / n;
}

/** ln Γ (Lanczos). */
function logGamma(x: number): number {
  const c = [
    76.18009172947146,
    -86.50532032941677,
    24.01409824083091,
    -1.231739572450155,
    0.1208650973866179e-2,
    -0.5395239384953e-5,
  ];
  let y = x;
  const t = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let s = 1.000000000190015;
  for (const v of c) s += v / ++y;
  return -t + Math.log(2.5066282746310005 * s / x);
}

/** Regularized incomplete beta I_x(a, b) by Lentz's continued fraction. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 300; i++) {
    const m = Math.floor(i / 2);
    let num: number;
    if (i === 0) num = 1;
    else if (i % 2 === 0) num = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    else num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    if (Math.abs(d) < 1e-30) d = 1e-30;
    d = 1 / d;
    c = 1 + num / c;
    if (Math.abs(c) < 1e-30) c = 1e-30;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-12) break;
  }
  return front * (f - 1) / a;
}

/** Two-sided Welch t-test p-value for the means of two samples. */
export function welchTTest(a: readonly number[], b: readonly number[]): number {
  const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const variance = (v: readonly number[], m: number) =>
    v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1);
  const ma = mean(a);
  const mb = mean(b);
  const va = variance(a, ma) / a.length;
  const vb = variance(b, mb) / b.length;
  if (va + vb === 0) return ma === mb ? 1 : 0;
  const t = (ma - mb) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 /
    ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/**
 * TCAV of `concept` examples for class `options.target` at `options.layer`, using `inputs`
 * (examples of the class) and `randomSets` (at least 2 sets of random examples, each about the
 * size of the concept set).
 *
 * @throws {ArgumentError} for fewer than 2 random sets or an unknown layer.
 */
export async function tcav(
  model: Model,
  sets: { concept: InputData; inputs: InputData; randomSets: readonly InputData[] },
  options: TcavOptions,
): Promise<TcavResult> {
  const r = sets.randomSets.length;
  if (r < 2) throw new ArgumentError(`Cannot run TCAV: need ≥ 2 random sets, got ${r}`);
  const layers = new Set(model.ir.graph.nodes.flatMap((n) => n.outputs));
  if (!layers.has(options.layer)) {
    throw new ArgumentError(`Cannot run TCAV: the model has no tensor '${options.layer}'`);
  }
  const seed = options.seed ?? 0;
  const concept = await flatActivations(model, sets.concept, options.layer);
  const randoms = [];
  for (const s of sets.randomSets) randoms.push(await flatActivations(model, s, options.layer));
  const grads = await layerGradients(model, sets.inputs, options);
  const n = sets.inputs.shape[0];
  const scores: number[] = [];
  const randomScores: number[] = [];
  const cavAccuracy: number[] = [];
  let first: Float32Array | null = null;
  for (let i = 0; i < r; i++) {
    const c = await trainCav(model, concept, randoms[i], options, seed + i);
    first ??= c.cav;
    scores.push(score(grads, n, c.cav));
    cavAccuracy.push(c.accuracy);
    const rc = await trainCav(model, randoms[(i + 1) % r], randoms[i], options, seed + 1000 + i);
    randomScores.push(score(grads, n, rc.cav));
  }
  const mean = scores.reduce((a, v) => a + v, 0) / r;
  const randomMean = randomScores.reduce((a, v) => a + v, 0) / r;
  const pValue = welchTTest(scores, randomScores);
  return {
    layer: options.layer,
    target: options.target,
    scores,
    randomScores,
    mean,
    randomMean,
    pValue,
    significant: pValue < (options.alpha ?? 0.05),
    cavAccuracy,
    cav: first!,
  };
}
