#!/usr/bin/env node
// `npx glassbox ...`: runs the Deno CLI (src/cli/main.ts) with the pinned deno from node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function runtimeDir() {
  const dir = join(tmpdir(), 'glassbox-runtime');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const local = join(root, 'node_modules', '.bin', 'deno');
const deno = existsSync(local) ? local : 'deno';
const result = spawnSync(
  deno,
  [
    'run',
    '--quiet',
    '--allow-read',
    '--allow-write',
    '--allow-env',
    `--config=${join(root, 'deno.json')}`,
    join(root, 'src', 'cli', 'main.ts'),
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
    // wgpu warns on stderr without it; any existing folder will do.
    env: { XDG_RUNTIME_DIR: runtimeDir(), ...process.env },
  },
);
if (result.error) {
  console.error(`glassbox: cannot start deno (${result.error.message}); run npm install`);
  process.exit(1);
}
process.exit(result.status ?? 1);
