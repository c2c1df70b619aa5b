import { assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  split,
  type SplitOptions,
  splitOutputShapes,
  splitReference,
  splitSizes,
} from './split.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const CASES: [number[], SplitOptions, number[]][] = [
  [[6], { numOutputs: 3 }, [2, 2, 2]],
  [[6], { sizes: [2, 4] }, [2, 4]],
  [[2, 6], { axis: 1, numOutputs: 2 }, [3, 3]],
  [[2, 6], { axis: -1, sizes: [2, 4] }, [2, 4]],
  [[7], { numOutputs: 4 }, [2, 2, 2, 1]], // opset 18: the last part is smaller
  [[3, 129], { axis: 1, sizes: [63, 1, 65] }, [63, 1, 65]],
  [[4, 3, 2], { axis: 0, sizes: [0, 4, 0] }, [0, 4, 0]], // empty parts
  [[2, 3, 5, 2], { axis: 2, numOutputs: 1 }, [5]],
  [[1], { numOutputs: 1 }, [1]],
];

testGpu('split: cases against the CPU reference, f32 and i32 (exact)', getEngine, async (e) => {
  for (const [shape, options, sizes] of CASES) {
    assertArrayEquals(splitSizes(shape, options), sizes, `sizes ${shape}`);
    for (const dtype of ['f32', 'i32'] as const) {
      const data = integers(sizeOf(shape), shape.length, -1e6, 1e6);
      using x = tensor(e, data, shape, { dtype });
      const parts = split(e, x, options);
      try {
        const ref = splitReference(data, shape, options);
        const shapes = splitOutputShapes(shape, options);
        assertEquals(parts.length, sizes.length, 'part count');
        for (let i = 0; i < parts.length; i++) {
          const what = `${dtype} ${shape} ${JSON.stringify(options)} part ${i}`;
          assertEquals(parts[i].dtype, dtype, what);
          assertArrayEquals(parts[i].shape, ref[i].shape, what);
          assertArrayEquals(parts[i].shape, shapes[i], what);
          assertArrayEquals(await parts[i].read(), ref[i].data, what);
        }
      } finally {
        for (const p of parts) p.destroy();
      }
    }
  }
});

testGpu('split: reference agrees with hand-computed values', getEngine, async () => {
  const ref = splitReference([1, 2, 3, 4, 5, 6], [2, 3], { axis: 1, sizes: [1, 2] });
  assertArrayEquals(ref[0].data, [1, 4]);
  assertArrayEquals(ref[1].data, [2, 3, 5, 6]);
  assertArrayEquals(ref[1].shape, [2, 2]);
  await Promise.resolve();
});

testGpu('split: folded dispatch', getFolding, async (engine) => {
  const data = uniform(30 * 100, 5);
  using x = tensor(engine, data, [30, 100]);
  const parts = split(engine, x, { axis: 1, sizes: [50, 50] });
  const ref = splitReference(data, [30, 100], { axis: 1, sizes: [50, 50] });
  for (let i = 0; i < 2; i++) {
    assertArrayEquals(await parts[i].read(), ref[i].data, `part ${i}`);
    parts[i].destroy();
  }
});

testGpu('split: rejects bad sizes, counts and axes', getEngine, async (engine) => {
  using x = tensor(engine, uniform(6, 1), [2, 3]);
  const bad: [SplitOptions, string][] = [
    [{ axis: 1, sizes: [1, 1] }, 'sizes [1, 1] sum to 2, but axis 1 has length 3'],
    [{ axis: 1, sizes: [4, -1] }, 'non-negative integers'],
    [{ axis: 1 }, 'either sizes or numOutputs'],
    [{ axis: 1, sizes: [3], numOutputs: 1 }, 'either sizes or numOutputs'],
    [{ axis: 1, numOutputs: 0 }, 'numOutputs must be a positive integer'],
    [{ axis: 0, numOutputs: 4 }, 'cannot be split into 4 parts'],
    [{ axis: 2, numOutputs: 1 }, 'axis 2 is out of range'],
  ];
  for (const [options, message] of bad) {
    assertThrows(() => split(engine, x, options), ArgumentError, message);
  }
  using s = tensor(engine, [1], []);
  assertThrows(() => split(engine, s, { numOutputs: 1 }), ArgumentError, 'rank >= 1');
  await Promise.resolve();
});
