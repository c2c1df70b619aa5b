/**
 * `<glass-attention>`: a transformer head's attention weights as a matrix (regl) and as
 * token-to-token lines (SVG).
 *
 * @example
 * ```html
 * <glass-attention head="0"></glass-attention>
 * <script type="module">
 *   import './components/attention.ts';
 *   const el = document.querySelector('glass-attention');
 *   el.tokens = ['[CLS]', 'a', 'fine', 'film'];
 *   el.weights = weights; // Float32Array [heads, 4, 4], rows sum to 1
 * </script>
 * ```
 *
 * @module
 */

import { html, nothing, type PropertyDeclarations, type TemplateResult } from 'lit';
import { unsafeSVG } from 'lit/directives/unsafe-svg.js';
import type { Texture2D } from 'regl';
import { GlassElement } from './shared/glass_element.ts';
import { ReglController } from './shared/regl_controller.ts';
import { heatmapCommand, lutTexture, rgbaTexture } from './shared/heatmap.ts';
import {
  colormapGradient,
  colormapIndex,
  type ColormapName,
  isColormap,
} from './shared/colormaps.ts';
import {
  checkShape,
  checkValues,
  formatValue,
  isNumeric,
  type NumericArray,
  sizeOf,
  type TensorLike,
} from './shared/data.ts';

/** Detail of `glass-hover`: the query row (and key column over the matrix) under the pointer. */
export interface AttentionHoverDetail {
  /** The head shown (-1: the mean over heads). */
  head: number;
  /** Query token (row). */
  query: number;
  /** Key token (column), or null over a token of the line view. */
  key: number | null;
  /** The weight at (query, key), or null over a token. */
  value: number | null;
  queryToken: string;
  keyToken: string | null;
}

interface Prepared {
  T: number;
  heads: number;
  /** The shown head's T×T weights. */
  matrix: Float32Array;
  scale: number;
  tokens: string[];
  rgba: Uint8Array<ArrayBuffer>;
  cmap: ColormapName;
}

const ROW = 18; // line view: px per token
const GAP = 16;

/**
 * Shows the attention of one head (or the mean of all, `head="-1"`) as a T×T matrix, row =
 * query, column = key, colored by weight (sequential colormap from 0 to the largest weight), and
 * as lines from each query token (left) to each key token (right) with opacity = weight (lines
 * under `min-weight` are left out). Hovering a token or a matrix row highlights that row in both
 * views. Arrays are replaced, not mutated.
 *
 * Keyboard: focus the matrix, then ↑ ↓ choose the query row, ← → the key, Escape clears.
 *
 * @fires glass-hover - `detail`: {@linkcode AttentionHoverDetail}, or null when the pointer leaves.
 * @csspart canvas - the WebGL canvas of the matrix.
 * @csspart matrix - the matrix with its row labels.
 * @csspart row-label - a token naming a matrix row.
 * @csspart lines - the token-to-token lines (SVG).
 * @csspart legend - the colorbar with its values.
 * @csspart tooltip - the hover read-out.
 * @csspart message - shown instead of the views when the data cannot be drawn.
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text and line color.
 * @cssprop --glass-muted - legend text.
 * @cssprop --glass-accent - the highlighted row's lines and the focus ring.
 * @cssprop --glass-tooltip-bg - tooltip background.
 * @cssprop --glass-tooltip-fg - tooltip text.
 */
export class GlassAttention extends GlassElement {
  static override properties: PropertyDeclarations = {
    ...GlassElement.properties,
    weights: { attribute: false },
    shape: { attribute: false },
    tokens: { attribute: false },
    head: { type: Number, reflect: true },
    view: { reflect: true },
    colormap: {},
    minWeight: { type: Number, attribute: 'min-weight' },
    selected: { type: Number },
    label: {},
  };

  /** Weights, [heads, T, T], [1, heads, T, T] or [T, T] (row = query); may be an engine tensor. */
  declare weights: NumericArray | TensorLike | null;
  /** Shape of `weights`; default [heads, T, T] with T = `tokens.length`. */
  declare shape: readonly number[] | null;
  /** The T tokens. */
  declare tokens: string[] | null;
  /** The head to show (default 0); -1 for the mean over heads. */
  declare head: number;
  /** `both` (default), `matrix` or `lines`. */
  declare view: 'both' | 'matrix' | 'lines';
  /** Sequential colormap of the matrix (default `viridis`). */
  declare colormap: ColormapName | undefined;
  /** Lines below this weight are not drawn (default 0.01). */
  declare minWeight: number;
  /** The highlighted query row (-1: none); follows the pointer and keyboard. */
  declare selected: number;
  /** Accessible name; default "Attention weights". */
  declare label: string;

  /** The canvas and its regl (public for tests and screenshots). */
  readonly renderer: ReglController = new ReglController(this);

  #error: string | null = null;
  #pending = false;
  #prepared: Prepared | null = null;
  #dirty = true;
  #textures: { gen: number; values: Texture2D; lut: Texture2D } | null = null;
  #layout = { region: 0, labels: 0, size: 0, cell: 0 };
  #key: number | null = null;

  constructor() {
    super();
    this.weights = null;
    this.shape = null;
    this.tokens = null;
    this.head = 0;
    this.view = 'both';
    this.colormap = undefined;
    this.minWeight = 0.01;
    this.selected = -1;
    this.label = 'Attention weights';
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (
      !this.#prepared || this.#pending ||
      ['weights', 'shape', 'tokens', 'head', 'colormap'].some((k) => changed.has(k))
    ) {
      this.#prepare();
    }
    const p = this.#prepared;
    if (!p) return;
    const width = this.renderer.width || this.clientWidth || 400;
    const region = this.view === 'both' ? Math.max(1, (width - GAP) / 2) : width;
    const labels = p.T <= 64 && region >= 160 ? 64 : 0;
    const avail = Math.max(p.T, region - labels);
    // whole pixels per cell when there is room, so cells have crisp edges
    const size = avail >= p.T ? Math.floor(avail / p.T) * p.T : avail;
    this.#layout = { region, labels, size, cell: size / p.T };
  }

  #prepare(): void {
    this.#error = null;
    this.#pending = false;
    this.#prepared = null;
    this.#dirty = true;
    const w = this.resolveTensor('weights', this.weights);
    if (w === null || w === undefined) return void (this.#error = 'No attention weights given');
    if ((w as { pending?: true }).pending) return void (this.#pending = true);
    if ((w as { error?: string }).error) return void (this.#error = (w as { error: string }).error);
    if (!isNumeric(w)) {
      return void (this.#error = 'Cannot draw the attention: expected an array of numbers');
    }
    const n = w.length;
    if (n === 0) return void (this.#error = 'Cannot draw the attention: the weights are empty');
    const tokens = this.tokens;
    if (tokens !== null && tokens !== undefined && !Array.isArray(tokens)) {
      return void (this.#error = 'Cannot draw the attention: `tokens` must be an array');
    }
    let shape = (this.weights as TensorLike).shape ?? this.shape;
    if (shape) {
      const bad = checkShape(shape, 'the attention');
      if (bad) return void (this.#error = bad);
      shape = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
      const [T1, T2] = shape.slice(-2);
      if (shape.length < 2 || shape.length > 3 || T1 !== T2) {
        return void (this.#error =
          `Cannot draw the attention: shape [${shape}] is not [heads, T, T] or [T, T]`);
      }
    } else {
      const T = tokens?.length || Math.round(Math.sqrt(n));
      if (T === 0 || n % (T * T) !== 0) {
        return void (this.#error = tokens?.length
          ? `Cannot draw the attention: ${n} weights do not fit ${T} tokens (heads × ${T} × ${T})`
          : `Cannot draw the attention: ${n} weights are not a square; give a shape`);
      }
      shape = [n / (T * T), T, T];
    }
    const bad = checkValues(w, sizeOf(shape), 'the attention');
    if (bad) return void (this.#error = bad);
    const T = shape[shape.length - 1];
    const heads = shape.length === 3 ? shape[0] : 1;
    if (tokens && tokens.length !== T) {
      return void (this.#error =
        `Cannot draw the attention: ${tokens.length} tokens for ${T}×${T} weights`);
    }
    const head = this.head ?? 0;
    if (!Number.isInteger(head) || head < -1 || head >= heads) {
      return void (this.#error = `Cannot draw the attention: head ${head} is not in 0…${
        heads - 1
      } (or -1 for the mean)`);
    }
    const cmap = this.colormap ?? 'viridis';
    if (!isColormap(cmap)) return void (this.#error = `Unknown colormap "${cmap}"`);
    const matrix = new Float32Array(T * T);
    if (head >= 0) matrix.set(Array.prototype.slice.call(w, head * T * T, (head + 1) * T * T));
    else {
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < T * T; i++) matrix[i] += w[h * T * T + i] / heads;
      }
    }
    let scale = 0;
    for (const v of matrix) scale = Math.max(scale, v);
    if (!(scale > 0)) scale = 1;
    const rgba = new Uint8Array(T * T * 4);
    for (let i = 0; i < T * T; i++) {
      rgba[i * 4] = colormapIndex(Math.max(0, matrix[i]) / scale);
      rgba[i * 4 + 3] = 255;
    }
    this.#prepared = {
      T,
      heads,
      matrix,
      scale,
      tokens: tokens ? tokens.map(String) : Array.from({ length: T }, (_, i) => String(i)),
      rgba,
      cmap,
    };
  }

  override render(): TemplateResult {
    if (this.#error) return this.renderMessage(this.#error);
    const p = this.#prepared;
    if (this.#pending || !p) {
      return html`<p part="message" role="status">Reading the weights back from the GPU…</p>`;
    }
    if (this.renderer.error) return this.renderMessage(this.renderer.error);
    const view = this.view ?? 'both';
    const sel = this.selected >= 0 && this.selected < p.T ? this.selected : -1;
    const headName = this.head === -1 ? 'mean of heads' : `head ${this.head}`;
    return html`
      <style>
        .views {
          display: flex;
          gap: ${GAP}px;
          align-items: flex-start;
        }
        [part~='matrix'] {
          display: flex;
          position: relative;
          outline: none;
        }
        [part~='matrix']:focus-visible {
          outline: 2px solid var(--_accent);
        }
        .rows {
          display: flex;
          flex-direction: column;
          overflow: hidden;
        }
        [part~='row-label'] {
          overflow: hidden;
          text-overflow: ellipsis;
          white-space: nowrap;
          text-align: end;
          padding-inline-end: 4px;
          unicode-bidi: isolate;
        }
        [part~='row-label'].on {
          color: var(--_accent);
          font-weight: 600;
        }
        [part~='lines'] {
          display: block;
          overflow: visible;
        }
        [part~='lines'] line {
          stroke: var(--_fg);
        }
        [part~='lines'] line.on {
          stroke: var(--_accent);
        }
        [part~='lines'] text {
          fill: var(--_fg);
          cursor: default;
          unicode-bidi: isolate;
        }
        [part~='lines'] text.on {
          fill: var(--_accent);
          font-weight: 600;
        }
      </style>
      <div class="views">
        ${view !== 'lines' ? this.#matrix(p, sel, headName) : nothing}
        ${view !== 'matrix' ? this.#lines(p, sel) : nothing}
      </div>
      <div part="legend" aria-hidden="true">
        <div class="bar" style="background: ${colormapGradient(p.cmap)}"></div>
        <div class="ticks"><span>0</span><span>${formatValue(p.scale)}</span></div>
      </div>
      <p id="summary" class="sr-only">${this.#summary(p, headName)}</p>
    `;
  }

  #summary(p: Prepared, headName: string): string {
    const parts: string[] = [];
    for (let q = 0; q < Math.min(p.T, 32); q++) {
      let k = 0;
      for (let j = 1; j < p.T; j++) if (p.matrix[q * p.T + j] > p.matrix[q * p.T + k]) k = j;
      parts.push(`${p.tokens[q]} → ${p.tokens[k]} ${formatValue(p.matrix[q * p.T + k])}`);
    }
    return `${this.label}, ${headName} of ${p.heads}, ${p.T} tokens. Strongest key per query: ` +
      `${parts.join('; ')}${p.T > 32 ? '; …' : ''}.`;
  }

  #matrix(p: Prepared, sel: number, headName: string): TemplateResult {
    const { labels, size, cell } = this.#layout;
    const font = Math.max(8, Math.min(12, cell * 0.8));
    const key = this.#key;
    return html`
      <div
        part="matrix"
        role="img"
        tabindex="0"
        aria-label=${`${this.label}, ${headName}: ${p.T}×${p.T} matrix, rows are queries`}
        aria-describedby="summary"
        @pointermove=${this.#onMatrixPointer}
        @pointerleave=${this.#onLeave}
        @keydown=${this.#onKey}
      >
            ${labels
              ? html`<div class="rows" style="width:${labels}px;height:${size}px;font-size:${font}px">
          ${
                p.tokens.map((t, i) =>
                  html`
                    <div part="row-label" class=${i === sel ? 'on' : ''}
                      style="height:${cell}px;line-height:${cell}px">${t}</div>
                  `
                )
              }
        </div>`
              : nothing}
            <div style="position:relative">
              ${this.renderer.canvas}
              ${sel >= 0 && key !== null
                ? html`<div part="tooltip" role="status" style="left:${
                  Math.min(
                    (key + 1) * cell + 4,
                    size - 100,
                  )
                }px;top:${(sel + 1) * cell + 4}px">
            <bdi>${p.tokens[sel]}</bdi> → <bdi>${p.tokens[key]}</bdi> ${
                  formatValue(p.matrix[sel * p.T + key])
                }</div>`
                : nothing}
            </div>
          </div>
    `;
  }

  #lines(p: Prepared, sel: number): TemplateResult {
    const width = this.#layout.region;
    const x1 = Math.round(width * 0.35);
    const x2 = Math.round(width * 0.65);
    const height = p.T * ROW + 4;
    const y = (i: number) => i * ROW + ROW / 2 + 2;
    const esc = (s: string) =>
      s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
    const out: string[] = [];
    const min = this.minWeight ?? 0.01;
    for (let q = 0; q < p.T; q++) {
      for (let k = 0; k < p.T; k++) {
        const w = p.matrix[q * p.T + k];
        if (!(w >= min)) continue;
        const on = q === sel;
        const opacity = Math.min(1, w) * (sel < 0 || on ? 1 : 0.15);
        out.push(
          `<line x1="${x1 + 4}" y1="${y(q)}" x2="${x2 - 4}" y2="${y(k)}" data-q="${q}" ` +
            `data-k="${k}"${on ? ' class="on"' : ''} stroke-opacity="${
              opacity.toFixed(4)
            }" stroke-width="${on ? 2 : 1.5}"></line>`,
        );
      }
    }
    for (let i = 0; i < p.T; i++) {
      const on = i === sel ? ' class="on"' : '';
      out.push(
        `<text x="${x1}" y="${
          y(i)
        }" text-anchor="end" dominant-baseline="central" data-q="${i}"${on}>${
          esc(p.tokens[i])
        }</text>`,
        `<text x="${x2}" y="${y(i)}" dominant-baseline="central" data-k="${i}">${
          esc(p.tokens[i])
        }</text>`,
      );
    }
    return html`
      <svg
        part="lines"
        width=${width}
        height=${height}
        viewBox="0 0 ${width} ${height}"
        role="img"
        aria-label=${`${this.label} as lines from queries (left) to keys (right)`}
        @pointerover=${this.#onLinesOver}
        @pointerleave=${this.#onLeave}
      >${unsafeSVG(out.join(''))}</svg>
    `;
  }

  override updated(): void {
    const p = this.#prepared;
    if (this.#error || this.#pending || !p || this.view === 'lines') {
      this.renderer.destroy();
      return;
    }
    const regl = this.renderer.use();
    if (!regl) {
      if (this.renderer.error && !this.shadowRoot?.querySelector('[part~="message"]')) {
        this.requestUpdate();
      }
      return;
    }
    const { size } = this.#layout;
    this.renderer.resize(size, size);
    let tex = this.#textures;
    if (!tex || tex.gen !== this.renderer.generation || this.#dirty) {
      if (tex && tex.gen === this.renderer.generation) {
        tex.values.destroy();
        tex.lut.destroy();
      }
      this.#dirty = false;
      tex = this.#textures = {
        gen: this.renderer.generation,
        values: rgbaTexture(regl, p.T, p.T, p.rgba),
        lut: lutTexture(regl, p.cmap),
      };
    }
    regl.poll();
    const background = this.backgroundColor();
    regl.clear({ color: background });
    const sel = this.selected >= 0 && this.selected < p.T ? this.selected : -1;
    const c = this.renderer.canvas;
    heatmapCommand(regl)({
      rect: [0, 0, c.width, c.height],
      values: tex.values,
      lut: tex.lut,
      background,
      band: sel >= 0 ? [sel / p.T, (sel + 1) / p.T] : null,
    });
  }

  #select(query: number, key: number | null): void {
    const p = this.#prepared;
    if (!p) return;
    if (query === this.selected && key === this.#key) return;
    this.selected = query;
    this.#key = key;
    if (query < 0) {
      this.emit('glass-hover', null);
      return;
    }
    this.emit<AttentionHoverDetail>('glass-hover', {
      head: this.head,
      query,
      key,
      value: key === null ? null : p.matrix[query * p.T + key],
      queryToken: p.tokens[query],
      keyToken: key === null ? null : p.tokens[key],
    });
  }

  #onMatrixPointer = (e: PointerEvent) => {
    const p = this.#prepared;
    if (!p) return;
    const r = this.renderer.canvas.getBoundingClientRect();
    const { cell } = this.#layout;
    const k = Math.floor((e.clientX - r.left) / cell);
    const q = Math.floor((e.clientY - r.top) / cell);
    if (k < 0 || q < 0 || k >= p.T || q >= p.T) return;
    this.#select(q, k);
  };

  #onLinesOver = (e: PointerEvent) => {
    const q = (e.target as Element).getAttribute?.('data-q');
    if (q !== null && q !== undefined && (e.target as Element).tagName === 'text') {
      this.#select(Number(q), null);
    }
  };

  #onLeave = () => this.#select(-1, null);

  #onKey = (e: KeyboardEvent) => {
    const p = this.#prepared;
    if (!p) return;
    const q = Math.max(0, this.selected);
    const k = this.#key ?? 0;
    const clamp = (v: number) => Math.max(0, Math.min(p.T - 1, v));
    const moves: Record<string, [number, number]> = {
      ArrowUp: [clamp(q - 1), k],
      ArrowDown: [clamp(this.selected < 0 ? 0 : q + 1), k],
      ArrowLeft: [q, clamp(k - 1)],
      ArrowRight: [q, clamp(this.#key === null ? 0 : k + 1)],
    };
    if (e.key === 'Escape') this.#select(-1, null);
    else if (moves[e.key]) this.#select(...moves[e.key]);
    else return;
    e.preventDefault();
  };
}

if (!customElements.get('glass-attention')) {
  customElements.define('glass-attention', GlassAttention);
}
