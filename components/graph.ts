/**
 * `<glass-graph>`: a model's structure (`modelStructure(model)` from `src/onnx/structure.ts`) as a
 * layered DAG — dagre layout, nodes drawn by regl as rectangles and edges as lines (two
 * draw calls for any size), text only for nodes big enough on screen. Repeated blocks (e.g.
 * `/layers.N/…` transformer layers with identical op sequences) collapse to one node each.
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
import type { Buffer, DrawCommand, Regl } from 'regl';
import { vec2d } from 'wgpu-matrix';
import type { ModelStructure, NodeStructure } from '../src/onnx/structure.ts';
import { GlassElement } from './shared/glass_element.ts';
import { layoutGraph, type LayoutResult } from './graph_layout.ts';
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
  compact,
  cssColor,
  cssOf,
  type Drag,
  draggedView,
  emit,
  fitView,
  hostBackground,
  keyView,
  localPoint,
  type Rgba,
  type View,
  zoomAt,
} from './view_helpers.ts';

/** A node of the drawn graph: an operator, a model input/output, or a collapsed block. */
export interface GraphNode {
  /** Node name (a block's key, e.g. `/layers.3`). */
  name: string;
  /** Operator type; `Input`, `Output`, or `Block` for a collapsed block. */
  op: string;
  /** Parameters (summed over a block). */
  params: number;
  /** The structure node, when it is one. */
  node?: NodeStructure;
  /** The block's member nodes, when it is a collapsed block. */
  members?: NodeStructure[];
}

/** Detail of `glass-select`: the node's structure data, or `{name: null}` when cleared. */
export interface GraphSelectDetail {
  name: string | null;
  op?: string;
  inputs?: string[];
  outputs?: string[];
  shapes?: Record<string, number[] | null>;
  params?: number;
  flops?: number;
  attributes?: Record<string, unknown>;
  /** For a collapsed block: its member count and op sequence. */
  block?: { key: string; nodes: number; ops: string[] };
}

// Colors by operator family (Okabe–Ito based); unknown ops get a palette color by hash.
const FAMILIES: [RegExp, Rgba][] = [
  [/^(Conv|ConvTranspose)$/, [0, 114, 178, 255]],
  [/^(MatMul|Gemm|MatMulInteger|QLinearMatMul|Einsum)$/, [86, 180, 233, 255]],
  [
    /^(Relu|Gelu|Sigmoid|Tanh|LeakyRelu|Elu|Selu|Softplus|HardSigmoid|HardSwish|Erf|Mish|Silu|Clip)$/,
    [230, 159, 0, 255],
  ],
  [/Norm/, [0, 158, 115, 255]],
  [/Pool/, [148, 103, 189, 255]],
  [/^(Softmax|LogSoftmax|Attention|MultiHeadAttention)$/, [213, 94, 0, 255]],
  [/^(Add|Sub|Mul|Div|Pow|Sqrt|Exp|Log|Neg|Abs|Min|Max|Sum|Mean|Reciprocal)$/, [
    204,
    121,
    167,
    255,
  ]],
  [
    /^(Reshape|Flatten|Transpose|Squeeze|Unsqueeze|Concat|Split|Slice|Gather|Shape|Expand|Cast|Identity|Constant|ConstantOfShape|Range|Tile|Pad)$/,
    [160, 160, 160, 255],
  ],
  [/^(Input|Output)$/, [60, 60, 60, 255]],
  [/^Block$/, [120, 94, 60, 255]],
];

/** The color of an operator type. */
export function opColor(op: string): Rgba {
  for (const [re, c] of FAMILIES) if (re.test(op)) return c;
  let h = 0;
  for (let i = 0; i < op.length; i++) h = (h * 31 + op.charCodeAt(i)) | 0;
  return categorical(Math.abs(h));
}

// A path segment that ends in a number: `layers.3`, `h_0`, `block3`, or a bare `3` after a name.
const BLOCK_SEGMENT = /^(.*?[._]?)(\d+)$/;

/** Finds repeated blocks: name-prefix groups (`/layers.N`) whose op sequences are identical. */
export function findBlocks(nodes: readonly NodeStructure[]): Map<string, NodeStructure[]> {
  const groups = new Map<string, { family: string; members: NodeStructure[] }>();
  for (const node of nodes) {
    const parts = node.name.split('/');
    for (let s = 0; s < parts.length - 1; s++) {
      const m = BLOCK_SEGMENT.exec(parts[s]);
      if (!m || (!m[1] && s === 0)) continue;
      const key = parts.slice(0, s + 1).join('/');
      const family = `${parts.slice(0, s).join('/')}/${m[1]}#`;
      let g = groups.get(key);
      if (!g) groups.set(key, g = { family, members: [] });
      g.members.push(node);
      break;
    }
  }
  // Group keys by family and op signature; keep those that repeat.
  const bySignature = new Map<string, string[]>();
  for (const [key, g] of groups) {
    const sig = `${g.family}|${g.members.map((m) => m.op).join(',')}`;
    const list = bySignature.get(sig) ?? [];
    list.push(key);
    bySignature.set(sig, list);
  }
  const blocks = new Map<string, NodeStructure[]>();
  for (const keys of bySignature.values()) {
    if (keys.length < 2) continue;
    for (const key of keys) {
      const members = groups.get(key)!.members;
      if (members.length >= 2) blocks.set(key, members);
    }
  }
  return blocks;
}

const NODE_W = 132;
const NODE_H = 36;
/** The zoom from which node labels are drawn: a node ≥ 105 px wide, text ≥ 9 px. */
const LABEL_SCALE = 0.8;
const BLOCK_W = 168;
const BLOCK_H = 48;

// Per vertex: center xy, corner xy (±0.5), size wh, color rgb.
const NODE_FLOATS = 9;

const NODE_VERT = `
precision highp float;
attribute vec2 corner;
attribute vec2 center, size;
attribute vec3 color;
attribute float flag;
uniform mat3 view; // world -> clip (shared/view_transform.ts)
uniform float pixels;
varying vec4 vColor;
varying vec2 vLocal;
varying vec2 vHalf;
varying float vFlag;
void main() {
  vec2 p = center + corner * size;
  gl_Position = vec4((view * vec3(p, 1.0)).xy, 0.0, 1.0);
  vColor = vec4(color, 1.0);
  vLocal = corner * size * pixels;
  vHalf = size * 0.5 * pixels;
  vFlag = flag;
}`;

const NODE_FRAG = `
precision highp float;
varying vec4 vColor;
varying vec2 vLocal;
varying vec2 vHalf;
varying float vFlag;
uniform vec4 selectColor, focusColor;
void main() {
  vec2 d = vHalf - abs(vLocal);
  float edge = min(d.x, d.y);
  vec4 c = vFlag > 0.5 && vFlag < 1.5 ? selectColor : vColor;
  if (vFlag > 1.5 && edge < 3.0) c = focusColor;
  else if (edge < 1.0) c = vec4(c.rgb * 0.6, 1.0);
  gl_FragColor = vec4(c.rgb, 1.0);
}`;

const EDGE_VERT = `
precision highp float;
attribute vec2 position;
uniform mat3 view;
void main() { gl_Position = vec4((view * vec3(position, 1.0)).xy, 0.0, 1.0); }`;

const EDGE_FRAG = `
precision highp float;
uniform vec4 color;
void main() { gl_FragColor = color; }`;

/**
 * The model graph. Set `structure` to the object `modelStructure(model)` returns. Drag or arrows
 * pan, wheel or +/− zoom, 0 refits; click a node or focus one with `]`/`[` (next/previous) and
 * press Enter to select it; Space (or double-click) expands or collapses a repeated block.
 * Layout is dagre, in segments of 250 nodes with a yield between them (progress bar), and an
 * O(N+E) layered layout above `dagreLimit` nodes (dagre overflows its stack at ~3,000).
 *
 * @example
 * ```html
 * <glass-graph style="height: 600px"></glass-graph>
 * <script type="module">
 *   import './components/mod.ts';
 *   document.querySelector('glass-graph').structure = modelStructure(model);
 * </script>
 * ```
 *
 * @fires glass-select - a node was selected or cleared; detail {@link GraphSelectDetail}.
 * @fires glass-toggle - a repeated block was expanded or collapsed; detail `{key, expanded}`.
 * @fires glass-layout - layout finished; detail `{nodes, edges, ms, method}`.
 * @csspart frame - the focusable area holding the canvas.
 * @csspart canvas - the WebGL canvas.
 * @csspart labels - the layer of node labels.
 * @csspart label - one node label.
 * @csspart legend - the op color legend.
 * @csspart progress - the layout progress bar.
 * @csspart message - the bad-data / lost-context message.
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text color.
 * @cssprop --glass-select-color - the selected node (default #e6007e).
 * @cssprop --glass-focus-color - the keyboard-focused node outline (default #0072b2).
 * @cssprop --glass-edge-color - edges (default #9a9aa0).
 * @cssprop --glass-error-color - message color.
 */
export class GlassGraph extends GlassElement {
  static override properties: PropertyDeclarations = {
    structure: { attribute: false },
    collapse: { type: Boolean },
    expanded: { attribute: false },
    selected: { type: String },
    dagreLimit: { type: Number, attribute: 'dagre-limit' },
    label: { type: String },
    _progress: { state: true },
    _viewTick: { state: true },
  };

  static override styles: CSSResultGroup = unsafeCSS(
    BASE_CSS + `
:host { height: 480px; }
.frame { cursor: grab; overflow: hidden; }
.labels { position: absolute; inset: 0; pointer-events: none; overflow: hidden; }
.label { position: absolute; transform: translate(-50%, -50%); text-align: center;
  line-height: 1.15; white-space: nowrap; color: #111; font-size: 11px; }
.label b { display: block; font-weight: 600; }
.legend { position: absolute; left: 6px; bottom: 6px; display: flex; flex-wrap: wrap;
  gap: 2px 10px; max-width: 70%; pointer-events: none; padding: 3px 6px; border-radius: 4px;
  background: color-mix(in srgb, var(--glass-bg, #fff) 88%, transparent); }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 3px; vertical-align: -1px; }
progress { position: absolute; top: 6px; left: 6px; width: 200px; }
`,
  );

  /** The model structure (`modelStructure(model)`). */
  declare structure: Pick<ModelStructure, 'nodes'> & Partial<ModelStructure> | null;
  /** Collapse repeated blocks (default true). */
  declare collapse: boolean;
  /** Keys of repeated blocks shown expanded. Replace the array to change it. */
  declare expanded: string[];
  /** Name of the selected node (or block key); null for none. */
  declare selected: string | null;
  /** Largest visible node count laid out by dagre; above it the layered layout. Default 3000. */
  declare dagreLimit: number;
  /** Accessible name. */
  declare label: string;
  declare private _progress: number | null;
  declare private _viewTick: number;

  #visible: GraphNode[] = [];
  #index = new Map<string, number>();
  #edges = new Int32Array(0);
  #blocks = new Map<string, NodeStructure[]>();
  #layout: LayoutResult | null = null;
  #layoutToken = 0;
  #layoutDone: Promise<void> = Promise.resolve();
  #view: View | null = null;
  #userView = false;
  #focus = -1;
  #dirty = true;
  #flagsDirty = true;
  #gpu: { node: Buffer; flag: Buffer; edge: Buffer } | null = null;
  #commands: { nodes: DrawCommand; edges: DrawCommand } | null = null;
  #flags = new Float32Array(0);
  #drag: Drag | null = null;
  /** Milliseconds the last layout took. */
  layoutMs = 0;

  constructor() {
    super();
    this.structure = null;
    this.collapse = true;
    this.expanded = [];
    this.selected = null;
    this.dagreLimit = 3000;
    this.label = 'Model graph';
    this._progress = null;
    this._viewTick = 0;
  }

  /** Resolves when the current layout is done (and drawn on the next frame). */
  get layoutComplete(): Promise<void> {
    return this.updateComplete.then(() => this.#layoutDone);
  }

  /** The nodes currently drawn (collapsed blocks as one node each). */
  get visibleNodes(): readonly GraphNode[] {
    return this.#visible;
  }

  /** The repeated blocks found (key → member nodes). */
  get blocks(): ReadonlyMap<string, readonly NodeStructure[]> {
    return this.#blocks;
  }

  /** The current view. */
  get view(): View | null {
    return this.#view;
  }

  /** Screen center (CSS pixels) of the drawn node named `name`, or null. */
  screenOf(name: string): [number, number] | null {
    const i = this.#index.get(name);
    const l = this.#layout;
    const v = this.#ensureView();
    if (i === undefined || !l || !v) return null;
    const [x, y] = vec2d.transformMat3([l.x[i], l.y[i]], screenFromWorld(v, this.#viewSize()));
    return [x, y];
  }

  /** The drawn node at a screen position (CSS pixels), or −1. */
  pick(sx: number, sy: number): number {
    const l = this.#layout;
    const v = this.#ensureView();
    if (!l || !v) return -1;
    const [wx, wy] = vec2d.transformMat3([sx, sy], worldFromScreen(v, this.#viewSize()));
    for (let i = 0; i < this.#visible.length; i++) {
      const [w, h] = this.#size(i);
      if (Math.abs(l.x[i] - wx) <= w / 2 && Math.abs(l.y[i] - wy) <= h / 2) return i;
    }
    return -1;
  }

  /** Expands or collapses the repeated block `key`. */
  toggleBlock(key: string): void {
    if (!this.#blocks.has(key)) return;
    const open = this.expanded.includes(key);
    this.expanded = open ? this.expanded.filter((k) => k !== key) : [...this.expanded, key];
    emit(this, 'glass-toggle', { key, expanded: !open });
  }

  #size(i: number): [number, number] {
    return this.#visible[i].op === 'Block' ? [BLOCK_W, BLOCK_H] : [NODE_W, NODE_H];
  }

  #validate(): string {
    const s = this.structure;
    if (!s) return '';
    if (!Array.isArray(s.nodes)) return 'structure.nodes must be an array of nodes.';
    if (s.nodes.length === 0) return 'The model has no nodes.';
    for (let i = 0; i < s.nodes.length; i++) {
      const n = s.nodes[i];
      if (!n || typeof n.name !== 'string' || typeof n.op !== 'string') {
        return `Node ${i} has no name or op.`;
      }
      if (!Array.isArray(n.inputs) || !Array.isArray(n.outputs)) {
        return `Node ${n.name} (${n.op}) has no inputs/outputs arrays.`;
      }
      if (n.params !== undefined && !Number.isFinite(n.params)) {
        return `Node ${n.name} (${n.op}) has a non-finite parameter count: ${n.params}.`;
      }
    }
    return '';
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('structure')) {
      this._message = this.#validate();
      this.#blocks = this._message || !this.structure
        ? new Map()
        : findBlocks(this.structure.nodes);
    }
    if (['structure', 'collapse', 'expanded', 'dagreLimit'].some((k) => changed.has(k))) {
      this.#build();
    }
    if (['selected'].some((k) => changed.has(k))) this.#flagsDirty = true;
  }

  #build(): void {
    const s = this.structure;
    this.#visible = [];
    this.#index = new Map();
    this.#layout = null;
    this.#edges = new Int32Array(0);
    this.#dirty = true;
    this.#flagsDirty = true;
    const token = ++this.#layoutToken;
    if (!s || this._message) {
      this.#layoutDone = Promise.resolve();
      this._progress = null;
      return;
    }
    const owner = new Map<NodeStructure, string>();
    if (this.collapse) {
      for (const [key, members] of this.#blocks) {
        if (this.expanded.includes(key)) continue;
        for (const m of members) owner.set(m, key);
      }
    }
    const add = (g: GraphNode) => {
      this.#index.set(g.name, this.#visible.length);
      this.#visible.push(g);
    };
    const consumed = new Set<string>();
    for (const n of s.nodes) for (const t of n.inputs) consumed.add(t);
    for (const input of s.inputs ?? []) {
      if (consumed.has(input.name)) add({ name: input.name, op: 'Input', params: 0 });
    }
    const producer = new Map<string, number>();
    for (const input of s.inputs ?? []) {
      const i = this.#index.get(input.name);
      if (i !== undefined) producer.set(input.name, i);
    }
    for (const n of s.nodes) {
      const key = owner.get(n);
      let id: number;
      if (key) {
        id = this.#index.get(key) ?? -1;
        if (id < 0) {
          const members = this.#blocks.get(key)!;
          add({
            name: key,
            op: 'Block',
            params: members.reduce((a, m) => a + (m.params || 0), 0),
            members,
          });
          id = this.#visible.length - 1;
        }
      } else {
        add({ name: n.name, op: n.op, params: n.params || 0, node: n });
        id = this.#visible.length - 1;
      }
      for (const t of n.outputs) producer.set(t, id);
    }
    const outputs = (s.outputs ?? []).filter((o) => producer.has(o.name));
    for (const o of outputs) add({ name: `output:${o.name}`, op: 'Output', params: 0 });
    const seen = new Set<number>();
    const edges: number[] = [];
    const n = this.#visible.length;
    const link = (a: number, b: number) => {
      if (a === b) return;
      const k = a * n + b;
      if (seen.has(k)) return;
      seen.add(k);
      edges.push(a, b);
    };
    for (const node of s.nodes) {
      const key = owner.get(node);
      const to = key ? this.#index.get(key)! : this.#index.get(node.name)!;
      for (const t of node.inputs) {
        const from = producer.get(t);
        if (from !== undefined) link(from, to);
      }
    }
    for (const o of outputs) link(producer.get(o.name)!, this.#index.get(`output:${o.name}`)!);
    this.#edges = new Int32Array(edges);
    if (this.selected !== null && !this.#index.has(this.selected)) this.selected = null;
    this.#focus = Math.min(this.#focus, n - 1);
    const widths = new Float32Array(n);
    const heights = new Float32Array(n);
    for (let i = 0; i < n; i++) [widths[i], heights[i]] = this.#size(i);
    const t0 = performance.now();
    this._progress = 0;
    this.#layoutDone = layoutGraph({ widths, heights, edges: this.#edges }, {
      dagreLimit: this.dagreLimit,
      onProgress: (f) => {
        if (token === this.#layoutToken) this._progress = f;
      },
      cancelled: () => token !== this.#layoutToken,
    }).then((layout) => {
      if (!layout || token !== this.#layoutToken) return;
      this.layoutMs = performance.now() - t0;
      this.#layout = layout;
      this.#dirty = true;
      if (!this.#userView) this.#view = null;
      this._progress = null;
      emit(this, 'glass-layout', {
        nodes: n,
        edges: edges.length / 2,
        ms: this.layoutMs,
        method: layout.method,
      });
      this.requestUpdate();
      return this.updateComplete.then(() => {});
    }).catch((e: Error) => {
      this._message = `Layout failed: ${e.message}`;
    });
  }

  #ensureView(): View | null {
    if (!this.#view && this.#layout && this.width > 0) {
      const [x0, y0, x1, y1] = this.#layout.box;
      const fit = fitView([x0, y0, x1, y1], this.width, this.height, 16);
      // Tall graphs: start at the top at a zoom where labels are drawn and readable,
      // rather than a 10,000-node sliver.
      if (fit.scale < LABEL_SCALE) {
        fit.scale = LABEL_SCALE;
        fit.cy = y0 + (this.height / 2 - 16) / fit.scale;
      }
      this.#view = fit;
    }
    return this.#view;
  }

  protected override glCreated(regl: Regl): void {
    this.#gpu = null;
    this.#dirty = true;
    this.#flagsDirty = true;
    const node = regl.buffer({ usage: 'static', type: 'float', length: 4 });
    const flag = regl.buffer({ usage: 'dynamic', type: 'float', length: 4 });
    const edge = regl.buffer({ usage: 'static', type: 'float', length: 4 });
    this.#gpu = { node, flag, edge };
    const uniforms = { view: regl.prop<{ view: Float32Array }, 'view'>('view') };
    // Two triangles per node, not instancing: SwiftShader drew 10k instanced quads in 219 ms
    // and the same quads as plain triangles in 37 ms.
    const stride = NODE_FLOATS * 4;
    this.#commands = {
      nodes: regl({
        vert: NODE_VERT,
        frag: NODE_FRAG,
        attributes: {
          center: { buffer: node, offset: 0, stride },
          corner: { buffer: node, offset: 8, stride },
          size: { buffer: node, offset: 16, stride },
          color: { buffer: node, offset: 24, stride, size: 3 },
          flag: { buffer: flag, size: 1 },
        },
        uniforms: {
          ...uniforms,
          pixels: regl.prop<{ pixels: number }, 'pixels'>('pixels'),
          selectColor: regl.prop<{ selectColor: number[] }, 'selectColor'>('selectColor'),
          focusColor: regl.prop<{ focusColor: number[] }, 'focusColor'>('focusColor'),
        },
        count: regl.prop<{ count: number }, 'count'>('count'),
      }),
      edges: regl({
        vert: EDGE_VERT,
        frag: EDGE_FRAG,
        attributes: { position: edge },
        uniforms: { ...uniforms, color: regl.prop<{ color: number[] }, 'color'>('color') },
        primitive: 'lines',
        count: regl.prop<{ count: number }, 'count'>('count'),
      }),
    };
  }

  protected override glSync(): void {
    const gpu = this.#gpu;
    const l = this.#layout;
    if (!gpu || !l) return;
    const n = this.#visible.length;
    if (this.#dirty) {
      const data = new Float32Array(n * 6 * NODE_FLOATS);
      const corners = [-0.5, -0.5, 0.5, -0.5, -0.5, 0.5, -0.5, 0.5, 0.5, -0.5, 0.5, 0.5];
      let k = 0;
      for (let i = 0; i < n; i++) {
        const [w, h] = this.#size(i);
        const c = opColor(this.#visible[i].op);
        for (let v = 0; v < 6; v++) {
          data[k++] = l.x[i];
          data[k++] = l.y[i];
          data[k++] = corners[2 * v];
          data[k++] = corners[2 * v + 1];
          data[k++] = w;
          data[k++] = h;
          data[k++] = c[0] / 255;
          data[k++] = c[1] / 255;
          data[k++] = c[2] / 255;
        }
      }
      gpu.node({ data, usage: 'static' });
      gpu.edge({ data: l.segments.length ? l.segments : new Float32Array(4), usage: 'static' });
      this.#dirty = false;
      this.#flagsDirty = true;
    }
    if (this.#flagsDirty) {
      if (this.#flags.length !== n * 6) this.#flags = new Float32Array(n * 6);
      this.#flags.fill(0);
      if (this.#focus >= 0 && this.#focus < n) {
        this.#flags.fill(2, this.#focus * 6, this.#focus * 6 + 6);
      }
      const sel = this.selected === null ? undefined : this.#index.get(this.selected);
      if (sel !== undefined) this.#flags.fill(1, sel * 6, sel * 6 + 6);
      gpu.flag({ data: this.#flags, usage: 'dynamic' });
      this.#flagsDirty = false;
    }
  }

  protected override glReleased(): void {
    this.#gpu = null;
    this.#commands = null;
  }

  protected override resized(): void {
    if (!this.#userView) this.#view = null;
  }

  protected override draw(regl: Regl): void {
    const bg = hostBackground(this);
    regl.clear({ color: bg.map((x) => x / 255) as [number, number, number, number], depth: 1 });
    const v = this.#ensureView();
    const l = this.#layout;
    if (!this.#commands || !v || !l || this._message) return;
    const common = { view: glslMat3(clipFromWorld(v, this.#viewSize())) };
    const norm = (c: Rgba) => c.map((x) => x / 255);
    if (l.segments.length) {
      this.#commands.edges({
        ...common,
        count: l.segments.length / 2,
        color: norm(cssColor(this, '--glass-edge-color', [154, 154, 160, 255])),
      });
    }
    this.#commands.nodes({
      ...common,
      count: this.#visible.length * 6,
      pixels: v.scale * (globalThis.devicePixelRatio || 1),
      selectColor: norm(cssColor(this, '--glass-select-color', [230, 0, 126, 255])),
      focusColor: norm(cssColor(this, '--glass-focus-color', [0, 114, 178, 255])),
    });
  }

  #viewSize(): ViewSize {
    return { width: this.width, height: this.height };
  }

  #setView(view: View | null): void {
    this.#view = view;
    this._viewTick++;
    this.requestDraw();
  }

  #detail(i: number): GraphSelectDetail {
    if (i < 0) return { name: null };
    const g = this.#visible[i];
    if (g.members) {
      const ops = g.members.map((m) => m.op);
      return {
        name: g.name,
        op: 'Block',
        params: g.params,
        flops: g.members.reduce((a, m) => a + (m.flops || 0), 0),
        block: { key: g.name, nodes: g.members.length, ops },
      };
    }
    if (g.node) {
      const { name, op, inputs, outputs, shapes, params, flops, attributes } = g.node;
      return { name, op, inputs, outputs, shapes, params, flops, attributes };
    }
    return { name: g.name, op: g.op, params: 0 };
  }

  /** Pans (keeping the zoom) so that the drawn node or block `name` is at the centre. */
  centerOn(name: string): void {
    const v = this.#ensureView();
    const l = this.#layout;
    const i = this.#visible.findIndex((g) => g.name === name);
    if (!v || !l || i < 0) return;
    this.#userView = true;
    this.#setView({ ...v, cx: l.x[i], cy: l.y[i] });
  }

  /** The key of the collapsed (drawn) block that holds the node `name`, or null. */
  blockOf(name: string): string | null {
    for (const g of this.#visible) {
      if (g.members?.some((m) => m.name === name)) return g.name;
    }
    return null;
  }

  /** Name of the drawn node with the keyboard focus (`]`/`[`, {@linkcode focusNode}), or null. */
  get focused(): string | null {
    return this.#visible[this.#focus]?.name ?? null;
  }

  /**
   * Gives the drawn node `name` (or the collapsed block holding it) the keyboard focus, draws its
   * focus outline and pans to it, as `]`/`[` do; Enter then selects it. Returns the drawn name
   * focused, or null when no such node is drawn (or the layout is not done).
   */
  focusNode(name: string): string | null {
    let i = this.#index.get(name);
    if (i === undefined) {
      const key = this.blockOf(name);
      if (key !== null) i = this.#index.get(key);
    }
    if (i === undefined || !this.#layout) return null;
    this.#focus = i;
    this.#flagsDirty = true;
    this.centerOn(this.#visible[i].name);
    this.requestUpdate();
    return this.#visible[i].name;
  }

  /** Selects the drawn node `i` (−1 clears) and fires `glass-select`. */
  selectIndex(i: number): void {
    this.selected = i >= 0 ? this.#visible[i].name : null;
    emit(this, 'glass-select', this.#detail(i));
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
    const d = this.#drag;
    if (!d) return;
    const [x, y] = this.#local(e);
    const next = draggedView(d, x, y);
    if (!next) return;
    this.#userView = true;
    this.#setView(next);
  };

  #onPointerUp = (e: PointerEvent) => {
    const d = this.#drag;
    this.#drag = null;
    if (!d || d.moved) return;
    const [x, y] = this.#local(e);
    const i = this.pick(x, y);
    if (i >= 0) this.#focus = i;
    // A click on empty space clears the selection; with nothing selected it does nothing (it
    // used to fire a `{name: null}` select on every such click).
    if (i < 0 && this.selected === null) return;
    this.selectIndex(i);
  };

  #onDblClick = (e: MouseEvent) => {
    const [x, y] = this.#local(e);
    const i = this.pick(x, y);
    if (i >= 0) this.#toggleAt(i);
  };

  #toggleAt(i: number): void {
    const g = this.#visible[i];
    if (g.members) return this.toggleBlock(g.name);
    const key = [...this.#blocks.keys()].find((k) => g.name.startsWith(`${k}/`));
    if (key) this.toggleBlock(key);
  }

  #onWheel = (e: WheelEvent) => {
    const v = this.#ensureView();
    if (!v) return;
    e.preventDefault();
    const [x, y] = this.#local(e);
    this.#userView = true;
    this.#setView(zoomAt(v, Math.exp(-e.deltaY * 0.002), x, y, this.width, this.height));
  };

  #onKey = (e: KeyboardEvent) => {
    const v = this.#ensureView();
    const n = this.#visible.length;
    if (!v || !n) return;
    if (e.key === ']' || e.key === '[') {
      e.preventDefault();
      this.#focus = e.key === ']' ? (this.#focus + 1) % n : (this.#focus - 1 + n) % n;
      this.#flagsDirty = true;
      const l = this.#layout!;
      this.#setView({ ...v, cx: l.x[this.#focus], cy: l.y[this.#focus] });
      this.requestUpdate();
      return;
    }
    if (e.key === 'Enter' && this.#focus >= 0) {
      e.preventDefault();
      this.selectIndex(this.#focus);
      return;
    }
    if (e.key === ' ' && this.#focus >= 0) {
      e.preventDefault();
      this.#toggleAt(this.#focus);
      return;
    }
    if (e.key === 'Escape') {
      this.selectIndex(-1);
      return;
    }
    const next = keyView(e.key, v, this.width, this.height);
    if (!next) return;
    e.preventDefault();
    this.#userView = next !== 'fit';
    this.#setView(next === 'fit' ? null : next);
  };

  #labels() {
    const v = this.#ensureView();
    const l = this.#layout;
    if (!v || !l || v.scale < LABEL_SCALE) return '';
    const out = [];
    const toScreen = screenFromWorld(v, this.#viewSize());
    const at = vec2d.create();
    for (let i = 0; i < this.#visible.length && out.length < 400; i++) {
      const [sx, sy] = vec2d.transformMat3(vec2d.set(l.x[i], l.y[i], at), toScreen, at);
      if (sx < -100 || sx > this.width + 100 || sy < -40 || sy > this.height + 40) continue;
      const g = this.#visible[i];
      const shape = g.node ? g.node.shapes[g.node.outputs[0]] : null;
      const sub = g.members
        ? `${g.members.length} ops · ${compact(g.params)} params`
        : [shape ? `[${shape.join('×')}]` : '', g.params ? `${compact(g.params)} p` : '']
          .filter(Boolean).join(' · ');
      const name = g.members ? g.name : g.op;
      const fontPx = Math.min(13, 11 * v.scale).toFixed(1);
      out.push(html`
        <div class="label" part="label"
          style="left:${sx}px;top:${sy}px;font-size:${fontPx}px"><b>${name}</b>${sub}</div>
      `);
    }
    return out;
  }

  #legend() {
    const counts = new Map<string, number>();
    for (const g of this.#visible) counts.set(g.op, (counts.get(g.op) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([op, c]) =>
      html`<span><span class="swatch" style="background:${
        cssOf(opColor(op))
      }"></span>${op} ${c}</span>`
    );
  }

  #summary(): string {
    if (this._message) return this._message;
    const s = this.structure;
    if (!s) return 'No model.';
    const collapsed = this.collapse
      ? [...this.#blocks.keys()].filter((k) => !this.expanded.includes(k)).length
      : 0;
    const params = s.nodes.reduce((a, n) => a + (n.params || 0), 0);
    const parts = [
      `Model graph: ${s.nodes.length} nodes, ${this.#visible.length} shown`,
      `${compact(params)} parameters`,
    ];
    if (collapsed) parts.push(`${collapsed} repeated blocks collapsed`);
    const sel = this.selected === null ? undefined : this.#index.get(this.selected);
    if (sel !== undefined) {
      const g = this.#visible[sel];
      parts.push(`selected ${g.name} (${g.op}, ${compact(g.params)} parameters)`);
    }
    if (this.#focus >= 0 && this.#focus < this.#visible.length) {
      parts.push(`focused ${this.#visible[this.#focus].name}`);
    }
    return parts.join('; ') + '.';
  }

  override render(): TemplateResult {
    return html`
      <div class="frame" part="frame" tabindex="0" role="application"
        aria-roledescription="graph" aria-label=${this.label} aria-describedby="summary"
        @pointerdown=${this.#onPointerDown} @pointermove=${this.#onPointerMove}
        @pointerup=${this.#onPointerUp} @dblclick=${this.#onDblClick}
        @wheel=${this.#onWheel} @keydown=${this.#onKey}>
        <canvas part="canvas"></canvas>
        <div class="labels" part="labels">${this.#labels()}</div>
      </div>
      ${this._progress !== null
        ? html`
          <progress part="progress" max="1" .value=${this._progress}
            aria-label="Laying out the graph"></progress>
        `
        : ''}
      <div class="legend" part="legend">${this.#legend()}</div>
      <div class="message" part="message" role="alert" ?hidden=${!this.message}>${this
        .message}</div>
      <p class="summary" id="summary" aria-live="polite">${this.#summary()}</p>
    `;
  }
}

customElements.get('glass-graph') ?? customElements.define('glass-graph', GlassGraph);
