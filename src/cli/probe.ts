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
import { checkOptions, commandEngine, one, type Parsed, readFile, UsageError } from './args.ts';
import { positiveInt, readData, readLabels } from './distill.ts';

/** Runs `glassbox probe`. */
export async function commandProbe(p: Parsed): Promise<void> {
  checkOptions(p, [
    'data',
    'labels',
    'task',
    'classes',
    'vocab',
    'layer',
    'controls',
    'epochs',
    'seed',
    'max-features',
    'json',
  ]);
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
    return;
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
}
