/**
 * What an explanation is about: a model, the input being explained, the output and class the
 * attribution is for, and the *site* where attributions are taken — the input itself, or, for
 * token ids feeding an embedding table, the embedding's output. Builds the batched feeds and
 * runs the batched target gradients that every method is made of.
 *
 * @module
 */

import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import type { BackwardRule } from '../graph/operator.ts';
import { isFloat } from '../graph/ir.ts';
import { backward, type BackwardResult } from '../grad/backward.ts';
import type { Plan } from '../graph/plan.ts';
import { execute, type InputData, type Model, prepareRun, run } from '../onnx/model.ts';
import { binary } from '../ops/binary.ts';
import { expand } from '../ops/expand.ts';
import { matmul } from '../ops/matmul.ts';
import { formatShape, sizeOf, type Tensor, tensor } from '../tensor.ts';

/** The model, input and output an explanation is about. */
export interface Subject {
  /** The model. */
  model: Model;
  /** Name of the explained model input. */
  inputName: string;
  /** Host data of every model input (batch axis first). */
  feeds: Record<string, InputData>;
  /** Examples in the batch. */
  batch: number;
  /** Name of the output whose class is explained. */
  outputName: string;
  /** Classes per example (elements of the output per batch row). */
  classes: number;
  /**
   * Where attributions are taken: the input's name, or the output of the embedding `Gather`
   * that the token ids index.
   */
  site: string;
  /** Whether `site` is an embedding output (token inputs). */
  embedding: boolean;
  /** Shape of one example at the site, batch axis included (1). */
  siteRowShape: number[];
  /** Shape of one example of the explained input, batch axis included (1). */
  inputRowShape: number[];
}

/** The model's plan for host feeds (by input name, with their declared element types). */
function planFor(model: Model, feeds: Record<string, InputData>): Plan {
  const types = new Map(
    Object.entries(feeds).map(([name, f]) => {
      const d = model.inputs.find((v) => v.name === name)!;
      return [name, { dtype: d.dtype ?? 'float32', shape: [...f.shape] }];
    }),
  );
  return model.plan(types);
}

/** The plan a subject's model runs its whole batch with (cached by the model). */
export function subjectPlan(subject: Subject): Plan {
  return planFor(subject.model, subject.feeds);
}

/** Options that choose a subject. */
export interface SubjectOptions {
  /** The explained input (default: the model's first input). */
  input?: string;
  /** The explained output (default: the model's first output). */
  output?: string;
}

function hostData(name: string, given: Tensor | InputData | undefined): InputData {
  if (!given || !('data' in given) || !('shape' in given)) {
    throw new ArgumentError(
      `Cannot explain: input '${name}' must be host data ({ data, shape }) with a batch axis`,
    );
  }
  if (given.shape.length === 0) {
    throw new ShapeError(`Cannot explain: input '${name}' needs a batch axis, got a scalar`);
  }
  return given;
}

/**
 * Resolves the subject of an explanation: which input, output and site.
 *
 * @throws {ArgumentError} for unknown names, an integer input that does not index an
 *   embedding table, or inputs whose batch sizes differ.
 */
export function resolveSubject(
  model: Model,
  inputs: Record<string, InputData>,
  options: SubjectOptions = {},
): Subject {
  const inputName = options.input ?? model.inputs[0]?.name;
  const decl = model.inputs.find((v) => v.name === inputName);
  if (!decl) {
    throw new ArgumentError(
      `Cannot explain: the model has no input '${inputName}' (inputs: ` +
        `${model.inputs.map((v) => v.name).join(', ')})`,
    );
  }
  const feeds: Record<string, InputData> = {};
  for (const v of model.inputs) feeds[v.name] = hostData(v.name, inputs[v.name]);
  const batch = feeds[inputName].shape[0];
  for (const [name, f] of Object.entries(feeds)) {
    if (f.shape[0] !== batch) {
      throw new ShapeError(
        `Cannot explain: input '${name}' has batch ${f.shape[0]}, '${inputName}' has ${batch}`,
      );
    }
  }
  if (batch < 1) throw new ShapeError('Cannot explain: the batch is empty');
  const outputName = options.output ?? model.outputs[0]?.name;
  if (!model.outputs.some((o) => o.name === outputName)) {
    throw new ArgumentError(
      `Cannot explain: the model has no output '${outputName}' (outputs: ` +
        `${model.outputs.map((o) => o.name).join(', ')})`,
    );
  }
  const plan = planFor(model, feeds);
  const out = plan.infos.get(outputName)!;
  const classes = sizeOf(out.shape.slice(1));
  if (out.shape[0] !== batch) {
    throw new ShapeError(
      `Cannot explain: output '${outputName}' ${formatShape(out.shape)} has no batch axis of ` +
        `${batch} first`,
    );
  }
  const inputRowShape = [1, ...feeds[inputName].shape.slice(1)];
  if (isFloat(decl.dtype ?? 'float32')) {
    return {
      model,
      inputName,
      feeds,
      batch,
      outputName,
      classes,
      site: inputName,
      embedding: false,
      siteRowShape: inputRowShape,
      inputRowShape,
    };
  }
  // Token ids: attributions are taken where the ids become vectors, the Gather that reads a
  // float table with them.
  const step = plan.steps.find((s) =>
    s.node.op === 'Gather' && s.node.inputs[1] === inputName && plan.known.has(s.node.inputs[0]) &&
    isFloat(s.infos[0]!.dtype)
  );
  if (!step) {
    throw new ArgumentError(
      `Cannot explain integer input '${inputName}': it does not index an embedding table ` +
        '(a Gather from a float initializer), so there is no vector to take gradients at',
    );
  }
  const site = step.node.outputs[0];
  const siteShape = plan.infos.get(site)!.shape;
  return {
    model,
    inputName,
    feeds,
    batch,
    outputName,
    classes,
    site,
    embedding: true,
    siteRowShape: [1, ...siteShape.slice(1)],
    inputRowShape,
  };
}

/** Host data of example `b` of a feed, with a batch axis of 1. */
export function rowOf(feed: InputData, b: number): InputData {
  const per = sizeOf(feed.shape.slice(1));
  return {
    data: feed.data.slice(b * per, (b + 1) * per) as InputData['data'],
    shape: [1, ...feed.shape.slice(1)],
  };
}

/** Uploads example `b` of a feed, repeated `count` times along the batch axis. */
export function tiledRow(subject: Subject, name: string, b: number, count: number): Tensor {
  const engine = subject.model.engine;
  const row = rowOf(subject.feeds[name], b);
  const decl = subject.model.inputs.find((v) => v.name === name)!;
  const float = isFloat(decl.dtype ?? 'float32');
  const data = float ? Float32Array.from(row.data as ArrayLike<number>) : Int32Array.from(
    row.data as ArrayLike<number | bigint>,
    Number,
  );
  using one = tensor(engine, data, row.shape, { dtype: float ? 'f32' : 'i32', label: name });
  return count === 1 ? one.reshape(one.shape) : expand(engine, one, [count, ...row.shape.slice(1)]);
}

/** Per-row one-hot seeds for targets: [rows, classes] reshaped to the output's shape. */
export function oneHot(
  subject: Subject,
  targets: readonly number[],
  outputShape: readonly number[],
): Tensor {
  const data = new Float32Array(targets.length * subject.classes);
  targets.forEach((t, r) => (data[r * subject.classes + t] = 1));
  return tensor(subject.model.engine, data, outputShape, { label: 'explain.seed' });
}

/**
 * The backward seed for `targets` (one per output row): a one-hot row per example, or with
 * `withOutput` the target's output value in its place (LRP's initial relevance).
 */
function targetSeed(
  subject: Subject,
  targets: readonly number[],
  withOutput: boolean,
): (value: (name: string) => Tensor) => Record<string, Tensor> {
  return (value) => {
    const out = value(subject.outputName);
    const seed = oneHot(subject, targets, out.shape);
    if (!withOutput) return { [subject.outputName]: seed };
    using s = seed;
    return { [subject.outputName]: binary(subject.model.engine, 'mul', s, out) };
  };
}

/** Options for {@linkcode siteGradients}. */
export interface SiteGradientOptions {
  /** Backward rules replacing the operators' own (guided backprop, LRP). */
  rules?: Readonly<Record<string, BackwardRule>>;
  /** Seed with the target's output value instead of 1 (LRP's initial relevance). */
  seedWithOutput?: boolean;
  /** Forward tensors to return. */
  keep?: readonly string[];
  /** Differentiate with respect to this tensor instead of the site (layer methods). */
  wrt?: string;
}

/**
 * The gradient of the target output with respect to the site, for `rows` points at the site
 * (a tensor [count, ...site row]) that all belong to example `b` (its other inputs, e.g. the
 * token ids, are repeated). Returns the backward result: `grads[site]` is [count, ...].
 */
export function siteGradients(
  subject: Subject,
  b: number,
  rows: Tensor,
  targets: readonly number[],
  options: SiteGradientOptions = {},
): BackwardResult {
  const count = rows.shape[0];
  if (targets.length !== count) {
    throw new ArgumentError(`Internal error: ${targets.length} targets for ${count} rows`);
  }
  const feeds: Record<string, Tensor> = {};
  const overrides: Record<string, Tensor> = {};
  try {
    for (const name of Object.keys(subject.feeds)) {
      if (name === subject.inputName && !subject.embedding) continue;
      feeds[name] = tiledRow(subject, name, b, count);
    }
    if (subject.embedding) overrides[subject.site] = rows;
    else feeds[subject.inputName] = rows;
    return backward(subject.model, feeds, {
      wrt: [options.wrt ?? subject.site],
      overrides,
      rules: options.rules,
      keep: options.keep,
      seed: targetSeed(subject, targets, options.seedWithOutput ?? false),
    });
  } finally {
    for (const t of Object.values(feeds)) t.destroy();
  }
}

/**
 * The batch gradient: every example of the subject at once (each with its own target), with
 * respect to the site. For the embedding site the ids run as given. `grads[site]` is
 * [batch, ...].
 */
export function batchGradients(
  subject: Subject,
  targets: readonly number[],
  options: SiteGradientOptions = {},
): BackwardResult {
  return backward(subject.model, { ...subject.feeds }, {
    wrt: [options.wrt ?? subject.site],
    rules: options.rules,
    keep: options.keep,
    seed: targetSeed(subject, targets, options.seedWithOutput ?? false),
  });
}

/** The value at the site of example `b` ([1, ...site row]): the input row or its embedding. */
export function siteValue(subject: Subject, b: number): Tensor {
  if (!subject.embedding) return tiledRow(subject, subject.inputName, b, 1);
  const feeds: Record<string, InputData> = {};
  for (const [name, f] of Object.entries(subject.feeds)) feeds[name] = rowOf(f, b);
  const result = run(subject.model, feeds, { keep: [subject.site] });
  for (const t of Object.values(result.outputs)) t.destroy();
  return result.intermediates[subject.site];
}

/**
 * Σᵣ wᵣ·tᵣ over the rows of `t` ([rows, ...] → [1, ...]) as one matrix product on the GPU.
 */
export function weightedRowSum(t: Tensor, weights: ArrayLike<number>): Tensor {
  const engine = t.engine;
  const rows = t.shape[0];
  using w = tensor(engine, Float32Array.from(weights), [1, rows]);
  using flat = t.reshape([rows, t.size / Math.max(1, rows)]);
  using s = matmul(engine, w, flat);
  return s.reshape([1, ...t.shape.slice(1)]);
}

/**
 * The model's output for `rows` points at the site of example `b` (forward only): a tensor
 * [count, ...output] the caller owns.
 */
export function siteOutputs(subject: Subject, b: number, rows: Tensor): Tensor {
  const count = rows.shape[0];
  const feeds: Record<string, Tensor> = {};
  try {
    for (const name of Object.keys(subject.feeds)) {
      if (name === subject.inputName && !subject.embedding) continue;
      feeds[name] = tiledRow(subject, name, b, count);
    }
    if (!subject.embedding) feeds[subject.inputName] = rows.reshape(rows.shape);
    const { plan, values } = prepareRun(subject.model, feeds);
    try {
      execute(subject.model, plan, values, {
        overrides: subject.embedding ? new Map([[subject.site, rows]]) : undefined,
      });
      const out = values.get(subject.outputName)!;
      return out.reshape(out.shape);
    } finally {
      for (const t of values.values()) t.destroy();
    }
  } finally {
    for (const t of Object.values(feeds)) t.destroy();
  }
}

/** The target entries of outputs [rows, ...] as a [rows, 1] tensor (one product on the GPU). */
export function selectTargets(subject: Subject, out: Tensor, target: number): Tensor {
  const engine = subject.model.engine;
  const picks = new Float32Array(subject.classes);
  picks[target] = 1;
  using p = tensor(engine, picks, [subject.classes, 1]);
  using flat = out.reshape([out.shape[0], subject.classes]);
  return matmul(engine, flat, p);
}
