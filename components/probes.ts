/**
 * `<glass-probes>`: what each layer of a model knows about a task it was not trained for — the
 * held-out accuracy of a linear probe per layer (`probeLayers()`, src/global/probe.ts) with its
 * controls, as an SVG chart.
 *
 * @example
 * ```html
 * <glass-probes></glass-probes>
 * <script type="module">
 *   import './components/probes.ts';
 *   document.querySelector('glass-probes').report = await probeLayers(model, data, labels, opts);
 * </script>
 * ```
 *
 * @module
 */

import {
  html,
  nothing,
  type PropertyDeclarations,
  svg,
  type SVGTemplateResult,
  type TemplateResult,
} from 'lit';
import type { LayerProbe, ProbeReport } from '../src/global/probe.ts';
import { GlassElement } from './shared/glass_element.ts';

/** Detail of `glass-hover` and `glass-select`: one layer's figures. */
export interface ProbesLayerDetail extends LayerProbe {
  /** Position of the layer in `report.layers`. */
  index: number;
  /** Majority-class accuracy of the task on the test split. */
  majority: number;
}

/** Main chart: accuracy in [0, 1]. */
const CHART = { height: 200, left: 44, right: 12, top: 10, bottom: 22 };
/** Second panel: selectivity bars. */
const SEL = { height: 110, top: 18, bottom: 24 };

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const points = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)} pts`;

/**
 * Charts a `ProbeReport`: held-out probe accuracy per layer (x = the layers in order, y =
 * accuracy from 0 to 1) as a line with points, with the controls as their own series — the
 * same probe on a randomly initialized copy of the model (`randomModelAccuracy`, where
 * measured) and on the control task (`controlAccuracy`: random labels per model class, Hewitt &
 * Liang) — and the majority-class accuracy as a horizontal rule. A second panel draws the
 * selectivity (accuracy − control accuracy) as bars around 0. Hover, or the arrow keys, read a
 * layer out; click or Enter selects it. The report is replaced, not mutated.
 *
 * @fires glass-hover - the layer under the pointer or keyboard cursor changed; `detail`:
 *   {@linkcode ProbesLayerDetail}, or null when none.
 * @fires glass-select - a layer was clicked or Enter pressed; `detail`:
 *   {@linkcode ProbesLayerDetail}.
 * @csspart plot - the SVG (both panels).
 * @csspart accuracy - the task probe's line and points (`point accuracy` for a point).
 * @csspart control - the control-task line and points.
 * @csspart random - the random-model line and points.
 * @csspart baseline - the majority-class rule.
 * @csspart selectivity - a selectivity bar (`selectivity active` for the hovered layer).
 * @csspart guide - the vertical line at the hovered layer.
 * @csspart axis - axes, ticks and their labels.
 * @csspart legend - the key of the series.
 * @csspart readout - the read-out of the hovered layer.
 * @csspart message - shown instead of the chart when the report cannot be drawn.
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text color.
 * @cssprop --glass-muted - axes and secondary text.
 * @cssprop --glass-accent - focus ring and the hover guide.
 * @cssprop --glass-probe-color - the task probe's accuracy (default #0072b2).
 * @cssprop --glass-control-color - the control-task accuracy (default #d55e00).
 * @cssprop --glass-random-color - the random-model accuracy (default #009e73).
 * @cssprop --glass-baseline-color - the majority rule (default: the muted color).
 * @cssprop --glass-selectivity-color - the selectivity bars (default #cc79a7).
 */
export class GlassProbes extends GlassElement {
  static override properties: PropertyDeclarations = {
    ...GlassElement.properties,
    report: { attribute: false },
    label: {},
  };

  /** The probe report (`probeLayers()`'s result, or `glassbox probe --json` parsed). */
  declare report: ProbeReport | null;
  /** Accessible name; default "Probe accuracy by layer". */
  declare label: string;

  #width = 0;
  #observer: ResizeObserver | null = null;
  #frame = 0;
  #active = -1;
  #error: string | null = null;

  constructor() {
    super();
    this.report = null;
    this.label = 'Probe accuracy by layer';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#width = this.clientWidth;
    if (typeof ResizeObserver === 'undefined') return;
    this.#observer = new ResizeObserver((entries) => {
      const w = entries[entries.length - 1].contentRect.width;
      if (Math.abs(w - this.#width) < 0.5) return;
      this.#width = w;
      cancelAnimationFrame(this.#frame);
      this.#frame = requestAnimationFrame(() => this.requestUpdate());
    });
    this.#observer.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#observer?.disconnect();
    this.#observer = null;
    cancelAnimationFrame(this.#frame);
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('report')) {
      this.#active = -1;
      this.#error = this.#check();
    }
  }

  #check(): string | null {
    const r = this.report;
    if (!r) return 'No probe report given';
    if (typeof r !== 'object') return 'Cannot draw the probes: expected a report object';
    if (!Array.isArray(r.layers) || r.layers.length === 0) {
      return 'Cannot draw the probes: the report has no layers';
    }
    const t = r.task;
    if (!t || !(t.majority >= 0 && t.majority <= 1)) {
      return `Cannot draw the probes: the majority accuracy is ${t?.majority}, not in [0, 1]`;
    }
    if (Array.isArray(t.counts) && t.counts.length !== t.classes) {
      return `Cannot draw the probes: ${t.counts.length} class counts for ${t.classes} task ` +
        'classes';
    }
    for (const [i, l] of r.layers.entries()) {
      const what = `Cannot draw the probes: layer ${i} (${l?.layer})`;
      if (!l || typeof l !== 'object') return `Cannot draw the probes: layer ${i} is missing`;
      for (const k of ['accuracy', 'controlAccuracy'] as const) {
        if (!(l[k] >= 0 && l[k] <= 1)) return `${what} has ${k} ${l[k]}, not in [0, 1]`;
      }
      if (!Number.isFinite(l.selectivity)) return `${what} has selectivity ${l.selectivity}`;
      const rm = l.randomModelAccuracy;
      if (rm !== undefined && rm !== null && !(rm >= 0 && rm <= 1)) {
        return `${what} has randomModelAccuracy ${rm}, not in [0, 1]`;
      }
    }
    return null;
  }

  /** The x (CSS px) of layer `i`'s centre in the chart. */
  layerX(i: number): number {
    const n = this.report?.layers.length ?? 1;
    const pw = Math.max(1, this.#plotWidth() - CHART.left - CHART.right);
    return CHART.left + ((i + 0.5) * pw) / n;
  }

  /** The y (CSS px) of accuracy `a` in the chart. */
  accuracyY(a: number): number {
    const ph = CHART.height - CHART.top - CHART.bottom;
    return CHART.top + (1 - a) * ph;
  }

  #plotWidth(): number {
    return Math.max(120, this.#width || this.clientWidth || 300);
  }

  /** The layer at chart x (CSS px), or -1 outside the plot. */
  layerAt(x: number): number {
    const n = this.report?.layers.length ?? 0;
    if (!n || this.#error) return -1;
    const pw = this.#plotWidth() - CHART.left - CHART.right;
    const i = Math.floor(((x - CHART.left) / pw) * n);
    return i >= 0 && i < n ? i : -1;
  }

  #detail(i: number): ProbesLayerDetail {
    const r = this.report!;
    return { ...r.layers[i], index: i, majority: r.task.majority };
  }

  #setActive(i: number): void {
    if (i === this.#active) return;
    this.#active = i;
    this.requestUpdate();
    this.emit('glass-hover', i < 0 ? null : this.#detail(i));
  }

  #onPointer = (e: PointerEvent) => {
    const r = (e.currentTarget as Element).getBoundingClientRect();
    this.#setActive(this.layerAt(e.clientX - r.left));
  };

  #onClick = (e: MouseEvent) => {
    const r = (e.currentTarget as Element).getBoundingClientRect();
    const i = this.layerAt(e.clientX - r.left);
    if (i >= 0) {
      this.#setActive(i);
      this.emit('glass-select', this.#detail(i));
    }
  };

  #onKey = (e: KeyboardEvent) => {
    const n = this.report?.layers.length ?? 0;
    if (!n || this.#error) return;
    const a = this.#active;
    switch (e.key) {
      case 'ArrowRight':
      case 'ArrowDown':
        this.#setActive(a < 0 ? 0 : Math.min(n - 1, a + 1));
        break;
      case 'ArrowLeft':
      case 'ArrowUp':
        this.#setActive(a < 0 ? 0 : Math.max(0, a - 1));
        break;
      case 'Home':
        this.#setActive(0);
        break;
      case 'End':
        this.#setActive(n - 1);
        break;
      case 'Enter':
      case ' ':
        if (a >= 0) this.emit('glass-select', this.#detail(a));
        break;
      case 'Escape':
        this.#setActive(-1);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  #summary(r: ProbeReport): string {
    const layers = r.layers;
    let best = 0;
    for (let i = 1; i < layers.length; i++) {
      if (layers[i].accuracy > layers[best].accuracy) best = i;
    }
    const b = layers[best];
    const rm = (l: LayerProbe) =>
      Number.isFinite(l.randomModelAccuracy) ? `, random model ${pct(l.randomModelAccuracy!)}` : '';
    return `${this.label}: ${layers.length} layers, a ${r.task.classes}-class task ` +
      `(majority baseline ${pct(r.task.majority)})` +
      (r.split ? `, trained on ${r.split.train} and tested on ${r.split.test}` : '') +
      `. Best layer ${b.layer} at ${pct(b.accuracy)} (control ${pct(b.controlAccuracy)}, ` +
      `selectivity ${points(b.selectivity)}${rm(b)}). Per layer: ` +
      layers.map((l) => `${l.layer} ${pct(l.accuracy)} (control ${pct(l.controlAccuracy)}${rm(l)})`)
        .join('; ') +
      '.';
  }

  override render(): TemplateResult {
    if (this.#error) return this.renderMessage(this.#error);
    const r = this.report!;
    const layers = r.layers;
    const n = layers.length;
    const W = this.#plotWidth();
    const H = CHART.height + SEL.height;
    const x = (i: number) => this.layerX(i);
    const y = (a: number) => this.accuracyY(a);
    const step = (W - CHART.left - CHART.right) / n;
    const right = W - CHART.right;
    const bottom = CHART.height - CHART.bottom;
    const line = (values: (number | undefined)[]) => {
      let d = '';
      let pen = false;
      values.forEach((v, i) => {
        if (v === undefined || v === null || !Number.isFinite(v)) return void (pen = false);
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(2)},${y(v).toFixed(2)}`;
        pen = true;
      });
      return d;
    };
    const series = (
      name: 'accuracy' | 'control' | 'random',
      values: (number | undefined)[],
    ): SVGTemplateResult =>
      svg`<g class=${name}>
        <path part=${name} class="line" d=${line(values)}></path>
        ${
        values.map((v, i) =>
          v === undefined || v === null || !Number.isFinite(v) ? nothing : svg`
            <circle part=${`point ${name}`} class="point" data-layer=${i}
              cx=${x(i)} cy=${y(v)} r=${i === this.#active ? 4.5 : 3}></circle>
          `
        )
      }
      </g>`;
    const hasRandom = layers.some((l) => Number.isFinite(l.randomModelAccuracy));
    // selectivity panel
    const sel = layers.map((l) => l.selectivity);
    const lo = Math.min(0, ...sel);
    let hi = Math.max(0, ...sel);
    if (hi - lo < 0.05) hi = lo + 0.05;
    const s0 = CHART.height + SEL.top;
    const s1 = H - SEL.bottom;
    const sy = (v: number) => s0 + ((hi - v) / (hi - lo)) * (s1 - s0);
    const bw = Math.max(2, Math.min(28, step * 0.6));
    const chars = Math.max(1, Math.floor(step / 6.5));
    const short = (name: string) => name.length > chars ? `${name.slice(0, chars - 1)}…` : name;
    const a = this.#active;
    return html`
      <style>
        [part~='plot'] {
          display: block;
          outline: none;
          font-size: 10px;
        }
        [part~='plot']:focus-visible {
          box-shadow: inset 0 0 0 2px var(--_accent);
        }
        text {
          fill: var(--_muted);
        }
        .axis {
          stroke: var(--_muted);
          fill: none;
        }
        .line {
          fill: none;
          stroke-width: 2;
        }
        .accuracy {
          stroke: var(--glass-probe-color, #0072b2);
          fill: var(--glass-probe-color, #0072b2);
        }
        .control {
          stroke: var(--glass-control-color, #d55e00);
          fill: var(--glass-control-color, #d55e00);
        }
        .control .line {
          stroke-dasharray: 5 3;
        }
        .random {
          stroke: var(--glass-random-color, #009e73);
          fill: var(--glass-random-color, #009e73);
        }
        .random .line {
          stroke-dasharray: 2 3;
        }
        .baseline {
          stroke: var(--glass-baseline-color, var(--_muted));
          stroke-width: 1.5;
          stroke-dasharray: 8 4;
        }
        .sel {
          fill: var(--glass-selectivity-color, #cc79a7);
        }
        .sel.active {
          stroke: var(--_fg);
          stroke-width: 1;
        }
        .guide {
          stroke: var(--_accent);
          stroke-width: 1;
        }
        .key {
          display: flex;
          flex-wrap: wrap;
          gap: 4px 14px;
          font-size: 11px;
          color: var(--_muted);
          margin-bottom: 4px;
        }
        .key svg {
          vertical-align: middle;
        }
        [part~='readout'] {
          min-height: 1.4em;
          font-variant-numeric: tabular-nums;
        }
        [part~='readout'] b {
          color: var(--_fg);
        }
      </style>
      <div part="legend" class="key" aria-hidden="true">
        ${this.#key('accuracy', 'probe accuracy', '')} ${this.#key(
          'control',
          'control task',
          '5 3',
        )} ${hasRandom ? this.#key('random', 'random model', '2 3') : nothing}
        <span><svg width="22" height="8">
          <line class="baseline" x1="0" y1="4" x2="22" y2="4"></line></svg>
          majority ${pct(r.task.majority)}</span>
        <span><svg width="10" height="10"><rect class="sel" width="10" height="10"></rect></svg>
          selectivity (accuracy − control)</span>
      </div>
      <svg
        part="plot"
        tabindex="0"
        role="img"
        aria-label=${`${this.label}: ${n} layers, with control task${
          hasRandom ? ' and random-model' : ''
        } baselines`}
        aria-describedby="summary"
        width=${W}
        height=${H}
        viewBox="0 0 ${W} ${H}"
        @pointermove=${this.#onPointer}
        @pointerleave=${() => this.#setActive(-1)}
        @click=${this.#onClick}
        @keydown=${this.#onKey}
        @blur=${() => this.#setActive(-1)}
      >
        <g part="axis">
          <path class="axis" d="M${CHART.left},${CHART.top}V${bottom}H${right}"></path>
          ${[0, 0.5, 1].map((t) =>
            svg`
              <text x=${CHART.left - 4} y=${y(t) + 3} text-anchor="end">${t * 100}%</text>
              <line class="axis" x1=${CHART.left - 3} x2=${CHART.left} y1=${y(t)} y2=${y(t)}></line>
            `
          )}
          ${layers.map((l, i) =>
            svg`<text x=${x(i)} y=${bottom + 13} text-anchor="middle">${
              short(
                l.layer,
              )
            }<title>${l.layer}</title></text>`
          )}
          <path class="axis" d="M${CHART.left},${s0}V${s1}"></path>
          <line class="axis zero" x1=${CHART.left} x2=${right} y1=${sy(0)} y2=${sy(0)}></line>
          <text x=${CHART.left - 4} y=${sy(hi) + 3} text-anchor="end">${points(hi)}</text>
          <text x=${CHART.left - 4} y=${sy(lo) + 3} text-anchor="end">${lo < 0
            ? points(lo)
            : '0'}</text>
          <text x=${CHART.left} y=${CHART.height + 10}>selectivity</text>
        </g>
        ${a >= 0
          ? svg`
            <line part="guide" class="guide" x1=${x(a)} x2=${x(a)} y1=${CHART.top}
              y2=${s1}></line>
          `
          : nothing}
        <line part="baseline" class="baseline" x1=${CHART.left} x2=${right}
          y1=${y(r.task.majority)} y2=${y(r.task.majority)}></line>
        ${hasRandom ? series('random', layers.map((l) => l.randomModelAccuracy)) : nothing}
        ${series('control', layers.map((l) => l.controlAccuracy))}
        ${series('accuracy', layers.map((l) => l.accuracy))}
        ${layers.map((l, i) => {
          const top = sy(Math.max(0, l.selectivity));
          const h = Math.abs(sy(l.selectivity) - sy(0));
          return svg`
            <rect part=${i === a ? 'selectivity active' : 'selectivity'}
              class=${i === a ? 'sel active' : 'sel'} data-layer=${i}
              x=${x(i) - bw / 2} y=${top} width=${bw} height=${Math.max(0.5, h)}></rect>
          `;
        })}
      </svg>
      <div part="readout" aria-live="polite">${a >= 0 ? this.#readout(a) : nothing}</div>
      <p id="summary" class="sr-only">${this.#summary(r)}</p>
    `;
  }

  #key(name: string, text: string, dash: string): TemplateResult {
    return html`<span class=${name}><svg width="22" height="8">${svg`
      <line class="line"
        x1="0" y1="4" x2="22" y2="4" stroke-dasharray=${dash || nothing}></line>
    `}</svg>
      ${text}</span>`;
  }

  #readout(i: number): TemplateResult {
    const l = this.report!.layers[i];
    return html`<b>${l.layer}</b>${Array.isArray(l.shape) ? ` [${l.shape.join('×')}]` : ''} ·
      ${l.features} features${l.pooling && l.pooling !== 'none' ? ` (${l.pooling})` : ''} ·
      accuracy <b>${pct(l.accuracy)}</b>${
      Number.isFinite(l.trainAccuracy) ? ` (train ${pct(l.trainAccuracy)})` : ''
    } · control ${
      pct(
        l.controlAccuracy,
      )
    } · selectivity ${points(l.selectivity)}${
      Number.isFinite(l.randomModelAccuracy) ? ` · random model ${pct(l.randomModelAccuracy!)}` : ''
    } · majority ${pct(this.report!.task.majority)}`;
  }
}

if (!customElements.get('glass-probes')) customElements.define('glass-probes', GlassProbes);
