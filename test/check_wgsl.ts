/**
 * `npm run check:wgsl`: compiles every `shaders/**\/*.wgsl` with Deno's WebGPU (wgpu/naga) and
 * exits non-zero on any diagnostic, or when a shader file is not listed in `src/shaders.ts`.
 *
 * @module
 */

import { SHADERS } from '../src/shaders.ts';
import { requestDevice } from '../src/gpu/device.ts';
import { compileShaders } from './wgsl_compile.ts';
import { minifyWgsl } from '../demo/wgsl_minify.mjs';

async function listWgsl(dir: URL, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = prefix + entry.name;
    if (entry.isDirectory) out.push(...await listWgsl(new URL(`${entry.name}/`, dir), `${path}/`));
    else if (entry.name.endsWith('.wgsl')) out.push(path);
  }
  return out.sort();
}

const files = await listWgsl(new URL('../shaders/', import.meta.url));
const unlisted = files.filter((f) => !(f in SHADERS));
const missing = Object.keys(SHADERS).filter((f) => !files.includes(f));
const { device, info } = await requestDevice();
// The sources, and the comment-free form the bundles ship (demo/build.mjs).
const minified = Object.fromEntries(
  Object.entries(SHADERS).map(([path, source]) => [path, minifyWgsl(source)]),
);
const diagnostics = [
  ...await compileShaders(device, SHADERS),
  ...(await compileShaders(device, minified)).map((d) => ({
    ...d,
    shader: `${d.shader} (minified)`,
  })),
];
device.destroy();

for (const f of unlisted) console.error(`shaders/${f}: not listed in src/shaders.ts`);
for (const f of missing) console.error(`src/shaders.ts lists ${f}, which does not exist`);
for (const d of diagnostics) console.error(`shaders/${d.shader}: ${d.type}: ${d.message}`);
const bad = unlisted.length + missing.length + diagnostics.length;
console.log(
  `WGSL check on ${info.description || info.architecture}: ${files.length} shaders, ` +
    `${bad} problem(s)`,
);
if (bad > 0) Deno.exit(1);
