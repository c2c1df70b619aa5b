import { assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { logSoftmax, softmax, softmaxReference } from './softmax.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;
// exp of a non-positive argument is within a few ulp; the row sum adds ~(len/64 + 6)·u relative
// (sequential per lane, pairwise across 64 lanes); one division. For len ≤ 1000 that is < 64 ulp.
const SOFTMAX_TOL = { rtol: 64 * u, atol: 1e-9 };
// log-softmax: x − max is exact-ish (one rounding of a value up to |range|), log of the sum is
// within 3 ulp plus the sum's error: an absolute bound scaled by the inputs' range (±16 here).
const LOG_TOL = { rtol: 8 * u, atol: 64 * u * 16 };

const CASES: [number[], number][] = [
  [[1], -1],
  [[1, 63], -1],
  [[3, 64], -1],
  [[2, 65], -1],
  [[5, 1000], 1],
  [[4, 7, 3], 1],
  [[4, 7, 3], 0],
  [[2, 3, 5, 2], 2],
];

testGpu('softmax: rows and inner axes against f64', getEngine, async (engine) => {
  for (const [shape, axis] of CASES) {
    const data = uniform(sizeOf(shape), shape[shape.length - 1], -16, 16);
    using x = tensor(engine, data, shape);
    using y = softmax(engine, x, { axis });
    using z = logSoftmax(engine, x, { axis });
    const ref = softmaxReference(data, shape, { axis });
    const refLog = softmaxReference(data, shape, { axis, log: true });
    assertClose(await y.read(), ref, SOFTMAX_TOL, `softmax ${shape} axis ${axis}`);
    assertClose(await z.read(), refLog, LOG_TOL, `logSoftmax ${shape} axis ${axis}`);
  }
});

testGpu('softmax: stable for large logits (no overflow, no NaN)', getEngine, async (engine) => {
  const data = [1000, 999, -1000, 80, 88.5, 89];
  using x = tensor(engine, data, [2, 3]);
  using y = softmax(engine, x);
  using z = logSoftmax(engine, x);
  assertClose(await y.read(), softmaxReference(data, [2, 3]), SOFTMAX_TOL);
  assertClose(await z.read(), softmaxReference(data, [2, 3], { log: true }), {
    rtol: 8 * u,
    atol: 1e-5,
  });
});

testGpu('softmax: folded dispatch over many rows', getFolding, async (engine) => {
  const shape = [20, 5];
  const data = uniform(100, 4, -3, 3);
  using x = tensor(engine, data, shape);
  using y = softmax(engine, x);
  assertClose(await y.read(), softmaxReference(data, shape), SOFTMAX_TOL);
});

testGpu('softmax: rejects scalars and bad axes', getEngine, async (engine) => {
  using s = tensor(engine, [1], []);
  assertThrows(() => softmax(engine, s), ArgumentError, 'rank >= 1');
  using x = tensor(engine, uniform(6, 1), [2, 3]);
  assertThrows(() => softmax(engine, x, { axis: 2 }), ArgumentError, 'axis 2 is out of range');
  await Promise.resolve();
});
