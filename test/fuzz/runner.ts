/**
 * The fuzz loop: builds each case (a corpus entry, mutated from a seeded generator), runs it in
 * a child process (`test/fuzz/worker.ts`) under a memory and a time limit, classifies the
 * outcome against onnxruntime-web, saves every case that is not fine with the bytes to replay
 * it, and groups the failures by cause.
 *
 * Outcomes, most severe first:
 * - `crash`: the child died (signal, or a non-zero exit) before glassbox reported.
 * - `oom`: glassbox ran out of memory (the rlimit, the V8 heap, or `Array buffer allocation
 *   failed`).
 * - `hang`: no glassbox report within the time limit.
 * - `disagree`: both ran; an output differs (shape, NaN positions, ±Inf, or relative L2 > 1e-3).
 * - `accepted-invalid`: glassbox ran what onnxruntime-web rejects.
 * - `untyped`: glassbox threw something that is not a `GlassboxError` (TypeError, RangeError...).
 * - `refused-valid`: glassbox refused with a typed error what onnxruntime-web ran (may be fine
 *   where glassbox lacks an operator; counted apart).
 * - `skipped`: both loaded, but the harness could not make inputs (too large, unfeedable type).
 * - `both-refuse`, `ok` (both ran and agree): fine.
 *
 * @module
 */

import { corpus, type CorpusEntry } from './corpus.ts';
import type { InputRecipe } from './inputs.ts';
import { mutateCase } from './mutate.ts';
import { mulberry32 } from '../random.ts';
import { type CompareReport, LINE_PREFIX, type SideReport } from './worker.ts';

/** Every outcome, most severe first. */
export const OUTCOMES = [
  'crash',
  'oom',
  'hang',
  'disagree',
  'accepted-invalid',
  'untyped',
  'refused-valid',
  'skipped',
  'both-refuse',
  'ok',
] as const;

/** How a case ended. */
export type Outcome = typeof OUTCOMES[number];

/** Outcomes that are defects of glassbox (the fuzz command exits 1 when any occurs). */
export const FAILING: ReadonlySet<Outcome> = new Set([
  'crash',
  'oom',
  'hang',
  'disagree',
  'accepted-invalid',
  'untyped',
]);

/** Outcomes whose cases are saved (everything but the fine ones). */
const SAVED = (o: Outcome) => o !== 'ok' && o !== 'both-refuse';

/** Limits of one child process. */
export interface Limits {
  /** Wall-clock seconds per case. */
  timeoutS: number;
  /** Memory per case in MiB (RLIMIT_DATA; the V8 heap gets half; RSS watched too). */
  memoryMb: number;
}

/** What the child process did. */
export interface ChildResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Killed by the parent's RSS watchdog. */
  rssKilled: boolean;
  lines: { phase: string; data: Record<string, unknown> }[];
  stderr: string;
  ms: number;
}

/** A classified case. */
export interface Classified {
  outcome: Outcome;
  /** The one-line cause (error name and message, or the disagreement). */
  message: string;
  /** The error class glassbox threw, if any. */
  errorName?: string;
  glassbox?: SideReport;
  ort?: SideReport;
  compare?: CompareReport;
}

/** One case of a run, as reported. */
export interface CaseReport extends Classified {
  iteration: number;
  caseSeed: number;
  base: string;
  mutations: string[];
  inputs: InputRecipe;
  /** The saved model, relative to the report's folder (non-fine outcomes only). */
  file?: string;
  ms: number;
  exit: { code: number | null; signal: string | null };
  stderrTail?: string;
}

/** Failures grouped by cause. */
export interface CauseGroup {
  outcome: Outcome;
  /** The message with names and numbers blanked out. */
  pattern: string;
  count: number;
  /** One full message. */
  example: string;
  /** The smallest saved model of the group. */
  file?: string;
  /** Replays it. */
  replay?: string;
  bases: string[];
}

/** The report of a run (written as JSON with `--out`). */
export interface FuzzReport {
  command: string;
  seed: number;
  iterations: number;
  jobs: number;
  limits: Limits;
  startedAt: string;
  seconds: number;
  counts: Record<Outcome, number>;
  causes: CauseGroup[];
  /** The cases that are not fine, in full. */
  cases: CaseReport[];
  /** Every case in one line: `iteration outcome base`. */
  all: string[];
}

/** Options of {@linkcode fuzz}. */
export interface FuzzOptions extends Partial<Limits> {
  iterations: number;
  seed: number;
  /** Children at once (default 1). */
  jobs?: number;
  /** The JSON report's path; cases are saved beside it in `<name>-cases/`. */
  out?: string;
  /** Run each corpus entry once unmutated before mutating (default true). */
  corpusFirst?: boolean;
  /** Only corpus entries whose name matches. */
  only?: RegExp;
  /** Only corpus entries of these kinds. */
  kinds?: readonly CorpusEntry['kind'][];
  /** Prints progress (default: nothing). */
  log?: (line: string) => void;
  /** Print every case, not only failures. */
  verbose?: boolean;
  /** The command line to put in the report. */
  command?: string;
}

/** The default limits: 90 s and 3 GiB per case. */
export const DEFAULT_LIMITS: Limits = { timeoutS: 90, memoryMb: 3072 };

const ROOT = new URL('../../', import.meta.url);
const WORKER = new URL('./worker.ts', import.meta.url).pathname;

/** A 32-bit seed for iteration `i` of a run seeded with `seed`. */
export function caseSeed(seed: number, i: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

let prlimitAvailable: boolean | undefined;

async function hasPrlimit(): Promise<boolean> {
  if (prlimitAvailable === undefined) {
    try {
      const r = await new Deno.Command('prlimit', {
        args: ['--version'],
        stdout: 'null',
        stderr: 'null',
      })
        .output();
      prlimitAvailable = r.success;
    } catch {
      prlimitAvailable = false;
    }
  }
  return prlimitAvailable;
}

function rssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs the worker on a model file under the limits. */
export async function runChild(
  modelPath: string,
  recipe: InputRecipe,
  seed: number,
  limits: Limits,
): Promise<ChildResult> {
  const heapMb = Math.max(256, Math.floor(limits.memoryMb / 2));
  const denoArgs = [
    'run',
    '--allow-read',
    '--allow-env',
    `--v8-flags=--max-old-space-size=${heapMb}`,
    WORKER,
    modelPath,
    JSON.stringify(recipe),
    String(seed),
  ];
  const dataBytes = limits.memoryMb * 1024 * 1024;
  const [cmd, args] = await hasPrlimit()
    ? ['prlimit', [`--data=${dataBytes}`, '--core=0', '--', Deno.execPath(), ...denoArgs]]
    : [
      'sh',
      [
        '-c',
        `ulimit -d ${limits.memoryMb * 1024}; ulimit -c 0; exec "$0" "$@"`,
        Deno.execPath(),
        ...denoArgs,
      ],
    ];
  const start = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin: 'null',
    stdout: 'piped',
    stderr: 'piped',
    env: {
      NO_COLOR: '1',
      DENO_NO_UPDATE_CHECK: '1',
      XDG_RUNTIME_DIR: Deno.env.get('XDG_RUNTIME_DIR') ?? '/tmp',
    },
  }).spawn();
  let timedOut = false;
  let rssKilled = false;
  const kill = () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, limits.timeoutS * 1000);
  const watch = setInterval(() => {
    if (rssMb(child.pid) > limits.memoryMb) {
      rssKilled = true;
      kill();
    }
  }, 250);
  const out = await child.output();
  clearTimeout(timer);
  clearInterval(watch);
  const stdout = new TextDecoder().decode(out.stdout);
  const lines = stdout.split('\n').filter((l) => l.startsWith(LINE_PREFIX)).flatMap((l) => {
    const rest = l.slice(LINE_PREFIX.length);
    const space = rest.indexOf(' ');
    try {
      return [{ phase: rest.slice(0, space), data: JSON.parse(rest.slice(space + 1)) }];
    } catch {
      return [];
    }
  });
  return {
    code: out.signal ? null : out.code,
    signal: out.signal,
    timedOut,
    rssKilled,
    lines,
    stderr: new TextDecoder().decode(out.stderr).slice(-4000),
    ms: Math.round(performance.now() - start),
  };
}

/** The child could not run glassbox at all (no WebGPU adapter): the run stops. */
export class HarnessError extends Error {}

const OOM_TEXT =
  /out of memory|Array buffer allocation failed|Reached heap limit|Allocation failed|memory allocation of \d+ bytes failed|Cannot allocate memory|bad_alloc/i;

function lastLine(text: string): string {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter((l) => l);
  const error = lines.find((l) => /^error:|panicked|Fatal|Error:/.test(l));
  return (error ?? lines.at(-1) ?? '').slice(0, 300);
}

/** Classifies what a child did. */
export function classify(r: ChildResult): Classified {
  const line = (phase: string) => r.lines.find((l) => l.phase === phase)?.data;
  const harness = line('harness');
  if (harness) throw new HarnessError(String(harness.message));
  const gb = line('glassbox') as SideReport | undefined;
  const died = r.signal ? `signal ${r.signal}` : `exit code ${r.code}`;
  if (!gb) {
    if (r.rssKilled) return { outcome: 'oom', message: `resident memory over the limit (killed)` };
    if (OOM_TEXT.test(r.stderr)) {
      return { outcome: 'oom', message: `${died}: ${lastLine(r.stderr)}` };
    }
    if (r.timedOut) return { outcome: 'hang', message: `no glassbox result within the time limit` };
    const unhandled = line('unhandled') as { error: { name: string; message: string } } | undefined;
    if (unhandled) {
      return {
        outcome: 'untyped',
        errorName: unhandled.error.name,
        message: `unhandled rejection ${unhandled.error.name}: ${unhandled.error.message}`,
      };
    }
    return { outcome: 'crash', message: `${died}: ${lastLine(r.stderr) || 'no output'}` };
  }
  let ort = line('ort') as SideReport | undefined;
  if (!ort) {
    const why = r.timedOut ? 'hung' : r.rssKilled ? 'ran out of memory' : `died (${died})`;
    ort = {
      status: 'failed',
      phase: 'run',
      error: { name: 'Harness', message: `onnxruntime-web ${why}`, typed: false },
      ms: 0,
    };
  }
  const compare = line('compare') as CompareReport | undefined;
  const base = { glassbox: gb, ort, compare };
  const unhandled = r.lines.find((l) => l.phase === 'unhandled' && l.data.phase === 'glassbox');
  if (gb.status === 'failed') {
    const e = gb.error!;
    const where = `${gb.phase}: ${e.name}: ${e.message}` +
      (!e.typed && e.where ? ` — at ${e.where}` : '');
    if (!e.typed) {
      if (OOM_TEXT.test(e.message)) {
        return { ...base, outcome: 'oom', errorName: e.name, message: where };
      }
      return { ...base, outcome: 'untyped', errorName: e.name, message: where };
    }
    return {
      ...base,
      outcome: ort.status === 'ok' ? 'refused-valid' : 'both-refuse',
      errorName: e.name,
      message: where,
    };
  }
  if (unhandled) {
    const e = unhandled.data.error as { name: string; message: string };
    return {
      ...base,
      outcome: 'untyped',
      errorName: e.name,
      message: `unhandled rejection ${e.name}: ${e.message}`,
    };
  }
  if (ort.status === 'failed') {
    return {
      ...base,
      outcome: 'accepted-invalid',
      message: `onnxruntime-web ${ort.phase}: ${ort.error?.message.split('\n')[0]}`,
    };
  }
  if (gb.loadOnly || ort.loadOnly) {
    return { ...base, outcome: 'skipped', message: gb.loadOnly ?? ort.loadOnly ?? '' };
  }
  if (!compare) return { ...base, outcome: 'crash', message: `${died} while comparing outputs` };
  if (compare.agree) return { ...base, outcome: 'ok', message: '' };
  const bad = compare.outputs.filter((o) => !o.agree).map((o) => `'${o.name}': ${o.reason}`);
  if (compare.missing.length > 0) {
    bad.push(`outputs only one side made: ${compare.missing.join(', ')}`);
  }
  return { ...base, outcome: 'disagree', message: bad.join('; ') };
}

/** The message with quoted names, numbers and bracketed lists blanked out (for grouping). */
export function messagePattern(message: string): string {
  return message
    // onnxruntime names the attribute, operator and node without quotes.
    .replace(/attribute: \S+ for operator \S+/g, 'attribute: … for operator …')
    .replace(/registered for \S+ with/g, 'registered for … with')
    .replace(/Node:\S+|Name:'[^']*'/g, 'Node:…')
    .replace(/'[^']*'/g, "'…'")
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\[[^\]]*\]/g, '[…]')
    .replace(/\([^()]*\)/g, '(…)')
    .replace(/-?\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, 'N')
    .replace(/\s+/g, ' ')
    .slice(0, 200);
}

/** Groups the saved cases by outcome and message pattern, most severe first, then most common. */
export function groupCauses(cases: CaseReport[], outDir?: string): CauseGroup[] {
  const groups = new Map<string, CauseGroup & { size: number }>();
  for (const c of cases) {
    if (!SAVED(c.outcome)) continue;
    const pattern = messagePattern(c.message);
    const key = `${c.outcome}\u0000${pattern}`;
    let g = groups.get(key);
    if (!g) {
      g = { outcome: c.outcome, pattern, count: 0, example: c.message, bases: [], size: Infinity };
      groups.set(key, g);
    }
    g.count++;
    if (!g.bases.includes(c.base)) g.bases.push(c.base);
    const size = c.file && outDir ? fileSize(`${outDir}/${c.file}`) : Infinity;
    if (c.file && (g.file === undefined || size < g.size)) {
      g.file = c.file;
      g.size = size;
      g.example = c.message;
      g.replay = `npm run fuzz -- --replay ${outDir ? `${outDir}/` : ''}${c.file}`;
    }
  }
  const rank = (o: Outcome) => OUTCOMES.indexOf(o);
  return [...groups.values()]
    .sort((a, b) => rank(a.outcome) - rank(b.outcome) || b.count - a.count)
    .map(({ size: _size, ...g }) => g);
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return Infinity;
  }
}

function pickWeighted(entries: CorpusEntry[], rng: () => number): CorpusEntry {
  const total = entries.reduce((s, e) => s + e.weight, 0);
  let r = rng() * total;
  return entries.find((e) => (r -= e.weight) < 0) ?? entries[entries.length - 1];
}

/** A case to run: its model bytes, input recipe and provenance. */
export interface PlannedCase {
  iteration: number;
  caseSeed: number;
  base: string;
  mutations: string[];
  recipe: InputRecipe;
  bytes: Uint8Array;
}

/** Builds iteration `i` of a run (deterministic in `seed` and `i`). */
export async function planCase(
  entries: CorpusEntry[],
  seed: number,
  i: number,
  corpusFirst: boolean,
): Promise<PlannedCase> {
  const s = caseSeed(seed, i);
  if (corpusFirst && i < entries.length) {
    const e = entries[i];
    return {
      iteration: i,
      caseSeed: s,
      base: e.name,
      mutations: [],
      recipe: e.inputs,
      bytes: await e.bytes(),
    };
  }
  const rng = mulberry32(s);
  const e = pickWeighted(entries, rng);
  const count = 1 + Math.floor(rng() * 3);
  const m = mutateCase(await e.bytes(), e.inputs, rng, { count });
  return {
    iteration: i,
    caseSeed: s,
    base: e.name,
    mutations: m.mutations,
    recipe: m.recipe,
    bytes: m.bytes,
  };
}

/** Runs one planned case in a child and classifies it. */
export async function runPlanned(c: PlannedCase, limits: Limits, tmp: string): Promise<
  { classified: Classified; child: ChildResult }
> {
  const path = `${tmp}/case-${c.iteration}.onnx`;
  await Deno.writeFile(path, c.bytes);
  try {
    const child = await runChild(path, c.recipe, c.caseSeed, limits);
    return { classified: classify(child), child };
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/** The folder of a path (`.` for a bare file name). */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
}

function emptyCounts(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

/** Runs a fuzz campaign; writes the report and saved cases when `options.out` is given. */
export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const limits: Limits = {
    timeoutS: options.timeoutS ?? DEFAULT_LIMITS.timeoutS,
    memoryMb: options.memoryMb ?? DEFAULT_LIMITS.memoryMb,
  };
  const jobs = Math.max(1, options.jobs ?? 1);
  const log = options.log ?? (() => {});
  const entries = corpus().filter((e) =>
    (!options.only || options.only.test(e.name)) &&
    (!options.kinds || options.kinds.includes(e.kind))
  );
  if (entries.length === 0) throw new Error(`No corpus entry matches ${options.only}`);
  const outDir = options.out ? dirOf(options.out) : undefined;
  const casesName = options.out
    ? `${options.out.slice(outDir!.length + 1).replace(/\.json$/, '')}-cases`
    : undefined;
  const casesDir = options.out ? `${outDir}/${casesName}` : undefined;
  if (casesDir) await Deno.mkdir(casesDir, { recursive: true });
  const tmp = await Deno.makeTempDir({ prefix: 'glassbox-fuzz-' });
  const started = new Date();
  const t0 = performance.now();
  const counts = emptyCounts();
  const cases: CaseReport[] = [];
  const all: { iteration: number; line: string }[] = [];
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < options.iterations) {
      const i = next++;
      const planned = await planCase(entries, options.seed, i, options.corpusFirst ?? true);
      const { classified, child } = await runPlanned(planned, limits, tmp);
      counts[classified.outcome]++;
      finished++;
      all.push({ iteration: i, line: `${i} ${classified.outcome} ${planned.base}` });
      const report: CaseReport = {
        iteration: i,
        caseSeed: planned.caseSeed,
        base: planned.base,
        mutations: planned.mutations,
        inputs: planned.recipe,
        ...classified,
        ms: child.ms,
        exit: { code: child.code, signal: child.signal },
      };
      if (SAVED(classified.outcome)) {
        if (
          classified.outcome === 'crash' || classified.outcome === 'oom' ||
          classified.outcome === 'hang'
        ) {
          report.stderrTail = child.stderr.slice(-1500);
        }
        if (casesDir) {
          const name = `${String(i).padStart(5, '0')}-${classified.outcome}-${planned.base}`;
          await Deno.writeFile(`${casesDir}/${name}.onnx`, planned.bytes);
          const sidecar = {
            base: planned.base,
            seed: options.seed,
            iteration: i,
            caseSeed: planned.caseSeed,
            inputs: planned.recipe,
            mutations: planned.mutations,
            outcome: classified.outcome,
            message: classified.message,
          };
          await Deno.writeTextFile(
            `${casesDir}/${name}.json`,
            JSON.stringify(sidecar, null, 2) + '\n',
          );
          report.file = `${casesName}/${name}.onnx`;
        }
        cases.push(report);
      }
      if (options.verbose || FAILING.has(classified.outcome)) {
        const what = planned.mutations.length > 0 ? ` [${planned.mutations.join(' | ')}]` : '';
        log(
          `#${i} ${classified.outcome} ${planned.base}${what}` +
            (classified.message ? `: ${classified.message.split('\n')[0].slice(0, 240)}` : ''),
        );
      }
      if (finished % 25 === 0) log(`… ${finished}/${options.iterations} cases`);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  cases.sort((a, b) => a.iteration - b.iteration);
  const report: FuzzReport = {
    command: options.command ??
      `npm run fuzz -- --iterations ${options.iterations} --seed ${options.seed} --jobs ${jobs}`,
    seed: options.seed,
    iterations: options.iterations,
    jobs,
    limits,
    startedAt: started.toISOString(),
    seconds: Math.round((performance.now() - t0) / 1000),
    counts,
    causes: groupCauses(cases, outDir),
    cases,
    all: all.sort((a, b) => a.iteration - b.iteration).map((x) => x.line),
  };
  if (options.out) await Deno.writeTextFile(options.out, JSON.stringify(report, null, 2) + '\n');
  return report;
}

/** Summarizes a report for the terminal: counts by outcome, then the causes, most severe first. */
export function summarize(report: FuzzReport): string {
  const lines = [
    `${report.iterations} cases, seed ${report.seed}, ${report.seconds} s`,
    OUTCOMES.filter((o) => report.counts[o] > 0).map((o) => `${o} ${report.counts[o]}`).join(', '),
  ];
  if (report.causes.length > 0) lines.push('', 'Causes (most severe first):');
  for (const g of report.causes) {
    lines.push(
      `  ${g.outcome} ×${g.count} (${g.bases.slice(0, 4).join(', ')}${
        g.bases.length > 4 ? ', …' : ''
      })`,
    );
    lines.push(`    ${g.example.split('\n')[0].slice(0, 300)}`);
    if (g.replay) lines.push(`    ${g.replay}`);
  }
  return lines.join('\n');
}

/** Replays a saved case (its sidecar `.json`, when present, gives the inputs and seed). */
export async function replay(
  path: string,
  limits: Limits = DEFAULT_LIMITS,
): Promise<{ classified: Classified; child: ChildResult; recipe: InputRecipe }> {
  let recipe: InputRecipe = {};
  let seed = 1;
  try {
    const sidecar = JSON.parse(await Deno.readTextFile(path.replace(/\.onnx$/, '.json')));
    recipe = sidecar.inputs ?? {};
    seed = sidecar.caseSeed ?? 1;
  } catch {
    // A model without a sidecar: random inputs.
  }
  const abs = path.startsWith('/') ? path : `${Deno.cwd()}/${path}`;
  const child = await runChild(abs, recipe, seed, limits);
  return { classified: classify(child), child, recipe };
}
