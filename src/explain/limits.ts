/**
 * Bounds on the options of the attribution methods: how many path steps, noise samples and
 * occlusion windows one explanation may ask for. Each unit is a forward (and backward) pass on the
 * GPU and some host work; the bounds are far above what the methods need (Captum's defaults:
 * 50 steps, 5 samples) and keep the host-side work that cannot be cancelled — Gauss–Legendre
 * nodes are O(n²) — well under a second, so a typo (10⁶ for 10³) fails at once with
 * {@linkcode LimitExceededError} instead of freezing the page for an hour.
 *
 * @module
 */

import { ArgumentError, LimitExceededError } from '../gpu/errors.ts';

/**
 * Most integrated-gradients steps (every rule). Gauss–Legendre nodes for 10,000 points take
 * about 0.1 s on a loaded 2-core machine; a converged IG needs tens to hundreds.
 */
export const MAX_STEPS = 10_000;

/** Most SmoothGrad / VarGrad samples per example (the papers use 50). */
export const MAX_SAMPLES = 10_000;

/**
 * Most occlusion windows per example: a stride-1 sweep of a 299×299 image (89,401) fits.
 */
export const MAX_WINDOWS = 100_000;

/**
 * Checks that option `name` of `what` is an integer from `min` to `max`.
 *
 * @throws {ArgumentError} when it is not an integer or is below `min`;
 *   {@linkcode LimitExceededError} when it is above `max`.
 */
export function checkCount(what: string, name: string, value: unknown, min: number, max: number) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ArgumentError(
      `Cannot ${what}: ${name} must be an integer ≥ ${min}, got ${describe(value)}`,
    );
  }
  if (value > max) {
    throw new LimitExceededError(
      `Cannot ${what}: ${name} ${value} exceeds the limit of ${max}`,
    );
  }
}

/** A value as an error message shows it (strings quoted). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value) ?? String(value);
  return String(value);
}
