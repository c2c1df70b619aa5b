import { assertArrayEquals, assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { reduce, type ReduceOp, type ReduceOptions, reduceReference } from './reduce.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;
const OPS: ReduceOp[] = [
  'sum',
  'mean',
  'max',
  'min',
  'argmax',
  'argmin',
  'prod',
  'l1',
  'l2',
  'sumSquare',
  'logSumExp',
];

/** Test data for `op`: products get factors of magnitude in [1/2, 3/2] so that they stay finite. */
function dataFor(op: ReduceOp, data: Float32Array): Float32Array {
  if (op !== 'prod') return data;
  const lo = data.reduce((a, b) => Math.min(a, b), Infinity);
  const hi = data.reduce((a, b) => Math.max(a, b), -Infinity);
  const span = Math.max(1e-30, hi - lo);
  return data.map((v) => {
    const t = (v - lo) / span; // [0, 1]
    return Math.fround((t < 0.5 ? -1 : 1) * (0.5 + 2 * Math.abs(t - 0.5)));
  });
}

// Sums: f32 accumulation of len terms in any order is within (len + 1)·u·Σ|x| of the exact sum;
// the mean adds one rounding of the scale, l1 none (|x| is exact), sumSquare one rounding per
// square (magnitude Σx²), l2 = √ of it halves the relative error and adds one rounding: all
// within (len + 2)·u·magnitude. prod: len roundings of the running products, (len + 2)·u
// relative, and below f32's normal range (2⁻¹²⁶) the partial products lose bits: plus
// 2⁻¹²⁶ absolute. logSumExp = m + log s, s = Σ exp(x − m) ∈ [1, len]: each term's exp is within
// 3 + 2|x − m| ulp (|x − m| ≤ 10 for data in [−5, 5]: 23 ulp = 46u), the sum adds (len + 1)u
// relative, so log s is within (len + 48)u absolute, plus log's own 2⁻²¹ and the rounding of
// m + log s (u·|m + log s| ≤ u·magnitude). max/min/argmax/argmin select an element: exact.
async function check(
  engine: Engine,
  op: ReduceOp,
  data: Float32Array,
  shape: number[],
  options: ReduceOptions,
): Promise<void> {
  using x = tensor(engine, data, shape);
  using y = reduce(engine, op, x, options);
  const ref = reduceReference(op, data, shape, options);
  assertArrayEquals(y.shape, ref.shape, `${op} shape ${shape} ${JSON.stringify(options)}`);
  const out = await y.read();
  const what = `${op} ${shape} ${JSON.stringify(options)}`;
  const len = options.axis === undefined ? sizeOf(shape) : shape.at(options.axis)!;
  if (['sum', 'mean', 'l1', 'l2', 'sumSquare'].includes(op)) {
    const bound = ref.magnitude.map((m) => (len + 2) * u * m);
    assertClose(out, ref.data, { atol: 1e-30, bound }, what);
  } else if (op === 'prod') {
    const bound = ref.magnitude.map((m) => (len + 2) * u * m);
    assertClose(out, ref.data, { atol: 2 ** -126, bound }, what);
  } else if (op === 'logSumExp') {
    const bound = ref.magnitude.map((m) => (len + 48) * u * m);
    assertClose(out, ref.data, { atol: 2 ** -21, bound }, what);
  } else {
    assertEquals(out instanceof Int32Array, op.startsWith('arg'), `${op} dtype`);
    assertArrayEquals(out, ref.data, what);
  }
}

const CASES: [number[], ReduceOptions][] = [
  [[1], { axis: 0 }],
  [[63], {}],
  [[64], { axis: 0 }],
  [[65], { axis: -1, keepDims: true }],
  [[3, 1000], { axis: 1 }],
  [[1000, 3], { axis: 0 }],
  [[4, 65, 5], { axis: 1 }],
  [[4, 65, 5], { axis: 2, keepDims: true }],
  [[2, 3, 4], {}],
  [[2, 3, 4], { keepDims: true }],
  [[5, 1, 7], { axis: 1 }],
];

for (const op of OPS) {
  testGpu(`reduce ${op}: axes and full reductions against f64`, getEngine, async (engine) => {
    for (const [shape, options] of CASES) {
      const data = dataFor(op, uniform(sizeOf(shape), sizeOf(shape), -5, 5));
      await check(engine, op, data, shape, options);
    }
  });
}

testGpu(
  'reduce: long axes take several passes, recorded without readback',
  getEngine,
  async (engine) => {
    for (const op of OPS) {
      // 300,001 elements: 147 spans in the first pass, then one.
      await check(engine, op, dataFor(op, uniform(300_001, 42, -1, 1)), [300_001], {});
      // Few outputs over a long axis: split into spans per output.
      const data = dataFor(op, uniform(2 * 20_000, 43, -1, 1));
      await check(engine, op, data, [2, 20_000], { axis: 1 });
    }
  },
);

testGpu('reduce: ties go to the lowest index', getEngine, async (engine) => {
  const data = integers(5000, 1, 0, 3); // many equal maxima and minima, across spans and lanes
  for (const op of ['argmax', 'argmin'] as const) {
    await check(engine, op, data, [5000], {});
    await check(engine, op, data, [50, 100], { axis: 1 });
    await check(engine, op, data, [50, 100], { axis: 0 });
    for (const selectLastIndex of [true, false]) {
      await check(engine, op, data, [5000], { selectLastIndex });
      await check(engine, op, data, [50, 100], { axis: 1, selectLastIndex });
      await check(engine, op, data, [50, 100], { axis: 0, selectLastIndex, keepDims: true });
    }
  }
  using x = tensor(engine, [1, 3, 3, 0, 3, 0], [6]);
  using first = reduce(engine, 'argmax', x);
  using last = reduce(engine, 'argmax', x, { selectLastIndex: true });
  using lastMin = reduce(engine, 'argmin', x, { selectLastIndex: true });
  assertArrayEquals([...await first.read(), ...await last.read(), ...await lastMin.read()], [
    1,
    4,
    5,
  ]);
});

testGpu('reduce: log-sum-exp with infinities and large values', getEngine, async (engine) => {
  const inf = Infinity;
  const rows = [
    [-inf, -inf, -inf], // all −inf: −inf
    [inf, 1, -inf], // +inf
    [-inf, 0, 0], // log 2
    [1000, 1000, 999], // no overflow: 1000 + log(2 + 1/e)
    [-1000, -1001, -inf], // no underflow
  ];
  const data = rows.flat();
  using x = tensor(engine, data, [5, 3]);
  using y = reduce(engine, 'logSumExp', x, { axis: 1 });
  const ref = reduceReference('logSumExp', data, [5, 3], { axis: 1 });
  assertClose(await y.read(), ref.data, { atol: 2 ** -21, rtol: 4 * u }, 'logSumExp');
  assertArrayEquals(ref.data.slice(0, 2), [-inf, inf]);
  const nan = new Float32Array([1, NaN, 3]);
  using xn = tensor(engine, nan);
  using yn = reduce(engine, 'logSumExp', xn);
  assertEquals(Number.isNaN((await yn.read())[0]), true, 'NaN propagates');
});

testGpu('reduce: product with zeros, signs; empty axes', getEngine, async (engine) => {
  const data = [2, -3, 0.5, 4, 0, -1, -2, -2, -0.25];
  using x = tensor(engine, data, [3, 3]);
  using y = reduce(engine, 'prod', x, { axis: 1 });
  assertArrayEquals(await y.read(), [-3, -0, -1]);
  using e = tensor(engine, [], [2, 0]);
  for (const [op, want] of [['prod', 1], ['l1', 0], ['l2', 0], ['sumSquare', 0]] as const) {
    using r = reduce(engine, op, e, { axis: 1 });
    assertArrayEquals(await r.read(), [want, want], op);
  }
  using l = reduce(engine, 'logSumExp', e, { axis: 1 });
  assertArrayEquals(await l.read(), [-Infinity, -Infinity], 'logSumExp of nothing');
});

testGpu(
  'reduce: NaN propagates through max/min/argmax (bit-pattern test)',
  getEngine,
  async (engine) => {
    const data = uniform(3000, 5);
    data[1234] = NaN;
    data[2500] = NaN;
    for (const op of ['max', 'min', 'argmax', 'argmin'] as const) {
      await check(engine, op, data, [3000], {});
    }
    using x = tensor(engine, data, [3000]);
    using m = reduce(engine, 'argmax', x);
    assertArrayEquals(await m.read(), [1234]);
  },
);

testGpu('reduce: folded dispatch', getFolding, async (engine) => {
  for (const op of OPS) await check(engine, op, uniform(600, 8), [30, 20], { axis: 1 });
  for (const op of OPS) await check(engine, op, uniform(50_000, 9), [50_000], {});
});

testGpu('reduce: empty axes and bad options', getEngine, async (engine) => {
  using e = tensor(engine, [], [3, 0]);
  using s = reduce(engine, 'sum', e, { axis: 1 });
  assertArrayEquals(await s.read(), [0, 0, 0]);
  assertThrows(
    () => reduce(engine, 'max', e, { axis: 1 }),
    ArgumentError,
    'reduced axis of [3, 0] is empty',
  );
  using x = tensor(engine, uniform(6, 1), [2, 3]);
  assertThrows(
    () => reduce(engine, 'sum', x, { axis: 2 }),
    ArgumentError,
    'axis 2 is out of range',
  );
  assertThrows(() => reduce(engine, 'median' as ReduceOp, x), ArgumentError, "unknown op 'median'");
  assertThrows(
    () => reduce(engine, 'max', x, { selectLastIndex: true }),
    ArgumentError,
    'selectLastIndex applies to argmax/argmin only',
  );
});
