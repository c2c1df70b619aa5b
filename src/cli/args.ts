/**
 * Command-line parsing, help text and helpers shared by the `glassbox` commands.
 *
 * The parser is `parseArgs` from `node:util`: maintained by Node, built into Deno through its
 * Node compatibility layer (and into Node, should the CLI be bundled for it), no dependency. It
 * gives us what the hand-written loop it replaces did not: short aliases (`-h`, `-q`, grouped as
 * `-qh`), `--name=value`, the `--` terminator, and booleans declared per command. An npm parser
 * (commander, yargs, cac) would add a dependency and its own help and error formats for nothing
 * we need. We run it non-strict with `tokens: true` and check the tokens here, because strict
 * mode (a) reports problems as multi-line messages that carry the option's name only in the
 * prose, where we want one line naming the command, and (b) refuses `--fill -1`, a value with a
 * leading dash, which the CLI has always accepted. It is imported on first use, not at the top:
 * the browser test runner (web-test-runner, in Chromium) loads every `_test.ts` under `src/`, and
 * the CLI's modules must load there too (their tests skip in the browser).
 *
 * @module
 */

import { createEngine, type Engine } from '../gpu/engine.ts';
import { GlassboxError } from '../gpu/errors.ts';

/** A usage error: wrong or missing arguments (exit code 2). */
export class UsageError extends Error {}

/** One option of a command, as the parser and the help see it. */
export interface OptionSpec {
  /** `string` options take a value and may be repeated; `boolean` ones take none. */
  type: 'string' | 'boolean';
  /** One-letter alias (`q` for `-q`). */
  short?: string;
  /** The value's placeholder in the help (`FILE`, `N`). */
  value?: string;
  /** The default, as the help shows it. */
  default?: string;
  /** Marks an option the command cannot run without (in the help only; commands check). */
  required?: boolean;
  /** What it does, one short line. */
  help: string;
}

/** What the help and the parser know about a command. */
export interface CommandSpec {
  /** The command's name (`glassbox NAME`). */
  name: string;
  /** One line for `glassbox --help`. */
  summary: string;
  /** What follows `glassbox NAME` in the usage line. */
  usage: string;
  /** The command's own options (`--quiet` and `--help` are added to every command). */
  options: Record<string, OptionSpec>;
  /** Lines printed after the options (value lists, conventions). */
  notes?: string;
  /** Complete command lines. */
  examples: string[];
}

/** A command: its spec and what runs it. */
export interface Command extends CommandSpec {
  /** Runs the command; returns the one-line summary printed on stderr unless `--quiet`. */
  run(p: Parsed): Promise<string>;
}

/** The options every command takes. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  quiet: { type: 'boolean', short: 'q', help: 'no summary line on stderr' },
  help: { type: 'boolean', short: 'h', help: 'print this help and exit' },
};

/** Parsed arguments. */
export interface Parsed {
  /** The command. */
  command: string;
  /** Positional arguments. */
  positional: string[];
  /** Options by name, every value given (`'true'` for a boolean). */
  options: Map<string, string[]>;
}

/**
 * Parses the arguments after the command name against `spec` (and {@linkcode COMMON_OPTIONS}).
 * When `--help`/`-h` is among them nothing else is checked, so a broken line followed by `-h`
 * still gets the help.
 *
 * @throws {UsageError} for an unknown option, a string option without a value, a boolean
 *   option with one.
 */
export async function parseOptions(spec: CommandSpec, args: string[]): Promise<Parsed> {
  const { parseArgs: parseTokens } = await import('node:util');
  const all = { ...spec.options, ...COMMON_OPTIONS };
  const config = Object.fromEntries(
    Object.entries(all).map((
      [name, o],
    ) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
  );
  const { tokens } = parseTokens({
    args,
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  const help = tokens.some((t) => t.kind === 'option' && t.name === 'help');
  if (help) return { command: spec.name, positional, options: new Map([['help', ['true']]]) };
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    if (t.kind !== 'option') continue;
    const o = Object.hasOwn(all, t.name) ? all[t.name] : undefined;
    if (!o) {
      throw new UsageError(
        `unknown option ${t.rawName} for '${spec.name}'; see glassbox help ${spec.name}`,
      );
    }
    if (o.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value === '--'))) {
      throw new UsageError(`option --${t.name} needs a value`);
    }
    if (o.type === 'string' && !t.inlineValue && t.value!.startsWith('--')) {
      throw new UsageError(
        `option --${t.name} needs a value, got the option '${t.value}' (for a value that ` +
          `starts with --, write --${t.name}=${t.value})`,
      );
    }
    if (o.type === 'boolean' && t.value !== undefined) {
      throw new UsageError(`option --${t.name} takes no value, got '${t.value}'`);
    }
    options.set(t.name, [...(options.get(t.name) ?? []), t.value ?? 'true']);
  }
  return { command: spec.name, positional, options };
}

/** Width of the help text (the source's line width). */
export const HELP_WIDTH = 100;

/**
 * `text` broken at spaces into lines of at most {@linkcode HELP_WIDTH}, the next ones starting
 * with `indent` (and `end` at the end of the broken ones: `' \\'` continues a shell command).
 */
export function wrap(text: string, indent: string, end = ''): string {
  const lines: string[] = [];
  let line = '';
  let words = 0;
  for (const word of text.split(/(?<=\S) /)) {
    if (words > 0 && line.length + 1 + word.length + end.length > HELP_WIDTH) {
      lines.push(line + end);
      line = indent + word;
    } else line = words > 0 ? `${line} ${word}` : word;
    words++;
  }
  return [...lines, line].join('\n');
}

/** The help of a command: usage, options with their defaults, notes, examples. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, ...COMMON_OPTIONS }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    const extra = o.required ? ' (required)' : o.default ? ` (default: ${o.default})` : '';
    return [flag, o.help + extra];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 4;
  const lines = [
    `glassbox ${spec.name}: ${spec.summary}`,
    '',
    wrap(`usage: glassbox ${spec.name} ${spec.usage}`, '         '),
    '',
    'options:',
    ...rows.map(([flag, text]) => wrap(`  ${flag.padEnd(width - 2)}${text}`, ' '.repeat(width))),
  ];
  if (spec.notes) {
    // A two-column line (`  name  text`) continues under its text, any other indented by 4.
    const indent = (l: string) =>
      ' '.repeat(/^ *\S+ {2,}/.exec(l)?.[0].length ?? /^ */.exec(l)![0].length + 4);
    lines.push('', ...spec.notes.split('\n').map((l) => wrap(l, indent(l))));
  }
  lines.push('', spec.examples.length > 1 ? 'examples:' : 'example:');
  for (const e of spec.examples) lines.push(wrap(`  glassbox ${spec.name} ${e}`, '      ', ' \\'));
  return lines.join('\n');
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

/** Reads a file, with an error naming what it was for. */
export async function readFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw new GlassboxError(`Cannot read ${what} '${path}': ${(error as Error).message}`);
  }
}

/** Whether an output path is standard output (`/dev/stdout`; the CLI has no `-` convention). */
export function isStdout(path: string): boolean {
  return path === '/dev/stdout';
}

/** The folder of `path` (`.` for a bare name). */
function folderOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i < 0 ? '.' : i === 0 ? path.slice(0, 1) : path.slice(0, i);
}

/** The first part of a Deno error message (`Permission denied (os error 13)`), without the path. */
function reason(error: unknown): string {
  return (error as Error).message.replace(/: .*$/s, '');
}

/**
 * Checks, before a command computes anything, that the file option `--flag` can be written: not
 * a directory; an existing file opens for writing (not truncated here); a new file's folder
 * exists and takes a file (a temporary one, created and removed).
 *
 * @throws {UsageError} one line naming the option and the path.
 */
export async function checkOutput(flag: string, path: string): Promise<void> {
  const fail = (why: string): never => {
    throw new UsageError(`--${flag} '${path}': ${why}`);
  };
  if (path === '') fail('an empty path');
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(path);
  } catch {
    // Absent (or unreachable): the folder says why below.
  }
  if (info) {
    if (info.isDirectory) fail('is a directory, not a file');
    try {
      (await Deno.open(path, { write: true })).close();
    } catch (error) {
      fail(`cannot be written: ${reason(error)}`);
    }
    return;
  }
  const folder = folderOf(path);
  let folderInfo: Deno.FileInfo | undefined;
  try {
    folderInfo = await Deno.stat(folder);
  } catch (error) {
    fail(
      error instanceof Deno.errors.NotFound
        ? `the folder '${folder}' does not exist`
        : `the folder '${folder}' cannot be reached: ${reason(error)}`,
    );
  }
  if (!folderInfo!.isDirectory) fail(`'${folder}' is not a folder`);
  try {
    await Deno.remove(await Deno.makeTempFile({ dir: folder, prefix: '.glassbox-check-' }));
  } catch (error) {
    fail(`the folder '${folder}' cannot be written: ${reason(error)}`);
  }
}

/** Writes a command's output file; `/dev/stdout` gets the bytes on standard output. */
export async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  if (!isStdout(path)) {
    await Deno.writeFile(path, bytes);
    return;
  }
  for (let done = 0; done < bytes.length;) {
    done += await Deno.stdout.write(bytes.subarray(done));
  }
}

/**
 * Where a command prints its report (`--json`, tables): stdout, or stderr when its file output
 * `out` is stdout, so that stdout carries only the data.
 */
export function reportPrinter(out: string): (text: string) => void {
  return isStdout(out) ? (text) => console.error(text) : (text) => console.log(text);
}

/** A shape as the summaries print it: `[1, 1, 28, 28]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
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
