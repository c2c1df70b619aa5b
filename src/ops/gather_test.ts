import { assertArrayEquals, assertEquals, assertRejects, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError, IndexError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { gather, gatherOutputShape, gatherReference, validateGatherIndices } from './gather.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

// [data shape, indices shape, axis, output shape]: the ONNX backend cases (gather_0, gather_1,
// gather_2d_indices, gather_negative_indices), an embedding lookup, scalar indices, sizes
// around the workgroup, and empty outputs.
const CASES: [number[], number[], number, number[]][] = [
  [[5, 4, 3, 2], [3], 0, [3, 4, 3, 2]],
  [[5, 4, 3, 2], [3], 1, [5, 3, 3, 2]],
  [[3, 3], [1, 2], 1, [3, 1, 2]],
  [[10], [3], 0, [3]],
  [[100, 16], [2, 7], 0, [2, 7, 16]], // token embeddings
  [[4, 65], [], 0, [65]],
  [[4, 63], [], -1, [4]],
  [[2, 3, 64], [2, 2], -2, [2, 2, 2, 64]],
  [[1], [65], 0, [65]],
  [[5, 3], [0], 0, [0, 3]],
  [[5, 0], [4], 0, [4, 0]],
];

testGpu('gather: ONNX cases and edges, f32 and i32 (exact)', getEngine, async (engine) => {
  for (const [dataShape, indicesShape, axis, expected] of CASES) {
    const len = dataShape[axis < 0 ? axis + dataShape.length : axis];
    // In-range indices, negative ones included.
    const idx = Int32Array.from(integers(sizeOf(indicesShape), 13, -len, len));
    assertArrayEquals(gatherOutputShape(dataShape, indicesShape, axis), expected, 'shape');
    for (const dtype of ['f32', 'i32'] as const) {
      const data = integers(sizeOf(dataShape), dataShape.length, -1e6, 1e6);
      using d = tensor(engine, data, dataShape, { dtype });
      using i = tensor(engine, idx, indicesShape);
      using y = gather(engine, d, i, { axis });
      const ref = gatherReference(data, dataShape, idx, indicesShape, { axis });
      const what = `${dtype} ${dataShape} by ${indicesShape} axis ${axis}`;
      assertEquals(y.dtype, dtype, what);
      assertArrayEquals(y.shape, expected, what);
      assertArrayEquals(await y.read(), ref.data, what);
    }
  }
});

testGpu('gather: negative indices count from the end', getEngine, async (engine) => {
  // gather_negative_indices: data arange(10), indices [0, -9, -10] → [0, 1, 0].
  using d = tensor(engine, Array.from({ length: 10 }, (_, i) => i), [10]);
  using i = tensor(engine, new Int32Array([0, -9, -10]));
  using y = gather(engine, d, i);
  assertArrayEquals(await y.read(), [0, 1, 0]);
  // Rows of a matrix by axis 1.
  using m = tensor(engine, [1, 2, 3, 4, 5, 6], [2, 3]);
  using j = tensor(engine, new Int32Array([-1, 0]), [2]);
  using z = gather(engine, m, j, { axis: 1 });
  assertArrayEquals(await z.read(), [3, 1, 6, 4]);
});

testGpu('gather: out-of-range indices are clamped, never read past data', getEngine, async (e) => {
  const data = [10, 11, 12, 13, 14, 15, 16, 17];
  using d = tensor(e, data, [4, 2]);
  const idx = new Int32Array([4, 100, -5, -1000, 2147483647, -2147483648, 3]);
  using i = tensor(e, idx);
  // Unchecked (as for indices validated elsewhere): the kernel clamps.
  using y = gather(e, d, i, { checkIndices: false });
  const ref = gatherReference(data, [4, 2], idx, [7]);
  assertArrayEquals(ref.data, [16, 17, 16, 17, 10, 11, 10, 11, 16, 17, 10, 11, 16, 17]);
  assertArrayEquals(await y.read(), ref.data);
  // Checked (the default): the readback rejects instead of returning clamped rows.
  using z = gather(e, d, i);
  await assertRejects(() => z.read(), IndexError, 'out of range for axis 0 of data [4, 2]');
  assertThrows(() => validateGatherIndices(idx, 4), IndexError, 'index 4 (element 0');
  validateGatherIndices([-4, 3, 0], 4);
});

testGpu('gather: folded dispatch', getFolding, async (engine) => {
  const data = uniform(64 * 20, 2);
  const idx = Int32Array.from(integers(75, 3, -64, 64));
  using d = tensor(engine, data, [64, 20]);
  using i = tensor(engine, idx, [75]);
  using y = gather(engine, d, i); // 1500 elements, 24 workgroups: a 4×4×2 grid
  assertArrayEquals(await y.read(), gatherReference(data, [64, 20], idx, [75]).data);
});

testGpu('gather: rejects bad dtypes, axes, scalars and empty axes', getEngine, async (engine) => {
  using d = tensor(engine, uniform(6, 1), [2, 3]);
  using f = tensor(engine, [0, 1]);
  using i = tensor(engine, new Int32Array([0, 1]));
  using s = tensor(engine, [1], []);
  using z = tensor(engine, [], [0, 3]);
  assertThrows(() => gather(engine, d, f), ArgumentError, 'indices must be i32');
  assertThrows(() => gather(engine, d, i, { axis: 2 }), ArgumentError, 'axis 2 is out of range');
  assertThrows(() => gather(engine, s, i), ArgumentError, 'data must have rank >= 1');
  assertThrows(() => gather(engine, z, i), ArgumentError, 'axis 0 of data [0, 3] is empty');
  await Promise.resolve();
});
