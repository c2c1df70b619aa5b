/**
 * `<glass-histogram>`: a histogram (counts and bin edges) as SVG bars, linear or log scale, with
 * a hover and keyboard read-out of each bin.
 *
 * @module
 */

import {
  type CSSResultGroup,
  html,
  type PropertyDeclarations,
  svg,
  type TemplateResult,
  unsafeCSS,
} from 'lit';
import { GlassElement } from './shared/glass_element.ts';
import { BASE_CSS, compact, emit, fmt } from './view_helpers.ts';

/** Detail of `glass-hover` / `glass-select`: a bin, or `bin: -1` when none. */
export interface HistogramBinDetail {
  bin: number;
  from?: number;
  to?: number;
  count?: number;
}

const PAD = { left: 40, right: 8, top: 8, bottom: 22 };

/**
 * A histogram. Set `counts` (N bins) and `edges` (N + 1 increasing bin edges), e.g. from
 * `tensorStats()`'s histogram. `log` draws log10(1 + count). Hover or arrow keys read a bin out;
 * Enter or click fires `glass-select`.
 *
 * @example
 * ```html
 * <glass-histogram log style="height: 160px"></glass-histogram>
 * <script type="module">
 *   import './components/mod.ts';
 *   const el = document.querySelector('glass-histogram');
 *   el.counts = [1, 10, 100, 10];
 *   el.edges = [-2, -1, 0, 1, 2];
 * </script>
 * ```
 *
 * @fires glass-hover - the bin under the pointer (or keyboard focus) changed; detail
 *   {@link HistogramBinDetail}.
 * @fires glass-select - a bin was clicked or Enter pressed; detail {@link HistogramBinDetail}.
 * @csspart plot - the SVG.
 * @csspart bar - each bar (`bar active` for the hovered one).
 * @csspart axis - the axes and tick labels.
 * @csspart readout - the bin read-out.
 * @csspart message - the bad-data message.
 * @cssprop --glass-bar-color - bar fill (default #0072b2).
 * @cssprop --glass-active-color - the hovered bar (default #e6007e).
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text and axis color.
 */
export class GlassHistogram extends GlassElement {
  static override properties: PropertyDeclarations = {
    ...GlassElement.properties,
    counts: { attribute: false },
    edges: { attribute: false },
    log: { type: Boolean },
    label: { type: String },
    _active: { state: true },
    _size: { state: true },
  };

  static override styles: CSSResultGroup = unsafeCSS(
    BASE_CSS + `
:host { height: 180px; }
svg { display: block; width: 100%; height: 100%; outline: none; }
svg:focus-visible { box-shadow: inset 0 0 0 2px var(--glass-accent, #0072b2); }
.bar { fill: var(--glass-bar-color, #0072b2); }
.bar.active { fill: var(--glass-active-color, #e6007e); }
.axis { stroke: currentColor; fill: none; opacity: 0.6; }
text { fill: currentColor; font-size: 10px; }
.readout { position: absolute; top: 4px; right: 8px; font-variant-numeric: tabular-nums; }
`,
  );

  /** Count per bin. */
  declare counts: ArrayLike<number> | null;
  /** Bin edges (counts.length + 1, increasing). */
  declare edges: ArrayLike<number> | null;
  /** Log scale (log10(1 + count)). */
  declare log: boolean;
  /** Accessible name. */
  declare label: string;
  declare private _active: number;
  declare private _size: [number, number];
  #observer: ResizeObserver | null = null;

  constructor() {
    super();
    this.counts = null;
    this.edges = null;
    this.log = false;
    this.label = 'Histogram';
    this._active = -1;
    this._size = [0, 0];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#observer = new ResizeObserver(() => {
      const r = this.getBoundingClientRect();
      if (r.width !== this._size[0] || r.height !== this._size[1]) {
        this._size = [r.width, r.height];
      }
    });
    this.#observer.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#observer?.disconnect();
    this.#observer = null;
  }

  /** The message shown for bad data (empty when the data is fine). */
  override get message(): string {
    const c = this.counts, e = this.edges;
    if (!c && !e) return '';
    if (!c || !e) return 'Set both counts and edges.';
    if (c.length === 0) return 'The histogram is empty (no bins).';
    if (e.length !== c.length + 1) {
      return `edges must have counts.length + 1 = ${c.length + 1} entries; it has ${e.length}.`;
    }
    for (let i = 0; i < c.length; i++) {
      if (!Number.isFinite(c[i]) || c[i] < 0) return `count ${i} is ${c[i]}, not a finite count.`;
    }
    for (let i = 0; i < e.length; i++) {
      if (!Number.isFinite(e[i])) return `edge ${i} is ${e[i]}, not finite.`;
      if (i && !(e[i] > e[i - 1])) return `edges must increase; edge ${i} is ${e[i]}.`;
    }
    return '';
  }

  #detail(i: number): HistogramBinDetail {
    if (i < 0 || !this.counts || !this.edges) return { bin: -1 };
    return { bin: i, from: this.edges[i], to: this.edges[i + 1], count: this.counts[i] };
  }

  #setActive(i: number): void {
    if (i === this._active) return;
    this._active = i;
    emit(this, 'glass-hover', this.#detail(i));
  }

  #binAt(e: MouseEvent): number {
    const c = this.counts, ed = this.edges;
    if (!c || !ed || this.message) return -1;
    const r = (e.currentTarget as Element).getBoundingClientRect();
    const x = e.clientX - r.left;
    const [w] = this._size;
    const x0 = ed[0], x1 = ed[ed.length - 1];
    const v = x0 + ((x - PAD.left) / (w - PAD.left - PAD.right)) * (x1 - x0);
    if (v < x0 || v > x1) return -1;
    let lo = 0, hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ed[mid] <= v) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  #onKey = (e: KeyboardEvent) => {
    const n = this.counts?.length ?? 0;
    if (!n || this.message) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const step = e.key === 'ArrowRight' ? 1 : -1;
      this.#setActive(Math.min(n - 1, Math.max(0, this._active + step)));
    } else if (e.key === 'Home') this.#setActive(0);
    else if (e.key === 'End') this.#setActive(n - 1);
    else if (e.key === 'Enter' && this._active >= 0) {
      emit(this, 'glass-select', this.#detail(this._active));
    }
  };

  #summary(): string {
    const m = this.message;
    if (m) return m;
    const c = this.counts, e = this.edges;
    if (!c || !e) return 'No histogram.';
    let total = 0, peak = 0;
    for (let i = 0; i < c.length; i++) {
      total += c[i];
      if (c[i] > c[peak]) peak = i;
    }
    return `${this.label}: ${c.length} bins from ${fmt(e[0])} to ${fmt(e[e.length - 1])}, ` +
      `${compact(total)} values; the fullest bin is [${fmt(e[peak])}, ${fmt(e[peak + 1])}) ` +
      `with ${compact(c[peak])}${this.log ? '; log scale' : ''}.`;
  }

  override render(): TemplateResult {
    const m = this.message;
    const [w, h] = this._size;
    const c = this.counts, e = this.edges;
    let plot = svg``;
    if (!m && c && e && w > 0 && h > 0) {
      const f = (v: number) => (this.log ? Math.log10(1 + v) : v);
      let max = 0;
      for (let i = 0; i < c.length; i++) max = Math.max(max, f(c[i]));
      max ||= 1;
      const x0 = e[0], x1 = e[e.length - 1];
      const pw = w - PAD.left - PAD.right, ph = h - PAD.top - PAD.bottom;
      const X = (v: number) => PAD.left + ((v - x0) / (x1 - x0)) * pw;
      const Y = (v: number) => PAD.top + ph - (f(v) / max) * ph;
      const bars = Array.from({ length: c.length }, (_, i) => {
        const y = Y(c[i]);
        return svg`
          <rect part=${i === this._active ? 'bar active' : 'bar'}
            class=${i === this._active ? 'bar active' : 'bar'} data-bin=${i}
            x=${X(e[i])} y=${y} width=${Math.max(0.5, X(e[i + 1]) - X(e[i]))}
            height=${PAD.top + ph - y}></rect>
        `;
      });
      const top = this.log ? Math.pow(10, max) - 1 : max;
      plot = svg`${bars}
        <g part="axis">
          <path class="axis" d="M${PAD.left},${PAD.top} V${PAD.top + ph} H${PAD.left + pw}"></path>
          <text x=${PAD.left - 4} y=${PAD.top + 8} text-anchor="end">${compact(top)}</text>
          <text x=${PAD.left - 4} y=${PAD.top + ph} text-anchor="end">0</text>
          <text x=${PAD.left} y=${h - 6} text-anchor="start">${fmt(x0)}</text>
          <text x=${PAD.left + pw} y=${h - 6} text-anchor="end">${fmt(x1)}</text>
          ${this.log ? svg`<text x=${PAD.left + 4} y=${PAD.top + 8}>log</text>` : ''}
        </g>`;
    }
    const a = this.#detail(this._active);
    return html`
      <svg part="plot" tabindex="0" role="img" aria-label=${this.label}
        aria-describedby="summary" viewBox="0 0 ${Math.max(1, w)} ${Math.max(1, h)}"
        @pointermove=${(ev: PointerEvent) => this.#setActive(this.#binAt(ev))}
        @pointerleave=${() => this.#setActive(-1)}
        @click=${(ev: MouseEvent) => {
          const i = this.#binAt(ev);
          if (i >= 0) emit(this, 'glass-select', this.#detail(i));
        }}
        @keydown=${this.#onKey}>${plot}</svg>
      <span class="readout" part="readout" aria-live="polite">${a.bin >= 0
        ? `[${fmt(a.from!)}, ${fmt(a.to!)}): ${compact(a.count!)}`
        : ''}</span>
      <div class="message" part="message" role="alert" ?hidden=${!m}>${m}</div>
      <p class="summary" id="summary">${this.#summary()}</p>
    `;
  }
}

customElements.get('glass-histogram') ?? customElements.define('glass-histogram', GlassHistogram);
