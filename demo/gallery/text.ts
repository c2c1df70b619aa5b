/**
 * The text classifier's sections: token attributions (integrated gradients at the embedding) and
 * attention.
 *
 * @module
 */

import type { GlassAttention, GlassTokens } from '../../components/mod.ts';
import { captureActivations, explain } from '../../src/mod.ts';
import type { JobContext } from '../explorer/scheduler.ts';
import type { Section } from './section.ts';
import { fetchJson, fetchNpy, glass, h, model, percent, select, TEXT } from './dom.ts';

interface Vocab {
  tokens: string[];
  classes: string[];
  seq_len: number;
}

async function textExample(i: number) {
  const ids = await fetchNpy('/models/data/text_test_ids.npy');
  const vocab = await fetchJson<Vocab>('/models/text_vocab.json');
  const T = vocab.seq_len;
  const row = (ids.data as BigInt64Array).slice(i * T, (i + 1) * T);
  let n = T;
  while (n > 0 && row[n - 1] === 0n) n--;
  const tokens = Array.from(row.slice(0, n), (id) => vocab.tokens[Number(id)]);
  return { input: { data: row, shape: [1, T] }, tokens, n, vocab };
}

/** Test messages offered (the first is shown first): spam and ham, short and long. */
export const TEXT_EXAMPLES = [18, 2, 6, 8, 19, 0, 4];

async function textPicker(
  examples: number[],
  onPick: (i: number) => void,
): Promise<HTMLLabelElement> {
  const y = (await fetchNpy('/models/data/text_test_y.npy')).data as BigInt64Array;
  const texts = await fetchJson<{ text: string }[]>('/models/data/text_test_texts.json');
  return select(
    'Message',
    examples.map((i) => [
      String(i),
      `#${i} ${Number(y[i]) ? 'spam' : 'ham'}: ${texts[i].text.split('\n')[0].slice(0, 50)}`,
    ]),
    (v) => onPick(Number(v)),
  );
}

export const tokensSection: Section = {
  id: 'tokens',
  title: 'Token attributions: spam or ham',
  intro: (d) =>
    `The spam/ham transformer explained by integrated gradients (${d.igSteps} steps) at the ` +
    'token embedding: each token colored by its contribution to the predicted class (red for, ' +
    'blue against). Only the first 64 tokens (lower-cased words and numbers) reach the model.',
  async run(context) {
    const { engine, body, status, defaults } = context;
    const m = await model(engine, TEXT);
    const el = glass<GlassTokens>('glass-tokens', '');
    const caption = h('p', { class: 'caption' });
    const show = async (i: number, job: JobContext) => {
      status(`Integrated gradients on message #${i}…`);
      const { input, tokens, n, vocab } = await textExample(i);
      const e = await explain(m, input, {
        method: 'integrated-gradients',
        steps: defaults.igSteps,
        signal: job.signal,
        onProgress: job.progress,
      });
      const values = await e.attribution.readFloat32();
      e.attribution.destroy();
      el.tokens = tokens;
      el.values = values.slice(0, n);
      const p = e.predicted[0];
      caption.textContent = `Predicted ${vocab.classes[p]} (${percent(e.probabilities[0][p])}); ` +
        `Σ attributions ${e.completeness!.sum[0].toFixed(3)} vs f(x) − f(baseline) ` +
        `${(e.completeness!.fx[0] - e.completeness!.fBaseline[0]).toFixed(3)}.`;
      status('');
    };
    body.append(
      h(
        'div',
        { class: 'controls' },
        await textPicker(
          TEXT_EXAMPLES,
          (i) => context.submit(`Token attributions of message #${i}`, (job) => show(i, job)),
        ),
      ),
      el,
      caption,
    );
    await show(TEXT_EXAMPLES[0], context);
  },
};

export const attentionSection: Section = {
  id: 'attention',
  title: 'Attention of the text classifier',
  intro: 'The softmax attention of each layer and head over the non-padding tokens: the matrix ' +
    '(row = query, column = key) and the same weights as lines from each query token to the keys ' +
    'it attends to. Hover a token or a row to follow it.',
  async run(context) {
    const { engine, body, status } = context;
    const m = await model(engine, TEXT);
    const el = glass<GlassAttention>('glass-attention', '');
    // A shorter message first: the line view takes 18 px per token.
    const examples = [2, ...TEXT_EXAMPLES.filter((i) => i !== 2)];
    let current = { i: examples[0], layer: 0 };
    const show = async (job: JobContext) => {
      status('Capturing the attention probabilities…');
      const { input, tokens, n } = await textExample(current.i);
      const name = `/layers.${current.layer}/attn/softmax/Softmax_output_0`;
      const captured = await captureActivations(m, input, [name], { signal: job.signal });
      const all = await captured[name].readFloat32();
      captured[name].destroy();
      const T = input.shape[1];
      const heads = all.length / (T * T);
      const w = new Float32Array(heads * n * n);
      for (let hd = 0; hd < heads; hd++) {
        for (let q = 0; q < n; q++) {
          for (let k = 0; k < n; k++) w[(hd * n + q) * n + k] = all[(hd * T + q) * T + k];
        }
      }
      el.tokens = tokens;
      el.shape = [heads, n, n];
      el.weights = w;
      status('');
    };
    const again = () =>
      context.submit(`Attention of message #${current.i}, layer ${current.layer}`, show);
    body.append(
      h(
        'div',
        { class: 'controls' },
        await textPicker(examples, (i) => {
          current = { ...current, i };
          again();
        }),
        select('Layer', [['0', '0'], ['1', '1']], (v) => {
          current = { ...current, layer: Number(v) };
          again();
        }),
        select('Head', [['0', '0'], ['1', '1'], ['-1', 'mean']], (v) => (el.head = Number(v))),
      ),
      el,
    );
    await show(context);
  },
};
