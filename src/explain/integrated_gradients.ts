/**
 * Integrated gradients (Sundararajan et al. 2017): the path integral of the gradient from a
 * baseline to the input, times (input − baseline). Every point of the path runs in batched
 * dispatches — a chunk of points is one forward and one backward — and the weighted sum over
 * the chunk is one matrix product on the GPU; nothing is read back until the end. Reports the
 * completeness delta: Σ attributions − (f(x) − f(baseline)).
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import { accumulate } from '../grad/util.ts';
import { binary } from '../ops/binary.ts';
import { concat } from '../ops/concat.ts';
import { type Tensor, tensor } from '../tensor.ts';
import { type Baseline, baselineFor, checkBaseline } from './baseline.ts';
import type { Progress } from './progress.ts';
import {
  checkQuadrature,
  type IntegrationRule,
  quadrature,
  type TrapezoidWeights,
} from './quadrature.ts';
import {
  selectTargets,
  siteGradients,
  siteOutputs,
  siteValue,
  type Subject,
  weightedRowSum,
} from './subject.ts';

/** Options of {@linkcode integratedGradients}. */
export interface IntegratedGradientsOptions {
  /** Points on the path (default 50). */
  steps?: number;
  /** Integration rule (default `gausslegendre`, as Captum). */
  rule?: IntegrationRule;
  /**
   * Weights of `riemann_trapezoid`: `exact` (default; they sum to 1) or `captum` (Captum's,
   * summing to (n−1)/n: the map is (n−1)/n of the exact rule's).
   */
  trapezoidWeights?: TrapezoidWeights;
  /** Baseline (default zeros; for token inputs the zero embedding). */
  baseline?: Baseline;
  /** Path points per forward/backward (default: as many as fit the memory budget). */
  batchSize?: number;
  /** Seed of a uniform baseline. */
  seed?: number;
  /** σ of a blur baseline. */
  blurSigma?: number;
}

/** Per-example results that path methods report with their attribution. */
export interface PathResult {
  /** Attributions [batch, ...site row]. */
  attribution: Tensor;
  /** f(x) at each example's target. */
  fx: number[];
  /** f(baseline) at each example's target. */
  fBaseline: number[];
}

/**
 * Checks the options of {@linkcode integratedGradients} for `subject` (before any GPU work).
 *
 * @throws {ArgumentError} for a bad rule, step count or baseline (a blur at a token embedding
 *   included); {@linkcode LimitExceededError} past {@linkcode MAX_STEPS} steps or for a blur σ
 *   over the image's side.
 */
export function checkIntegratedGradientsOptions(
  subject: Subject,
  options: IntegratedGradientsOptions,
): void {
  checkQuadrature(options.rule ?? 'gausslegendre', options.steps ?? 50, {
    trapezoidWeights: options.trapezoidWeights,
  });
  const baseline = options.baseline ?? 'zeros';
  if (baseline === 'blur' && subject.embedding) {
    throw new ArgumentError(
      `Cannot use the blur baseline at the token embedding '${subject.site}': blurring would mix ` +
        'neighbouring tokens and embedding dimensions as if they were pixels; use zeros (the ' +
        "zero embedding) or an array of values (e.g. a padding token's embedding)",
    );
  }
  checkBaseline(baseline, subject.siteRowShape, options);
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new ArgumentError(
      `Cannot run integrated gradients: seed must be a finite number, got ${options.seed}`,
    );
  }
}

/**
 * Integrated gradients of each example at its target; per-example `fx`/`fBaseline` come with
 * it (the completeness delta is Σ attribution − (fx − fBaseline)).
 */
export async function integratedGradients(
  subject: Subject,
  targets: readonly number[],
  options: IntegratedGradientsOptions,
  chunk: number,
  progress: Progress,
): Promise<PathResult> {
  const engine = subject.model.engine;
  checkIntegratedGradientsOptions(subject, options);
  const { alphas, weights } = quadrature(options.rule ?? 'gausslegendre', options.steps ?? 50, {
    trapezoidWeights: options.trapezoidWeights,
  });
  const steps = alphas.length;
  const rows: Tensor[] = [];
  const ends: Tensor[] = [];
  try {
    for (let b = 0; b < subject.batch; b++) {
      const target = targets[b];
      using x = siteValue(subject, b);
      const kind = options.baseline ?? 'zeros';
      const host = kind === 'zeros' ? new Float32Array(x.size) : await x.read();
      const baseData = baselineFor(kind, host, x.shape, {
        seed: options.seed,
        blurSigma: options.blurSigma,
      });
      using base = tensor(engine, baseData, x.shape, { label: 'ig.baseline' });
      using diff = binary(engine, 'sub', x, base);
      let acc: Tensor | undefined;
      const ones = x.shape.slice(1).map(() => 1);
      try {
        for (let start = 0; start < steps; start += chunk) {
          const count = Math.min(chunk, steps - start);
          using alpha = tensor(engine, Float32Array.from(alphas.subarray(start, start + count)), [
            count,
            ...ones,
          ]);
          using scaled = binary(engine, 'mul', alpha, diff);
          using points = binary(engine, 'add', scaled, base);
          const r = siteGradients(subject, b, points, new Array(count).fill(target));
          for (const t of Object.values(r.values)) t.destroy();
          using g = r.grads[subject.site];
          acc = accumulate(engine, acc, weightedRowSum(g, weights.subarray(start, start + count)));
          await progress.tick(count);
        }
        rows.push(binary(engine, 'mul', diff, acc!));
      } finally {
        acc?.destroy();
      }
      using both = concat(engine, [x, base], { axis: 0 });
      using out = siteOutputs(subject, b, both);
      ends.push(selectTargets(subject, out, target));
    }
    const attribution = rows.length === 1
      ? rows[0].reshape(rows[0].shape)
      : concat(engine, rows, { axis: 0 });
    const values = await Promise.all(ends.map((t) => t.read()));
    return {
      attribution,
      fx: values.map((v) => v[0]),
      fBaseline: values.map((v) => v[1]),
    };
  } finally {
    for (const t of [...rows, ...ends]) t.destroy();
  }
}
