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

export default {
  files: ['src/**/*_test.ts', 'test/**/*_test.ts', 'components/**/*_test.ts'],
  nodeResolve: true,
  concurrency: 1,
  browserStartTimeout: 120_000,
  testsStartTimeout: 120_000,
  testsFinishTimeout: 900_000,
  plugins: [
    commonjs({ include: ['**/node_modules/regl/**'] }),
    esbuildPlugin({ ts: true, target: 'es2022', loaders: { '.wgsl': 'text' } }),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath,
        headless: true,
        args: [
          '--no-sandbox',
          '--enable-unsafe-webgpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          `--user-data-dir=${mkdtempSync(join(tmpdir(), 'glassbox-wtr-'))}`,
        ],
      },
    }),
  ],
  testFramework: { config: { timeout: 120_000 } },
  reporters: [defaultReporter(), countingReporter(process.env.GLASSBOX_WTR_SUMMARY)],
};
