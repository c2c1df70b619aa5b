import { assert, assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { test } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { resizeBilinear, resizeBilinearReference } from './resize_bilinear.ts';
import {
  resize,
  resizeBackward,
  resizeBackwardReference,
  type ResizeOptions,
  resizeReference,
} from './resize.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

/**
 * Error bound of the gather (see resize.wgsl): a sum of T products of m + 1 factors, the m
 * weights rounded to f32 on the host: (T + 2m + 2)·u·Σ|Π w|·|src|, with T ≤ K^m taps per
 * output (K = 1, 2, 4 for nearest, linear, cubic) and m resampled axes. Backward lists are
 * longer (every output that reads an input element: up to K·⌈out/in⌉ + K per axis), so the
 * backward bound takes T from that count.
 */
function bound(magnitude: Float64Array, taps: number, axes: number): Float64Array {
  return magnitude.map((m) => (taps + 2 * axes + 2) * u * m);
}

// [name, x shape, options]: every mode and coordinate transformation, up and down, 1–3
// resampled axes, a resampled channel axis, ranks 1–5.
const CASES: [string, number[], ResizeOptions][] = [
  ['nearest up half_pixel', [1, 2, 3, 4], { sizes: [1, 2, 7, 9] }],
  ['nearest down floor', [2, 1, 9, 7], {
    sizes: [2, 1, 4, 3],
    nearestMode: 'floor',
    coordinateTransformationMode: 'asymmetric',
  }],
  ['nearest ceil tf_half_pixel_for_nn', [1, 1, 5, 6], {
    sizes: [1, 1, 8, 4],
    nearestMode: 'ceil',
    coordinateTransformationMode: 'tf_half_pixel_for_nn',
  }],
  ['nearest round_prefer_ceil align_corners', [1, 3, 4, 4], {
    sizes: [1, 3, 7, 7],
    nearestMode: 'round_prefer_ceil',
    coordinateTransformationMode: 'align_corners',
  }],
  ['nearest simple (Upsample) scales', [1, 1, 3, 5], {
    sizes: [1, 1, 6, 2],
    scales: [1, 1, 2, 0.5],
    nearestMode: 'simple',
    coordinateTransformationMode: 'asymmetric',
  }],
  ['linear up half_pixel', [2, 3, 4, 5], { sizes: [2, 3, 9, 11], mode: 'linear' }],
  ['linear down pytorch_half_pixel', [1, 2, 9, 10], {
    sizes: [1, 2, 4, 1],
    mode: 'linear',
    coordinateTransformationMode: 'pytorch_half_pixel',
  }],
  ['linear align_corners scales', [1, 1, 4, 4], {
    sizes: [1, 1, 2, 2],
    scales: [1, 1, 0.6, 0.6],
    mode: 'linear',
    coordinateTransformationMode: 'align_corners',
  }],
  ['linear half_pixel_symmetric scales', [1, 1, 5, 4], {
    sizes: [1, 1, 8, 6],
    scales: [1, 1, 1.7, 1.6],
    mode: 'linear',
    coordinateTransformationMode: 'half_pixel_symmetric',
  }],
  ['linear 3 axes (5-D)', [1, 2, 3, 4, 5], { sizes: [1, 2, 5, 3, 7], mode: 'linear' }],
  ['linear 1-D', [6], { sizes: [13], mode: 'linear', coordinateTransformationMode: 'asymmetric' }],
  ['linear resamples the channel axis', [2, 5, 3], { sizes: [2, 3, 6], mode: 'linear' }],
  ['cubic up', [1, 2, 4, 4], { sizes: [1, 2, 8, 7], mode: 'cubic' }],
  ['cubic down A=-0.5 exclude_outside', [1, 1, 8, 9], {
    sizes: [1, 1, 3, 5],
    mode: 'cubic',
    cubicCoeffA: -0.5,
    excludeOutside: true,
  }],
  ['cubic asymmetric', [1, 1, 4, 4], {
    sizes: [1, 1, 8, 8],
    mode: 'cubic',
    coordinateTransformationMode: 'asymmetric',
  }],
  ['cubic align_corners 3 axes', [1, 3, 4, 5], {
    sizes: [1, 2, 6, 9],
    mode: 'cubic',
    coordinateTransformationMode: 'align_corners',
  }],
  ['linear tf_crop_and_resize extrapolation', [1, 1, 4, 4], {
    sizes: [1, 1, 5, 6],
    mode: 'linear',
    coordinateTransformationMode: 'tf_crop_and_resize',
    roi: [0, 0, -0.2, 0.4, 1, 1, 0.9, 1.3],
    extrapolationValue: 10,
  }],
  ['nearest tf_crop_and_resize', [1, 2, 5, 5], {
    sizes: [1, 2, 3, 3],
    coordinateTransformationMode: 'tf_crop_and_resize',
    roi: [0, 0, 0.2, 0.1, 1, 1, 0.8, 0.7],
  }],
  ['identity', [2, 3, 4], { sizes: [2, 3, 4], mode: 'cubic' }],
  ['single output pixel', [1, 1, 5, 6], { sizes: [1, 1, 1, 1], mode: 'cubic' }],
  ['many outputs (workgroup tail)', [1, 1, 13, 11], { sizes: [1, 1, 29, 23], mode: 'linear' }],
];

function taps(options: ResizeOptions): number {
  return options.mode === 'cubic' ? 4 : options.mode === 'linear' ? 2 : 1;
}

function resampledAxes(shape: number[], options: ResizeOptions): number {
  return shape.filter((d, i) => d !== options.sizes[i]).length ||
    (options.coordinateTransformationMode === 'tf_crop_and_resize' ? 2 : 0);
}

testGpu('resize: every mode against the f64 ONNX reference', getEngine, async (e) => {
  let worstOfAll = 0;
  for (const [name, shape, options] of CASES) {
    const data = uniform(sizeOf(shape), shape.length * 7 + shape[shape.length - 1], -2, 3);
    using x = tensor(e, data, shape);
    using y = resize(e, x, options);
    const ref = resizeReference(data, shape, options);
    assertArrayEquals(y.shape, options.sizes, name);
    const m = resampledAxes(shape, options);
    const worst = assertClose(
      await y.read(),
      ref.data,
      { bound: bound(ref.magnitude, taps(options) ** m, m), atol: 1e-30 },
      name,
    );
    assert(worst <= 1, name);
    worstOfAll = Math.max(worstOfAll, worst);
  }
  console.log(`resize forward: worst error ${worstOfAll.toFixed(3)} of the bound`);
});

testGpu('resize backward: every mode against the f64 transpose', getEngine, async (e) => {
  let worstOfAll = 0;
  for (const [name, shape, options] of CASES) {
    const outSize = sizeOf(options.sizes);
    const g = uniform(outSize, 11 + shape.length, -1, 1);
    using dy = tensor(e, g, options.sizes);
    using dx = resizeBackward(e, dy, { ...options, xShape: shape });
    const ref = resizeBackwardReference(g, shape, options);
    assertArrayEquals(dx.shape, shape, name);
    const m = resampledAxes(shape, options);
    // Each input element collects at most K·(⌈out/in⌉ + 1) taps per axis.
    const perAxis = Math.max(
      ...shape.map((d, i) => taps(options) * (Math.ceil(options.sizes[i] / d) + 1)),
    );
    const worst = assertClose(
      await dx.read(),
      ref.data,
      { bound: bound(ref.magnitude, perAxis ** m, m), atol: 1e-30 },
      name,
    );
    worstOfAll = Math.max(worstOfAll, worst);
  }
  console.log(`resize backward: worst error ${worstOfAll.toFixed(3)} of the bound`);
});

test('resize references: the backward is the adjoint of the forward (f64)', () => {
  // <resize(x), dy> = <x, resizeBackward(dy)> for a linear map, to f64 rounding.
  for (const [name, shape, options] of CASES) {
    if (options.coordinateTransformationMode === 'tf_crop_and_resize') continue; // affine
    const x = uniform(sizeOf(shape), 3, -1, 1);
    const g = uniform(sizeOf(options.sizes), 4, -1, 1);
    const y = resizeReference(x, shape, options).data;
    const dx = resizeBackwardReference(g, shape, options).data;
    let left = 0;
    let right = 0;
    let scale = 0;
    for (let i = 0; i < y.length; i++) {
      left += y[i] * g[i];
      scale += Math.abs(y[i] * g[i]);
    }
    for (let i = 0; i < x.length; i++) right += x[i] * dx[i];
    assert(Math.abs(left - right) <= 1e-12 * scale, `${name}: ${left} vs ${right}`);
  }
  // With extrapolation the map is affine: the extrapolated outputs do not depend on x.
  const [, shape, options] = CASES.find(([n]) => n.includes('extrapolation'))!;
  const zero = resizeReference(new Float64Array(sizeOf(shape)), shape, options).data;
  const x = uniform(sizeOf(shape), 5, -1, 1);
  const g = uniform(sizeOf(options.sizes), 6, -1, 1);
  const y = resizeReference(x, shape, options).data;
  const dx = resizeBackwardReference(g, shape, options).data;
  let left = 0;
  let right = 0;
  for (let i = 0; i < y.length; i++) left += (y[i] - zero[i]) * g[i];
  for (let i = 0; i < x.length; i++) right += x[i] * dx[i];
  assert(Math.abs(left - right) <= 1e-12 * (Math.abs(left) + 1), 'tf_crop_and_resize adjoint');
});

test('resize reference: known values (ONNX examples, nearest repeat, Grad-CAM bilinear)', () => {
  // ONNX's test_resize_downsample_scales_linear_align_corners: [[1, 3.142857]].
  const r = resizeReference([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 4], {
    sizes: [1, 1, 1, 2],
    scales: [1, 1, 0.6, 0.6],
    mode: 'linear',
    coordinateTransformationMode: 'align_corners',
  });
  assertClose(r.data, [1, 1 + 3 / 1.4], { rtol: 1e-12 });
  // Nearest integer upsampling repeats.
  const n = resizeReference([1, 2, 3, 4], [2, 2], {
    sizes: [4, 6],
    mode: 'nearest',
    coordinateTransformationMode: 'asymmetric',
    nearestMode: 'floor',
  });
  assertArrayEquals(
    n.data,
    [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4],
  );
  // Grad-CAM's bilinear map (attr/resize_bilinear.wgsl) is linear + half_pixel.
  const x = uniform(2 * 3 * 5, 8, -1, 1);
  const bilinear = resizeBilinearReference(x, [2, 3, 5], [7, 4]);
  const general = resizeReference(x, [2, 3, 5], { sizes: [2, 7, 4], mode: 'linear' });
  assertClose(general.data, bilinear, { rtol: 1e-12, atol: 1e-15 });
});

testGpu('resize serves Grad-CAM: equals resizeBilinear on the GPU', getEngine, async (e) => {
  const x = uniform(3 * 6 * 5, 9, -1, 1);
  using t = tensor(e, x, [3, 6, 5]);
  using a = resizeBilinear(e, t, [11, 13]);
  using b = resize(e, t, { sizes: [3, 11, 13], mode: 'linear' });
  const ref = resizeBilinearReference(x, [3, 6, 5], [11, 13]);
  assertClose(await b.read(), ref, { atol: 8 * u * 2 });
  assertClose(await b.read(), await a.read(), { atol: 16 * u });
});

testGpu('resize: folded dispatch', getFolding, async (e) => {
  const shape = [1, 2, 9, 10];
  const options: ResizeOptions = { sizes: [1, 2, 31, 23], mode: 'cubic' };
  const data = uniform(sizeOf(shape), 12, -1, 1);
  using x = tensor(e, data, shape);
  using y = resize(e, x, options);
  const ref = resizeReference(data, shape, options);
  assertClose(await y.read(), ref.data, { bound: bound(ref.magnitude, 16, 2), atol: 1e-30 });
  using dx = resizeBackward(e, y, { ...options, xShape: shape });
  const refB = resizeBackwardReference(await y.read(), shape, options);
  assertClose(await dx.read(), refB.data, { bound: bound(refB.magnitude, 144, 2), atol: 1e-30 });
});

testGpu('resize: errors name the problem', getEngine, async (e) => {
  using x = tensor(e, [1, 2, 3, 4], [1, 1, 2, 2]);
  assertThrows(() => resize(e, x, { sizes: [1, 4, 4] }), ShapeError, 'sizes must list 4');
  assertThrows(() => resize(e, x, { sizes: [1, 1, 0, 4] }), ArgumentError, 'positive integers');
  assertThrows(
    () => resize(e, x, { sizes: [1, 1, 4, 4], mode: 'area' as 'linear' }),
    ArgumentError,
    "unknown mode 'area'",
  );
  assertThrows(
    () => resize(e, x, { sizes: [1, 1, 4, 4], roi: [0, 1] }),
    ArgumentError,
    'roi',
  );
  using dy = tensor(e, [1, 2], [1, 2]);
  assertThrows(
    () => resizeBackward(e, dy, { sizes: [1, 1, 4, 4], xShape: [1, 1, 2, 2] }),
    ShapeError,
    'output shape',
  );
  await Promise.resolve();
});
