import { assert, assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import { cast, castReference, type CastTarget } from './cast.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const SIZES = [1, 63, 64, 65, 1000];

testGpu('cast: f32 → i32 truncates toward zero (exact)', getEngine, async (engine) => {
  for (const n of SIZES) {
    const data = uniform(n, n, -1e5, 1e5);
    using x = tensor(engine, data);
    using y = cast(engine, x, 'i32');
    assertEquals(y.dtype, 'i32');
    assertArrayEquals(await y.read(), castReference(data, 'f32', 'i32'), `n=${n}`);
  }
});

testGpu('cast: f32 → i32 at the edges: saturation, NaN, ±0, halves', getEngine, async (e) => {
  const data = new Float32Array([
    NaN,
    Infinity,
    -Infinity,
    2147483648,
    -2147483648,
    2147483520, // the largest f32 below 2^31
    -2147483520,
    3e9,
    -3e9,
    -0,
    0.5,
    -0.5,
    1.5,
    -1.5,
    -2.9999998,
    16777217,
  ]);
  using x = tensor(e, data);
  using y = cast(e, x, 'i32');
  const expected = [
    0,
    2147483647,
    -2147483648,
    2147483647,
    -2147483648,
    2147483520,
    -2147483520,
    2147483647,
    -2147483648,
    0,
    0,
    0,
    1,
    -1,
    -2,
    16777216,
  ];
  assertArrayEquals(castReference(data, 'f32', 'i32'), expected, 'reference');
  assertArrayEquals(await y.read(), expected, 'gpu');
});

testGpu('cast: i32 → f32 (exact to 2^24, nearest-neighbour above)', getEngine, async (e) => {
  for (const n of SIZES) {
    const data = Int32Array.from(integers(n, n + 1, -(2 ** 24), 2 ** 24 + 1));
    using x = tensor(e, data);
    using y = cast(e, x, 'f32');
    assertEquals(y.dtype, 'f32');
    assertArrayEquals(await y.read(), castReference(data, 'i32', 'f32'), `n=${n}`);
  }
  // Above 2^24 WGSL lets the platform round either way: accept either neighbouring f32.
  const big = new Int32Array([2147483647, -2147483648, 16777217, -16777219, 123456789]);
  using x = tensor(e, big);
  using y = cast(e, x, 'f32');
  const out = await y.read();
  for (let i = 0; i < big.length; i++) {
    const v = big[i];
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
    assert(Math.abs(out[i] - v) < ulp, `element ${i}: ${v} became ${out[i]}`);
  }
});

testGpu('cast: to bool, and same-dtype copies', getEngine, async (e) => {
  const f = new Float32Array([0, -0, 1, -2.5, NaN, Infinity, 1e-45]);
  using x = tensor(e, f);
  using b = cast(e, x, 'bool');
  assertEquals(b.dtype, 'i32');
  assertArrayEquals(await b.read(), [0, 0, 1, 1, 1, 1, 1]);
  assertArrayEquals(castReference(f, 'f32', 'bool'), [0, 0, 1, 1, 1, 1, 1], 'reference');
  const i = new Int32Array([0, 5, -1, 0, -2147483648]);
  using xi = tensor(e, i);
  using bi = cast(e, xi, 'bool');
  assertArrayEquals(await bi.read(), [0, 1, 1, 0, 1]);
  using ci = cast(e, xi, 'i32');
  assertArrayEquals(await ci.read(), i, 'i32 copy');
  using cf = cast(e, x, 'f32');
  const copy = await cf.read();
  assertEquals(Object.is(copy[1], -0), true, '-0 kept');
  assertEquals(Number.isNaN(copy[4]), true, 'NaN kept');
  assertArrayEquals(copy, f, 'f32 copy');
});

testGpu('cast: folded dispatch and empty tensors', getFolding, async (engine) => {
  const data = uniform(1500, 3, -100, 100);
  using x = tensor(engine, data, [15, 100]);
  using y = cast(engine, x, 'i32');
  assertArrayEquals(y.shape, [15, 100]);
  assertArrayEquals(await y.read(), castReference(data, 'f32', 'i32'));
  using z = tensor(engine, [], [0, 4]);
  using w = cast(engine, z, 'bool');
  assertArrayEquals(w.shape, [0, 4]);
});

testGpu('cast: rejects unknown targets', getEngine, async (engine) => {
  using x = tensor(engine, [1, 2]);
  assertThrows(
    () => cast(engine, x, 'f16' as CastTarget),
    ArgumentError,
    "target must be 'f32', 'i32' or 'bool', got 'f16'",
  );
  await Promise.resolve();
});
