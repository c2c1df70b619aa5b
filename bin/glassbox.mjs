#!/usr/bin/env node
// `npx glassbox ...`: the CLI runs on Deno (its WebGPU is what works headless), started from
// here with the deno that npm installed beside glassbox — the `deno` optional dependency — or,
// failing that, a `deno` on PATH. In the repository it runs the sources (src/cli/main.ts); in
// an installed package, the bundled dist/cli.js, which imports nothing from node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The deno executable: the npm package's binary, else `deno` on PATH. */
function findDeno() {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('deno/package.json'));
    const exe = join(dir, process.platform === 'win32' ? 'deno.exe' : 'deno');
    if (existsSync(exe)) return { cmd: exe, pre: [] };
    // The package installs its binary lazily on some platforms; its launcher does that.
    return { cmd: process.execPath, pre: [join(dir, 'bin.cjs')] };
  } catch {
    return { cmd: 'deno', pre: [] };
  }
}

function runtimeDir() {
  const dir = join(tmpdir(), 'glassbox-runtime');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

const sources = join(root, 'src', 'cli', 'main.ts');
const script = existsSync(sources)
  ? [`--config=${join(root, 'deno.json')}`, sources]
  : ['--no-config', '--no-lock', join(root, 'dist', 'cli.js')];
const { cmd, pre } = findDeno();
const result = spawnSync(
  cmd,
  [
    ...pre,
    'run',
    '--quiet',
    '--allow-read',
    '--allow-write',
    '--allow-env',
    ...script,
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
    // wgpu warns on stderr without it; any existing folder will do.
    env: { XDG_RUNTIME_DIR: runtimeDir(), DENO_NO_UPDATE_CHECK: '1', ...process.env },
  },
);
if (result.error) {
  console.error(
    `glassbox: the CLI runs on Deno, and none was found (${result.error.message}). ` +
      'Install it with `npm install deno` (glassbox lists it as an optional dependency, so ' +
      '`--omit=optional` skips it) or from https://deno.com, then run glassbox again.',
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
