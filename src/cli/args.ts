/**
 * Command-line argument helpers shared by the `glassbox` commands.
 *
 * @module
 */

import { createEngine, type Engine } from '../gpu/engine.ts';
import { GlassboxError } from '../gpu/errors.ts';

/** A usage error: wrong or missing arguments (exit code 2). */
export class UsageError extends Error {}

/** Options that take no value. */
export const FLAGS: ReadonlySet<string> = new Set(['json', 'per-channel', 'upsample']);

/** Parsed arguments. */
export interface Parsed {
  /** The command. */
  command: string;
  /** Positional arguments. */
  positional: string[];
  /** Options by name, every value given. */
  options: Map<string, string[]>;
}

/** Splits arguments into a command, positionals and repeated `--name value` options. */
export function parseArgs(args: string[]): Parsed {
  const [command, ...rest] = args;
  if (!command) {
    throw new UsageError(
      'missing command (run, graph, stats, project or explain); see glassbox --help',
    );
  }
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const v = FLAGS.has(name) ? 'true' : eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (v === undefined) throw new UsageError(`option --${name} needs a value`);
      options.set(name, [...(options.get(name) ?? []), v]);
    } else positional.push(a);
  }
  return { command, positional, options };
}

/** The single value of an option (or undefined); a usage error when repeated or missing. */
export function one(p: Parsed, name: string, required: boolean): string | undefined {
  const v = p.options.get(name);
  if (!v) {
    if (required) throw new UsageError(`missing --${name}`);
    return undefined;
  }
  if (v.length > 1) throw new UsageError(`--${name} given more than once`);
  return v[0];
}

/** A usage error for any option not in `allowed`. */
export function checkOptions(p: Parsed, allowed: string[]): void {
  for (const name of p.options.keys()) {
    if (!allowed.includes(name)) {
      throw new UsageError(`unknown option --${name} for '${p.command}'`);
    }
  }
}

/** Reads a file, with an error naming what it was for. */
export async function readFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw new GlassboxError(`Cannot read ${what} '${path}': ${(error as Error).message}`);
  }
}

let lent: Engine | null = null;

/**
 * Makes every command run on `engine` (and not destroy it) until called again with null. For
 * tests, which share one device: creating and destroying a device per command has been seen
 * to corrupt wgpu's heap at process exit on lavapipe.
 */
export function lendEngine(engine: Engine | null): void {
  lent = engine;
}

/** The engine a command runs on: the lent one, or a new one that disposing releases. */
export async function commandEngine(): Promise<{ engine: Engine } & Disposable> {
  if (lent) return { engine: lent, [Symbol.dispose]() {} };
  const engine = await createEngine();
  return { engine, [Symbol.dispose]: () => engine.destroy() };
}
