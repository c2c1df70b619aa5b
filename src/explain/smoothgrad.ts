/**
 * SmoothGrad (Smilkov et al. 2017) and its relatives: gradients at noisy copies of the input,
 * averaged (`smoothgrad`), their squares averaged (`smoothgrad-sq`) or their variance
 * (`vargrad`, Adebayo et al. 2018). Noise σ is a fraction of the input's range; the samples of
 * one example run in batched dispatches and their sums are matrix products on the GPU.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import { accumulate } from '../grad/util.ts';
import { binary } from '../ops/binary.ts';
import { concat } from '../ops/concat.ts';
import { type Tensor, tensor } from '../tensor.ts';
import { normalSampler } from './baseline.ts';
import { checkCount, describe, MAX_SAMPLES } from './limits.ts';
import type { Progress } from './progress.ts';
import { siteGradients, siteValue, type Subject, weightedRowSum } from './subject.ts';

/** The noise-averaging methods. */
export type NoiseMethod = 'smoothgrad' | 'smoothgrad-sq' | 'vargrad';

/** Options of {@linkcode smoothGrad}. */
export interface SmoothGradOptions {
  /** Noisy samples per example (default 50). */
  samples?: number;
  /** Noise σ as a fraction of the example's value range (default 0.15). */
  noise?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
}

/**
 * The noise SmoothGrad adds to example `b` (values `x`): `samples` rows of Gaussian noise with
 * σ = `level` × (max x − min x), from a generator seeded by `seed` and `b`. Exported so that
 * other implementations can be fed exactly the same noisy inputs (benchmarks, tests).
 */
export function smoothGradNoise(
  x: ArrayLike<number>,
  samples: number,
  level: number,
  seed: number,
  b: number,
): Float32Array {
  return noiseSource(x, level, seed, b)(samples);
}

/**
 * The noise of {@linkcode smoothGradNoise}, drawn a chunk at a time: each call returns the next
 * `count` rows of the same sequence, so memory follows the chunk, not the sample count.
 */
function noiseSource(
  x: ArrayLike<number>,
  level: number,
  seed: number,
  b: number,
): (count: number) => Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    lo = Math.min(lo, x[i]);
    hi = Math.max(hi, x[i]);
  }
  const sigma = level * (hi - lo);
  const normal = normalSampler(seed * 1000003 + b);
  return (count) => {
    const noise = new Float32Array(count * x.length);
    for (let i = 0; i < noise.length; i++) noise[i] = sigma * normal();
    return noise;
  };
}

/**
 * Checks the options of {@linkcode smoothGrad} (before any GPU work).
 *
 * @throws {ArgumentError} for a sample count that is not a positive integer, a noise level that
 *   is not a finite number ≥ 0 or a seed that is not a finite number;
 *   {@linkcode LimitExceededError} for more than {@linkcode MAX_SAMPLES} samples.
 */
export function checkSmoothGradOptions(method: NoiseMethod, options: SmoothGradOptions): void {
  checkCount(`run ${method}`, 'samples', options.samples ?? 50, 1, MAX_SAMPLES);
  const level = options.noise ?? 0.15;
  if (typeof level !== 'number' || !(level >= 0) || !Number.isFinite(level)) {
    throw new ArgumentError(
      `Cannot run ${method}: noise must be a finite number ≥ 0, got ${describe(level)}`,
    );
  }
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new ArgumentError(
      `Cannot run ${method}: seed must be a finite number, got ${describe(seed)}`,
    );
  }
}

/** SmoothGrad-family attributions [batch, ...site row]. */
export async function smoothGrad(
  subject: Subject,
  method: NoiseMethod,
  targets: readonly number[],
  options: SmoothGradOptions,
  chunk: number,
  progress: Progress,
): Promise<Tensor> {
  const engine = subject.model.engine;
  checkSmoothGradOptions(method, options);
  const samples = options.samples ?? 50;
  const level = options.noise ?? 0.15;
  const rows: Tensor[] = [];
  try {
    for (let b = 0; b < subject.batch; b++) {
      using x = siteValue(subject, b);
      const nextNoise = noiseSource(await x.read(), level, options.seed ?? 0, b);
      const mean = new Array(samples).fill(1 / samples);
      let s1: Tensor | undefined;
      let s2: Tensor | undefined;
      try {
        for (let start = 0; start < samples; start += chunk) {
          const count = Math.min(chunk, samples - start);
          const noise = nextNoise(count);
          using n = tensor(engine, noise, [count, ...x.shape.slice(1)], {
            label: 'smoothgrad.noise',
          });
          using points = binary(engine, 'add', n, x);
          const r = siteGradients(subject, b, points, new Array(count).fill(targets[b]));
          for (const t of Object.values(r.values)) t.destroy();
          using g = r.grads[subject.site];
          const w = mean.slice(start, start + count);
          if (method !== 'smoothgrad-sq') s1 = accumulate(engine, s1, weightedRowSum(g, w));
          if (method !== 'smoothgrad') {
            using g2 = binary(engine, 'mul', g, g);
            s2 = accumulate(engine, s2, weightedRowSum(g2, w));
          }
          await progress.tick(count);
        }
        if (method === 'smoothgrad') rows.push(s1!.reshape(s1!.shape));
        else if (method === 'smoothgrad-sq') rows.push(s2!.reshape(s2!.shape));
        else {
          using m2 = binary(engine, 'mul', s1!, s1!);
          rows.push(binary(engine, 'sub', s2!, m2));
        }
      } finally {
        s1?.destroy();
        s2?.destroy();
      }
    }
    return rows.length === 1 ? rows[0].reshape(rows[0].shape) : concat(engine, rows, { axis: 0 });
  } finally {
    for (const t of rows) t.destroy();
  }
}
