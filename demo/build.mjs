// `npm run build`: bundles the library (dist/glassbox.js, ESM) and the explorer page
// (dist/demo/) with esbuild. WGSL files are inlined as text. The page fetches the bundled models
// from /models/, so serve the repository root (as `npm start` does) and open /demo/.
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';

export const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  sourcemap: true,
  logLevel: 'info',
};

export async function build() {
  mkdirSync('dist/demo', { recursive: true });
  await esbuild.build({ ...common, entryPoints: ['src/mod.ts'], outfile: 'dist/glassbox.js' });
  await esbuild.build({ ...common, entryPoints: ['demo/main.ts'], outfile: 'demo/dist/main.js' });
}

if (import.meta.url === `file://${process.argv[1]}`) await build();
