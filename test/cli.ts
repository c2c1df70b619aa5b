/**
 * Runs the `glassbox` command line in-process for tests, capturing what it prints. Commands run
 * on the test runner's shared device (lent to them), not on a device of their own per call.
 *
 * @module
 */

import { lendEngine } from '../src/cli/args.ts';
import { main } from '../src/cli/main.ts';
import { sharedEngine } from './harness.ts';

const getEngine = sharedEngine();

/** Runs `glassbox ...args`; returns the exit code, stdout and the stderr lines. */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  lendEngine(await getEngine());
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  try {
    return { code: await main(args), out: out.join('\n'), err };
  } finally {
    console.log = log;
    console.error = error;
    lendEngine(null);
  }
}
