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
 * The element is split by concern under `surrogate/`: `prepare.ts` (checks, templates),
 * `templates.ts` (grid layout, hit testing, image and bar views), `draw.ts` (WebGL), `tree.ts`
 * (rule tree), `format.ts` (names, fidelity panel, summary) and `styles.ts`.
 *
 * @module
 */

import { html, type PropertyDeclarations, type TemplateResult } from 'lit';
import type { Surrogate } from '../src/global/surrogate.ts';
import { GlassElement } from './shared/glass_element.ts';
import { ReglController } from './shared/regl_controller.ts';
import { featureName, renderFidelity, summarize, type SurrogateNames } from './surrogate/format.ts';
import { type Prepared, prepareSurrogate } from './surrogate/prepare.ts';
import {
  destroyTemplateTextures,
  drawTemplates,
  type TemplateTextures,
  templateTextures,
} from './surrogate/draw.ts';
import { surrogateStyles } from './surrogate/styles.ts';
import {
  layoutTemplates,
  renderBars,
  renderImages,
  templateAt,
  templateDetail,
  type TemplateLayout,
  type TemplatesView,
} from './surrogate/templates.ts';
import {
  nodeAt,
  nodeDetail,
  renderTree,
  type SurrogateNodeDetail,
  treeRows,
} from './surrogate/tree.ts';

export type { SurrogateTemplateDetail } from './surrogate/templates.ts';
export type { SurrogateNodeDetail } from './surrogate/tree.ts';

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
  #textures: TemplateTextures | null = null;
  #dirty = true;
  #layout: TemplateLayout = { width: 0, cols: 1, tileW: 0, tileH: 0, height: 0 };
  #active = -1;
  #pixel: { x: number; y: number } | null = null;
  #collapsed = new Set<string>();
  #activeNode: string | null = null;
  #hoverNode: string | null = null;
  #names: SurrogateNames = {
    className: (c) => this.classNames?.[c] ?? `class ${c}`,
    featureName: (f) => this.featureNames?.[f] ?? featureName(this.surrogate?.inputShape ?? [], f),
  };

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
    this.#layout = layoutTemplates(this.#prepared, width);
  }

  #prepare(): void {
    this.#error = null;
    this.#prepared = null;
    this.#dirty = true;
    const r = prepareSurrogate(this.surrogate, {
      classNames: this.classNames,
      featureNames: this.featureNames,
      topUnits: this.topUnits,
      className: this.#names.className,
    });
    if (typeof r === 'string') this.#error = r;
    else this.#prepared = r;
  }

  override render(): TemplateResult {
    if (this.#error) return this.renderMessage(this.#error);
    const p = this.#prepared!;
    const s = this.surrogate!;
    if (p.image && p.tiles.length && this.renderer.error) {
      return this.renderMessage(this.renderer.error);
    }
    return html`
      ${surrogateStyles()} ${renderFidelity(s)} ${s.kind === 'tree'
        ? this.#tree(p)
        : p.image
        ? renderImages({
          ...this.#templatesView(p),
          canvas: this.renderer.canvas,
          onPointer: this.#onPointer,
          onClick: this.#onClick,
        })
        : renderBars({
          ...this.#templatesView(p),
          maxFeatures: this.maxFeatures,
          names: this.#names,
        })}
      <p id="summary" class="sr-only">${summarize(s, p, this.#names)}</p>
    `;
  }

  // --- templates (images on the canvas, or tabular bars) ---

  #templatesView(p: Prepared): TemplatesView {
    return {
      prepared: p,
      layout: this.#layout,
      label: this.label,
      kind: this.surrogate!.kind,
      active: this.#active,
      pixel: this.#pixel,
      onKey: this.#onKey,
      onLeave: this.#onLeave,
      onHover: this.#onHoverTemplate,
      onSelect: this.#onSelectTemplate,
    };
  }

  /** The template index and pixel at stage CSS coordinates, or null outside the templates. */
  templateAt(x: number, y: number): { index: number; x?: number; y?: number } | null {
    return templateAt(this.#prepared, this.#layout, x, y);
  }

  #moveTo(i: number, pixel: { x: number; y: number } | null = null): void {
    const same = i === this.#active && pixel?.x === this.#pixel?.x && pixel?.y === this.#pixel?.y;
    if (same) return;
    this.#active = i;
    this.#pixel = pixel;
    this.requestUpdate();
    this.emit('glass-hover', i < 0 ? null : templateDetail(this.#prepared!, i, pixel));
  }

  #onPointer = (e: PointerEvent) => {
    const stage = e.currentTarget as HTMLElement;
    const r = stage.getBoundingClientRect();
    const hit = this.templateAt(e.clientX - r.left, e.clientY - r.top);
    if (!hit) return this.#moveTo(-1);
    this.#moveTo(hit.index, hit.x !== undefined ? { x: hit.x, y: hit.y! } : null);
  };

  #onLeave = () => this.#moveTo(-1);

  #onHoverTemplate = (i: number) => this.#moveTo(i);

  #onSelectTemplate = (i: number) => {
    this.emit('glass-select', templateDetail(this.#prepared!, i, null));
  };

  #onClick = (e: MouseEvent) => {
    const stage = e.currentTarget as HTMLElement;
    const r = stage.getBoundingClientRect();
    const hit = this.templateAt(e.clientX - r.left, e.clientY - r.top);
    if (hit) this.emit('glass-select', templateDetail(this.#prepared!, hit.index, null));
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
          this.emit('glass-select', templateDetail(this.#prepared!, a, null));
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

  // --- tree ---

  #tree(p: Prepared): TemplateResult {
    return renderTree({
      prepared: p,
      rows: treeRows(p.tree!, this.#collapsed, this.#names),
      label: this.label,
      names: this.#names,
      collapsed: this.#collapsed,
      activeNode: this.#activeNode,
      hoverNode: this.#hoverNode,
      onKey: this.#onTreeKey,
      onHover: this.#onHoverTree,
      onSelect: this.#onSelectNode,
      onToggle: this.#onToggle,
    });
  }

  #nodeDetail(path: string): SurrogateNodeDetail {
    return nodeDetail(this.#prepared!.tree!, path, this.#names);
  }

  #onHoverTree = (path: string | null): void => {
    if (path === this.#hoverNode) return;
    this.#hoverNode = path;
    this.requestUpdate();
    this.emit('glass-hover', path === null ? null : this.#nodeDetail(path));
  };

  #onSelectNode = (path: string): void => {
    this.#activeNode = path;
    this.requestUpdate();
    this.emit('glass-select', this.#nodeDetail(path));
  };

  #onToggle = (path: string): void => this.#toggle(path);

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
    const node = nodeAt(this.#prepared?.tree ?? null, path);
    if (!node || node.feature === undefined || this.#collapsed.has(path) === collapsed) return;
    this.#toggle(path);
  }

  #onTreeKey = (e: KeyboardEvent) => {
    const p = this.#prepared;
    if (!p?.tree) return;
    const rows = treeRows(p.tree, this.#collapsed, this.#names);
    const cur = this.#activeNode;
    const i = cur === null ? -1 : rows.findIndex((r) => r.path === cur);
    const node = cur === null ? null : nodeAt(p.tree, cur);
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
    const { width, height } = this.#layout;
    this.renderer.resize(width, height);
    const dpr = this.renderer.scale;
    let tex = this.#textures;
    if (!tex || tex.gen !== this.renderer.generation || this.#dirty) {
      if (tex && tex.gen === this.renderer.generation) destroyTemplateTextures(tex);
      this.#dirty = false;
      tex = this.#textures = templateTextures(regl, p, this.renderer.generation);
    }
    regl.poll();
    const background = this.backgroundColor();
    drawTemplates(regl, { prepared: p, layout: this.#layout, textures: tex, dpr, background });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#textures = null; // destroyed with regl
  }
}

if (!customElements.get('glass-surrogate')) {
  customElements.define('glass-surrogate', GlassSurrogate);
}
