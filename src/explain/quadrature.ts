/**
 * Integration rules for path methods (integrated gradients): points α ∈ [0, 1] along the path
 * and their weights, under Captum's names (`riemann_left`, `riemann_right`, `riemann_middle`,
 * `riemann_trapezoid`, `gausslegendre`). The points are Captum's for every rule, and so are the
 * weights — except `riemann_trapezoid`'s: the trapezoid rule on n points spaced 1/(n−1) weighs
 * them (½, 1, …, 1, ½)/(n−1), summing to 1, while Captum weighs the same points
 * (½, 1, …, 1, ½)/n, summing to (n−1)/n, which scales its map by (n−1)/n. Pass
 * `{ trapezoidWeights: 'captum' }` to reproduce Captum's numbers.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import { checkCount, describe, MAX_STEPS } from './limits.ts';

/** An integration rule's name. */
export type IntegrationRule =
  | 'gausslegendre'
  | 'riemann_left'
  | 'riemann_right'
  | 'riemann_middle'
  | 'riemann_trapezoid';

/** Every rule, for validation and help texts. */
export const INTEGRATION_RULES: readonly IntegrationRule[] = Object.freeze([
  'gausslegendre',
  'riemann_left',
  'riemann_right',
  'riemann_middle',
  'riemann_trapezoid',
]);

/**
 * Weights of `riemann_trapezoid`: `exact` (the trapezoid rule, summing to 1) or `captum`
 * (Captum's 1/n steps, summing to (n−1)/n).
 */
export type TrapezoidWeights = 'exact' | 'captum';

/** Options of {@linkcode quadrature}. */
export interface QuadratureOptions {
  /** Weights of `riemann_trapezoid` (default `exact`); the other rules ignore it. */
  trapezoidWeights?: TrapezoidWeights;
}

/**
 * Points and weights of a rule on [0, 1]; the weights sum to 1 (Captum's trapezoid weights:
 * (n−1)/n).
 */
export interface Quadrature {
  /** Positions α along the path. */
  alphas: Float64Array;
  /** Weights (the integral of f over [0, 1] ≈ Σ wᵢ f(αᵢ)). */
  weights: Float64Array;
}

/**
 * Gauss–Legendre nodes and weights on [−1, 1]: Newton's method on Pₙ from Tricomi's asymptotic
 * guess (Lether 1978), which is already within a few ulp for large n, so each root takes one or
 * two O(n) evaluations of the three-term recurrence — O(n²) in all, about 0.1 s for n = 10,000.
 * Accurate to a few ulp.
 */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  if (n === 1) {
    weights[0] = 2;
    return { nodes, weights };
  }
  // Coefficients of P_k = a_k x P_{k−1} − b_k P_{k−2}, multiplied instead of divided.
  const a = new Float64Array(n + 1);
  const b = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) {
    a[k] = (2 * k - 1) / k;
    b[k] = (k - 1) / k;
  }
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    const theta = Math.PI * (i + 0.75) / (n + 0.5);
    const s = Math.sin(theta);
    let x = (1 - (n - 1) / (8 * n ** 3) - (39 - 28 / (s * s)) / (384 * n ** 4)) * Math.cos(theta);
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      // P_n(x) and P_n'(x) by the three-term recurrence.
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = a[k] * x * p1 - b[k] * p0;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (x * p1 - p0) / (x * x - 1);
      const dx = p1 / dp;
      // P_n' at the updated x, to first order, by Legendre's equation for P_n'' (the weight
      // is sensitive to it near ±1).
      const ddp = (2 * x * dp - n * (n + 1) * p1) / (1 - x * x);
      x -= dx;
      dp -= ddp * dx;
      if (Math.abs(dx) <= 2e-16) break;
    }
    const w = 2 / ((1 - x * x) * dp * dp);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  return { nodes, weights };
}

/**
 * Validates a rule, a step count and options without computing the points.
 *
 * @throws {ArgumentError} for an unknown rule or weights, or a step count that is not an integer
 *   or is below the rule's minimum; {@linkcode LimitExceededError} past {@linkcode MAX_STEPS}.
 */
export function checkQuadrature(
  rule: IntegrationRule,
  steps: number,
  options: QuadratureOptions = {},
): void {
  const trapezoid = options.trapezoidWeights ?? 'exact';
  if (trapezoid !== 'exact' && trapezoid !== 'captum') {
    throw new ArgumentError(
      `Cannot integrate: trapezoidWeights must be 'exact' or 'captum', got ${describe(trapezoid)}`,
    );
  }
  if (!INTEGRATION_RULES.includes(rule)) {
    throw new ArgumentError(
      `Cannot integrate: unknown rule ${describe(rule)} (rules: ${INTEGRATION_RULES.join(', ')})`,
    );
  }
  checkCount(
    `integrate with ${rule}`,
    'steps',
    steps,
    rule === 'riemann_trapezoid' ? 2 : 1,
    MAX_STEPS,
  );
}

/**
 * The points and weights of `rule` with `steps` points on [0, 1].
 *
 * @example
 * ```ts
 * import { quadrature } from './quadrature.ts';
 * const { alphas, weights } = quadrature('riemann_middle', 4);
 * // alphas 0.125, 0.375, 0.625, 0.875; weights 0.25 each
 * const captum = quadrature('riemann_trapezoid', 4, { trapezoidWeights: 'captum' });
 * // alphas 0, 1/3, 2/3, 1; weights 0.125, 0.25, 0.25, 0.125 (Captum's; sum 0.75)
 * ```
 * @throws {ArgumentError} for an unknown rule or weights, or a step count below the rule's
 *   minimum; {@linkcode LimitExceededError} past {@linkcode MAX_STEPS}.
 */
export function quadrature(
  rule: IntegrationRule,
  steps: number,
  options: QuadratureOptions = {},
): Quadrature {
  checkQuadrature(rule, steps, options);
  const trapezoid = options.trapezoidWeights ?? 'exact';
  const alphas = new Float64Array(steps);
  const weights = new Float64Array(steps);
  if (rule === 'gausslegendre') {
    const gl = gaussLegendre(steps);
    for (let i = 0; i < steps; i++) {
      alphas[i] = (gl.nodes[i] + 1) / 2;
      weights[i] = gl.weights[i] / 2;
    }
    return { alphas, weights };
  }
  for (let i = 0; i < steps; i++) {
    if (rule === 'riemann_trapezoid') {
      alphas[i] = i / (steps - 1);
      const step = trapezoid === 'captum' ? steps : steps - 1;
      weights[i] = (i === 0 || i === steps - 1 ? 0.5 : 1) / step;
    } else {
      const shift = rule === 'riemann_left' ? 0 : rule === 'riemann_right' ? 1 : 0.5;
      alphas[i] = (i + shift) / steps;
      weights[i] = 1 / steps;
    }
  }
  return { alphas, weights };
}
