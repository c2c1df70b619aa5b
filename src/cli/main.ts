/**
 * The `glassbox` command line (Deno). The contract other tools rely on:
 *
 * - `glassbox run MODEL.onnx --input X.npy [--input NAME=X.npy ...] --out OUT.npy
 *   [--output NAME]` writes the first (or named) output as float32 `.npy`.
 * - `glassbox graph MODEL.onnx [--dim NAME=N ...]` prints the structure as JSON:
 *   `{inputs, outputs, nodes: [{name, op, inputs, outputs, shapes, params, flops}], totals}`.
 * - `glassbox stats MODEL.onnx [--tensor NAME ...] [--bins B] [--per-channel] [--json]` prints
 *   every weight's statistics and histogram (a table, or JSON with `--json`).
 * - `glassbox project DATA.npy --method pca|tsne|umap [--dims 2] [--iterations N] [--neighbors K]
 *   [--metric euclidean|cosine] [--perplexity P] --out OUT.npy [--json]` projects the rows of an [N, D] array
 *   (float32 `.npy` out; `--json` prints the explained variance or the trustworthiness).
 * - `glassbox explain MODEL.onnx --input X.npy --method METHOD --out OUT.npy [--target K] ...`
 *   writes the attribution as float32 `.npy` with the input's shape (see `./explain.ts`);
 *   `--json` prints the metadata (targets, prediction, completeness delta, time).
 *
 * Bad input exits non-zero with one clear line on stderr (exit 2 for usage errors, 1 otherwise).
 *
 * @module
 */

import { GlassboxError } from '../gpu/errors.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { type InputData, run } from '../onnx/model.ts';
import { modelStructure } from '../onnx/structure.ts';
import { modelWeightStats } from '../stats/model_stats.ts';
import { pca } from '../stats/pca.ts';
import { trustworthiness } from '../stats/trustworthiness.ts';
import { tsne } from '../stats/tsne.ts';
import { umap } from '../stats/umap.ts';
import { type Tensor, tensor } from '../tensor.ts';
import {
  checkOptions,
  commandEngine,
  one,
  parseArgs,
  type Parsed,
  readFile,
  UsageError,
} from './args.ts';
import { commandExplain } from './explain.ts';
import { loadModelFile } from './model_file.ts';
import { commandDistill } from './distill.ts';
import { commandProbe } from './probe.ts';

export { parseArgs };

const USAGE = `usage:
  glassbox run MODEL.onnx --input X.npy [--input NAME=X.npy ...] --out OUT.npy [--output NAME]
  glassbox graph MODEL.onnx [--dim NAME=N ...]
  glassbox stats MODEL.onnx [--tensor NAME ...] [--bins B] [--per-channel] [--json]
  glassbox project DATA.npy --method pca|tsne|umap [--dims 2] [--iterations N] [--neighbors K]
                   [--metric euclidean|cosine] [--perplexity P] --out OUT.npy [--json]
  glassbox explain MODEL.onnx --input X.npy --method METHOD --out OUT.npy [--target K]
                   [--steps N] [--rule gausslegendre|riemann_left|riemann_right|riemann_middle|
                   riemann_trapezoid] [--trapezoid-weights exact|captum]
                   [--baseline zeros|blur|uniform|FILE.npy] [--samples N] [--noise F] [--seed S]
                   [--layer TENSOR] [--upsample] [--interpolate nearest|bilinear] [--relu on|off]
                   [--window W[xW]] [--stride S[xS]] [--border clip|skip] [--fill V]
                   [--lrp-rule epsilon|zplus|epsilon-plus] [--epsilon E] [--batch-size B] [--json]
    methods: gradient, saliency, input-x-gradient, integrated-gradients, smoothgrad,
             smoothgrad-sq, vargrad, grad-cam, hires-cam, guided-backprop, lrp, occlusion
    Captum's conventions: --trapezoid-weights captum (weights summing to (n-1)/n), --relu off
    (Grad-CAM without the final ReLU), --interpolate nearest; --border clip (the default) adds
    Captum's last occlusion window, clipped at the border, when the stride does not divide
  glassbox distill MODEL.onnx --data DATA.npy [--labels Y.npy] --kind linear|mlp|tree
                   --out SURROGATE.onnx [--hidden H] [--depth D] [--epochs E] [--seed S]
                   [--test-fraction F] [--temperature T] [--json]
  glassbox probe MODEL.onnx --data DATA.npy (--labels LABELS.npy | --task TASK)
                   [--classes Y.npy] [--vocab VOCAB.json] [--layer TENSOR ...] [--epochs E]
                   [--seed S] [--max-features F] [--controls all|class|none] [--json]
    tasks: parity, closed-loop (digits, from --classes); footwear, upper-body (fashion, from
           --classes); has-url, length-bucket (text, from the token ids in DATA)
    uint8 DATA (compact images) is scaled by 1/255`;

async function commandRun(p: Parsed): Promise<void> {
  checkOptions(p, ['input', 'out', 'output']);
  const [modelPath, extra] = p.positional;
  if (!modelPath || extra) throw new UsageError('run takes one MODEL.onnx');
  const out = one(p, 'out', true)!;
  const inputSpecs = p.options.get('input') ?? [];
  if (inputSpecs.length === 0) throw new UsageError('missing --input');
  using session = await commandEngine();
  const engine = session.engine;
  using model = await loadModelFile(engine, modelPath);
  const inputs: Record<string, InputData> = {};
  for (const spec of inputSpecs) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && !spec.slice(0, eq).includes('/');
    const name = named ? spec.slice(0, eq) : undefined;
    const path = named ? spec.slice(eq + 1) : spec;
    const target = name ?? model.inputs.find((v) => !(v.name in inputs))?.name;
    if (!target) throw new UsageError(`more --input files than the model has inputs`);
    if (!model.inputs.some((v) => v.name === target)) {
      throw new UsageError(
        `the model has no input '${target}' (inputs: ${
          model.inputs.map((v) => v.name).join(', ')
        })`,
      );
    }
    const array = readNpy(await readFile(path, 'input'));
    const data = array.data instanceof Uint8Array ? Float32Array.from(array.data) : array.data;
    inputs[target] = { data, shape: array.shape };
  }
  const outputName = one(p, 'output', false) ?? model.outputs[0].name;
  if (!model.outputs.some((v) => v.name === outputName)) {
    throw new UsageError(
      `the model has no output '${outputName}' (outputs: ${
        model.outputs.map((v) => v.name).join(', ')
      })`,
    );
  }
  const result = run(model, inputs);
  try {
    const t = result.outputs[outputName];
    const data = await t.readFloat32();
    await Deno.writeFile(out, writeNpy(data, t.shape));
  } finally {
    for (const t of Object.values(result.outputs)) t.destroy();
  }
}

async function commandGraph(p: Parsed): Promise<void> {
  checkOptions(p, ['dim']);
  const [modelPath, extra] = p.positional;
  if (!modelPath || extra) throw new UsageError('graph takes one MODEL.onnx');
  const dimensions: Record<string, number> = {};
  for (const spec of p.options.get('dim') ?? []) {
    const [name, v] = spec.split('=');
    if (!name || !/^\d+$/.test(v ?? '')) throw new UsageError(`--dim wants NAME=N, got '${spec}'`);
    dimensions[name] = Number(v);
  }
  using session = await commandEngine();
  const engine = session.engine;
  using model = await loadModelFile(engine, modelPath, { dimensions });
  console.log(JSON.stringify(modelStructure(model, { dimensions }), null, 2));
}

async function commandStats(p: Parsed): Promise<void> {
  checkOptions(p, ['tensor', 'bins', 'per-channel', 'json']);
  const [modelPath, extra] = p.positional;
  if (!modelPath || extra) throw new UsageError('stats takes one MODEL.onnx');
  const binsText = one(p, 'bins', false);
  if (binsText !== undefined && !/^\d+$/.test(binsText)) {
    throw new UsageError(`--bins wants a positive integer, got '${binsText}'`);
  }
  using session = await commandEngine();
  const engine = session.engine;
  using model = await loadModelFile(engine, modelPath);
  const names = p.options.get('tensor');
  const stats = await modelWeightStats(model, {
    names,
    bins: binsText === undefined ? undefined : Number(binsText),
    perChannel: p.options.has('per-channel'),
  });
  if (p.options.has('json')) {
    const tensors = stats.map((s) => ({
      ...s,
      histogram: { ...s.histogram, counts: Array.from(s.histogram.counts) },
    }));
    const params = stats.reduce((a, s) => a + s.count, 0);
    console.log(JSON.stringify({ tensors, totals: { tensors: stats.length, params } }, null, 2));
    return;
  }
  const f = (v: number) => (Number.isFinite(v) ? v.toPrecision(4) : String(v)).padStart(11);
  console.log(
    `${'tensor'.padEnd(40)} ${'shape'.padEnd(16)} ${'mean'.padStart(11)} ${'std'.padStart(11)} ` +
      `${'min'.padStart(11)} ${'max'.padStart(11)} ${'sparsity'.padStart(9)} nan/inf`,
  );
  for (const s of stats) {
    console.log(
      `${s.name.slice(-40).padEnd(40)} ${`[${s.shape}]`.padEnd(16)} ${f(s.mean)} ${f(s.std)} ` +
        `${f(s.min)} ${f(s.max)} ${(s.sparsity * 100).toFixed(1).padStart(8)}% ` +
        `${s.nan}/${s.posInf + s.negInf}`,
    );
  }
}

/** Projection methods `glassbox project` implements. */
const PROJECTIONS = ['pca', 'tsne', 'umap'];

async function commandProject(p: Parsed): Promise<void> {
  checkOptions(p, [
    'method',
    'dims',
    'out',
    'json',
    'iterations',
    'neighbors',
    'metric',
    'perplexity',
  ]);
  const [dataPath, extra] = p.positional;
  if (!dataPath || extra) throw new UsageError('project takes one DATA.npy');
  const method = one(p, 'method', true)!;
  if (!PROJECTIONS.includes(method)) {
    throw new UsageError(`unknown --method '${method}' (available: ${PROJECTIONS.join(', ')})`);
  }
  const dimsText = one(p, 'dims', false) ?? '2';
  if (!/^\d+$/.test(dimsText) || Number(dimsText) < 1) {
    throw new UsageError(`--dims wants a positive integer, got '${dimsText}'`);
  }
  const out = one(p, 'out', true)!;
  const integer = (name: string): number | undefined => {
    const v = one(p, name, false);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < 1) {
      throw new UsageError(`--${name} wants a positive integer, got '${v}'`);
    }
    return Number(v);
  };
  const iterations = integer('iterations');
  const neighbors = integer('neighbors');
  const metric = one(p, 'metric', false) ?? 'euclidean';
  if (metric !== 'euclidean' && metric !== 'cosine') {
    throw new UsageError(`--metric wants euclidean or cosine, got '${metric}'`);
  }
  if (method === 'pca' && (iterations || neighbors || p.options.has('metric'))) {
    throw new UsageError('--iterations, --neighbors and --metric are for tsne and umap');
  }
  const perplexityText = one(p, 'perplexity', false);
  const perplexity = perplexityText === undefined ? undefined : Number(perplexityText);
  if (perplexity !== undefined && !(perplexity > 0)) {
    throw new UsageError(`--perplexity wants a positive number, got '${perplexityText}'`);
  }
  if (perplexity !== undefined && method !== 'tsne') {
    throw new UsageError('--perplexity is for tsne');
  }
  if (method === 'tsne' && neighbors) {
    throw new UsageError('--neighbors is for umap (tsne takes --perplexity)');
  }
  const array = readNpy(await readFile(dataPath, 'data'));
  if (array.shape.length !== 2) {
    throw new GlassboxError(
      `Cannot project '${dataPath}': expected an [N, D] array, got (${array.shape})`,
    );
  }
  const data = array.data instanceof Float32Array
    ? array.data
    : Float32Array.from(array.data, Number);
  using session = await commandEngine();
  const engine = session.engine;
  using x = tensor(engine, data, array.shape);
  const dims = Number(dimsText);
  const report: Record<string, unknown> = { method, shape: array.shape, dims };
  let projection: Tensor;
  if (method === 'pca') {
    const result = await pca(engine, x, { components: dims });
    projection = result.projection;
    report.explainedVariance = Array.from(result.explainedVariance);
    report.explainedVarianceRatio = Array.from(result.explainedVarianceRatio);
  } else if (method === 'tsne') {
    if (dims !== 2) throw new UsageError(`tsne embeds in 2 dimensions, got --dims ${dims}`);
    projection = (await tsne(engine, x, { iterations, perplexity, metric })).embedding;
    if (p.options.has('json')) {
      report.trustworthiness = await trustworthiness(engine, x, projection, { k: 10, metric });
    }
  } else {
    projection = (await umap(engine, x, { dims, epochs: iterations, neighbors, metric })).embedding;
    if (p.options.has('json')) {
      report.trustworthiness = await trustworthiness(engine, x, projection, { k: 10, metric });
    }
  }
  try {
    await Deno.writeFile(out, writeNpy(await projection.readFloat32(), projection.shape));
  } finally {
    projection.destroy();
  }
  if (p.options.has('json')) console.log(JSON.stringify(report, null, 2));
}

/** Runs the CLI; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    if (args[0] === '--help' || args[0] === '-h') {
      console.log(USAGE);
      return 0;
    }
    const p = parseArgs(args);
    if (p.command === 'run') await commandRun(p);
    else if (p.command === 'graph') await commandGraph(p);
    else if (p.command === 'stats') await commandStats(p);
    else if (p.command === 'project') await commandProject(p);
    else if (p.command === 'explain') await commandExplain(p);
    else if (p.command === 'distill') await commandDistill(p);
    else if (p.command === 'probe') await commandProbe(p);
    else {
      throw new UsageError(
        `unknown command '${p.command}' (run, graph, stats, project or explain); see ` +
          'glassbox --help',
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`glassbox: ${error.message}`);
      return 2;
    }
    const e = error as Error;
    const kind = error instanceof GlassboxError ? e.name : `unexpected ${e?.name ?? 'error'}`;
    console.error(`glassbox: ${kind}: ${e?.message ?? error}`);
    if (Deno.env.get('GLASSBOX_DEBUG')) console.error(e?.stack);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
