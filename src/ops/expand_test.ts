import { assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { expand, expandOutputShape, expandReference } from './expand.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

// [x shape, requested shape, output shape]: the ONNX backend cases (dim_changed: [3, 1] with
// [2, 1, 6]; dim_unchanged: [3, 1] with [3, 4]), a 1 in `shape` keeping x's dimension, a
// smaller requested rank, scalars, sizes around the workgroup, and empty results.
const CASES: [number[], number[], number[]][] = [
  [[3, 1], [2, 1, 6], [2, 3, 6]],
  [[3, 1], [3, 4], [3, 4]],
  [[3, 4], [1, 1], [3, 4]],
  [[2, 3, 4], [4], [2, 3, 4]],
  [[2, 1, 4], [3, 1], [2, 3, 4]],
  [[], [63], [63]],
  [[1], [64]],
  [[65], [2, 1, 65], [2, 1, 65]],
  [[1, 65], [3, 1], [3, 65]],
  [[3, 1], [3, 0], [3, 0]],
  [[0, 1], [0, 5], [0, 5]],
  [[7], [], [7]],
].map((c) => (c.length === 2 ? [c[0], c[1], [64]] : c)) as [number[], number[], number[]][];

testGpu('expand: broadcasting cases, f32 and i32 (exact)', getEngine, async (engine) => {
  for (const [xShape, shape, expected] of CASES) {
    const what = `${xShape} to ${shape}`;
    assertArrayEquals(expandOutputShape(xShape, shape), expected, `shape ${what}`);
    for (const dtype of ['f32', 'i32'] as const) {
      const data = integers(sizeOf(xShape), xShape.length + 5, -1e6, 1e6);
      using x = tensor(engine, data, xShape, { dtype });
      using y = expand(engine, x, shape);
      assertEquals(y.dtype, dtype, what);
      assertArrayEquals(y.shape, expected, what);
      assertArrayEquals(await y.read(), expandReference(data, xShape, shape).data, what);
    }
  }
});

testGpu('expand: reference agrees with hand-computed values', getEngine, async () => {
  const ref = expandReference([1, 2, 3], [3, 1], [2, 1, 2]);
  assertArrayEquals(ref.shape, [2, 3, 2]);
  assertArrayEquals(ref.data, [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
  await Promise.resolve();
});

testGpu('expand: folded dispatch', getFolding, async (engine) => {
  const data = uniform(50, 3);
  using x = tensor(engine, data, [1, 50]);
  using y = expand(engine, x, [30, 50]); // 1500 elements, 24 workgroups: a 4×4×2 grid
  assertArrayEquals(await y.read(), expandReference(data, [1, 50], [30, 50]).data);
});

testGpu('expand: shapes that do not broadcast are rejected', getEngine, async (engine) => {
  using x = tensor(engine, uniform(6, 1), [2, 3]);
  assertThrows(() => expand(engine, x, [4]), ShapeError, 'expand: shapes [2, 3] and [4]');
  assertThrows(() => expand(engine, x, [2, -1]), ShapeError, 'not a non-negative integer (-1)');
  assertThrows(() => expandOutputShape([2], [1.5]), ShapeError);
  await Promise.resolve();
});
