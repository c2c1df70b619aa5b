import { assertArrayEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { transpose, transposeReference } from './transpose.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const CASES: [number[], number[] | undefined][] = [
  [[1], undefined],
  [[65], [0]],
  [[1, 1], undefined],
  [[63, 65], undefined],
  [[3, 64], [1, 0]],
  [[2, 3, 4], [2, 0, 1]],
  [[2, 3, 4, 5], [3, 1, 0, 2]],
  [[2, 1, 3, 1, 5], [-1, 0, 2, 1, 3]],
  [[], []],
];

testGpu('transpose: permutations against the CPU reference (exact)', getEngine, async (engine) => {
  for (const [shape, perm] of CASES) {
    const data = uniform(sizeOf(shape), shape.length + 3);
    using x = tensor(engine, data, shape);
    using y = transpose(engine, x, { perm });
    const ref = transposeReference(data, shape, perm);
    assertArrayEquals(y.shape, ref.shape, `shape of ${shape} by ${perm}`);
    assertArrayEquals(await y.read(), ref.data, `${shape} by ${perm}`);
  }
});

testGpu('transpose: i32 tensors move bit for bit', getEngine, async (engine) => {
  const data = Int32Array.from(integers(24, 2, -1000000, 1000000));
  using x = tensor(engine, data, [2, 3, 4]);
  using y = transpose(engine, x, { perm: [1, 2, 0] });
  assertArrayEquals(y.shape, [3, 4, 2]);
  const out = await y.read();
  assertArrayEquals(out, transposeReference(data, [2, 3, 4], [1, 2, 0]).data);
  if (!(out instanceof Int32Array)) throw new Error('expected Int32Array');
});

testGpu('transpose: folded dispatch', getFolding, async (engine) => {
  const data = uniform(60 * 25, 9); // 24 workgroups: a 4×4×2 grid
  using x = tensor(engine, data, [60, 25]);
  using y = transpose(engine, x);
  assertArrayEquals(await y.read(), transposeReference(data, [60, 25]).data);
});

testGpu('transpose: rejects a perm that is not a permutation', getEngine, async (engine) => {
  using x = tensor(engine, uniform(6, 1), [2, 3]);
  assertThrows(() => transpose(engine, x, { perm: [0, 0] }), ArgumentError, 'not a permutation');
  assertThrows(() => transpose(engine, x, { perm: [0, 1, 2] }), ArgumentError, 'not a permutation');
  await Promise.resolve();
});
