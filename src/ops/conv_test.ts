import { assertArrayEquals, assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { conv, type ConvAttributes, convOutputShape, convReference } from './conv.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

interface Case extends ConvAttributes {
  x: number[];
  w: number[];
  bias?: boolean;
}

// f32 accumulation of `terms` products and the bias: |error| ≤ (terms + 1)·u·(Σ|x·w| + |b|) in
// any order, with or without fused multiply-add; one more u for the final rounding. The tiny
// atol only admits exact zeros where nothing is summed.
async function check(engine: Engine, c: Case, seed = 1): Promise<void> {
  const { x: xShape, w: wShape, bias: withBias, ...attributes } = c;
  const x = uniform(sizeOf(xShape), seed);
  const w = uniform(sizeOf(wShape), seed + 1);
  const b = withBias ? uniform(wShape[0], seed + 2) : undefined;
  using tx = tensor(engine, x, xShape);
  using tw = tensor(engine, w, wShape);
  using tb = b ? tensor(engine, b, [wShape[0]]) : undefined;
  using y = conv(engine, tx, tw, { ...attributes, bias: tb });
  const ref = convReference(x, xShape, w, wShape, { ...attributes, bias: b });
  const label = JSON.stringify(c);
  assertArrayEquals(y.shape, ref.shape, `${label} shape`);
  assertArrayEquals(convOutputShape(xShape, wShape, attributes), ref.shape, `${label} helper`);
  const terms = sizeOf(wShape.slice(1)) + 1;
  const bound = ref.magnitude.map((m) => (terms + 2) * u * m);
  assertClose(await y.read(), ref.data, { atol: 1e-30, bound }, label);
}

testGpu(
  'conv: ONNX backend cases (padding, strides, asymmetric pads, SAME_LOWER)',
  getEngine,
  async (engine) => {
    const x5x5 = Array.from({ length: 25 }, (_, i) => i);
    const x7x5 = Array.from({ length: 35 }, (_, i) => i);
    const ones = new Array(9).fill(1);
    const cases: [number[], number[], ConvAttributes, number[], number[]][] = [
      [x5x5, [1, 1, 5, 5], { pads: [1, 1, 1, 1] }, [1, 1, 5, 5], [
        12,
        21,
        27,
        33,
        24,
        33,
        54,
        63,
        72,
        51,
        63,
        99,
        108,
        117,
        81,
        93,
        144,
        153,
        162,
        111,
        72,
        111,
        117,
        123,
        84,
      ]],
      [x5x5, [1, 1, 5, 5], { pads: [0, 0, 0, 0] }, [1, 1, 3, 3], [
        54,
        63,
        72,
        99,
        108,
        117,
        144,
        153,
        162,
      ]],
      [x7x5, [1, 1, 7, 5], { pads: [1, 1, 1, 1], strides: [2, 2] }, [1, 1, 4, 3], [
        12,
        27,
        24,
        63,
        108,
        81,
        123,
        198,
        141,
        112,
        177,
        124,
      ]],
      [x7x5, [1, 1, 7, 5], { strides: [2, 2] }, [1, 1, 3, 2], [54, 72, 144, 162, 234, 252]],
      [x7x5, [1, 1, 7, 5], { pads: [1, 0, 1, 0], strides: [2, 2] }, [1, 1, 4, 2], [
        21,
        33,
        99,
        117,
        189,
        207,
        171,
        183,
      ]],
      [x5x5, [1, 1, 5, 5], { autoPad: 'SAME_LOWER', strides: [2, 2], kernelShape: [3, 3] }, [
        1,
        1,
        3,
        3,
      ], [12, 27, 24, 63, 108, 81, 72, 117, 84]],
    ];
    for (const [x, xShape, attributes, shape, expected] of cases) {
      using tx = tensor(engine, x, xShape);
      using tw = tensor(engine, ones, [1, 1, 3, 3]);
      using y = conv(engine, tx, tw, attributes);
      assertArrayEquals(y.shape, shape, JSON.stringify(attributes));
      // Integers below 2^24: exact in f32.
      assertArrayEquals(await y.read(), expected, JSON.stringify(attributes));
      assertArrayEquals(convReference(x, xShape, ones, [1, 1, 3, 3], attributes).data, expected);
    }
  },
);

testGpu(
  'conv: strides 1 and 2, symmetric and asymmetric pads, bias, batch > 1',
  getEngine,
  async (engine) => {
    await check(engine, { x: [1, 3, 8, 8], w: [4, 3, 3, 3], bias: true });
    await check(engine, { x: [2, 3, 9, 7], w: [5, 3, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    await check(engine, {
      x: [2, 2, 7, 6],
      w: [3, 2, 3, 2],
      strides: [2, 1],
      pads: [0, 2, 1, 0],
      bias: true,
    });
    await check(engine, { x: [1, 2, 6, 5], w: [2, 2, 2, 3], pads: [2, 0, 0, 1], strides: [1, 2] });
  },
);

testGpu('conv: every auto_pad mode, odd and even total padding', getEngine, async (engine) => {
  for (const autoPad of ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const) {
    // kernel 4, stride 1: total padding 3 (odd: UPPER and LOWER differ).
    await check(engine, { x: [1, 2, 7, 6], w: [3, 2, 4, 4], autoPad, bias: true });
    // kernel 3, stride 2 on 7 and 8: total padding 2 and 1.
    await check(engine, { x: [2, 2, 7, 8], w: [2, 2, 3, 3], autoPad, strides: [2, 2] });
  }
  // SAME keeps ceil(in / stride) positions even when the stride exceeds the kernel.
  assertArrayEquals(
    convOutputShape([1, 1, 6, 7], [1, 1, 1, 1], { autoPad: 'SAME_UPPER', strides: [4, 3] }),
    [1, 1, 2, 3],
  );
});

testGpu('conv: dilation 2, alone and with pads and strides', getEngine, async (engine) => {
  await check(engine, { x: [1, 2, 10, 9], w: [3, 2, 3, 3], dilations: [2, 2] });
  await check(engine, { x: [1, 2, 9, 9], w: [3, 2, 3, 2], dilations: [2, 1], pads: [2, 1, 2, 1] });
  await check(engine, {
    x: [2, 1, 11, 10],
    w: [2, 1, 3, 3],
    dilations: [2, 2],
    strides: [2, 2],
    autoPad: 'SAME_UPPER',
  });
});

testGpu('conv: grouped and depthwise (with channel multiplier)', getEngine, async (engine) => {
  await check(engine, { x: [1, 4, 6, 6], w: [6, 2, 3, 3], group: 2, bias: true });
  await check(engine, { x: [2, 6, 5, 7], w: [3, 2, 3, 3], group: 3, pads: [1, 1, 1, 1] });
  await check(engine, { x: [2, 5, 7, 7], w: [5, 1, 3, 3], group: 5, pads: [1, 1, 1, 1] });
  await check(engine, { x: [1, 5, 7, 6], w: [10, 1, 3, 3], group: 5, strides: [2, 2] });
});

testGpu('conv: 1-D, 3-D and 1×1 kernels', getEngine, async (engine) => {
  await check(engine, { x: [2, 3, 17], w: [4, 3, 5], bias: true });
  await check(engine, { x: [2, 3, 17], w: [4, 3, 5], strides: [2], pads: [2, 1], dilations: [2] });
  await check(engine, { x: [1, 4, 12], w: [4, 2, 3], group: 2, autoPad: 'SAME_LOWER' });
  await check(engine, { x: [1, 2, 4, 5, 6], w: [3, 2, 2, 3, 2], pads: [1, 0, 1, 0, 1, 1] });
  await check(engine, { x: [1, 2, 5, 4, 6], w: [2, 2, 3, 3, 3], strides: [2, 1, 2], bias: true });
  await check(engine, { x: [1, 16, 5, 5], w: [8, 16, 1, 1], bias: true });
  await check(engine, { x: [2, 3, 7, 7], w: [4, 3, 1, 1], strides: [2, 2] });
});

testGpu(
  'conv: output counts around the workgroup size (1, 63, 64, 65)',
  getEngine,
  async (engine) => {
    await check(engine, { x: [1, 1, 3, 3], w: [1, 1, 3, 3] });
    for (const n of [63, 64, 65]) await check(engine, { x: [1, 2, 1, n + 2], w: [1, 2, 1, 3] });
    await check(engine, { x: [1, 1, 1, 1], w: [1, 1, 1, 1], bias: true });
  },
);

testGpu('conv: folded dispatch (past the per-dimension limit)', getFolding, async (engine) => {
  // 2·4·12·12 = 1152 outputs = 18 workgroups of 64 > 4² → a 3-D grid of 4 × 4 × 2.
  await check(engine, { x: [2, 3, 12, 12], w: [4, 3, 3, 3], pads: [1, 1, 1, 1], bias: true });
  await check(engine, { x: [1, 4, 10, 9], w: [4, 1, 3, 3], group: 4, strides: [1, 2] });
});

testGpu(
  'conv: bad shapes and attributes are named before anything runs',
  getEngine,
  async (engine) => {
    using x = tensor(engine, uniform(4 * 28 * 28, 3), [1, 4, 28, 28]);
    using w = tensor(engine, uniform(8 * 27, 4), [8, 3, 3, 3]);
    using w4 = tensor(engine, uniform(6 * 4 * 9, 5), [6, 4, 3, 3]);
    using w2 = tensor(engine, uniform(6 * 2 * 9, 5), [6, 2, 3, 3]);
    using b = tensor(engine, uniform(7, 6), [7]);
    using x3 = tensor(engine, uniform(12, 7), [3, 4]);
    using xi = tensor(engine, new Int32Array(4 * 9), [1, 4, 3, 3]);
    const before = engine.dispatchCount;
    assertThrows(
      () => conv(engine, x, w),
      ShapeError,
      'Cannot run conv: weight [8, 3, 3, 3] expects 3·group = 3 input channels, x [1, 4, 28, 28] ' +
        'has 4',
    );
    assertThrows(
      () => conv(engine, x, w2, { group: 2, bias: b }),
      ShapeError,
      'bias [7] must be [6]',
    );
    assertThrows(() => conv(engine, x, w2, { group: 4 }), ShapeError, 'expects 2·group = 8');
    assertThrows(() => conv(engine, x, w4, { group: 0 }), ArgumentError, 'group');
    assertThrows(() => conv(engine, x3, w4), ShapeError, 'current shape is [3, 4]');
    assertThrows(() => conv(engine, x, b), ShapeError, 'must have the rank of x');
    assertThrows(() => conv(engine, xi, w4), ArgumentError, 'must be f32');
    assertThrows(() => conv(engine, x, w4, { strides: [1] }), ArgumentError, 'strides [1]');
    assertThrows(() => conv(engine, x, w4, { pads: [1, 1, -1, 1] }), ArgumentError, 'pads');
    assertThrows(() => conv(engine, x, w4, { dilations: [0, 1] }), ArgumentError, 'dilations');
    assertThrows(
      () => conv(engine, x, w4, { pads: [1, 1, 1, 1], autoPad: 'SAME_UPPER' }),
      ArgumentError,
      'cannot be combined',
    );
    assertThrows(
      () => conv(engine, x, w4, { autoPad: 'SAME' as 'SAME_UPPER' }),
      ArgumentError,
      "unknown autoPad 'SAME'",
    );
    assertThrows(() => conv(engine, x, w4, { kernelShape: [3, 2] }), ShapeError, 'kernelShape');
    assertThrows(
      () => conv(engine, x, w4, { dilations: [14, 1] }),
      ShapeError,
      'smaller than the kernel',
    );
    assertEquals(engine.dispatchCount, before, 'nothing dispatched');
    assertThrows(
      () => convReference([1, 2], [1, 1, 3], [1], [1, 1, 1]),
      ShapeError,
      'x has 2 values',
    );
    assertThrows(
      () => convOutputShape([1, 6, 5, 5], [4, 2, 3, 3], { group: 3 }),
      ShapeError,
      'not a multiple of group = 3',
    );
    // The rejected calls left the engine usable.
    using y = conv(engine, x, w4, { strides: [9, 9] });
    const ref = convReference(await x.read(), x.shape, await w4.read(), w4.shape, {
      strides: [9, 9],
    });
    assertClose(await y.read(), ref.data, {
      atol: 1e-30,
      bound: ref.magnitude.map((m) => 39 * u * m),
    });
  },
);
