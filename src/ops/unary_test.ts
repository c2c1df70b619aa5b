import { assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import { erf64, unary, type UnaryOp, unaryReference } from './unary.ts';

const getEngine = sharedEngine();
// Folds every dispatch past 4 workgroups per dimension, so small tensors use 2-D and 3-D grids.
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24; // unit roundoff of f32

// Domain and tolerance per function, against the f64 reference of the same f32 inputs.
// WGSL's accuracy rules: exp within 3 + 2·|x| ulp, log within 3 ulp (2⁻²¹ absolute in [0.5, 2]),
// sqrt within 2.5 ulp; sigmoid/tanh add two rounded operations after exp; erf (A&S 7.1.26) has
// |error| ≤ 1.5e-7 before f32 rounding. Exact ops (relu, abs, neg) must match exactly.
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
    () => unary(engine, 'softplus' as UnaryOp, x),
    ArgumentError,
    "unknown op 'softplus'",
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
