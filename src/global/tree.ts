/**
 * A depth-limited CART decision tree on the CPU (Gini impurity on hard labels, leaves holding
 * the mean of soft targets), with printed rules: the tree surrogate of {@linkcode distill}.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import type { TreeNode } from './onnx_export.ts';

/** Options for {@linkcode fitTree}. */
export interface TreeOptions {
  /** Maximum depth (default 6). */
  depth?: number;
  /** Fewest examples in a leaf (default 5). */
  minLeaf?: number;
  /** Pseudo-count added to each class of a leaf's distribution (default 1e-3). */
  smoothing?: number;
}

/**
 * Fits a tree to rows of `x` [n, d] with class `labels` (the splits) and per-row class
 * distributions `probs` [n, classes] (the leaves' values: log of the mean distribution).
 */
export function fitTree(
  x: Float32Array,
  n: number,
  d: number,
  labels: ArrayLike<number>,
  probs: Float32Array,
  classes: number,
  options: TreeOptions = {},
): TreeNode {
  const maxDepth = options.depth ?? 6;
  const minLeaf = options.minLeaf ?? 5;
  const smoothing = options.smoothing ?? 1e-3;
  if (!Number.isInteger(maxDepth) || maxDepth < 0 || maxDepth > 16) {
    throw new ArgumentError(
      `Cannot fit tree: depth must be an integer in [0, 16], got ${maxDepth}`,
    );
  }
  const leaf = (rows: Int32Array): TreeNode => {
    const mean = new Float64Array(classes);
    for (const r of rows) for (let c = 0; c < classes; c++) mean[c] += probs[r * classes + c];
    const total = rows.length + smoothing * classes;
    const value = new Float32Array(classes);
    for (let c = 0; c < classes; c++) value[c] = Math.log((mean[c] + smoothing) / total);
    return { value, count: rows.length };
  };
  const gini = (counts: Float64Array, total: number) => {
    if (total === 0) return 0;
    let s = 0;
    for (let c = 0; c < classes; c++) s += counts[c] * counts[c];
    return 1 - s / (total * total);
  };
  const keys = new Float32Array(n);
  const grow = (rows: Int32Array, depth: number): TreeNode => {
    const m = rows.length;
    const parentCounts = new Float64Array(classes);
    for (const r of rows) parentCounts[labels[r]]++;
    const parentGini = gini(parentCounts, m);
    if (depth >= maxDepth || m < 2 * minLeaf || parentGini === 0) return leaf(rows);
    let best = { gain: 1e-12, feature: -1, threshold: 0 };
    const order = Array.from(rows);
    const left = new Float64Array(classes);
    for (let f = 0; f < d; f++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of rows) {
        const v = x[r * d + f];
        keys[r] = v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (lo === hi) continue;
      order.sort((a, b) => keys[a] - keys[b]);
      left.fill(0);
      for (let i = 0; i < m - 1; i++) {
        left[labels[order[i]]]++;
        const nl = i + 1;
        const v = keys[order[i]];
        const next = keys[order[i + 1]];
        if (v === next || nl < minLeaf || m - nl < minLeaf) continue;
        let sl = 0;
        let sr = 0;
        for (let c = 0; c < classes; c++) {
          sl += left[c] * left[c];
          const rc = parentCounts[c] - left[c];
          sr += rc * rc;
        }
        const nr = m - nl;
        const impurity = (nl - sl / nl) / m + (nr - sr / nr) / m;
        const gain = parentGini - impurity;
        if (gain > best.gain) {
          // f32 midpoint that still separates the two values
          let t = Math.fround((v + next) / 2);
          if (!(t >= v && t < next)) t = v;
          best = { gain, feature: f, threshold: t };
        }
      }
    }
    if (best.feature < 0) return leaf(rows);
    const goLeft = rows.filter((r) => x[r * d + best.feature] <= best.threshold);
    const goRight = rows.filter((r) => x[r * d + best.feature] > best.threshold);
    return {
      feature: best.feature,
      threshold: best.threshold,
      left: grow(goLeft, depth + 1),
      right: grow(goRight, depth + 1),
      count: m,
    };
  };
  return grow(Int32Array.from({ length: n }, (_, i) => i), 0);
}

/** The leaf logits for each row of `x` [n, d]: [n, classes]. */
export function predictTree(root: TreeNode, x: Float32Array, n: number, d: number): Float32Array {
  const classes = firstLeaf(root).value!.length;
  const out = new Float32Array(n * classes);
  for (let r = 0; r < n; r++) {
    let node = root;
    while (node.feature !== undefined) {
      node = x[r * d + node.feature] <= node.threshold! ? node.left! : node.right!;
    }
    out.set(node.value!, r * classes);
  }
  return out;
}

function firstLeaf(n: TreeNode): TreeNode {
  return n.feature === undefined ? n : firstLeaf(n.left!);
}

/** A printed rule per leaf: `if x[3] <= 0.5 and x[7] > 0.1 then class 2 (p 0.91, n 40)`. */
export function treeRules(
  root: TreeNode,
  featureName: (feature: number) => string = (f) => `x[${f}]`,
  className: (c: number) => string = (c) => `class ${c}`,
): string[] {
  const rules: string[] = [];
  const walk = (n: TreeNode, path: string[]) => {
    if (n.feature === undefined) {
      const v = n.value!;
      let best = 0;
      for (let c = 1; c < v.length; c++) if (v[c] > v[best]) best = c;
      const cond = path.length ? path.join(' and ') : 'always';
      rules.push(
        `if ${cond} then ${className(best)} (p ${Math.exp(v[best]).toFixed(2)}, n ${n.count})`,
      );
      return;
    }
    const name = featureName(n.feature);
    const t = Number(n.threshold!.toPrecision(4));
    walk(n.left!, [...path, `${name} <= ${t}`]);
    walk(n.right!, [...path, `${name} > ${t}`]);
  };
  walk(root, []);
  return rules;
}
