import { assertArrayEquals, assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  averagePool,
  type AveragePoolAttributes,
  averagePoolReference,
  globalAveragePool,
  globalAveragePoolReference,
  globalMaxPool,
  globalMaxPoolReference,
  globalPoolOutputShape,
  maxPool,
  maxPoolReference,
  poolOutputShape,
} from './pool.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

// Max pooling picks one of its inputs: exact. Average pooling sums at most `taps` f32 values and
// divides once (WGSL: within 2.5 ulp = 5u): |error| ≤ (taps + 3)·u·Σ|x| / divisor + 5u·|mean|,
// and |mean| ≤ Σ|x| / divisor, so the bound below is (taps + 8)·u·magnitude.
async function check(
  engine: Engine,
  xShape: number[],
  attributes: AveragePoolAttributes,
  seed = 21,
): Promise<void> {
  const x = uniform(sizeOf(xShape), seed);
  using tx = tensor(engine, x, xShape);
  const label = `${JSON.stringify(xShape)} ${JSON.stringify(attributes)}`;
  const max = maxPoolReference(x, xShape, attributes);
  using yMax = maxPool(engine, tx, attributes);
  assertArrayEquals(yMax.shape, max.shape, `${label} max shape`);
  assertArrayEquals(poolOutputShape(xShape, attributes), max.shape, `${label} helper`);
  assertArrayEquals(await yMax.read(), max.data, `${label} max`);
  const avg = averagePoolReference(x, xShape, attributes);
  using yAvg = averagePool(engine, tx, attributes);
  assertArrayEquals(yAvg.shape, avg.shape, `${label} average shape`);
  const taps = sizeOf(attributes.kernelShape);
  const bound = avg.magnitude.map((m) => (taps + 8) * u * m);
  assertClose(await yAvg.read(), avg.data, { atol: 1e-30, bound }, `${label} average`);
}

const X4x4 = Array.from({ length: 16 }, (_, i) => i + 1);
const X5x5 = Array.from({ length: 25 }, (_, i) => i + 1);

testGpu('pool: ONNX backend cases', getEngine, async (engine) => {
  const cases: [
    'max' | 'average',
    number[],
    number[],
    AveragePoolAttributes,
    number[],
  ][] = [
    ['max', X5x5, [1, 1, 5, 5], { kernelShape: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' }, [
      7,
      9,
      10,
      17,
      19,
      20,
      22,
      24,
      25,
    ]],
    ['max', X4x4, [1, 1, 4, 4], { kernelShape: [3, 3], strides: [2, 2], ceilMode: true }, [
      11,
      12,
      15,
      16,
    ]],
    ['max', X4x4, [1, 1, 4, 4], { kernelShape: [2, 2], dilations: [2, 2] }, [11, 12, 15, 16]],
    ['max', X5x5, [1, 1, 5, 5], { kernelShape: [2, 2], strides: [2, 2] }, [7, 9, 17, 19]],
    ['max', X5x5, [1, 1, 5, 5], { kernelShape: [5, 5], pads: [2, 2, 2, 2] }, [
      ...[13, 14, 15, 15, 15],
      ...[18, 19, 20, 20, 20],
      ...[23, 24, 25, 25, 25],
      ...[23, 24, 25, 25, 25],
      ...[23, 24, 25, 25, 25],
    ]],
    ['average', X4x4, [1, 1, 4, 4], { kernelShape: [3, 3], strides: [2, 2], ceilMode: true }, [
      6,
      7.5,
      12,
      13.5,
    ]],
    ['average', X5x5, [1, 1, 5, 5], {
      kernelShape: [3, 3],
      strides: [2, 2],
      autoPad: 'SAME_UPPER',
    }, [4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22]],
    ['average', X5x5, [1, 1, 5, 5], { kernelShape: [2, 2], strides: [2, 2] }, [4, 6, 14, 16]],
    ['average', X5x5, [1, 1, 5, 5], { kernelShape: [5, 5], pads: [2, 2, 2, 2] }, [
      ...[7, 7.5, 8, 8.5, 9],
      ...[9.5, 10, 10.5, 11, 11.5],
      ...[12, 12.5, 13, 13.5, 14],
      ...[14.5, 15, 15.5, 16, 16.5],
      ...[17, 17.5, 18, 18.5, 19],
    ]],
    ['average', X5x5, [1, 1, 5, 5], {
      kernelShape: [5, 5],
      pads: [2, 2, 2, 2],
      countIncludePad: true,
    }, [
      ...[2.52, 3.6, 4.8, 4.08, 3.24],
      ...[4.56, 6.4, 8.4, 7.04, 5.52],
      ...[7.2, 10, 13, 10.8, 8.4],
      ...[6.96, 9.6, 12.4, 10.24, 7.92],
      ...[6.12, 8.4, 10.8, 8.88, 6.84],
    ]],
  ];
  for (const [kind, x, xShape, attributes, expected] of cases) {
    const label = `${kind} ${JSON.stringify(attributes)}`;
    using tx = tensor(engine, x, xShape);
    using y = kind === 'max'
      ? maxPool(engine, tx, attributes)
      : averagePool(engine, tx, attributes);
    assertEquals(y.size, expected.length, `${label} size`);
    // Sums of at most 25 integers: exact; one division: within 2.5 ulp.
    assertClose(await y.read(), expected, { rtol: 4 * u }, label);
    const ref = kind === 'max'
      ? maxPoolReference(x, xShape, attributes)
      : averagePoolReference(x, xShape, attributes);
    assertClose(ref.data, expected, { rtol: 1e-15 }, `${label} reference`);
  }
});

testGpu(
  'pool: strides 1 and 2, symmetric and asymmetric pads, batch > 1',
  getEngine,
  async (engine) => {
    await check(engine, [2, 3, 7, 6], { kernelShape: [3, 3] });
    await check(engine, [2, 3, 7, 6], { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    await check(engine, [1, 2, 8, 7], { kernelShape: [3, 2], strides: [2, 1], pads: [0, 1, 2, 0] });
    await check(engine, [1, 2, 6, 6], {
      kernelShape: [3, 3],
      pads: [1, 2, 2, 1],
      countIncludePad: true,
    });
  },
);

testGpu('pool: every auto_pad mode, dilation 2, kernel 1', getEngine, async (engine) => {
  for (const autoPad of ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const) {
    await check(engine, [1, 2, 7, 8], { kernelShape: [4, 3], strides: [2, 2], autoPad });
    await check(engine, [1, 1, 6, 5], { kernelShape: [2, 2], autoPad, countIncludePad: true });
  }
  await check(engine, [1, 2, 9, 8], { kernelShape: [3, 3], dilations: [2, 2] });
  await check(engine, [2, 1, 9, 9], {
    kernelShape: [2, 3],
    dilations: [2, 2],
    strides: [2, 1],
    pads: [1, 2, 1, 2],
  });
  await check(engine, [1, 3, 5, 4], { kernelShape: [1, 1], strides: [2, 2] });
});

testGpu(
  'pool: ceil_mode, with the window that would start in the padding dropped',
  getEngine,
  async (engine) => {
    // 5 positions, kernel 2, stride 2: floor gives 2 windows, ceil 3 (the last one partial).
    assertArrayEquals(poolOutputShape([1, 1, 5], { kernelShape: [2], strides: [2] }), [1, 1, 2]);
    assertArrayEquals(
      poolOutputShape([1, 1, 5], { kernelShape: [2], strides: [2], ceilMode: true }),
      [1, 1, 3],
    );
    // 6 positions padded 0 + 1: ceil would give a 4th window starting at 6, in the padding.
    assertArrayEquals(
      poolOutputShape([1, 1, 6], { kernelShape: [2], strides: [2], pads: [0, 1], ceilMode: true }),
      [1, 1, 3],
    );
    // SAME ignores ceil_mode: ceil(in / stride).
    assertArrayEquals(
      poolOutputShape([1, 1, 7], {
        kernelShape: [3],
        strides: [3],
        autoPad: 'SAME_UPPER',
        ceilMode: true,
      }),
      [1, 1, 3],
    );
    await check(engine, [1, 2, 5, 7], { kernelShape: [2, 3], strides: [2, 2], ceilMode: true });
    await check(engine, [1, 1, 6, 6], {
      kernelShape: [2, 2],
      strides: [2, 2],
      pads: [0, 0, 1, 1],
      ceilMode: true,
    });
    // Partial windows at the end: countIncludePad counts only taps inside the padded input.
    await check(engine, [2, 2, 6, 7], {
      kernelShape: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      ceilMode: true,
      countIncludePad: true,
    });
  },
);

testGpu('pool: 1-D and 3-D', getEngine, async (engine) => {
  await check(engine, [2, 3, 17], { kernelShape: [3], strides: [2], pads: [1, 0] });
  await check(engine, [1, 2, 12], { kernelShape: [4], dilations: [2], ceilMode: true });
  await check(engine, [1, 2, 4, 5, 6], { kernelShape: [2, 2, 3], strides: [2, 1, 2] });
  await check(engine, [1, 1, 3, 4, 4], {
    kernelShape: [2, 3, 3],
    pads: [1, 1, 1, 0, 1, 1],
    countIncludePad: true,
  });
});

testGpu('pool: padding never wins a max; NaN and infinities', getEngine, async (engine) => {
  const negative = uniform(2 * 25, 5, -3, -1);
  using xn = tensor(engine, negative, [1, 2, 5, 5]);
  const attributes = { kernelShape: [3, 3], pads: [1, 1, 1, 1] };
  using yn = maxPool(engine, xn, attributes);
  const expected = maxPoolReference(negative, [1, 2, 5, 5], attributes).data;
  assertArrayEquals(await yn.read(), expected);
  for (const v of expected) assertEquals(v < -1, true, 'a max over negative values is negative');

  const special = [1, NaN, 2, -Infinity, -Infinity, 3, Infinity, 0, -5];
  using xs = tensor(engine, special, [1, 1, 9]);
  using ys = maxPool(engine, xs, { kernelShape: [2], strides: [2], ceilMode: true });
  assertArrayEquals(await ys.read(), [NaN, 2, 3, Infinity, -5]);
  assertArrayEquals(
    maxPoolReference(special, [1, 1, 9], { kernelShape: [2], strides: [2], ceilMode: true }).data,
    [NaN, 2, 3, Infinity, -5],
  );
  using yg = globalMaxPool(engine, xs);
  assertArrayEquals(await yg.read(), [NaN]);
});

testGpu('pool: global max and average', getEngine, async (engine) => {
  for (const shape of [[2, 3, 5, 7], [1, 4, 9], [1, 2, 3, 4, 5], [3, 2, 1, 1], [1, 1, 65]]) {
    const x = uniform(sizeOf(shape), sizeOf(shape));
    using tx = tensor(engine, x, shape);
    using yMax = globalMaxPool(engine, tx);
    using yAvg = globalAveragePool(engine, tx);
    const out = globalPoolOutputShape(shape);
    assertArrayEquals(out, [shape[0], shape[1], ...shape.slice(2).map(() => 1)]);
    assertArrayEquals(yMax.shape, out);
    assertArrayEquals(yAvg.shape, out);
    const max = globalMaxPoolReference(x, shape);
    assertArrayEquals(await yMax.read(), max.data, `${shape} max`);
    const avg = globalAveragePoolReference(x, shape);
    const taps = sizeOf(shape.slice(2));
    const bound = avg.magnitude.map((m) => (taps + 8) * u * m);
    assertClose(await yAvg.read(), avg.data, { atol: 1e-30, bound }, `${shape} average`);
  }
});

testGpu('pool: output counts around the workgroup size', getEngine, async (engine) => {
  for (const n of [1, 63, 64, 65]) await check(engine, [1, 1, n + 1], { kernelShape: [2] });
});

testGpu('pool: folded dispatch (past the per-dimension limit)', getFolding, async (engine) => {
  // 2·4·11·12 = 1056 outputs = 17 workgroups > 4² → a 3-D grid.
  await check(engine, [2, 4, 11, 12], { kernelShape: [3, 3], pads: [1, 1, 1, 1] });
  const x = uniform(2 * 9 * 40, 9);
  using tx = tensor(engine, x, [2, 9, 40]); // 18 planes: 1 workgroup, and a global pool
  using y = globalMaxPool(engine, tx);
  assertArrayEquals(await y.read(), globalMaxPoolReference(x, [2, 9, 40]).data);
});

testGpu(
  'pool: bad shapes and attributes are named before anything runs',
  getEngine,
  async (engine) => {
    using x = tensor(engine, uniform(2 * 16, 3), [1, 2, 4, 4]);
    using x1 = tensor(engine, uniform(1, 3), [1, 1, 1]);
    using x2 = tensor(engine, uniform(6, 3), [2, 3]);
    const before = engine.dispatchCount;
    assertThrows(
      () => maxPool(engine, x, { kernelShape: [3] }),
      ArgumentError,
      'Cannot run maxPool: kernelShape [3] must be 2 integer(s) >= 1',
    );
    assertThrows(
      () => maxPool(engine, x, {} as { kernelShape: number[] }),
      ArgumentError,
      'kernelShape is required',
    );
    assertThrows(
      () => averagePool(engine, x, { kernelShape: [5, 2] }),
      ShapeError,
      'Cannot run averagePool: spatial axis 0 of x [1, 2, 4, 4] (size 4, padded by 0 + 0) is ' +
        "smaller than the kernel's extent 5",
    );
    assertThrows(
      () => maxPool(engine, x, { kernelShape: [2, 2], ceilMode: 1 as unknown as boolean }),
      ArgumentError,
      'ceilMode must be a boolean',
    );
    assertThrows(
      () =>
        averagePool(engine, x, { kernelShape: [2, 2], countIncludePad: 1 as unknown as boolean }),
      ArgumentError,
      'countIncludePad must be a boolean',
    );
    assertThrows(() => globalMaxPool(engine, x2), ShapeError, 'current shape is [2, 3]');
    // A window whose taps all fall in the padding: an error for max (and for a plain average), a
    // zero for an average that counts the padding.
    const degenerate = { kernelShape: [2], dilations: [2], pads: [1, 1] };
    assertThrows(() => maxPool(engine, x1, degenerate), ShapeError, 'covers only padding');
    assertThrows(() => averagePool(engine, x1, degenerate), ShapeError, 'covers only padding');
    assertEquals(engine.dispatchCount, before, 'nothing dispatched');
    using y = averagePool(engine, x1, { ...degenerate, countIncludePad: true });
    assertArrayEquals(await y.read(), [0]);
  },
);
