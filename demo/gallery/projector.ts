/**
 * GloVe word vectors laid out in 2-D by UMAP or t-SNE on the GPU, the points moving as the
 * optimizer iterates. Each projection is a job: a newer method replaces the running one, and the
 * element's Cancel button (or the status line's) cancels it within one chunk of iterations.
 *
 * @module
 */

import type { GlassProjector } from '../../components/mod.ts';
import { tensor, tsne, umap } from '../../src/mod.ts';
import type { Job, JobContext } from '../explorer/scheduler.ts';
import type { Section } from './section.ts';
import { fetchBytes, fetchJson, glass, h, select } from './dom.ts';

export const projectorSection: Section = {
  id: 'projector',
  title: 'GloVe word vectors, projected on the GPU',
  intro: (d) =>
    `The ${d.words.toLocaleString()} most frequent GloVe 6B words (100-d vectors) laid out in ` +
    '2-D by UMAP or t-SNE running on the GPU; the points move as the optimizer iterates. Color: ' +
    'frequency rank (log). Search a word, click a point to see its nearest neighbours, stop a ' +
    'run with Cancel.',
  async run(context) {
    const { engine, body, status, defaults } = context;
    const N = defaults.words;
    status('Loading vectors…');
    const all = new Float32Array(
      (await fetchBytes('/data/glove/glove_10k_100d.f32', context.signal))
        .slice(0, N * 100 * 4).buffer,
    );
    const words = (await fetchJson<string[]>('/data/glove/words.json')).slice(0, N);
    const el = glass<GlassProjector>('glass-projector', 'height: 520px');
    el.texts = words;
    el.values = Float32Array.from(words, (_, i) => Math.log10(i + 1));
    el.label = `GloVe: ${N} words`;
    // The job projecting now: the section's own first, then the method picker's.
    let current: { cancel(why?: string): void } | null = { cancel: context.cancel };
    el.addEventListener('glass-cancel', () => current?.cancel('cancelled by the user'));
    const x = tensor(engine, all, [N, 100]);
    const project = async (method: string, job: JobContext) => {
      const { signal } = job;
      el.progress = 0;
      const started = performance.now();
      try {
        if (method === 'tsne') {
          const iterations = defaults.tsneIterations;
          const r = await tsne(engine, x, {
            iterations,
            signal,
            snapshotEvery: 10,
            onIteration: (i, positions) => {
              el.progress = (i + 1) / iterations;
              job.progress(i + 1, iterations);
              if (positions) el.positions = positions;
              status(`t-SNE: iteration ${i + 1} / ${iterations}`);
            },
          });
          el.positions = await r.embedding.readFloat32();
          r.embedding.destroy();
        } else {
          const epochs = defaults.umapEpochs;
          const r = await umap(engine, x, {
            epochs,
            signal,
            metric: 'cosine',
            onEpoch: (i, embedding) => {
              el.progress = (i + 1) / epochs;
              job.progress(i + 1, epochs);
              if (embedding) el.positions = embedding;
              status(`UMAP: epoch ${i + 1} / ${epochs}`);
            },
          });
          el.positions = await r.embedding.readFloat32();
          r.embedding.destroy();
        }
        status(
          `${method === 'tsne' ? 't-SNE' : 'UMAP'} of ${N} words in ${
            ((performance.now() - started) / 1000).toFixed(1)
          } s.`,
        );
      } catch (error) {
        if (signal.aborted) status('Cancelled; the layout stays where it was.');
        throw error;
      } finally {
        el.progress = null;
      }
    };
    const first = new URLSearchParams(location.search).get('projection') === 'tsne'
      ? 'tsne'
      : 'umap';
    const method = select(
      'Method',
      first === 'tsne'
        ? [['tsne', 't-SNE'], ['umap', 'UMAP']]
        : [['umap', 'UMAP'], ['tsne', 't-SNE']],
      (v) => {
        current?.cancel('restarted');
        const job: Job<void> = context.submit(
          `${v === 'tsne' ? 't-SNE' : 'UMAP'} of ${N} words`,
          (c) => project(v, c),
          { priority: 'normal', key: 'projector' },
        );
        current = job;
        job.promise.finally(() => current === job && (current = null)).catch(() => {});
      },
    );
    body.append(h('div', { class: 'controls' }, method), el);
    const self = current;
    try {
      await project(first, context);
    } finally {
      if (current === self) current = null;
    }
  },
};
