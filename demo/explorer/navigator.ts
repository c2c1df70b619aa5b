/**
 * The graph as the navigator: `<glass-graph>` drawing the opened model (its planned structure,
 * or one built from the parsed graph when it cannot be planned), a search box over node names
 * and operators, and keyboard navigation along the nodes in execution order. Selecting a node
 * sets `session.select(name)`; a selection made elsewhere is shown and centred here.
 *
 * Keys (outside text fields): `j`/`k` (and ↓/↑ where the graph does not use them to pan) move
 * the focus to the next/previous node, Enter opens the focused node, Escape clears the
 * selection, `/` goes to the search box. In the search box ↓/↑ move through the matches, Enter
 * opens the active one, Escape clears the search.
 *
 * @module
 */

import '../../components/graph.ts';
import type { GlassGraph, GraphSelectDetail } from '../../components/graph.ts';
import type { NodeStructure } from '../../src/mod.ts';
import type { Session } from './session.ts';
import { drawnStructure } from './open.ts';
import { mountExportButtons } from './export.ts';

/** Most matches listed under the search box. */
export const MAX_MATCHES = 50;

/**
 * Nodes matching `query` (case-insensitive substring of the name or the op; an exact op match
 * first, then name prefix matches, then the rest, each in execution order).
 */
export function searchNodes(
  nodes: readonly Pick<NodeStructure, 'name' | 'op'>[],
  query: string,
): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const exact: number[] = [];
  const prefix: number[] = [];
  const other: number[] = [];
  nodes.forEach((n, i) => {
    const name = n.name.toLowerCase();
    const op = n.op.toLowerCase();
    if (op === q || name === q) exact.push(i);
    else if (name.startsWith(q) || name.split('/').some((p) => p.startsWith(q))) prefix.push(i);
    else if (name.includes(q) || op.includes(q)) other.push(i);
  });
  return [...exact, ...prefix, ...other];
}

const CSS = `
.glass-navigator { display: grid; gap: 6px; }
.glass-navigator .search { position: relative; }
.glass-navigator input[type=search] { width: 100%; box-sizing: border-box; }
.glass-navigator .matches { list-style: none; margin: 0; padding: 0; max-height: 14em;
  overflow: auto; border: 1px solid #ccc; }
.glass-navigator .matches[hidden] { display: none; }
.glass-navigator .matches li { padding: 1px 6px; cursor: pointer; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.glass-navigator .matches li[aria-selected=true] { background: #0072b2; color: #fff; }
.glass-navigator .matches li small { opacity: 0.75; margin-left: 6px; }
.glass-navigator glass-graph { height: 520px; }
.glass-navigator .hint { margin: 0; font-size: 0.85em; opacity: 0.75; }
`;

/** What {@linkcode mountNavigator} returns. */
export interface NavigatorPanel {
  /** The graph element. */
  graph: GlassGraph;
  /** The search box. */
  search: HTMLInputElement;
  /** Selects `name` (a node of the model) as a click would; returns whether it exists. */
  reveal(name: string): Promise<boolean>;
  /** Removes the panel. */
  destroy(): void;
}

/** Mounts the navigator (search box and graph) in `host`. */
export function mountNavigator(host: HTMLElement, session: Session): NavigatorPanel {
  const style = document.createElement('style');
  style.textContent = CSS;
  const root = document.createElement('section');
  root.className = 'glass-navigator';
  root.setAttribute('aria-label', 'Model graph');
  const search = document.createElement('input');
  search.type = 'search';
  search.placeholder = 'Find a node by name or operator (/)';
  search.setAttribute('aria-label', 'Find a node by name or operator');
  search.setAttribute('role', 'combobox');
  search.setAttribute('aria-expanded', 'false');
  search.setAttribute('aria-autocomplete', 'list');
  const list = document.createElement('ul');
  list.className = 'matches';
  list.id = `glass-matches-${Math.random().toString(36).slice(2, 8)}`;
  list.setAttribute('role', 'listbox');
  list.hidden = true;
  search.setAttribute('aria-controls', list.id);
  const count = document.createElement('p');
  count.className = 'hint';
  count.setAttribute('aria-live', 'polite');
  const graph = document.createElement('glass-graph') as GlassGraph;
  const hint = document.createElement('p');
  hint.className = 'hint';
  hint.textContent = 'Click a node, or move with j/k and open it with Enter; ' +
    'Escape clears; / finds.';
  const box = document.createElement('div');
  box.className = 'search';
  box.append(search, list);
  root.append(box, count, graph, hint);
  mountExportButtons(root, graph, 'graph');
  host.append(style, root);

  let nodes: NodeStructure[] = [];
  let matches: number[] = [];
  let active = -1;
  let cursor = -1;

  const setModel = () => {
    const opened = session.opened;
    nodes = opened ? drawnStructure(opened).nodes : [];
    graph.expanded = [];
    graph.selected = null;
    graph.structure = opened ? drawnStructure(opened) as GlassGraph['structure'] : null;
    cursor = -1;
    search.value = '';
    showMatches();
  };

  /** Shows `name` in the graph: expands the block holding it, selects and centres it. */
  const show = async (name: string | null) => {
    await graph.layoutComplete;
    if (name === null) {
      graph.selected = null;
      return;
    }
    const key = graph.blockOf(name);
    if (key !== null && !graph.expanded.includes(key)) {
      graph.expanded = [...graph.expanded, key];
      await graph.layoutComplete;
    }
    if (session.selected !== name) return;
    const i = nodes.findIndex((n) => n.name === name);
    if (i >= 0) cursor = i;
    graph.selected = graph.visibleNodes.some((g) => g.name === name) ? name : null;
    graph.focusNode(name);
  };

  const reveal = (name: string): Promise<boolean> => {
    const exists = nodes.some((n) => n.name === name) ||
      (session.opened?.ir.graph.inputs.some((v) => v.name === name) ?? false);
    if (!exists) return Promise.resolve(false);
    session.select(name);
    return show(name).then(() => true);
  };

  const showMatches = () => {
    matches = searchNodes(nodes, search.value);
    active = matches.length ? 0 : -1;
    list.replaceChildren(
      ...matches.slice(0, MAX_MATCHES).map((i, k) => {
        const li = document.createElement('li');
        li.setAttribute('role', 'option');
        li.id = `${list.id}-${k}`;
        li.dataset.name = nodes[i].name;
        li.append(nodes[i].name || `(unnamed ${nodes[i].op})`);
        const small = document.createElement('small');
        small.textContent = nodes[i].op;
        li.append(small);
        li.addEventListener('mousedown', (e) => e.preventDefault());
        li.addEventListener('click', () => void reveal(nodes[i].name));
        return li;
      }),
    );
    list.hidden = matches.length === 0;
    search.setAttribute('aria-expanded', String(!list.hidden));
    count.textContent = search.value.trim()
      ? matches.length === 0
        ? `No node matches “${search.value.trim()}”.`
        : `${matches.length} node${matches.length === 1 ? '' : 's'} match` +
          `${matches.length === 1 ? 'es' : ''}` +
          (matches.length > MAX_MATCHES ? ` (first ${MAX_MATCHES} listed)` : '') + '.'
      : '';
    markActive();
  };

  const markActive = () => {
    list.querySelectorAll('li').forEach((li, k) => {
      li.setAttribute('aria-selected', String(k === active));
      if (k === active) li.scrollIntoView?.({ block: 'nearest' });
    });
    if (active >= 0) search.setAttribute('aria-activedescendant', `${list.id}-${active}`);
    else search.removeAttribute('aria-activedescendant');
  };

  search.addEventListener('input', showMatches);
  search.addEventListener('keydown', (e) => {
    const shown = Math.min(matches.length, MAX_MATCHES);
    if (e.key === 'ArrowDown' && shown) {
      e.preventDefault();
      active = (active + 1) % shown;
      markActive();
    } else if (e.key === 'ArrowUp' && shown) {
      e.preventDefault();
      active = (active - 1 + shown) % shown;
      markActive();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (active >= 0) void reveal(nodes[matches[active]].name);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      search.value = '';
      showMatches();
    }
    e.stopPropagation();
  });

  /** Moves the focus `step` nodes along the execution order. */
  const move = (step: number) => {
    if (!nodes.length) return;
    cursor = cursor < 0 ? (step > 0 ? 0 : nodes.length - 1) : (cursor + step + nodes.length) %
      nodes.length;
    graph.focusNode(nodes[cursor].name);
    count.textContent = `Focused ${nodes[cursor].name} (${nodes[cursor].op}), node ` +
      `${cursor + 1} of ${nodes.length}; Enter opens it.`;
  };

  root.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement;
    if (target === search || e.altKey || e.ctrlKey || e.metaKey) return;
    // Arrow keys on the graph pan it (the graph handles them first); elsewhere they move.
    const arrows = !e.defaultPrevented;
    if (e.key === 'j' || (e.key === 'ArrowDown' && arrows)) {
      e.preventDefault();
      move(1);
    } else if (e.key === 'k' || (e.key === 'ArrowUp' && arrows)) {
      e.preventDefault();
      move(-1);
    } else if (e.key === 'Enter' && !e.defaultPrevented && cursor >= 0) {
      e.preventDefault();
      void reveal(nodes[cursor].name);
    } else if (e.key === 'Escape' && !e.defaultPrevented) {
      session.select(null);
    } else if (e.key === '/') {
      e.preventDefault();
      search.focus();
    }
  });

  graph.addEventListener('glass-select', (e) => {
    const d = (e as CustomEvent<GraphSelectDetail>).detail;
    if (d.block) {
      // A collapsed block opens instead of being selected: its nodes are what can be explored.
      graph.toggleBlock(d.block.key);
      graph.selected = session.selected;
      return;
    }
    const name = d.name?.startsWith('output:') ? d.name.slice('output:'.length) : d.name;
    // An output's pseudo-node shows the node that computes it.
    const node = name && d.name !== name
      ? nodes.find((n) => n.outputs.includes(name))?.name ?? null
      : name;
    const i = nodes.findIndex((n) => n.name === node);
    if (i >= 0) cursor = i;
    session.select(node ?? null);
  });

  const onSelect = () => void show(session.selected);
  session.addEventListener('model', setModel);
  session.addEventListener('select', onSelect);
  setModel();
  if (session.selected) onSelect();

  return {
    graph,
    search,
    reveal,
    destroy() {
      session.removeEventListener('model', setModel);
      session.removeEventListener('select', onSelect);
      style.remove();
      root.remove();
    },
  };
}
