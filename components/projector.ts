/**
 * `<glass-projector>`: a 2-D scatter of embeddings (PCA, t-SNE, UMAP outputs) drawn by regl as
 * points in one draw call, colored by label or value, with pan/zoom, hover and click picking (a
 * CPU grid index), search by label, the selected point's neighbours highlighted, and live
 * updates while an iterative projection runs.
 *
 * @module
 */

import {
  type CSSResultGroup,
  html,
  type PropertyDeclarations,
  type TemplateResult,
  unsafeCSS,
} from 'lit';
import type { Buffer, DrawCommand, Framebuffer2D, Regl } from 'regl';
import { mat3d, vec2d } from 'wgpu-matrix';
import { GlassElement } from './shared/glass_element.ts';
import { colormapGradient, colormapTable } from './shared/colormaps.ts';
import {
  clipFromWorld,
  glslMat3,
  screenFromWorld,
  type ViewSize,
  worldFromScreen,
} from './shared/view_transform.ts';
import {
  BASE_CSS,
  categorical,
  cssColor,
  cssOf,
  type Drag,
  draggedView,
  emit,
  fitView,
  fmt,
  hostBackground,
  keyView,
  localPoint,
  type Rgba,
  type View,
  zoomAt,
} from './view_helpers.ts';

/** Detail of `glass-select` (and `glass-hover`; index −1 when nothing is under the pointer). */
export interface ProjectorSelectDetail {
  /** Point index, or −1. */
  index: number;
  /** Its category, when `labels` is set. */
  label?: number;
  /** Its category name (`labelNames`) or text (`texts`). */
  name?: string;
  /** Its position. */
  x?: number;
  y?: number;
  /** The highlighted neighbours (from `neighbors`, or the nearest in 2-D). */
  neighbors?: number[];
}

/** How a point's text (or category name) matches a search: whole, at its start, or inside. */
export type SearchMatchKind = 'exact' | 'prefix' | 'substring';

/** One point matched by a search. */
export interface SearchMatch {
  /** Point index. */
  index: number;
  /** The text (or category name) that matched. */
  text: string;
  kind: SearchMatchKind;
}

const MATCH_RANK: Record<SearchMatchKind, number> = { exact: 0, prefix: 1, substring: 2 };

/** What the list of matches says about each kind. */
export const MATCH_KIND_LABEL: Record<SearchMatchKind, string> = {
  exact: 'exact',
  prefix: 'starts with',
  substring: 'contains',
};

/**
 * The points whose text or category name contains `query` (case-insensitive, trimmed), best
 * first: exact matches, then those that start with it, then those that contain it; in point
 * order within a kind (for word lists sorted by frequency, the frequent words first). A point
 * matching by both its text and its category counts by the better.
 */
export function rankSearch(
  query: string,
  texts: readonly string[] | null,
  labels: ArrayLike<number> | null = null,
  labelNames: readonly string[] | null = null,
  n: number = Math.max(texts?.length ?? 0, labels?.length ?? 0),
): SearchMatch[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const kindOf = (text: string | undefined): SearchMatchKind | null => {
    const t = text?.toLowerCase();
    if (!t) return null;
    return t === q ? 'exact' : t.startsWith(q) ? 'prefix' : t.includes(q) ? 'substring' : null;
  };
  const byName = labelNames?.map(kindOf) ?? [];
  const out: SearchMatch[] = [];
  for (let i = 0; i < n; i++) {
    const kt = texts ? kindOf(texts[i]) : null;
    const kl = labels && labelNames ? byName[labels[i]] ?? null : null;
    const useText = kt !== null && (kl === null || MATCH_RANK[kt] <= MATCH_RANK[kl]);
    if (useText) out.push({ index: i, text: texts![i], kind: kt });
    else if (kl !== null) out.push({ index: i, text: labelNames![labels![i]], kind: kl });
  }
  // Array#sort is stable: point order stays within a kind.
  return out.sort((a, b) => MATCH_RANK[a.kind] - MATCH_RANK[b.kind]);
}

/** Matches listed under the search box. */
const LISTED_MATCHES = 8;

/** A canvas-sized picture of the points and the view it was drawn at. */
interface PictureCache {
  fbo: Framebuffer2D;
  view: View;
  width: number;
  height: number;
  w: number;
  h: number;
}

const STATE_MATCH = 1;
const STATE_NEIGHBOR = 2;
const STATE_SELECTED = 3;

const VERT = `
precision highp float;
attribute vec2 position;
attribute vec4 color; // rgb: the point's color; alpha: its state (0–3) / 255
uniform mat3 view; // world (y up) -> clip (shared/view_transform.ts)
uniform float size, focus;
uniform vec4 background, neighborColor, selectColor;
varying vec4 vColor;
void main() {
  float state = floor(color.a * 255.0 + 0.5);
  gl_Position = vec4((view * vec3(position, 1.0)).xy, 0.5 - state * 0.1, 1.0);
  gl_PointSize = state > 1.5 ? size * 1.8 : size;
  vec4 c = vec4(color.rgb, 1.0);
  if (state > 2.5) c = selectColor;
  else if (state > 1.5) c = neighborColor;
  else if (focus > 0.5 && state < 0.5) c = mix(c, background, 0.8);
  vColor = c;
}`;

// Above this many points, pans and zooms move a cached picture until the view rests (150 ms):
// software WebGL (SwiftShader) needs ~0.9 s per 1M-point frame, a GPU ~1 ms.
const CACHE_ABOVE = 200_000;

// The cached picture as a quad over clip space, moved by `move`: clip at the cached view ->
// clip at the current one.
const BLIT_VERT = `
precision highp float;
attribute vec2 uv;
uniform mat3 move;
varying vec2 vUv;
void main() {
  vec2 clip = vec2(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0);
  gl_Position = vec4((move * vec3(clip, 1.0)).xy, 0.0, 1.0);
  vUv = vec2(uv.x, 1.0 - uv.y);
}`;

const BLIT_FRAG = `
precision highp float;
uniform sampler2D picture;
varying vec2 vUv;
void main() { gl_FragColor = texture2D(picture, vUv); }`;

const FRAG = `
precision highp float;
varying vec4 vColor;
uniform float size;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  if (size > 3.0 && dot(d, d) > 0.25) discard;
  gl_FragColor = vec4(vColor.rgb, 1.0);
}`;

/**
 * A 2-D scatter of N points (`positions`, a Float32Array [N×2], y up), smooth at 1,000,000
 * points. Color by `labels` (categorical palette, `labelNames` for the legend and search) or by
 * `values` (viridis). Drag or arrows pan, wheel or +/− zoom, 0 refits; click or Enter selects the
 * point under the pointer (or the hovered one), Escape clears. `setPositions()` streams new
 * positions (t-SNE/UMAP iterations) into the same GPU buffer; `progress` shows a bar and a
 * cancel button.
 *
 * @example
 * ```html
 * <glass-projector style="height: 400px"></glass-projector>
 * <script type="module">
 *   import './components/mod.ts';
 *   const el = document.querySelector('glass-projector');
 *   el.positions = new Float32Array([0, 0, 1, 1, 2, 0]);
 *   el.labels = new Int32Array([0, 1, 1]);
 *   el.labelNames = ['cat', 'dog'];
 * </script>
 * ```
 *
 * @fires glass-select - a point was selected (click, Enter) or cleared (index −1); detail
 *   `{index, label, name, x, y, neighbors}`.
 * @fires glass-hover - the point under the pointer changed; detail as glass-select.
 * @fires glass-search - the search matched points; detail `{query, matches, ranked}` (`ranked`:
 *   the best {@link SearchMatch}es, exact before prefix before substring matches).
 * @fires glass-cancel - the cancel button of the progress bar was pressed.
 * @csspart frame - the focusable area holding the canvas.
 * @csspart canvas - the WebGL canvas.
 * @csspart legend - the label or value legend.
 * @csspart search - the search input.
 * @csspart matches - the list of the best matches under the search input.
 * @csspart match - one listed match (a button that selects the point; `data-kind` says how it
 *   matched: `exact`, `prefix` or `substring`).
 * @csspart tooltip - the hover read-out.
 * @csspart progress - the progress bar.
 * @csspart cancel - the cancel button.
 * @csspart message - the bad-data / lost-context message.
 * @cssprop --glass-bg - background (also used to dim unmatched points).
 * @cssprop --glass-fg - text color.
 * @cssprop --glass-select-color - the selected point (default #e6007e).
 * @cssprop --glass-neighbor-color - neighbours of the selected point (default #ff7f0e).
 * @cssprop --glass-error-color - message color.
 */
export class GlassProjector extends GlassElement {
  static override properties: PropertyDeclarations = {
    positions: { attribute: false },
    labels: { attribute: false },
    labelNames: { attribute: false },
    texts: { attribute: false },
    values: { attribute: false },
    neighbors: { attribute: false },
    k: { type: Number },
    selected: { type: Number },
    search: { type: String },
    pointSize: { type: Number, attribute: 'point-size' },
    progress: { type: Number },
    label: { type: String },
    _hover: { state: true },
  };

  static override styles: CSSResultGroup = unsafeCSS(
    BASE_CSS + `
:host { height: 360px; }
.frame { cursor: crosshair; }
.bar { position: absolute; top: 6px; left: 6px; right: 6px; display: flex; gap: 8px;
  align-items: center; pointer-events: none; }
.bar > * { pointer-events: auto; }
input[type=search] { font: inherit; width: 12em; }
progress { flex: 1; max-width: 240px; }
.legend { position: absolute; right: 6px; bottom: 6px; display: flex; flex-wrap: wrap;
  gap: 4px 10px; max-width: 60%; justify-content: flex-end; pointer-events: none; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 3px;
  vertical-align: -1px; border-radius: 50%; }
.ramp { width: 120px; height: 10px; display: inline-block; vertical-align: -1px; }
.matches { position: absolute; top: 34px; left: 6px; margin: 0; padding: 0; list-style: none;
  display: flex; flex-direction: column; gap: 2px; align-items: flex-start; }
.matches button { font: inherit; font-size: 12px; padding: 0 6px; border-radius: 3px;
  border: 1px solid #8886; background: var(--glass-bg, #fff); color: var(--glass-fg, #1b1b1f);
  cursor: pointer; }
.matches button[data-kind='exact'] { font-weight: 600; }
.matches .kind { opacity: 0.6; margin-left: 6px; }
.tooltip { position: absolute; pointer-events: none; padding: 2px 6px; border-radius: 3px;
  background: var(--glass-fg, #1b1b1f); color: var(--glass-bg, #fff); white-space: nowrap; }
`,
  );

  /** Point positions, Float32Array [N×2] (x, y; y up). Replace, or call `setPositions()`. */
  declare positions: Float32Array | null;
  /** Category of each point (length N); colors from the categorical palette. */
  declare labels: ArrayLike<number> | null;
  /** Names of the categories (index = label), for the legend and search. */
  declare labelNames: string[] | null;
  /** Per-point text (e.g. words) for search and read-outs. */
  declare texts: string[] | null;
  /** Per-point value (length N) to color by (viridis), used when `labels` is null. */
  declare values: ArrayLike<number> | null;
  /** kNN index [N×k] (row-major, −1 for none); without it the k nearest in 2-D are shown. */
  declare neighbors: Int32Array | Uint32Array | null;
  /** Neighbours per point (columns of `neighbors`, or how many to find). Default 8. */
  declare k: number;
  /** The selected point (−1 for none). */
  declare selected: number;
  /** Search query: points whose category name or text contains it are highlighted. */
  declare search: string;
  /** Point diameter in CSS pixels. Default 4. */
  declare pointSize: number;
  /** Progress of a running projection in [0, 1]; null hides the bar and cancel button. */
  declare progress: number | null;
  /** Accessible name of the plot. */
  declare label: string;
  declare private _hover: { index: number; x: number; y: number } | null;

  #n = 0;
  #current: Float32Array | null = null;
  #box: [number, number, number, number] = [0, 0, 1, 1];
  #view: View | null = null;
  #userView = false;
  #colors: Uint8Array = new Uint8Array(0);
  #states: Uint8Array = new Uint8Array(0);
  #matches = 0;
  #ranked: SearchMatch[] = [];
  #shownNeighbors: number[] = [];
  #grid: { g: number; start: Int32Array; items: Int32Array; box: number[] } | null = null;
  #dirty = { positions: true, colors: true, states: true };
  // Colors and states share one RGBA8 attribute: ANGLE converts 1-byte attributes on every
  // draw, which cost ~30% of a 1M-point frame on SwiftShader.
  #packed: Uint8Array = new Uint8Array(0);
  #buffers: { position: Buffer; color: Buffer } | null = null;
  #command: DrawCommand | null = null;
  #allocations = 0;
  #bufferN = 0;
  #drag: Drag | null = null;
  #cache: PictureCache | null = null;
  #blitCommand: DrawCommand | null = null;
  #quickFrame = 0;
  #rest: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor() {
    super();
    this.positions = null;
    this.labels = null;
    this.labelNames = null;
    this.texts = null;
    this.values = null;
    this.neighbors = null;
    this.k = 8;
    this.selected = -1;
    this.search = '';
    this.pointSize = 4;
    this.progress = null;
    this.label = 'Embedding projection';
    this._hover = null;
  }

  /** How many times GPU point buffers were (re)allocated — `setPositions` does not allocate. */
  get bufferAllocations(): number {
    return this.#allocations;
  }

  /** The current view (world center and CSS pixels per unit). */
  get view(): View | null {
    return this.#view;
  }

  /** The indices of the highlighted neighbours of the selected point. */
  get shownNeighbors(): number[] {
    return this.#shownNeighbors;
  }

  /**
   * Streams new positions (same N) into the existing GPU buffer, e.g. once per t-SNE/UMAP
   * iteration, without re-rendering the DOM or reallocating; a different N falls back to
   * replacing `positions`. The view follows the data until the reader pans or zooms.
   */
  setPositions(positions: Float32Array): void {
    if (!this.#buffers || positions.length !== this.#n * 2 || this._message) {
      this.positions = positions;
      return;
    }
    const problem = this.#checkPositions(positions);
    if (problem) {
      this.positions = positions;
      return;
    }
    this.#current = positions;
    this.#bounds(positions);
    this.#grid = null;
    if (!this.#userView) this.#view = null;
    this.#buffers.position.subdata(positions);
    this.requestDraw();
  }

  /** Screen position (CSS pixels) of point `i`, or null. */
  screenOf(i: number): [number, number] | null {
    const p = this.#current;
    const v = this.#ensureView();
    if (!p || !v || i < 0 || i >= this.#n) return null;
    const m = screenFromWorld(v, this.#viewSize(), { yUp: true });
    const [x, y] = vec2d.transformMat3([p[2 * i], p[2 * i + 1]], m);
    return [x, y];
  }

  /** The point under the screen position (CSS pixels), or −1 (CPU grid index). */
  pick(sx: number, sy: number): number {
    const p = this.#current;
    const v = this.#ensureView();
    if (!p || !v || this.#n === 0) return -1;
    const grid = this.#grid ??= this.#buildGrid(p);
    const toWorld = worldFromScreen(v, this.#viewSize(), { yUp: true });
    const [wx, wy] = vec2d.transformMat3([sx, sy], toWorld);
    const r = (this.pointSize / 2 + 3) / v.scale;
    const [x0, y0, x1, y1] = grid.box;
    const g = grid.g;
    const cw = (x1 - x0) / g || 1;
    const ch = (y1 - y0) / g || 1;
    const ci0 = Math.max(0, Math.floor((wx - r - x0) / cw));
    const ci1 = Math.min(g - 1, Math.floor((wx + r - x0) / cw));
    const cj0 = Math.max(0, Math.floor((wy - r - y0) / ch));
    const cj1 = Math.min(g - 1, Math.floor((wy + r - y0) / ch));
    let best = -1;
    let bestD = r * r;
    for (let cj = cj0; cj <= cj1; cj++) {
      for (let ci = ci0; ci <= ci1; ci++) {
        const c = cj * g + ci;
        for (let s = grid.start[c]; s < grid.start[c + 1]; s++) {
          const i = grid.items[s];
          const dx = p[2 * i] - wx;
          const dy = p[2 * i + 1] - wy;
          const d = dx * dx + dy * dy;
          if (d <= bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }

  #buildGrid(p: Float32Array) {
    const n = this.#n;
    const box = [...this.#box];
    const g = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(n / 4))));
    const cw = (box[2] - box[0]) / g || 1;
    const ch = (box[3] - box[1]) / g || 1;
    const cell = new Int32Array(n);
    const start = new Int32Array(g * g + 1);
    for (let i = 0; i < n; i++) {
      const ci = Math.min(g - 1, Math.max(0, Math.floor((p[2 * i] - box[0]) / cw)));
      const cj = Math.min(g - 1, Math.max(0, Math.floor((p[2 * i + 1] - box[1]) / ch)));
      const c = cj * g + ci;
      cell[i] = c;
      start[c + 1]++;
    }
    for (let c = 0; c < g * g; c++) start[c + 1] += start[c];
    const fill = start.slice(0, g * g);
    const items = new Int32Array(n);
    for (let i = 0; i < n; i++) items[fill[cell[i]]++] = i;
    return { g, start, items, box };
  }

  #checkPositions(p: Float32Array | null): string {
    if (!p) return '';
    if (!(p instanceof Float32Array)) return 'positions must be a Float32Array [N×2].';
    if (p.length === 0) return 'No points to show (positions is empty).';
    if (p.length % 2 !== 0) {
      return `positions must hold N×2 values; it has ${p.length}, an odd length.`;
    }
    let bad = 0;
    let first = -1;
    for (let i = 0; i < p.length; i++) {
      if (!Number.isFinite(p[i])) {
        if (first < 0) first = i >> 1;
        bad++;
      }
    }
    if (bad) {
      return `${bad} coordinate${bad > 1 ? 's are' : ' is'} not finite (first at point ${first}).`;
    }
    return '';
  }

  #validate(): string {
    const p = this.positions;
    const problem = this.#checkPositions(p);
    if (problem || !p) return problem;
    const n = p.length / 2;
    if (this.labels && this.labels.length !== n) {
      return `labels has ${this.labels.length} entries for ${n} points.`;
    }
    if (this.values && this.values.length !== n) {
      return `values has ${this.values.length} entries for ${n} points.`;
    }
    if (this.texts && this.texts.length !== n) {
      return `texts has ${this.texts.length} entries for ${n} points.`;
    }
    if (this.neighbors && this.neighbors.length % n !== 0) {
      return `neighbors has ${this.neighbors.length} entries, not a multiple of ${n} points.`;
    }
    return '';
  }

  #bounds(p: Float32Array): void {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < p.length; i += 2) {
      const x = p[i], y = p[i + 1];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    if (x0 === x1) (x0 -= 0.5), (x1 += 0.5);
    if (y0 === y1) (y0 -= 0.5), (y1 += 0.5);
    this.#box = [x0, y0, x1, y1];
  }

  #viewSize(): ViewSize {
    return { width: this.width, height: this.height };
  }

  #ensureView(): View | null {
    if (!this.#view && this.#current && this.width > 0) {
      const [x0, y0, x1, y1] = this.#box;
      const m = this.pointSize + 8;
      this.#view = fitView([x0, -y1, x1, -y0], this.width, this.height, m);
    }
    return this.#view;
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    const data = ['positions', 'labels', 'values', 'texts', 'neighbors', 'labelNames'];
    if (data.some((k) => changed.has(k))) {
      this._message = this.#validate();
      const p = this._message ? null : this.positions;
      if (changed.has('positions')) {
        this.#current = p;
        this.#grid = null;
        if (p) this.#bounds(p);
        if (!p || p.length / 2 !== this.#n) this.#userView = false;
        this.#view = null;
        this.#dirty.positions = true;
      }
      this.#n = p ? p.length / 2 : 0;
      if (!p) this.#current = null;
      this.#dirty.colors = true;
      this.#dirty.states = true;
      if (this.selected >= this.#n) this.selected = -1;
    }
    if (['selected', 'search', 'k'].some((key) => changed.has(key))) this.#dirty.states = true;
    if (this.#dirty.colors) this.#computeColors();
    if (this.#dirty.states) this.#computeStates(changed.has('search'));
  }

  #computeColors(): void {
    const n = this.#n;
    if (this.#colors.length !== n * 4) this.#colors = new Uint8Array(n * 4);
    const c = this.#colors;
    const labels = this.labels;
    const values = this.values;
    if (labels) {
      for (let i = 0; i < n; i++) c.set(categorical(labels[i]), 4 * i);
    } else if (values) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const span = hi - lo || 1;
      // The shared 256-entry viridis table keeps 1M points fast.
      const table = colormapTable('viridis');
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (Number.isFinite(v)) {
          const j = Math.round(((v - lo) / span) * 255) * 4;
          c[4 * i] = table[j];
          c[4 * i + 1] = table[j + 1];
          c[4 * i + 2] = table[j + 2];
        } else c.set([128, 128, 128], 4 * i);
        c[4 * i + 3] = 255;
      }
    } else {
      const base = categorical(0);
      for (let i = 0; i < n; i++) c.set(base, 4 * i);
    }
  }

  #computeStates(searchChanged: boolean): void {
    const n = this.#n;
    if (this.#states.length !== n) this.#states = new Uint8Array(n);
    const s = this.#states;
    s.fill(0);
    const q = this.search.trim();
    const ranked = rankSearch(q, this.texts, this.labels, this.labelNames, n);
    for (const m of ranked) s[m.index] = STATE_MATCH;
    const matches = ranked.length;
    this.#matches = matches;
    this.#ranked = ranked;
    this.#shownNeighbors = [];
    const sel = this.selected;
    if (sel >= 0 && sel < n) {
      const nb = this.#neighborsOf(sel);
      for (const j of nb) s[j] = STATE_NEIGHBOR;
      s[sel] = STATE_SELECTED;
      this.#shownNeighbors = nb;
    }
    this.#dirty.states = true;
    if (searchChanged && q) {
      emit(this, 'glass-search', {
        query: this.search,
        matches,
        ranked: ranked.slice(0, LISTED_MATCHES),
      });
    }
  }

  #neighborsOf(i: number): number[] {
    const n = this.#n;
    const table = this.neighbors;
    if (table) {
      const k = table.length / n;
      const out: number[] = [];
      for (let j = 0; j < k; j++) {
        const v = table[i * k + j];
        if (v >= 0 && v < n && v !== i) out.push(v);
      }
      return out;
    }
    const p = this.#current;
    const k = Math.min(this.k, n - 1);
    if (!p || k <= 0) return [];
    // The k nearest in 2-D, by a bounded insertion list (O(N·k), fine at selection time).
    const best: number[] = [];
    const dist: number[] = [];
    const x = p[2 * i], y = p[2 * i + 1];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = p[2 * j] - x, dy = p[2 * j + 1] - y;
      const d = dx * dx + dy * dy;
      if (best.length === k && d >= dist[k - 1]) continue;
      let at = best.length === k ? k - 1 : best.length;
      while (at > 0 && dist[at - 1] > d) {
        if (at < k) (dist[at] = dist[at - 1]), (best[at] = best[at - 1]);
        at--;
      }
      dist[at] = d;
      best[at] = j;
      if (best.length > k) (best.length = k), (dist.length = k);
    }
    return best;
  }

  protected override glCreated(regl: Regl): void {
    this.#dirty = { positions: true, colors: true, states: true };
    this.#buffers = null;
    this.#command = regl({
      vert: VERT,
      frag: FRAG,
      attributes: {
        position: () => this.#buffers!.position,
        color: () => ({ buffer: this.#buffers!.color, normalized: true, size: 4 }),
      },
      uniforms: {
        view: regl.prop<{ view: Float32Array }, 'view'>('view'),
        size: regl.prop<{ size: number }, 'size'>('size'),
        focus: regl.prop<{ focus: number }, 'focus'>('focus'),
        background: regl.prop<{ background: number[] }, 'background'>('background'),
        neighborColor: regl.prop<{ neighborColor: number[] }, 'neighborColor'>('neighborColor'),
        selectColor: regl.prop<{ selectColor: number[] }, 'selectColor'>('selectColor'),
      },
      count: () => this.#n,
      primitive: 'points',
      depth: { enable: true, func: 'less' },
    });
  }

  protected override glSync(regl: Regl): void {
    const n = this.#n;
    if (n === 0) return;
    if (!this.#buffers || this.#bufferN !== n) {
      for (const b of Object.values(this.#buffers ?? {})) b.destroy();
      this.#buffers = {
        position: regl.buffer({ usage: 'dynamic', type: 'float', length: n * 8 }),
        color: regl.buffer({ usage: 'dynamic', type: 'uint8', length: n * 4 }),
      };
      this.#allocations++;
      this.#bufferN = n;
      this.#dirty = { positions: true, colors: true, states: true };
    }
    if (this.#dirty.positions && this.#current) this.#buffers.position.subdata(this.#current);
    if (this.#dirty.colors || this.#dirty.states) {
      if (this.#packed.length !== n * 4) this.#packed = new Uint8Array(n * 4);
      const packed = this.#packed;
      packed.set(this.#colors);
      const states = this.#states;
      for (let i = 0; i < n; i++) packed[4 * i + 3] = states[i];
      this.#buffers.color.subdata(packed);
    }
    this.#dirty = { positions: false, colors: false, states: false };
  }

  protected override glReleased(): void {
    this.#buffers = null;
    this.#command = null;
    this.#cache = null;
    this.#blitCommand = null;
    if (this.#quickFrame) cancelAnimationFrame(this.#quickFrame);
    this.#quickFrame = 0;
    clearTimeout(this.#rest);
  }

  protected override resized(): void {
    if (!this.#userView) this.#view = null;
  }

  protected override draw(regl: Regl): void {
    const bgc = hostBackground(this);
    const clear = bgc.map((x) => x / 255) as [number, number, number, number];
    regl.clear({ color: clear, depth: 1 });
    const v = this.#ensureView();
    if (!this.#command || !this.#buffers || !v || this.#n === 0 || this._message) return;
    const dpr = globalThis.devicePixelRatio || 1;
    const norm = (c: Rgba) => c.map((x) => x / 255);
    const props = {
      view: glslMat3(clipFromWorld(v, this.#viewSize(), { yUp: true })),
      size: this.pointSize * dpr,
      focus: this.search.trim() || this.selected >= 0 ? 1 : 0,
      background: norm(bgc),
      neighborColor: norm(cssColor(this, '--glass-neighbor-color', [255, 127, 14, 255])),
      selectColor: norm(cssColor(this, '--glass-select-color', [230, 0, 126, 255])),
    };
    if (this.#n < CACHE_ABOVE) {
      this.#command(props);
      this.#cache = null;
      return;
    }
    // Large N: draw into a canvas-sized framebuffer and show it; pans and zooms then move that
    // picture (one quad) until the view rests, and the points are drawn again.
    const w = regl._gl.drawingBufferWidth, h = regl._gl.drawingBufferHeight;
    let cache = this.#cache;
    if (!cache) {
      const fbo = regl.framebuffer({ width: w, height: h, depth: true });
      cache = this.#cache = { fbo, view: v, width: this.width, height: this.height, w, h };
    } else if (cache.w !== w || cache.h !== h) {
      cache.fbo.resize(w, h);
      cache.w = w;
      cache.h = h;
    }
    cache.view = { ...v };
    cache.width = this.width;
    cache.height = this.height;
    const command = this.#command;
    cache.fbo.use(() => {
      regl.clear({ color: clear, depth: 1 });
      command(props);
    });
    this.#blit(regl, cache, v);
  }

  #blit(regl: Regl, cache: PictureCache, v: View): void {
    // clip now = clipFromWorld(v) · worldFromClip(cached view), at the size it was drawn at.
    const size = { width: cache.width, height: cache.height };
    const move = clipFromWorld(v, size);
    mat3d.multiply(move, mat3d.inverse(clipFromWorld(cache.view, size)), move);
    this.#blitCommand ??= regl({
      vert: BLIT_VERT,
      frag: BLIT_FRAG,
      attributes: { uv: [0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1] },
      uniforms: {
        picture: regl.prop<{ picture: unknown }, 'picture'>('picture') as never,
        move: regl.prop<{ move: Float32Array }, 'move'>('move'),
      },
      count: 6,
      depth: { enable: false },
    });
    this.#blitCommand({ picture: cache.fbo, move: glslMat3(move) });
  }

  // Interactive redraw: move the cached picture now, draw the points when the view rests.
  #quickDraw(): void {
    const regl = this.regl;
    const cache = this.#cache;
    const v = this.#view;
    if (!regl || !cache || !v || this.#n < CACHE_ABOVE || this.contextLost) {
      this.requestDraw();
      return;
    }
    if (!this.#quickFrame) {
      this.#quickFrame = requestAnimationFrame(() => {
        this.#quickFrame = 0;
        const bg = hostBackground(this).map((x) => x / 255) as [number, number, number, number];
        try {
          regl.poll();
          regl.clear({ color: bg, depth: 1 });
          this.#blit(regl, cache, this.#view ?? v);
        } catch {
          this.requestDraw();
        }
      });
    }
    clearTimeout(this.#rest);
    this.#rest = setTimeout(() => this.requestDraw(), 150);
  }

  #select(index: number): void {
    this.selected = index;
    this.#computeStates(false);
    const detail = this.#detail(index);
    emit(this, 'glass-select', detail);
  }

  #detail(index: number): ProjectorSelectDetail {
    if (index < 0 || !this.#current) return { index: -1 };
    const label = this.labels ? this.labels[index] : undefined;
    const name = this.texts?.[index] ??
      (label !== undefined ? this.labelNames?.[label] ?? String(label) : undefined);
    return {
      index,
      label,
      name,
      x: this.#current[2 * index],
      y: this.#current[2 * index + 1],
      neighbors: index === this.selected ? [...this.#shownNeighbors] : undefined,
    };
  }

  #local(e: MouseEvent): [number, number] {
    return localPoint(this.canvas ?? this, e);
  }

  #onPointerDown = (e: PointerEvent) => {
    const v = this.#ensureView();
    if (!v) return;
    const [x, y] = this.#local(e);
    this.#drag = { x, y, view: v, moved: false };
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
  };

  #onPointerMove = (e: PointerEvent) => {
    const [x, y] = this.#local(e);
    const d = this.#drag;
    if (d) {
      const next = draggedView(d, x, y);
      if (next) {
        this.#userView = true;
        this.#view = next;
        this.#quickDraw();
        return;
      }
    }
    const i = this.pick(x, y);
    const prev = this._hover?.index ?? -1;
    this._hover = i >= 0 ? { index: i, x, y } : null;
    if (i !== prev) emit(this, 'glass-hover', this.#detail(i));
  };

  #onPointerUp = (e: PointerEvent) => {
    const d = this.#drag;
    this.#drag = null;
    if (!d || d.moved) return;
    const [x, y] = this.#local(e);
    this.#select(this.pick(x, y));
  };

  #onLeave = () => {
    if (this._hover) emit(this, 'glass-hover', { index: -1 });
    this._hover = null;
  };

  #onWheel = (e: WheelEvent) => {
    const v = this.#ensureView();
    if (!v) return;
    e.preventDefault();
    const [x, y] = this.#local(e);
    this.#userView = true;
    this.#view = zoomAt(v, Math.exp(-e.deltaY * 0.002), x, y, this.width, this.height);
    this.#quickDraw();
  };

  #onKey = (e: KeyboardEvent) => {
    const v = this.#ensureView();
    if (!v) return;
    if (e.key === 'Escape') {
      this.#select(-1);
      return;
    }
    if (e.key === 'Enter') {
      if (this._hover) this.#select(this._hover.index);
      return;
    }
    const next = keyView(e.key, v, this.width, this.height);
    if (!next) return;
    e.preventDefault();
    if (next === 'fit') {
      this.#userView = false;
      this.#view = null;
    } else {
      this.#userView = true;
      this.#view = next;
    }
    this.#quickDraw();
  };

  #summary(): string {
    if (this._message) return this._message;
    const n = this.#n;
    if (!n) return 'No points.';
    const parts = [`${n.toLocaleString('en')} points`];
    if (this.labels) {
      parts.push(`colored by ${this.labelNames?.length ?? 'numeric'} labels`);
    } else if (this.values) parts.push('colored by value');
    if (this.search.trim()) {
      const count = (kind: SearchMatchKind) => this.#ranked.filter((m) => m.kind === kind).length;
      parts.push(
        `${this.#matches} match “${this.search}” (${count('exact')} exact, ${
          count('prefix')
        } start with it, ${count('substring')} contain it)`,
      );
    }
    if (this.selected >= 0) {
      const d = this.#detail(this.selected);
      parts.push(
        `selected point ${this.selected}${
          d.name ? ` (${d.name})` : ''
        } with ${this.#shownNeighbors.length} neighbours highlighted`,
      );
    }
    return parts.join('; ') + '.';
  }

  #legend() {
    if (this.labels) {
      const names = this.labelNames;
      let count = names?.length ?? 0;
      if (!names) {
        let max = 0;
        for (let i = 0; i < this.labels.length; i++) max = Math.max(max, this.labels[i]);
        count = Math.min(max + 1, 20);
      }
      return Array.from(
        { length: Math.min(count, 20) },
        (_, i) =>
          html`<span><span class="swatch" style="background:${cssOf(categorical(i))}"></span>${
            names?.[i] ?? i
          }</span>`,
      );
    }
    if (this.values) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < this.values.length; i++) {
        const v = this.values[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return html`<span>${fmt(lo)} <span class="ramp" style="background:${
        colormapGradient('viridis')
      }"
        ></span> ${fmt(hi)}</span>`;
    }
    return '';
  }

  override render(): TemplateResult {
    const hover = this._hover;
    const hd = hover ? this.#detail(hover.index) : null;
    return html`
      <div class="frame" part="frame" tabindex="0" role="img" aria-label=${this.label}
        aria-describedby="summary"
        @pointerdown=${this.#onPointerDown} @pointermove=${this.#onPointerMove}
        @pointerup=${this.#onPointerUp} @pointerleave=${this.#onLeave}
        @wheel=${this.#onWheel} @keydown=${this.#onKey}>
        <canvas part="canvas"></canvas>
      </div>
      <div class="bar">
        <input type="search" part="search" placeholder="Search labels" aria-label="Search labels"
          .value=${this.search}
          @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)}>
        ${this.progress !== null && this.progress !== undefined
          ? html`
            <progress part="progress" max="1" .value=${this.progress}
              aria-label="Projection progress"></progress>
            <button part="cancel" @click=${() => emit(this, 'glass-cancel', {})}>Cancel</button>
          `
          : ''}
      </div>
      ${this.search.trim() && this.#ranked.length
        ? html`<ol class="matches" part="matches" aria-label="Best matches">${
          this.#ranked.slice(0, LISTED_MATCHES).map((m) =>
            html`<li><button part="match" data-kind=${m.kind} data-index=${m.index}
                @click=${() => this.#select(m.index)}>${m.text}<span class="kind">${
              MATCH_KIND_LABEL[m.kind]
            }</span></button></li>`
          )
        }</ol>`
        : ''}
      <div class="legend" part="legend">${this.#legend()}</div>
      ${hover && hd
        ? html`
          <div class="tooltip" part="tooltip"
            style="left:${hover.x + 10}px;top:${hover.y +
              10}px">#${hd.index}${hd.name ? ` ${hd.name}` : ''} (${fmt(hd.x!)}, ${fmt(
                hd.y!,
              )})</div>
        `
        : ''}
      <div class="message" part="message" role="alert" ?hidden=${!this.message}>${this
        .message}</div>
      <p class="summary" id="summary" aria-live="polite">${this.#summary()}</p>
    `;
  }
}

customElements.get('glass-projector') ?? customElements.define('glass-projector', GlassProjector);
