/**
 * `glassbox distill MODEL.onnx --data DATA.npy [--labels Y.npy] --kind linear|mlp|tree
 * --out SURROGATE.onnx [--json]`: fits a surrogate to the model's outputs over DATA (its first
 * input, batch axis first), writes it as ONNX (same input and output names as the model, so
 * `glassbox run` and `glassbox explain` take it), and prints its fidelity (top-1 agreement and
 * KL on a held-out quarter), its accuracy against Y when given, and for trees the rules.
 *
 * Data: float32 or float64 arrays are used as they are; uint8 arrays (images stored compactly)
 * are scaled by 1/255; int64/int32 arrays (token ids) are passed as integers.
 *
 * @module
 */

import { readNpy } from '../io/npy.ts';
import type { InputData } from '../onnx/model.ts';
import { distill, SURROGATE_KINDS, type SurrogateKind } from '../global/surrogate.ts';
import {
  checkOutput,
  type Command,
  commandEngine,
  one,
  type Parsed,
  readFile,
  reportPrinter,
  UsageError,
  writeOutput,
} from './args.ts';
import { loadModelFile } from './model_file.ts';

/** Reads a data `.npy` for a model input: uint8 scaled to [0, 1], floats as f32, ints kept. */
export async function readData(path: string): Promise<InputData & { scaled: boolean }> {
  const a = readNpy(await readFile(path, 'data'));
  if (a.data instanceof Uint8Array) {
    const data = new Float32Array(a.data.length);
    for (let i = 0; i < data.length; i++) data[i] = a.data[i] / 255;
    return { data, shape: a.shape, scaled: true };
  }
  const data = a.data instanceof Float64Array ? Float32Array.from(a.data) : a.data;
  return { data: data as InputData['data'], shape: a.shape, scaled: false };
}

/** Reads integer labels (any integer or float dtype) as numbers. */
export async function readLabels(path: string, what = 'labels'): Promise<number[]> {
  const a = readNpy(await readFile(path, what));
  return Array.from(a.data as ArrayLike<number | bigint>, Number);
}

/** A positive integer option, or undefined. */
export function positiveInt(p: Parsed, name: string): number | undefined {
  const v = one(p, name, false);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    throw new UsageError(`--${name} wants a positive integer, got '${v}'`);
  }
  return Number(v);
}

/** A finite number option, or undefined. */
export function numberOption(p: Parsed, name: string): number | undefined {
  const v = one(p, name, false);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(`--${name} wants a number, got '${v}'`);
  }
  return n;
}

/** Runs `glassbox distill`; returns the summary line. */
export async function commandDistill(p: Parsed): Promise<string> {
  const [modelPath, extra] = p.positional;
  if (!modelPath || extra) throw new UsageError('distill takes one MODEL.onnx');
  const kind = (one(p, 'kind', false) ?? 'linear') as SurrogateKind;
  if (!SURROGATE_KINDS.includes(kind)) {
    throw new UsageError(`unknown --kind '${kind}' (${SURROGATE_KINDS.join(', ')})`);
  }
  const out = one(p, 'out', true)!;
  await checkOutput('out', out);
  const data = await readData(one(p, 'data', true)!);
  const labelsPath = one(p, 'labels', false);
  const labels = labelsPath ? await readLabels(labelsPath) : undefined;
  const seedText = one(p, 'seed', false);
  if (seedText !== undefined && !/^\d+$/.test(seedText)) {
    throw new UsageError(`--seed wants an integer ≥ 0, got '${seedText}'`);
  }
  using session = await commandEngine();
  const engine = session.engine;
  using model = await loadModelFile(engine, modelPath);
  const s = await distill(model, data, {
    kind,
    labels,
    hidden: positiveInt(p, 'hidden'),
    depth: positiveInt(p, 'depth'),
    epochs: positiveInt(p, 'epochs'),
    seed: seedText === undefined ? undefined : Number(seedText),
    testFraction: numberOption(p, 'test-fraction'),
    temperature: numberOption(p, 'temperature'),
  });
  await writeOutput(out, s.onnx);
  const print = reportPrinter(out);
  const report = {
    kind: s.kind,
    out,
    input: { name: s.inputName, shape: s.inputShape, scaled: data.scaled ? 1 / 255 : 1 },
    classes: s.classes,
    split: s.split,
    fidelity: s.fidelity,
    trainFidelity: s.trainFidelity,
    accuracy: s.accuracy,
    epochs: s.history.length,
    rules: s.rules,
    parameters: s.weights?.reduce((a, l) => a + l.w.length + l.b.length, 0),
    timeMs: Math.round(s.timeMs),
    adapter: engine.info.description,
  };
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const summary = `wrote ${out}: ${s.kind} surrogate, ${pct(s.fidelity.agreement)} agreement ` +
    `on ${s.fidelity.count} held-out examples`;
  if (p.options.has('json')) {
    print(JSON.stringify(report, null, 2));
    return summary;
  }
  print(
    `${s.kind} surrogate → ${out}: agrees with the model on ${pct(s.fidelity.agreement)} of ` +
      `${s.fidelity.count} held-out examples (KL ${s.fidelity.kl.toFixed(3)} nats)` +
      (s.accuracy
        ? `; accuracy ${pct(s.accuracy.surrogate)} (model ${pct(s.accuracy.model)})`
        : ''),
  );
  for (const rule of s.rules ?? []) print(`  ${rule}`);
  return summary;
}

/** `glassbox distill`. */
export const DISTILL: Command = {
  name: 'distill',
  summary: 'fits a linear, MLP or tree surrogate to a model and writes it as ONNX',
  usage: 'MODEL.onnx --data DATA.npy --out SURROGATE.onnx [options]',
  options: {
    data: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: "examples for the model's first input, batch first (.npy)",
    },
    out: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: 'where the surrogate goes (.onnx)',
    },
    kind: { type: 'string', value: 'linear|mlp|tree', default: 'linear', help: 'the surrogate' },
    labels: { type: 'string', value: 'FILE', help: 'true classes (.npy), for accuracy figures' },
    hidden: { type: 'string', value: 'H', default: '64', help: 'mlp: hidden width' },
    depth: { type: 'string', value: 'D', default: '6', help: 'tree: depth' },
    epochs: {
      type: 'string',
      value: 'E',
      default: '40, early stopping',
      help: 'training epochs (linear, mlp)',
    },
    seed: { type: 'string', value: 'S', default: '0', help: 'seed of the split, init, shuffling' },
    'test-fraction': {
      type: 'string',
      value: 'F',
      default: '0.25',
      help: 'fraction held out for fidelity',
    },
    temperature: { type: 'string', value: 'T', default: '1', help: 'temperature of the KL loss' },
    json: { type: 'boolean', help: 'print the report as JSON' },
  },
  notes: 'Prints the fidelity (top-1 agreement, KL) on the held-out examples, the accuracy with\n' +
    "--labels, and for trees the rules. The ONNX has the model's input and output names, so\n" +
    'glassbox run and glassbox explain take it. uint8 DATA (compact images) is scaled by 1/255.',
  examples: [
    'models/mnist_cnn.onnx --data x.npy --labels y.npy --kind tree --out tree.onnx',
  ],
  run: commandDistill,
};
