/**
 * `explain(model, input, { method, target, ... })`: one entry point to every attribution
 * method, returning the attribution tensor with what a view or a report needs beside it — the
 * method and its resolved options, the target, the predicted class and probabilities, the
 * completeness delta of path methods, and the time taken. Long methods report progress and
 * stop on an `AbortSignal`.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import type { InputData, Model } from '../onnx/model.ts';
import { run } from '../onnx/model.ts';
import { binary } from '../ops/binary.ts';
import { reduce } from '../ops/reduce.ts';
import { unary } from '../ops/unary.ts';
import { sizeOf, type Tensor } from '../tensor.ts';
import type { Baseline } from './baseline.ts';
import { type CamInterpolation, type CamMethod, gradCam } from './grad_cam.ts';
import { gradientAttribution, type GradientMethod } from './gradient.ts';
import { checkIntegratedGradientsOptions, integratedGradients } from './integrated_gradients.ts';
import { occlusion, type OcclusionBorder, planOcclusion } from './occlusion.ts';
import { progressTracker } from './progress.ts';
import type { IntegrationRule, TrapezoidWeights } from './quadrature.ts';
import { type LrpRule, lrpRules } from './rules.ts';
import { checkSmoothGradOptions, type NoiseMethod, smoothGrad } from './smoothgrad.ts';
import { resolveSubject, type Subject, subjectPlan } from './subject.ts';

/** An attribution method, by its CLI name. */
export type Method =
  | GradientMethod
  | 'integrated-gradients'
  | NoiseMethod
  | CamMethod
  | 'occlusion';

/** Every method. */
export const METHODS: readonly Method[] = Object.freeze([
  'gradient',
  'saliency',
  'input-x-gradient',
  'integrated-gradients',
  'smoothgrad',
  'smoothgrad-sq',
  'vargrad',
  'grad-cam',
  'hires-cam',
  'guided-backprop',
  'lrp',
  'occlusion',
]);

/** Options of {@linkcode explain}. */
export interface ExplainOptions {
  /** The method. */
  method: Method;
  /**
   * Class (index into each example's output row) to explain: one for every example or one per
   * example. Default: each example's predicted class.
   */
  target?: number | readonly number[];
  /** The explained input (default the model's first). */
  input?: string;
  /** The explained output (default the model's first). */
  output?: string;
  /** Integrated gradients: path points (default 50). */
  steps?: number;
  /** Integrated gradients: integration rule (default `gausslegendre`). */
  rule?: IntegrationRule;
  /**
   * Integrated gradients, `riemann_trapezoid`: `exact` weights (default; the trapezoid rule,
   * summing to 1) or `captum` (Captum's, summing to (n−1)/n, which scales the map by (n−1)/n).
   */
  trapezoidWeights?: TrapezoidWeights;
  /** Integrated gradients: baseline (default zeros; token inputs: the zero embedding). */
  baseline?: Baseline;
  /** SmoothGrad family: noisy samples (default 50). */
  samples?: number;
  /** SmoothGrad family: noise σ as a fraction of the input's range (default 0.15). */
  noise?: number;
  /** Seed of the noise and of a uniform baseline (default 0). */
  seed?: number;
  /** σ in pixels of a blur baseline. */
  blurSigma?: number;
  /**
   * Grad-CAM: the layer (tensor name). Default: the last convolutional feature map, or for a
   * vision transformer the patch tokens entering its last attention (laid out on the patch grid,
   * the class token dropped). A layer with no spatial reading is refused.
   */
  layer?: string;
  /**
   * Grad-CAM: resample to the input's shape — `true`/`'bilinear'` or `'nearest'` (Captum's
   * `LayerAttribution.interpolate` default). Default: the layer's own grid.
   */
  upsample?: boolean | CamInterpolation;
  /** Grad-CAM: ReLU on the map (default true; Captum's `relu_attributions` default is false). */
  relu?: boolean;
  /** Occlusion: window per spatial axis. */
  window?: number | readonly number[];
  /** Occlusion: stride per spatial axis (default the window). */
  stride?: number | readonly number[];
  /** Occlusion: fill value (token inputs: a token id; default 0). */
  fill?: number;
  /**
   * Occlusion: when the stride does not divide (size − window), `clip` (default, Captum's) adds
   * a last window clipped at the border; `skip` leaves the strip with fewer windows or none.
   */
  border?: OcclusionBorder;
  /** LRP: rule for the linear layers (default `epsilon`). */
  lrpRule?: LrpRule;
  /** LRP: ε of the ε rule (default 1e-6). */
  epsilon?: number;
  /** Points or samples per batched forward/backward (default: what fits 256 MiB). */
  batchSize?: number;
  /** Token strings per example, carried through to the result for views. */
  tokens?: readonly (readonly string[])[];
  /** Cancels between chunks; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Progress in units of the method (steps × examples, samples, windows). */
  onProgress?: (done: number, total: number) => void;
}

/** IG's completeness check, per example. */
export interface Completeness {
  /** Σ attributions − (f(x) − f(baseline)). */
  delta: number[];
  /** Σ attributions. */
  sum: number[];
  /** f(x) at the target. */
  fx: number[];
  /** f(baseline) at the target. */
  fBaseline: number[];
}

/** The result of {@linkcode explain}; the caller owns (and destroys) `attribution`. */
export interface Explanation {
  /** The method. */
  method: Method;
  /** The options that shaped the result, defaults filled in (JSON-friendly). */
  options: Record<string, unknown>;
  /**
   * The attribution map. Input-shaped for input methods; [batch, tokens] for token inputs;
   * Grad-CAM: [batch, ...layer spatial] or, upsampled, the input's shape.
   */
  attribution: Tensor;
  /** Where attributions were taken: the input, the token embedding or the CAM layer. */
  site: string;
  /** The explained class per example. */
  targets: number[];
  /** The model's top class per example. */
  predicted: number[];
  /** Softmax of each example's output row. */
  probabilities: Float32Array[];
  /** Each example's raw output row. */
  outputs: Float32Array[];
  /** Integrated gradients' completeness check. */
  completeness?: Completeness;
  /** Token strings per example, when given. */
  tokens?: readonly (readonly string[])[];
  /** Wall time in milliseconds, including the readbacks. */
  timeMs: number;
}

function softmaxRow(row: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  const e = Array.from(row, (v) => Math.exp(v - max));
  const total = e.reduce((a, b) => a + b, 0);
  return Float32Array.from(e, (v) => v / total);
}

function resolveTargets(
  subject: Subject,
  given: ExplainOptions['target'],
  predicted: number[],
): number[] {
  const list = given === undefined
    ? predicted
    : typeof given === 'number'
    ? new Array(subject.batch).fill(given)
    : [...given];
  if (list.length !== subject.batch) {
    throw new ArgumentError(
      `Cannot explain: ${list.length} targets for a batch of ${subject.batch} examples`,
    );
  }
  for (const t of list) {
    if (!Number.isInteger(t) || t < 0 || t >= subject.classes) {
      throw new ArgumentError(
        `Cannot explain: target ${t} is out of range; output '${subject.outputName}' has ` +
          `${subject.classes} classes (0..${subject.classes - 1})`,
      );
    }
  }
  return list;
}

/**
 * Checks every option `method` reads against the subject, before the GPU is touched: a bad
 * value is an {@linkcode ArgumentError} (or {@linkcode ShapeError}), a count past its bound a
 * {@linkcode LimitExceededError} naming the option, the value and the limit.
 */
function checkOptions(subject: Subject, options: ExplainOptions): void {
  const fail = (what: string) => {
    throw new ArgumentError(`Cannot explain with ${options.method}: ${what}`);
  };
  const given = options.target;
  if (given !== undefined) {
    if (typeof given !== 'number' && !Array.isArray(given)) {
      fail(`target must be a class index or one per example, got ${JSON.stringify(given)}`);
    }
    const list = typeof given === 'number' ? [given] : given as readonly number[];
    if (typeof given !== 'number' && list.length !== subject.batch) {
      fail(`${list.length} targets for a batch of ${subject.batch} examples`);
    }
    for (const t of list) {
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= subject.classes) {
        fail(
          `target ${t} is out of range; output '${subject.outputName}' has ${subject.classes} ` +
            `classes (0..${subject.classes - 1})`,
        );
      }
    }
  }
  if (options.batchSize !== undefined) chunkSize(subject, options.batchSize, 1);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    fail('signal must be an AbortSignal');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    fail('onProgress must be a function');
  }
  switch (options.method) {
    case 'integrated-gradients':
      checkIntegratedGradientsOptions(subject, options);
      break;
    case 'smoothgrad':
    case 'smoothgrad-sq':
    case 'vargrad':
      checkSmoothGradOptions(options.method, options);
      break;
    case 'lrp':
      lrpRules({ rule: options.lrpRule, epsilon: options.epsilon });
      break;
    case 'grad-cam':
    case 'hires-cam': {
      const up = options.upsample;
      if (![undefined, true, false, 'nearest', 'bilinear'].includes(up)) {
        fail(`upsample must be true, false, 'nearest' or 'bilinear', got ${JSON.stringify(up)}`);
      }
      if (options.relu !== undefined && typeof options.relu !== 'boolean') {
        fail(`relu must be true or false, got ${JSON.stringify(options.relu)}`);
      }
      break;
    }
    case 'occlusion': {
      planOcclusion(subject.inputRowShape, options);
      const fill = options.fill ?? 0;
      if (typeof fill !== 'number' || !Number.isFinite(fill)) {
        fail(`fill must be a finite number, got ${JSON.stringify(fill)}`);
      }
      break;
    }
  }
}

/** Examples per chunk: what keeps one chunk's activations and gradients within the budget. */
function chunkSize(subject: Subject, requested: number | undefined, total: number): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) {
      throw new ArgumentError(`Cannot explain: batchSize must be an integer ≥ 1, got ${requested}`);
    }
    return requested;
  }
  const plan = subjectPlan(subject);
  let perExample = 0;
  let largest = 0;
  for (const [name, t] of plan.infos) {
    if (plan.known.has(name)) continue;
    const n = sizeOf(t.shape) / subject.batch;
    perExample += n;
    largest = Math.max(largest, n);
  }
  const limits = subject.model.engine.device.limits;
  const budget = Math.min(256 * 2 ** 20, limits.maxBufferSize);
  // Activations, their gradients and temporaries: about three copies.
  const byMemory = Math.floor(budget / (3 * 4 * Math.max(1, perExample)));
  const byBinding = Math.floor(limits.maxStorageBufferBindingSize / (4 * Math.max(1, largest)));
  return Math.max(1, Math.min(total, byMemory, byBinding, 256));
}

/** Reduces token attributions [batch, tokens, dim] over the embedding dimension. */
function perToken(t: Tensor, l2: boolean): Tensor {
  const engine = t.engine;
  if (!l2) return reduce(engine, 'sum', t, { axis: -1 });
  using sq = binary(engine, 'mul', t, t);
  using s = reduce(engine, 'sum', sq, { axis: -1 });
  return unary(engine, 'sqrt', s);
}

/**
 * Explains the model's output for `input` with `options.method`.
 *
 * @example
 * ```ts ignore
 * const e = await explain(model, { data: pixels, shape: [1, 1, 28, 28] }, {
 *   method: 'integrated-gradients',
 *   steps: 64,
 * });
 * console.log(e.predicted[0], e.completeness?.delta[0]);
 * const map = await e.attribution.read();
 * e.attribution.destroy();
 * ```
 * @throws {ArgumentError} for an unknown method, a bad target or option;
 *   {@linkcode NodeError} when the model has an operator without a gradient on the path.
 */
export async function explain(
  model: Model,
  input: InputData | Record<string, InputData>,
  options: ExplainOptions,
): Promise<Explanation> {
  const started = performance.now();
  if (!options || !METHODS.includes(options.method)) {
    throw new ArgumentError(
      `Cannot explain: unknown method '${options?.method}' (methods: ${METHODS.join(', ')})`,
    );
  }
  const method = options.method;
  if (input === null || typeof input !== 'object') {
    throw new ArgumentError(
      `Cannot explain: input must be { data, shape } or a record of them by input name, got ` +
        `${input === null ? 'null' : typeof input}`,
    );
  }
  const inputs: Record<string, InputData> = 'data' in input && 'shape' in input
    ? { [options.input ?? model.inputs[0].name]: input as InputData }
    : input as Record<string, InputData>;
  const subject = resolveSubject(model, inputs, options);
  checkOptions(subject, options);
  options.signal?.throwIfAborted();

  const forward = run(model, subject.feeds);
  let outputs: Float32Array[];
  try {
    const data = await forward.outputs[subject.outputName].read();
    outputs = Array.from(
      { length: subject.batch },
      (_, b) => Float32Array.from(data.subarray(b * subject.classes, (b + 1) * subject.classes)),
    );
  } finally {
    for (const t of Object.values(forward.outputs)) t.destroy();
  }
  const predicted = outputs.map((row) => row.indexOf(Math.max(...row)));
  const targets = resolveTargets(subject, options.target, predicted);
  const resolved: Record<string, unknown> = {
    input: subject.inputName,
    output: subject.outputName,
  };

  let attribution: Tensor;
  let site = subject.site;
  let completeness: Completeness | undefined;
  const perUnit = (units: number) => progressTracker(model.engine, units * subject.batch, options);
  switch (method) {
    case 'gradient':
    case 'saliency':
    case 'input-x-gradient':
    case 'guided-backprop':
    case 'lrp': {
      if (method === 'lrp') {
        resolved.lrpRule = options.lrpRule ?? 'epsilon';
        resolved.epsilon = options.epsilon ?? 1e-6;
      }
      attribution = gradientAttribution(subject, method, targets, {
        rule: options.lrpRule,
        epsilon: options.epsilon,
      });
      break;
    }
    case 'integrated-gradients': {
      const steps = options.steps ?? 50;
      const rule = options.rule ?? 'gausslegendre';
      const trapezoidWeights = options.trapezoidWeights ?? 'exact';
      const baseline = options.baseline ?? 'zeros';
      Object.assign(resolved, {
        steps,
        rule,
        ...(rule === 'riemann_trapezoid' ? { trapezoidWeights } : {}),
        baseline: typeof baseline === 'string' ? baseline : 'given',
      });
      const chunk = chunkSize(subject, options.batchSize, steps);
      resolved.batchSize = chunk;
      const r = await integratedGradients(
        subject,
        targets,
        { ...options, steps, rule, baseline, trapezoidWeights },
        chunk,
        perUnit(steps),
      );
      attribution = r.attribution;
      completeness = { delta: [], sum: [], fx: r.fx, fBaseline: r.fBaseline };
      break;
    }
    case 'smoothgrad':
    case 'smoothgrad-sq':
    case 'vargrad': {
      const samples = options.samples ?? 50;
      Object.assign(resolved, { samples, noise: options.noise ?? 0.15, seed: options.seed ?? 0 });
      const chunk = chunkSize(subject, options.batchSize, samples);
      resolved.batchSize = chunk;
      attribution = await smoothGrad(subject, method, targets, options, chunk, perUnit(samples));
      break;
    }
    case 'grad-cam':
    case 'hires-cam': {
      const r = gradCam(subject, method, targets, options);
      attribution = r.attribution;
      site = r.layer;
      Object.assign(resolved, {
        layer: r.layer,
        upsample: options.upsample === true ? 'bilinear' : options.upsample ?? false,
        relu: options.relu ?? true,
      });
      break;
    }
    case 'occlusion': {
      const plan = planOcclusion(subject.inputRowShape, options);
      Object.assign(resolved, {
        window: plan.window,
        stride: plan.stride,
        border: plan.border,
        fill: options.fill ?? 0,
      });
      const chunk = chunkSize(subject, options.batchSize, plan.starts.length);
      resolved.batchSize = chunk;
      attribution = await occlusion(subject, targets, options, chunk, perUnit(plan.starts.length));
      site = subject.inputName;
      break;
    }
  }
  try {
    if (subject.embedding && site === subject.site) {
      const reduced = perToken(attribution, method === 'gradient' || method === 'saliency');
      attribution.destroy();
      attribution = reduced;
    }
    if (completeness) {
      const data = await attribution.read();
      const per = data.length / subject.batch;
      for (let b = 0; b < subject.batch; b++) {
        let s = 0;
        for (let i = b * per; i < (b + 1) * per; i++) s += data[i];
        completeness.sum.push(s);
        completeness.delta.push(s - (completeness.fx[b] - completeness.fBaseline[b]));
      }
    } else {
      await model.engine.sync();
    }
  } catch (error) {
    attribution.destroy();
    throw error;
  }
  return {
    method,
    options: resolved,
    attribution,
    site,
    targets,
    predicted,
    probabilities: outputs.map(softmaxRow),
    outputs,
    completeness,
    tokens: options.tokens,
    timeMs: performance.now() - started,
  };
}
