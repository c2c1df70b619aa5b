/**
 * `npm run fuzz`: differential fuzzing of glassbox's model loading and running against
 * onnxruntime-web (issue 13). See `test/fuzz/runner.ts` for the outcomes.
 *
 * ```sh
 * npm run fuzz -- --iterations 300 --seed 1 --jobs 2 --out .scratch/fuzz/report.json
 * npm run fuzz -- --replay .scratch/fuzz/report-cases/00012-untyped-range_1e12_float.onnx
 * npm run fuzz -- --list
 * ```
 *
 * Exits 1 when a case crashed, ran out of memory, hung, disagreed with onnxruntime-web, ran a
 * model onnxruntime-web rejects, or threw an error that is not a `GlassboxError`.
 *
 * @module
 */

import { parseArgs } from 'node:util';
import { corpus } from './corpus.ts';
import { describeRecipe } from './inputs.ts';
import {
  DEFAULT_LIMITS,
  dirOf,
  FAILING,
  fuzz,
  HarnessError,
  type Limits,
  replay,
  summarize,
} from './runner.ts';

const USAGE = `Usage: npm run fuzz -- [options]
  --iterations N   cases to run (default 100); the first run each corpus entry unmutated
  --seed S         seed of the case generator (default 1); a seed reproduces a run
  --jobs J         cases at once, each in its own process (default 1)
  --out FILE       JSON report (default .scratch/fuzz/report-seed<S>.json); non-fine cases
                   are saved as .onnx + .json in <FILE without .json>-cases/
  --timeout S      seconds per case (default ${DEFAULT_LIMITS.timeoutS})
  --memory MB      memory per case (default ${DEFAULT_LIMITS.memoryMb}; RLIMIT_DATA via prlimit)
  --only REGEX     only corpus entries whose name matches
  --mutate-only    skip the unmutated pass over the corpus
  --replay FILE    run one saved case and print everything about it
  --list           list the corpus
  --verbose        print every case, not only failures
  -h, --help       this help`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        iterations: { type: 'string', default: '100' },
        seed: { type: 'string', default: '1' },
        jobs: { type: 'string', default: '1' },
        out: { type: 'string' },
        timeout: { type: 'string' },
        memory: { type: 'string' },
        only: { type: 'string' },
        'mutate-only': { type: 'boolean', default: false },
        replay: { type: 'string' },
        list: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const number = (name: string, text: string | undefined, fallback: number) => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`--${name} must be a whole number, got ${text}`);
    }
    return n;
  };
  let limits: Limits;
  let iterations: number;
  let seed: number;
  let jobs: number;
  try {
    limits = {
      timeoutS: number('timeout', values.timeout, DEFAULT_LIMITS.timeoutS),
      memoryMb: number('memory', values.memory, DEFAULT_LIMITS.memoryMb),
    };
    iterations = number('iterations', values.iterations, 100);
    seed = number('seed', values.seed, 1);
    jobs = Math.max(1, number('jobs', values.jobs, 1));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.list) {
    for (const e of corpus()) console.log(`${e.name.padEnd(32)} ${e.kind.padEnd(11)} ${e.note}`);
    return 0;
  }
  try {
    if (values.replay) {
      const { classified, child, recipe } = await replay(values.replay, limits);
      console.log(`outcome: ${classified.outcome}`);
      if (classified.message) console.log(`message: ${classified.message}`);
      console.log(`inputs: ${describeRecipe(recipe)}`);
      for (const l of child.lines) console.log(`${l.phase}: ${JSON.stringify(l.data, null, 2)}`);
      console.log(
        `exit: ${child.signal ? `signal ${child.signal}` : `code ${child.code}`}, ${child.ms} ms`,
      );
      if (child.stderr.trim()) console.log(`stderr:\n${child.stderr.trim()}`);
      return FAILING.has(classified.outcome) ? 1 : 0;
    }
    const out = values.out ?? `.scratch/fuzz/report-seed${seed}.json`;
    await Deno.mkdir(dirOf(out), { recursive: true });
    const report = await fuzz({
      iterations,
      seed,
      jobs,
      out,
      ...limits,
      corpusFirst: !values['mutate-only'],
      only: values.only ? new RegExp(values.only) : undefined,
      verbose: values.verbose,
      log: (line) => console.log(line),
      command: `npm run fuzz -- ${Deno.args.join(' ')}`,
    });
    console.log(`\n${summarize(report)}\n\nReport: ${out}`);
    return Object.entries(report.counts).some(([o, n]) => n > 0 && FAILING.has(o as never)) ? 1 : 0;
  } catch (error) {
    if (error instanceof HarnessError) {
      console.error(`fuzz: ${error.message}`);
      return 3;
    }
    throw error;
  }
}

Deno.exit(await main());
