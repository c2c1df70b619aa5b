// `npm run build`: bundles the library (dist/glassbox.js, ESM), the web components with lit and
// regl inside (dist/glassbox-components.js, ESM: one <script type="module"> registers every
// glass-* element) and the explorer and gallery pages (demo/dist/) with esbuild. WGSL files are
// inlined as text. The pages fetch the bundled models from /models/, so serve the repository root
// (as `npm start` does) and open /demo/ or /demo/gallery.html.
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
  await esbuild.build({
    ...common,
    entryPoints: ['components/mod.ts'],
    outfile: 'dist/glassbox-components.js',
  });
  await esbuild.build({
    ...common,
    entryPoints: ['demo/main.ts', 'demo/gallery.ts'],
    outdir: 'demo/dist',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await build();
