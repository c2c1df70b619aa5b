/**
 * `<glass-saliency>`: an image with attribution maps drawn over it (regl), side by side.
 *
 * @example
 * ```html
 * <glass-saliency mode="signed" clip="99" opacity="0.6"></glass-saliency>
 * <script type="module">
 *   import './components/saliency.ts';
 *   const el = document.querySelector('glass-saliency');
 *   el.image = { data: pixels, shape: [28, 28] };
 *   el.maps = [{ label: 'gradient', data: grad }, { label: 'IG', data: ig }];
 * </script>
 * ```
 *
 * @module
 */

import { html, nothing, type PropertyDeclarations, svg, type TemplateResult } from 'lit';
import type { Texture2D } from 'regl';
import { GlassElement } from './shared/glass_element.ts';
import { ReglController } from './shared/regl_controller.ts';
import { heatmapCommand, lutTexture, rgbaTexture } from './shared/heatmap.ts';
import {
  colormapGradient,
  colormapIndex,
  type ColormapName,
  DIVERGING,
  isColormap,
} from './shared/colormaps.ts';
import {
  checkShape,
  checkValues,
  extent,
  formatValue,
  isNumeric,
  type NumericArray,
  percentile,
  sizeOf,
  type TensorLike,
  topK,
} from './shared/data.ts';

/** Which part of a map is shown. */
export type SaliencyMode = 'signed' | 'positive' | 'negative' | 'absolute';

/**
 * An image: `ImageData`, or numbers with a shape [H, W], [C, H, W], [1, C, H, W] (C = 1 or 3:
 * the engine's layout, preferred when ambiguous) or [H, W, C] (C = 1, 3 or 4).
 */
export type SaliencyImage = ImageData | { data: NumericArray; shape: readonly number[] };

/** One attribution map of a side-by-side comparison. */
export interface SaliencyMap {
  /** Shown above the map (e.g. the method). */
  label: string;
  /** Values, row-major; channels (if `shape` has them) are summed per pixel. */
  data: NumericArray;
  /** [H, W], [C, H, W] or [1, C, H, W]; default: the image's size, or a square. */
  shape?: readonly number[];
}

/** One curve of {@linkcode SaliencyCurves}. */
export interface SaliencyCurve {
  fractions: readonly number[];
  scores: readonly number[];
  auc: number;
}

/** Deletion and insertion curves, as `deletionInsertion()` (src/explain/metrics.ts) returns. */
export interface SaliencyCurves {
  deletion?: SaliencyCurve;
  insertion?: SaliencyCurve;
}

/** Detail of `glass-hover`: the map pixel under the pointer (or keyboard cursor). */
export interface SaliencyHoverDetail {
  /** Index of the map in `maps` (0 for `attribution`). */
  panel: number;
  label: string;
  /** Pixel column and row in the map. */
  x: number;
  y: number;
  /** The attribution there, as given (before clipping). */
  value: number;
}

interface Panel {
  label: string;
  data: ArrayLike<number>;
  w: number;
  h: number;
  scale: number;
  rgba: Uint8Array<ArrayBuffer>;
}

interface Prepared {
  panels: Panel[];
  image: { w: number; h: number; rgba: Uint8Array<ArrayBuffer> } | null;
  cmap: ColormapName;
}

const GAP = 8;

/** Converts an image input to RGBA bytes. Float images in [0, 1] or [0, 255] keep their range; others are stretched min–max. */
function prepareImage(
  image: SaliencyImage,
): { w: number; h: number; rgba: Uint8Array<ArrayBuffer> } | string {
  if (typeof ImageData !== 'undefined' && image instanceof ImageData) {
    return { w: image.width, h: image.height, rgba: new Uint8Array(image.data) };
  }
  const { data, shape } = image as { data: NumericArray; shape: readonly number[] };
  const bad = checkShape(shape, 'the image');
  if (bad) return bad;
  let s = [...shape];
  if (s.length === 4 && s[0] === 1) s = s.slice(1);
  let h: number, w: number, c: number, chw: boolean;
  if (s.length === 2) [h, w, c, chw] = [s[0], s[1], 1, false];
  else if (s.length === 3 && (s[0] === 1 || s[0] === 3)) [c, h, w, chw] = [s[0], s[1], s[2], true];
  else if (s.length === 3 && [1, 3, 4].includes(s[2])) [h, w, c, chw] = [s[0], s[1], s[2], false];
  else {
    return `Cannot draw the image: shape [${
      shape.join(', ')
    }] is not [H, W], [H, W, C] or [C, H, W]`;
  }
  const bad2 = checkValues(data, sizeOf(s), 'the image');
  if (bad2) return bad2;
  const [lo, hi] = extent(data);
  const [a, b] = lo >= 0 && hi <= 1 ? [0, 1] : lo >= 0 && hi <= 255 ? [0, 255] : [lo, hi];
  const k = b > a ? 255 / (b - a) : 0;
  const rgba = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const src = c === 1 ? 0 : Math.min(ch, c - 1);
      const v = chw ? data[src * w * h + p] : data[p * c + src];
      rgba[p * 4 + ch] = Math.round((v - a) * k);
    }
    rgba[p * 4 + 3] = 255;
  }
  return { w, h, rgba };
}

/**
 * Shows an image with attribution maps over it, side by side, each through a colormap (a
 * diverging one for signed maps, a sequential one for magnitudes), clipped at a percentile of
 * the magnitudes, with a legend of values, a hover read-out and an optional deletion/insertion
 * curve. Arrays are replaced, not mutated (assign a new array to redraw). Like an `<img>`, its
 * height follows from its width and the image's aspect ratio: size it by width, not height.
 *
 * @fires glass-hover - `detail`: {@linkcode SaliencyHoverDetail}, or null when the pointer leaves.
 * @csspart canvas - the WebGL canvas with the maps.
 * @csspart label - a map's label.
 * @csspart legend - a colorbar with its values.
 * @csspart tooltip - the hover read-out.
 * @csspart cursor - the outline of the pixel under the keyboard/pointer cursor.
 * @csspart curves - the deletion/insertion chart (SVG).
 * @csspart message - shown instead of the picture when the data cannot be drawn.
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text color.
 * @cssprop --glass-muted - secondary text (legend ticks, axes).
 * @cssprop --glass-accent - focus ring and cursor.
 * @cssprop --glass-tooltip-bg - tooltip background.
 * @cssprop --glass-tooltip-fg - tooltip text.
 * @cssprop --glass-deletion-color - the deletion curve.
 * @cssprop --glass-insertion-color - the insertion curve.
 */
export class GlassSaliency extends GlassElement {
  static override properties: PropertyDeclarations = {
    ...GlassElement.properties,
    image: { attribute: false },
    attribution: { attribute: false },
    shape: { attribute: false },
    maps: { attribute: false },
    curves: { attribute: false },
    mode: { reflect: true },
    colormap: {},
    opacity: { type: Number },
    clip: { type: Number },
    sharedScale: { type: Boolean, attribute: 'shared-scale' },
    label: {},
  };

  /** The image under the maps (optional). */
  declare image: SaliencyImage | null;
  /** One map (ignored when `maps` is set); may be an engine tensor. */
  declare attribution: NumericArray | TensorLike | null;
  /** Shape of `attribution`. */
  declare shape: readonly number[] | null;
  /** Several maps side by side. */
  declare maps: SaliencyMap[] | null;
  /** Deletion/insertion curves to chart below. */
  declare curves: SaliencyCurves | null;
  /** `signed` (default), `positive`, `negative` or `absolute`. */
  declare mode: SaliencyMode;
  /** Colormap; default `rdbu` for `signed`, `viridis` otherwise. */
  declare colormap: ColormapName | undefined;
  /** Overlay opacity in [0, 1]; default 0.6 (1 without an image). */
  declare opacity: number | undefined;
  /** Percentile of the magnitudes that maps to the colormap's ends (default 99). */
  declare clip: number;
  /** One scale for all maps (default: each map its own). */
  declare sharedScale: boolean;
  /** Accessible name; default "Attribution map". */
  declare label: string;

  /** The canvas and its regl (public for tests and screenshots). */
  readonly renderer: ReglController = new ReglController(this);

  #error: string | null = null;
  #pending = false;
  #prepared: Prepared | null = null;
  #textures: { gen: number; maps: Texture2D[]; image: Texture2D | null; lut: Texture2D } | null =
    null;
  #dirty = true;
  #layout = { width: 0, panelW: 0, panelH: 0 };
  #cursor: { panel: number; x: number; y: number } | null = null;

  constructor() {
    super();
    this.image = null;
    this.attribution = null;
    this.shape = null;
    this.maps = null;
    this.curves = null;
    this.mode = 'signed';
    this.colormap = undefined;
    this.opacity = undefined;
    this.clip = 99;
    this.sharedScale = false;
    this.label = 'Attribution map';
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    const dataKeys = ['image', 'attribution', 'shape', 'maps', 'mode', 'colormap', 'clip'];
    if (
      !this.#prepared || this.#pending || dataKeys.some((k) => changed.has(k)) ||
      changed.has('sharedScale')
    ) {
      this.#prepare();
    }
    const p = this.#prepared;
    const width = this.renderer.width || this.clientWidth || 300;
    if (p) {
      const n = p.panels.length;
      const panelW = Math.max(1, (width - GAP * (n - 1)) / n);
      const aspect = p.image ? p.image.h / p.image.w : p.panels[0].h / p.panels[0].w;
      this.#layout = { width, panelW, panelH: Math.max(1, Math.round(panelW * aspect)) };
    }
  }

  #prepare(): void {
    this.#error = null;
    this.#pending = false;
    this.#prepared = null;
    this.#dirty = true; // re-upload
    let image: Prepared['image'] = null;
    if (this.image) {
      const r = prepareImage(this.image);
      if (typeof r === 'string') return void (this.#error = r);
      image = r;
    }
    const mode = this.mode ?? 'signed';
    if (!['signed', 'positive', 'negative', 'absolute'].includes(mode)) {
      this.#error =
        `Cannot draw the map: unknown mode "${mode}" (signed, positive, negative, absolute)`;
      return;
    }
    if (this.colormap !== undefined && this.colormap !== null && !isColormap(this.colormap)) {
      this.#error = `Cannot draw the map: unknown colormap "${this.colormap}"`;
      return;
    }
    const clip = this.clip ?? 99;
    if (!(clip > 0 && clip <= 100)) {
      this.#error = `Cannot draw the map: clip must be a percentile in (0, 100], got ${clip}`;
      return;
    }
    let inputs: SaliencyMap[];
    if (this.maps) {
      if (!Array.isArray(this.maps) || this.maps.length === 0) {
        this.#error = 'Cannot draw the maps: `maps` is empty';
        return;
      }
      inputs = this.maps;
    } else {
      const a = this.resolveTensor('attribution', this.attribution);
      if (a === null || a === undefined) {
        this.#error = 'No attribution map given';
        return;
      }
      if ((a as { pending?: true }).pending) return void (this.#pending = true);
      if ((a as { error?: string }).error) {
        return void (this.#error = (a as { error: string }).error);
      }
      const shape = (this.attribution as TensorLike).shape ?? this.shape ?? undefined;
      inputs = [{ label: '', data: a as NumericArray, shape }];
    }
    const raw: { label: string; data: Float32Array; w: number; h: number }[] = [];
    for (const [i, m] of inputs.entries()) {
      const what = inputs.length > 1 ? `map ${i} (${m?.label ?? ''})` : 'the attribution map';
      const r = this.#reduce(m, image, what);
      if (typeof r === 'string') return void (this.#error = r);
      raw.push({ label: String(m.label ?? ''), ...r });
    }
    const selected = (v: number) =>
      mode === 'signed' || mode === 'absolute'
        ? Math.abs(v)
        : mode === 'positive'
        ? (v > 0 ? v : NaN)
        : (v < 0 ? -v : NaN);
    const scaleOf = (values: Float32Array[]) => {
      const mags: number[] = [];
      for (const d of values) {
        for (const v of d) {
          const m = selected(v);
          if (m === m) mags.push(m);
        }
      }
      let s = percentile(mags, clip);
      if (!(s > 0)) s = mags.length ? Math.max(...extent(mags)) : 0;
      return s > 0 ? s : 1;
    };
    const shared = this.sharedScale ? scaleOf(raw.map((r) => r.data)) : 0;
    const cmap = this.colormap ?? (mode === 'signed' ? 'rdbu' : 'viridis');
    const panels = raw.map((r) => {
      const scale = shared || scaleOf([r.data]);
      const rgba = new Uint8Array(r.w * r.h * 4);
      for (let p = 0; p < r.data.length; p++) {
        const v = r.data[p];
        const m = selected(v);
        if (m !== m) continue; // hidden: alpha 0
        const x = Math.min(1, m / scale);
        const t = mode === 'signed' ? 0.5 + 0.5 * Math.sign(v) * x : x;
        rgba[p * 4] = colormapIndex(t);
        rgba[p * 4 + 3] = 255;
      }
      return { ...r, scale, rgba };
    });
    this.#prepared = { panels, image, cmap };
  }

  /** A map's values as one [H, W] plane (channels summed), or a message. */
  #reduce(
    m: SaliencyMap,
    image: Prepared['image'],
    what: string,
  ): { data: Float32Array; w: number; h: number } | string {
    if (!m || !isNumeric(m.data)) return `Cannot draw ${what}: expected an array of numbers`;
    const n = m.data.length;
    let shape = m.shape ? [...m.shape] : null;
    if (shape) {
      const bad = checkShape(shape, what);
      if (bad) return bad;
      if (shape.length === 4 && shape[0] === 1) shape = shape.slice(1);
      if (shape.length < 2 || shape.length > 3) {
        return `Cannot draw ${what}: shape [${m.shape}] is not [H, W], [C, H, W] or [1, C, H, W]`;
      }
    } else if (image && n % (image.w * image.h) === 0 && n > 0) {
      shape = [n / (image.w * image.h), image.h, image.w];
    } else if (Number.isInteger(Math.sqrt(n)) && n > 0) {
      shape = [Math.sqrt(n), Math.sqrt(n)];
    } else {
      const bad = checkValues(m.data, null, what);
      return bad ??
        `Cannot draw ${what}: ${n} values ${
          image ? `do not match the ${image.w}×${image.h} image` : 'are not a square'
        }; give a shape`;
    }
    const bad = checkValues(m.data, sizeOf(shape), what);
    if (bad) return bad;
    const [h, w] = shape.slice(-2);
    const c = shape.length === 3 ? shape[0] : 1;
    const data = new Float32Array(h * w);
    for (let k = 0; k < c; k++) {
      for (let p = 0; p < h * w; p++) data[p] += m.data[k * h * w + p];
    }
    return { data, w, h };
  }

  override render(): TemplateResult {
    if (this.#error) return this.renderMessage(this.#error);
    if (this.#pending || !this.#prepared) {
      return html`<p part="message" role="status">Reading the map back from the GPU…</p>`;
    }
    if (this.renderer.error) return this.renderMessage(this.renderer.error);
    const { panels, cmap } = this.#prepared;
    const { panelW, panelH } = this.#layout;
    const n = panels.length;
    const columns = `grid-template-columns: repeat(${n}, ${panelW}px); column-gap: ${GAP}px`;
    const legends = this.sharedScale || n === 1 ? [panels[0]] : panels;
    const cur = this.#cursor;
    const summary = panels.map((p) => this.#summary(p)).join(' ');
    return html`
      <style>
        .grid {
          display: grid;
        }
        [part~='label'] {
          font-weight: 600;
          overflow: hidden;
          text-overflow: ellipsis;
          white-space: nowrap;
        }
        .stage {
          position: relative;
          outline: none;
        }
        .stage:focus-visible {
          outline: 2px solid var(--_accent);
        }
        [part~='cursor'] {
          position: absolute;
          pointer-events: none;
          box-sizing: border-box;
          border: 1px solid var(--_accent);
        }
        [part~='curves'] {
          display: block;
          max-width: 360px;
          margin-top: 8px;
          font-size: 10px;
        }
        [part~='curves'] text {
          fill: var(--_muted);
        }
        .axis {
          stroke: var(--_muted);
        }
        .deletion {
          stroke: var(--glass-deletion-color, #2166ac);
        }
        .insertion {
          stroke: var(--glass-insertion-color, #b2182b);
        }
      </style>
      ${panels.some((p) => p.label)
        ? html`<div class="grid" style=${columns}>
          ${panels.map((p) => html`<div part="label">${p.label}</div>`)}
        </div>`
        : nothing}
      <div
        class="stage"
        role="img"
        tabindex="0"
        aria-label=${`${this.label}: ${n > 1 ? `${n} maps, ` : ''}${this.mode} mode`}
        aria-describedby="summary"
        @pointermove=${this.#onPointer}
        @pointerleave=${this.#onLeave}
        @keydown=${this.#onKey}
        @blur=${this.#onLeave}
      >
        ${this.renderer.canvas}
        ${cur
          ? (() => {
            const p = panels[cur.panel];
            const cw = panelW / p.w;
            const ch = panelH / p.h;
            const left = cur.panel * (panelW + GAP) + cur.x * cw;
            const top = cur.y * ch;
            const value = p.data[cur.y * p.w + cur.x];
            const tipLeft = Math.min(left + cw + 4, this.#layout.width - 120);
            return html`
              <div part="cursor"
                style="left:${left}px;top:${top}px;width:${cw}px;height:${ch}px"></div>
              <div part="tooltip" role="status" style="left:${tipLeft}px;top:${top + ch + 4}px">
                ${p.label ? `${p.label} · ` : ''}(${cur.x}, ${cur.y}) ${formatValue(value)}
              </div>
            `;
          })()
          : nothing}
      </div>
      <div class="grid" style=${columns}>
        ${legends.map((p) => this.#legend(p, cmap))}
      </div>
      ${this.curves ? this.#curves(this.curves) : nothing}
      <p id="summary" class="sr-only">${summary}</p>
    `;
  }

  #legend(p: Panel, cmap: ColormapName): TemplateResult {
    const s = p.scale;
    const mode = this.mode;
    const ticks = mode === 'signed' ? [-s, 0, s] : mode === 'negative' ? [0, -s] : [0, s];
    return html`
      <div part="legend" aria-hidden="true">
        <div class="bar" style="background: ${colormapGradient(cmap)}"></div>
        <div class="ticks">${ticks.map((t) => html`<span>${formatValue(t)}</span>`)}</div>
        <div>${DIVERGING.has(cmap)
          ? 'diverging'
          : 'sequential'}, ${mode}, clipped at the ${formatValue(this.clip)}th percentile</div>
      </div>
    `;
  }

  #summary(p: Panel): string {
    const fmt = (i: number) => `(${i % p.w}, ${Math.floor(i / p.w)}) ${formatValue(p.data[i])}`;
    const pos = topK(p.data.length, 5, (i) => p.data[i]).map(fmt);
    const neg = topK(p.data.length, 5, (i) => -p.data[i]).map(fmt);
    return `${p.label || this.label} ${p.w}×${p.h}, scale ${formatValue(p.scale)}. ` +
      `Top ${pos.length} positive pixels (x, y): ${pos.join('; ') || 'none'}. ` +
      `Top ${neg.length} negative pixels: ${neg.join('; ') || 'none'}.`;
  }

  #curves(curves: SaliencyCurves): TemplateResult {
    const list = (['deletion', 'insertion'] as const).filter((k) => curves[k]);
    for (const k of list) {
      const c = curves[k]!;
      if (!Array.isArray(c.fractions) || !Array.isArray(c.scores)) {
        return this.renderMessage(
          `Cannot draw the ${k} curve: fractions and scores must be arrays`,
        );
      }
      if (c.fractions.length !== c.scores.length || c.fractions.length < 2) {
        return this.renderMessage(
          `Cannot draw the ${k} curve: ${c.fractions.length} fractions and ${c.scores.length} ` +
            'scores (need the same number, at least 2)',
        );
      }
      if (![...c.fractions, ...c.scores].every(Number.isFinite)) {
        return this.renderMessage(`Cannot draw the ${k} curve: non-finite values`);
      }
    }
    const W = 300, H = 160, L = 34, R = 8, T = 22, B = 28;
    const yMax = Math.max(1, ...list.flatMap((k) => curves[k]!.scores));
    const px = (f: number) => L + f * (W - L - R);
    const py = (s: number) => H - B - (s / yMax) * (H - T - B);
    const points = (c: SaliencyCurve) =>
      c.fractions.map((f, i) => `${px(f).toFixed(1)},${py(c.scores[i]).toFixed(1)}`).join(' ');
    return html`
      <svg part="curves" viewBox="0 0 ${W} ${H}" role="img"
        aria-label=${list.map((k) => `${k} AUC ${formatValue(curves[k]!.auc)}`).join(', ')}>
            ${svg`
              <line class="axis" x1=${L} y1=${H - B} x2=${W - R} y2=${H - B}></line>
              <line class="axis" x1=${L} y1=${T} x2=${L} y2=${H - B}></line>
              <text x=${L} y=${H - B + 12} text-anchor="middle">0</text>
              <text x=${W - R} y=${H - B + 12} text-anchor="end">1</text>
              <text x=${(L + W - R) / 2} y=${H - 4} text-anchor="middle">fraction of pixels</text>
              <text x=${L - 4} y=${H - B} text-anchor="end">0</text>
              <text x=${L - 4} y=${T + 8} text-anchor="end">${formatValue(yMax)}</text>
              ${list.map((k, i) =>
                svg`
                  <polyline class=${k} fill="none" stroke-width="1.5" points=${points(
                    curves[k]!,
                  )}></polyline>
                  <line class=${k} x1=${L + i * 140} y1="8" x2=${L + i * 140 + 14} y2="8"
                    stroke-width="2"></line>
                  <text x=${L + i * 140 + 18} y="11">${k} AUC ${formatValue(curves[k]!.auc)}</text>
                `
              )}
            `}
          </svg>
    `;
  }

  override updated(): void {
    const p = this.#prepared;
    if (this.#error || this.#pending || !p) {
      this.renderer.destroy();
      return;
    }
    const regl = this.renderer.use();
    if (!regl) {
      // show why (once): render() reads renderer.error
      if (this.renderer.error && !this.shadowRoot?.querySelector('[part~="message"]')) {
        this.requestUpdate();
      }
      return;
    }
    const { width, panelW, panelH } = this.#layout;
    this.renderer.resize(width, panelH);
    const dpr = this.renderer.scale;
    let tex = this.#textures;
    if (!tex || tex.gen !== this.renderer.generation || this.#dirty) {
      if (tex && tex.gen === this.renderer.generation) {
        for (const t of [...tex.maps, tex.image, tex.lut]) t?.destroy();
      }
      this.#dirty = false;
      tex = this.#textures = {
        gen: this.renderer.generation,
        maps: p.panels.map((m) => rgbaTexture(regl, m.w, m.h, m.rgba)),
        image: p.image ? rgbaTexture(regl, p.image.w, p.image.h, p.image.rgba) : null,
        lut: lutTexture(regl, p.cmap),
      };
    }
    regl.poll();
    const background = this.backgroundColor();
    regl.clear({ color: background });
    const draw = heatmapCommand(regl);
    const opacity = Math.min(1, Math.max(0, this.opacity ?? (p.image ? 0.6 : 1)));
    p.panels.forEach((_, i) => {
      const x0 = Math.round(i * (panelW + GAP) * dpr);
      draw({
        rect: [
          x0,
          0,
          Math.round((i * (panelW + GAP) + panelW) * dpr) - x0,
          Math.round(panelH * dpr),
        ],
        values: tex.maps[i],
        lut: tex.lut,
        image: tex.image,
        opacity,
        background,
      });
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#textures = null; // destroyed with regl
  }

  /** The map pixel at canvas CSS coordinates, or null outside the maps. */
  pixelAt(x: number, y: number): { panel: number; x: number; y: number } | null {
    const p = this.#prepared;
    if (!p) return null;
    const { panelW, panelH } = this.#layout;
    const panel = Math.floor(x / (panelW + GAP));
    const lx = x - panel * (panelW + GAP);
    if (panel < 0 || panel >= p.panels.length || lx < 0 || lx >= panelW || y < 0 || y >= panelH) {
      return null;
    }
    const m = p.panels[panel];
    return {
      panel,
      x: Math.min(m.w - 1, Math.floor((lx / panelW) * m.w)),
      y: Math.min(m.h - 1, Math.floor((y / panelH) * m.h)),
    };
  }

  #moveTo(cursor: { panel: number; x: number; y: number } | null): void {
    const same = cursor && this.#cursor && cursor.panel === this.#cursor.panel &&
      cursor.x === this.#cursor.x && cursor.y === this.#cursor.y;
    if (same || (!cursor && !this.#cursor)) return;
    this.#cursor = cursor;
    this.requestUpdate();
    if (!cursor) {
      this.emit('glass-hover', null);
      return;
    }
    const m = this.#prepared!.panels[cursor.panel];
    this.emit<SaliencyHoverDetail>('glass-hover', {
      panel: cursor.panel,
      label: m.label,
      x: cursor.x,
      y: cursor.y,
      value: m.data[cursor.y * m.w + cursor.x],
    });
  }

  #onPointer = (e: PointerEvent) => {
    const r = this.renderer.canvas.getBoundingClientRect();
    this.#moveTo(this.pixelAt(e.clientX - r.left, e.clientY - r.top));
  };

  #onLeave = () => this.#moveTo(null);

  #onKey = (e: KeyboardEvent) => {
    const p = this.#prepared;
    if (!p) return;
    const c = this.#cursor ?? { panel: 0, x: 0, y: 0 };
    const m = p.panels[c.panel];
    const step = e.shiftKey ? Math.max(1, Math.round(m.w / 8)) : 1;
    let next = { ...c };
    switch (e.key) {
      case 'ArrowLeft':
        next.x = Math.max(0, c.x - step);
        break;
      case 'ArrowRight':
        next.x = Math.min(m.w - 1, c.x + step);
        break;
      case 'ArrowUp':
        next.y = Math.max(0, c.y - step);
        break;
      case 'ArrowDown':
        next.y = Math.min(m.h - 1, c.y + step);
        break;
      case 'PageUp':
        next = { panel: Math.max(0, c.panel - 1), x: 0, y: 0 };
        break;
      case 'PageDown':
        next = { panel: Math.min(p.panels.length - 1, c.panel + 1), x: 0, y: 0 };
        break;
      case 'Escape':
        this.#moveTo(null);
        return;
      default:
        return; // Tab and the rest keep their meaning
    }
    e.preventDefault();
    const n = p.panels[next.panel];
    next.x = Math.min(next.x, n.w - 1);
    next.y = Math.min(next.y, n.h - 1);
    this.#moveTo(next);
  };
}

if (!customElements.get('glass-saliency')) customElements.define('glass-saliency', GlassSaliency);
