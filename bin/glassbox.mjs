#!/usr/bin/env node
// `npx glassbox ...`: runs the Deno CLI (src/cli/main.ts) with the pinned deno from node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  { stdio: 'inherit' },
);
if (result.error) {
  console.error(`glassbox: cannot start deno (${result.error.message}); run npm install`);
  process.exit(1);
}
process.exit(result.status ?? 1);
