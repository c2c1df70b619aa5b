/**
 * The one regl draw command the elements share: a rectangle of a value texture (8-bit table
 * indices in red, a mask in alpha) looked up in a 256×1 colormap texture, blended over an image
 * (or the background) with an opacity, optionally dimming all rows outside a highlighted band.
 * Textures are sampled `nearest`, so each data cell keeps one exact color.
 *
 * @module
 */

import type { Regl, Texture2D } from 'regl';
import { type ColormapName, colormapTable } from './colormaps.ts';

/** Props of one heatmap draw, in canvas device pixels (origin top-left). */
export interface HeatmapProps {
  /** Where to draw: x, y, width, height in device pixels, top-left origin. */
  rect: readonly [number, number, number, number];
  /** Value texture: red = colormap index / 255, alpha = 1 to show, 0 to hide. */
  values: Texture2D;
  /** Sub-rectangle of `values` to show, in texture coordinates: u, v, du, dv. */
  valueRect?: readonly [number, number, number, number];
  /** Colormap table texture (see {@linkcode lutTexture}). */
  lut: Texture2D;
  /** Image under the overlay (RGBA), or null for the background color. */
  image?: Texture2D | null;
  /** Overlay opacity in [0, 1] (default 1). */
  opacity?: number;
  /** Background color, 0–1 RGBA. */
  background: readonly [number, number, number, number];
  /** Rows kept bright, as a band [v0, v1) in 0–1 of the rectangle's height; others dimmed. */
  band?: readonly [number, number] | null;
  /** How far dimmed rows move toward the background (default 0.75). */
  dim?: number;
}

const VERT = `
precision highp float;
attribute vec2 corner;
varying vec2 uv;
void main() {
  uv = corner;
  gl_Position = vec4(corner.x * 2.0 - 1.0, 1.0 - corner.y * 2.0, 0.0, 1.0);
}`;

const FRAG = `
precision highp float;
varying vec2 uv;
uniform sampler2D values, lut, image;
uniform vec4 valueRect, background;
uniform float opacity, hasImage, dim;
uniform vec3 band;
void main() {
  vec4 v = texture2D(values, valueRect.xy + uv * valueRect.zw);
  vec3 base = hasImage > 0.5 ? texture2D(image, uv).rgb : background.rgb;
  float index = floor(v.r * 255.0 + 0.5);
  vec3 color = texture2D(lut, vec2((index + 0.5) / 256.0, 0.5)).rgb;
  vec3 rgb = mix(base, color, v.a * opacity);
  if (band.x > 0.5 && (uv.y < band.y || uv.y >= band.z)) rgb = mix(rgb, background.rgb, dim);
  gl_FragColor = vec4(rgb, 1.0);
}`;

const commands = new WeakMap<Regl, (props: HeatmapProps) => void>();

/** The heatmap draw command of a regl instance (made once per instance). */
export function heatmapCommand(regl: Regl): (props: HeatmapProps) => void {
  let draw = commands.get(regl);
  if (draw) return draw;
  const canvasHeight = () => regl._gl.drawingBufferHeight;
  const box = (_: unknown, p: HeatmapProps) => ({
    x: p.rect[0],
    y: canvasHeight() - p.rect[1] - p.rect[3],
    width: p.rect[2],
    height: p.rect[3],
  });
  const cmd = regl({
    vert: VERT,
    frag: FRAG,
    attributes: { corner: [0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1] },
    count: 6,
    depth: { enable: false },
    viewport: box, // the quad fills its viewport exactly: no scissor needed
    uniforms: {
      values: (_: unknown, p: HeatmapProps) => p.values,
      lut: (_: unknown, p: HeatmapProps) => p.lut,
      image: (_: unknown, p: HeatmapProps) => p.image ?? p.lut,
      hasImage: (_: unknown, p: HeatmapProps) => (p.image ? 1 : 0),
      valueRect: (_: unknown, p: HeatmapProps) => p.valueRect ?? [0, 0, 1, 1],
      opacity: (_: unknown, p: HeatmapProps) => p.opacity ?? 1,
      background: (_: unknown, p: HeatmapProps) => p.background,
      band: (_: unknown, p: HeatmapProps) => p.band ? [1, p.band[0], p.band[1]] : [0, 0, 1],
      dim: (_: unknown, p: HeatmapProps) => p.dim ?? 0.75,
    },
  });
  draw = (props: HeatmapProps) => cmd(props);
  commands.set(regl, draw);
  return draw;
}

/** A 256×1 texture of a colormap's table. */
export function lutTexture(regl: Regl, name: ColormapName): Texture2D {
  return regl.texture({
    width: 256,
    height: 1,
    data: colormapTable(name),
    format: 'rgba',
    type: 'uint8',
    min: 'nearest',
    mag: 'nearest',
    wrapS: 'clamp',
    wrapT: 'clamp',
  });
}

/** An RGBA uint8 texture sampled `nearest`, first row at the top of the picture. */
export function rgbaTexture(
  regl: Regl,
  width: number,
  height: number,
  data: Uint8Array,
): Texture2D {
  return regl.texture({
    width,
    height,
    data,
    format: 'rgba',
    type: 'uint8',
    min: 'nearest',
    mag: 'nearest',
    wrapS: 'clamp',
    wrapT: 'clamp',
  });
}
