/**
 * The gallery: every `glass-*` element on real outputs of the bundled models, computed live in
 * the page with the engine (WebGPU). All GPU work goes through one {@linkcode WorkQueue}: a
 * section is queued ('normal') when it comes near the viewport (all at once, 'background', with
 * `?eager`; one scrolled into view then moves up to 'normal'), what the user does runs at
 * 'interactive' priority beside it, and every queued or running job shows its place, progress,
 * ETA and a Cancel button. Without WebGPU the page says so and draws nothing.
 *
 * URL parameters: `eager` (queue every section at once, in page order), `words=N` (GloVe words in
 * the projector), `full` (the full work sizes on a software adapter too), `projection=umap|tsne`.
 *
 * @module
 */

import '../../components/mod.ts';
import { createEngine, type Engine } from '../../src/mod.ts';
import { WorkQueue } from '../explorer/scheduler.ts';
import { mountJobs } from '../explorer/jobs.ts';
import { activationsSection } from './activations.ts';
import { graphSection, weightsSection } from './detypify.ts';
import { DIGITS, FASHION, FASHION_CLASSES, h, MNIST } from './dom.ts';
import { probesSection, surrogateSection } from './global.ts';
import { liveSection } from './live.ts';
import { projectorSection } from './projector.ts';
import { saliencySection } from './saliency.ts';
import { defaultsFor, defaultsLine, mountSection, type Section } from './section.ts';
import { attentionSection, tokensSection } from './text.ts';

/** The sections, in page order. */
export const SECTIONS: Section[] = [
  liveSection,
  saliencySection(
    'saliency-mnist',
    'Saliency: MNIST digits',
    MNIST,
    '/models/data/mnist_test_x.npy',
    '/models/data/mnist_test_y.npy',
    DIGITS,
    [0, 1, 2, 3, 4, 5],
  ),
  saliencySection(
    'saliency-fashion',
    'Saliency: Fashion-MNIST',
    FASHION,
    '/models/data/fashion_test_x.npy',
    '/models/data/fashion_test_y.npy',
    FASHION_CLASSES,
    [0, 1, 2, 3, 4, 5],
  ),
  tokensSection,
  attentionSection,
  activationsSection,
  graphSection,
  weightsSection,
  projectorSection,
  surrogateSection,
  probesSection,
];

/** The page's one work queue (tests and the console can watch it). */
export const queue = new WorkQueue();

/** Boots the page: the engine, the defaults line, the job list and every section. */
export async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const eager = params.has('eager');
  const adapterLine = document.getElementById('adapter')!;
  const sizesLine = document.getElementById('sizes')!;
  const nav = document.getElementById('toc')!;
  mountJobs(document.getElementById('jobs')!, queue);
  for (const s of SECTIONS) nav.append(h('li', {}, h('a', { href: `#${s.id}` }, s.title)));
  let engine: Engine | null = null;
  let reason = '';
  try {
    engine = await createEngine();
    const fallback = engine.info?.isFallbackAdapter ? ' (a software adapter: expect minutes)' : '';
    adapterLine.textContent = `WebGPU adapter: ${engine.adapterName}${fallback}.`;
  } catch (error) {
    reason = 'Not computed: this browser gives the page no WebGPU device ' +
      `(${error instanceof Error ? error.message : error}).`;
    adapterLine.textContent = 'This gallery computes every view with WebGPU, which this browser ' +
      'does not provide. Use Chrome or Edge 113+, Safari 26+, or Firefox 141+ on Windows; on ' +
      `Linux start Chromium with --enable-unsafe-webgpu. (${
        error instanceof Error ? error.message : error
      })`;
    adapterLine.className = 'bad';
  }
  const defaults = defaultsFor(Boolean(engine?.info?.isFallbackAdapter), params);
  sizesLine.textContent = defaultsLine(defaults, params);
  sizesLine.hidden = !sizesLine.textContent;
  const parent = document.getElementById('sections')!;
  for (const s of SECTIONS) {
    const mounted = mountSection(parent, s, { engine, queue, defaults, reason });
    if (!engine) continue;
    if (eager) mounted.start('background');
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      const job = mounted.job;
      // Not started yet, or still waiting at background priority: queue it at 'normal' (the
      // section's key replaces the background entry).
      if (!job || (job.state === 'queued' && job.priority === 'background')) {
        observer.disconnect();
        mounted.start('normal');
      } else if (job.state !== 'queued') observer.disconnect();
    }, { rootMargin: '300px' });
    observer.observe(mounted.element);
  }
  document.body.dataset.ready = 'true';
}
