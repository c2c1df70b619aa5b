import { assertArrayEquals, assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  batchNormalization,
  batchNormalizationOutputShape,
  batchNormalizationReference,
} from './batch_norm.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

// The factor scale·inverseSqrt(variance + ε) carries u (the add) + 4u (inverseSqrt, 2 ulp in
// WGSL) + u (the product); the subtraction, the product with it and the bias add one u each:
// about 9u·magnitude with magnitude = |x − mean|·|scale|/sqrt(variance + ε) + |bias|. 16u
// leaves room for a platform at the edge of the ulp allowances.
async function check(
  engine: Engine,
  xShape: number[],
  epsilon?: number,
  seed = 31,
): Promise<void> {
  const C = xShape[1];
  const x = uniform(sizeOf(xShape), seed, -3, 3);
  const scale = uniform(C, seed + 1, -2, 2);
  const bias = uniform(C, seed + 2);
  const mean = uniform(C, seed + 3);
  const variance = uniform(C, seed + 4, 0, 2);
  using tx = tensor(engine, x, xShape);
  const params = [scale, bias, mean, variance].map((p) => tensor(engine, p, [C]));
  try {
    const [ts, tb, tm, tv] = params;
    using y = batchNormalization(engine, tx, ts, tb, tm, tv, { epsilon });
    const ref = batchNormalizationReference(x, xShape, scale, bias, mean, variance, { epsilon });
    assertArrayEquals(y.shape, xShape);
    const bound = ref.magnitude.map((m) => 16 * u * m);
    assertClose(await y.read(), ref.data, { atol: 1e-30, bound }, `${xShape} ε=${epsilon}`);
  } finally {
    for (const p of params) p.destroy();
  }
}

testGpu('batchNormalization: a hand-computed case', getEngine, async (engine) => {
  // Channel 0: (x − 0)·1/√1 + 0; channel 1: (x − 3)·1.5/√2.25 + 1 = x − 2 (ε = 0).
  using x = tensor(engine, [-1, 0, 1, 2, 3, 4], [1, 2, 3]);
  using scale = tensor(engine, [1, 1.5], [2]);
  using bias = tensor(engine, [0, 1], [2]);
  using mean = tensor(engine, [0, 3], [2]);
  using variance = tensor(engine, [1, 2.25], [2]);
  using y = batchNormalization(engine, x, scale, bias, mean, variance, { epsilon: 0 });
  assertClose(await y.read(), [-1, 0, 1, 0, 1, 2], { atol: 8 * u });
});

testGpu(
  'batchNormalization: ranks 2 to 5, default and custom epsilon',
  getEngine,
  async (engine) => {
    await check(engine, [5, 7]);
    await check(engine, [2, 3, 10]);
    await check(engine, [2, 4, 5, 6]);
    await check(engine, [2, 4, 5, 6], 1e-2);
    await check(engine, [1, 3, 2, 3, 4], 0.5);
    await check(engine, [1, 1]);
  },
);

testGpu('batchNormalization: tiny variance (ε dominates)', getEngine, async (engine) => {
  const x = uniform(2 * 3 * 4, 41);
  const scale = [1, -2, 0.5];
  const bias = [0.1, 0, -0.3];
  const mean = [0, 0.5, -0.5];
  const variance = [0, 1e-7, 1e-3];
  using tx = tensor(engine, x, [2, 3, 4]);
  using ts = tensor(engine, scale, [3]);
  using tb = tensor(engine, bias, [3]);
  using tm = tensor(engine, mean, [3]);
  using tv = tensor(engine, variance, [3]);
  using y = batchNormalization(engine, tx, ts, tb, tm, tv);
  const ref = batchNormalizationReference(x, [2, 3, 4], scale, bias, mean, variance);
  const bound = ref.magnitude.map((m) => 16 * u * m);
  assertClose(await y.read(), ref.data, { atol: 1e-30, bound });
});

testGpu('batchNormalization: sizes around the workgroup size', getEngine, async (engine) => {
  for (const n of [1, 63, 64, 65]) await check(engine, [1, 1, n]);
  await check(engine, [3, 5, 13]);
});

testGpu('batchNormalization: folded dispatch', getFolding, async (engine) => {
  // 2·5·11·11 = 1210 elements = 19 workgroups > 4² → a 3-D grid.
  await check(engine, [2, 5, 11, 11]);
});

testGpu(
  'batchNormalization: bad shapes and epsilon are named before anything runs',
  getEngine,
  async (engine) => {
    using x = tensor(engine, uniform(2 * 3 * 4, 1), [2, 3, 4]);
    using x1 = tensor(engine, uniform(3, 1), [3]);
    using c3 = tensor(engine, [1, 1, 1], [3]);
    using c4 = tensor(engine, [1, 1, 1, 1], [4]);
    using c13 = tensor(engine, [1, 1, 1], [1, 3]);
    const before = engine.dispatchCount;
    assertThrows(
      () => batchNormalization(engine, x, c3, c3, c4, c3),
      ShapeError,
      'Cannot run batchNormalization: mean [4] must be [3], one per channel of x [2, 3, 4]',
    );
    assertThrows(
      () => batchNormalization(engine, x, c13, c3, c3, c3),
      ShapeError,
      'scale [1, 3] must be [3]',
    );
    assertThrows(
      () => batchNormalization(engine, x1, c3, c3, c3, c3),
      ShapeError,
      'x must be [N, C, ...] (rank >= 2), current shape is [3]',
    );
    for (const epsilon of [-1, NaN, Infinity]) {
      assertThrows(
        () => batchNormalization(engine, x, c3, c3, c3, c3, { epsilon }),
        ArgumentError,
        'epsilon must be a finite number >= 0',
      );
    }
    assertEquals(engine.dispatchCount, before, 'nothing dispatched');
    assertArrayEquals(batchNormalizationOutputShape([2, 3, 4], [3], [3], [3], [3]), [2, 3, 4]);
    assertThrows(
      () => batchNormalizationReference([1, 2], [1, 2], [1], [1, 1], [1, 1], [1, 1]),
      ShapeError,
      'scale has 1 values',
    );
    // The rejected calls left the engine usable: (x − 1)·1/√(1 + ε) + 1 ≈ x.
    using y = batchNormalization(engine, x, c3, c3, c3, c3, { epsilon: 0 });
    assertClose(await y.read(), await x.read(), { atol: 4 * u });
  },
);
