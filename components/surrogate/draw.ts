/**
 * WebGL drawing of `<glass-surrogate>`'s image templates: one texture per template (its weights
 * as colormap indices on the shared diverging scale) and the `rdbu` lookup table, drawn with the
 * shared heatmap command into the grid of `templates.ts`.
 *
 * @module
 */

import type { Regl, Texture2D } from 'regl';
import { colormapIndex } from '../shared/colormaps.ts';
import { heatmapCommand, lutTexture, rgbaTexture } from '../shared/heatmap.ts';
import type { Prepared } from './prepare.ts';
import { LABEL_H, type TemplateLayout, tileRect } from './templates.ts';

/** The textures of the templates, made by one regl instance (`gen`, its generation). */
export interface TemplateTextures {
  gen: number;
  tiles: Texture2D[];
  lut: Texture2D;
}

/** Uploads the image templates of `p` (which must have `image`) and the colormap. */
export function templateTextures(regl: Regl, p: Prepared, gen: number): TemplateTextures {
  const { w, h } = p.image!;
  const plane = w * h;
  return {
    gen,
    tiles: p.tiles.map((t) => {
      const rgba = new Uint8Array(plane * 4);
      for (let q = 0; q < plane; q++) {
        rgba[q * 4] = colormapIndex(0.5 + (0.5 * t.data[q]) / p.scale);
        rgba[q * 4 + 3] = 255;
      }
      return rgbaTexture(regl, w, h, rgba);
    }),
    lut: lutTexture(regl, 'rdbu'),
  };
}

/** Destroys the textures (they must belong to the live regl). */
export function destroyTemplateTextures(tex: TemplateTextures): void {
  for (const t of [...tex.tiles, tex.lut]) t.destroy();
}

/**
 * Clears to `background` and draws every template's image below its label; `dpr` is device
 * pixels per CSS pixel of the canvas.
 */
export function drawTemplates(
  regl: Regl,
  options: {
    prepared: Prepared;
    layout: TemplateLayout;
    textures: TemplateTextures;
    dpr: number;
    background: [number, number, number, number];
  },
): void {
  const { prepared: p, layout, textures: tex, dpr, background } = options;
  const { tileW, tileH } = layout;
  regl.clear({ color: background });
  const draw = heatmapCommand(regl);
  p.tiles.forEach((_, i) => {
    const r = tileRect(layout, i);
    const x0 = Math.round(r.x * dpr);
    const y0 = Math.round((r.y + LABEL_H) * dpr);
    draw({
      rect: [
        x0,
        y0,
        Math.round((r.x + tileW) * dpr) - x0,
        Math.round((r.y + LABEL_H + tileH) * dpr) - y0,
      ],
      values: tex.tiles[i],
      lut: tex.lut,
      background,
    });
  });
}
