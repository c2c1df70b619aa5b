import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { normalizeAxis, sizeOf, tensor } from '../tensor.ts';
import { logSoftmax, softmax, softmaxReference } from './softmax.ts';
import { softmaxBackward, softmaxBackwardReference } from './softmax_backward.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

/**
 * Per-element error bound of the f32 kernel (see softmax_backward.wgsl). The row sum s errs by
 * about k·u·Σ|terms| with k = len/64 + log2 64 (sequential per lane, pairwise across 64 lanes),
 * plus u per product; then:
 * - softmax, dx = y·(dy − s): |y|·((k + 1)·u·Σ|dy·y| + u·|dy − s|) + u·|dx|;
 * - log-softmax, dx = dy − exp(y)·s: exp(y)·((k + 1)·u·Σ|dy| + (2·(3 + 2|y|) + 1)·u·|s|) +
 *   u·|dx| (exp within 3 + 2|y| ulp, an ulp being at most 2u).
 * A factor 2 covers the roundings not listed (each a fraction of a term above).
 */
function bound(
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: number[],
  axis: number,
  log: boolean,
): Float64Array {
  const a = normalizeAxis(axis, shape.length, 'bound');
  const outer = sizeOf(shape.slice(0, a));
  const len = shape[a];
  const inner = sizeOf(shape.slice(a + 1));
  const k = len / 64 + 6;
  const out = new Float64Array(y.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (l: number) => (o * len + l) * inner + i;
      let s = 0;
      let mag = 0;
      for (let l = 0; l < len; l++) {
        const t = log ? dy[at(l)] : dy[at(l)] * y[at(l)];
        s += t;
        mag += Math.abs(t);
      }
      for (let l = 0; l < len; l++) {
        const j = at(l);
        if (log) {
          const e = Math.exp(y[j]);
          const dx = dy[j] - e * s;
          const exp = (2 * (3 + 2 * Math.abs(y[j])) + 1) * u * Math.abs(s);
          out[j] = 2 * (e * ((k + 1) * u * mag + exp) + u * Math.abs(dx));
        } else {
          const dx = y[j] * (dy[j] - s);
          out[j] = 2 * (Math.abs(y[j]) * ((k + 1) * u * mag + u * Math.abs(dy[j] - s)) +
            u * Math.abs(dx));
        }
      }
    }
  }
  return out;
}

// [shape, axis]: rows of 1, 63, 64, 65, 1000 and 5000 elements (a lane loops ~78 times), inner
// axes (strided rows) and leading axes.
const CASES: [number[], number][] = [
  [[1], -1],
  [[1, 63], -1],
  [[3, 64], -1],
  [[2, 65], -1],
  [[5, 1000], 1],
  [[1, 5000], -1],
  [[4, 7, 3], 1],
  [[4, 7, 3], 0],
  [[2, 3, 5, 2], 2],
  [[130, 3], 0],
];

for (const log of [false, true]) {
  const name = log ? 'logSoftmax' : 'softmax';
  testGpu(`softmaxBackward (${name}): rows and inner axes against f64`, getEngine, async (e) => {
    for (const [shape, axis] of CASES) {
      const n = sizeOf(shape);
      const logits = uniform(n, shape[shape.length - 1], -8, 8);
      // The forward output as the GPU would hold it: f64 values rounded to f32.
      const y = Float32Array.from(softmaxReference(logits, shape, { axis, log }));
      const grad = uniform(n, 17 + n, -1, 1);
      using ty = tensor(e, y, shape);
      using tdy = tensor(e, grad, shape);
      using dx = softmaxBackward(e, ty, tdy, { axis, log });
      assertArrayEquals(dx.shape, shape);
      const ref = softmaxBackwardReference(y, grad, shape, { axis, log });
      assertClose(
        await dx.read(),
        ref,
        { bound: bound(y, grad, shape, axis, log) },
        `${name} ${shape} axis ${axis}`,
      );
    }
  });
}

testGpu('softmaxBackwardReference matches central differences', getEngine, () => {
  // The VJP is the gradient of L(x) = Σ dy·f(x) with f the forward; (L(x + h) − L(x − h)) / 2h in
  // f64 errs by h²·|L'''|/6 (~1e-11 with h = 1e-4 and |L'''| of order 1) plus rounding ~1e-16 / h.
  const h = 1e-4;
  for (const log of [false, true]) {
    for (
      const [shape, axis] of [[[3, 5], -1], [[2, 4, 3], 1], [[4, 2], 0]] as [number[], number][]
    ) {
      const n = sizeOf(shape);
      const x = Array.from(uniform(n, 5, -3, 3));
      const grad = uniform(n, 6, -1, 1);
      const loss = (v: number[]) => {
        const y = softmaxReference(v, shape, { axis, log });
        return y.reduce((acc, yi, i) => acc + yi * grad[i], 0);
      };
      const fd = x.map((_, j) => {
        const plus = x.slice();
        const minus = x.slice();
        plus[j] += h;
        minus[j] -= h;
        return (loss(plus) - loss(minus)) / (2 * h);
      });
      const y = softmaxReference(x, shape, { axis, log });
      const ref = softmaxBackwardReference(y, grad, shape, { axis, log });
      assertClose(ref, fd, { atol: 1e-8, rtol: 1e-8 }, `log=${log} ${shape} axis ${axis}`);
    }
  }
  return Promise.resolve();
});

testGpu('softmaxBackward: composes with the GPU forward', getEngine, async (e) => {
  // y from the GPU forward; the reference VJP then uses the same f32 y.
  const shape = [6, 33];
  const n = sizeOf(shape);
  using x = tensor(e, uniform(n, 8, -4, 4), shape);
  const grad = uniform(n, 9, -1, 1);
  using tdy = tensor(e, grad, shape);
  for (const log of [false, true]) {
    using y = log ? logSoftmax(e, x) : softmax(e, x);
    const yData = await y.read();
    using dx = softmaxBackward(e, y, tdy, { log });
    const ref = softmaxBackwardReference(yData, grad, shape, { log });
    assertClose(await dx.read(), ref, { bound: bound(yData, grad, shape, -1, log) }, `log=${log}`);
  }
});

testGpu('softmaxBackward: each row sums to 0 (softmax)', getEngine, async (e) => {
  // Σ_j dx_j = Σ y·dy − s·Σ y = 0 when Σ y = 1: a property check independent of the reference.
  const shape = [4, 100];
  const y = Float32Array.from(softmaxReference(uniform(400, 10, -5, 5), shape));
  using ty = tensor(e, y, shape);
  using tdy = tensor(e, uniform(400, 11, -1, 1), shape);
  using dx = softmaxBackward(e, ty, tdy);
  const out = await dx.readFloat32();
  for (let r = 0; r < 4; r++) {
    const sum = out.slice(r * 100, r * 100 + 100).reduce((a, b) => a + b, 0);
    assertClose([sum], [0], { atol: 1e-6 }, `row ${r}`);
  }
});

testGpu('softmaxBackward: folded dispatch over many rows', getFolding, async (e) => {
  const shape = [20, 5]; // 20 workgroups: a 4×4×2 grid at 4 per dimension
  const y = Float32Array.from(softmaxReference(uniform(100, 4, -3, 3), shape));
  const grad = uniform(100, 5, -1, 1);
  using ty = tensor(e, y, shape);
  using tdy = tensor(e, grad, shape);
  using dx = softmaxBackward(e, ty, tdy);
  const ref = softmaxBackwardReference(y, grad, shape);
  assertClose(await dx.read(), ref, { bound: bound(y, grad, shape, -1, false) });
});

testGpu('softmaxBackward: empty tensors; rejects bad operands', getEngine, async (e) => {
  using z = tensor(e, [], [0, 4]);
  using dz = softmaxBackward(e, z, z);
  assertArrayEquals(dz.shape, [0, 4]);
  using s = tensor(e, [1], []);
  using x = tensor(e, uniform(6, 1), [2, 3]);
  using flat = tensor(e, uniform(6, 1), [6]);
  using i = tensor(e, new Int32Array(6), [2, 3]);
  assertThrows(() => softmaxBackward(e, s, s), ArgumentError, 'rank >= 1');
  assertThrows(
    () => softmaxBackward(e, x, x, { axis: 2 }),
    ArgumentError,
    'axis 2 is out of range',
  );
  assertThrows(
    () => softmaxBackward(e, x, flat),
    ShapeError,
    'dy [6] must have the shape of y [2, 3]',
  );
  assertThrows(() => softmaxBackward(e, x, i), ArgumentError, 'dy must be f32');
  assertThrows(() => softmaxBackwardReference([1, 2], [1], [2]), ArgumentError, 'dy 1');
  await Promise.resolve();
});
