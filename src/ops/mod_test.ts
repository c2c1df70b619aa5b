import { assert, assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { mod, modReference } from './mod.ts';

const getEngine = sharedEngine();
// Folds every dispatch past 4 workgroups per dimension, so small tensors use 2-D and 3-D grids.
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

// The truncated remainder of two f32 values is an f32 value and the kernel computes it exactly:
// compared exactly (assertArrayEquals: NaN equals NaN; the sign of zero is checked apart).
// The floored remainder adds b to a remainder of the other sign: one f32 rounding of a sum the
// f64 reference rounds to f64, so within u relative (half an ulp), plus 2⁻¹⁴⁹ for subnormals.
const FLOOR_TOLERANCE = { atol: 2 ** -149, rtol: u };

const SHAPES: [number[], number[]][] = [
  [[1], [1]],
  [[63], [63]],
  [[64], [1]],
  [[65], [65]],
  [[4, 250], [250]],
  [[2, 3, 4], [3, 1]],
  [[5, 1], [1, 7]],
];

/** Dividends spread over many binades, divisors mixed in sign and size, a few zeros. */
function floats(n: number, seed: number, scale: number): Float32Array {
  const m = uniform(n, seed, -1, 1);
  const e = integers(n, seed + 1, -8, 8);
  return m.map((v, i) => Math.fround(v * scale * 2 ** e[i]));
}

for (const fmod of [true, false]) {
  testGpu(`mod f32 fmod=${fmod}: shapes and broadcasting against f64`, getEngine, async (e) => {
    for (const [as, bs] of SHAPES) {
      const a = floats(sizeOf(as), 3 + sizeOf(as), 1000);
      const b = floats(sizeOf(bs), 7 + sizeOf(bs), 3);
      using ta = tensor(e, a, as);
      using tb = tensor(e, b, bs);
      using y = mod(e, ta, tb, { fmod });
      const ref = modReference(a, as, b, bs, { fmod });
      assertArrayEquals(y.shape, ref.shape, 'shape');
      const out = await y.read();
      if (fmod) assertArrayEquals(out, ref.data, `fmod ${as} ${bs}`);
      else assertClose(out, ref.data, FLOOR_TOLERANCE, `mod ${as} ${bs}`);
    }
  });

  testGpu(`mod i32 fmod=${fmod}: exact, signs, zero divisor`, getEngine, async (e) => {
    const a = Int32Array.from(integers(1000, 11, -1000, 1000));
    const b = Int32Array.from(integers(1000, 12, -20, 20)); // includes 0
    a[0] = -2147483648;
    b[0] = -1;
    a[1] = 2147483647;
    b[1] = 7;
    using ta = tensor(e, a, [1000]);
    using tb = tensor(e, b, [1000]);
    using y = mod(e, ta, tb, { fmod });
    assertArrayEquals(y.shape, [1000]);
    const ref = modReference(a, [1000], b, [1000], { fmod, dtype: 'i32' });
    assertArrayEquals(await y.read(), ref.data, `i32 fmod=${fmod}`);
    using bb = tensor(e, Int32Array.from([3, -3]), [2, 1]);
    using yb = mod(e, ta, bb, { fmod });
    const rb = modReference(a, [1000], [3, -3], [2, 1], { fmod, dtype: 'i32' });
    assertArrayEquals(await yb.read(), rb.data, `i32 broadcast fmod=${fmod}`);
  });
}

testGpu('mod: the sign rules of ONNX Mod', getEngine, async (e) => {
  // onnx's test_mod_mixed_sign_* data: fmod = 1 follows the dividend, fmod = 0 the divisor.
  const a = [-4.3, 7.2, 5.0, 4.3, -7.2, 8.0];
  const b = [2.1, -3.4, 8.0, -2.1, 3.4, 5.0];
  using ta = tensor(e, a);
  using tb = tensor(e, b);
  using f = mod(e, ta, tb, { fmod: true });
  using m = mod(e, ta, tb);
  const want = { atol: 1e-6, rtol: 0 };
  assertClose(await f.read(), [-0.1, 0.4, 5, 0.1, -0.4, 3], want, 'fmod');
  assertClose(await m.read(), [2, -3, 5, -2, 3, 3], want, 'mod');
  using ia = tensor(e, Int32Array.from([-4, 7, 5, 4, -7, 8]));
  using ib = tensor(e, Int32Array.from([2, -3, 8, -2, 3, 5]));
  using fi = mod(e, ia, ib, { fmod: true });
  using mi = mod(e, ia, ib);
  assertArrayEquals(await fi.read(), [0, 1, 5, 0, -1, 3], 'integer fmod');
  assertArrayEquals(await mi.read(), [0, -2, 5, 0, 2, 3], 'integer mod');
});

testGpu('mod: special values, subnormals and huge quotients are exact', getEngine, async (e) => {
  const inf = Infinity;
  const a = [inf, -inf, NaN, 1, 5, 0, -0, 3, -3, 1e-40, 3e-41, 1e30, -1e30, 16777217, 7, -7];
  const b = [2, 2, 2, NaN, 0, 3, 3, inf, inf, 3e-41, 1e-40, 0.1, 3, 0.3, -inf, 1e-45];
  const fa = Float32Array.from(a);
  const fb = Float32Array.from(b);
  using ta = tensor(e, fa);
  using tb = tensor(e, fb);
  using f = mod(e, ta, tb, { fmod: true });
  const ref = modReference(fa, [a.length], fb, [b.length], { fmod: true });
  const out = await f.read();
  assertArrayEquals(out, ref.data, 'fmod');
  // −0 stays −0 (a zero remainder keeps the dividend's sign).
  assert(Object.is(out[6], -0), `fmod(−0, 3) is −0, got ${out[6]}`);
  using m = mod(e, ta, tb);
  const refm = modReference(fa, [a.length], fb, [b.length]);
  assertClose(await m.read(), refm.data, FLOOR_TOLERANCE, 'mod');
});

testGpu('mod: folded dispatch covers every element', getFolding, async (e) => {
  const a = floats(1500, 1, 100);
  const b = floats(100, 2, 2);
  using ta = tensor(e, a, [15, 100]);
  using tb = tensor(e, b, [100]);
  using y = mod(e, ta, tb, { fmod: true });
  assertArrayEquals(await y.read(), modReference(a, [15, 100], b, [100], { fmod: true }).data);
});

testGpu('mod: empty tensors; rejects mixed dtypes and bad shapes', getEngine, async (e) => {
  using z = tensor(e, [], [0, 2]);
  using one = tensor(e, [1, 2], [2]);
  using y = mod(e, z, one);
  assertArrayEquals(y.shape, [0, 2]);
  using i = tensor(e, Int32Array.from([1, 2]));
  assertThrows(() => mod(e, one, i), ArgumentError, 'both must have one dtype');
  using three = tensor(e, [1, 2, 3]);
  assertThrows(() => mod(e, one, three), ShapeError, 'do not broadcast');
  await Promise.resolve();
});
