import { assertArrayEquals, assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import {
  clip,
  erf64,
  hardSigmoid,
  leakyRelu,
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
};

const SIZES = [1, 63, 64, 65, 1000];

for (const [op, c] of Object.entries(CASES) as [UnaryOp, (typeof CASES)[UnaryOp]][]) {
  testGpu(`unary ${op}: sizes ${SIZES.join(', ')} against f64`, getEngine, async (engine) => {
    for (const n of SIZES) {
      const data = uniform(n, 7 + n, c.lo, c.hi);
      using x = tensor(engine, data, [n]);
      using y = unary(engine, op, x);
      assertClose(await y.read(), unaryReference(op, data), c, `${op} n=${n}`);
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
    () => unary(engine, 'selu' as UnaryOp, x),
    ArgumentError,
    "unknown op 'selu'",
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
