/**
 * `<glass-activations>`: a layer's feature maps as a grid of small heatmaps (regl, one atlas
 * texture), with the hovered or focused map enlarged beside it.
 *
 * @example
 * ```html
 * <glass-activations normalize="map"></glass-activations>
 * <script type="module">
 *   import './components/activations.ts';
 *   const el = document.querySelector('glass-activations');
 *   el.data = maps; // Float32Array of C·H·W values
 *   el.shape = [16, 12, 12];
 * </script>
 * ```
 *
 * @module
 */

import { html, type PropertyDeclarations, type TemplateResult } from 'lit';
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
  extent,
  formatValue,
  type NumericArray,
  sizeOf,
  type TensorLike,
} from './shared/data.ts';

/** Detail of `glass-hover`: the feature map shown enlarged. */
export interface ActivationsHoverDetail {
  /** Channel index. */
  channel: number;
  /** Its smallest and largest activation. */
  min: number;
  max: number;
}

interface Prepared {
  C: number;
  h: number;
  w: number;
  data: ArrayLike<number>;
  extents: [number, number][];
  shared: [number, number];
  cols: number;
  rows: number;
  atlas: Uint8Array<ArrayBuffer>;
  cmap: ColormapName;
}

const GAP = 12; // grid to enlarged map
const CELL_GAP = 2;

/**
 * Shows C feature maps of H×W as a grid (sequential colormap; each map stretched over its own
 * min–max with `normalize="map"`, the default, or all over the layer's with `"shared"`), and
 * the hovered or focused map (`selected`) enlarged to the right with its range. Each cell is a
 * focusable DOM button over the canvas (`part="cell"`): arrow keys move between cells.
 * Arrays are replaced, not mutated. Its height follows from its width (square cells): size it by
 * width, not height.
 *
 * @fires glass-hover - `detail`: {@linkcode ActivationsHoverDetail} when a map is hovered or focused.
 * @csspart canvas - the WebGL canvas (grid and enlarged map).
 * @csspart cell - a map's hit area and focus target (`cell active` for the selected one).
 * @csspart detail-label - channel and range of the enlarged map.
 * @csspart legend - the colorbar with the values of the enlarged map.
 * @csspart message - shown instead of the grid when the data cannot be drawn.
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text color.
 * @cssprop --glass-muted - legend text.
 * @cssprop --glass-accent - outline of the selected cell and the focus ring.
 */
export class GlassActivations extends GlassElement {
  static override properties: PropertyDeclarations = {
    ...GlassElement.properties,
    data: { attribute: false },
    shape: { attribute: false },
    normalization: { attribute: 'normalize', reflect: true },
    columns: { type: Number },
    colormap: {},
    selected: { type: Number, reflect: true },
    label: {},
  };

  /** Activations, C·H·W values (may be an engine tensor). */
  declare data: NumericArray | TensorLike | null;
  /** [C, H, W] or [1, C, H, W]. */
  declare shape: readonly number[] | null;
  /**
   * Attribute `normalize`: `map` (default), each map over its own range; `shared`, all over the
   * layer's range. (Not `normalize`: that name is `Node.normalize()`.)
   */
  declare normalization: 'map' | 'shared';
  /** Grid columns (default: ⌈√C⌉). */
  declare columns: number | undefined;
  /** Sequential colormap (default `viridis`). */
  declare colormap: ColormapName | undefined;
  /** The enlarged map's channel (default 0). */
  declare selected: number;
  /** Accessible name; default "Feature maps". */
  declare label: string;

  /** The canvas and its regl (public for tests and screenshots). */
  readonly renderer: ReglController = new ReglController(this);

  #error: string | null = null;
  #pending = false;
  #prepared: Prepared | null = null;
  #dirty = true;
  #textures: { gen: number; atlas: Texture2D; lut: Texture2D } | null = null;
  #layout = { width: 0, grid: 0, cellW: 1, cellH: 1, detailW: 0, detailH: 0, height: 1 };
  #builtCells = '';

  constructor() {
    super();
    this.data = null;
    this.shape = null;
    this.normalization = 'map';
    this.columns = undefined;
    this.colormap = undefined;
    this.selected = 0;
    this.label = 'Feature maps';
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (
      !this.#prepared || this.#pending ||
      ['data', 'shape', 'normalization', 'columns', 'colormap'].some((k) => changed.has(k))
    ) {
      this.#prepare();
    }
    const p = this.#prepared;
    if (!p) return;
    const width = this.renderer.width || this.clientWidth || 400;
    const detailW = Math.min(320, Math.round(width * 0.4));
    const grid = Math.max(p.cols, width - detailW - GAP);
    const cellW = Math.max(1, Math.floor((grid - (p.cols - 1) * CELL_GAP) / p.cols));
    const cellH = Math.max(1, Math.round((cellW * p.h) / p.w));
    const detailH = Math.round((detailW * p.h) / p.w);
    const gridH = p.rows * cellH + (p.rows - 1) * CELL_GAP;
    this.#layout = {
      width,
      grid,
      cellW,
      cellH,
      detailW,
      detailH,
      height: Math.max(1, gridH, detailH),
    };
  }

  #prepare(): void {
    this.#error = null;
    this.#pending = false;
    this.#prepared = null;
    this.#dirty = true;
    const d = this.resolveTensor('data', this.data);
    if (d === null || d === undefined) return void (this.#error = 'No activations given');
    if ((d as { pending?: true }).pending) return void (this.#pending = true);
    if ((d as { error?: string }).error) return void (this.#error = (d as { error: string }).error);
    let shape = (this.data as TensorLike).shape ?? this.shape;
    const badShape = checkShape(shape, 'the activations');
    if (badShape) return void (this.#error = badShape);
    shape = shape!.length === 4 && shape![0] === 1 ? shape!.slice(1) : shape!;
    if (shape.length !== 3) {
      return void (this.#error =
        `Cannot draw the activations: shape [${shape}] is not [C, H, W] or [1, C, H, W]`);
    }
    const bad = checkValues(d, sizeOf(shape), 'the activations');
    if (bad) return void (this.#error = bad);
    const data = d as NumericArray;
    const [C, h, w] = shape;
    const cmap = this.colormap ?? 'viridis';
    if (!isColormap(cmap)) return void (this.#error = `Unknown colormap "${cmap}"`);
    const mode = this.normalization ?? 'map';
    if (mode !== 'map' && mode !== 'shared') {
      return void (this.#error = `Unknown normalization "${mode}" (map or shared)`);
    }
    const cols = this.columns && this.columns > 0
      ? Math.min(C, Math.floor(this.columns))
      : Math.ceil(Math.sqrt(C));
    const rows = Math.ceil(C / cols);
    const extents = Array.from({ length: C }, (_, c) => extent(data, c * h * w, (c + 1) * h * w));
    const shared: [number, number] = [
      Math.min(...extents.map((e) => e[0])),
      Math.max(...extents.map((e) => e[1])),
    ];
    const AW = cols * w;
    const atlas = new Uint8Array(AW * rows * h * 4);
    for (let c = 0; c < C; c++) {
      const [lo, hi] = mode === 'shared' ? shared : extents[c];
      const k = hi > lo ? 1 / (hi - lo) : 0;
      const x0 = (c % cols) * w;
      const y0 = Math.floor(c / cols) * h;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const o = ((y0 + y) * AW + x0 + x) * 4;
          atlas[o] = colormapIndex((data[c * h * w + y * w + x] - lo) * k);
          atlas[o + 3] = 255;
        }
      }
    }
    this.#prepared = { C, h, w, data, extents, shared, cols, rows, atlas, cmap };
  }

  get #channel(): number {
    const p = this.#prepared;
    return p ? Math.max(0, Math.min(p.C - 1, Math.floor(this.selected || 0))) : 0;
  }

  override render(): TemplateResult {
    if (this.#error) return this.renderMessage(this.#error);
    const p = this.#prepared;
    if (this.#pending || !p) {
      return html`<p part="message" role="status">Reading the activations back from the GPU…</p>`;
    }
    if (this.renderer.error) return this.renderMessage(this.renderer.error);
    const c = this.#channel;
    const { grid, detailW, detailH } = this.#layout;
    const [lo, hi] = this.normalization === 'shared' ? p.shared : p.extents[c];
    const strongest = p.extents.map((e, i) => [e[1], i]).sort((a, b) => b[0] - a[0]).slice(0, 5);
    return html`
      <style>
        .stage {
          position: relative;
        }
        .cells {
          position: absolute;
          inset: 0;
        }
        [part~='cell'] {
          position: absolute;
          box-sizing: border-box;
          outline: none;
        }
        [part~='cell']:focus-visible,
        [part~='active'] {
          outline: 2px solid var(--_accent);
          outline-offset: 0;
        }
        [part~='detail-label'] {
          position: absolute;
          font-variant-numeric: tabular-nums;
          color: var(--_muted);
        }
        [part~='legend'] {
          position: absolute;
          margin: 0;
        }
      </style>
      <div
        class="stage"
        role="group"
        aria-label=${`${this.label}: ${p.C} maps of ${p.h}×${p.w}`}
        aria-describedby="summary"
      >
        ${this.renderer.canvas}
        <div
          class="cells"
          role="grid"
          @pointerover=${this.#onOver}
          @focusin=${this.#onOver}
          @keydown=${this.#onKey}
        ></div>
        <div part="detail-label" style="left:${grid + GAP}px;top:${detailH + 2}px">
          channel ${c} · ${formatValue(p.extents[c][0])} … ${formatValue(p.extents[c][1])}
        </div>
        <div part="legend" aria-hidden="true" style="left:${grid + GAP}px;top:${detailH +
          22}px;width:${detailW}px">
          <div class="bar" style="background: ${colormapGradient(p.cmap)}"></div>
          <div class="ticks"><span>${formatValue(lo)}</span><span>${formatValue(hi)}</span></div>
        </div>
      </div>
      <div style="height:56px"></div>
      <p id="summary" class="sr-only">
        ${p.C} feature maps of ${p.h}×${p.w}, normalized ${this.normalization === 'shared'
          ? `over the layer (${formatValue(p.shared[0])} … ${formatValue(p.shared[1])})`
          : 'each over its own range'}. Largest activations: ${strongest.map(([v, i]) =>
            `channel ${i} ${formatValue(v)}`
          ).join(', ')}.
      </p>
    `;
  }

  override updated(): void {
    const p = this.#prepared;
    if (this.#error || this.#pending || !p) {
      this.renderer.destroy();
      return;
    }
    this.#buildCells(p);
    const regl = this.renderer.use();
    if (!regl) {
      if (this.renderer.error && !this.shadowRoot?.querySelector('[part~="message"]')) {
        this.requestUpdate();
      }
      return;
    }
    const AW = p.cols * p.w;
    const AH = p.rows * p.h;
    if (AW > regl.limits.maxTextureSize || AH > regl.limits.maxTextureSize) {
      this.#error = `Cannot draw the activations: the ${AW}×${AH} atlas exceeds this GPU's ` +
        `texture limit ${regl.limits.maxTextureSize}; set fewer columns or send fewer maps`;
      this.requestUpdate();
      return;
    }
    const L = this.#layout;
    this.renderer.resize(L.width, L.height);
    const s = this.renderer.scale;
    let tex = this.#textures;
    if (!tex || tex.gen !== this.renderer.generation || this.#dirty) {
      if (tex && tex.gen === this.renderer.generation) {
        tex.atlas.destroy();
        tex.lut.destroy();
      }
      this.#dirty = false;
      tex = this.#textures = {
        gen: this.renderer.generation,
        atlas: rgbaTexture(regl, AW, AH, p.atlas),
        lut: lutTexture(regl, p.cmap),
      };
    }
    regl.poll();
    const background = this.backgroundColor();
    regl.clear({ color: background });
    const draw = heatmapCommand(regl);
    const px = (v: number) => Math.round(v * s);
    const sub = (c: number) =>
      [(c % p.cols) / p.cols, Math.floor(c / p.cols) / p.rows, 1 / p.cols, 1 / p.rows] as const;
    for (let c = 0; c < p.C; c++) {
      const x = (c % p.cols) * (L.cellW + CELL_GAP);
      const y = Math.floor(c / p.cols) * (L.cellH + CELL_GAP);
      draw({
        rect: [px(x), px(y), px(x + L.cellW) - px(x), px(y + L.cellH) - px(y)],
        values: tex.atlas,
        valueRect: sub(c),
        lut: tex.lut,
        background,
      });
    }
    const dx = L.grid + GAP;
    draw({
      rect: [px(dx), 0, px(dx + L.detailW) - px(dx), px(L.detailH)],
      values: tex.atlas,
      valueRect: sub(this.#channel),
      lut: tex.lut,
      background,
    });
  }

  /** The DOM cells over the canvas: rebuilt when the grid changes, parts updated otherwise. */
  #buildCells(p: Prepared): void {
    const host = this.shadowRoot?.querySelector('.cells');
    if (!host) return;
    const L = this.#layout;
    const key = `${p.C}/${p.cols}/${L.cellW}/${L.cellH}/${p.extents.join()}`;
    if (key !== this.#builtCells || host.childElementCount !== p.C) {
      const fragment = document.createDocumentFragment();
      for (let c = 0; c < p.C; c++) {
        const cell = document.createElement('div');
        cell.setAttribute('part', 'cell');
        cell.setAttribute('role', 'gridcell');
        cell.dataset.c = String(c);
        cell.setAttribute(
          'aria-label',
          `channel ${c}: ${formatValue(p.extents[c][0])} to ${formatValue(p.extents[c][1])}`,
        );
        const x = (c % p.cols) * (L.cellW + CELL_GAP);
        const y = Math.floor(c / p.cols) * (L.cellH + CELL_GAP);
        cell.style.cssText = `left:${x}px;top:${y}px;width:${L.cellW}px;height:${L.cellH}px`;
        fragment.append(cell);
      }
      host.replaceChildren(fragment);
      this.#builtCells = key;
    }
    const sel = this.#channel;
    for (const [i, cell] of [...host.children].entries()) {
      cell.setAttribute('part', i === sel ? 'cell active' : 'cell');
      cell.setAttribute('aria-selected', String(i === sel));
      cell.setAttribute('tabindex', i === sel ? '0' : '-1');
    }
  }

  #choose(c: number, focus = false): void {
    const p = this.#prepared;
    if (!p || c < 0 || c >= p.C) return;
    if (focus) {
      (this.shadowRoot?.querySelector(`[data-c="${c}"]`) as HTMLElement | null)?.focus();
    }
    if (c === this.selected) return;
    this.selected = c;
    this.emit<ActivationsHoverDetail>('glass-hover', {
      channel: c,
      min: p.extents[c][0],
      max: p.extents[c][1],
    });
  }

  #onOver = (e: Event) => {
    const c = (e.target as HTMLElement).dataset?.c;
    if (c !== undefined) this.#choose(Number(c));
  };

  #onKey = (e: KeyboardEvent) => {
    const p = this.#prepared;
    if (!p) return;
    const c = this.#channel;
    const next: Record<string, number> = {
      ArrowLeft: c - 1,
      ArrowRight: c + 1,
      ArrowUp: c - p.cols,
      ArrowDown: c + p.cols,
      Home: 0,
      End: p.C - 1,
    };
    if (!(e.key in next)) return;
    e.preventDefault();
    this.#choose(Math.max(0, Math.min(p.C - 1, next[e.key])), true);
  };
}

if (!customElements.get('glass-activations')) {
  customElements.define('glass-activations', GlassActivations);
}
