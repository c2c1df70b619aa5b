/**
 * Runs benchmark cases on an engine: the first run (pipeline compilation included) is timed on
 * its own, then warm-up runs, then timed samples; reports the median and the 95th percentile.
 * Each sample is wall time from recording to the GPU's completion (`onSubmittedWorkDone`).
 *
 * Software adapters (SwiftShader, lavapipe) are for correctness: their rows are labeled, and no
 * throughput is printed for them.
 *
 * @module
 */

import type { Engine } from '../src/gpu/engine.ts';
import type { BenchCase } from './cases.ts';

/** One measured (case, size). */
export interface BenchRow {
  /** Case name. */
  name: string;
  /** The size's description. */
  what: string;
  /** First run in ms, pipeline compilation included. */
  firstMs: number;
  /** Median of the samples, ms. */
  medianMs: number;
  /** 95th percentile of the samples, ms. */
  p95Ms: number;
  /** Number of samples. */
  samples: number;
  /** GFLOP/s at the median (real GPUs only; null on software adapters). */
  gflops: number | null;
}

/** The q-quantile (0..1) of `values` by linear interpolation. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Runs one prepared case once and waits for the GPU. */
async function once(engine: Engine, run: () => { destroy(): void }[]): Promise<number> {
  const start = performance.now();
  const outputs = run();
  await engine.sync();
  const ms = performance.now() - start;
  for (const t of outputs) t.destroy();
  return ms;
}

/** Measures every case at every size. */
export async function runBenchmarks(
  engine: Engine,
  cases: BenchCase[],
  onRow: (row: BenchRow) => void = () => {},
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of cases) {
    for (const size of c.sizes) {
      const prepared = c.prepare(engine, size);
      await engine.sync();
      const firstMs = await once(engine, prepared.run);
      for (let i = 0; i < c.warmup; i++) await once(engine, prepared.run);
      const times: number[] = [];
      for (let i = 0; i < c.samples; i++) times.push(await once(engine, prepared.run));
      prepared.dispose();
      const medianMs = quantile(times, 0.5);
      const row: BenchRow = {
        name: c.name,
        what: c.describe(size),
        firstMs,
        medianMs,
        p95Ms: quantile(times, 0.95),
        samples: times.length,
        gflops: engine.info.isFallbackAdapter ? null : prepared.flops / (medianMs * 1e6),
      };
      rows.push(row);
      onRow(row);
    }
  }
  return rows;
}

/** Formats rows as a text table headed by the adapter. */
export function formatReport(engine: Engine, rows: BenchRow[], runner: string): string {
  const lines = [
    `glassbox kernels on ${runner}, adapter: ${engine.adapterName}`,
    JSON.stringify(engine.info),
  ];
  if (engine.info.isFallbackAdapter) {
    lines.push(
      'software adapter: these timings track regressions only; they are not speed claims.',
    );
  }
  lines.push(
    'case                 size                              first ms  median ms   p95 ms  GFLOP/s',
  );
  for (const r of rows) {
    lines.push(
      `${r.name.padEnd(20)} ${r.what.padEnd(32)} ${r.firstMs.toFixed(2).padStart(9)} ${
        r.medianMs.toFixed(3).padStart(10)
      } ${r.p95Ms.toFixed(3).padStart(8)} ${
        r.gflops === null ? '     -' : r.gflops.toFixed(1).padStart(8)
      }`,
    );
  }
  return lines.join('\n');
}
