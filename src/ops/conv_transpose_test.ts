import { assertArrayEquals, assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  convTranspose,
  type ConvTransposeAttributes,
  convTransposeOutputShape,
  convTransposeReference,
} from './conv_transpose.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

interface Case extends ConvTransposeAttributes {
  x: number[];
  w: number[];
  bias?: boolean;
}

// Each output sums at most Cg·taps products and the bias in f32: |error| ≤ (terms + 1)·u·
// (Σ|x·w| + |b|), plus one u for the final rounding. The reference is a scatter, the kernel a
// gather: they share only the output-shape rules, which the ONNX cases below pin down.
async function check(engine: Engine, c: Case, seed = 11): Promise<void> {
  const { x: xShape, w: wShape, bias: withBias, ...attributes } = c;
  const x = uniform(sizeOf(xShape), seed);
  const w = uniform(sizeOf(wShape), seed + 1);
  const M = wShape[1] * (attributes.group ?? 1);
  const b = withBias ? uniform(M, seed + 2) : undefined;
  using tx = tensor(engine, x, xShape);
  using tw = tensor(engine, w, wShape);
  using tb = b ? tensor(engine, b, [M]) : undefined;
  using y = convTranspose(engine, tx, tw, { ...attributes, bias: tb });
  const ref = convTransposeReference(x, xShape, w, wShape, { ...attributes, bias: b });
  const label = JSON.stringify(c);
  assertArrayEquals(y.shape, ref.shape, `${label} shape`);
  assertArrayEquals(convTransposeOutputShape(xShape, wShape, attributes), ref.shape, label);
  const terms = (wShape[0] / (attributes.group ?? 1)) * sizeOf(wShape.slice(2)) + 1;
  const bound = ref.magnitude.map((m) => (terms + 2) * u * m);
  assertClose(await y.read(), ref.data, { atol: 1e-30, bound }, label);
}

/** Rows repeated: `rows([[a, 2], [b, 1]])` is a, a, b. */
function rows(spec: [number[], number][]): number[] {
  return spec.flatMap(([row, times]) => new Array(times).fill(row).flat());
}

const X3 = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const ONES_2x3x3 = new Array(18).fill(1);

testGpu('convTranspose: ONNX backend cases', getEngine, async (engine) => {
  const plain = rows([
    [[0, 1, 3, 3, 2], 1],
    [[3, 8, 15, 12, 7], 1],
    [[9, 21, 36, 27, 15], 1],
    [[9, 20, 33, 24, 13], 1],
    [[6, 13, 21, 15, 8], 1],
  ]);
  const strided = rows([
    [[0, 0, 1, 1, 3, 2, 2, 0], 3],
    [[3, 3, 7, 4, 9, 5, 5, 0], 3],
    [[6, 6, 13, 7, 15, 8, 8, 0], 3],
    [[0, 0, 0, 0, 0, 0, 0, 0], 1],
  ]);
  const padded = rows([[[1, 1, 3], 2], [[7, 4, 9], 3], [[13, 7, 15], 2]]);
  const same = rows([
    [[0, 0, 1, 1, 3, 2], 2],
    [[3, 3, 8, 5, 12, 7], 1],
    [[3, 3, 7, 4, 9, 5], 1],
    [[9, 9, 20, 11, 24, 13], 1],
    [[6, 6, 13, 7, 15, 8], 1],
  ]);
  const cases: [ConvTransposeAttributes, number[], number[]][] = [
    [{}, [1, 2, 5, 5], [...plain, ...plain]],
    [{ strides: [3, 2], outputShape: [10, 8] }, [1, 2, 10, 8], [...strided, ...strided]],
    [{ strides: [3, 2], outputPadding: [1, 1] }, [1, 2, 10, 8], [...strided, ...strided]],
    [
      { strides: [3, 2], outputShape: [10, 8], kernelShape: [3, 3], outputPadding: [1, 1] },
      [1, 2, 10, 8],
      [...strided, ...strided],
    ],
    [{ strides: [3, 2], pads: [1, 2, 1, 2] }, [1, 2, 7, 3], [...padded, ...padded]],
    [{ autoPad: 'SAME_UPPER', strides: [2, 2] }, [1, 2, 6, 6], [...same, ...same]],
  ];
  for (const [attributes, shape, expected] of cases) {
    const label = JSON.stringify(attributes);
    using tx = tensor(engine, X3, [1, 1, 3, 3]);
    using tw = tensor(engine, ONES_2x3x3, [1, 2, 3, 3]);
    using y = convTranspose(engine, tx, tw, attributes);
    assertArrayEquals(y.shape, shape, label);
    // Integers below 2^24: exact in f32.
    assertArrayEquals(await y.read(), expected, label);
    const ref = convTransposeReference(X3, [1, 1, 3, 3], ONES_2x3x3, [1, 2, 3, 3], attributes);
    assertArrayEquals(ref.data, expected, `${label} reference`);
  }
  // 1-D, and dilations.
  using x1 = tensor(engine, [0, 1, 2], [1, 1, 3]);
  using w1 = tensor(engine, [1, 1, 1, 1, 1, 1], [1, 2, 3]);
  using y1 = convTranspose(engine, x1, w1);
  assertArrayEquals(await y1.read(), [0, 1, 3, 3, 2, 0, 1, 3, 3, 2]);
  using xd = tensor(engine, [3, 8, 1, 9, 5, 7, 3, 2, 6], [1, 1, 3, 3]);
  using wd = tensor(engine, [7, 2, 1, 9], [1, 1, 2, 2]);
  using yd = convTranspose(engine, xd, wd, { dilations: [2, 2] });
  assertArrayEquals(yd.shape, [1, 1, 5, 5]);
  assertArrayEquals(await yd.read(), [
    ...[21, 56, 13, 16, 2],
    ...[63, 35, 67, 10, 14],
    ...[24, 22, 76, 76, 21],
    ...[9, 5, 88, 45, 63],
    ...[3, 2, 33, 18, 54],
  ]);
});

testGpu(
  'convTranspose: strides, symmetric and asymmetric pads, bias, batch > 1',
  getEngine,
  async (engine) => {
    await check(engine, { x: [2, 3, 5, 4], w: [3, 2, 3, 3], bias: true });
    await check(engine, { x: [1, 3, 5, 6], w: [3, 4, 4, 4], strides: [2, 2], pads: [1, 1, 1, 1] });
    await check(engine, {
      x: [2, 2, 4, 5],
      w: [2, 3, 3, 2],
      strides: [2, 3],
      pads: [0, 1, 2, 0],
      bias: true,
    });
    await check(engine, {
      x: [1, 2, 4, 4],
      w: [2, 2, 3, 3],
      strides: [2, 2],
      outputPadding: [1, 0],
    });
  },
);

testGpu('convTranspose: dilation 2, with strides and output padding', getEngine, async (engine) => {
  await check(engine, { x: [1, 2, 5, 4], w: [2, 3, 3, 3], dilations: [2, 2] });
  await check(engine, {
    x: [2, 2, 4, 4],
    w: [2, 2, 3, 2],
    dilations: [2, 1],
    strides: [2, 2],
    pads: [1, 0, 2, 1],
    outputPadding: [1, 1],
  });
});

testGpu('convTranspose: grouped and depthwise', getEngine, async (engine) => {
  await check(engine, { x: [1, 4, 4, 5], w: [4, 3, 3, 3], group: 2, bias: true });
  await check(engine, { x: [2, 3, 5, 5], w: [3, 1, 3, 3], group: 3, strides: [2, 2], bias: true });
  await check(engine, { x: [1, 6, 3, 4], w: [6, 2, 2, 2], group: 3, pads: [1, 0, 0, 1] });
});

testGpu('convTranspose: 1-D, 3-D and 1×1 kernels', getEngine, async (engine) => {
  await check(engine, { x: [2, 3, 9], w: [3, 2, 4], strides: [3], pads: [1, 2], dilations: [2] });
  await check(engine, { x: [1, 2, 7], w: [2, 3, 3], bias: true, autoPad: 'SAME_LOWER' });
  await check(engine, { x: [1, 2, 3, 3, 4], w: [2, 2, 2, 3, 2], strides: [2, 1, 2] });
  await check(engine, { x: [1, 4, 5, 5], w: [4, 3, 1, 1], bias: true });
  await check(engine, { x: [1, 2, 3, 4], w: [2, 2, 1, 1], strides: [2, 2] });
});

testGpu('convTranspose: auto_pad modes and output_shape', getEngine, async (engine) => {
  for (const autoPad of ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const) {
    // kernel 4, stride 2: full size 2·(in − 1) + 4 = in·2 + 2, SAME trims 2.
    await check(engine, { x: [1, 2, 3, 4], w: [2, 2, 4, 4], strides: [2, 2], autoPad });
    // kernel 3, stride 2: SAME trims 1, the odd one (UPPER at the end, LOWER at the start).
    await check(engine, { x: [2, 1, 4, 3], w: [1, 2, 3, 3], strides: [2, 2], autoPad, bias: true });
    // Given output_shape: larger than the full result (negative pads) and smaller.
    for (const outputShape of [[11, 9], [7, 6], [1, 3, 8, 8]]) {
      await check(engine, {
        x: [1, 2, 4, 3],
        w: [2, 3, 3, 3],
        strides: [2, 2],
        outputShape,
        autoPad,
      });
    }
  }
  // SAME with the stride past the kernel: in·stride positions, some reached by no input.
  await check(engine, {
    x: [1, 1, 4],
    w: [1, 1, 1],
    strides: [3],
    autoPad: 'SAME_UPPER',
    bias: true,
  });
  assertArrayEquals(
    convTransposeOutputShape([1, 1, 4], [1, 1, 1], { strides: [3], autoPad: 'SAME_LOWER' }),
    [1, 1, 12],
  );
});

testGpu(
  'convTranspose: output counts around the workgroup size; folded dispatch',
  getEngine,
  async (engine) => {
    for (const n of [1, 63, 64, 65]) await check(engine, { x: [1, 2, n], w: [2, 1, 1] });
    await check(engine, { x: [1, 1, 1, 1], w: [1, 1, 1, 1], bias: true });
    const folding = await getFolding();
    // 2·3·14·14 = 1176 outputs = 19 workgroups > 4² → a 3-D grid.
    await check(folding, { x: [2, 2, 6, 6], w: [2, 3, 4, 4], strides: [2, 2], bias: true });
  },
);

testGpu(
  'convTranspose: bad shapes and attributes are named before anything runs',
  getEngine,
  async (engine) => {
    using x = tensor(engine, uniform(4 * 25, 3), [1, 4, 5, 5]);
    using w = tensor(engine, uniform(3 * 2 * 9, 4), [3, 2, 3, 3]);
    using w4 = tensor(engine, uniform(4 * 2 * 9, 5), [4, 2, 3, 3]);
    using b = tensor(engine, uniform(3, 6), [3]);
    const before = engine.dispatchCount;
    assertThrows(
      () => convTranspose(engine, x, w),
      ShapeError,
      'Cannot run convTranspose: weight [3, 2, 3, 3] expects 3 input channels ([C, M/group, ' +
        '...kernel]), x [1, 4, 5, 5] has 4',
    );
    assertThrows(() => convTranspose(engine, x, w4, { group: 3 }), ShapeError, 'not a multiple');
    assertThrows(
      () => convTranspose(engine, x, w4, { bias: b }),
      ShapeError,
      'bias [3] must be [2]',
    );
    assertThrows(
      () => convTranspose(engine, x, w4, { strides: [2, 2], outputPadding: [2, 0] }),
      ArgumentError,
      'outputPadding [2, 0] must be less than the stride or the dilation',
    );
    assertThrows(
      () => convTranspose(engine, x, w4, { outputShape: [9] }),
      ArgumentError,
      'outputShape [9]',
    );
    assertThrows(
      () => convTranspose(engine, x, w4, { outputShape: [1, 3, 9, 9] }),
      ShapeError,
      'disagrees with [N, M] = [1, 2]',
    );
    assertThrows(
      () => convTranspose(engine, x, w4, { pads: [4, 4, 4, 4] }),
      ShapeError,
      'gives an empty output',
    );
    assertThrows(
      () => convTranspose(engine, x, w4, { pads: [1, 1, 1, 1], autoPad: 'VALID' }),
      ArgumentError,
      'cannot be combined',
    );
    assertThrows(
      () => convTranspose(engine, x, w4, { pads: [0, 0, -1, 0] }),
      ArgumentError,
      'pads',
    );
    assertEquals(engine.dispatchCount, before, 'nothing dispatched');
    // The rejected calls left the engine usable.
    using y = convTranspose(engine, x, w4, { strides: [2, 2] });
    const ref = convTransposeReference(await x.read(), x.shape, await w4.read(), w4.shape, {
      strides: [2, 2],
    });
    assertClose(await y.read(), ref.data, {
      atol: 1e-30,
      bound: ref.magnitude.map((m) => 39 * u * m),
    });
  },
);
