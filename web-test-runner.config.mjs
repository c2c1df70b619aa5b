// web-test-runner: the kernel, engine and component tests in headless Chromium (WebGPU through
// Dawn on SwiftShader when there is no GPU). `npm run test:browser`.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { fromRollup } from '@web/dev-server-rollup';
import rollupCommonjs from '@rollup/plugin-commonjs';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter } from '@web/test-runner';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countingReporter } from './test/wtr_counting_reporter.mjs';

// regl ships only UMD/CommonJS: converted to ES modules for the browser (components/).
const commonjs = fromRollup(rollupCommonjs);

const executablePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';

// Wall-clock limits: they end a hang, they do not time the tests, so each leaves a machine 4×
// slower than the 2-core CI machine under load room to pass (tests that are too slow are made
// smaller instead). Measured there under heavy load (load average 7–13): Chromium starts in
// seconds; the slowest file, test/torchvision_test.ts, took 312 s; the slowest test took 92 s
// before the text-model cases were cut down. One test's limit is test/harness.ts's
// TEST_TIMEOUT_MS (5 minutes).
const MINUTE = 60_000;
/** Starting Chromium, and loading a test file's page until its tests start. */
const START_TIMEOUT = 5 * MINUTE;

export default {
  files: ['src/**/*_test.ts', 'test/**/*_test.ts', 'components/**/*_test.ts'],
  nodeResolve: true,
  concurrency: 1,
  browserStartTimeout: START_TIMEOUT,
  testsStartTimeout: START_TIMEOUT,
  // Per test file (one runs at a time).
  testsFinishTimeout: 30 * MINUTE,
  plugins: [
    commonjs({ include: ['**/node_modules/regl/**'] }),
    esbuildPlugin({ ts: true, target: 'es2022', loaders: { '.wgsl': 'text' } }),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath,
        headless: true,
        // puppeteer's own limits (by default 30 s to launch, 180 s for one DevTools call).
        timeout: START_TIMEOUT,
        protocolTimeout: 10 * MINUTE,
        args: [
          '--no-sandbox',
          '--enable-unsafe-webgpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          `--user-data-dir=${mkdtempSync(join(tmpdir(), 'glassbox-wtr-'))}`,
          // A fake camera, allowed without asking: the explorer's webcam button is tested.
          '--use-fake-device-for-media-stream',
          '--use-fake-ui-for-media-stream',
        ],
      },
      // puppeteer waits 30 s by default for each test page (and the blank page after it) to load.
      createPage: async ({ context }) => {
        const page = await context.newPage();
        page.setDefaultNavigationTimeout(START_TIMEOUT);
        return page;
      },
    }),
  ],
  // Mocha's default; test/harness.ts sets every test's own limit (TEST_TIMEOUT_MS or more).
  testFramework: { config: { timeout: 5 * MINUTE } },
  reporters: [defaultReporter(), countingReporter(process.env.GLASSBOX_WTR_SUMMARY)],
};
