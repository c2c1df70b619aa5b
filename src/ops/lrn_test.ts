import { assertClose, assertThrows } from '../../test/assert.ts';
import { finiteDifferenceGradient } from '../../test/finite_difference.ts';
import { sharedEngine, test, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { lrn, lrnBackward, lrnBackwardReference, type LrnOptions, lrnReference } from './lrn.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

// [shape, options]: odd and even windows, a window wider than C, a window of 1, rank 2–5,
// AlexNet's parameters (size 5, bias 2) and large alpha (so the window term matters).
const CASES: [number[], LrnOptions][] = [
  [[2, 5, 3, 3], { size: 3, alpha: 0.5, beta: 0.75, bias: 1 }],
  [[1, 7, 4, 5], { size: 4, alpha: 0.3, beta: 0.5, bias: 2 }],
  [[1, 3, 10], { size: 7, alpha: 1, beta: 1.5, bias: 1.5 }],
  [[2, 6], { size: 1, alpha: 0.2, beta: 0.75, bias: 1 }],
  [[1, 8, 2, 3, 2], { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 }],
  [[1, 9, 11, 7], { size: 5, alpha: 2, beta: 0.6, bias: 1 }],
];

/**
 * Per-element bound (see lrn.wgsl): the window sum errs by size·u relatively; pow inherits
 * log2's absolute 2⁻²¹ = 8u times |e| plus exp2's (3 + 2|e·log2 s|) ulp, e = −beta (−beta − 1
 * in the backward terms); 4 more roundings.
 */
function powError(size: number, e: number, s: number): number {
  return (size + 8 * Math.abs(e) + 3 + 2 * Math.abs(e * Math.log2(s)) + 4) * u;
}

testGpu('lrn: forward and backward against f64', getEngine, async (e) => {
  let worstForward = 0;
  let worstBackward = 0;
  for (const [shape, options] of CASES) {
    const name = `[${shape}] size ${options.size}`;
    const data = uniform(sizeOf(shape), shape.length * 5 + options.size, -2, 2);
    const g = uniform(sizeOf(shape), 40 + options.size, -1, 1);
    using x = tensor(e, data, shape);
    using dy = tensor(e, g, shape);
    using y = lrn(e, x, options);
    using dx = lrnBackward(e, x, dy, options);
    const ref = lrnReference(data, shape, options);
    const beta = options.beta ?? 0.75;
    worstForward = Math.max(
      worstForward,
      assertClose(await y.read(), ref.data, {
        bound: ref.data.map((v, i) => powError(options.size, beta, ref.scale[i]) * Math.abs(v)),
      }, name),
    );
    const refB = lrnBackwardReference(data, g, shape, options);
    const worstScale = Math.max(...ref.scale);
    worstBackward = Math.max(
      worstBackward,
      assertClose(await dx.read(), refB.data, {
        bound: refB.magnitude.map((m) => 2 * powError(2 * options.size, beta + 1, worstScale) * m),
      }, name),
    );
  }
  console.log(
    `lrn: worst ${worstForward.toFixed(3)} (forward), ${worstBackward.toFixed(3)} (backward) ` +
      'of the bound',
  );
});

testGpu('lrn: folded dispatch', getFolding, async (e) => {
  const shape = [1, 4, 9, 9];
  const options = { size: 3, alpha: 0.5, beta: 0.75, bias: 1 };
  const data = uniform(sizeOf(shape), 8, -1, 1);
  using x = tensor(e, data, shape);
  using y = lrn(e, x, options);
  const ref = lrnReference(data, shape, options);
  assertClose(await y.read(), ref.data, { bound: ref.data.map((v) => 40 * u * Math.abs(v)) });
});

test('lrn backward reference matches finite differences', () => {
  for (const [shape, options] of CASES.slice(0, 4)) {
    const x = uniform(sizeOf(shape), 21, -2, 2);
    const g = uniform(sizeOf(shape), 22, -1, 1);
    const numeric = finiteDifferenceGradient((v) => lrnReference(v, shape, options).data, x, g);
    const exact = lrnBackwardReference(x, g, shape, options).data;
    assertClose(exact, numeric, { atol: 1e-8, rtol: 1e-6 }, `[${shape}] size ${options.size}`);
  }
});

testGpu('lrn: errors', getEngine, async (e) => {
  using x = tensor(e, [1, 2, 3, 4], [4]);
  assertThrows(() => lrn(e, x, { size: 3 }), ShapeError, 'rank >= 2');
  using x2 = tensor(e, [1, 2, 3, 4], [1, 4]);
  assertThrows(() => lrn(e, x2, { size: 0 }), ArgumentError, 'size must be a positive integer');
  using dy = tensor(e, [1, 2], [1, 2]);
  assertThrows(() => lrnBackward(e, x2, dy, { size: 3 }), ShapeError, "x's shape");
  await Promise.resolve();
});
