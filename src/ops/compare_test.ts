import { assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  compare,
  COMPARE_OPS,
  type CompareOp,
  compareReference,
  equal,
  logical,
  logicalNot,
  type LogicalOp,
  logicalReference,
} from './compare.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const SHAPES: [number[], number[]][] = [
  [[1], [1]],
  [[63], [63]],
  [[65], [65]],
  [[5, 13], []],
  [[], [5, 13]],
  [[4, 1, 3], [5, 1]],
  [[3, 1], [1, 64]],
  [[2, 0, 3], [3]],
];

// Few distinct values, so that ties (where less and lessOrEqual differ) are common.
function values(n: number, seed: number) {
  return integers(n, seed, -3, 4);
}

for (const op of Object.keys(COMPARE_OPS) as CompareOp[]) {
  testGpu(`compare ${op}: f32 and i32, broadcasting, exact`, getEngine, async (engine) => {
    for (const [aShape, bShape] of SHAPES) {
      const a = values(sizeOf(aShape), 3 + aShape.length);
      const b = values(sizeOf(bShape), 5 + bShape.length).map((v) => v / 2);
      const ref = compareReference(op, a, aShape, b, bShape);
      for (const dtype of ['f32', 'i32'] as const) {
        const bb = dtype === 'i32' ? b.map(Math.round) : b;
        const refD = dtype === 'i32' ? compareReference(op, a, aShape, bb, bShape) : ref;
        using ta = tensor(engine, a, aShape, { dtype });
        using tb = tensor(engine, bb, bShape, { dtype });
        using y = compare(engine, op, ta, tb);
        assertEquals(y.dtype, 'i32', 'result dtype');
        assertArrayEquals(y.shape, refD.shape, `${op} shape`);
        assertArrayEquals(await y.read(), refD.data, `${op} ${dtype} ${aShape} × ${bShape}`);
      }
    }
  });
}

testGpu('compare: NaN compares false, -0 equals +0, infinities order', getEngine, async (e) => {
  const a = new Float32Array([NaN, NaN, 1, -0, Infinity, -Infinity, 2]);
  const b = new Float32Array([NaN, 1, NaN, 0, Infinity, 0, 2]);
  using ta = tensor(e, a);
  using tb = tensor(e, b);
  for (const op of Object.keys(COMPARE_OPS) as CompareOp[]) {
    using y = compare(e, op, ta, tb);
    assertArrayEquals(await y.read(), compareReference(op, a, [7], b, [7]).data, op);
  }
  using eq = equal(e, ta, tb);
  assertArrayEquals(await eq.read(), [0, 0, 0, 1, 1, 0, 1], 'equal');
});

testGpu('logical and/or/xor/not on i32, broadcasting', getEngine, async (engine) => {
  for (const [aShape, bShape] of SHAPES) {
    // Non-zero values other than 1 count as true.
    const a = Int32Array.from(integers(sizeOf(aShape), 9, -1, 3));
    const b = Int32Array.from(integers(sizeOf(bShape), 11, 0, 2));
    using ta = tensor(engine, a, aShape);
    using tb = tensor(engine, b, bShape);
    for (const op of ['and', 'or', 'xor'] as LogicalOp[]) {
      using y = logical(engine, op, ta, tb);
      const ref = logicalReference(op, a, aShape, b, bShape);
      assertArrayEquals(y.shape, ref.shape, `${op} shape`);
      assertArrayEquals(await y.read(), ref.data, `${op} ${aShape} × ${bShape}`);
    }
    using n = logicalNot(engine, ta);
    assertArrayEquals(n.shape, aShape, 'not shape');
    assertArrayEquals(await n.read(), logicalReference('not', a, aShape).data, `not ${aShape}`);
  }
});

testGpu('compare: folded dispatch', getFolding, async (engine) => {
  const a = values(1500, 1);
  const b = values(50, 2);
  using ta = tensor(engine, a, [30, 50]);
  using tb = tensor(engine, b, [50]);
  using y = compare(engine, 'lessOrEqual', ta, tb);
  assertArrayEquals(await y.read(), compareReference('lessOrEqual', a, [30, 50], b, [50]).data);
});

testGpu('compare: errors name the op, shapes and dtypes', getEngine, async (engine) => {
  using a = tensor(engine, [1, 2, 3], [3]);
  using b = tensor(engine, [1, 2], [2]);
  using i = tensor(engine, new Int32Array([1, 0, 1]));
  assertThrows(() => compare(engine, 'less', a, b), ShapeError, 'less: shapes [3] and [2]');
  assertThrows(() => compare(engine, 'less', a, i), ArgumentError, 'a [3] is f32 but b [3] is i32');
  assertThrows(() => logical(engine, 'and', a, a), ArgumentError, 'and: a must be i32');
  assertThrows(() => logicalNot(engine, a), ArgumentError, 'not: x must be i32');
  assertThrows(() => compare(engine, 'notEqual' as CompareOp, a, a), ArgumentError, 'unknown op');
  await Promise.resolve();
});
