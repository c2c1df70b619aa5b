// web-test-runner configuration for `npm run bench:browser`: the test settings with the
// benchmark file instead of the tests, and a longer timeout.
import base from '../web-test-runner.config.mjs';

const large = process.env.GLASSBOX_BENCH_LARGE === '1';

export default {
  ...base,
  files: ['bench/browser_run.ts', 'bench/models_run.ts'],
  reporters: base.reporters.slice(0, 1),
  testFramework: { config: { timeout: 900_000 } },
  testRunnerHtml: (testFramework) =>
    `<html><body><script>globalThis.GLASSBOX_BENCH_LARGE = ${large};</script>` +
    `<script type="module" src="${testFramework}"></script></body></html>`,
};
