// web-test-runner configuration for `npm run bench:browser`: the test settings with the
// benchmark file instead of the tests, and a longer timeout.
import { buildSync } from 'esbuild';
import base from '../web-test-runner.config.mjs';

// The peers (TensorFlow.js, ml-matrix, umap-js) as one ES module the browser can load.
buildSync({
  entryPoints: ['bench/peers.ts'],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outfile: 'bench/dist/peers.js',
  logLevel: 'warning',
});

const large = process.env.GLASSBOX_BENCH_LARGE === '1';

export default {
  ...base,
  files: process.env.GLASSBOX_BENCH_FILES?.split(',') ??
    [
      'bench/browser_run.ts',
      'bench/models_run.ts',
      'bench/stats_run.ts',
      'bench/attribution_run.ts',
      'bench/components_run.ts',
      'bench/explorer_run.ts',
    ],
  reporters: base.reporters.slice(0, 1),
  testFramework: { config: { timeout: 900_000 } },
  testRunnerHtml: (testFramework) =>
    `<html><body><script>globalThis.GLASSBOX_BENCH_LARGE = ${large};</script>` +
    `<script type="module" src="${testFramework}"></script></body></html>`,
};
