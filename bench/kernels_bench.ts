/**
 * `npm run bench` (`deno bench`): the kernel cases on Deno's WebGPU. First prints the harness's
 * table (first run, median, p95, adapter), then registers the same cases with `Deno.bench` so
 * Deno's own statistics follow. `GLASSBOX_BENCH_LARGE=1` selects real-GPU sizes.
 *
 * @module
 */

import { createEngine } from '../src/gpu/engine.ts';
import { benchCases } from './cases.ts';
import { formatReport, runBenchmarks } from './harness.ts';

const large = Deno.env.get('GLASSBOX_BENCH_LARGE') === '1';
const engine = await createEngine();
const cases = benchCases(large);
const rows = await runBenchmarks(engine, cases);
console.log(formatReport(engine, rows, 'Deno (wgpu)'));

for (const c of cases) {
  for (const size of c.sizes) {
    const prepared = c.prepare(engine, size);
    Deno.bench({
      name: `${c.name} ${c.describe(size)}`,
      group: c.name,
      warmup: c.warmup,
      n: c.samples,
      async fn() {
        for (const t of prepared.run()) t.destroy();
        await engine.sync();
      },
    });
  }
}
