import { assert, assertEquals, assertRejects, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import {
  neighbourPreservation,
  trustworthiness,
  trustworthinessReference,
} from './trustworthiness.ts';

const getEngine = sharedEngine();

// 200 random points in 10-D and a lossy 2-D view of them (two coordinates plus noise), so that
// the score is well below 1 and many ranks beyond k enter the sum.
function cloud(n: number, seed: number): { high: Float32Array; low: Float32Array } {
  const high = uniform(n * 10, seed);
  const noise = uniform(n * 2, seed + 1, -0.3, 0.3);
  const low = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    low[2 * i] = high[10 * i] + noise[2 * i];
    low[2 * i + 1] = high[10 * i + 1] + noise[2 * i + 1];
  }
  return { high, low };
}

for (const metric of ['euclidean', 'cosine'] as const) {
  for (const k of [1, 10]) {
    testGpu(
      `trustworthiness: 200 points, ${metric}, k = ${k}, equals the f64 brute force`,
      getEngine,
      async (engine) => {
        const n = 200;
        const { high, low } = cloud(n, 7 + k);
        using h = tensor(engine, high, [n, 10]);
        using l = tensor(engine, low, [n, 2]);
        const got = await trustworthiness(engine, h, l, { k, metric });
        const want = trustworthinessReference(high, low, n, { k, metric });
        assert(Math.abs(got - want) <= 1e-12, `${got} vs ${want}`);
        assert(want > 0.5 && want < 0.99, `a non-trivial score: ${want}`);
      },
    );
  }
}

testGpu('trustworthiness: an isometric embedding scores 1', getEngine, async (engine) => {
  const n = 50;
  const pts = uniform(n * 2, 3);
  const shifted = pts.map((v) => 2 * v + 1);
  using h = tensor(engine, pts, [n, 2]);
  using l = tensor(engine, shifted, [n, 2]);
  assertEquals(await trustworthiness(engine, h, l, { k: 5 }), 1);
  assertEquals(trustworthinessReference(pts, shifted, n, { k: 5 }), 1);
});

testGpu('trustworthiness: bad shapes and k are rejected', getEngine, async (engine) => {
  using h = tensor(engine, uniform(40, 1), [10, 4]);
  using l = tensor(engine, uniform(18, 2), [9, 2]);
  using l10 = tensor(engine, uniform(20, 2), [10, 2]);
  await assertRejects(() => trustworthiness(engine, h, l), ShapeError, '[9, 2]');
  await assertRejects(() => trustworthiness(engine, h, l10, { k: 5 }), ArgumentError, 'k');
  await assertRejects(() => trustworthiness(engine, h, l10, { k: 0 }), ArgumentError, 'k');
  assertEquals(await trustworthiness(engine, h, l10, { k: 2 }) <= 1, true);
});

testGpu('neighbourPreservation: counts kept neighbours', getEngine, () => {
  // Two points: point 0 keeps 1 of its 2 high neighbours within its 3 low ones, point 1 both.
  const high = [1, 2, 0, 3];
  const low = [1, 5, 6, 3, 0, 9];
  assertEquals(neighbourPreservation(high, low, 2, 3), 0.75);
  assertEquals(neighbourPreservation([], [], 2, 3), 1);
  assertThrows(() => neighbourPreservation(high, low, 2, 2), ArgumentError, 'rows');
  assertThrows(() => neighbourPreservation(high, low, 0, 3), ArgumentError, 'positive');
  return Promise.resolve();
});
