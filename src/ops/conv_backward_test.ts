import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { type ConvAttributes, convOutputShape, convReference } from './conv.ts';
import {
  convBackwardBias,
  convBackwardBiasReference,
  convBackwardData,
  convBackwardDataReference,
  convBackwardWeight,
  convBackwardWeightReference,
} from './conv_backward.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

interface Case extends ConvAttributes {
  x: number[];
  w: number[];
}

// Control case first, then one thing varied at a time.
const CASES: Case[] = [
  { x: [1, 2, 6, 6], w: [3, 2, 3, 3] },
  { x: [1, 2, 7, 7], w: [3, 2, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  // Stride 3 > kernel 2: every third row and column of x is never covered (dx = 0 there); the
  // floor-rounded output also leaves the last rows uncovered.
  { x: [1, 2, 9, 10], w: [2, 2, 2, 2], strides: [3, 3] },
  { x: [1, 2, 9, 8], w: [2, 2, 3, 3], dilations: [2, 2], pads: [2, 1, 2, 1] },
  { x: [1, 2, 10, 9], w: [2, 2, 3, 3], dilations: [2, 2] },
  { x: [2, 2, 7, 6], w: [3, 2, 3, 2], strides: [2, 1], pads: [0, 2, 1, 0] },
  { x: [1, 4, 6, 6], w: [6, 2, 3, 3], group: 2 },
  { x: [2, 5, 7, 7], w: [5, 1, 3, 3], group: 5, pads: [1, 1, 1, 1] },
  { x: [1, 3, 6, 5], w: [6, 1, 3, 3], group: 3, strides: [2, 2] },
  { x: [3, 3, 17], w: [4, 3, 5], strides: [2], pads: [2, 1], dilations: [2] },
  { x: [1, 4, 12], w: [4, 2, 3], group: 2, autoPad: 'SAME_LOWER', strides: [3] },
  { x: [1, 2, 4, 5, 6], w: [3, 2, 2, 3, 2], pads: [1, 0, 1, 0, 1, 1], strides: [2, 1, 2] },
  { x: [3, 2, 6, 5], w: [2, 2, 3, 3], autoPad: 'SAME_UPPER', strides: [2, 2] },
  { x: [1, 2, 7, 8], w: [2, 2, 4, 4], autoPad: 'VALID', strides: [2, 3] },
  { x: [2, 3, 5, 5], w: [4, 3, 1, 1] },
  // dx of 864 elements and dW of 108 elements: several workgroups.
  { x: [2, 3, 12, 12], w: [4, 3, 3, 3], pads: [1, 1, 1, 1] },
];

function split(c: Case): { xShape: number[]; wShape: number[]; attributes: ConvAttributes } {
  const { x: xShape, w: wShape, ...attributes } = c;
  return { xShape, wShape, attributes };
}

// Each kernel sums `terms` f32 products (and the weight kernel's partials add at most
// `partials` more roundings): |error| ≤ (terms + 1)·u·Σ|terms| in any order, plus one u for
// the final rounding. The tiny atol admits exact zeros where nothing is summed.
async function check(engine: Engine, c: Case, seed = 3, maxPartials?: number): Promise<void> {
  const { xShape, wShape, attributes } = split(c);
  const yShape = convOutputShape(xShape, wShape, attributes);
  const x = uniform(sizeOf(xShape), seed);
  const w = uniform(sizeOf(wShape), seed + 1);
  const dy = uniform(sizeOf(yShape), seed + 2);
  using tx = tensor(engine, x, xShape);
  using tw = tensor(engine, w, wShape);
  using tdy = tensor(engine, dy, yShape);
  const label = JSON.stringify(c);

  using dx = convBackwardData(engine, tdy, tw, { ...attributes, xShape });
  const refX = convBackwardDataReference(dy, yShape, w, wShape, { ...attributes, xShape });
  assertArrayEquals(dx.shape, xShape, `${label} dx shape`);
  const group = attributes.group ?? 1;
  const dataTerms = (wShape[0] / group) * sizeOf(wShape.slice(2));
  const boundX = refX.magnitude.map((m) => (dataTerms + 2) * u * m);
  assertClose(await dx.read(), refX.data, { atol: 1e-30, bound: boundX }, `${label} dx`);

  using dw = convBackwardWeight(engine, tx, tdy, { ...attributes, wShape, maxPartials });
  const refW = convBackwardWeightReference(x, xShape, dy, yShape, { ...attributes, wShape });
  assertArrayEquals(dw.shape, wShape, `${label} dW shape`);
  const weightTerms = sizeOf(yShape) / wShape[0] + Math.ceil(sizeOf(yShape) / wShape[0] / 2048);
  const boundW = refW.magnitude.map((m) => (weightTerms + 2) * u * m);
  assertClose(await dw.read(), refW.data, { atol: 1e-30, bound: boundW }, `${label} dW`);

  using db = convBackwardBias(engine, tdy);
  const refB = convBackwardBiasReference(dy, yShape);
  assertArrayEquals(db.shape, [wShape[0]], `${label} db shape`);
  const biasTerms = sizeOf(yShape) / wShape[0];
  const boundB = refB.magnitude.map((m) => (biasTerms + 2) * u * m);
  assertClose(await db.read(), refB.data, { atol: 1e-30, bound: boundB }, `${label} db`);
}

/** Σ dy ⊙ conv(x, w) + bias: the loss whose gradients the references must be. */
function loss(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number>,
  dy: ArrayLike<number>,
  c: Case,
): number {
  const { xShape, wShape, attributes } = split(c);
  const y = convReference(x, xShape, w, wShape, { ...attributes, bias: b }).data;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += dy[i] * y[i];
  return s;
}

/** Central differences of `loss` along every element of `v` (which it perturbs in place). */
function centralDifferences(v: Float64Array, f: () => number, h = 1e-3): Float64Array {
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

testGpu('convBackward references: equal central differences of convReference', getEngine, () => {
  // The loss is linear in x, w and b, so central differences are exact up to f64 rounding.
  const cases: Case[] = [
    { x: [1, 2, 5, 5], w: [3, 2, 3, 3], strides: [2, 2], pads: [1, 0, 0, 1] },
    { x: [2, 4, 6], w: [4, 2, 3], group: 2, dilations: [2], pads: [1, 2] },
    { x: [1, 2, 3, 4, 4], w: [2, 1, 2, 2, 3], group: 2, strides: [1, 2, 1] },
    { x: [1, 3, 7, 7], w: [3, 1, 2, 2], group: 3, strides: [3, 3] },
  ];
  for (const c of cases) {
    const { xShape, wShape, attributes } = split(c);
    const yShape = convOutputShape(xShape, wShape, attributes);
    const x = Float64Array.from(uniform(sizeOf(xShape), 7));
    const w = Float64Array.from(uniform(sizeOf(wShape), 8));
    const b = Float64Array.from(uniform(wShape[0], 9));
    const dy = Float64Array.from(uniform(sizeOf(yShape), 10));
    const f = () => loss(x, w, b, dy, c);
    const label = JSON.stringify(c);
    const tol = { atol: 1e-8 };
    const dx = convBackwardDataReference(dy, yShape, w, wShape, { ...attributes, xShape });
    assertClose(dx.data, centralDifferences(x, f), tol, `${label} dx`);
    const dw = convBackwardWeightReference(x, xShape, dy, yShape, { ...attributes, wShape });
    assertClose(dw.data, centralDifferences(w, f), tol, `${label} dW`);
    assertClose(convBackwardBiasReference(dy, yShape).data, centralDifferences(b, f), tol, label);
  }
  return Promise.resolve();
});

testGpu(
  'convBackward: strides 1-3, dilation, asymmetric pads, groups, depthwise, 1-D, 3-D, auto_pad',
  getEngine,
  async (engine) => {
    for (const c of CASES) await check(engine, c);
  },
);

testGpu(
  'convBackwardData: input positions no window covers get exactly 0',
  getEngine,
  async (engine) => {
    // Kernel 1, stride 3 on 8: windows read x at 0, 3, 6; x at 7 is past the last window.
    const xShape = [1, 1, 8];
    const wShape = [1, 1, 1];
    using dy = tensor(engine, [1, 2, 3], [1, 1, 3]);
    using w = tensor(engine, [2], wShape);
    // Start from a dirty pooled buffer of the same size: every element must be written.
    tensor(engine, new Float32Array(8).fill(7), [8]).destroy();
    using dx = convBackwardData(engine, dy, w, { xShape, strides: [3] });
    assertArrayEquals(await dx.read(), [2, 0, 0, 4, 0, 0, 6, 0]);
  },
);

testGpu(
  'convBackwardWeight: more positions than one span (partials summed, in rounds)',
  getEngine,
  async (engine) => {
    // 2·40·40 = 3200 positions: two spans of 2048, summed by the reduce kernel.
    const c: Case = { x: [2, 1, 40, 40], w: [2, 1, 3, 3], pads: [1, 1, 1, 1] };
    await check(engine, c);
    // 3·30·30 = 2700 positions + stride 1 → 2 spans; with one partial at a time: two rounds.
    const d: Case = { x: [3, 2, 30, 30], w: [2, 2, 1, 1] };
    await check(engine, d, 5, 1);
    // 5 spans in rounds of 2 partials (the last round has a span past the end).
    const e: Case = { x: [5, 1, 45, 45], w: [1, 1, 1, 1] };
    await check(engine, e, 6, 2);
  },
);

testGpu(
  'convBackward: folded dispatch (4 workgroups per dimension)',
  getFolding,
  async (engine) => {
    await check(engine, { x: [2, 3, 12, 12], w: [4, 3, 3, 3], pads: [1, 1, 1, 1] });
  },
);

testGpu('convBackward: shape errors before anything is recorded', getEngine, (engine) => {
  using dy = tensor(engine, new Float32Array(2 * 16), [1, 2, 4, 4]);
  using w = tensor(engine, new Float32Array(2 * 3 * 9), [2, 3, 3, 3]);
  using x = tensor(engine, new Float32Array(3 * 36), [1, 3, 6, 6]);
  const before = engine.dispatchCount;
  assertThrows(
    () => convBackwardData(engine, dy, w, { xShape: [1, 3, 7, 7] }),
    ShapeError,
    'must be the conv output shape [1, 2, 5, 5]',
  );
  assertThrows(
    () => convBackwardWeight(engine, x, dy, { wShape: [2, 3, 3] }),
    ShapeError,
    'rank',
  );
  using flat = w.reshape([54]);
  assertThrows(() => convBackwardBias(engine, flat), ShapeError, 'spatial');
  assertArrayEquals([engine.dispatchCount], [before]);
  return Promise.resolve();
});
