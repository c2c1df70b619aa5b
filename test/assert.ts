/**
 * Assertions that work in Deno and in the browser. Floating-point results are accepted as an
 * interval around an f64 reference: |actual − expected| ≤ atol + rtol·|expected| (+ bound[i]
 * where a per-element error bound is known, e.g. K·u·Σ|a·b| for a matmul).
 *
 * @module
 */

/** Thrown by the assertions. */
export class AssertionError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

/** Fails unless `condition` holds. */
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Fails unless `actual === expected` (or both NaN). */
export function assertEquals<T>(actual: T, expected: T, message = ''): void {
  if (actual === expected || (Number.isNaN(actual) && Number.isNaN(expected))) return;
  throw new AssertionError(
    `${message ? `${message}: ` : ''}expected ${JSON.stringify(expected)}, got ${
      JSON.stringify(actual)
    }`,
  );
}

/** Fails unless two arrays hold the same numbers (NaN equals NaN). */
export function assertArrayEquals(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  message = '',
): void {
  assertEquals(actual.length, expected.length, `${message} length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a !== e && !(Number.isNaN(a) && Number.isNaN(e))) {
      throw new AssertionError(
        `${message ? `${message}: ` : ''}element ${i}: expected ${e}, got ${a}`,
      );
    }
  }
}

/** Tolerance of {@linkcode assertClose}. */
export interface Tolerance {
  /** Absolute part. */
  atol?: number;
  /** Relative part (times |expected|). */
  rtol?: number;
  /** Per-element extra allowance. */
  bound?: ArrayLike<number>;
}

/**
 * Fails unless every element is within tolerance of the reference; NaN must match NaN and
 * infinities must match exactly. Reports the worst element. Returns the largest ratio of error
 * to allowance (≤ 1 when passing), for logs.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
  message = '',
): number {
  const prefix = message ? `${message}: ` : '';
  assertEquals(actual.length, expected.length, `${prefix}length`);
  const atol = tolerance.atol ?? 0;
  const rtol = tolerance.rtol ?? 0;
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!(a === e || (Number.isNaN(a) && Number.isNaN(e)))) {
        throw new AssertionError(`${prefix}element ${i}: expected ${e}, got ${a}`);
      }
      continue;
    }
    if (!Number.isFinite(a)) {
      throw new AssertionError(`${prefix}element ${i}: expected ${e}, got ${a}`);
    }
    const allowed = atol + rtol * Math.abs(e) + (tolerance.bound?.[i] ?? 0);
    const ratio = allowed > 0 ? Math.abs(a - e) / allowed : (a === e ? 0 : Infinity);
    if (ratio > worst) {
      worst = ratio;
      worstAt = i;
    }
  }
  if (worst > 1) {
    const i = worstAt;
    throw new AssertionError(
      `${prefix}element ${i}: got ${actual[i]}, expected ${expected[i]} ± ${
        atol + rtol * Math.abs(expected[i]) + (tolerance.bound?.[i] ?? 0)
      } (error ${Math.abs(actual[i] - expected[i])}, ${worst.toFixed(2)}× the tolerance)`,
    );
  }
  return worst;
}

/** Fails unless `fn` throws an instance of `type` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  type: abstract new (...args: never[]) => Error,
  includes = '',
): Error {
  try {
    fn();
  } catch (error) {
    checkError(error, type, includes);
    return error as Error;
  }
  throw new AssertionError(`expected ${type.name} to be thrown, but nothing was thrown`);
}

/** Fails unless `promise` rejects with an instance of `type` whose message includes `includes`. */
export async function assertRejects(
  promise: Promise<unknown> | (() => Promise<unknown>),
  type: abstract new (...args: never[]) => Error,
  includes = '',
): Promise<Error> {
  try {
    const value = await (typeof promise === 'function' ? promise() : promise);
    throw new AssertionError(
      `expected a rejection with ${type.name}, but it resolved with ${String(value).slice(0, 80)}`,
    );
  } catch (error) {
    if (error instanceof AssertionError) throw error;
    checkError(error, type, includes);
    return error as Error;
  }
}

function checkError(
  error: unknown,
  type: abstract new (...args: never[]) => Error,
  includes: string,
) {
  if (!(error instanceof type)) {
    throw new AssertionError(
      `expected ${type.name}, got ${(error as Error)?.name ?? typeof error}: ${
        (error as Error)?.message ?? error
      }`,
    );
  }
  if (includes && !error.message.includes(includes)) {
    throw new AssertionError(
      `expected the ${type.name} message to include "${includes}", got "${error.message}"`,
    );
  }
}

/** ‖a − b‖₂ / ‖b‖₂ in f64 (‖a − b‖₂ when b is all zeros): how far a whole map is from another. */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
