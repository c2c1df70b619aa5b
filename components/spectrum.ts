/**
 * `<glass-spectrum>`: singular values of a weight matrix (descending) as an SVG line on a log
 * (or linear) scale, annotated with the stable rank and the effective rank.
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
import { BASE_CSS, emit, fmt } from './view_helpers.ts';

/** Stable rank ‖W‖F² / ‖W‖2² = Σσ² / σ₁², and effective rank exp(H(σ / Σσ)) (Roy & Vetterli). */
export function ranks(sorted: ArrayLike<number>): { stable: number; effective: number } {
  let sum = 0, sq = 0;
  for (let i = 0; i < sorted.length; i++) {
    sum += sorted[i];
    sq += sorted[i] * sorted[i];
  }
  const top = sorted[0] ?? 0;
  if (!(sum > 0)) return { stable: 0, effective: 0 };
  let h = 0;
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i] / sum;
    if (p > 0) h -= p * Math.log(p);
  }
  return { stable: sq / (top * top), effective: Math.exp(h) };
}

const PAD = { left: 44, right: 10, top: 10, bottom: 22 };

/**
 * Singular values. Set `values` (any order; drawn descending). `log` (default on) uses a log10
 * axis; zeros sit on the floor of the axis. Dashed markers show the stable and effective ranks.
 * Hover or arrow keys read a value out.
 *
 * @example
 * ```html
 * <glass-spectrum style="height: 180px"></glass-spectrum>
 * <script type="module">
 *   import './components/mod.ts';
 *   document.querySelector('glass-spectrum').values = new Float32Array([10, 5, 1, 0.1]);
 * </script>
 * ```
 *
 * @fires glass-hover - the singular value under the pointer changed; detail `{index, value}`
 *   (index −1 for none).
 * @csspart plot - the SVG.
 * @csspart line - the spectrum line.
 * @csspart stable-rank - the stable-rank marker.
 * @csspart effective-rank - the effective-rank marker.
 * @csspart axis - the axes and tick labels.
 * @csspart readout - the read-out.
 * @csspart message - the bad-data message.
 * @cssprop --glass-line-color - the spectrum (default #0072b2).
 * @cssprop --glass-stable-color - the stable-rank marker (default #d55e00).
 * @cssprop --glass-effective-color - the effective-rank marker (default #009e73).
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text and axis color.
 */
export class GlassSpectrum extends GlassElement {
  static override properties: PropertyDeclarations = {
    ...GlassElement.properties,
    values: { attribute: false },
    log: { type: Boolean },
    label: { type: String },
    _active: { state: true },
    _size: { state: true },
  };

  static override styles: CSSResultGroup = unsafeCSS(
    BASE_CSS + `
:host { height: 200px; }
svg { display: block; width: 100%; height: 100%; outline: none; }
svg:focus-visible { box-shadow: inset 0 0 0 2px var(--glass-accent, #0072b2); }
.line { fill: none; stroke: var(--glass-line-color, #0072b2); stroke-width: 1.5; }
.dot { fill: var(--glass-line-color, #0072b2); }
.stable { stroke: var(--glass-stable-color, #d55e00); stroke-dasharray: 4 3; }
.effective { stroke: var(--glass-effective-color, #009e73); stroke-dasharray: 2 3; }
.axis { stroke: currentColor; fill: none; opacity: 0.6; }
text { fill: currentColor; font-size: 10px; }
.readout { position: absolute; top: 4px; right: 8px; font-variant-numeric: tabular-nums; }
`,
  );

  /** Singular values (non-negative). */
  declare values: ArrayLike<number> | null;
  /** Log10 y axis (default true). */
  declare log: boolean;
  /** Accessible name. */
  declare label: string;
  declare private _active: number;
  declare private _size: [number, number];
  #sorted: Float64Array = new Float64Array(0);
  #ranks = { stable: 0, effective: 0 };
  #observer: ResizeObserver | null = null;

  constructor() {
    super();
    this.values = null;
    this.log = true;
    this.label = 'Singular value spectrum';
    this._active = -1;
    this._size = [0, 0];
  }

  /** The stable and effective ranks of the values shown. */
  get ranks(): { stable: number; effective: number } {
    return this.#ranks;
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

  /** The message shown for bad data (empty when fine). */
  override get message(): string {
    const v = this.values;
    if (!v) return '';
    if (v.length === 0) return 'No singular values (the array is empty).';
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) return `singular value ${i} is ${v[i]}, not finite.`;
      if (v[i] < 0) return `singular value ${i} is ${v[i]}; singular values are ≥ 0.`;
    }
    return '';
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (!changed.has('values')) return;
    const v = this.values;
    this.#sorted = !v || this.message ? new Float64Array(0) : Float64Array.from(v).sort().reverse();
    this.#ranks = ranks(this.#sorted);
    this._active = -1;
  }

  #geometry() {
    const [w, h] = this._size;
    const s = this.#sorted;
    const n = s.length;
    const pw = w - PAD.left - PAD.right, ph = h - PAD.top - PAD.bottom;
    const top = s[0] || 1;
    let floor = top;
    for (let i = 0; i < n; i++) if (s[i] > 0) floor = Math.min(floor, s[i]);
    const lo = this.log ? Math.log10(floor) - (floor === top ? 1 : 0) : 0;
    const hi = this.log ? Math.log10(top) : top;
    const f = (v: number) => (this.log ? (v > 0 ? Math.log10(v) : lo) : v);
    const X = (i: number) => PAD.left + (n > 1 ? (i / (n - 1)) * pw : pw / 2);
    const Y = (v: number) => PAD.top + ph - ((f(v) - lo) / (hi - lo || 1)) * ph;
    // Ranks are 1-based counts; index = rank − 1 on the x axis.
    const XR = (r: number) => X(Math.max(0, r - 1));
    return { w, h, n, pw, ph, X, Y, XR, lo, hi };
  }

  #setActive(i: number): void {
    if (i === this._active) return;
    this._active = i;
    emit(this, 'glass-hover', { index: i, value: i >= 0 ? this.#sorted[i] : undefined });
  }

  #onMove = (e: PointerEvent) => {
    const g = this.#geometry();
    if (!g.n) return;
    const r = (e.currentTarget as Element).getBoundingClientRect();
    const t = (e.clientX - r.left - PAD.left) / g.pw;
    const i = Math.round(t * (g.n - 1));
    this.#setActive(i >= 0 && i < g.n ? i : -1);
  };

  #onKey = (e: KeyboardEvent) => {
    const n = this.#sorted.length;
    if (!n) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const step = e.key === 'ArrowRight' ? 1 : -1;
      this.#setActive(Math.min(n - 1, Math.max(0, this._active + step)));
    }
  };

  #summary(): string {
    if (this.message) return this.message;
    const s = this.#sorted;
    if (!s.length) return 'No spectrum.';
    return `${this.label}: ${s.length} singular values from ${fmt(s[0])} down to ` +
      `${fmt(s[s.length - 1])}; stable rank ${this.#ranks.stable.toFixed(2)}, effective rank ` +
      `${this.#ranks.effective.toFixed(2)}.`;
  }

  override render(): TemplateResult {
    const m = this.message;
    const g = this.#geometry();
    const s = this.#sorted;
    let plot = svg``;
    if (!m && g.n && g.w > 0 && g.h > 0) {
      const pts = Array.from(s, (v, i) => `${g.X(i).toFixed(2)},${g.Y(v).toFixed(2)}`).join(' ');
      const { stable, effective } = this.#ranks;
      const yTop = PAD.top, yBottom = PAD.top + g.ph;
      const tick = (v: number) => (this.log ? fmt(Math.pow(10, v)) : fmt(v));
      plot = svg`
        <g part="axis">
          <path class="axis" d="M${PAD.left},${yTop} V${yBottom} H${PAD.left + g.pw}"></path>
          <text x=${PAD.left - 4} y=${yTop + 8} text-anchor="end">${tick(g.hi)}</text>
          <text x=${PAD.left - 4} y=${yBottom} text-anchor="end">${tick(g.lo)}</text>
          <text x=${PAD.left} y=${g.h - 6}>1</text>
          <text x=${PAD.left + g.pw} y=${g.h - 6} text-anchor="end">${g.n}</text>
        </g>
        <line part="stable-rank" class="stable" x1=${g.XR(stable)} x2=${g.XR(stable)}
          y1=${yTop} y2=${yBottom}></line>
        <text x=${g.XR(stable) + 3} y=${yTop + 18}>stable ${stable.toFixed(1)}</text>
        <line part="effective-rank" class="effective" x1=${g.XR(effective)}
          x2=${g.XR(effective)} y1=${yTop} y2=${yBottom}></line>
        <text x=${g.XR(effective) + 3} y=${yTop + 30}>effective ${effective.toFixed(1)}</text>
        <polyline part="line" class="line" points=${pts}></polyline>
        ${this._active >= 0
          ? svg`
            <circle class="dot" cx=${g.X(this._active)} cy=${g.Y(s[this._active])} r="3"></circle>
          `
          : ''}
      `;
    }
    return html`
      <svg part="plot" tabindex="0" role="img" aria-label=${this.label}
        aria-describedby="summary" viewBox="0 0 ${Math.max(1, g.w)} ${Math.max(1, g.h)}"
        @pointermove=${this.#onMove} @pointerleave=${() => this.#setActive(-1)}
        @keydown=${this.#onKey}>${plot}</svg>
      <span class="readout" part="readout" aria-live="polite">${this._active >= 0
        ? `σ${this._active + 1} = ${fmt(s[this._active])}`
        : ''}</span>
      <div class="message" part="message" role="alert" ?hidden=${!m}>${m}</div>
      <p class="summary" id="summary">${this.#summary()}</p>
    `;
  }
}

customElements.get('glass-spectrum') ?? customElements.define('glass-spectrum', GlassSpectrum);
