// `npm run bench:browser`: the kernel cases in headless Chromium (Dawn), reported with the
// adapter. GLASSBOX_BENCH_LARGE=1 (read by bench/wtr.config.mjs) selects real-GPU sizes.
import { createEngine } from '../src/gpu/engine.ts';
import { test } from '../test/harness.ts';
import { benchCases } from './cases.ts';
import { formatReport, runBenchmarks } from './harness.ts';

const large = (globalThis as { GLASSBOX_BENCH_LARGE?: boolean }).GLASSBOX_BENCH_LARGE === true;

test('kernel benchmarks (Chromium)', async () => {
  using engine = await createEngine();
  const rows = await runBenchmarks(engine, benchCases(large));
  console.log(formatReport(engine, rows, 'Chromium (Dawn)'));
}, { timeout: 900_000 });
