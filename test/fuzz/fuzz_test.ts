/**
 * The fuzzer's short mode: the hand-built malformed corpus once, unmutated, then 30 mutants from
 * a fixed seed, each case in its own process (`test/fuzz/runner.ts`). Asserts no crash, no
 * hang, no out-of-memory and no untyped error; prints the counts by outcome and the causes
 * (disagreements and accepted-invalid cases too, which it does not assert yet).
 *
 * Part of `npm test` (its `deno test` step has `--allow-run`); about a minute on two cores.
 * Without `--allow-run` (or in the browser) it is skipped, naming why.
 *
 * @module
 */

import { test } from '../harness.ts';

const deno = (globalThis as { Deno?: typeof Deno }).Deno;

/** Outcomes the short run must not have. */
const MUST_BE_ZERO = ['crash', 'hang', 'oom', 'untyped'] as const;

/**
 * History: at commit 8c30ed2 it failed with 6 cases — untyped `RangeError`s from `Range(0, 1e12)`
 * and an 8,192-node graph stored in reverse, out of memory from a `Loop` doubling a constant 40
 * times and `If` → `ConstantOfShape([2^20, 2^20])` — fixed by the fold budget, the iterative graph
 * walks and the schema checks (issue 13).
 */
function ignoreReason(): string | false {
  if (!deno) return 'Deno only: it starts child processes';
  if (deno.permissions.querySync({ name: 'run' }).state !== 'granted') return 'needs --allow-run';
  return false;
}

test(
  'fuzz: malformed corpus and 30 mutants (seed 13): no crash, hang, out-of-memory or untyped error',
  async () => {
    const { corpus } = await import('./corpus.ts');
    const { fuzz, summarize } = await import('./runner.ts');
    const dir = '.test-results/fuzz';
    await deno!.mkdir(dir, { recursive: true });
    // A case takes about a second here; 240 s only ends a real hang, also on a machine several
    // times slower than this 2-core one under load.
    const limits = { timeoutS: 240, memoryMb: 2048, jobs: 2 };
    const malformed = await fuzz({
      ...limits,
      iterations: corpus().filter((e) => e.kind === 'malformed').length,
      seed: 1,
      kinds: ['malformed'],
      out: `${dir}/malformed.json`,
    });
    const mutants = await fuzz({
      ...limits,
      iterations: 30,
      seed: 13,
      corpusFirst: false,
      out: `${dir}/mutants.json`,
    });
    console.log(`malformed corpus: ${summarize(malformed)}\n\nmutants: ${summarize(mutants)}`);
    const bad = [...malformed.cases, ...mutants.cases].filter((c) =>
      (MUST_BE_ZERO as readonly string[]).includes(c.outcome)
    );
    if (bad.length > 0) {
      throw new Error(
        `${bad.length} case(s) ${MUST_BE_ZERO.join('/')}:\n` +
          bad.map((c) =>
            `  ${c.outcome} ${c.base}${
              c.mutations.length ? ` [${c.mutations.join(' | ')}]` : ''
            }: ` +
            `${c.message}${c.file ? `\n    npm run fuzz -- --replay ${dir}/${c.file}` : ''}`
          ).join('\n'),
      );
    }
  },
  { ignore: ignoreReason() },
);
