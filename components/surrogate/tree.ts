/**
 * The decision tree of `<glass-surrogate>`: its visible rows (collapsed subtrees skipped), the
 * node at a path of `L`/`R` steps, a node's event detail, and the tree as DOM (`part="tree"`).
 *
 * @module
 */

import { html, nothing, type TemplateResult } from 'lit';
import type { TreeNode } from '../../src/global/onnx_export.ts';
import { formatValue } from '../shared/data.ts';
import { leafClass, type SurrogateNames } from './format.ts';
import type { Prepared } from './prepare.ts';

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

/** A visible row of the tree: a node and the condition that leads to it. */
export interface Row {
  path: string;
  node: TreeNode;
  depth: number;
  condition: string;
}

/** The rows shown, depth first; the children of `collapsed` paths are left out. */
export function treeRows(
  tree: TreeNode,
  collapsed: ReadonlySet<string>,
  names: SurrogateNames,
): Row[] {
  const rows: Row[] = [];
  const walk = (n: TreeNode, path: string, depth: number, condition: string) => {
    rows.push({ path, node: n, depth, condition });
    if (n.feature === undefined || collapsed.has(path)) return;
    const name = names.featureName(n.feature);
    const t = formatValue(n.threshold!);
    walk(n.left!, path + 'L', depth + 1, `${name} ≤ ${t}`);
    walk(n.right!, path + 'R', depth + 1, `${name} > ${t}`);
  };
  walk(tree, '', 0, 'all examples');
  return rows;
}

/** The node at `path` (`L`/`R` steps from the root), or null when there is none. */
export function nodeAt(tree: TreeNode | null, path: string): TreeNode | null {
  let n: TreeNode | undefined = tree ?? undefined;
  for (const step of path) n = step === 'L' ? n?.left : n?.right;
  return n ?? null;
}

/** The event detail of the node at `path` (which must exist). */
export function nodeDetail(
  root: TreeNode,
  path: string,
  names: SurrogateNames,
): SurrogateNodeDetail {
  const conditions: string[] = [];
  let n = root;
  for (const step of path) {
    const name = names.featureName(n.feature!);
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
    d.label = names.className(cls);
    d.probability = p;
  } else {
    d.feature = n.feature;
    d.threshold = n.threshold;
  }
  return d;
}

/** What the tree view shows and whom it tells. */
export interface TreeView {
  prepared: Prepared;
  rows: Row[];
  /** Accessible name of the element. */
  label: string;
  names: SurrogateNames;
  collapsed: ReadonlySet<string>;
  /** The keyboard cursor's path, or null. */
  activeNode: string | null;
  /** The hovered path, or null (then the path to the cursor is highlighted). */
  hoverNode: string | null;
  onKey(e: KeyboardEvent): void;
  onHover(path: string | null): void;
  onSelect(path: string): void;
  onToggle(path: string): void;
}

/** The `tree` part: one `treeitem` row per visible node, the path to the hovered one marked. */
export function renderTree(v: TreeView): TemplateResult {
  const p = v.prepared;
  const hover = v.hoverNode ?? v.activeNode;
  const onPath = (path: string) => hover !== null && hover.startsWith(path);
  const id = (path: string) => `node-${path || 'root'}`;
  return html`
    <ul
      part="tree"
      role="tree"
      tabindex="0"
      aria-label=${`${v.label}: decision tree of depth ${p.depth} with ${p.leaves} leaves`}
      aria-describedby="summary"
      aria-activedescendant=${v.activeNode !== null ? id(v.activeNode) : nothing}
      @keydown=${v.onKey}
      @pointerleave=${() => v.onHover(null)}
    >
      ${v.rows.map((r) => {
        const leaf = r.node.feature === undefined;
        const collapsed = v.collapsed.has(r.path);
        const parts = [
          'node',
          leaf ? 'leaf' : '',
          onPath(r.path) ? 'path' : '',
          r.path === v.activeNode ? 'active' : '',
        ].filter(Boolean).join(' ');
        const lc = leaf ? leafClass(r.node.value!) : null;
        return html`
          <li
            role="treeitem"
            id=${id(r.path)}
            aria-level=${r.depth + 1}
            aria-expanded=${leaf ? nothing : collapsed ? 'false' : 'true'}
            aria-selected=${r.path === v.activeNode ? 'true' : 'false'}
          >
            <div
              part=${parts}
              data-path=${r.path}
              style="padding-left:${4 + r.depth * 16}px"
              @pointerenter=${() => v.onHover(r.path)}
              @click=${() => v.onSelect(r.path)}
            >
              ${leaf ? html`<span part="toggle" aria-hidden="true"></span>` : html`
                <button part="toggle" tabindex="-1" aria-hidden="true"
                  aria-label=${collapsed ? 'expand' : 'collapse'}
                  @click=${(e: Event) => {
                    e.stopPropagation();
                    v.onToggle(r.path);
                  }}>${collapsed ? '▸' : '▾'}</button>
              `}
              <span class="cond">${r.condition}</span>
              ${lc
                ? html`
                  <span class="leaf-class">→ ${v.names.className(lc.cls)}</span>
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
