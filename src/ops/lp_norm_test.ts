import { assertClose, assertThrows } from '../../test/assert.ts';
import { finiteDifferenceGradient } from '../../test/finite_difference.ts';
import { sharedEngine, test, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  lpNormalization,
  lpNormalizationBackward,
  lpNormalizationBackwardReference,
  lpNormalizationReference,
} from './lp_norm.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

/** k of lp_norm.wgsl's sums: len/64 sequential terms per lane, then log2 64 pairwise levels. */
const depth = (len: number) => len / 64 + 6;

// [shape, axis, p]: rows of 1, 63/64/65 and 200 elements, the first, a middle and the last axis.
const CASES: [number[], number, 1 | 2][] = [
  [[3, 1], -1, 2],
  [[2, 63], -1, 1],
  [[4, 64], 1, 2],
  [[3, 65], -1, 1],
  [[200, 2], 0, 2],
  [[2, 5, 3, 4], 1, 1],
  [[2, 5, 3, 4], 2, 2],
  [[7], 0, 2],
];

testGpu('lpNormalization: forward and backward against f64', getEngine, async (e) => {
  let worstForward = 0;
  let worstBackward = 0;
  for (const [shape, axis, p] of CASES) {
    const name = `[${shape}] axis ${axis} p ${p}`;
    const data = uniform(sizeOf(shape), shape.length * 13 + p, -2, 2);
    const g = uniform(sizeOf(shape), 77 + p, -1, 1);
    using x = tensor(e, data, shape);
    using dy = tensor(e, g, shape);
    using y = lpNormalization(e, x, { axis, p });
    using dx = lpNormalizationBackward(e, x, dy, { axis, p });
    const len = shape[axis < 0 ? axis + shape.length : axis];
    const ref = lpNormalizationReference(data, shape, { axis, p });
    // The norm errs by depth·u relatively (non-negative terms), sqrt and the division by 2u more.
    worstForward = Math.max(
      worstForward,
      assertClose(await y.read(), ref.data, {
        bound: ref.data.map((v) => (depth(len) + 3) * u * Math.abs(v)),
      }, name),
    );
    // Backward: Σ g·x errs by depth·u·Σ|g·x|, the norm as above, then 4 roundings; twice that for
    // the unlisted cross terms.
    const refB = lpNormalizationBackwardReference(data, g, shape, { axis, p });
    worstBackward = Math.max(
      worstBackward,
      assertClose(await dx.read(), refB.data, {
        bound: refB.magnitude.map((m) => 2 * (depth(len) + 4) * u * m),
      }, name),
    );
  }
  console.log(
    `lpNormalization: worst ${worstForward.toFixed(3)} (forward), ` +
      `${worstBackward.toFixed(3)} (backward) of the bound`,
  );
});

testGpu('lpNormalization: rows of norm 0 give 0 (forward and backward)', getEngine, async (e) => {
  using x = tensor(e, [0, 0, 0, 3, -4, 0], [2, 3]);
  using dy = tensor(e, [1, 2, 3, 1, 1, 1], [2, 3]);
  for (const p of [1, 2] as const) {
    using y = lpNormalization(e, x, { p });
    const want = lpNormalizationReference([0, 0, 0, 3, -4, 0], [2, 3], { p }).data;
    assertClose(await y.read(), want, { rtol: 4 * u });
    using dx = lpNormalizationBackward(e, x, dy, { p });
    const d = await dx.read();
    assertClose(d.slice(0, 3), [0, 0, 0], { atol: 0 });
  }
});

testGpu('lpNormalization: folded dispatch over many rows', getFolding, async (e) => {
  const shape = [3, 10, 7];
  const data = uniform(sizeOf(shape), 5, -1, 1);
  using x = tensor(e, data, shape);
  using y = lpNormalization(e, x, { axis: 1 });
  const ref = lpNormalizationReference(data, shape, { axis: 1 });
  assertClose(await y.read(), ref.data, { bound: ref.data.map((v) => 10 * u * Math.abs(v)) });
});

test('lpNormalization backward reference matches finite differences', () => {
  for (const [shape, axis, p] of [[[2, 5, 3], 1, 2], [[4, 6], -1, 1], [[3, 4], 0, 2]] as const) {
    const x = uniform(sizeOf(shape), 31, -2, 2);
    const g = uniform(sizeOf(shape), 32, -1, 1);
    const numeric = finiteDifferenceGradient(
      (v) => lpNormalizationReference(v, shape, { axis, p }).data,
      x,
      g,
    );
    const exact = lpNormalizationBackwardReference(x, g, shape, { axis, p }).data;
    assertClose(exact, numeric, { atol: 1e-8, rtol: 1e-6 }, `[${shape}] p ${p}`);
  }
});

testGpu('lpNormalization: errors', getEngine, async (e) => {
  using x = tensor(e, [1, 2, 3, 4], [2, 2]);
  assertThrows(() => lpNormalization(e, x, { p: 3 }), ArgumentError, 'p must be 1 or 2');
  assertThrows(() => lpNormalization(e, x, { axis: 2 }), ArgumentError, 'axis 2');
  using dy = tensor(e, [1, 2], [2]);
  assertThrows(() => lpNormalizationBackward(e, x, dy), ShapeError, "x's shape");
  await Promise.resolve();
});
