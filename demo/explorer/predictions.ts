/**
 * The predictions panel: the model's top-k classes for the current input, with probabilities
 * (softmax of the first output's row, unless the row already is a distribution) and class names.
 * Every input change re-predicts at `interactive` priority under one key, so a newer input
 * cancels the stale run; the panel shows it is busy from the moment the input changes, and a
 * result for an input that is no longer current is dropped.
 *
 * @module
 */

import { run } from '../../src/mod.ts';
import type { Session } from './session.ts';
import { recordLive } from './explain_panel.ts';

/** One predicted class. */
export interface Prediction {
  index: number;
  label: string;
  probability: number;
  /** The raw output value. */
  value: number;
}

/** What the panel shows. */
export interface ShownPredictions {
  /** The input version predicted. */
  version: number;
  /** Best first. */
  top: Prediction[];
}

/** The mounted panel. */
export interface PredictionsPanel {
  /** The predictions on screen (null while busy, before any input, or after an error). */
  readonly shown: ShownPredictions | null;
  /** Settles when the latest request has finished (drawn, failed or cancelled). */
  readonly settled: Promise<void>;
  destroy(): void;
}

/** Softmax of a row, or the row itself when it already is a distribution. */
export function probabilitiesOf(row: ArrayLike<number>): Float64Array {
  let sum = 0, inRange = true, max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    sum += row[i];
    inRange &&= row[i] >= 0 && row[i] <= 1;
    max = Math.max(max, row[i]);
  }
  if (inRange && Math.abs(sum - 1) < 1e-4) return Float64Array.from(row);
  const e = Float64Array.from(row, (v) => Math.exp(v - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

/** How many values are NaN or ±Infinity. */
export function nonFiniteCount(values: ArrayLike<number | bigint>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] === 'number' && !Number.isFinite(values[i])) n++;
  }
  return n;
}

/**
 * The sentence shown instead of classes when the input or the output holds NaN or ±Infinity
 * (the engine propagates them as onnxruntime and PyTorch do: no class of such an output means
 * anything), or '' when all is finite.
 */
export function nonFiniteWarning(
  feeds: Record<string, { data: ArrayLike<number | bigint> }>,
  output: ArrayLike<number>,
): string {
  const inputs = Object.entries(feeds)
    .map(([name, f]) => [name, nonFiniteCount(f.data)] as const)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n} in '${name}'`);
  const out = nonFiniteCount(output);
  if (inputs.length === 0 && out === 0) return '';
  const parts = [];
  if (inputs.length) parts.push(`The input holds NaN or infinite values (${inputs.join(', ')}).`);
  if (out) {
    parts.push(
      `The output holds ${out} NaN or infinite value${out === 1 ? '' : 's'} of ` +
        `${output.length}: no class can be read from it.`,
    );
  } else parts.push('The output is finite, but read it with care.');
  return parts.join(' ');
}

/** The `k` largest entries of `p`, best first (ties: lower index first). */
export function topClasses(p: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: p.length }, (_, i) => i)
    .sort((a, b) => p[b] - p[a] || a - b)
    .slice(0, k);
}

/** Mounts the predictions panel in `host`. */
export function mountPredictions(
  host: HTMLElement,
  session: Session,
  options: { k?: number } = {},
): PredictionsPanel {
  const k = options.k ?? 5;
  host.classList.add('explorer-predictions');
  const status = document.createElement('p');
  status.className = 'status';
  status.setAttribute('role', 'status');
  const list = document.createElement('ol');
  list.className = 'top';
  // Appended: the host keeps what it holds (the page's heading).
  host.append(status, list);
  let shown: ShownPredictions | null = null;
  let raw: { version: number; values: Float32Array } | null = null;
  let settled: Promise<void> = Promise.resolve();

  const setBusy = (busy: boolean) => {
    host.toggleAttribute('aria-busy', busy);
    host.classList.toggle('busy', busy);
  };

  const draw = () => {
    list.replaceChildren();
    shown = null;
    if (!raw || !session.isCurrent(raw.version)) return;
    const warning = nonFiniteWarning(session.input!.feeds, raw.values);
    host.classList.toggle('non-finite', warning !== '');
    if (warning && nonFiniteCount(raw.values) > 0) {
      status.textContent = warning;
      status.setAttribute('role', 'alert');
      recordLive('drawn');
      return;
    }
    status.setAttribute('role', 'status');
    const p = probabilitiesOf(raw.values);
    const labels = session.labels;
    const top = topClasses(p, Math.min(k, p.length)).map((i) => ({
      index: i,
      label: labels?.[i] ?? `class ${i}`,
      probability: p[i],
      value: raw!.values[i],
    }));
    shown = { version: raw.version, top };
    for (const t of top) {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'label';
      name.textContent = t.label;
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.cssText = `display:inline-block;height:0.8em;background:var(--glass-accent,#4a7);` +
        `width:${(100 * t.probability).toFixed(1)}px`;
      const value = document.createElement('span');
      value.className = 'value';
      value.textContent = `${(100 * t.probability).toFixed(1)}%`;
      li.append(name, ' ', bar, ' ', value);
      list.append(li);
    }
    status.textContent = warning;
    if (warning) status.setAttribute('role', 'alert');
    recordLive('drawn');
  };

  const predict = () => {
    const input = session.input;
    const model = session.opened?.model;
    raw = null;
    list.replaceChildren();
    shown = null;
    if (!input || !model) {
      setBusy(false);
      status.textContent = !session.opened
        ? ''
        : !model
        ? 'The model cannot run here.'
        : 'Give an input to see predictions.';
      return;
    }
    setBusy(true);
    status.textContent = 'Predicting…';
    const version = input.version;
    recordLive('submitted');
    const job = session.queue.submit('Predict', async ({ signal }) => {
      const result = run(model, input.feeds);
      try {
        const name = model.outputs[0].name;
        const data = await result.outputs[name].readFloat32();
        signal.throwIfAborted();
        const batch = input.feeds[input.explained]?.shape[0] ?? 1;
        return data.slice(0, data.length / Math.max(1, batch));
      } finally {
        for (const t of Object.values(result.outputs)) t.destroy();
      }
    }, { priority: 'interactive', key: 'predictions' });
    settled = job.promise.then(
      (values) => {
        if (!session.isCurrent(version)) return void recordLive('stale');
        raw = { version, values };
        setBusy(false);
        draw();
      },
      (error) => {
        if ((error as Error).name === 'AbortError') return void recordLive('cancelled');
        if (!session.isCurrent(version)) return;
        setBusy(false);
        status.textContent = `Cannot predict: ${(error as Error).message}`;
        recordLive('failed');
      },
    );
  };

  const onModel = () => {
    raw = null;
    shown = null;
    list.replaceChildren();
    status.textContent = '';
    setBusy(false);
  };
  session.addEventListener('input', predict);
  session.addEventListener('model', onModel);
  session.addEventListener('labels', draw);
  if (session.input) predict();
  return {
    get shown() {
      return shown;
    },
    get settled() {
      return settled;
    },
    destroy() {
      session.removeEventListener('input', predict);
      session.removeEventListener('model', onModel);
      session.removeEventListener('labels', draw);
      status.remove();
      list.remove();
    },
  };
}
