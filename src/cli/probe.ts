/**
 * `glassbox probe MODEL.onnx --data DATA.npy (--labels LABELS.npy | --task TASK [--classes
 * Y.npy]) [--layer TENSOR ...] [--controls all|class|none] [--json]`: trains a linear probe per
 * layer for a task and prints held-out accuracy by layer, with the controls of
 * `global/probe.ts` (control-task selectivity; a randomly initialized copy of the model).
 *
 * Task labels are given one of two ways:
 * - `--labels LABELS.npy`: any integer labels, one per example (arbitrary tasks);
 * - `--task NAME`: a preset for the shipped models — `parity`, `closed-loop` (digits) and
 *   `footwear`, `upper-body` (Fashion-MNIST) derive labels from `--classes Y.npy`;
 *   `has-url`, `length-bucket` derive them from the token ids in DATA (with `--vocab
 *   VOCAB.json`, default `text_vocab.json` beside the model, for `has-url`).
 * `--classes Y.npy` (the model's own classes) also defines the control task; without it the
 * control labels are a shuffle of the task labels.
 *
 * @module
 */

import { loadModel } from '../onnx/model.ts';
import { probeLayers } from '../global/probe.ts';
import { randomizedOnnx } from '../global/probe.ts';
import { taskLabels, TASKS } from '../global/tasks.ts';
import { type Command, commandEngine, one, type Parsed, readFile, UsageError } from './args.ts';
import { positiveInt, readData, readLabels } from './distill.ts';

/** Runs `glassbox probe`; returns the summary line. */
export async function commandProbe(p: Parsed): Promise<string> {
  const [modelPath, extra] = p.positional;
  if (!modelPath || extra) throw new UsageError('probe takes one MODEL.onnx');
  const labelsPath = one(p, 'labels', false);
  const task = one(p, 'task', false);
  if (!labelsPath === !task) throw new UsageError('give one of --labels LABELS.npy or --task NAME');
  if (task && !(task in TASKS)) {
    throw new UsageError(`unknown --task '${task}' (${Object.keys(TASKS).join(', ')})`);
  }
  const controls = one(p, 'controls', false) ?? 'all';
  if (!['all', 'class', 'none'].includes(controls)) {
    throw new UsageError(`--controls wants all, class or none, got '${controls}'`);
  }
  const seedText = one(p, 'seed', false);
  if (seedText !== undefined && !/^\d+$/.test(seedText)) {
    throw new UsageError(`--seed wants an integer ≥ 0, got '${seedText}'`);
  }
  const data = await readData(one(p, 'data', true)!);
  const classesPath = one(p, 'classes', false);
  const classes = classesPath ? await readLabels(classesPath, 'classes') : undefined;
  const integerInput = !(data.data instanceof Float32Array);
  let labels: number[];
  if (labelsPath) labels = await readLabels(labelsPath);
  else {
    let vocab: string[] | undefined;
    if (task === 'has-url') {
      const vocabPath = one(p, 'vocab', false) ??
        modelPath.replace(/[^/]*$/, '') + 'text_vocab.json';
      const json = JSON.parse(new TextDecoder().decode(await readFile(vocabPath, 'vocabulary')));
      vocab = Array.isArray(json) ? json : json.tokens;
    }
    labels = taskLabels(task!, {
      classes,
      ids: integerInput ? data.data as ArrayLike<number | bigint> : undefined,
      idShape: data.shape,
      vocab,
    });
  }
  const modelBytes = await readFile(modelPath, 'model');
  using session = await commandEngine();
  const engine = session.engine;
  using model = loadModel(engine, modelBytes);
  using randomModel = controls === 'all'
    ? loadModel(engine, randomizedOnnx(modelBytes, Number(seedText ?? 0)))
    : undefined;
  const report = await probeLayers(model, data, labels, {
    layers: p.options.get('layer'),
    classes: controls === 'none' ? undefined : classes,
    randomModel,
    epochs: positiveInt(p, 'epochs'),
    maxFeatures: positiveInt(p, 'max-features'),
    seed: seedText === undefined ? undefined : Number(seedText),
    tokenIds: integerInput ? data.data as ArrayLike<number | bigint> : undefined,
  });
  const best = report.layers.reduce<(typeof report.layers)[number] | undefined>(
    (a, l) => (a && a.accuracy >= l.accuracy ? a : l),
    undefined,
  );
  const summary = `task ${task ?? labelsPath}: ${report.layers.length} layers probed` +
    (best ? `, best ${best.layer} at ${(100 * best.accuracy).toFixed(1)}%` : '');
  if (p.options.has('json')) {
    console.log(JSON.stringify(
      {
        taskName: task ?? labelsPath,
        taskDoc: task ? TASKS[task as keyof typeof TASKS].doc : undefined,
        ...report,
        timeMs: Math.round(report.timeMs),
        adapter: engine.info.description,
      },
      null,
      2,
    ));
    return summary;
  }
  const pct = (v: number | undefined) =>
    v === undefined ? '     -' : `${(100 * v).toFixed(1)}%`.padStart(6);
  console.log(
    `task ${task ?? labelsPath}: ${report.task.classes} classes, majority ${
      pct(report.task.majority)
    }; ` +
      `control: ${report.control}`,
  );
  console.log(`${'layer'.padEnd(44)} ${'feat'.padStart(5)}   probe control  select random`);
  for (const l of report.layers) {
    console.log(
      `${l.layer.slice(-44).padEnd(44)} ${String(l.features).padStart(5)}  ${pct(l.accuracy)} ` +
        `${pct(l.controlAccuracy)} ${pct(l.selectivity)} ${pct(l.randomModelAccuracy)}`,
    );
  }
  return summary;
}

/** `glassbox probe`. */
export const PROBE: Command = {
  name: 'probe',
  summary: 'trains a linear probe per layer for a task and prints its accuracy by layer',
  usage: 'MODEL.onnx --data DATA.npy (--labels LABELS.npy | --task TASK) [options]',
  options: {
    data: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: "examples for the model's first input, batch first (.npy)",
    },
    labels: { type: 'string', value: 'FILE', help: 'task labels, one per example (.npy)' },
    task: { type: 'string', value: 'TASK', help: 'a preset task instead of --labels (below)' },
    classes: {
      type: 'string',
      value: 'FILE',
      help: "the model's classes (.npy): preset labels and the control task",
    },
    vocab: {
      type: 'string',
      value: 'FILE',
      default: 'text_vocab.json beside the model',
      help: 'has-url: the vocabulary',
    },
    layer: {
      type: 'string',
      value: 'TENSOR',
      default: 'activations, pooling, outputs',
      help: 'a tensor to probe; repeatable',
    },
    controls: {
      type: 'string',
      value: 'all|class|none',
      default: 'all',
      help: 'control task and random-weights model',
    },
    epochs: { type: 'string', value: 'E', default: '30, early stopping', help: 'probe epochs' },
    seed: {
      type: 'string',
      value: 'S',
      default: '0',
      help: 'seed of the split, controls, training',
    },
    'max-features': {
      type: 'string',
      value: 'F',
      default: '2048',
      help: 'larger maps are average-pooled to this',
    },
    json: { type: 'boolean', help: 'print the report as JSON' },
  },
  notes: [
    'tasks (--task), labels derived from --classes or from the token ids in DATA:',
    ...Object.entries(TASKS).map(([name, t]) =>
      `  ${name.padEnd(15)}${t.doc}; from ${t.from === 'classes' ? '--classes' : 'DATA'}`
    ),
    'uint8 DATA (compact images) is scaled by 1/255.',
  ].join('\n'),
  examples: ['models/mnist_cnn.onnx --data x.npy --task parity --classes y.npy --json'],
  run: commandProbe,
};
