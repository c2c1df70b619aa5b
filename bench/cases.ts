/**
 * Benchmark cases: enumerable, each with its sizes, warm-up and sample counts. Shared by
 * `deno bench` (bench/kernels_bench.ts) and Chromium (bench/browser_bench.ts).
 *
 * @module
 */

import type { Engine } from '../src/gpu/engine.ts';
import { matmul } from '../src/ops/matmul.ts';
import { reduce } from '../src/ops/reduce.ts';
import { softmax } from '../src/ops/softmax.ts';
import { type Tensor, tensor } from '../src/tensor.ts';
import { uniform } from '../test/random.ts';

/** One prepared instance of a case at one size: `run` records the work, `dispose` frees it. */
export interface Prepared {
  /** Records the benchmarked work (not waiting for it); returns the outputs to destroy. */
  run(): Tensor[];
  /** Frees the inputs. */
  dispose(): void;
  /** Floating-point operations of one run, for throughput on real GPUs. */
  flops: number;
  /** Bytes one run must at least read and write. */
  bytes: number;
}

/** A benchmark case. */
export interface BenchCase {
  /** Name, e.g. `matmul`. */
  name: string;
  /** Sizes to run (meaning depends on the case; shown in the report). */
  sizes: number[];
  /** Untimed runs after the first (compile) run. */
  warmup: number;
  /** Timed runs. */
  samples: number;
  /** What a size means, e.g. `n×n·n×n`. */
  describe(size: number): string;
  /** Creates inputs on `engine` for `size`. */
  prepare(engine: Engine, size: number): Prepared;
}

function inputs(engine: Engine, shapes: number[][]): Tensor[] {
  return shapes.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tensor(engine, uniform(n, 1000 + i), shape);
  });
}

/** The cases, with sizes for software adapters unless `large` (real GPUs). */
export function benchCases(large = false): BenchCase[] {
  return [
    {
      name: 'matmul',
      sizes: large ? [256, 1024, 2048, 4096] : [64, 128, 256],
      warmup: 2,
      samples: large ? 20 : 5,
      describe: (n) => `${n}×${n} · ${n}×${n}`,
      prepare(engine, n) {
        const [a, b] = inputs(engine, [[n, n], [n, n]]);
        return {
          run: () => [matmul(engine, a, b)],
          dispose: () => [a, b].forEach((t) => t.destroy()),
          flops: 2 * n * n * n,
          bytes: 3 * n * n * 4,
        };
      },
    },
    {
      name: 'reduce-sum-all',
      sizes: large ? [1 << 20, 1 << 24] : [1 << 16, 1 << 20],
      warmup: 2,
      samples: large ? 20 : 5,
      describe: (n) => `sum of ${n} f32`,
      prepare(engine, n) {
        const [x] = inputs(engine, [[n]]);
        return {
          run: () => [reduce(engine, 'sum', x)],
          dispose: () => x.destroy(),
          flops: n,
          bytes: n * 4,
        };
      },
    },
    {
      name: 'reduce-argmax-rows',
      sizes: large ? [1024, 4096] : [256, 1024],
      warmup: 2,
      samples: large ? 20 : 5,
      describe: (n) => `argmax over rows of ${n}×${n}`,
      prepare(engine, n) {
        const [x] = inputs(engine, [[n, n]]);
        return {
          run: () => [reduce(engine, 'argmax', x, { axis: 1 })],
          dispose: () => x.destroy(),
          flops: n * n,
          bytes: n * n * 4,
        };
      },
    },
    {
      name: 'softmax-rows',
      sizes: large ? [1024, 4096] : [256, 1024],
      warmup: 2,
      samples: large ? 20 : 5,
      describe: (n) => `softmax over rows of ${n}×${n}`,
      prepare(engine, n) {
        const [x] = inputs(engine, [[n, n]]);
        return {
          run: () => [softmax(engine, x)],
          dispose: () => x.destroy(),
          flops: 5 * n * n,
          bytes: 2 * n * n * 4,
        };
      },
    },
  ];
}
