// `npm start`: serves the explorer (/demo/) and the components' gallery (/demo/gallery.html) at
// http://localhost:8000/ with esbuild, rebuilding on change.
import * as esbuild from 'esbuild';
import { common, PAGE_ENTRIES } from './build.mjs';

const port = Number(process.env.PORT ?? 8000);
// Local only unless HOST says otherwise (e.g. HOST=0.0.0.0 to show it on a LAN).
const host = process.env.HOST ?? '127.0.0.1';
const context = await esbuild.context({
  ...common,
  entryPoints: PAGE_ENTRIES,
  outdir: 'demo/dist',
  logLevel: 'warning',
});
await context.watch();
// The repository root is served, so the page can fetch the bundled models under /models/.
const { hosts, port: actual } = await context.serve({ servedir: '.', port, host });
console.log(`glassbox explorer: http://${hosts[0]}:${actual}/demo/`);
console.log(`glassbox gallery:  http://${hosts[0]}:${actual}/demo/gallery.html`);
console.log('WebGPU needs Chrome/Edge 113+ (or Chromium with --enable-unsafe-webgpu on Linux).');
