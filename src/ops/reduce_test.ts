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
const OPS: ReduceOp[] = ['sum', 'mean', 'max', 'min', 'argmax', 'argmin'];

// Sums: f32 accumulation of len terms in any order is within (len + 1)·u·Σ|x| of the exact sum;
// the mean adds one rounding of the scale. max/min/argmax/argmin select an element: exact.
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
  if (op === 'sum' || op === 'mean') {
    const len = options.axis === undefined ? sizeOf(shape) : shape.at(options.axis)!;
    const bound = ref.magnitude.map((m) => (len + 2) * u * m);
    assertClose(out, ref.data, { atol: 1e-30, bound }, what);
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
      await check(engine, op, uniform(sizeOf(shape), sizeOf(shape), -5, 5), shape, options);
    }
  });
}

testGpu(
  'reduce: long axes take several passes, recorded without readback',
  getEngine,
  async (engine) => {
    for (const op of OPS) {
      // 300,001 elements: 147 spans in the first pass, then one.
      await check(engine, op, uniform(300_001, 42, -1, 1), [300_001], {});
      // Few outputs over a long axis: split into spans per output.
      await check(engine, op, uniform(2 * 20_000, 43, -1, 1), [2, 20_000], { axis: 1 });
    }
  },
);

testGpu('reduce: ties go to the lowest index', getEngine, async (engine) => {
  const data = integers(5000, 1, 0, 3); // many equal maxima and minima, across spans and lanes
  for (const op of ['argmax', 'argmin'] as const) {
    await check(engine, op, data, [5000], {});
    await check(engine, op, data, [50, 100], { axis: 1 });
    await check(engine, op, data, [50, 100], { axis: 0 });
  }
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
});
