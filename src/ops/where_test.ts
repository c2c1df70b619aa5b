import { assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { where, whereOutputShape, whereReference } from './where.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

// [condition, x, y] shapes: same shape, each one broadcasting in turn, all three broadcasting,
// scalars, sizes around the workgroup, an empty result.
const CASES: [number[], number[], number[]][] = [
  [[1], [1], [1]],
  [[63], [63], [63]],
  [[65], [65], [65]],
  [[2, 64], [64], [2, 1]],
  [[1, 5], [3, 1], [5]],
  [[3, 1, 4], [2, 1], [1, 1, 1]],
  [[], [4, 3], []],
  [[4, 3], [], []],
  [[2, 1, 3, 1], [4, 1, 1], [1, 1, 5]],
  [[0, 3], [3], [1]],
];

testGpu('where: 3-way broadcasting, f32 and i32 (exact)', getEngine, async (engine) => {
  for (const [cShape, xShape, yShape] of CASES) {
    // Conditions include non-zero values other than 1, which count as true.
    const c = Int32Array.from(integers(sizeOf(cShape), 3, -1, 3));
    for (const dtype of ['f32', 'i32'] as const) {
      const x = integers(sizeOf(xShape), 5, 0, 1e6);
      const y = integers(sizeOf(yShape), 7, -1e6, 0);
      using tc = tensor(engine, c, cShape);
      using tx = tensor(engine, x, xShape, { dtype });
      using ty = tensor(engine, y, yShape, { dtype });
      using out = where(engine, tc, tx, ty);
      const ref = whereReference(c, cShape, x, xShape, y, yShape);
      const what = `${dtype} ${cShape} | ${xShape} | ${yShape}`;
      assertEquals(out.dtype, dtype, what);
      assertArrayEquals(out.shape, ref.shape, what);
      assertArrayEquals(out.shape, whereOutputShape(cShape, xShape, yShape), what);
      assertArrayEquals(await out.read(), ref.data, what);
    }
  }
});

testGpu('where: reference agrees with hand-computed values', getEngine, async (engine) => {
  const ref = whereReference([1, 0], [2, 1], [1, 2, 3], [3], [-1], []);
  assertArrayEquals(ref.shape, [2, 3]);
  assertArrayEquals(ref.data, [1, 2, 3, -1, -1, -1]);
  // NaN and infinities pass through bit for bit.
  const x = new Float32Array([NaN, Infinity, -0]);
  using tc = tensor(engine, new Int32Array([1, 1, 1]));
  using tx = tensor(engine, x);
  using ty = tensor(engine, [0], []);
  using out = where(engine, tc, tx, ty);
  const got = await out.read();
  assertEquals(Number.isNaN(got[0]), true, 'NaN');
  assertEquals(got[1], Infinity, 'inf');
  assertEquals(Object.is(got[2], -0), true, '-0');
});

testGpu('where: folded dispatch', getFolding, async (engine) => {
  const c = Int32Array.from(integers(50, 1, 0, 2));
  const x = uniform(30 * 50, 2);
  using tc = tensor(engine, c, [50]);
  using tx = tensor(engine, x, [30, 50]);
  using ty = tensor(engine, [0.5], [1]);
  using out = where(engine, tc, tx, ty);
  assertArrayEquals(await out.read(), whereReference(c, [50], x, [30, 50], [0.5], [1]).data);
});

testGpu('where: errors name all three shapes and the dtypes', getEngine, async (engine) => {
  using c = tensor(engine, new Int32Array([1, 0, 1]), [3]);
  using x = tensor(engine, [1, 2, 3, 4], [4]);
  using y = tensor(engine, [1, 2, 3], [3]);
  using i = tensor(engine, new Int32Array([1, 2, 3]));
  assertThrows(
    () => where(engine, c, x, y),
    ShapeError,
    'condition [3], x [4] and y [3] do not broadcast together',
  );
  assertThrows(() => where(engine, y, y, y), ArgumentError, 'condition must be i32');
  assertThrows(() => where(engine, c, y, i), ArgumentError, 'x [3] is f32 but y [3] is i32');
  await Promise.resolve();
});
