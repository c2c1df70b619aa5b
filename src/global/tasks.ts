/**
 * Probe tasks the shipped models were not trained for, derived from what the datasets carry:
 * digit classes (parity, closed loop), Fashion-MNIST classes (footwear, upper-body garment) and
 * the text classifier's token ids (has a URL, length bucket).
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';

/** A probe task preset. */
export type TaskName =
  | 'parity'
  | 'closed-loop'
  | 'footwear'
  | 'upper-body'
  | 'has-url'
  | 'length-bucket';

/** What each preset derives its labels from, and what it means. */
export const TASKS: Readonly<Record<TaskName, { from: 'classes' | 'tokens'; doc: string }>> = {
  parity: { from: 'classes', doc: 'digit is odd (1) or even (0)' },
  'closed-loop': { from: 'classes', doc: 'digit has a closed loop: 0, 4, 6, 8, 9 (1) or not (0)' },
  footwear: { from: 'classes', doc: 'Fashion-MNIST sandal, sneaker, ankle boot (5, 7, 9) vs not' },
  'upper-body': {
    from: 'classes',
    doc: 'Fashion-MNIST T-shirt, pullover, dress, coat, shirt (0, 2, 3, 4, 6) vs not',
  },
  'has-url': { from: 'tokens', doc: "text contains the token 'http' or 'www' (1) or not (0)" },
  'length-bucket': {
    from: 'tokens',
    doc: 'non-pad tokens: ≤ 31 (0), 32–63 (1), 64 = truncated (2)',
  },
};

const SETS: Partial<Record<TaskName, ReadonlySet<number>>> = {
  'closed-loop': new Set([0, 4, 6, 8, 9]),
  footwear: new Set([5, 7, 9]),
  'upper-body': new Set([0, 2, 3, 4, 6]),
};

/**
 * Task labels for a preset: from the model's classes (`classes`), or from token ids
 * (`ids` [N, T], pad id 0, and the vocabulary's tokens for `has-url`).
 *
 * @throws {ArgumentError} for an unknown task or missing inputs.
 */
export function taskLabels(
  task: string,
  source: {
    classes?: ArrayLike<number>;
    ids?: ArrayLike<number | bigint>;
    idShape?: readonly number[];
    vocab?: readonly string[];
  },
): number[] {
  if (!(task in TASKS)) {
    throw new ArgumentError(`Unknown probe task '${task}' (${Object.keys(TASKS).join(', ')})`);
  }
  const t = task as TaskName;
  if (TASKS[t].from === 'classes') {
    if (!source.classes) throw new ArgumentError(`Task '${task}' needs the class labels`);
    const set = SETS[t];
    return Array.from(source.classes, (c) => (set ? (set.has(Number(c)) ? 1 : 0) : Number(c) % 2));
  }
  if (!source.ids || !source.idShape || source.idShape.length !== 2) {
    throw new ArgumentError(`Task '${task}' needs token ids [N, T]`);
  }
  const [n, len] = source.idShape;
  const url = new Set<number>();
  if (t === 'has-url') {
    if (!source.vocab) throw new ArgumentError(`Task '${task}' needs the vocabulary`);
    source.vocab.forEach((tok, i) => {
      if (tok === 'http' || tok === 'www' || tok === 'https') url.add(i);
    });
  }
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    let count = 0;
    let hasUrl = 0;
    for (let i = 0; i < len; i++) {
      const id = Number(source.ids[r * len + i]);
      if (id !== 0) count++;
      if (url.has(id)) hasUrl = 1;
    }
    out.push(t === 'has-url' ? hasUrl : count >= len ? 2 : count >= 32 ? 1 : 0);
  }
  return out;
}
