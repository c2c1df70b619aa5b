/**
 * `glassbox explain MODEL.onnx --input [NAME=]X.npy --method METHOD --out OUT.npy [options]`: the
 * attribution of one input (batch axis first) written as float32 `.npy` with the input's shape
 * (Grad-CAM: the layer's spatial shape unless `--upsample`; token inputs: one value per token).
 * `--input` is read as `glassbox run` reads it (`./inputs.ts`): a model with several inputs gets
 * one per input, and the attribution is of its first.
 * `--json` prints the metadata: method and resolved options, targets, predicted classes and
 * probabilities, the completeness delta of integrated gradients, the time taken.
 *
 * Captum's conventions, where glassbox's defaults differ:
 * - `--trapezoid-weights captum` with `--rule riemann_trapezoid`: Captum's weights, which sum to
 *   (n−1)/n (default `exact`, summing to 1).
 * - `--relu off` for grad-cam / hires-cam: no ReLU on the map (Captum's
 *   `relu_attributions=False`; default `on`).
 * - `--interpolate nearest|bilinear`: upsample the map to the input with that mode (Captum's
 *   `LayerAttribution.interpolate`, default mode nearest); `--upsample` alone is bilinear.
 * - Occlusion's `--border clip` (default, Captum's: a last window clipped at the border when the
 *   stride does not divide size − window) or `skip` (full windows only).
 *
 * @module
 */

import { readNpy, writeNpy } from '../io/npy.ts';
import { explain, type ExplainOptions, type Method, METHODS } from '../explain/explain.ts';
import { INTEGRATION_RULES, type IntegrationRule } from '../explain/quadrature.ts';
import type { LrpRule } from '../explain/rules.ts';
import {
  checkOutput,
  type Command,
  commandEngine,
  formatShape,
  one,
  type OptionSpec,
  type Parsed,
  readFile,
  reportPrinter,
  UsageError,
  writeOutput,
} from './args.ts';
import { INPUT_HELP, readInputs } from './inputs.ts';
import { loadModelFile } from './model_file.ts';

const OPTIONS: Record<string, OptionSpec> = {
  input: { type: 'string', value: '[NAME=]FILE', required: true, help: INPUT_HELP },
  method: { type: 'string', value: 'METHOD', required: true, help: 'one of the methods below' },
  out: {
    type: 'string',
    value: 'FILE',
    required: true,
    help: 'where the attribution goes (float32 .npy)',
  },
  target: {
    type: 'string',
    value: 'K',
    default: 'the predicted class',
    help: 'the output class to explain',
  },
  json: { type: 'boolean', help: 'print the metadata: targets, prediction, completeness, time' },
  steps: { type: 'string', value: 'N', default: '50', help: 'integrated gradients: path points' },
  rule: {
    type: 'string',
    value: 'RULE',
    default: 'gausslegendre',
    help: `integrated gradients: ${INTEGRATION_RULES.join(', ')}`,
  },
  'trapezoid-weights': {
    type: 'string',
    value: 'exact|captum',
    default: 'exact',
    help: 'riemann_trapezoid weights',
  },
  baseline: {
    type: 'string',
    value: 'zeros|blur|uniform|FILE',
    default: 'zeros',
    help: 'integrated gradients: the baseline (FILE: a .npy)',
  },
  samples: { type: 'string', value: 'N', default: '50', help: 'smoothgrad family: noisy samples' },
  noise: {
    type: 'string',
    value: 'F',
    default: '0.15',
    help: "smoothgrad family: noise σ, a fraction of the input's range",
  },
  seed: { type: 'string', value: 'S', default: '0', help: 'seed of the noise, uniform baseline' },
  layer: {
    type: 'string',
    value: 'TENSOR',
    default: 'the last convolutional feature map',
    help: 'grad-cam: the layer',
  },
  upsample: { type: 'boolean', help: "grad-cam: resample the map to the input's shape (bilinear)" },
  interpolate: {
    type: 'string',
    value: 'nearest|bilinear',
    help: 'grad-cam: upsample with this mode',
  },
  relu: { type: 'string', value: 'on|off', default: 'on', help: 'grad-cam: ReLU on the map' },
  window: { type: 'string', value: 'W[xW]', help: 'occlusion: window per spatial axis' },
  stride: {
    type: 'string',
    value: 'S[xS]',
    default: 'the window',
    help: 'occlusion: stride per spatial axis',
  },
  border: {
    type: 'string',
    value: 'clip|skip',
    default: 'clip',
    help: 'occlusion: clip a last window at the border, or skip it',
  },
  fill: { type: 'string', value: 'V', default: '0', help: 'occlusion: fill value (token id)' },
  'lrp-rule': {
    type: 'string',
    value: 'RULE',
    default: 'epsilon',
    help: 'lrp: epsilon, zplus or epsilon-plus',
  },
  epsilon: { type: 'string', value: 'E', default: '1e-6', help: 'lrp: ε of the ε rule' },
  'batch-size': {
    type: 'string',
    value: 'B',
    default: 'as fit 256 MiB',
    help: 'points or samples per pass',
  },
};

/** One of `allowed`, or undefined when the option is absent. */
function choice<T extends string>(p: Parsed, name: string, allowed: readonly T[]): T | undefined {
  const v = one(p, name, false);
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) {
    throw new UsageError(`--${name} wants ${allowed.join(' or ')}, got '${v}'`);
  }
  return v as T;
}

function integer(p: Parsed, name: string, min = 1): number | undefined {
  const v = one(p, name, false);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) {
    throw new UsageError(`--${name} wants an integer ≥ ${min}, got '${v}'`);
  }
  return Number(v);
}

function number(p: Parsed, name: string): number | undefined {
  const v = one(p, name, false);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(`--${name} wants a number, got '${v}'`);
  }
  return n;
}

function sizes(p: Parsed, name: string): number | number[] | undefined {
  const v = one(p, name, false);
  if (v === undefined) return undefined;
  const parts = v.split(/[x,]/);
  if (parts.some((s) => !/^\d+$/.test(s) || Number(s) < 1)) {
    throw new UsageError(`--${name} wants a positive integer or a list like 4x4, got '${v}'`);
  }
  return parts.length === 1 ? Number(parts[0]) : parts.map(Number);
}

/** Runs `glassbox explain`; returns the summary line. */
export async function commandExplain(p: Parsed): Promise<string> {
  const [modelPath, extra] = p.positional;
  if (!modelPath || extra) throw new UsageError('explain takes one MODEL.onnx');
  const method = one(p, 'method', true)! as Method;
  if (!METHODS.includes(method)) {
    throw new UsageError(`unknown --method '${method}' (methods: ${METHODS.join(', ')})`);
  }
  const out = one(p, 'out', true)!;
  const inputSpecs = p.options.get('input') ?? [];
  if (inputSpecs.length === 0) throw new UsageError('missing --input');
  await checkOutput('out', out);
  const rule = one(p, 'rule', false);
  if (rule !== undefined && !INTEGRATION_RULES.includes(rule as IntegrationRule)) {
    throw new UsageError(`unknown --rule '${rule}' (rules: ${INTEGRATION_RULES.join(', ')})`);
  }
  const lrpRule = one(p, 'lrp-rule', false);
  if (lrpRule !== undefined && !['epsilon', 'zplus', 'epsilon-plus'].includes(lrpRule)) {
    throw new UsageError(`--lrp-rule wants epsilon, zplus or epsilon-plus, got '${lrpRule}'`);
  }
  const relu = choice(p, 'relu', ['on', 'off'] as const);
  const baselineText = one(p, 'baseline', false);
  let baseline: ExplainOptions['baseline'];
  if (baselineText === undefined || ['zeros', 'blur', 'uniform'].includes(baselineText)) {
    baseline = baselineText as ExplainOptions['baseline'];
  } else {
    const b = readNpy(await readFile(baselineText, 'baseline'));
    baseline = Float32Array.from(b.data as ArrayLike<number>);
  }
  const options: ExplainOptions = {
    method,
    target: integer(p, 'target', 0),
    steps: integer(p, 'steps'),
    rule: rule as IntegrationRule | undefined,
    baseline,
    samples: integer(p, 'samples'),
    noise: number(p, 'noise'),
    seed: integer(p, 'seed', 0),
    trapezoidWeights: choice(p, 'trapezoid-weights', ['exact', 'captum'] as const),
    layer: one(p, 'layer', false),
    upsample: choice(p, 'interpolate', ['nearest', 'bilinear'] as const) ??
      p.options.has('upsample'),
    relu: relu === undefined ? undefined : relu === 'on',
    window: sizes(p, 'window'),
    stride: sizes(p, 'stride'),
    fill: number(p, 'fill'),
    border: choice(p, 'border', ['clip', 'skip'] as const),
    lrpRule: lrpRule as LrpRule | undefined,
    epsilon: number(p, 'epsilon'),
    batchSize: integer(p, 'batch-size'),
  };
  using session = await commandEngine();
  const engine = session.engine;
  using model = await loadModelFile(engine, modelPath);
  const inputs = await readInputs(model, inputSpecs);
  const e = await explain(model, inputs, options);
  const shape = e.attribution.shape;
  try {
    await writeOutput(out, writeNpy(await e.attribution.readFloat32(), shape));
  } finally {
    e.attribution.destroy();
  }
  const targets = [...new Set(e.targets)];
  const summary = `wrote ${out}: ${e.method} of '${e.options.input}' ${formatShape(shape)}, ` +
    `target${targets.length > 1 ? 's' : ''} ${targets.join(', ')}`;
  if (p.options.has('json')) {
    const print = reportPrinter(out);
    const top = (probs: Float32Array) =>
      Array.from(probs, (v, i) => [i, v] as const).sort((a, b) => b[1] - a[1]).slice(0, 5)
        .map(([cls, probability]) => ({ class: cls, probability }));
    print(JSON.stringify(
      {
        method: e.method,
        options: e.options,
        site: e.site,
        shape: e.attribution.shape,
        targets: e.targets,
        predicted: e.predicted,
        top: e.probabilities.map(top),
        targetProbability: e.targets.map((t, b) => e.probabilities[b][t]),
        completeness: e.completeness,
        timeMs: Math.round(e.timeMs),
        adapter: engine.info.description,
      },
      null,
      2,
    ));
  }
  return summary;
}

/** `glassbox explain`. */
export const EXPLAIN: Command = {
  name: 'explain',
  summary: "writes an attribution map of a model's output for an input, as float32 .npy",
  usage: 'MODEL.onnx --input [NAME=]X.npy --method METHOD --out OUT.npy [options]',
  options: OPTIONS,
  notes: `methods: ${METHODS.join(', ')}
The map has the input's shape (grad-cam: the layer's grid unless --upsample or --interpolate;
token ids: one value per token). With several inputs, the first is explained.
Captum's conventions: --trapezoid-weights captum (weights summing to (n-1)/n), --relu off
(Grad-CAM without the final ReLU), --interpolate nearest; --border clip (the default) adds
Captum's last occlusion window, clipped at the border, when the stride does not divide.`,
  examples: [
    'models/mnist_cnn.onnx --input x.npy --method integrated-gradients --out ig.npy',
    'models/text_transformer.onnx --input input_ids=ids.npy --method saliency --out s.npy',
  ],
  run: commandExplain,
};
