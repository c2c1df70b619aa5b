import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { finiteDifferenceGradient } from '../../test/finite_difference.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { topK, topKBackward, topKBackwardReference, topKReference } from './topk.ts';

const getEngine = sharedEngine();
// Folds every dispatch past 4 workgroups per dimension, so small tensors use 2-D and 3-D grids.
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

// Selection and its gradient (a copy of dy or 0) are exact: compared exactly.
async function check(
  engine: Awaited<ReturnType<typeof getEngine>>,
  data: Float32Array,
  shape: number[],
  options: { k: number; axis?: number; largest?: boolean },
): Promise<void> {
  using x = tensor(engine, data, shape);
  const { values, indices } = topK(engine, x, options);
  using _v = values;
  using _i = indices;
  const ref = topKReference(data, shape, options);
  const what = `${shape} ${JSON.stringify(options)}`;
  assertArrayEquals(values.shape, ref.shape, `${what} shape`);
  assertArrayEquals(await values.read(), ref.values, `${what} values`);
  assertArrayEquals(await indices.read(), ref.indices, `${what} indices`);
  const dy = uniform(sizeOf(ref.shape), 5, -1, 1);
  using tdy = tensor(engine, dy, ref.shape);
  using dx = topKBackward(engine, tdy, indices, { axis: options.axis, xShape: shape });
  const dref = topKBackwardReference(dy, ref.indices, { ...options, xShape: shape });
  assertArrayEquals(await dx.read(), dref, `${what} backward`);
}

const CASES: [number[], { k: number; axis?: number; largest?: boolean }][] = [
  [[1], { k: 1 }],
  [[63], { k: 5 }],
  [[64], { k: 64 }],
  [[65], { k: 0 }],
  [[3, 4], { k: 3, axis: 1 }],
  [[3, 4], { k: 2, axis: 0, largest: false }],
  [[4, 65, 5], { k: 7, axis: 1 }],
  [[4, 65, 5], { k: 3, axis: -1, largest: false }],
  [[2, 1000], { k: 10 }],
];

testGpu(
  'topK: shapes, axes, k and order against f64, forward and backward',
  getEngine,
  async (e) => {
    for (const [shape, options] of CASES) {
      await check(e, uniform(sizeOf(shape), sizeOf(shape), -5, 5), shape, options);
    }
  },
);

testGpu('topK: ties keep index order; NaN ranks above every number', getEngine, async (e) => {
  const ties = integers(600, 3, 0, 4); // many equal values
  await check(e, ties, [6, 100], { k: 30, axis: 1 });
  await check(e, ties, [6, 100], { k: 4, axis: 0, largest: false });
  const withNaN = Float32Array.from([3, NaN, -1, NaN, 7, 0, -0, 2]);
  await check(e, withNaN, [8], { k: 8 });
  await check(e, withNaN, [8], { k: 8, largest: false });
  using x = tensor(e, withNaN);
  const { values, indices } = topK(e, x, { k: 3 });
  using _v = values;
  using _i = indices;
  assertArrayEquals(await indices.read(), [1, 3, 4], 'NaNs first, lower index first');
});

testGpu('topK: rows longer than one span accumulate ranks', getEngine, async (e) => {
  await check(e, uniform(4100, 9, -1, 1), [4100], { k: 6 });
  await check(e, integers(4100, 10, 0, 50), [4100], { k: 100, largest: false });
});

testGpu('topK: folded dispatch', getFolding, async (e) => {
  await check(e, uniform(1500, 12, -1, 1), [15, 100], { k: 9 });
});

testGpu('topKBackwardReference matches central differences of topKReference', getEngine, () => {
  // Distinct values (no ties within 1e-3 of each other, so a step of 1e-5 never reorders): the
  // values are a selection, linear in x, and differences are exact up to rounding (~1e-11).
  const shape = [3, 40];
  const x = Float64Array.from(uniform(120, 21, -5, 5));
  const options = { k: 7, axis: 1 };
  const dy = uniform(21, 22, -1, 1);
  const ref = topKReference(x, shape, options);
  const fd = finiteDifferenceGradient((p) => topKReference(p, shape, options).values, x, dy);
  const analytic = topKBackwardReference(dy, ref.indices, { ...options, xShape: shape });
  assertClose(analytic, fd, { atol: 1e-9 });
  return Promise.resolve();
});

testGpu('topK: rejects bad k, axis, operands and gradient shapes', getEngine, async (e) => {
  using x = tensor(e, uniform(12, 1), [3, 4]);
  assertThrows(() => topK(e, x, { k: 5 }), ArgumentError, 'k must be an integer in [0, 4]');
  assertThrows(() => topK(e, x, { k: -1 }), ArgumentError, 'k must be an integer');
  assertThrows(() => topK(e, x, { k: 1, axis: 2 }), ArgumentError, 'axis 2 is out of range');
  using s = tensor(e, [1], []);
  assertThrows(() => topK(e, s, { k: 1 }), ArgumentError, 'got a scalar');
  using i = tensor(e, Int32Array.from([1, 2]));
  assertThrows(() => topK(e, i, { k: 1 }), ArgumentError, 'x must be f32');
  using dy = tensor(e, uniform(6, 2), [3, 2]);
  using bad = tensor(e, Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]), [4, 2]);
  assertThrows(
    () => topKBackward(e, dy, bad, { axis: 1, xShape: [3, 4] }),
    ShapeError,
    'must both be x [3, 4] with axis 1 cut to k',
  );
  await Promise.resolve();
});
