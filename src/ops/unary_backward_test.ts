import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import type { UnaryOp } from './unary.ts';
import { unaryReference } from './unary.ts';
import { unaryBackward, unaryBackwardReference } from './unary_backward.ts';

const getEngine = sharedEngine();
// Folds every dispatch past 4 workgroups per dimension, so small tensors use 2-D and 3-D grids.
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24; // unit roundoff of f32; one ulp of a value is at most 2u of it

// Domain of x and tolerance of dx = dy·f'(x) per function, against the f64 reference of the same
// f32 inputs, with dy uniform in [−1, 1] (so absolute bounds on f' carry over to dx). The final
// product with dy adds u relative. WGSL's accuracy rules: exp within 3 + 2·|arg| ulp, division
// 2.5 ulp, inverseSqrt 2 ulp, sin/cos 2⁻¹¹ absolute on [−π, π].
// - Exact (selects of dy, −dy or 0): relu, abs, neg, clip, floor, ceil, round, sign.
// - leakyRelu, hardSigmoid: dy·alpha with alpha held in f32 (relative 2⁻²⁵ off) and one product:
//   2u relative.
// - hardSwish: h + alpha·x with h = alpha·x + beta: a few roundings of values ≤ 1.5 plus f32(1/6)
//   vs 1/6 (u/6 relative, times |x| ≤ 6): under 8u absolute; use 2⁻¹⁹.
// - sigmoid (|x| ≤ 12): e = exp(−|x|) within (3 + 24) ulp = 54u relative; 1 + e, its square and
//   the division add ~8u: under 64u relative.
// - tanh (|x| ≤ 6): e = exp(−2|x|) within 27 ulp = 54u; 4e/(1+e)² as above: 64u relative.
// - exp (|x| ≤ 8): (3 + 16) ulp = 38u plus the product: 40u relative.
// - erf (|x| ≤ 4): x² is rounded (16u·x²/16 relative on the argument, i.e. x²·u absolute on it,
//   up to 16u relative after exp) and exp is within 3 + 32 ulp = 70u: under 96u relative.
// - elu (x ≥ −8): alpha·exp(x) within 38u plus two products: 48u relative.
// - softplus (|x| ≤ 20) is the stable sigmoid: exp within (3 + 40) ulp = 86u on e, then one
//   division: 96u relative.
// - log, reciprocal: one division (5u), for reciprocal squared (+ 11u): 8u and 20u relative.
// - sqrt: 0.5·inverseSqrt(x), 2 ulp = 4u, plus the products: 8u relative.
// - gelu: Φ(x) carries half the A&S erf error 1.5e-7 (before rounding, ~2.5e-7 after); x·φ(x) has
//   exp's error on a value ≤ 0.25 that falls off faster than the error grows (max over x of
//   x·φ(x)·(3 + x²)·2u < 4u): absolute 1e-6, plus 16u relative for the roundings.
// - gelu_tanh (|x| ≤ 6): 0.5(1 + tanh k) within a few u absolute, the sech² term as tanh above on
//   a value ≤ 0.7: absolute 2⁻²⁰ plus 64u relative.
// - sin, cos: 2⁻¹¹ absolute (WGSL's bound), times |dy| ≤ 1.
// - selu, celu (x ≥ −8): (gamma·)alpha·exp(x) (or exp(x/alpha)) as elu: 48u relative.
// - mish (|x| ≤ 20): T + 4x·t(1 + t)/(n + 2)² (or its x > 0 form) with t = exp(−|x|) within
//   3 + 40 ulp; both terms are O(1) and mish' crosses 0 (x ≈ −1.19), so the bound is absolute:
//   under 100u of |T| + |second term| ≤ 1.5, plus roundings: 2⁻¹⁷.
// - softsign: (1 + |x|)² and one division: 8u relative. atan, asinh, acosh, atanh, asin,
//   acos: one or two products/adds of exact-ish operands and a division or inverseSqrt
//   (2.5 ulp, 2 ulp): 8u relative (the (1 − x)(1 + x) factoring avoids the cancellation of
//   1 − x² near ±1).
// - tan (|x| ≤ 1.4): 1 + t² with t within 16u (the forward's bound): 40u relative.
// - sinh, cosh (|x| ≤ 10): the forward's cosh, sinh (64u) and the product: 72u relative.
const CASES: Record<UnaryOp, { lo: number; hi: number; atol: number; rtol: number }> = {
  relu: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  abs: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  neg: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  sigmoid: { lo: -12, hi: 12, atol: 0, rtol: 64 * u },
  tanh: { lo: -6, hi: 6, atol: 0, rtol: 64 * u },
  exp: { lo: -8, hi: 8, atol: 0, rtol: 40 * u },
  log: { lo: 1e-3, hi: 50, atol: 0, rtol: 8 * u },
  sqrt: { lo: 1e-3, hi: 50, atol: 0, rtol: 8 * u },
  gelu: { lo: -6, hi: 6, atol: 1e-6, rtol: 16 * u },
  gelu_tanh: { lo: -6, hi: 6, atol: 2 ** -20, rtol: 64 * u },
  erf: { lo: -4, hi: 4, atol: 0, rtol: 96 * u },
  leakyRelu: { lo: -4, hi: 4, atol: 0, rtol: 2 * u },
  hardSigmoid: { lo: -6, hi: 6, atol: 0, rtol: 2 * u },
  hardSwish: { lo: -6, hi: 6, atol: 2 ** -19, rtol: 0 },
  clip: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  elu: { lo: -8, hi: 4, atol: 0, rtol: 48 * u },
  reciprocal: { lo: 0.01, hi: 8, atol: 0, rtol: 20 * u },
  floor: { lo: -8, hi: 8, atol: 0, rtol: 0 },
  ceil: { lo: -8, hi: 8, atol: 0, rtol: 0 },
  softplus: { lo: -20, hi: 20, atol: 0, rtol: 96 * u },
  sin: { lo: -Math.PI, hi: Math.PI, atol: 2 ** -11, rtol: 0 },
  cos: { lo: -Math.PI, hi: Math.PI, atol: 2 ** -11, rtol: 0 },
  round: { lo: -8, hi: 8, atol: 0, rtol: 0 },
  sign: { lo: -2, hi: 2, atol: 0, rtol: 0 },
  selu: { lo: -8, hi: 4, atol: 0, rtol: 48 * u },
  celu: { lo: -8, hi: 4, atol: 0, rtol: 48 * u },
  mish: { lo: -20, hi: 20, atol: 2 ** -17, rtol: 0 },
  softsign: { lo: -8, hi: 8, atol: 0, rtol: 8 * u },
  thresholdedRelu: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  tan: { lo: -1.4, hi: 1.4, atol: 0, rtol: 40 * u },
  atan: { lo: -20, hi: 20, atol: 0, rtol: 8 * u },
  asin: { lo: -0.999, hi: 0.999, atol: 0, rtol: 8 * u },
  acos: { lo: -0.999, hi: 0.999, atol: 0, rtol: 8 * u },
  sinh: { lo: -10, hi: 10, atol: 0, rtol: 72 * u },
  cosh: { lo: -10, hi: 10, atol: 0, rtol: 72 * u },
  asinh: { lo: -20, hi: 20, atol: 0, rtol: 8 * u },
  acosh: { lo: 1.001, hi: 20, atol: 0, rtol: 8 * u },
  atanh: { lo: -0.999, hi: 0.999, atol: 0, rtol: 8 * u },
  isNaN: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  isInf: { lo: -4, hi: 4, atol: 0, rtol: 0 },
};

const SIZES = [1, 63, 64, 65, 1000];
const OPS = Object.keys(CASES) as UnaryOp[];

for (const op of OPS) {
  const c = CASES[op];
  testGpu(`unaryBackward ${op}: sizes ${SIZES.join(', ')} against f64`, getEngine, async (e) => {
    for (const n of SIZES) {
      const data = uniform(n, 7 + n, c.lo, c.hi);
      const grad = uniform(n, 100 + n, -1, 1);
      using x = tensor(e, data, [n]);
      using dy = tensor(e, grad, [n]);
      using dx = unaryBackward(e, op, x, dy);
      assertArrayEquals(dx.shape, [n]);
      const ref = unaryBackwardReference(op, data, grad);
      const worst = assertClose(await dx.read(), ref, c, `${op} n=${n}`);
      if (n === 1000) {
        console.log(`unaryBackward ${op}: worst error ${worst.toFixed(3)} of tolerance`);
      }
    }
  });
}

// Points within this distance of a kink or jump are skipped: there the one-sided limits differ
// and the central difference is neither.
const KINK_GAP = 1e-3;
const near = (v: number, points: number[]) => points.some((p) => Math.abs(v - p) < KINK_GAP);
const nearGrid = (v: number, offset: number) =>
  Math.abs(v - offset - Math.round(v - offset)) < KINK_GAP;
const FD_PARAMS: Partial<Record<UnaryOp, { alpha: number; beta?: number }>> = {
  leakyRelu: { alpha: 0.3 },
  hardSigmoid: { alpha: 0.4, beta: 0.3 },
  hardSwish: { alpha: 0.3, beta: 0.6 },
  clip: { alpha: -1, beta: 0.5 },
  elu: { alpha: 0.7 },
  selu: { alpha: 1.5, beta: 0.8 },
  celu: { alpha: 0.6 },
  thresholdedRelu: { alpha: 0.7 },
};
// Near 0, log, sqrt and reciprocal have a third derivative too large for the step h below.
// Likewise asin, acos, atanh near ±1 and acosh near 1: the domain for differences is narrower.
const FD_LOW: Partial<Record<UnaryOp, number>> = {
  log: 0.1,
  sqrt: 0.1,
  reciprocal: 0.1,
  asin: -0.95,
  acos: -0.95,
  atanh: -0.95,
  acosh: 1.05,
};
const FD_HIGH: Partial<Record<UnaryOp, number>> = { asin: 0.95, acos: 0.95, atanh: 0.95 };
const KINKS: Partial<Record<UnaryOp, (v: number) => boolean>> = {
  relu: (v) => near(v, [0]),
  abs: (v) => near(v, [0]),
  sign: (v) => near(v, [0]),
  leakyRelu: (v) => near(v, [0]),
  elu: (v) => near(v, [0]),
  clip: (v) => near(v, [-1, 0.5]),
  hardSigmoid: (v) => near(v, [-0.3 / 0.4, 0.7 / 0.4]),
  hardSwish: (v) => near(v, [-0.6 / 0.3, 0.4 / 0.3]),
  floor: (v) => nearGrid(v, 0),
  ceil: (v) => nearGrid(v, 0),
  round: (v) => nearGrid(v, 0.5),
  selu: (v) => near(v, [0]),
  celu: (v) => near(v, [0]),
  thresholdedRelu: (v) => near(v, [0.7]),
};

testGpu('unaryBackwardReference matches central differences of unaryReference', getEngine, () => {
  // (f(x + h) − f(x − h)) / 2h in f64 errs by h²·|f'''|/6 (≤ 1e-10·|f'''| here) plus the
  // rounding of f, ~1e-16·|f|/h ≤ 1e-10 for |f| ≤ 1e2: 1e-7 absolute and relative is ample and
  // still catches any wrong factor or sign.
  const h = 1e-5;
  for (const op of OPS) {
    const c = CASES[op];
    const params = FD_PARAMS[op] ?? {};
    const lo = FD_LOW[op] ?? c.lo;
    const hi = FD_HIGH[op] ?? c.hi;
    const xs = Array.from(uniform(400, 31, lo, hi)).filter((v) => !KINKS[op]?.(v));
    const ones = xs.map(() => 1);
    const plus = unaryReference(op, xs.map((v) => v + h), params);
    const minus = unaryReference(op, xs.map((v) => v - h), params);
    const fd = xs.map((_, i) => (plus[i] - minus[i]) / (2 * h));
    const analytic = unaryBackwardReference(op, xs, ones, params);
    assertClose(analytic, fd, { atol: 1e-7, rtol: 1e-7 }, `${op} (${xs.length} points)`);
  }
  return Promise.resolve();
});

testGpu('unaryBackward: kinks follow PyTorch autograd', getEngine, async (e) => {
  const x = [-2, -1, 0, 0.5, 1, 2];
  const ones = x.map(() => 1);
  using tx = tensor(e, x);
  using dy = tensor(e, ones);
  const expect: [UnaryOp, { alpha?: number; beta?: number }, number[]][] = [
    ['relu', {}, [0, 0, 0, 1, 1, 1]],
    ['abs', {}, [-1, -1, 0, 1, 1, 1]],
    ['leakyRelu', { alpha: 0.25 }, [0.25, 0.25, 0.25, 1, 1, 1]],
    ['clip', { alpha: -1, beta: 1 }, [0, 1, 1, 1, 1, 0]], // bounds pass the gradient
    ['clip', { alpha: 1, beta: -1 }, [0, 0, 0, 0, 0, 0]], // crossed: the output is constant
    ['hardSigmoid', { alpha: 0.5, beta: 0.5 }, [0, 0, 0.5, 0.5, 0, 0]], // strict interior
    ['hardSwish', { alpha: 0.5, beta: 0.5 }, [0, -0.5, 0.5, 1, 1.5, 1]], // closed interior
    ['elu', { alpha: 2 }, [2 * Math.exp(-2), 2 * Math.exp(-1), 2, 1, 1, 1]],
    ['sign', {}, [0, 0, 0, 0, 0, 0]],
    ['round', {}, [0, 0, 0, 0, 0, 0]],
    ['selu', { alpha: 2, beta: 0.5 }, [Math.exp(-2), Math.exp(-1), 1, 0.5, 0.5, 0.5]],
    ['celu', { alpha: 2 }, [Math.exp(-1), Math.exp(-0.5), 1, 1, 1, 1]],
    ['thresholdedRelu', { alpha: 1 }, [0, 0, 0, 0, 0, 1]], // 0 at the threshold
  ];
  for (const [op, params, want] of expect) {
    using dx = unaryBackward(e, op, tx, dy, params);
    // Exact except the exponentials of elu, selu, celu: exp within 3 + 2·2 ulp, products: 16u.
    assertClose(await dx.read(), want, { rtol: 16 * u }, `${op} ${JSON.stringify(params)}`);
    assertClose(unaryBackwardReference(op, x, ones, params), want, { rtol: 1e-15 }, op);
  }
});

testGpu('unaryBackward: a zero derivative stops an infinite dy (no NaN)', getEngine, async (e) => {
  const data = [-1, -1, 2.5];
  const grad = [Infinity, -Infinity, Infinity];
  using x = tensor(e, data);
  using dy = tensor(e, grad);
  for (const op of ['relu', 'floor', 'sign'] as const) {
    using dx = unaryBackward(e, op, x, dy);
    const want = op === 'relu' ? [0, 0, Infinity] : [0, 0, 0];
    assertArrayEquals(await dx.read(), want, op);
    assertArrayEquals(unaryBackwardReference(op, data, grad), want, `${op} reference`);
  }
});

testGpu('unaryBackward: sigmoid and tanh tails keep relative accuracy', getEngine, async (e) => {
  const data = [-40, -20, 20, 40];
  const ones = data.map(() => 1);
  using x = tensor(e, data);
  using dy = tensor(e, ones);
  for (const op of ['sigmoid', 'tanh', 'softplus'] as const) {
    using dx = unaryBackward(e, op, x, dy);
    // exp of an argument up to 80 is within 3 + 160 ulp: 330u relative.
    assertClose(await dx.read(), unaryBackwardReference(op, data, ones), { rtol: 360 * u }, op);
  }
});

testGpu('unaryBackward: folded 2-D/3-D dispatch covers every element', getFolding, async (e) => {
  const data = uniform(1500, 3, -2, 2); // 24 workgroups: a 4×4×2 grid at 4 per dimension
  const grad = uniform(1500, 4, -1, 1);
  using x = tensor(e, data, [15, 100]);
  using dy = tensor(e, grad, [15, 100]);
  for (const op of ['neg', 'exp'] as const) {
    using dx = unaryBackward(e, op, x, dy);
    assertArrayEquals(dx.shape, [15, 100]);
    assertClose(await dx.read(), unaryBackwardReference(op, data, grad), CASES[op], op);
  }
});

testGpu(
  'unaryBackward: parameters are runtime values and match the forward',
  getEngine,
  async (e) => {
    const data = uniform(130, 21, -6, 6);
    const grad = uniform(130, 22, -1, 1);
    using x = tensor(e, data, [2, 65]);
    using dy = tensor(e, grad, [2, 65]);
    for (
      const [op, alpha, beta] of [
        ['leakyRelu', 0.3, undefined],
        ['elu', 0.5, undefined],
        ['hardSigmoid', 1 / 3, 0.25],
        ['hardSwish', 0.25, 0.75],
        ['clip', -0.5, 2],
      ] as const
    ) {
      using dx = unaryBackward(e, op, x, dy, { alpha, beta });
      // alpha and beta are rounded to f32 on the GPU: reference with the same values.
      const params = {
        alpha: Math.fround(alpha),
        beta: beta === undefined ? beta : Math.fround(beta),
      };
      const ref = unaryBackwardReference(op, data, grad, params);
      assertClose(
        await dx.read(),
        ref,
        { atol: 2 ** -19, rtol: 48 * u },
        `${op} ${alpha}, ${beta}`,
      );
    }
  },
);

testGpu('unaryBackward: empty tensors; rejects bad operands', getEngine, async (e) => {
  using x0 = tensor(e, [], [0, 3]);
  using dx0 = unaryBackward(e, 'relu', x0, x0);
  assertArrayEquals(dx0.shape, [0, 3]);
  using x = tensor(e, [1, 2, 3, 4], [2, 2]);
  using flat = tensor(e, [1, 2, 3, 4], [4]);
  using i = tensor(e, new Int32Array([1, 2, 3, 4]), [2, 2]);
  assertThrows(
    () => unaryBackward(e, 'relu', x, flat),
    ShapeError,
    'dy [4] must have the shape of x [2, 2]',
  );
  assertThrows(() => unaryBackward(e, 'relu', x, i), ArgumentError, 'dy must be f32');
  assertThrows(() => unaryBackward(e, 'relu', i, x), ArgumentError, 'x must be f32');
  assertThrows(
    () => unaryBackward(e, 'swish' as UnaryOp, x, x),
    ArgumentError,
    "unknown op 'swish'",
  );
  assertThrows(() => unaryBackward(e, 'relu', x, x, { alpha: 1 }), ArgumentError, 'takes no alpha');
  assertThrows(() => unaryBackwardReference('relu', [1, 2], [1]), ArgumentError, 'dy 1');
  await Promise.resolve();
});
