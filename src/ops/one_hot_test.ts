// oneHot against its f64 reference: a selection, so exact.
import { assertArrayEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { oneHot, oneHotReference } from './one_hot.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

// [indices shape, depth, axis]: class labels, the new axis first / middle / last, sizes around
// the workgroup (depth 63..65), a scalar index.
const CASES: [number[], number, number][] = [
  [[7], 10, -1],
  [[2, 3], 5, 0],
  [[2, 3], 4, 1],
  [[3, 2], 65, -1],
  [[1, 63], 2, -2],
  [[], 64, 0],
];

testGpu('oneHot: i32 and f32 indices match the reference exactly', getEngine, async (e) => {
  for (const engine of [e, await getFolding()]) {
    for (const [shape, depth, axis] of CASES) {
      // In range, negative, and out of range on both sides (rows of `off`).
      const raw = integers(sizeOf(shape), 1, -depth - 2, depth + 2);
      const want = oneHotReference(raw, shape, { depth, axis, values: [-2, 3] });
      using ti = tensor(engine, Int32Array.from(raw), shape);
      using out = oneHot(engine, ti, { depth, axis, values: [-2, 3] });
      assertArrayEquals(out.shape, want.shape, 'shape');
      assertArrayEquals(await out.read(), Float32Array.from(want.data), `${shape} ${depth}`);
      // Float indices truncate toward zero.
      const floats = raw.map((v) => v + (v >= 0 ? 0.75 : -0.75));
      using tf = tensor(engine, floats, shape);
      using values = tensor(engine, new Int32Array([0, 9]), [2]);
      using outF = oneHot(engine, tf, { depth, axis, values });
      const wantF = oneHotReference(floats, shape, { depth, axis, values: [0, 9] });
      assertArrayEquals(await outF.read(), Int32Array.from(wantF.data), `float ${shape}`);
    }
  }
});

testGpu('oneHot: typed errors', getEngine, (e) => {
  using ti = tensor(e, new Int32Array([0, 1]), [2]);
  assertThrows(() => oneHot(e, ti, { depth: 0 }), ArgumentError, 'depth');
  assertThrows(() => oneHot(e, ti, { depth: 3, axis: 2 }), ArgumentError, 'axis 2');
  using three = tensor(e, [0, 1, 2], [3]);
  assertThrows(() => oneHot(e, ti, { depth: 3, values: three }), ArgumentError, 'two elements');
  return Promise.resolve();
});
