import { assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, type Tensor, tensor } from '../tensor.ts';
import { concat, concatOutputShape, concatReference } from './concat.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

// [input shapes, axis]: 1-D to 4-D, every axis, negative axes, empty parts, one input, sizes
// around the workgroup.
const CASES: [number[][], number][] = [
  [[[1], [1]], 0],
  [[[63], [1], [64]], 0],
  [[[2, 3], [2, 5]], 1],
  [[[2, 3], [4, 3]], -2],
  [[[2, 3, 4], [2, 1, 4], [2, 2, 4]], 1],
  [[[2, 3, 4], [2, 3, 65]], -1],
  [[[2, 3, 0], [2, 3, 2], [2, 3, 0]], 2],
  [[[0, 3], [0, 3]], 0],
  [[[3, 2, 1, 5]], 2],
  [[[1, 2, 3, 4], [2, 2, 3, 4]], 0],
];

testGpu('concat: cases against the CPU reference, f32 and i32 (exact)', getEngine, async (e) => {
  for (const [shapes, axis] of CASES) {
    for (const dtype of ['f32', 'i32'] as const) {
      const inputs = shapes.map((shape, i) => ({
        data: integers(sizeOf(shape), i + shape.length, -1e6, 1e6),
        shape,
      }));
      const tensors: Tensor[] = inputs.map((t) => tensor(e, t.data, t.shape, { dtype }));
      try {
        using y = concat(e, tensors, { axis });
        const ref = concatReference(inputs, axis);
        const what = `${dtype} ${shapes.map((s) => `[${s}]`).join(' ')} axis ${axis}`;
        assertEquals(y.dtype, dtype, what);
        assertArrayEquals(y.shape, ref.shape, what);
        assertArrayEquals(y.shape, concatOutputShape(shapes, axis), what);
        assertArrayEquals(await y.read(), ref.data, what);
      } finally {
        for (const t of tensors) t.destroy();
      }
    }
  }
});

testGpu('concat: reference agrees with hand-computed values', getEngine, async () => {
  const a = { data: [1, 2, 3, 4], shape: [2, 2] };
  const b = { data: [5, 6], shape: [2, 1] };
  assertArrayEquals(concatReference([a, b], 1).data, [1, 2, 5, 3, 4, 6]);
  assertArrayEquals(concatReference([a, { data: [7, 8], shape: [1, 2] }], 0).data, [
    1,
    2,
    3,
    4,
    7,
    8,
  ]);
  await Promise.resolve();
});

testGpu('concat: folded dispatch', getFolding, async (engine) => {
  const a = uniform(30 * 20, 1);
  const b = uniform(30 * 30, 2);
  using ta = tensor(engine, a, [30, 20]);
  using tb = tensor(engine, b, [30, 30]);
  using y = concat(engine, [ta, tb], { axis: 1 });
  const ref = concatReference([{ data: a, shape: [30, 20] }, { data: b, shape: [30, 30] }], 1);
  assertArrayEquals(await y.read(), ref.data);
});

testGpu('concat: errors name the shapes, dtypes and axis', getEngine, async (engine) => {
  using a = tensor(engine, uniform(6, 1), [2, 3]);
  using b = tensor(engine, uniform(8, 1), [2, 4]);
  using c = tensor(engine, uniform(3, 1), [3]);
  using i = tensor(engine, new Int32Array(6), [2, 3]);
  using s = tensor(engine, [1], []);
  assertThrows(
    () => concat(engine, [a, b], { axis: 0 }),
    ShapeError,
    'along axis 0: shapes [2, 3], [2, 4] differ',
  );
  assertThrows(() => concat(engine, [a, c], { axis: 0 }), ShapeError, '[2, 3], [3]');
  assertThrows(() => concat(engine, [a, i], { axis: 0 }), ArgumentError, 'input 1 is i32');
  assertThrows(() => concat(engine, [a, b], { axis: 2 }), ArgumentError, 'axis 2 is out of range');
  assertThrows(() => concat(engine, [], { axis: 0 }), ArgumentError, 'at least one input');
  assertThrows(() => concat(engine, [s, s], { axis: 0 }), ArgumentError, 'got a scalar');
  assertThrows(
    () => concat(engine, [a], {} as { axis: number }),
    ArgumentError,
    'axis is required',
  );
  await Promise.resolve();
});
