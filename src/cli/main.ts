/**
 * The `glassbox` command line (Deno). The contract other tools rely on:
 *
 * - `glassbox run MODEL.onnx --input [NAME=]X.npy [--input ...] --out OUT.npy [--output NAME]`
 *   writes the first (or named) output as float32 `.npy`.
 * - `glassbox graph MODEL.onnx [--dim NAME=N ...]` prints the structure as JSON:
 *   `{inputs, outputs, nodes: [{name, op, inputs, outputs, shapes, params, flops}], totals}`.
 * - `glassbox stats MODEL.onnx [--tensor NAME ...] [--bins B] [--per-channel] [--json]` prints
 *   every weight's statistics and histogram (a table, or JSON with `--json`).
 * - `glassbox project DATA.npy --method pca|tsne|umap [--dims 2] [--iterations N] [--neighbors K]
 *   [--metric euclidean|cosine] [--perplexity P] --out OUT.npy [--json]` projects the rows of an
 *   [N, D] array (float32 `.npy` out; `--json` prints the explained variance or the
 *   trustworthiness).
 * - `glassbox explain MODEL.onnx --input [NAME=]X.npy --method METHOD --out OUT.npy [--target K]
 *   ...` writes the attribution as float32 `.npy` with the input's shape (see `./explain.ts`);
 *   `--json` prints the metadata (targets, prediction, completeness delta, time).
 * - `glassbox distill ...` and `glassbox probe ...`: see `./distill.ts` and `./probe.ts`.
 *
 * Conventions, the same for every command:
 * - `glassbox CMD --help` (or `-h`, or `glassbox help CMD`) prints the command's usage, options
 *   with their defaults and an example, and exits 0; `glassbox --help` (or `glassbox help`) lists
 *   the commands; `glassbox --version` prints the version of `package.json`.
 * - Data goes to stdout or to `--out`; on success one summary line goes to stderr (so piping the
 *   data stays clean), unless `--quiet`/`-q`.
 * - A file option (`--out`) is checked before any work: its folder must exist and take the file,
 *   an existing file must be writable (exit 2 otherwise). `--out /dev/stdout` writes the data to
 *   stdout (there is no `-`); the reports stdout would carry (`--json`, tables) go to stderr.
 * - Bad input exits non-zero with one clear line on stderr (exit 2 for usage errors, among them
 *   an unknown command, which lists the commands and suggests the closest; 1 otherwise).
 *
 * @module
 */

import { GlassboxError } from '../gpu/errors.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { run } from '../onnx/model.ts';
import { modelStructure } from '../onnx/structure.ts';
import { modelWeightStats } from '../stats/model_stats.ts';
import { pca } from '../stats/pca.ts';
import { trustworthiness } from '../stats/trustworthiness.ts';
import { tsne } from '../stats/tsne.ts';
import { umap } from '../stats/umap.ts';
import { type Tensor, tensor } from '../tensor.ts';
import {
  checkOutput,
  type Command,
  commandEngine,
  commandHelp,
  formatShape,
  one,
  type Parsed,
  parseOptions,
  readFile,
  reportPrinter,
  UsageError,
  writeOutput,
} from './args.ts';
import { EXPLAIN } from './explain.ts';
import { INPUT_HELP, readInputs } from './inputs.ts';
import { loadModelFile } from './model_file.ts';
import { DISTILL } from './distill.ts';
import { PROBE } from './probe.ts';

export type { Command, CommandSpec, OptionSpec, Parsed } from './args.ts';

/**
 * The version of glassbox: `package.json`'s. A JSON import works in Deno and in an esbuild
 * bundle (which inlines it); dynamic, so that this module also loads in the browser test runner.
 */
export async function version(): Promise<string> {
  const pkg = await import('../../package.json', { with: { type: 'json' } });
  return pkg.default.version;
}

async function commandRun(p: Parsed): Promise<string> {
  const [modelPath, extra] = p.positional;
  if (!modelPath || extra) throw new UsageError('run takes one MODEL.onnx');
  const out = one(p, 'out', true)!;
  const inputSpecs = p.options.get('input') ?? [];
  if (inputSpecs.length === 0) throw new UsageError('missing --input');
  await checkOutput('out', out);
  using session = await commandEngine();
  const engine = session.engine;
  using model = await loadModelFile(engine, modelPath);
  const inputs = await readInputs(model, inputSpecs);
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
    await writeOutput(out, writeNpy(data, t.shape));
    return `wrote ${out}: output '${outputName}' ${formatShape(t.shape)}`;
  } finally {
    for (const t of Object.values(result.outputs)) t.destroy();
  }
}

const RUN: Command = {
  name: 'run',
  summary: 'runs a model on .npy inputs and writes one output as float32 .npy',
  usage: 'MODEL.onnx --input [NAME=]X.npy [--input ...] --out OUT.npy [options]',
  options: {
    input: { type: 'string', value: '[NAME=]FILE', required: true, help: INPUT_HELP },
    out: { type: 'string', value: 'FILE', required: true, help: 'where the output goes (.npy)' },
    output: {
      type: 'string',
      value: 'NAME',
      default: "the model's first output",
      help: 'the output to write',
    },
  },
  examples: [
    'models/mnist_cnn.onnx --input x.npy --out logits.npy',
    'models/text_transformer.onnx --input input_ids=ids.npy --out logits.npy',
  ],
  run: commandRun,
};

async function commandGraph(p: Parsed): Promise<string> {
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
  const structure = modelStructure(model, { dimensions });
  console.log(JSON.stringify(structure, null, 2));
  const { nodes, params } = structure.totals;
  return `${modelPath} has ${nodes} nodes, ${params} parameters`;
}

const GRAPH: Command = {
  name: 'graph',
  summary: "prints a model's structure as JSON: nodes, shapes, parameters, FLOPs",
  usage: 'MODEL.onnx [--dim NAME=N ...]',
  options: {
    dim: {
      type: 'string',
      value: 'NAME=N',
      default: '1 for every symbolic dimension',
      help: 'the size of a symbolic dimension; repeatable',
    },
  },
  notes: 'output: {inputs, outputs, nodes: [{name, op, inputs, outputs, shapes, params, flops}], ' +
    'totals}',
  examples: ['models/mnist_cnn.onnx --dim batch=8'],
  run: commandGraph,
};

async function commandStats(p: Parsed): Promise<string> {
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
  const params = stats.reduce((a, s) => a + s.count, 0);
  const summary = `${stats.length} weight tensors of ${modelPath}, ${params} parameters`;
  if (p.options.has('json')) {
    const tensors = stats.map((s) => ({
      ...s,
      histogram: { ...s.histogram, counts: Array.from(s.histogram.counts) },
    }));
    console.log(JSON.stringify({ tensors, totals: { tensors: stats.length, params } }, null, 2));
    return summary;
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
  return summary;
}

const STATS: Command = {
  name: 'stats',
  summary: "prints every weight's statistics and histogram, as a table or JSON",
  usage: 'MODEL.onnx [options]',
  options: {
    tensor: {
      type: 'string',
      value: 'NAME',
      default: 'every float weight',
      help: 'only this initializer; repeatable',
    },
    bins: { type: 'string', value: 'B', default: '64', help: 'histogram bins, 1 to 4096' },
    'per-channel': { type: 'boolean', help: 'also the moments of each slice along axis 0' },
    json: { type: 'boolean', help: 'print JSON (with the histograms) instead of a table' },
  },
  examples: ['models/mnist_cnn.onnx --tensor fc1.weight --bins 10 --json'],
  run: commandStats,
};

/** Projection methods `glassbox project` implements. */
const PROJECTIONS = ['pca', 'tsne', 'umap'];

async function commandProject(p: Parsed): Promise<string> {
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
  await checkOutput('out', out);
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
  const shape = projection.shape;
  try {
    await writeOutput(out, writeNpy(await projection.readFloat32(), shape));
  } finally {
    projection.destroy();
  }
  if (p.options.has('json')) reportPrinter(out)(JSON.stringify(report, null, 2));
  return `wrote ${out}: ${method} projection ${formatShape(shape)}`;
}

const PROJECT: Command = {
  name: 'project',
  summary: 'projects the rows of an [N, D] array with PCA, t-SNE or UMAP',
  usage: 'DATA.npy --method pca|tsne|umap --out OUT.npy [options]',
  options: {
    method: { type: 'string', value: 'METHOD', required: true, help: 'pca, tsne or umap' },
    out: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: 'where the [N, dims] projection goes (float32 .npy)',
    },
    dims: { type: 'string', value: 'N', default: '2', help: 'output dimensions (tsne: 2 only)' },
    iterations: {
      type: 'string',
      value: 'N',
      default: 'tsne 1000; umap 500, 200 above 10,000 rows',
      help: 'tsne iterations or umap epochs',
    },
    neighbors: { type: 'string', value: 'K', default: '15', help: 'umap neighbourhood size' },
    metric: {
      type: 'string',
      value: 'euclidean|cosine',
      default: 'euclidean',
      help: 'tsne and umap input distance',
    },
    perplexity: {
      type: 'string',
      value: 'P',
      default: '30, (N − 1) / 3 when smaller',
      help: 'tsne perplexity',
    },
    json: {
      type: 'boolean',
      help: 'print the explained variance (pca) or trustworthiness (tsne, umap) as JSON',
    },
  },
  examples: ['x.npy --method umap --neighbors 10 --out u.npy --json'],
  run: commandProject,
};

/** Every command, in the order `glassbox --help` lists them. */
export const COMMANDS: readonly Command[] = [RUN, GRAPH, STATS, PROJECT, EXPLAIN, DISTILL, PROBE];

const NAMES = COMMANDS.map((c) => c.name).join(', ');

/** `glassbox --help`: every command with its one-line summary. */
async function overview(): Promise<string> {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 3;
  return [
    `glassbox ${await version()}: explain and visualize neural networks on the GPU`,
    '',
    'usage: glassbox COMMAND [ARGS] [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'glassbox help COMMAND (or glassbox COMMAND --help) prints its options and an example.',
    'glassbox --version prints the version.',
    'Data goes to stdout or --out; a one-line summary goes to stderr (-q, --quiet: none);',
    '--out /dev/stdout writes the data to stdout (reports then go to stderr);',
    'errors are one line on stderr, exit 2 for usage errors, 1 otherwise.',
  ].join('\n');
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * `; did you mean 'NAME'?` for the command `typed` is most likely a slip for: the only one it
 * begins, else the nearest within a third of its letters (one at least); `''` when none is near.
 */
function suggestion(typed: string): string {
  const lower = typed.toLowerCase();
  const prefixed = COMMANDS.filter((c) => lower.length >= 2 && c.name.startsWith(lower));
  const [best] = prefixed.length === 1
    ? [{ name: prefixed[0].name, d: 0 }]
    : COMMANDS.map((c) => ({ name: c.name, d: distance(lower, c.name) })).sort((a, b) => a.d - b.d);
  return best.d <= Math.max(1, Math.ceil(lower.length / 3)) ? `; did you mean '${best.name}'?` : '';
}

/** The command called `name`; a usage error listing them all, with the closest name if any. */
function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  if (name.startsWith('-')) {
    throw new UsageError(
      `unknown option ${name} before a command (commands: ${NAMES}); see glassbox --help`,
    );
  }
  throw new UsageError(
    `unknown command '${name}'${suggestion(name)} (commands: ${NAMES}); see glassbox --help`,
  );
}

/**
 * Splits `glassbox` arguments into the command and its options, checked against the command's.
 *
 * @throws {UsageError} for a missing or unknown command or a bad option.
 */
export async function parseArgs(args: string[]): Promise<Parsed> {
  const [name, ...rest] = args;
  if (!name) throw new UsageError(`missing command (${NAMES}); see glassbox --help`);
  return await parseOptions(findCommand(name), rest);
}

/** Runs the CLI; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    const [first, ...rest] = args;
    if (first === '--help' || first === '-h' || (first === 'help' && rest.length === 0)) {
      console.log(await overview());
      return 0;
    }
    if (first === '--version') {
      console.log(`glassbox ${await version()}`);
      return 0;
    }
    if (first === 'help') {
      if (rest.length > 1) throw new UsageError(`help takes one command (${NAMES})`);
      console.log(rest[0] === 'help' ? await overview() : commandHelp(findCommand(rest[0])));
      return 0;
    }
    const p = await parseArgs(args);
    const command = COMMANDS.find((c) => c.name === p.command)!;
    if (p.options.has('help')) {
      console.log(commandHelp(command));
      return 0;
    }
    const started = performance.now();
    const summary = await command.run(p);
    if (!p.options.has('quiet')) {
      const seconds = (performance.now() - started) / 1000;
      console.error(`glassbox ${command.name}: ${summary} (${seconds.toFixed(1)} s)`);
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
