/**
 * Formatting for `<glass-surrogate>`: names of classes and input features, leaf classes, the
 * fidelity panel and the screen-reader summary of a prepared surrogate.
 *
 * @module
 */

import { html, nothing, type TemplateResult } from 'lit';
import type { Surrogate } from '../../src/global/surrogate.ts';
import type { TreeNode } from '../../src/global/onnx_export.ts';
import { formatValue } from '../shared/data.ts';
import type { Prepared } from './prepare.ts';

/** How the element names classes and input features (its `classNames` / `featureNames`). */
export interface SurrogateNames {
  /** The name of class `c` (default `class c`). */
  className(c: number): string;
  /** The name of flattened input feature `f` (default {@linkcode featureName}). */
  featureName(f: number): string;
}

/** A readable name of a flattened input feature (as `featureName()` in src/global/surrogate.ts). */
export function featureName(shape: readonly number[], f: number): string {
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

/** A fraction as a percentage with one decimal. */
export const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** Leaf class, probability (softmax of the leaf's log-probabilities). */
export function leafClass(v: ArrayLike<number>): { cls: number; p: number } {
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

/** The `fidelity` part: agreement, KL, train agreement, accuracies and the split. */
export function renderFidelity(s: Surrogate): TemplateResult {
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

/** The text summary for screen readers: fidelity, accuracy, and the rules or templates. */
export function summarize(s: Surrogate, p: Prepared, names: SurrogateNames): string {
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
          `if ${path.join(' and ') || 'always'} then ${names.className(cls)} ` +
            `(p ${prob.toFixed(2)}, n ${n.count})`,
        );
        return;
      }
      const name = names.featureName(n.feature);
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
