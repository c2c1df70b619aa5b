// cumSum / cumSumBackward against the f64 reference. Sequential f32 sums: element j is within
// j·u·Σ_{i ≤ j}|x_i| (u = 2⁻²⁴) of the exact sum; i32 is exact.
import { assertArrayEquals, assertClose } from '../../test/assert.ts';
import { finiteDifferenceGradient } from '../../test/finite_difference.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { cumSum, cumSumBackward, cumSumReference } from './cum_sum.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

// [shape, axis]: 1-D, lines of 63/64/65 elements, more lines than a workgroup (65 and 130), the
// middle axis of a rank-3 tensor.
const CASES: [number[], number][] = [
  [[5], 0],
  [[3, 63], 1],
  [[64, 2], 0],
  [[65, 3], -1],
  [[2, 65, 65], 1],
  [[130, 1], 1],
];

const FLAGS = [
  { exclusive: false, reverse: false },
  { exclusive: true, reverse: false },
  { exclusive: false, reverse: true },
  { exclusive: true, reverse: true },
];

testGpu('cumSum: f32 within j·u·Σ|x|, i32 exact, every flag', getEngine, async (e) => {
  for (const engine of [e, await getFolding()]) {
    for (const [shape, axis] of CASES) {
      const x = uniform(sizeOf(shape), 1);
      const xi = Int32Array.from(integers(sizeOf(shape), 2, -50, 50));
      using tx = tensor(engine, x, shape);
      using ti = tensor(engine, xi, shape);
      const len = shape.at(axis)!;
      for (const flags of FLAGS) {
        const ref = cumSumReference(x, shape, { axis, ...flags });
        using y = cumSum(engine, tx, { axis, ...flags });
        const bound = ref.magnitude.map((m) => len * u * m);
        assertClose(await y.read(), ref.data, { atol: 1e-30, bound }, `${shape} ${axis}`);
        using yi = cumSum(engine, ti, { axis, ...flags });
        const refI = cumSumReference(xi, shape, { axis, ...flags });
        assertArrayEquals(await yi.read(), Int32Array.from(refI.data), `i32 ${shape}`);
      }
    }
  }
});

testGpu('cumSumBackward: matches central differences of cumSumReference', getEngine, async (e) => {
  for (const [shape, axis] of CASES.slice(0, 4)) {
    const x = uniform(sizeOf(shape), 3);
    const dy = uniform(sizeOf(shape), 4);
    using tdy = tensor(e, dy, shape);
    for (const flags of FLAGS) {
      const fd = finiteDifferenceGradient(
        (p) => cumSumReference(p, shape, { axis, ...flags }).data,
        x,
        dy,
        1e-3,
      );
      using dx = cumSumBackward(e, tdy, { axis, ...flags });
      // The gradient is a reverse cumulative sum of dy: its own f32 bound, plus FD rounding.
      const ref = cumSumReference(dy, shape, { axis, ...flags, reverse: !flags.reverse });
      const bound = ref.magnitude.map((m) => shape.at(axis)! * u * m + 1e-9);
      assertClose(ref.data, fd, { atol: 1e-9 }, `reference ${shape} ${JSON.stringify(flags)}`);
      assertClose(await dx.read(), fd, { bound }, `gpu ${shape} ${JSON.stringify(flags)}`);
    }
  }
});
