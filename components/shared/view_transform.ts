/**
 * The pan/zoom transforms of the regl-drawn views as 3×3 matrices (wgpu-matrix, f64): a
 * {@linkcode View} (world center and CSS pixels per world unit) on a canvas of `width × height`
 * CSS pixels becomes
 *
 * - {@linkcode clipFromWorld}: world → clip space, the shader's `uniform mat3 view`
 *   ({@linkcode glslMat3} packs it to the 9 floats GLSL takes);
 * - {@linkcode screenFromWorld}: world → CSS pixels from the canvas's top left (y down), for
 *   read-outs and DOM labels;
 * - {@linkcode worldFromScreen}: its inverse, for picking and hover.
 *
 * The world's y axis points down like the screen's unless `yUp` is set (scatter positions, bar
 * heights): then world y is negated before the view applies, and `view.cy` is the negated y at
 * the center. The two forward matrices are the same view with a different last step
 * (`clipFromWorld = clipFromScreen · screenFromWorld`), each composed in the order of the formulas
 * it replaced, so the drawn pixels stay identical: `clipFromWorld` holds exactly the former
 * `scale`/`offset` uniforms, and `screenFromWorld` puts the world origin exactly where
 * `(x − cx)·scale + width/2` did (a heatmap's viewport is truncated to whole pixels). Picking
 * stays in f64; the shader gets an f32 copy.
 *
 * @example
 * ```ts
 * import { vec2d } from 'wgpu-matrix';
 * import { clipFromWorld, glslMat3, worldFromScreen } from './view_transform.ts';
 *
 * const view = { cx: 5, cy: -5, scale: 20 };
 * const size = { width: 200, height: 150 };
 * const uniform = glslMat3(clipFromWorld(view, size, { yUp: true })); // for `uniform mat3 view`
 * const [x, y] = vec2d.transformMat3([100, 75], worldFromScreen(view, size, { yUp: true }));
 * // (x, y) = (5, 5): the canvas center shows the view's center.
 * ```
 *
 * @module
 */

import { type Mat3Arg, type Mat3d, mat3d } from 'wgpu-matrix';
import type { View } from '../view_helpers.ts';

/** The canvas size in CSS pixels. */
export interface ViewSize {
  /** Width in CSS pixels. */
  width: number;
  /** Height in CSS pixels. */
  height: number;
}

/** How world coordinates relate to the screen's. */
export interface ViewTransformOptions {
  /** World y grows upward (negated before the view applies). Default false: y down. */
  yUp?: boolean;
}

/**
 * World → clip space: `clip = ((x − cx)·2s/width, −(y − cy)·2s/height)`, composed as
 * scaling · translation(−center) [· flip]. Its entries equal the former `scale`/`offset`
 * uniforms exactly (`[2s/w, ∓2s/h]`, `[−sx·cx, sy·cy]`).
 */
export function clipFromWorld(
  view: View,
  size: ViewSize,
  options: ViewTransformOptions = {},
  dst?: Mat3d,
): Mat3d {
  const sx = (2 * view.scale) / size.width;
  const sy = (2 * view.scale) / size.height;
  const m = mat3d.scaling([sx, -sy], dst);
  mat3d.translate(m, [-view.cx, -view.cy], m);
  if (options.yUp) mat3d.scale(m, [1, -1], m);
  return m;
}

/**
 * World → CSS pixels from the canvas's top left (y down):
 * `screen = (world − center)·scale + size/2`, composed as translation(size/2) · scaling ·
 * translation(−center) [· flip].
 */
export function screenFromWorld(
  view: View,
  size: ViewSize,
  options: ViewTransformOptions = {},
  dst?: Mat3d,
): Mat3d {
  const m = mat3d.translation([size.width / 2, size.height / 2], dst);
  mat3d.uniformScale(m, view.scale, m);
  mat3d.translate(m, [-view.cx, -view.cy], m);
  if (options.yUp) mat3d.scale(m, [1, -1], m);
  return m;
}

/** CSS pixels → world: the inverse of {@linkcode screenFromWorld}, for picking (f64). */
export function worldFromScreen(
  view: View,
  size: ViewSize,
  options: ViewTransformOptions = {},
  dst?: Mat3d,
): Mat3d {
  const m = screenFromWorld(view, size, options, dst);
  return mat3d.inverse(m, m);
}

/**
 * A wgpu-matrix mat3 (3 columns padded to 4, as WGSL lays them out) as the 9 floats, column
 * by column, of a GLSL `mat3` uniform; f64 entries are rounded to f32 as WebGL would.
 */
export function glslMat3(m: Mat3Arg, dst: Float32Array = new Float32Array(9)): Float32Array {
  for (let c = 0; c < 3; c++) {
    for (let r = 0; r < 3; r++) dst[3 * c + r] = m[4 * c + r];
  }
  return dst;
}
