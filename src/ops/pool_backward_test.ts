import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { mulberry32, uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  type AveragePoolAttributes,
  averagePoolReference,
  globalAveragePoolReference,
  globalMaxPoolReference,
  maxPoolReference,
  poolOutputShape,
} from './pool.ts';
import {
  averagePoolBackward,
  averagePoolBackwardReference,
  globalAveragePoolBackward,
  globalAveragePoolBackwardReference,
  globalMaxPoolBackward,
  globalMaxPoolBackwardReference,
  maxPoolBackward,
  maxPoolBackwardReference,
} from './pool_backward.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

type Case = [number[], AveragePoolAttributes];

// Control case first, then one thing varied at a time.
const CASES: Case[] = [
  [[1, 2, 6, 6], { kernelShape: [2, 2], strides: [2, 2] }],
  [[1, 2, 6, 5], { kernelShape: [3, 3], pads: [1, 1, 1, 1] }], // overlapping windows
  [[2, 2, 7, 6], { kernelShape: [3, 2], strides: [2, 1], pads: [0, 1, 1, 0] }],
  [[1, 2, 8, 7], { kernelShape: [3, 3], strides: [2, 2], ceilMode: true }],
  [[1, 1, 8, 7], { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true }],
  [[1, 2, 9, 8], { kernelShape: [3, 2], dilations: [2, 2], pads: [2, 1, 2, 1] }],
  [[1, 2, 9, 10], { kernelShape: [2, 2], strides: [3, 3] }], // positions no window covers
  [[1, 2, 7, 8], { kernelShape: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' }],
  [[1, 2, 7, 8], { kernelShape: [4, 4], autoPad: 'SAME_LOWER' }],
  [[2, 3, 17], { kernelShape: [4], strides: [3], pads: [2, 1], dilations: [2] }],
  [[1, 2, 4, 5, 6], { kernelShape: [2, 3, 2], strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 1] }],
  // 3·4·10·10 = 1200 elements of dx: many workgroups.
  [[3, 4, 10, 10], { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
];

// Max: a sum of at most `taps` values of dy: (taps + 1)·u·Σ|dy|. Average: quotients within
// 2.5 ulp, summed: (taps + 4)·u·Σ|dy/divisor|; one more u for the final rounding each.
async function check(engine: Engine, xShape: number[], attributes: AveragePoolAttributes) {
  const label = `${JSON.stringify(xShape)} ${JSON.stringify(attributes)}`;
  const taps = sizeOf(attributes.kernelShape);
  const yShape = poolOutputShape(xShape, attributes);
  const x = uniform(sizeOf(xShape), 31);
  const dy = uniform(sizeOf(yShape), 32);
  using tx = tensor(engine, x, xShape);
  using tdy = tensor(engine, dy, yShape);
  const max = maxPoolBackwardReference(x, xShape, dy, attributes);
  using dxMax = maxPoolBackward(engine, tx, tdy, attributes);
  assertArrayEquals(dxMax.shape, xShape, `${label} max shape`);
  const boundMax = max.magnitude.map((m) => (taps + 2) * u * m);
  assertClose(await dxMax.read(), max.data, { atol: 1e-30, bound: boundMax }, `${label} max`);
  for (const countIncludePad of [false, true]) {
    const options = { ...attributes, countIncludePad };
    const avg = averagePoolBackwardReference(dy, xShape, options);
    using dxAvg = averagePoolBackward(engine, tdy, { ...options, xShape });
    assertArrayEquals(dxAvg.shape, xShape, `${label} average shape`);
    const bound = avg.magnitude.map((m) => (taps + 5) * u * m);
    assertClose(
      await dxAvg.read(),
      avg.data,
      { atol: 1e-30, bound },
      `${label} average countIncludePad=${countIncludePad}`,
    );
  }
}

/** Central differences of `f` along every element of `v` (which it perturbs in place). */
function centralDifferences(v: Float64Array, f: () => number, h: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + h;
    const up = f();
    v[i] = keep - h;
    const down = f();
    v[i] = keep;
    out[i] = (up - down) / (2 * h);
  }
  return out;
}

/** `n` distinct values, 0.01 apart, in a seeded random order: no ties within 0.005. */
function distinct(n: number, seed: number): Float64Array {
  const next = mulberry32(seed);
  const out = Float64Array.from({ length: n }, (_, i) => (i - n / 2) * 0.01);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

testGpu('poolBackward references: equal central differences of the forward', getEngine, () => {
  // Max pooling is linear near inputs without ties (h = 1e-4 is far below the 0.01 gaps);
  // average pooling is linear. Both differences are exact up to f64 rounding.
  const tol = { atol: 1e-8 };
  for (const [xShape, attributes] of CASES.slice(0, 11)) {
    const label = `${JSON.stringify(xShape)} ${JSON.stringify(attributes)}`;
    const yShape = poolOutputShape(xShape, attributes);
    const x = distinct(sizeOf(xShape), 41);
    const dy = Float64Array.from(uniform(sizeOf(yShape), 42));
    const maxLoss = () => dot(dy, maxPoolReference(x, xShape, attributes).data);
    assertClose(
      maxPoolBackwardReference(x, xShape, dy, attributes).data,
      centralDifferences(x, maxLoss, 1e-4),
      tol,
      `${label} max`,
    );
    for (const countIncludePad of [false, true]) {
      const options = { ...attributes, countIncludePad };
      const avgLoss = () => dot(dy, averagePoolReference(x, xShape, options).data);
      assertClose(
        averagePoolBackwardReference(dy, xShape, options).data,
        centralDifferences(x, avgLoss, 1e-4),
        tol,
        `${label} average countIncludePad=${countIncludePad}`,
      );
    }
  }
  const xShape = [2, 3, 4, 5];
  const x = distinct(sizeOf(xShape), 43);
  const dy = Float64Array.from(uniform(6, 44));
  assertClose(
    globalMaxPoolBackwardReference(x, xShape, dy).data,
    centralDifferences(x, () => dot(dy, globalMaxPoolReference(x, xShape).data), 1e-4),
    tol,
    'global max',
  );
  assertClose(
    globalAveragePoolBackwardReference(dy, xShape).data,
    centralDifferences(x, () => dot(dy, globalAveragePoolReference(x, xShape).data), 1e-4),
    tol,
    'global average',
  );
  return Promise.resolve();
});

testGpu(
  'maxPoolBackward: ties go to the first maximum; padding never wins',
  getEngine,
  async (engine) => {
    // All-equal 3×3, kernel 2, stride 1: each window's first tap (its top-left) wins.
    {
      const xShape = [1, 1, 3, 3];
      const attributes = { kernelShape: [2, 2] };
      const x = new Float32Array(9).fill(1);
      const dy = [1, 2, 3, 4];
      const expected = [1, 2, 0, 3, 4, 0, 0, 0, 0];
      using tx = tensor(engine, x, xShape);
      using tdy = tensor(engine, dy, [1, 1, 2, 2]);
      using dx = maxPoolBackward(engine, tx, tdy, attributes);
      assertArrayEquals(await dx.read(), expected, 'GPU');
      assertArrayEquals(maxPoolBackwardReference(x, xShape, dy, attributes).data, expected, 'CPU');
    }
    // All −1 (below the padding's implicit 0), padded by 1: windows of the 3×3 output hold 1, 2
    // or 4 taps of x; the first one inside x wins, never a padded position.
    {
      const xShape = [1, 1, 2, 2];
      const attributes = { kernelShape: [2, 2], pads: [1, 1, 1, 1] };
      const x = new Float32Array(4).fill(-1);
      const dy = [1, 2, 4, 8, 16, 32, 64, 128, 256];
      // Windows by their first tap inside x: (0,0) ← 1, 2, 8, 16; (0,1) ← 4, 32; (1,0) ← 64,
      // 128; (1,1) ← 256.
      const expected = [1 + 2 + 8 + 16, 4 + 32, 64 + 128, 256];
      using tx = tensor(engine, x, xShape);
      using tdy = tensor(engine, dy, [1, 1, 3, 3]);
      using dx = maxPoolBackward(engine, tx, tdy, attributes);
      assertArrayEquals(await dx.read(), expected, 'GPU padded');
      assertArrayEquals(
        maxPoolBackwardReference(x, xShape, dy, attributes).data,
        expected,
        'CPU padded',
      );
    }
    // A tie between a later larger-index tap and the first: [3, 1, 3] with kernel 3 → index 0;
    // global max of a plane with a repeated maximum → its first occurrence.
    {
      using tx = tensor(engine, [3, 1, 3, 0, 5, 2, 5, 5], [2, 1, 4]);
      using tdy = tensor(engine, [10, 20], [2, 1, 1]);
      using dx = globalMaxPoolBackward(engine, tx, tdy);
      assertArrayEquals(await dx.read(), [10, 0, 0, 0, 20, 0, 0, 0], 'global');
    }
  },
);

testGpu(
  'poolBackward: strides, overlap, pads, ceil mode, dilation, auto_pad, 1-D, 3-D, batch',
  getEngine,
  async (engine) => {
    for (const [xShape, attributes] of CASES) await check(engine, xShape, attributes);
  },
);

testGpu(
  'globalPoolBackward: 1-D, 2-D, 3-D, more planes than a workgroup',
  getEngine,
  async (engine) => {
    for (const xShape of [[2, 3, 5, 4], [3, 30, 7], [1, 2, 3, 4, 5], [1, 1, 1, 1]]) {
      const label = JSON.stringify(xShape);
      const yShape = [xShape[0], xShape[1], ...xShape.slice(2).map(() => 1)];
      const x = uniform(sizeOf(xShape), 51);
      const dy = uniform(sizeOf(yShape), 52);
      using tx = tensor(engine, x, xShape);
      using tdy = tensor(engine, dy, yShape);
      using dxMax = globalMaxPoolBackward(engine, tx, tdy);
      // One window per plane: each element gets at most one value of dy, exactly.
      assertArrayEquals(
        await dxMax.read(),
        Float32Array.from(globalMaxPoolBackwardReference(x, xShape, dy).data),
        `${label} max`,
      );
      using dxAvg = globalAveragePoolBackward(engine, tdy, { xShape });
      const avg = globalAveragePoolBackwardReference(dy, xShape);
      const bound = avg.magnitude.map((m) => 4 * u * m);
      assertClose(await dxAvg.read(), avg.data, { atol: 1e-30, bound }, `${label} average`);
    }
  },
);

testGpu(
  'poolBackward: folded dispatch (4 workgroups per dimension)',
  getFolding,
  async (engine) => {
    await check(engine, [3, 4, 10, 10], {
      kernelShape: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    });
  },
);

testGpu('poolBackward: shape errors before anything is recorded', getEngine, (engine) => {
  using x = tensor(engine, new Float32Array(36), [1, 1, 6, 6]);
  using dy = tensor(engine, new Float32Array(4), [1, 1, 2, 2]);
  const before = engine.dispatchCount;
  assertThrows(
    () => maxPoolBackward(engine, x, dy, { kernelShape: [2, 2] }),
    ShapeError,
    'must be the pool output shape [1, 1, 5, 5]',
  );
  assertThrows(
    () => averagePoolBackward(engine, dy, { kernelShape: [2, 2], xShape: [1, 1, 6, 6] }),
    ShapeError,
  );
  assertThrows(() => globalMaxPoolBackward(engine, x, dy), ShapeError, 'pool output shape');
  assertThrows(
    () => globalAveragePoolBackward(engine, dy, { xShape: [1, 2, 6, 6] }),
    ShapeError,
    '[1, 2, 1, 1]',
  );
  assertArrayEquals([engine.dispatchCount], [before]);
  return Promise.resolve();
});
