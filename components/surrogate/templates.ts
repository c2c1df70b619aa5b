/**
 * The templates of `<glass-surrogate>` (linear: one per class; MLP: the strongest hidden units):
 * their grid layout, hit testing and event detail, the image grid over the WebGL canvas, the
 * tabular coefficient bars (SVG) and the diverging colorbar.
 *
 * @module
 */

import { html, nothing, svg, type TemplateResult } from 'lit';
import { colormap, colormapGradient } from '../shared/colormaps.ts';
import { formatValue } from '../shared/data.ts';
import type { SurrogateNames } from './format.ts';
import type { Prepared } from './prepare.ts';

/** Detail of `glass-select` and `glass-hover` on a template (a class, or a hidden unit). */
export interface SurrogateTemplateDetail {
  kind: 'template';
  /** Position of the template in the grid. */
  index: number;
  /** The label shown above it. */
  label: string;
  /** Linear kind: the class. */
  class?: number;
  /** MLP kind: the hidden unit. */
  unit?: number;
  /** Hover over an image template: the pixel (column, row) and the weight there. */
  x?: number;
  y?: number;
  value?: number;
}

/** Space between templates (CSS pixels). */
export const GAP = 8;
/** Height of a template's label above its image. */
export const LABEL_H = 18;
const MIN_TILE = 72;
const MIN_BARS = 160;
const BAR_H = 14;

/** The template grid: its width, columns, one template's image size, and its height. */
export interface TemplateLayout {
  width: number;
  cols: number;
  tileW: number;
  tileH: number;
  height: number;
}

/** Lays the templates of `p` out in `width` CSS pixels (square-ish images, bars ≥ 160 px). */
export function layoutTemplates(p: Prepared | null, width: number): TemplateLayout {
  const n = p?.tiles.length ?? 0;
  const min = p?.image ? MIN_TILE : MIN_BARS;
  const cols = Math.max(1, Math.min(n, Math.floor((width + GAP) / (min + GAP))));
  const tileW = Math.max(1, (width - GAP * (cols - 1)) / cols);
  const tileH = p?.image ? Math.max(1, Math.round((tileW * p.image.h) / p.image.w)) : 0;
  const rows = Math.ceil(n / cols);
  const height = rows ? rows * (LABEL_H + tileH + GAP) - GAP : 0;
  return { width, cols, tileW, tileH, height };
}

/** Template `i`'s box (its label's top left; `h` is the image height below the label). */
export function tileRect(
  layout: TemplateLayout,
  i: number,
): { x: number; y: number; w: number; h: number } {
  const { cols, tileW, tileH } = layout;
  const col = i % cols;
  const row = Math.floor(i / cols);
  return { x: col * (tileW + GAP), y: row * (LABEL_H + tileH + GAP), w: tileW, h: tileH };
}

/** The template index and pixel at stage CSS coordinates, or null outside the templates. */
export function templateAt(
  p: Prepared | null,
  layout: TemplateLayout,
  x: number,
  y: number,
): { index: number; x?: number; y?: number } | null {
  if (!p || !p.tiles.length) return null;
  const { cols, tileW, tileH } = layout;
  const pitchY = LABEL_H + tileH + GAP;
  const col = Math.floor(x / (tileW + GAP));
  const row = Math.floor(y / pitchY);
  const lx = x - col * (tileW + GAP);
  const ly = y - row * pitchY;
  const index = row * cols + col;
  if (col < 0 || col >= cols || row < 0 || lx >= tileW || ly >= LABEL_H + tileH) return null;
  if (index >= p.tiles.length) return null;
  if (!p.image || ly < LABEL_H) return { index };
  return {
    index,
    x: Math.min(p.image.w - 1, Math.floor((lx / tileW) * p.image.w)),
    y: Math.min(p.image.h - 1, Math.floor(((ly - LABEL_H) / tileH) * p.image.h)),
  };
}

/** The event detail of template `i` (with the weight at `pixel` of an image template). */
export function templateDetail(
  p: Prepared,
  i: number,
  pixel: { x: number; y: number } | null,
): SurrogateTemplateDetail {
  const t = p.tiles[i];
  const d: SurrogateTemplateDetail = { kind: 'template', index: i, label: t.label };
  if (t.class !== undefined) d.class = t.class;
  if (t.unit !== undefined) d.unit = t.unit;
  if (pixel && p.image) {
    d.x = pixel.x;
    d.y = pixel.y;
    d.value = t.data[pixel.y * p.image.w + pixel.x];
  }
  return d;
}

/** What a template view shows and whom it tells. */
export interface TemplatesView {
  prepared: Prepared;
  layout: TemplateLayout;
  /** Accessible name of the element. */
  label: string;
  /** The kind of surrogate (`linear` names class templates, `mlp` hidden units). */
  kind: string;
  /** The active template (pointer or keyboard), or −1. */
  active: number;
  /** The hovered pixel of the active image template, or null. */
  pixel: { x: number; y: number } | null;
  onKey(e: KeyboardEvent): void;
  onLeave(): void;
  onHover(i: number): void;
  onSelect(i: number): void;
}

/** The image templates: labels and cursor over `canvas` (drawn by `drawTemplates`), legend. */
export function renderImages(
  v: TemplatesView & {
    canvas: HTMLCanvasElement;
    onPointer(e: PointerEvent): void;
    onClick(e: MouseEvent): void;
  },
): TemplateResult {
  const p = v.prepared;
  const { tileW, tileH, height } = v.layout;
  const a = v.active;
  const cur = a >= 0 && a < p.tiles.length ? tileRect(v.layout, a) : null;
  const px = v.pixel;
  return html`
    <div
      class="stage"
      role="listbox"
      tabindex="0"
      aria-label=${`${v.label}: ${p.tiles.length} ${
        v.kind === 'linear' ? 'class templates' : 'hidden-unit templates'
      }`}
      aria-describedby="summary"
      aria-activedescendant=${cur ? `tile-${a}` : nothing}
      style="height:${height}px"
      @pointermove=${v.onPointer}
      @pointerleave=${v.onLeave}
      @click=${v.onClick}
      @keydown=${v.onKey}
      @blur=${v.onLeave}
    >
      ${v.canvas} ${p.tiles.map((t, i) => {
        const r = tileRect(v.layout, i);
        return html`
          <div
            part="label"
            id="tile-${i}"
            role="option"
            aria-selected=${i === a ? 'true' : 'false'}
            style="left:${r.x}px;top:${r.y}px;width:${tileW}px"
          >${t.label}${t.note
            ? html`
              <small>${t.note}</small>
            `
            : nothing}</div>
        `;
      })} ${cur
        ? html`
          <div part="cursor"
            style="left:${cur.x - 2}px;top:${cur.y + LABEL_H - 2}px;width:${cur.w +
              4}px;height:${tileH + 4}px"></div>
        `
        : nothing} ${cur && px
        ? html`
          <div part="tooltip" role="status"
            style="left:${Math.min(cur.x, v.layout.width - 140)}px;top:${cur.y + LABEL_H +
              tileH + 4}px">(${px.x}, ${px.y}) ${formatValue(
                p.tiles[a].data[px.y * p.image!.w + px.x],
              )}</div>
        `
        : nothing}
    </div>
    ${renderLegend(p)}
  `;
}

/** The tabular templates: per template, bars of its largest `maxFeatures` coefficients. */
export function renderBars(
  v: TemplatesView & { maxFeatures: number; names: SurrogateNames },
): TemplateResult {
  const p = v.prepared;
  const { cols } = v.layout;
  const a = v.active;
  const max = Math.max(1, Math.floor(v.maxFeatures) || 24);
  return html`
    <div
      class="stage bars-grid"
      role="listbox"
      tabindex="0"
      aria-label=${`${v.label}: coefficients of ${p.tiles.length} templates`}
      aria-describedby="summary"
      aria-activedescendant=${a >= 0 ? `tile-${a}` : nothing}
      style="grid-template-columns: repeat(${cols}, minmax(0, 1fr))"
      @keydown=${v.onKey}
      @blur=${v.onLeave}
      @pointerleave=${v.onLeave}
    >
      ${p.tiles.map((t, i) => {
        let features = Array.from({ length: p.d }, (_, f) => f);
        if (p.d > max) {
          features = features.sort((x, y) => Math.abs(t.data[y]) - Math.abs(t.data[x]) || x - y)
            .slice(0, max);
        }
        const H = features.length * BAR_H + 4;
        const W = 200;
        const L = 90;
        const mid = L + (W - L) / 2;
        const half = (W - L) / 2 - 2;
        return html`
          <div
            part=${i === a ? 'tile active' : 'tile'}
            id="tile-${i}"
            role="option"
            aria-selected=${i === a ? 'true' : 'false'}
            data-index=${i}
            @pointerenter=${() => v.onHover(i)}
            @click=${() => v.onSelect(i)}
          >
            <div class="tile-label">${t.label}${t.note
              ? html`
                <small class="n">${t.note}</small>
              `
              : nothing}${p.d > max
              ? html`
                <small class="n">top ${max} of ${p.d}</small>
              `
              : nothing}</div>
            <svg part="bars" viewBox="0 0 ${W} ${H}" aria-hidden="true">
              ${features.map((f, k) => {
                const value = t.data[f];
                const len = (Math.abs(value) / p.scale) * half;
                const [r, g, b] = colormap('rdbu', 0.5 + (0.5 * value) / p.scale);
                return svg`
                  <text x=${L - 4} y=${k * BAR_H + 12} text-anchor="end">${v.names.featureName(
                    f,
                  )}</text>
                  <rect class="coef" data-feature=${f} x=${value < 0 ? mid - len : mid}
                    y=${k * BAR_H + 3} width=${len} height=${BAR_H - 4}
                    fill="rgb(${r}, ${g}, ${b})">
                    <title>${formatValue(value)}</title>
                  </rect>
                `;
              })}
              ${svg`<line class="zero" x1=${mid} x2=${mid} y1="0" y2=${H}></line>`}
            </svg>
          </div>
        `;
      })}
    </div>
    ${renderLegend(p)}
  `;
}

/** The `legend` part: the diverging colorbar from −scale to +scale. */
export function renderLegend(p: Prepared): TemplateResult {
  return html`
    <div part="legend" aria-hidden="true">
      <div class="bar" style="background: ${colormapGradient('rdbu')}"></div>
      <div class="ticks">${[-p.scale, 0, p.scale].map((t) =>
        html`<span>${formatValue(t)}</span>`
      )}</div>
      <div>weight, diverging around 0 (blue pushes away from, red toward)</div>
    </div>
  `;
}
