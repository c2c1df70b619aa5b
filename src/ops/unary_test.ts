import { assertArrayEquals, assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import {
  celu,
  clip,
  erf64,
  hardSigmoid,
  isInf,
  isNan,
  leakyRelu,
  selu,
  thresholdedRelu,
  unary,
  type UnaryOp,
  unaryParameters,
  unaryReference,
} from './unary.ts';

const getEngine = sharedEngine();
// Folds every dispatch past 4 workgroups per dimension, so small tensors use 2-D and 3-D grids.
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24; // unit roundoff of f32

// Domain and tolerance per function, against the f64 reference of the same f32 inputs.
// WGSL's accuracy rules: exp within 3 + 2·|x| ulp, log within 3 ulp (2⁻²¹ absolute in [0.5, 2]),
// sqrt within 2.5 ulp, division 2.5 ulp, sin/cos 2⁻¹¹ absolute on [−π, π]; sigmoid/tanh add two
// rounded operations after exp; erf (A&S 7.1.26) has |error| ≤ 1.5e-7 before f32 rounding.
// Exact ops (relu, abs, neg, floor, ceil, round, sign) must match exactly. The parameterized
// ones use their default alpha/beta here, which the GPU holds rounded to f32:
// - leakyRelu: one product alpha·x, plus f32(0.01) vs 0.01 (relative 2⁻²⁵): 2u relative.
// - hardSigmoid/hardSwish: alpha·x + beta is two roundings (or one fma) of values ≤ |x|/5 + 1/2,
//   and f32(1/6) differs from 1/6 by u/6: with |x| ≤ 6, absolute 4u·(|x|+1) < 2⁻¹⁸ after the
//   product with x.
// - elu: exp(x) − 1 subtracts after exp's 3 + 2|x| ulp: absolute (3 + 16 + 2)·u for x ≥ −8.
// - softplus: log(1 + e) with e ∈ [1/16, 1] has WGSL's 2⁻²¹ absolute error; the series branch
//   and the max(x, 0) add are a few ulp of the result.
// - selu, celu (x ≥ −8): expm1 is a series below 1/2 (a few u relative), else exp(t) − 1 with
//   exp within 3 + 16 ulp of e^t ≤ 0.61, i.e. 19·2⁻²⁴ absolute on a result ≥ 0.39 in
//   magnitude: 49u relative; gamma, alpha in f32 and two products: 64u relative. x > 0: 2u.
// - mish (|x| ≤ 20): t = exp(−|x|) within 3 + 40 ulp; for x ≤ 0 the result is ~x·t (86u),
//   for x > 0 t only enters a correction below 2t²: 96u relative.
// - softsign: one add and one division: 4u relative.
// - tan (|x| ≤ 1.4, tan up to 5.8), atan, asin, acosh, atanh: Cephes' single-precision
//   algorithms (2–4 ulp in their tests) with an exact three-part reduction; asinh, acosh and
//   atanh call log, within 3 ulp outside [1/2, 2] and 2⁻²¹ absolute inside (asinh's argument is
//   in [1.6, 2] for |x| ∈ [0.5, 0.75], where the result is ≥ 0.48: 17u relative). acos near
//   ±1 is 2·asin(√((1 ∓ x)/2)) (exact subtraction), else π/2 − asin: a few u of π/2.
// - sinh, cosh (|x| ≤ 10): exp(|x|/2) within 3 + 10 ulp, squared: 26 ulp = 52u, plus two
//   roundings: 64u relative.
const CASES: Record<UnaryOp, { lo: number; hi: number; atol: number; rtol: number }> = {
  relu: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  abs: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  neg: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  sigmoid: { lo: -12, hi: 12, atol: 2 ** -22, rtol: 32 * u },
  tanh: { lo: -6, hi: 6, atol: 2 ** -22, rtol: 32 * u },
  exp: { lo: -8, hi: 8, atol: 0, rtol: (3 + 2 * 8 + 1) * 2 * u },
  log: { lo: 1e-3, hi: 50, atol: 2 ** -21, rtol: 8 * u },
  sqrt: { lo: 0, hi: 50, atol: 0, rtol: 8 * u },
  gelu: { lo: -6, hi: 6, atol: 1e-6, rtol: 16 * u },
  gelu_tanh: { lo: -6, hi: 6, atol: 1e-6, rtol: 16 * u },
  erf: { lo: -4, hi: 4, atol: 1e-6, rtol: 0 },
  leakyRelu: { lo: -4, hi: 4, atol: 0, rtol: 2 * u },
  hardSigmoid: { lo: -6, hi: 6, atol: 4 * u, rtol: 0 },
  hardSwish: { lo: -6, hi: 6, atol: 2 ** -18, rtol: 0 },
  clip: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  elu: { lo: -8, hi: 4, atol: 21 * u, rtol: 0 },
  reciprocal: { lo: 0.01, hi: 8, atol: 0, rtol: 3 * u },
  floor: { lo: -8, hi: 8, atol: 0, rtol: 0 },
  ceil: { lo: -8, hi: 8, atol: 0, rtol: 0 },
  softplus: { lo: -30, hi: 30, atol: 2 ** -21, rtol: 8 * u },
  sin: { lo: -Math.PI, hi: Math.PI, atol: 2 ** -11, rtol: 0 },
  cos: { lo: -Math.PI, hi: Math.PI, atol: 2 ** -11, rtol: 0 },
  round: { lo: -8, hi: 8, atol: 0, rtol: 0 },
  sign: { lo: -2, hi: 2, atol: 0, rtol: 0 },
  selu: { lo: -8, hi: 4, atol: 0, rtol: 64 * u },
  celu: { lo: -8, hi: 4, atol: 0, rtol: 64 * u },
  mish: { lo: -20, hi: 20, atol: 0, rtol: 96 * u },
  softsign: { lo: -8, hi: 8, atol: 0, rtol: 4 * u },
  thresholdedRelu: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  tan: { lo: -1.4, hi: 1.4, atol: 0, rtol: 16 * u },
  atan: { lo: -20, hi: 20, atol: 0, rtol: 8 * u },
  asin: { lo: -1, hi: 1, atol: 0, rtol: 8 * u },
  acos: { lo: -1, hi: 1, atol: 0, rtol: 8 * u },
  sinh: { lo: -10, hi: 10, atol: 0, rtol: 64 * u },
  cosh: { lo: -10, hi: 10, atol: 0, rtol: 64 * u },
  asinh: { lo: -20, hi: 20, atol: 0, rtol: 24 * u },
  acosh: { lo: 1, hi: 20, atol: 0, rtol: 16 * u },
  atanh: { lo: -0.999, hi: 0.999, atol: 0, rtol: 16 * u },
  isNaN: { lo: -4, hi: 4, atol: 0, rtol: 0 },
  isInf: { lo: -4, hi: 4, atol: 0, rtol: 0 },
};

const SIZES = [1, 63, 64, 65, 1000];

for (const [op, c] of Object.entries(CASES) as [UnaryOp, (typeof CASES)[UnaryOp]][]) {
  testGpu(`unary ${op}: sizes ${SIZES.join(', ')} against f64`, getEngine, async (engine) => {
    for (const n of SIZES) {
      const data = uniform(n, 7 + n, c.lo, c.hi);
      using x = tensor(engine, data, [n]);
      using y = unary(engine, op, x);
      const worst = assertClose(await y.read(), unaryReference(op, data), c, `${op} n=${n}`);
      if (n === 1000) console.log(`unary ${op}: worst error ${worst.toFixed(3)} of the tolerance`);
    }
  });
}

testGpu('unary: folded 2-D/3-D dispatch covers every element', getFolding, async (engine) => {
  for (const op of ['neg', 'exp'] as const) {
    const data = uniform(1500, 3, -2, 2); // 24 workgroups: a 4×4×2 grid at 4 per dimension
    using x = tensor(engine, data, [15, 100]);
    using y = unary(engine, op, x);
    assertClose(await y.read(), unaryReference(op, data), CASES[op], op);
  }
});

testGpu('unary: past the real maxComputeWorkgroupsPerDimension', getEngine, async (engine) => {
  const max = engine.device.limits.maxComputeWorkgroupsPerDimension;
  const n = max * 64 + 65; // one workgroup row more than a 1-D dispatch can hold
  const data = uniform(n, 11, -1, 1);
  using x = tensor(engine, data, [n]);
  using y = unary(engine, 'neg', x);
  const out = await y.read();
  assertClose(out, unaryReference('neg', data), { atol: 0 }, 'neg');
});

testGpu('unary: keeps the shape, handles empty tensors', getEngine, async (engine) => {
  using x = tensor(engine, [], [0, 3]);
  using y = unary(engine, 'relu', x);
  assertClose(await y.read(), [], {});
  using z = tensor(engine, [-1, 2, -3, 4, -5, 6], [2, 1, 3]);
  using r = unary(engine, 'relu', z);
  assertClose(r.shape, [2, 1, 3], {});
  assertClose(await r.read(), [0, 2, 0, 4, 0, 6], {});
});

testGpu('unary: sigmoid and tanh saturate without NaN at ±80', getEngine, async (engine) => {
  const data = [-80, -30, 30, 80];
  using x = tensor(engine, data);
  using s = unary(engine, 'sigmoid', x);
  using t = unary(engine, 'tanh', x);
  assertClose(await s.read(), unaryReference('sigmoid', data), { atol: 1e-12 });
  assertClose(await t.read(), [-1, -1, 1, 1], { atol: 0 });
});

testGpu('unary: rejects unknown ops and i32 inputs', getEngine, async (engine) => {
  using x = tensor(engine, [1, 2]);
  assertThrows(
    () => unary(engine, 'swish' as UnaryOp, x),
    ArgumentError,
    "unknown op 'swish'",
  );
  using i = tensor(engine, new Int32Array([1, 2]));
  assertThrows(() => unary(engine, 'relu', i), ArgumentError, 'current dtype is i32');
  await Promise.resolve();
});

testGpu('erf64 reference matches tabulated values', getEngine, async () => {
  // Abramowitz & Stegun table 7.1 and high-precision values.
  const xs = [0, 0.1, 0.5, 1, 2, 3, 3.5, -1.5];
  const expected = [
    0,
    0.1124629160182849,
    0.5204998778130465,
    0.8427007929497149,
    0.9953222650189527,
    0.9999779095030014,
    0.9999992569016276,
    -0.9661051464753108,
  ];
  assertClose(xs.map(erf64), expected, { atol: 1e-14 });
  await Promise.resolve();
});

testGpu('unary: parameters are runtime values (one pipeline per op)', getEngine, async (engine) => {
  const data = uniform(130, 21, -6, 6);
  using x = tensor(engine, data, [2, 65]);
  for (const alpha of [0, 0.3, -2]) {
    using y = leakyRelu(engine, x, { alpha });
    const ref = unaryReference('leakyRelu', data, { alpha: Math.fround(alpha) });
    assertClose(await y.read(), ref, { rtol: u }, `leakyRelu alpha=${alpha}`);
  }
  for (const [alpha, beta] of [[0.5, 0.25], [-1, 0], [1 / 3, 1]]) {
    using y = hardSigmoid(engine, x, { alpha, beta });
    const ref = unaryReference('hardSigmoid', data, { alpha, beta });
    assertClose(await y.read(), ref, { atol: 8 * u }, `hardSigmoid ${alpha}, ${beta}`);
  }
  for (const alpha of [0.5, 2]) {
    using y = unary(engine, 'elu', x, { alpha });
    const ref = unaryReference('elu', data, { alpha });
    assertClose(await y.read(), ref, { atol: 21 * u * alpha }, `elu alpha=${alpha}`);
  }
});

testGpu('unary: clip with absent, present and crossed bounds', getEngine, async (engine) => {
  const data = uniform(65, 5, -4, 4);
  using x = tensor(engine, data, [65]);
  const bounds: [number | undefined, number | undefined][] = [
    [undefined, undefined],
    [-1, undefined],
    [undefined, 0.5],
    [-0.25, 0.75],
    [2, 1], // min > max: every element becomes max
    [1.5, 1.5],
  ];
  for (const [min, max] of bounds) {
    using y = clip(engine, x, { min, max });
    const ref = unaryReference('clip', data, { alpha: min, beta: max });
    assertArrayEquals(await y.read(), ref, `clip [${min}, ${max}]`);
  }
  using y = clip(engine, x, { min: 2, max: 1 });
  assertArrayEquals(await y.read(), new Array(65).fill(1), 'crossed bounds give max');
});

testGpu('unary: clip keeps NaN and infinities; floor/ceil/round edges', getEngine, async (e) => {
  const special = new Float32Array([NaN, Infinity, -Infinity, 0, -0, 3]);
  using x = tensor(e, special);
  using y = clip(e, x, { min: -1, max: 1 });
  const out = await y.read();
  assertEquals(Number.isNaN(out[0]), true, 'NaN stays NaN');
  assertArrayEquals(out.slice(1), [1, -1, 0, 0, 1]);
  using open = clip(e, x);
  assertArrayEquals((await open.read()).slice(1), [Infinity, -Infinity, 0, 0, 3], 'no bounds');
  const halves = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.2, 1.7, 7];
  using h = tensor(e, halves);
  using r = unary(e, 'round', h);
  assertArrayEquals(await r.read(), [-2, -2, -0, 0, 2, 2, -1, 2, 7], 'round half to even');
  using f = unary(e, 'floor', h);
  assertArrayEquals(await f.read(), halves.map(Math.floor), 'floor');
  using c = unary(e, 'ceil', h);
  assertArrayEquals(await c.read(), halves.map(Math.ceil), 'ceil');
});

testGpu('unary: softplus and hardSwish at large |x| (no overflow)', getEngine, async (engine) => {
  const data = Float32Array.from([-100, -20, -1e-3, 0, 1e-3, 20, 100]);
  using x = tensor(engine, data);
  using s = unary(engine, 'softplus', x);
  assertClose(await s.read(), unaryReference('softplus', data), CASES.softplus, 'softplus');
  using h = unary(engine, 'hardSwish', x);
  assertClose(
    await h.read(),
    unaryReference('hardSwish', data),
    { atol: 0, rtol: 4 * u },
    'hswish',
  );
});

testGpu('unary: rejects parameters an op does not take, and NaN ones', getEngine, async (e) => {
  using x = tensor(e, [1, 2]);
  assertThrows(() => unary(e, 'relu', x, { alpha: 1 }), ArgumentError, 'relu: it takes no alpha');
  assertThrows(() => leakyRelu(e, x, { alpha: NaN }), ArgumentError, 'alpha must be a finite');
  assertThrows(() => unary(e, 'elu', x, { beta: 1 }), ArgumentError, 'elu: it takes no beta');
  assertThrows(() => leakyRelu(e, x, { alpha: Infinity }), ArgumentError, 'finite');
  assertThrows(() => clip(e, x, { min: NaN }), ArgumentError, 'alpha must be a non-NaN');
  assertEquals(unaryParameters('clip').alpha, -Infinity);
  assertEquals(unaryParameters('hardSwish').alpha, 1 / 6);
  await Promise.resolve();
});

testGpu('unary: isNaN and isInf test bit patterns', getEngine, async (e) => {
  const special = new Float32Array([NaN, Infinity, -Infinity, 0, -0, 3, -3e38, 1e-40, -NaN]);
  using x = tensor(e, special);
  using n = isNan(e, x);
  assertArrayEquals(await n.read(), [1, 0, 0, 0, 0, 0, 0, 0, 1], 'isNaN');
  assertArrayEquals(unaryReference('isNaN', special), [1, 0, 0, 0, 0, 0, 0, 0, 1]);
  for (const [neg, pos] of [[true, true], [false, true], [true, false], [false, false]]) {
    using y = isInf(e, x, { detectNegative: neg, detectPositive: pos });
    const want = [0, pos ? 1 : 0, neg ? 1 : 0, 0, 0, 0, 0, 0, 0];
    assertArrayEquals(await y.read(), want, `isInf negative=${neg} positive=${pos}`);
    const ref = unaryReference('isInf', special, { alpha: neg ? 1 : 0, beta: pos ? 1 : 0 });
    assertArrayEquals(ref, want, 'isInf reference');
  }
});

testGpu('unary: inverse functions at and beyond their domain edges', getEngine, async (e) => {
  const data = new Float32Array([-1, 1, 1.5, -1.5, 0, 0.5, -0.5]);
  using x = tensor(e, data);
  for (const op of ['asin', 'acos', 'atanh', 'acosh'] as const) {
    using y = unary(e, op, x);
    // The results at ±1, 0 and ±1/2 are a few ulp off the exact ones (or exactly ±inf, NaN).
    assertClose(await y.read(), unaryReference(op, data), { atol: 0, rtol: 8 * u }, op);
  }
});

testGpu('unary: small arguments keep relative accuracy', getEngine, async (e) => {
  // Where a naive formula cancels (sinh as (eˣ − e⁻ˣ)/2, asinh as log(x + √(x² + 1)), atanh as
  // log((1 + x)/(1 − x))/2, selu/celu as exp(x) − 1, mish via tanh(log(1 + eˣ))), the kernels'
  // series and rewritten forms keep a few ulp relative: 16u.
  const data = new Float32Array([1e-30, -1e-7, 3e-5, -2e-3, 0.01, -0.3, -30, -80]);
  for (const op of ['sinh', 'asinh', 'atanh', 'tan', 'atan', 'asin', 'selu', 'celu', 'mish']) {
    const o = op as UnaryOp;
    const xs = o === 'asin' || o === 'atanh' ? data.slice(0, 6) : data;
    using t = tensor(e, xs);
    using y = unary(e, o, t);
    // −30 and −80 (sinh, mish, selu, celu: exp of a large argument, within 3 + 160 ulp): 330u.
    const rtol = xs.map((v) => (v < -1 ? 330 * u : 16 * u));
    const ref = unaryReference(o, xs);
    assertClose(await y.read(), ref, { bound: ref.map((r, i) => Math.abs(r) * rtol[i]) }, op);
  }
});

testGpu('unary: tan over many periods, sinh/cosh up to overflow', getEngine, async (e) => {
  // tan on |x| ≤ 100 (31 reductions by π/2): the three-part reduction is exact, so the error is
  // the polynomial's few ulp, relative to tan of the f32 input: 16u, away from the poles where
  // tan's condition number x·tan'/tan = 2x/sin(2x) amplifies rounding (sampled points are at
  // least 1e-3 from a pole: ≤ 2·100/2e-3 = 1e5 times the error in x, which is 0 here).
  const data = uniform(2000, 91, -100, 100);
  using x = tensor(e, data);
  using y = unary(e, 'tan', x);
  assertClose(await y.read(), unaryReference('tan', data), { atol: 0, rtol: 16 * u }, 'tan');
  const big = new Float32Array([88, -88, 89, 89.4, -89.4, 90, -90]);
  using b = tensor(e, big);
  for (const op of ['sinh', 'cosh'] as const) {
    using r = unary(e, op, b);
    // exp(|x|/2) within 3 + 45 ulp, squared: ~200u relative; beyond 89.42 the result is ±inf.
    assertClose(await r.read(), unaryReference(op, big).map(Math.fround), { rtol: 200 * u }, op);
  }
});

testGpu('unary: selu, celu and thresholdedRelu parameters', getEngine, async (e) => {
  const data = uniform(130, 23, -6, 6);
  using x = tensor(e, data, [2, 65]);
  for (const [alpha, gamma] of [[1, 1], [2.5, 0.5], [0.1, 3]]) {
    using y = selu(e, x, { alpha, gamma });
    const ref = unaryReference('selu', data, { alpha, beta: gamma });
    assertClose(await y.read(), ref, { rtol: 64 * u }, `selu ${alpha}, ${gamma}`);
  }
  for (const alpha of [0.5, 2, -1.5]) {
    using y = celu(e, x, { alpha });
    assertClose(await y.read(), unaryReference('celu', data, { alpha }), { rtol: 64 * u }, 'celu');
  }
  for (const alpha of [-1, 0, 2.5]) {
    using y = thresholdedRelu(e, x, { alpha });
    assertArrayEquals(
      await y.read(),
      unaryReference('thresholdedRelu', data, { alpha }),
      `thresholdedRelu ${alpha}`,
    );
  }
  assertThrows(() => celu(e, x, { alpha: 0 }), ArgumentError, 'alpha must be non-zero');
  assertThrows(() => unary(e, 'celu', x, { beta: 1 }), ArgumentError, 'celu: it takes no beta');
});
