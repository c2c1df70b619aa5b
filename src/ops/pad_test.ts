// pad / padBackward against their f64 references. The forward is a copy: exact. The backward
// adds up to `terms` f32 values per element: |error| ≤ terms·u·Σ|dy| (u = 2⁻²⁴), exact where
// nothing accumulates (constant mode).
import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { finiteDifferenceGradient } from '../../test/finite_difference.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import {
  pad,
  padBackward,
  padBackwardReference,
  type PadMode,
  padOutputShape,
  padReference,
} from './pad.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;
const MODES: PadMode[] = ['constant', 'reflect', 'edge', 'wrap'];

// [shape, pads]: DenseNet's all-zero pad, image padding, 1-D sizes around the workgroup (63, 64,
// 65 elements out), cropping (negative pads), pads longer than the axis (reflect/wrap repeat),
// an axis of one element, a scalar-free rank 5.
const CASES: [number[], number[]][] = [
  [[1, 2, 4, 4], [0, 0, 0, 0, 0, 0, 0, 0]],
  [[1, 3, 5, 6], [0, 0, 2, 1, 0, 0, 1, 2]],
  [[60], [1, 2]],
  [[60], [2, 2]],
  [[60], [3, 2]],
  [[7, 9], [-2, 3, 1, -4]],
  [[3, 4], [9, 5, 7, 10]],
  [[2, 1, 3], [0, 2, 1, 0, 3, 0]],
  [[2, 3, 2, 3, 2], [1, 0, 1, 0, 1, 1, 0, 1, 0, 1]],
];

testGpu('pad: every mode matches padReference exactly (f32)', getEngine, async (engine) => {
  for (const [shape, pads] of CASES) {
    const x = uniform(sizeOf(shape), 3);
    using tx = tensor(engine, x, shape);
    for (const mode of MODES) {
      const ref = padReference(x, shape, { pads, mode, value: 0.5 });
      using y = pad(engine, tx, { pads, mode, value: 0.5 });
      assertArrayEquals(y.shape, ref.shape, `${mode} ${shape} ${pads} shape`);
      assertArrayEquals(await y.read(), Float32Array.from(ref.data), `${mode} ${shape} ${pads}`);
    }
  }
});

testGpu('pad: i32 data, a runtime value tensor, folded dispatches', getEngine, async (engine) => {
  const shape = [5, 13];
  const pads = [2, -1, 3, 4];
  const x = Int32Array.from(integers(sizeOf(shape), 4, -100, 100));
  using tx = tensor(engine, x, shape);
  using v = tensor(engine, new Int32Array([-7]), []);
  using y = pad(engine, tx, { pads, value: v });
  const ref = padReference(x, shape, { pads, value: -7 });
  assertArrayEquals(await y.read(), Int32Array.from(ref.data), 'i32 constant');
  const folding = await getFolding();
  const xf = uniform(sizeOf(shape), 5);
  using tf = tensor(folding, xf, shape);
  for (const mode of MODES) {
    using yf = pad(folding, tf, { pads, mode });
    const want = padReference(xf, shape, { pads, mode });
    assertArrayEquals(await yf.read(), Float32Array.from(want.data), `folded ${mode}`);
  }
});

testGpu('padBackward: matches padBackwardReference within terms·u·Σ|dy|', getEngine, async (e) => {
  for (const [shape, pads] of CASES) {
    for (const mode of MODES) {
      const out = padOutputShape(shape, pads, mode);
      const dy = uniform(sizeOf(out), 6);
      using tdy = tensor(e, dy, out);
      using dx = padBackward(e, tdy, { xShape: shape, pads, mode });
      const ref = padBackwardReference(dy, shape, { pads, mode });
      const bound = ref.magnitude.map((m, i) => ref.terms[i] * u * m);
      assertArrayEquals(dx.shape, shape, 'shape');
      assertClose(await dx.read(), ref.data, { atol: 1e-30, bound }, `${mode} ${shape} ${pads}`);
    }
  }
});

testGpu('padBackward reference: equals central differences of padReference', getEngine, () => {
  // Σ dy·pad(x) is linear in x: central differences are exact up to f64 rounding.
  for (const [shape, pads] of CASES.slice(1, 8)) {
    for (const mode of MODES) {
      const x = uniform(sizeOf(shape), 7);
      const dy = uniform(sizeOf(padOutputShape(shape, pads, mode)), 8);
      const fd = finiteDifferenceGradient(
        (p) => padReference(p, shape, { pads, mode }).data,
        x,
        dy,
        1e-3,
      );
      const ref = padBackwardReference(dy, shape, { pads, mode });
      assertClose(ref.data, fd, { atol: 1e-9 }, `${mode} ${shape} ${pads}`);
    }
  }
  return Promise.resolve();
});

testGpu('pad: bad pads are typed errors', getEngine, async (engine) => {
  using x = tensor(engine, uniform(6, 9), [2, 3]);
  assertThrows(() => pad(engine, x, { pads: [1, 1] }), ArgumentError, '4 integers');
  assertThrows(() => pad(engine, x, { pads: [0, -4, 0, 0] }), ArgumentError, '-1 elements');
  assertThrows(
    () => pad(engine, x, { pads: [0, 0, 0, 0], mode: 'mirror' as PadMode }),
    ArgumentError,
    "unknown op 'mirror'",
  );
  using empty = tensor(engine, [], [0, 3]);
  assertThrows(
    () => pad(engine, empty, { pads: [1, 0, 0, 0], mode: 'reflect' }),
    ArgumentError,
    'nothing to copy',
  );
  using dy = tensor(engine, uniform(6, 10), [2, 3]);
  assertThrows(
    () => padBackward(engine, dy, { xShape: [2, 3], pads: [1, 0, 0, 0] }),
    ShapeError,
    'must be the pad output shape',
  );
  // Constant padding of an empty axis is fine: all constant.
  using filled = pad(engine, empty, { pads: [1, 0, 0, 0], value: 2 });
  assertArrayEquals(await filled.read(), [2, 2, 2]);
});
