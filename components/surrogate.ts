/**
 * `<glass-surrogate>`: a distilled surrogate of a model (`distill()`, src/global/surrogate.ts):
 * its fidelity and accuracy, and what it learned — per-class weight templates (linear), the
 * strongest first-layer hidden units (MLP), or the decision tree's rules.
 *
 * @example
 * ```html
 * <glass-surrogate></glass-surrogate>
 * <script type="module">
 *   import './components/surrogate.ts';
 *   const el = document.querySelector('glass-surrogate');
 *   el.surrogate = await distill(model, data, { kind: 'linear' }); // or a parsed --json report
 *   el.classNames = ['T-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt',
 *     'sneaker', 'bag', 'ankle boot'];
 * </script>
 * ```
 *
 * @module
 */

import { html, nothing, type PropertyDeclarations, svg, type TemplateResult } from 'lit';
import type { Texture2D } from 'regl';
import type { Surrogate } from '../src/global/surrogate.ts';
import type { TreeNode } from '../src/global/onnx_export.ts';
import { GlassElement } from './shared/glass_element.ts';
import { ReglController } from './shared/regl_controller.ts';
import { heatmapCommand, lutTexture, rgbaTexture } from './shared/heatmap.ts';
import { colormap, colormapGradient, colormapIndex } from './shared/colormaps.ts';
import { checkShape, checkValues, formatValue, isNumeric, sizeOf } from './shared/data.ts';

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

/** Detail of `glass-select` and `glass-hover` on a tree node. */
export interface SurrogateNodeDetail {
  kind: 'node';
  /** Route from the root: `L` (≤ threshold) and `R` (>) steps; `''` for the root. */
  path: string;
  depth: number;
  /** Training examples that reached the node. */
  count: number;
  leaf: boolean;
  /** Internal nodes: the split. */
  feature?: number;
  threshold?: number;
  /** Leaves: the predicted class, its name and probability. */
  class?: number;
  label?: string;
  probability?: number;
  /** The conditions from the root to the node. */
  conditions: string[];
}

interface Tile {
  label: string;
  data: Float32Array;
  class?: number;
  unit?: number;
  note?: string;
}

interface Prepared {
  tiles: Tile[];
  /** Image templates: width and height; null for tabular inputs (bars). */
  image: { w: number; h: number } | null;
  /** Half-range of the diverging scale (shared by every template). */
  scale: number;
  d: number;
  tree: TreeNode | null;
  leaves: number;
  depth: number;
}

interface Row {
  path: string;
  node: TreeNode;
  depth: number;
  condition: string;
}

const GAP = 8;
const LABEL_H = 18;
const MIN_TILE = 72;
const MIN_BARS = 160;
const BAR_H = 14;
const MAX_TREE_DEPTH = 64;

/** A readable name of a flattened input feature (as `featureName()` in src/global/surrogate.ts). */
function featureName(shape: readonly number[], f: number): string {
  if (shape.length <= 1) return `x[${f}]`;
  const idx: number[] = [];
  let rest = f;
  for (let a = shape.length - 1; a >= 0; a--) {
    idx.unshift(rest % shape[a]);
    rest = Math.floor(rest / shape[a]);
  }
  if (shape.length === 3 && shape[0] === 1) return `pixel(${idx[1]},${idx[2]})`;
  return `x[${idx.join(',')}]`;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Leaf class, probability (softmax of the leaf's log-probabilities). */
function leafClass(v: ArrayLike<number>): { cls: number; p: number } {
  let best = 0;
  let m = -Infinity;
  for (let c = 0; c < v.length; c++) {
    if (v[c] > v[best]) best = c;
    m = Math.max(m, v[c]);
  }
  let s = 0;
  for (let c = 0; c < v.length; c++) s += Math.exp(v[c] - m);
  return { cls: best, p: Math.exp(v[best] - m) / s };
}

/**
 * Shows a distilled surrogate (a `Surrogate` from `distill()`, or the same object parsed from
 * `glassbox distill --json`): a fidelity panel (agreement with the model's top-1 class on the
 * held-out examples, mean KL, the same on the training examples, accuracy against the labels
 * next to the model's, the split), then by kind:
 *
 * - `linear`: each class's weight template reshaped to `inputShape` (channels summed) as a
 *   diverging heatmap centred on 0 (blue negative, red positive; one scale, ±the largest
 *   magnitude of all templates). Tabular inputs (one axis) get coefficient bars per class.
 * - `mlp`: the `topUnits` hidden units of the first layer with the largest weight norm ‖w_j‖₂
 *   (their input weights move the hidden layer most), drawn like templates; the label names the
 *   class the unit pushes hardest toward (its largest positive output weight).
 * - `tree`: the rules as an indented tree — each node is the condition that leads to it, a leaf
 *   shows its class, probability and training count; nodes collapse and expand, and the path to
 *   the hovered node is highlighted.
 *
 * Objects and arrays are replaced, not mutated (assign a new object to redraw). Arrow keys move
 * between templates (or tree nodes; Left/Right collapse and expand), Enter selects.
 *
 * @fires glass-select - a template or tree node was clicked or Enter pressed; `detail`:
 *   {@linkcode SurrogateTemplateDetail} or {@linkcode SurrogateNodeDetail}.
 * @fires glass-hover - the template (pixel) or tree node under the pointer or keyboard cursor
 *   changed; same details, or null when it leaves.
 * @csspart fidelity - the fidelity and accuracy panel.
 * @csspart canvas - the WebGL canvas with the image templates.
 * @csspart label - a template's label.
 * @csspart cursor - the outline of the active template.
 * @csspart tile - a template of tabular bars (`tile active` for the active one).
 * @csspart bars - the SVG of a tabular template.
 * @csspart legend - the colorbar of the templates.
 * @csspart tooltip - the hover read-out of a template pixel.
 * @csspart tree - the rule tree (`role="tree"`).
 * @csspart node - a tree node's row (`node path` on the hovered path, `node active` for the
 *   keyboard cursor, `node leaf` for leaves).
 * @csspart toggle - a node's collapse/expand button.
 * @csspart message - shown instead of the view when the data cannot be drawn.
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text color.
 * @cssprop --glass-muted - secondary text.
 * @cssprop --glass-accent - focus ring, cursor and the highlighted tree path.
 * @cssprop --glass-tooltip-bg - tooltip background.
 * @cssprop --glass-tooltip-fg - tooltip text.
 * @cssprop --glass-path-bg - background of the highlighted tree path (default: the accent at
 *   20% opacity).
 */
export class GlassSurrogate extends GlassElement {
  static override properties: PropertyDeclarations = {
    ...GlassElement.properties,
    surrogate: { attribute: false },
    classNames: { attribute: false },
    featureNames: { attribute: false },
    topUnits: { type: Number, attribute: 'top-units' },
    maxFeatures: { type: Number, attribute: 'max-features' },
    label: {},
  };

  /** The surrogate (`distill()`'s result; `onnx` and `history` are not needed). */
  declare surrogate: Surrogate | null;
  /** Names of the classes (default `class 0`, `class 1`, …). */
  declare classNames: readonly string[] | null;
  /** Names of the input features for bars and tree rules (default `x[i]` / `pixel(r,c)`). */
  declare featureNames: readonly string[] | null;
  /** MLP: how many of the strongest hidden units to show (default 8). */
  declare topUnits: number;
  /** Tabular: most bars per template; more features show the largest by magnitude (default 24). */
  declare maxFeatures: number;
  /** Accessible name; default "Surrogate model". */
  declare label: string;

  /** The canvas and its regl (public for tests and screenshots). */
  readonly renderer: ReglController = new ReglController(this);

  #error: string | null = null;
  #prepared: Prepared | null = null;
  #textures: { gen: number; tiles: Texture2D[]; lut: Texture2D } | null = null;
  #dirty = true;
  #layout = { width: 0, cols: 1, tileW: 0, tileH: 0, height: 0 };
  #active = -1;
  #pixel: { x: number; y: number } | null = null;
  #collapsed = new Set<string>();
  #activeNode: string | null = null;
  #hoverNode: string | null = null;

  constructor() {
    super();
    this.surrogate = null;
    this.classNames = null;
    this.featureNames = null;
    this.topUnits = 8;
    this.maxFeatures = 24;
    this.label = 'Surrogate model';
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (
      !this.#prepared || ['surrogate', 'classNames', 'featureNames', 'topUnits', 'maxFeatures']
        .some((k) => changed.has(k))
    ) {
      if (changed.has('surrogate')) {
        this.#collapsed = new Set();
        this.#activeNode = this.#hoverNode = null;
        this.#active = -1;
        this.#pixel = null;
      }
      this.#prepare();
    }
    const width = this.renderer.width || this.clientWidth || 300;
    const p = this.#prepared;
    const n = p?.tiles.length ?? 0;
    const min = p?.image ? MIN_TILE : MIN_BARS;
    const cols = Math.max(1, Math.min(n, Math.floor((width + GAP) / (min + GAP))));
    const tileW = Math.max(1, (width - GAP * (cols - 1)) / cols);
    const tileH = p?.image ? Math.max(1, Math.round((tileW * p.image.h) / p.image.w)) : 0;
    const rows = Math.ceil(n / cols);
    const height = rows ? rows * (LABEL_H + tileH + GAP) - GAP : 0;
    this.#layout = { width, cols, tileW, tileH, height };
  }

  #className(c: number): string {
    return this.classNames?.[c] ?? `class ${c}`;
  }

  #featureName(f: number): string {
    return this.featureNames?.[f] ?? featureName(this.surrogate?.inputShape ?? [], f);
  }

  #prepare(): void {
    this.#error = null;
    this.#prepared = null;
    this.#dirty = true;
    const r = this.#check();
    if (typeof r === 'string') this.#error = r;
    else this.#prepared = r;
  }

  #check(): Prepared | string {
    const s = this.surrogate;
    if (!s) return 'No surrogate given';
    if (typeof s !== 'object') return 'Cannot draw the surrogate: expected an object';
    if (!['linear', 'mlp', 'tree'].includes(s.kind)) {
      return `Cannot draw the surrogate: unknown kind "${s.kind}" (linear, mlp, tree)`;
    }
    const bad = checkShape(s.inputShape, 'the surrogate');
    if (bad) return bad.replace('no shape', 'no inputShape');
    const classes = s.classes;
    if (!Number.isInteger(classes) || classes < 1) {
      return `Cannot draw the surrogate: classes must be a positive integer, got ${classes}`;
    }
    const f = s.fidelity;
    if (!f || !Number.isFinite(f.agreement) || !Number.isFinite(f.kl)) {
      return `Cannot draw the surrogate: fidelity agreement ${f?.agreement} and KL ${f?.kl} ` +
        'must be finite';
    }
    if (s.accuracy && ![s.accuracy.surrogate, s.accuracy.model].every(Number.isFinite)) {
      return 'Cannot draw the surrogate: accuracy must hold finite numbers';
    }
    if (this.classNames && this.classNames.length !== classes) {
      return `Cannot draw the surrogate: ${this.classNames.length} class names for ${classes} ` +
        'classes';
    }
    const d = sizeOf(s.inputShape);
    if (this.featureNames && this.featureNames.length !== d) {
      return `Cannot draw the surrogate: ${this.featureNames.length} feature names for ${d} ` +
        'features';
    }
    const rank = s.inputShape.length;
    const image = rank === 1 ? null : { w: s.inputShape[rank - 1], h: s.inputShape[rank - 2] };
    const base = { image, d, tree: null, leaves: 0, depth: 0 };
    if (s.kind === 'tree') {
      const t = this.#checkTree(s.tree, d, classes, 0);
      if (typeof t === 'string') return t;
      return { ...base, tiles: [], scale: 1, tree: s.tree!, ...t };
    }
    let tiles: Tile[];
    if (s.kind === 'linear') {
      const bad = checkValues(s.templates, classes * d, 'the templates');
      if (bad) return bad;
      const t = s.templates!;
      tiles = Array.from({ length: classes }, (_, c) => ({
        label: this.#className(c),
        data: Float32Array.from(t.slice(c * d, c * d + d)),
        class: c,
      }));
    } else {
      const w0 = s.weights?.[0];
      if (!w0 || !isNumeric(w0.w)) {
        return 'Cannot draw the MLP surrogate: no first-layer weights';
      }
      if (w0.w.length === 0 || w0.w.length % d !== 0) {
        return `Cannot draw the MLP surrogate: first-layer weights hold ${w0.w.length} values, ` +
          `not a multiple of the ${d} inputs`;
      }
      const bad = checkValues(w0.w, null, 'the first-layer weights');
      if (bad) return bad;
      const hidden = w0.w.length / d;
      const w1 = s.weights?.[1]?.w;
      if (w1 && w1.length !== hidden * classes) {
        return `Cannot draw the MLP surrogate: expected ${hidden * classes} output weights, ` +
          `got ${w1.length}`;
      }
      const norms = Array.from({ length: hidden }, (_, j) => {
        let q = 0;
        for (let i = 0; i < d; i++) q += w0.w[i * hidden + j] ** 2;
        return Math.sqrt(q);
      });
      const k = Math.max(1, Math.min(hidden, Math.floor(this.topUnits) || 8));
      const order = norms.map((_, j) => j).sort((a, b) => norms[b] - norms[a] || a - b).slice(0, k);
      tiles = order.map((j) => {
        const data = new Float32Array(d);
        for (let i = 0; i < d; i++) data[i] = w0.w[i * hidden + j];
        let toward = '';
        if (w1) {
          let best = 0;
          for (let c = 1; c < classes; c++) {
            if (w1[j * classes + c] > w1[j * classes + best]) best = c;
          }
          toward = ` → ${this.#className(best)}`;
        }
        return { label: `unit ${j}${toward}`, data, unit: j, note: `‖w‖ ${formatValue(norms[j])}` };
      });
    }
    if (image && image.w * image.h !== d) {
      // images with channels: one plane per template, the channels summed
      const plane = image.w * image.h;
      for (const t of tiles) {
        const sum = new Float32Array(plane);
        for (let i = 0; i < d; i++) sum[i % plane] += t.data[i];
        t.data = sum;
      }
    }
    let scale = 0;
    for (const t of tiles) for (const v of t.data) scale = Math.max(scale, Math.abs(v));
    return { ...base, tiles, scale: scale > 0 ? scale : 1 };
  }

  #checkTree(
    n: TreeNode | undefined,
    d: number,
    classes: number,
    depth: number,
  ): { leaves: number; depth: number } | string {
    const where = `Cannot draw the tree: node at depth ${depth}`;
    if (!n || typeof n !== 'object') return depth ? `${where} is missing` : 'No tree given';
    if (depth > MAX_TREE_DEPTH) return `Cannot draw the tree: deeper than ${MAX_TREE_DEPTH}`;
    if (!Number.isFinite(n.count) || n.count < 0) return `${where} has count ${n.count}`;
    if (n.feature === undefined) {
      const bad = checkValues(n.value, classes, `the tree: a leaf at depth ${depth}`);
      return bad ?? { leaves: 1, depth };
    }
    if (!Number.isInteger(n.feature) || n.feature < 0 || n.feature >= d) {
      return `${where} splits on feature ${n.feature}, not one of the ${d} inputs`;
    }
    if (!Number.isFinite(n.threshold)) return `${where} has threshold ${n.threshold}`;
    const l = this.#checkTree(n.left, d, classes, depth + 1);
    if (typeof l === 'string') return l;
    const r = this.#checkTree(n.right, d, classes, depth + 1);
    if (typeof r === 'string') return r;
    return { leaves: l.leaves + r.leaves, depth: Math.max(l.depth, r.depth) };
  }

  override render(): TemplateResult {
    if (this.#error) return this.renderMessage(this.#error);
    const p = this.#prepared!;
    const s = this.surrogate!;
    if (p.image && p.tiles.length && this.renderer.error) {
      return this.renderMessage(this.renderer.error);
    }
    return html`
      <style>
        [part~='fidelity'] {
          display: flex;
          flex-wrap: wrap;
          gap: 4px 18px;
          margin: 0 0 8px;
          font-variant-numeric: tabular-nums;
        }
        [part~='fidelity'] dt {
          color: var(--_muted);
          font-size: 11px;
        }
        [part~='fidelity'] dd {
          margin: 0;
          font-weight: 600;
        }
        .stage {
          position: relative;
          outline: none;
        }
        .stage:focus-visible,
        [part~='tree']:focus-visible {
          outline: 2px solid var(--_accent);
        }
        [part~='label'] {
          position: absolute;
          height: ${LABEL_H}px;
          overflow: hidden;
          text-overflow: ellipsis;
          white-space: nowrap;
          font-weight: 600;
          font-size: 12px;
        }
        [part~='label'] small {
          font-weight: 400;
          color: var(--_muted);
        }
        [part~='cursor'] {
          position: absolute;
          pointer-events: none;
          box-sizing: border-box;
          border: 2px solid var(--_accent);
        }
        .bars-grid {
          display: grid;
          gap: ${GAP}px;
        }
        [part~='tile'] {
          box-sizing: border-box;
          border: 1px solid transparent;
          min-width: 0;
        }
        [part~='tile'][part~='active'] {
          border-color: var(--_accent);
        }
        .tile-label {
          font-weight: 600;
          font-size: 12px;
          overflow: hidden;
          text-overflow: ellipsis;
          white-space: nowrap;
        }
        [part~='bars'] {
          display: block;
          width: 100%;
          font-size: 10px;
        }
        [part~='bars'] text {
          fill: var(--_fg);
        }
        .zero {
          stroke: var(--_muted);
        }
        [part~='tree'] {
          margin: 0;
          padding: 0;
          outline: none;
          font-variant-numeric: tabular-nums;
        }
        [part~='tree'] ul {
          margin: 0;
          padding: 0;
        }
        [part~='tree'] li {
          list-style: none;
        }
        [part~='node'] {
          display: flex;
          align-items: baseline;
          gap: 6px;
          padding: 1px 4px;
          border-radius: 2px;
          cursor: pointer;
          white-space: nowrap;
        }
        [part~='node'][part~='path'] {
          background: var(--glass-path-bg, color-mix(in srgb, var(--_accent) 20%, transparent));
        }
        [part~='node'][part~='active'] {
          outline: 1px solid var(--_accent);
        }
        [part~='toggle'] {
          all: unset;
          width: 1em;
          text-align: center;
          color: var(--_muted);
          cursor: pointer;
        }
        .leaf-class {
          font-weight: 600;
        }
        .n {
          color: var(--_muted);
          font-size: 11px;
        }
      </style>
      ${this.#fidelity(s)} ${s.kind === 'tree'
        ? this.#tree(p)
        : p.image
        ? this.#images(p)
        : this.#bars(p)}
      <p id="summary" class="sr-only">${this.#summary(s, p)}</p>
    `;
  }

  #fidelity(s: Surrogate): TemplateResult {
    const f = s.fidelity;
    const t = s.trainFidelity;
    return html`
      <dl part="fidelity" aria-label="Fidelity">
        <div><dt>agreement with the model (held out)</dt><dd>${pct(f.agreement)}</dd></div>
        <div><dt>KL(model ‖ surrogate)</dt><dd>${formatValue(f.kl)} nats</dd></div>
        ${t && Number.isFinite(t.agreement)
          ? html`
            <div>
              <dt>agreement (train)</dt>
              <dd>${pct(t.agreement)}</dd>
            </div>
          `
          : nothing} ${s.accuracy
          ? html`
            <div>
              <dt>accuracy: surrogate vs model</dt>
              <dd>${pct(s.accuracy.surrogate)} vs ${pct(
                s.accuracy.model,
              )}</dd>
            </div>
          `
          : nothing} ${s.split
          ? html`
            <div>
              <dt>train / test</dt>
              <dd>${s.split.train} / ${s.split.test}</dd>
            </div>
          `
          : nothing}
      </dl>
    `;
  }

  #summary(s: Surrogate, p: Prepared): string {
    const f = s.fidelity;
    let text = `${s.kind} surrogate agrees with the model on ${pct(f.agreement)} of ` +
      `${f.count} held-out examples (KL ${formatValue(f.kl)} nats)`;
    if (s.trainFidelity && Number.isFinite(s.trainFidelity.agreement)) {
      text += `, ${pct(s.trainFidelity.agreement)} of the training examples`;
    }
    text += '.';
    if (s.accuracy) {
      text += ` Accuracy ${pct(s.accuracy.surrogate)}, the model's ${pct(s.accuracy.model)}.`;
    }
    if (s.split) text += ` Trained on ${s.split.train}, tested on ${s.split.test}.`;
    if (s.kind === 'tree') {
      const rules: string[] = [];
      const walk = (n: TreeNode, path: string[]) => {
        if (n.feature === undefined) {
          const { cls, p: prob } = leafClass(n.value!);
          rules.push(
            `if ${path.join(' and ') || 'always'} then ${this.#className(cls)} ` +
              `(p ${prob.toFixed(2)}, n ${n.count})`,
          );
          return;
        }
        const name = this.#featureName(n.feature);
        const t = formatValue(n.threshold!);
        walk(n.left!, [...path, `${name} <= ${t}`]);
        walk(n.right!, [...path, `${name} > ${t}`]);
      };
      walk(p.tree!, []);
      text += ` Tree of depth ${p.depth} with ${p.leaves} leaves. Rules: ${rules.join('; ')}.`;
    } else {
      const what = s.kind === 'linear' ? 'class templates' : 'strongest first-layer hidden units';
      const dims = p.image ? `${p.image.w}×${p.image.h}` : `${p.d} features`;
      text += ` ${p.tiles.length} ${what} (${dims}), weights within ±${formatValue(p.scale)}: ` +
        p.tiles.map((t) => t.label).join(', ') + '.';
    }
    return text;
  }

  // --- image templates (regl) ---

  #tileRect(i: number): { x: number; y: number; w: number; h: number } {
    const { cols, tileW, tileH } = this.#layout;
    const col = i % cols;
    const row = Math.floor(i / cols);
    return { x: col * (tileW + GAP), y: row * (LABEL_H + tileH + GAP), w: tileW, h: tileH };
  }

  #images(p: Prepared): TemplateResult {
    const { tileW, tileH, height } = this.#layout;
    const a = this.#active;
    const cur = a >= 0 && a < p.tiles.length ? this.#tileRect(a) : null;
    const px = this.#pixel;
    return html`
      <div
        class="stage"
        role="listbox"
        tabindex="0"
        aria-label=${`${this.label}: ${p.tiles.length} ${
          this.surrogate!.kind === 'linear' ? 'class templates' : 'hidden-unit templates'
        }`}
        aria-describedby="summary"
        aria-activedescendant=${cur ? `tile-${a}` : nothing}
        style="height:${height}px"
        @pointermove=${this.#onPointer}
        @pointerleave=${this.#onLeave}
        @click=${this.#onClick}
        @keydown=${this.#onKey}
        @blur=${this.#onLeave}
      >
        ${this.renderer.canvas} ${p.tiles.map((t, i) => {
          const r = this.#tileRect(i);
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
              style="left:${Math.min(cur.x, this.#layout.width - 140)}px;top:${cur.y + LABEL_H +
                tileH + 4}px">(${px.x}, ${px.y}) ${formatValue(
                  p.tiles[a].data[px.y * p.image!.w + px.x],
                )}</div>
          `
          : nothing}
      </div>
      ${this.#legend(p)}
    `;
  }

  #legend(p: Prepared): TemplateResult {
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

  /** The template index and pixel at stage CSS coordinates, or null outside the templates. */
  templateAt(x: number, y: number): { index: number; x?: number; y?: number } | null {
    const p = this.#prepared;
    if (!p || !p.tiles.length) return null;
    const { cols, tileW, tileH } = this.#layout;
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

  #templateDetail(i: number, pixel: { x: number; y: number } | null): SurrogateTemplateDetail {
    const p = this.#prepared!;
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

  #moveTo(i: number, pixel: { x: number; y: number } | null = null): void {
    const same = i === this.#active && pixel?.x === this.#pixel?.x && pixel?.y === this.#pixel?.y;
    if (same) return;
    this.#active = i;
    this.#pixel = pixel;
    this.requestUpdate();
    this.emit('glass-hover', i < 0 ? null : this.#templateDetail(i, pixel));
  }

  #onPointer = (e: PointerEvent) => {
    const stage = e.currentTarget as HTMLElement;
    const r = stage.getBoundingClientRect();
    const hit = this.templateAt(e.clientX - r.left, e.clientY - r.top);
    if (!hit) return this.#moveTo(-1);
    this.#moveTo(hit.index, hit.x !== undefined ? { x: hit.x, y: hit.y! } : null);
  };

  #onLeave = () => this.#moveTo(-1);

  #onClick = (e: MouseEvent) => {
    const stage = e.currentTarget as HTMLElement;
    const r = stage.getBoundingClientRect();
    const hit = this.templateAt(e.clientX - r.left, e.clientY - r.top);
    if (hit) this.emit('glass-select', this.#templateDetail(hit.index, null));
  };

  #onKey = (e: KeyboardEvent) => {
    const n = this.#prepared?.tiles.length ?? 0;
    if (!n) return;
    const a = this.#active;
    const cols = this.#layout.cols;
    let next: number;
    switch (e.key) {
      case 'ArrowRight':
        next = a < 0 ? 0 : Math.min(n - 1, a + 1);
        break;
      case 'ArrowLeft':
        next = a < 0 ? 0 : Math.max(0, a - 1);
        break;
      case 'ArrowDown':
        next = a < 0 ? 0 : a + cols < n ? a + cols : a;
        break;
      case 'ArrowUp':
        next = a < 0 ? 0 : a - cols >= 0 ? a - cols : a;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = n - 1;
        break;
      case 'Enter':
      case ' ':
        if (a >= 0) {
          e.preventDefault();
          this.emit('glass-select', this.#templateDetail(a, null));
        }
        return;
      case 'Escape':
        this.#moveTo(-1);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.#moveTo(next);
  };

  // --- tabular templates (SVG bars) ---

  #bars(p: Prepared): TemplateResult {
    const { cols } = this.#layout;
    const a = this.#active;
    const max = Math.max(1, Math.floor(this.maxFeatures) || 24);
    return html`
      <div
        class="stage bars-grid"
        role="listbox"
        tabindex="0"
        aria-label=${`${this.label}: coefficients of ${p.tiles.length} templates`}
        aria-describedby="summary"
        aria-activedescendant=${a >= 0 ? `tile-${a}` : nothing}
        style="grid-template-columns: repeat(${cols}, minmax(0, 1fr))"
        @keydown=${this.#onKey}
        @blur=${this.#onLeave}
        @pointerleave=${this.#onLeave}
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
              @pointerenter=${() => this.#moveTo(i)}
              @click=${() => this.emit('glass-select', this.#templateDetail(i, null))}
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
                            const v = t.data[f];
                            const len = (Math.abs(v) / p.scale) * half;
                            const [r, g, b] = colormap('rdbu', 0.5 + (0.5 * v) / p.scale);
                            return svg`
                              <text x=${L - 4} y=${k * BAR_H + 12} text-anchor="end">${this
                                .#featureName(
                                  f,
                                )}</text>
                              <rect class="coef" data-feature=${f} x=${v < 0 ? mid - len : mid}
                                y=${k * BAR_H + 3} width=${len} height=${BAR_H - 4}
                                fill="rgb(${r}, ${g}, ${b})">
                                <title>${formatValue(v)}</title>
                              </rect>
                            `;
                          })}
                          ${svg`<line class="zero" x1=${mid} x2=${mid} y1="0" y2=${H}></line>`}
                        </svg>
            </div>
          `;
        })}
      </div>
      ${this.#legend(p)}
    `;
  }

  // --- tree (DOM) ---

  #rows(p: Prepared): Row[] {
    const rows: Row[] = [];
    const walk = (n: TreeNode, path: string, depth: number, condition: string) => {
      rows.push({ path, node: n, depth, condition });
      if (n.feature === undefined || this.#collapsed.has(path)) return;
      const name = this.#featureName(n.feature);
      const t = formatValue(n.threshold!);
      walk(n.left!, path + 'L', depth + 1, `${name} ≤ ${t}`);
      walk(n.right!, path + 'R', depth + 1, `${name} > ${t}`);
    };
    walk(p.tree!, '', 0, 'all examples');
    return rows;
  }

  #nodeAt(path: string): TreeNode | null {
    let n: TreeNode | undefined = this.#prepared?.tree ?? undefined;
    for (const step of path) n = step === 'L' ? n?.left : n?.right;
    return n ?? null;
  }

  #nodeDetail(path: string): SurrogateNodeDetail {
    const root = this.#prepared!.tree!;
    const conditions: string[] = [];
    let n = root;
    for (const step of path) {
      const name = this.#featureName(n.feature!);
      const t = formatValue(n.threshold!);
      conditions.push(step === 'L' ? `${name} <= ${t}` : `${name} > ${t}`);
      n = step === 'L' ? n.left! : n.right!;
    }
    const d: SurrogateNodeDetail = {
      kind: 'node',
      path,
      depth: path.length,
      count: n.count,
      leaf: n.feature === undefined,
      conditions,
    };
    if (n.feature === undefined) {
      const { cls, p } = leafClass(n.value!);
      d.class = cls;
      d.label = this.#className(cls);
      d.probability = p;
    } else {
      d.feature = n.feature;
      d.threshold = n.threshold;
    }
    return d;
  }

  #tree(p: Prepared): TemplateResult {
    const rows = this.#rows(p);
    const hover = this.#hoverNode ?? this.#activeNode;
    const onPath = (path: string) => hover !== null && hover.startsWith(path);
    const id = (path: string) => `node-${path || 'root'}`;
    return html`
      <ul
        part="tree"
        role="tree"
        tabindex="0"
        aria-label=${`${this.label}: decision tree of depth ${p.depth} with ${p.leaves} leaves`}
        aria-describedby="summary"
        aria-activedescendant=${this.#activeNode !== null ? id(this.#activeNode) : nothing}
        @keydown=${this.#onTreeKey}
        @pointerleave=${() => this.#hoverTree(null)}
      >
        ${rows.map((r) => {
          const leaf = r.node.feature === undefined;
          const collapsed = this.#collapsed.has(r.path);
          const parts = [
            'node',
            leaf ? 'leaf' : '',
            onPath(r.path) ? 'path' : '',
            r.path === this.#activeNode ? 'active' : '',
          ].filter(Boolean).join(' ');
          const lc = leaf ? leafClass(r.node.value!) : null;
          return html`
            <li
              role="treeitem"
              id=${id(r.path)}
              aria-level=${r.depth + 1}
              aria-expanded=${leaf ? nothing : collapsed ? 'false' : 'true'}
              aria-selected=${r.path === this.#activeNode ? 'true' : 'false'}
            >
              <div
                part=${parts}
                data-path=${r.path}
                style="padding-left:${4 + r.depth * 16}px"
                @pointerenter=${() => this.#hoverTree(r.path)}
                @click=${() => this.#selectNode(r.path)}
              >
                          ${leaf ? html`<span part="toggle" aria-hidden="true"></span>` : html`
                            <button part="toggle" tabindex="-1" aria-hidden="true"
                              aria-label=${collapsed ? 'expand' : 'collapse'}
                              @click=${(e: Event) => {
                                e.stopPropagation();
                                this.#toggle(r.path);
                              }}>${collapsed ? '▸' : '▾'}</button>
                          `}
                          <span class="cond">${r.condition}</span>
                          ${lc
                            ? html`
                              <span class="leaf-class">→ ${this.#className(lc.cls)}</span>
                              <span class="n">p ${lc.p.toFixed(2)}</span>
                            `
                            : nothing}
                          <span class="n">n ${r.node.count}</span>
                        </div>
            </li>
          `;
        })}
      </ul>
    `;
  }

  #hoverTree(path: string | null): void {
    if (path === this.#hoverNode) return;
    this.#hoverNode = path;
    this.requestUpdate();
    this.emit('glass-hover', path === null ? null : this.#nodeDetail(path));
  }

  #selectNode(path: string): void {
    this.#activeNode = path;
    this.requestUpdate();
    this.emit('glass-select', this.#nodeDetail(path));
  }

  #toggle(path: string): void {
    const next = new Set(this.#collapsed);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    this.#collapsed = next;
    // the cursor cannot stay inside a collapsed subtree
    if (
      this.#activeNode !== null && this.#activeNode.length > path.length &&
      this.#activeNode.startsWith(path) && next.has(path)
    ) {
      this.#activeNode = path;
    }
    this.requestUpdate();
  }

  /** Collapses (or expands) the tree node at `path` (`L`/`R` steps from the root). */
  setCollapsed(path: string, collapsed: boolean): void {
    const node = this.#nodeAt(path);
    if (!node || node.feature === undefined || this.#collapsed.has(path) === collapsed) return;
    this.#toggle(path);
  }

  #onTreeKey = (e: KeyboardEvent) => {
    const p = this.#prepared;
    if (!p?.tree) return;
    const rows = this.#rows(p);
    const cur = this.#activeNode;
    const i = cur === null ? -1 : rows.findIndex((r) => r.path === cur);
    const node = cur === null ? null : this.#nodeAt(cur);
    let next: string | null = null;
    switch (e.key) {
      case 'ArrowDown':
        next = rows[Math.min(rows.length - 1, i + 1)].path;
        break;
      case 'ArrowUp':
        next = rows[Math.max(0, i - 1)].path;
        break;
      case 'Home':
        next = '';
        break;
      case 'End':
        next = rows[rows.length - 1].path;
        break;
      case 'ArrowRight':
        if (cur === null) next = '';
        else if (node && node.feature !== undefined) {
          if (this.#collapsed.has(cur)) {
            this.#toggle(cur);
            next = cur;
          } else next = cur + 'L';
        } else next = cur;
        break;
      case 'ArrowLeft':
        if (cur === null) next = '';
        else if (node && node.feature !== undefined && !this.#collapsed.has(cur)) {
          this.#toggle(cur);
          next = cur;
        } else next = cur.slice(0, -1);
        break;
      case 'Enter':
      case ' ':
        if (cur !== null) {
          e.preventDefault();
          this.emit('glass-select', this.#nodeDetail(cur));
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    if (next !== cur) {
      this.#activeNode = next;
      this.emit('glass-hover', this.#nodeDetail(next));
    }
    this.requestUpdate();
  };

  // --- drawing ---

  override updated(): void {
    const p = this.#prepared;
    if (this.#error || !p || !p.image || !p.tiles.length || this.surrogate?.kind === 'tree') {
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
    const { width, tileW, tileH, height } = this.#layout;
    this.renderer.resize(width, height);
    const dpr = this.renderer.scale;
    let tex = this.#textures;
    if (!tex || tex.gen !== this.renderer.generation || this.#dirty) {
      if (tex && tex.gen === this.renderer.generation) {
        for (const t of [...tex.tiles, tex.lut]) t.destroy();
      }
      this.#dirty = false;
      const { w, h } = p.image;
      const plane = w * h;
      tex = this.#textures = {
        gen: this.renderer.generation,
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
    regl.poll();
    const background = this.backgroundColor();
    regl.clear({ color: background });
    const draw = heatmapCommand(regl);
    p.tiles.forEach((_, i) => {
      const r = this.#tileRect(i);
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

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#textures = null; // destroyed with regl
  }
}

if (!customElements.get('glass-surrogate')) {
  customElements.define('glass-surrogate', GlassSurrogate);
}
