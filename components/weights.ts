/**
 * `<glass-weights>`: a weight tensor drawn by regl — a matrix as a zoomable heatmap (up to
 * 4096×4096 as one RGBA8 texture of colormap indices), conv filters `[O, I, kh, kw]` as a grid of
 * kh×kw tiles, a bias vector as bars — with its statistics.
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
import type { Buffer, DrawCommand, Regl, Texture2D } from 'regl';
import { vec2d } from 'wgpu-matrix';
import { GlassElement } from './shared/glass_element.ts';
import {
  colormap,
  colormapGradient,
  colormapIndex,
  type ColormapName,
  isColormap,
} from './shared/colormaps.ts';
import { heatmapCommand, lutTexture, rgbaTexture } from './shared/heatmap.ts';
import { isTensorLike, type TensorLike } from './shared/data.ts';
import {
  clipFromWorld,
  glslMat3,
  screenFromWorld,
  type ViewSize,
  worldFromScreen,
} from './shared/view_transform.ts';
import {
  BASE_CSS,
  type Drag,
  draggedView,
  emit,
  fitView,
  fmt,
  hostBackground,
  keyView,
  localPoint,
  type View,
  zoomAt,
} from './view_helpers.ts';

/** Statistics of a tensor. */
export interface WeightStats {
  min: number;
  max: number;
  mean: number;
  std: number;
}

/** Detail of `glass-hover` / `glass-select`: the tensor index under the pointer and its value. */
export interface WeightsPointDetail {
  /** Index into the tensor (one entry per dimension), or null off the tensor. */
  index: number[] | null;
  /** The value there. */
  value?: number;
}

/** Statistics in f64 over the finite values. */
export function weightStats(data: ArrayLike<number>): WeightStats & { nonFinite: number } {
  let min = Infinity, max = -Infinity, sum = 0, n = 0, nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
  }
  const mean = n ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) ss += (v - mean) * (v - mean);
  }
  return { min, max, mean, std: n ? Math.sqrt(ss / n) : NaN, nonFinite };
}

type Mode = 'bars' | 'matrix' | 'filters';

const BAR_VERT = `
precision highp float;
attribute vec2 position;
attribute vec4 color;
uniform mat3 view; // (x, value · barScale), y up -> clip (shared/view_transform.ts)
varying vec4 vColor;
void main() { gl_Position = vec4((view * vec3(position, 1.0)).xy, 0.0, 1.0); vColor = color; }`;

const BAR_FRAG = `
precision highp float;
varying vec4 vColor;
void main() { gl_FragColor = vColor; }`;

/**
 * A weight tensor: set `data` (Float32Array) and `shape`. Rank 1 draws bars, rank 2 a heatmap
 * (rows × columns), rank 4 `[O, I, kh, kw]` a grid (O rows of I filters), any other rank a
 * heatmap of `[prod(shape[:-1]), shape[-1]]`. Colors: `colormap` (`auto` = `rdbu` centered on 0
 * when the values change sign, else `viridis`) over `range` (default symmetric ±max|v| for the
 * diverging map, [min, max] otherwise). Drag/arrows pan, wheel/+/− zoom, 0 refits; hover reads
 * the value out.
 *
 * @example
 * ```html
 * <glass-weights style="height: 300px"></glass-weights>
 * <script type="module">
 *   import './components/mod.ts';
 *   const el = document.querySelector('glass-weights');
 *   el.shape = [2, 3];
 *   el.data = new Float32Array([-1, 0, 1, 0.5, 2, -2]);
 * </script>
 * ```
 *
 * @fires glass-hover - the cell under the pointer changed; detail {@link WeightsPointDetail}.
 * @fires glass-select - a cell was clicked; detail {@link WeightsPointDetail}.
 * @csspart frame - the focusable area holding the canvas.
 * @csspart canvas - the WebGL canvas.
 * @csspart stats - the statistics list.
 * @csspart legend - the colormap legend.
 * @csspart readout - the hover read-out.
 * @csspart message - the bad-data / lost-context message.
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text color.
 * @cssprop --glass-error-color - message color.
 */
export class GlassWeights extends GlassElement {
  static override properties: PropertyDeclarations = {
    data: { attribute: false },
    shape: { attribute: false },
    name: { type: String },
    stats: { attribute: false },
    colormap: { type: String },
    range: { attribute: false },
    _hover: { state: true },
  };

  static override styles: CSSResultGroup = unsafeCSS(
    BASE_CSS + `
:host { height: 320px; display: flex; flex-direction: column; }
.frame { flex: 1; min-height: 0; cursor: crosshair; }
.info { display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 4px 6px; align-items: center; }
dl { display: flex; gap: 10px; margin: 0; }
dt { opacity: 0.7; }
dd { margin: 0 0 0 3px; font-variant-numeric: tabular-nums; }
.ramp { display: inline-block; width: 100px; height: 10px; vertical-align: -1px; }
`,
  );

  /**
   * The values, row-major: a Float32Array, or an engine tensor (anything with `shape` and
   * `readFloat32()`), read back once per assignment. Replace it to change the picture.
   */
  declare data: Float32Array | TensorLike | null;
  /** The shape (its product must equal the value count). Default: the tensor's, or `[length]`. */
  declare shape: number[] | null;
  /** The tensor's name (shown and used as the accessible name). */
  declare name: string;
  /** Precomputed statistics; computed on the CPU when null. */
  declare stats: WeightStats | null;
  /** `auto`, `rdbu`, `viridis`, `cividis` or `gray`. */
  declare colormap: 'auto' | ColormapName;
  /** Value range mapped to the colormap's ends; null for automatic. */
  declare range: [number, number] | null;
  declare private _hover: WeightsPointDetail | null;

  #mode: Mode = 'matrix';
  #values: Float32Array | null = null;
  #source: unknown = null;
  #readback: Float32Array | null = null;
  #reading = false;
  #readError = '';
  #image: { width: number; height: number; pixels: Uint8Array; tile?: number[] } | null = null;
  #bars: Float32Array | null = null;
  #barColors: Uint8Array | null = null;
  #barScale = 1;
  #stats: (WeightStats & { nonFinite: number }) | null = null;
  #map: ColormapName = 'rdbu';
  #lo = 0;
  #hi = 1;
  #view: View | null = null;
  #userView = false;
  #dirty = true;
  #gpu: {
    texture: Texture2D | null;
    lut: Texture2D | null;
    lutName: string;
    bars: Buffer;
    colors: Buffer;
    barCommand: DrawCommand;
  } | null = null;
  #drag: Drag | null = null;

  constructor() {
    super();
    this.data = null;
    this.shape = null;
    this.name = '';
    this.stats = null;
    this.colormap = 'auto';
    this.range = null;
    this._hover = null;
  }

  /** How the tensor is drawn: `bars`, `matrix` or `filters`. */
  get mode(): Mode {
    return this.#mode;
  }

  /** The colormap in use and its value range. */
  get scale(): { colormap: ColormapName; min: number; max: number } {
    return { colormap: this.#map, min: this.#lo, max: this.#hi };
  }

  /** The current view (world = texel columns/rows; CSS pixels per texel). */
  get view(): View | null {
    return this.#view;
  }

  /** The statistics shown. */
  get shownStats(): WeightStats | null {
    return this.#stats;
  }

  /** Screen center (CSS pixels) of the element at tensor index `index`, or null. */
  screenOf(index: number[]): [number, number] | null {
    const v = this.#ensureView();
    const shape = this.#shape();
    if (!v || !shape || index.length !== shape.length) return null;
    let wx: number, wy: number;
    if (this.#mode === 'bars') {
      const value = this.#values![index[0]];
      wx = index[0] + 0.5;
      wy = (-value * this.#barScale) / 2;
    } else if (this.#mode === 'filters') {
      const [, , kh, kw] = shape;
      wx = index[1] * (kw + 1) + index[3] + 0.5;
      wy = index[0] * (kh + 1) + index[2] + 0.5;
    } else {
      const cols = shape[shape.length - 1];
      let flat = 0;
      for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + index[d];
      wx = (flat % cols) + 0.5;
      wy = Math.floor(flat / cols) + 0.5;
    }
    const [x, y] = vec2d.transformMat3([wx, wy], screenFromWorld(v, this.#viewSize()));
    return [x, y];
  }

  // The values to draw: the array itself, or the tensor's read-back once it has arrived.
  #read(): Float32Array | null {
    const d = this.data;
    if (!isTensorLike(d)) {
      this.#source = d;
      this.#reading = false;
      this.#readError = '';
      return d;
    }
    if (this.#source !== d) {
      this.#source = d;
      this.#readback = null;
      this.#reading = true;
      this.#readError = '';
      d.readFloat32().then((values) => {
        if (this.#source !== d) return;
        this.#readback = values;
        this.#reading = false;
        this.requestUpdate('data');
      }, (e: Error) => {
        if (this.#source !== d) return;
        this.#reading = false;
        this.#readError = `Cannot read the tensor back: ${e.message}`;
        this.requestUpdate('data');
      });
    }
    return this.#readback;
  }

  #shape(): number[] | null {
    const d = this.data;
    if (this.shape) return this.shape;
    if (isTensorLike(d)) return [...d.shape];
    return this.#values ? [this.#values.length] : null;
  }

  #validate(): string {
    const d = this.#values as unknown;
    if (this.#reading) return '';
    if (this.#readError) return this.#readError;
    if (!d) return '';
    if (!(d instanceof Float32Array || d instanceof Float64Array)) {
      return 'data must be a Float32Array.';
    }
    if (d.length === 0) return 'The tensor is empty.';
    const shape = this.#shape()!;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s > 0)) {
      return `shape [${shape}] must hold positive integers.`;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== d.length) {
      return `shape [${shape.join(', ')}] holds ${size} values but data has ${d.length}.`;
    }
    if (this.range && !(this.range[1] > this.range[0])) {
      return `range [${this.range}] must be increasing.`;
    }
    return '';
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (!['data', 'shape', 'stats', 'colormap', 'range'].some((k) => changed.has(k))) return;
    this.#values = this.#read();
    const message = this.#validate();
    const d = message ? null : this.#values;
    this.#image = null;
    this.#bars = null;
    this.#dirty = true;
    if (changed.has('data') || changed.has('shape')) {
      this.#view = null;
      this.#userView = false;
    }
    if (!d) {
      this._message = message;
      this.#stats = null;
      return;
    }
    const stats = weightStats(d);
    this.#stats = this.stats ? { ...this.stats, nonFinite: stats.nonFinite } : stats;
    this._message = stats.nonFinite
      ? `${stats.nonFinite} value${stats.nonFinite > 1 ? 's are' : ' is'} not finite (NaN or ` +
        `±Infinity); ${stats.nonFinite > 1 ? 'they are' : 'it is'} left blank.`
      : '';
    const lo = stats.nonFinite === d.length ? 0 : stats.min;
    const hi = stats.nonFinite === d.length ? 1 : stats.max;
    this.#map = isColormap(this.colormap) ? this.colormap : lo < 0 && hi > 0 ? 'rdbu' : 'viridis';
    if (this.range) [this.#lo, this.#hi] = this.range;
    else if (this.#map === 'rdbu') {
      const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      [this.#lo, this.#hi] = [-m, m];
    } else [this.#lo, this.#hi] = hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
    const shape = this.#shape()!;
    if (shape.length === 1) this.#buildBars(d);
    else if (shape.length === 4) this.#buildFilters(d, shape);
    else this.#buildMatrix(d, shape);
  }

  #index(v: number): number {
    return colormapIndex((v - this.#lo) / (this.#hi - this.#lo));
  }

  #buildMatrix(d: Float32Array, shape: number[]): void {
    this.#mode = 'matrix';
    const width = shape[shape.length - 1];
    const height = d.length / width;
    const pixels = new Uint8Array(width * height * 4);
    const lo = this.#lo, k = 255 / (this.#hi - this.#lo);
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v === v && v !== Infinity && v !== -Infinity) {
        const t = (v - lo) * k;
        pixels[4 * i] = t <= 0 ? 0 : t >= 255 ? 255 : Math.round(t);
        pixels[4 * i + 3] = 255;
      }
    }
    this.#image = { width, height, pixels };
  }

  #buildFilters(d: Float32Array, shape: number[]): void {
    this.#mode = 'filters';
    const [o, c, kh, kw] = shape;
    const width = c * (kw + 1) - 1;
    const height = o * (kh + 1) - 1;
    const pixels = new Uint8Array(width * height * 4);
    for (let a = 0; a < o; a++) {
      for (let b = 0; b < c; b++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) {
            const v = d[((a * c + b) * kh + y) * kw + x];
            if (!Number.isFinite(v)) continue;
            const p = ((a * (kh + 1) + y) * width + b * (kw + 1) + x) * 4;
            pixels[p] = this.#index(v);
            pixels[p + 3] = 255;
          }
        }
      }
    }
    this.#image = { width, height, pixels, tile: [kh, kw] };
  }

  #buildBars(d: Float32Array): void {
    this.#mode = 'bars';
    const n = d.length;
    const s = this.#stats!;
    // World units per value unit: the value range spans half the bar count (a 2:1 box).
    this.#barScale = (n / 2) / ((Math.max(0, s.max) - Math.min(0, s.min)) || 1);
    const pos = new Float32Array(n * 12);
    const col = new Uint8Array(n * 24);
    const rgb: [number, number, number] = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const v = Number.isFinite(d[i]) ? d[i] : 0;
      const h = v * this.#barScale;
      const x0 = i + 0.1, x1 = i + 0.9;
      // y is up in value space; the view flips it (world y = −value · barScale).
      pos.set([x0, 0, x1, 0, x0, h, x0, h, x1, 0, x1, h], i * 12);
      colormap(this.#map, (v - this.#lo) / (this.#hi - this.#lo), rgb);
      for (let k = 0; k < 6; k++) col.set([rgb[0], rgb[1], rgb[2], 255], i * 24 + k * 4);
    }
    this.#bars = pos;
    this.#barColors = col;
  }

  #box(): [number, number, number, number] | null {
    if (this.#image) return [0, 0, this.#image.width, this.#image.height];
    if (this.#bars && this.#values) {
      const s = this.#stats!;
      const hi = Math.max(0, s.max), lo = Math.min(0, s.min);
      return [0, -(hi || 1) * this.#barScale, this.#values.length, -lo * this.#barScale];
    }
    return null;
  }

  #viewSize(): ViewSize {
    return { width: this.width, height: this.height };
  }

  #ensureView(): View | null {
    if (!this.#view && this.width > 0) {
      const box = this.#box();
      if (!box) return null;
      this.#view = fitView(box, this.width, this.height, 8);
    }
    return this.#view;
  }

  protected override glCreated(regl: Regl): void {
    this.#dirty = true;
    this.#gpu = {
      texture: null,
      lut: null,
      lutName: '',
      bars: regl.buffer({ usage: 'static', type: 'float', length: 4 }),
      colors: regl.buffer({ usage: 'static', type: 'uint8', length: 4 }),
      barCommand: regl({
        vert: BAR_VERT,
        frag: BAR_FRAG,
        attributes: {
          position: () => this.#gpu!.bars,
          color: () => ({ buffer: this.#gpu!.colors, normalized: true, size: 4 }),
        },
        uniforms: { view: regl.prop<{ view: Float32Array }, 'view'>('view') },
        count: regl.prop<{ count: number }, 'count'>('count'),
        depth: { enable: false },
      }),
    };
  }

  protected override glSync(regl: Regl): void {
    const gpu = this.#gpu;
    if (!gpu || !this.#dirty) return;
    this.#dirty = false;
    if (gpu.lutName !== this.#map) {
      gpu.lut?.destroy();
      gpu.lut = lutTexture(regl, this.#map);
      gpu.lutName = this.#map;
    }
    const img = this.#image;
    if (img) {
      const max = regl.limits.maxTextureSize;
      if (img.width > max || img.height > max) {
        this._message = `The ${img.height}×${img.width} picture exceeds this GPU's ` +
          `${max}×${max} texture limit.`;
        return;
      }
      gpu.texture?.destroy();
      gpu.texture = rgbaTexture(regl, img.width, img.height, img.pixels);
    }
    if (this.#bars && this.#barColors) {
      gpu.bars({ data: this.#bars });
      gpu.colors({ data: this.#barColors });
    }
  }

  protected override glReleased(): void {
    this.#gpu = null;
  }

  protected override resized(): void {
    if (!this.#userView) this.#view = null;
  }

  protected override draw(regl: Regl): void {
    const bg = hostBackground(this).map((x) => x / 255) as [number, number, number, number];
    regl.clear({ color: bg, depth: 1 });
    const v = this.#ensureView();
    const gpu = this.#gpu;
    if (!v || !gpu || !this.#values) return;
    const dpr = globalThis.devicePixelRatio || 1;
    if (this.#mode === 'bars' && this.#bars) {
      // The bars hold (x, value · barScale), y up; the view's world is (x, −value · barScale).
      gpu.barCommand({
        view: glslMat3(clipFromWorld(v, this.#viewSize(), { yUp: true })),
        count: this.#bars.length / 2,
      });
      return;
    }
    const img = this.#image;
    if (!img || !gpu.texture || !gpu.lut) return;
    // Intersect the picture with the canvas; show the matching part of the texture.
    const toScreen = screenFromWorld(v, this.#viewSize());
    const [left, top] = vec2d.transformMat3([0, 0], toScreen);
    const [right, bottom] = vec2d.transformMat3([img.width, img.height], toScreen);
    const x0 = Math.max(0, left), y0 = Math.max(0, top);
    const x1 = Math.min(this.width, right), y1 = Math.min(this.height, bottom);
    if (x1 <= x0 || y1 <= y0) return;
    const u0 = (x0 - left) / (right - left), u1 = (x1 - left) / (right - left);
    const v0 = (y0 - top) / (bottom - top), v1 = (y1 - top) / (bottom - top);
    heatmapCommand(regl)({
      rect: [x0 * dpr, y0 * dpr, (x1 - x0) * dpr, (y1 - y0) * dpr],
      values: gpu.texture,
      valueRect: [u0, v0, u1 - u0, v1 - v0],
      lut: gpu.lut,
      background: bg,
    });
  }

  #at(sx: number, sy: number): WeightsPointDetail {
    const v = this.#ensureView();
    const shape = this.#shape();
    const d = this.#values;
    if (!v || !shape || !d || this._message && !this.#stats) return { index: null };
    const [wx, wy] = vec2d.transformMat3([sx, sy], worldFromScreen(v, this.#viewSize()));
    const col = Math.floor(wx), row = Math.floor(wy);
    if (this.#mode === 'bars') {
      if (col < 0 || col >= d.length) return { index: null };
      return { index: [col], value: d[col] };
    }
    const img = this.#image!;
    if (col < 0 || row < 0 || col >= img.width || row >= img.height) return { index: null };
    if (this.#mode === 'filters') {
      const [, c, kh, kw] = shape;
      const a = Math.floor(row / (kh + 1)), y = row % (kh + 1);
      const b = Math.floor(col / (kw + 1)), x = col % (kw + 1);
      if (y === kh || x === kw) return { index: null };
      return { index: [a, b, y, x], value: d[((a * c + b) * kh + y) * kw + x] };
    }
    let flat = row * img.width + col;
    const index = new Array<number>(shape.length);
    for (let k = shape.length - 1; k >= 0; k--) {
      index[k] = flat % shape[k];
      flat = Math.floor(flat / shape[k]);
    }
    return { index, value: d[row * img.width + col] };
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
        this.requestDraw();
        return;
      }
    }
    const at = this.#at(x, y);
    const prev = this._hover;
    if (String(at.index) !== String(prev?.index ?? null)) {
      this._hover = at.index ? at : null;
      emit(this, 'glass-hover', at);
    }
  };

  #onPointerUp = (e: PointerEvent) => {
    const d = this.#drag;
    this.#drag = null;
    if (!d || d.moved) return;
    const [x, y] = this.#local(e);
    emit(this, 'glass-select', this.#at(x, y));
  };

  #onWheel = (e: WheelEvent) => {
    const v = this.#ensureView();
    if (!v) return;
    e.preventDefault();
    const [x, y] = this.#local(e);
    this.#userView = true;
    this.#view = zoomAt(v, Math.exp(-e.deltaY * 0.002), x, y, this.width, this.height);
    this.requestDraw();
  };

  #onKey = (e: KeyboardEvent) => {
    const v = this.#ensureView();
    if (!v) return;
    const next = keyView(e.key, v, this.width, this.height);
    if (!next) return;
    e.preventDefault();
    this.#userView = next !== 'fit';
    this.#view = next === 'fit' ? null : next;
    this.requestDraw();
  };

  #summary(): string {
    const s = this.#stats;
    const shape = this.#shape();
    if (!s || !shape) return this._message || 'No tensor.';
    const what = { bars: 'bars', matrix: 'heatmap', filters: 'filter grid' }[this.#mode];
    return `${this.name || 'Tensor'} [${shape.join('×')}] as a ${what}: min ${fmt(s.min)}, ` +
      `max ${fmt(s.max)}, mean ${fmt(s.mean)}, std ${fmt(s.std)}; colormap ${this.#map} from ` +
      `${fmt(this.#lo)} to ${fmt(this.#hi)}.${this._message ? ` ${this._message}` : ''}`;
  }

  override render(): TemplateResult {
    const s = this.#stats;
    const h = this._hover;
    const shape = this.#shape();
    return html`
      <div class="frame" part="frame" tabindex="0" role="img"
        aria-label=${this.name || 'Weight tensor'} aria-describedby="summary"
        @pointerdown=${this.#onPointerDown} @pointermove=${this.#onPointerMove}
        @pointerup=${this.#onPointerUp} @wheel=${this.#onWheel} @keydown=${this.#onKey}
        @pointerleave=${() => (this._hover = null)}>
        <canvas part="canvas"></canvas>
        <div class="message" part="message" role="alert" ?hidden=${!this.message}>${this
          .message}</div>
      </div>
      <div class="info">
        ${this.name ? html`<b>${this.name}</b>` : ''}
        ${shape && s ? html`<span>[${shape.join('×')}]</span>` : ''}
        ${s
          ? html`
            <dl part="stats">
              <div>
                <dt>min</dt>
                <dd>${fmt(s.min)}</dd>
              </div>
              <div>
                <dt>max</dt>
                <dd>${fmt(s.max)}</dd>
              </div>
              <div>
                <dt>mean</dt>
                <dd>${fmt(s.mean)}</dd>
              </div>
              <div>
                <dt>std</dt>
                <dd>${fmt(s.std)}</dd>
              </div>
            </dl>
            <span part="legend">${fmt(this.#lo)} <span class="ramp"
                          style="background:${colormapGradient(this.#map)}"></span> ${fmt(
                            this.#hi,
                          )}</span>
          `
          : ''}
        <span part="readout" aria-live="off">${h?.index
          ? `[${h.index.join(', ')}] = ${fmt(h.value!)}`
          : ''}</span>
      </div>
      <p class="summary" id="summary" aria-live="polite">${this.#summary()}</p>
    `;
  }
}

customElements.get('glass-weights') ?? customElements.define('glass-weights', GlassWeights);
