import { assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ShapeError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import { resizeBilinear, resizeBilinearReference } from './resize_bilinear.ts';

const getEngine = sharedEngine();

// Values in [−1, 1]: two lerps, each weight and product rounded, stay within a few ulp of 1.
const ATOL = 1e-6;

for (
  const [shape, size] of [
    [[1, 1, 7, 7], [28, 28]],
    [[2, 3, 5, 4], [9, 13]],
    [[4, 4], [4, 4]],
    [[1, 6, 6], [3, 2]],
    [[3, 1, 1], [5, 5]],
  ] as [number[], [number, number]][]
) {
  testGpu(
    `resizeBilinear ${JSON.stringify(shape)} → ${size} matches the reference`,
    getEngine,
    async (engine) => {
      const data = uniform(shape.reduce((a, b) => a * b, 1), 7);
      using x = tensor(engine, data, shape);
      using y = resizeBilinear(engine, x, size);
      assertClose(await y.read(), resizeBilinearReference(data, shape, size), { atol: ATOL });
    },
  );
}

testGpu('resizeBilinear at the same size is the identity', getEngine, async (engine) => {
  const data = uniform(20, 3);
  using x = tensor(engine, data, [4, 5]);
  using y = resizeBilinear(engine, x, [4, 5]);
  assertClose(await y.read(), data, { atol: 0 });
});

testGpu('resizeBilinear rejects a bad rank and size', getEngine, async (engine) => {
  using x = tensor(engine, [1, 2, 3], [3]);
  assertThrows(() => resizeBilinear(engine, x, [2, 2]), ShapeError, 'rank');
  using m = tensor(engine, [1, 2, 3, 4], [2, 2]);
  assertThrows(() => resizeBilinear(engine, m, [0, 2]), ShapeError, 'positive');
  await Promise.resolve();
});
