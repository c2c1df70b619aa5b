/**
 * Checks a surrogate given to `<glass-surrogate>` and prepares what it shows: the templates (a
 * class's weights, or an MLP hidden unit's input weights; channels summed into one plane) with
 * their shared diverging scale, or the validated decision tree. Bad data gives a message, never
 * an exception.
 *
 * @module
 */

import type { Surrogate } from '../../src/global/surrogate.ts';
import type { TreeNode } from '../../src/global/onnx_export.ts';
import { checkShape, checkValues, formatValue, isNumeric, sizeOf } from '../shared/data.ts';

/** One template: a class's or hidden unit's weights over the inputs. */
export interface Tile {
  label: string;
  data: Float32Array;
  class?: number;
  unit?: number;
  note?: string;
}

/** What the element shows of a valid surrogate. */
export interface Prepared {
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

/** The options of the element that change what is prepared. */
export interface PrepareOptions {
  classNames: readonly string[] | null;
  featureNames: readonly string[] | null;
  /** MLP: how many of the strongest hidden units to keep. */
  topUnits: number;
  /** The name of class `c`. */
  className(c: number): string;
}

/** Deepest tree drawn (deeper ones are refused with a message). */
export const MAX_TREE_DEPTH = 64;

/** Checks `s` and prepares its templates or tree; a message when it cannot be drawn. */
export function prepareSurrogate(
  s: Surrogate | null,
  options: PrepareOptions,
): Prepared | string {
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
  if (options.classNames && options.classNames.length !== classes) {
    return `Cannot draw the surrogate: ${options.classNames.length} class names for ${classes} ` +
      'classes';
  }
  const d = sizeOf(s.inputShape);
  if (options.featureNames && options.featureNames.length !== d) {
    return `Cannot draw the surrogate: ${options.featureNames.length} feature names for ${d} ` +
      'features';
  }
  const rank = s.inputShape.length;
  const image = rank === 1 ? null : { w: s.inputShape[rank - 1], h: s.inputShape[rank - 2] };
  const base = { image, d, tree: null, leaves: 0, depth: 0 };
  if (s.kind === 'tree') {
    const t = checkTree(s.tree, d, classes, 0);
    if (typeof t === 'string') return t;
    return { ...base, tiles: [], scale: 1, tree: s.tree!, ...t };
  }
  let tiles: Tile[];
  if (s.kind === 'linear') {
    const bad = checkValues(s.templates, classes * d, 'the templates');
    if (bad) return bad;
    const t = s.templates!;
    tiles = Array.from({ length: classes }, (_, c) => ({
      label: options.className(c),
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
    const k = Math.max(1, Math.min(hidden, Math.floor(options.topUnits) || 8));
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
        toward = ` → ${options.className(best)}`;
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

/** Checks a (sub)tree: its leaves hold `classes` values, its splits name one of `d` inputs. */
export function checkTree(
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
  const l = checkTree(n.left, d, classes, depth + 1);
  if (typeof l === 'string') return l;
  const r = checkTree(n.right, d, classes, depth + 1);
  if (typeof r === 'string') return r;
  return { leaves: l.leaves + r.leaves, depth: Math.max(l.depth, r.depth) };
}
