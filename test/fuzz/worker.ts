/**
 * Runs one fuzz case in its own process (started by `test/fuzz/runner.ts` under a memory and
 * time limit): loads the model with glassbox and, when that succeeds, runs it on inputs generated
 * from the declared shapes; then the same with onnxruntime-web (wasm); then compares the
 * outputs. Reports on stdout, one line per phase, each `@@fuzz <phase> <json>`, written as soon
 * as the phase ends so that a crash or a hang later keeps what came before.
 *
 * Usage: `deno run --allow-read --allow-env test/fuzz/worker.ts MODEL.onnx [RECIPE_JSON] [SEED]`
 *
 * @module
 */

import { createEngine, GlassboxError, loadModel, run } from '../../src/mod.ts';
import type { Engine, InputData, Model, Tensor } from '../../src/mod.ts';
import { compareOutput, type OutputComparison, type OutputValues } from './compare.ts';
import {
  float16Bits,
  float16Value,
  type GeneratedInput,
  generateInputs,
  type InputDecl,
  InputLimitError,
  type InputRecipe,
} from './inputs.ts';
import { decodeModel, dtypeName } from './proto.ts';

/** A thrown value, described. */
export interface ErrorReport {
  /** The class name (`ModelFormatError`, `TypeError`, ...) or `typeof` for non-errors. */
  name: string;
  message: string;
  /** Whether it is a `GlassboxError` (glassbox side only). */
  typed: boolean;
  /** The first frames of the stack. */
  stack?: string;
  /** The innermost frame in glassbox's `src/`: `src/graph/plan.ts:153 visit`. */
  where?: string;
}

/** What one engine did with the case. */
export interface SideReport {
  /** `ok`: loaded and ran (or loaded, when `loadOnly`); `failed`: threw in `phase`. */
  status: 'ok' | 'failed';
  phase?: 'decode' | 'load' | 'inputs' | 'run' | 'read';
  error?: ErrorReport;
  /** Inputs could not be generated (too large, unfeedable type): only loading was tried. */
  loadOnly?: string;
  ms: number;
}

/** The comparison of the two engines' outputs. */
export interface CompareReport {
  agree: boolean;
  outputs: OutputComparison[];
  /** Output names one side produced and the other did not. */
  missing: string[];
}

/** Prefix of every report line. */
export const LINE_PREFIX = '@@fuzz ';

function emit(phase: string, data: unknown): void {
  console.log(`${LINE_PREFIX}${phase} ${JSON.stringify(data)}`);
}

/** The innermost stack frame in `src/`, as `src/path.ts:line function`. */
function whereIn(stack: string | undefined): string | undefined {
  for (const line of stack?.split('\n') ?? []) {
    const m = /at (?:(\S+) \()?\S*?\/(src\/[^:)]+):(\d+)/.exec(line);
    if (m) return `${m[2]}:${m[3]}${m[1] ? ` ${m[1]}` : ''}`;
  }
  return undefined;
}

function describe(error: unknown): ErrorReport {
  if (error instanceof Error) {
    return {
      where: whereIn(error.stack),
      name: error.constructor?.name && error.constructor.name !== 'Error'
        ? error.constructor.name
        : error.name,
      message: error.message.slice(0, 2000),
      typed: error instanceof GlassboxError,
      stack: error.stack?.split('\n').slice(1, 9).map((l) => l.trim()).join('\n'),
    };
  }
  return { name: typeof error, message: String(error).slice(0, 2000), typed: false };
}

/** The runtime inputs a model declares (initializers listed as inputs excluded). */
export function declaredInputs(bytes: Uint8Array): InputDecl[] {
  const g = decodeModel(bytes).graph;
  if (!g) return [];
  const inits = new Set(g.initializer.map((t) => t.name));
  return g.input.filter((v) => !inits.has(v.name)).map((v) => {
    const t = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
    return {
      name: v.name,
      dtype: t ? dtypeName(t.elemType) : 'none',
      shape: t?.shape
        ? t.shape.dim.map((d) =>
          d.value.case === 'dimValue'
            ? Number(d.value.value)
            : d.value.case === 'dimParam'
            ? d.value.value
            : null
        )
        : null,
    };
  });
}

function glassboxFeed(x: GeneratedInput): InputData {
  if (x.dtype === 'int64' || x.dtype === 'uint64') {
    return { data: BigInt64Array.from(x.values, (v) => BigInt(v)), shape: x.shape };
  }
  if (x.dtype.startsWith('float') || x.dtype === 'bfloat16') {
    return { data: Float32Array.from(x.values), shape: x.shape };
  }
  return { data: Int32Array.from(x.values), shape: x.shape };
}

async function readOutput(t: Tensor): Promise<OutputValues> {
  const data = await t.read();
  return { shape: [...t.shape], values: Float64Array.from(data) };
}

async function runGlassbox(
  bytes: Uint8Array,
  inputs: GeneratedInput[] | null,
  loadOnly: string | undefined,
): Promise<{ report: SideReport; outputs?: Map<string, OutputValues> }> {
  const start = performance.now();
  const done = (report: Omit<SideReport, 'ms'>) => ({
    report: { ...report, ms: Math.round(performance.now() - start) },
  });
  let engine: Engine;
  try {
    engine = await createEngine();
  } catch (error) {
    emit('harness', { message: `Cannot create a glassbox engine: ${describe(error).message}` });
    Deno.exit(3);
  }
  let model: Model;
  try {
    model = loadModel(engine, bytes);
  } catch (error) {
    return done({ status: 'failed', phase: 'load', error: describe(error) });
  }
  if (!inputs) {
    model.destroy();
    return done({ status: 'ok', loadOnly });
  }
  let phase: 'run' | 'read' = 'run';
  const tensors: Tensor[] = [];
  try {
    const feeds = Object.fromEntries(inputs.map((x) => [x.name, glassboxFeed(x)]));
    const result = run(model, feeds);
    tensors.push(...Object.values(result.outputs), ...Object.values(result.intermediates));
    phase = 'read';
    const outputs = new Map<string, OutputValues>();
    for (const [name, t] of Object.entries(result.outputs)) outputs.set(name, await readOutput(t));
    return { ...done({ status: 'ok' }), outputs };
  } catch (error) {
    return done({ status: 'failed', phase, error: describe(error) });
  } finally {
    for (const t of tensors) t.destroy();
    model.destroy();
  }
}

type Ort = typeof import('onnxruntime-web');

function ortFeed(ort: Ort, x: GeneratedInput) {
  const v = x.values;
  switch (x.dtype) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(v), x.shape);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(v), x.shape);
    case 'float16':
      return new ort.Tensor('float16', Uint16Array.from(v, float16Bits), x.shape);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(v, (n) => BigInt(n)), x.shape);
    case 'uint64':
      return new ort.Tensor('uint64', BigUint64Array.from(v, (n) => BigInt(n)), x.shape);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(v), x.shape);
    case 'uint32':
      return new ort.Tensor('uint32', Uint32Array.from(v), x.shape);
    case 'int16':
      return new ort.Tensor('int16', Int16Array.from(v), x.shape);
    case 'uint16':
      return new ort.Tensor('uint16', Uint16Array.from(v), x.shape);
    case 'int8':
      return new ort.Tensor('int8', Int8Array.from(v), x.shape);
    case 'uint8':
      return new ort.Tensor('uint8', Uint8Array.from(v), x.shape);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(v), x.shape);
    default:
      throw new InputLimitError(`onnxruntime-web takes no ${x.dtype} input here`);
  }
}

function ortValues(t: { type: string; data: unknown }): Float64Array {
  const data = t.data as ArrayLike<number | bigint>;
  if (t.type === 'string') throw new InputLimitError('a string output cannot be compared');
  if (t.type === 'float16' && data instanceof Uint16Array) {
    return Float64Array.from(data, float16Value);
  }
  return Float64Array.from(data, Number);
}

async function runOrt(
  bytes: Uint8Array,
  inputs: GeneratedInput[] | null,
  loadOnly: string | undefined,
): Promise<{ report: SideReport; outputs?: Map<string, OutputValues> }> {
  const start = performance.now();
  const done = (report: Omit<SideReport, 'ms'>) => ({
    report: { ...report, ms: Math.round(performance.now() - start) },
  });
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'fatal';
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      logSeverityLevel: 4,
    });
  } catch (error) {
    return done({ status: 'failed', phase: 'load', error: describe(error) });
  }
  try {
    let feedsFrom = inputs;
    if (!feedsFrom && !loadOnly) {
      // glassbox's decoder could not read the model but onnxruntime did: take the inputs from
      // the session (rare: byte-level mutations that only onnxruntime's parser tolerates).
      const decls = session.inputMetadata.map((m) => ({
        name: m.name,
        dtype: m.isTensor ? m.type : 'none',
        shape: m.isTensor ? [...m.shape] : null,
      }));
      try {
        feedsFrom = generateInputs(decls, {}, 1);
      } catch (error) {
        if (!(error instanceof InputLimitError)) throw error;
        return done({ status: 'ok', loadOnly: error.message });
      }
    }
    if (!feedsFrom) return done({ status: 'ok', loadOnly });
    let feeds;
    try {
      feeds = Object.fromEntries(feedsFrom.map((x) => [x.name, ortFeed(ort, x)]));
    } catch (error) {
      if (!(error instanceof InputLimitError)) throw error;
      return done({ status: 'ok', loadOnly: error.message });
    }
    const result = await session.run(feeds);
    const outputs = new Map<string, OutputValues>();
    for (const [name, t] of Object.entries(result)) {
      outputs.set(name, { shape: [...t.dims], values: ortValues(t) });
    }
    return { ...done({ status: 'ok' }), outputs };
  } catch (error) {
    if (error instanceof InputLimitError) return done({ status: 'ok', loadOnly: error.message });
    return done({ status: 'failed', phase: 'run', error: describe(error) });
  } finally {
    await session.release().catch(() => {});
  }
}

/** Runs the case given on the command line. */
async function main(): Promise<void> {
  const [path, recipeJson = '{}', seedText = '1'] = Deno.args;
  if (!path) {
    console.error('Usage: worker.ts MODEL.onnx [RECIPE_JSON] [SEED]');
    Deno.exit(2);
  }
  let phase = 'glassbox';
  globalThis.addEventListener('unhandledrejection', (event) => {
    event.preventDefault();
    emit('unhandled', { phase, error: describe(event.reason) });
  });
  const bytes = await Deno.readFile(path);
  const recipe = JSON.parse(recipeJson) as InputRecipe;
  let inputs: GeneratedInput[] | null = null;
  let loadOnly: string | undefined;
  try {
    inputs = generateInputs(declaredInputs(bytes), recipe, Number(seedText));
  } catch (error) {
    loadOnly = error instanceof InputLimitError ? error.message : undefined;
  }
  emit('start', { inputs: inputs?.map((x) => `${x.name}:${x.dtype}[${x.shape}]`), loadOnly });
  const gb = await runGlassbox(bytes, inputs, loadOnly);
  emit('glassbox', gb.report);
  phase = 'ort';
  const ort = await runOrt(bytes, inputs, loadOnly);
  emit('ort', ort.report);
  if (gb.outputs && ort.outputs) {
    const outputs: OutputComparison[] = [];
    const names = new Set([...gb.outputs.keys(), ...ort.outputs.keys()]);
    const missing = [...names].filter((n) => !gb.outputs!.has(n) || !ort.outputs!.has(n));
    for (const [name, v] of gb.outputs) {
      const ref = ort.outputs.get(name);
      if (ref) outputs.push(compareOutput(name, v, ref));
    }
    const report: CompareReport = {
      agree: missing.length === 0 && outputs.every((o) => o.agree),
      outputs,
      missing,
    };
    emit('compare', report);
  }
  emit('done', {});
  // Leaving with work still queued on the device has hung teardown; exit explicitly.
  Deno.exit(0);
}

if (import.meta.main) await main();
