/**
 * `glassbox explain MODEL.onnx --input X.npy --method METHOD --out OUT.npy [options]`: the
 * attribution of one input (batch axis first) written as float32 `.npy` with the input's shape
 * (Grad-CAM: the layer's spatial shape unless `--upsample`; token inputs: one value per token).
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

import { GlassboxError } from '../gpu/errors.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { explain, type ExplainOptions, type Method, METHODS } from '../explain/explain.ts';
import { INTEGRATION_RULES, type IntegrationRule } from '../explain/quadrature.ts';
import type { LrpRule } from '../explain/rules.ts';
import { checkOptions, commandEngine, one, type Parsed, readFile, UsageError } from './args.ts';
import { loadModelFile } from './model_file.ts';

const OPTIONS = [
  'input',
  'target',
  'method',
  'out',
  'json',
  'steps',
  'rule',
  'baseline',
  'samples',
  'noise',
  'seed',
  'layer',
  'upsample',
  'window',
  'stride',
  'fill',
  'border',
  'trapezoid-weights',
  'relu',
  'interpolate',
  'lrp-rule',
  'epsilon',
  'batch-size',
];

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

/** Runs `glassbox explain`. */
export async function commandExplain(p: Parsed): Promise<void> {
  checkOptions(p, OPTIONS);
  const [modelPath, extra] = p.positional;
  if (!modelPath || extra) throw new UsageError('explain takes one MODEL.onnx');
  const method = one(p, 'method', true)! as Method;
  if (!METHODS.includes(method)) {
    throw new UsageError(`unknown --method '${method}' (methods: ${METHODS.join(', ')})`);
  }
  const out = one(p, 'out', true)!;
  const inputPath = one(p, 'input', true)!;
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
  const array = readNpy(await readFile(inputPath, 'input'));
  using session = await commandEngine();
  const engine = session.engine;
  using model = await loadModelFile(engine, modelPath);
  if (model.inputs.length !== 1) {
    throw new GlassboxError(
      `Cannot explain '${modelPath}': it has ${model.inputs.length} inputs; explain takes one`,
    );
  }
  const data = array.data instanceof Uint8Array ? Float32Array.from(array.data) : array.data;
  const e = await explain(model, { data, shape: array.shape }, options);
  try {
    await Deno.writeFile(out, writeNpy(await e.attribution.readFloat32(), e.attribution.shape));
  } finally {
    e.attribution.destroy();
  }
  if (p.options.has('json')) {
    const top = (probs: Float32Array) =>
      Array.from(probs, (v, i) => [i, v] as const).sort((a, b) => b[1] - a[1]).slice(0, 5)
        .map(([cls, probability]) => ({ class: cls, probability }));
    console.log(JSON.stringify(
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
}
