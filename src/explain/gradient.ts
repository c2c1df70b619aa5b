/**
 * The single-backward methods, all examples of a batch at once (each with its own target):
 * `gradient` (∂ target / ∂ input), `saliency` (its absolute value, Simonyan et al. 2014),
 * `input-x-gradient`, `guided-backprop` (Springenberg et al. 2015) and `lrp` (Bach et al.
 * 2015, ε and z⁺ rules).
 *
 * @module
 */

import { binary } from '../ops/binary.ts';
import { unary } from '../ops/unary.ts';
import type { Tensor } from '../tensor.ts';
import { GUIDED_BACKPROP_RULES, type LrpOptions, lrpRules } from './rules.ts';
import { batchGradients, type Subject, subjectPlan } from './subject.ts';

/** The methods computed from one backward pass. */
export type GradientMethod =
  | 'gradient'
  | 'saliency'
  | 'input-x-gradient'
  | 'guided-backprop'
  | 'lrp';

/**
 * Attributions at the subject's site for every example, [batch, ...site row]; the caller owns
 * the tensor.
 */
export function gradientAttribution(
  subject: Subject,
  method: GradientMethod,
  targets: readonly number[],
  options: LrpOptions = {},
): Tensor {
  const engine = subject.model.engine;
  const lrp = method === 'lrp';
  const needsInput = method === 'input-x-gradient';
  const plan = subjectPlan(subject);
  const graph = { plan, constant: (name: string) => subject.model.constantTensor(plan, name) };
  const result = batchGradients(subject, targets, {
    rules: lrp
      ? lrpRules({ ...options, graph })
      : method === 'guided-backprop'
      ? GUIDED_BACKPROP_RULES
      : undefined,
    seedWithOutput: lrp,
    keep: needsInput && subject.embedding ? [subject.site] : needsInput ? [subject.inputName] : [],
  });
  try {
    const g = result.grads[subject.site];
    switch (method) {
      case 'saliency':
        return unary(engine, 'abs', g);
      case 'input-x-gradient':
        return binary(engine, 'mul', result.values[subject.site], g);
      default:
        return g.reshape(g.shape);
    }
  } finally {
    for (const t of [...Object.values(result.grads), ...Object.values(result.values)]) t.destroy();
  }
}
