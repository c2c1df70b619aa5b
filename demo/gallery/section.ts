/**
 * A gallery section and how it runs: each section is a job of the page's {@linkcode WorkQueue}
 * ('normal' once it comes near the viewport, 'background' for `?eager`), and what a user does in
 * it (a pick, a click) is a further job, 'interactive' unless said otherwise. The section's status
 * line shows its latest job: its place in the queue while queued, its fraction and ETA while
 * running, and a Cancel button. Defaults are sized to the adapter ({@linkcode defaultsFor}).
 *
 * @module
 */

import type { Engine } from '../../src/mod.ts';
import {
  CancelledError,
  formatEta,
  type Job,
  type JobContext,
  type Priority,
  type SubmitOptions,
  type WorkQueue,
} from '../explorer/scheduler.ts';
import { ordinal } from '../explorer/jobs.ts';
import { h, withCode } from './dom.ts';

/** Work sizes of the page, smaller on a software adapter. */
export interface Defaults {
  /** The adapter is a software one (SwiftShader, lavapipe, WARP). */
  software: boolean;
  /** GloVe words in the projector. */
  words: number;
  /** Integrated-gradients steps in the saliency and token sections. */
  igSteps: number;
  /** SmoothGrad samples in the saliency sections. */
  smoothSamples: number;
  /** Integrated-gradients steps and SmoothGrad samples of the live panel. */
  liveSteps: number;
  /** t-SNE iterations and UMAP epochs of the projector. */
  tsneIterations: number;
  umapEpochs: number;
}

/**
 * The page's work sizes for an adapter: a software adapter (`isFallbackAdapter`) gets fewer
 * projector words, IG steps and samples unless the URL has `full`; `words=N` sets the words.
 */
export function defaultsFor(software: boolean, params: URLSearchParams): Defaults {
  const small = software && !params.has('full');
  const words = params.has('words') ? Number(params.get('words')) : small ? 500 : 2000;
  return {
    software,
    words: Math.min(10_000, Math.max(50, Number.isFinite(words) ? Math.round(words) : 2000)),
    igSteps: small ? 16 : 32,
    smoothSamples: small ? 8 : 16,
    liveSteps: small ? 8 : 16,
    tsneIterations: small ? 300 : 500,
    umapEpochs: small ? 200 : 300,
  };
}

/** The one line the page shows about smaller defaults ('' when they are the full ones). */
export function defaultsLine(d: Defaults, params: URLSearchParams): string {
  if (!d.software || params.has('full')) return '';
  return `A software adapter: smaller defaults (${d.words} projector words, ${d.igSteps} ` +
    `integrated-gradients steps, ${d.smoothSamples} SmoothGrad samples); add ?full to the URL ` +
    'for the full sizes.';
}

/** What a section's `run` gets: its job's signal and progress, and the page's parts. */
export interface SectionContext extends JobContext {
  engine: Engine;
  queue: WorkQueue;
  defaults: Defaults;
  /** Where the section draws. */
  body: HTMLElement;
  /** Cancels the section's own job (it lands at the next check of `signal`). */
  cancel(why?: string): void;
  /** Sets the status line (`code` in backticks becomes `<code>`). */
  status(text: string): void;
  /**
   * Queues follow-up work of the section (default: 'interactive', keyed by the section, so a
   * newer pick replaces an older one); the status line follows it.
   */
  submit<T>(
    label: string,
    work: (context: JobContext) => Promise<T>,
    options?: SubmitOptions,
  ): Job<T>;
}

/** One section of the gallery. */
export interface Section {
  id: string;
  title: string;
  intro: string | ((d: Defaults) => string);
  /** Fills `context.body`; long work passes `context.signal` on and reports progress. */
  run(context: SectionContext): Promise<void>;
}

/** A progress callback for stage `k` of `n` equal stages of a job. */
export function stage(
  context: JobContext,
  k: number,
  n: number,
): (done: number, total: number) => void {
  return (done, total) => context.progress(k + (total > 0 ? done / total : 0), n);
}

/** What a section's status line says about a job of the queue. */
export function describeSectionJob(job: Job<unknown>, queue: WorkQueue): string {
  if (job.state === 'queued') {
    const queued = queue.jobs.filter((j) => j.state === 'queued');
    const running = queue.jobs.find((j) => j.state === 'running' && j.priority !== 'interactive');
    const place = queued.indexOf(job) + 1;
    return `Queued: ${ordinal(place)} in line` +
      (running ? `, after “${running.label}” (${Math.round(100 * running.fraction)}%).` : '.');
  }
  if (job.state !== 'running') return '';
  const eta = formatEta(job.eta);
  return `${Math.round(100 * job.fraction)}%${eta ? `, ${eta}` : ''}`;
}

/** A mounted section: its element and how to start it. */
export interface MountedSection {
  element: HTMLElement;
  /** Queues the section (again, after a cancel or failure) at `priority`. */
  start(priority: Priority): Job<void>;
  /** The section's own job, once started. */
  readonly job: Job<void> | null;
}

/**
 * Adds `section` to `parent`. Without an engine it only says `reason`. The element's
 * `data-state` is `waiting`, `queued`, `running`, `done`, `error`, `cancelled` or `unsupported`.
 */
export function mountSection(
  parent: HTMLElement,
  section: Section,
  page: { engine: Engine | null; queue: WorkQueue; defaults: Defaults; reason: string },
): MountedSection {
  const text = h('span', { class: 'text' }, 'Waiting to come into view…');
  const bar = h('progress', { max: 1 });
  const meta = h('span', { class: 'meta' });
  const cancel = h('button', { type: 'button', class: 'cancel' }, 'Cancel');
  const again = h('button', { type: 'button', class: 'again', hidden: true }, 'Run again');
  const jobLine = h('span', { class: 'job', hidden: true }, bar, meta, cancel);
  const status = h('p', { class: 'status' }, text, ' ', jobLine, again);
  const body = h('div', { class: 'body' });
  const intro = typeof section.intro === 'function' ? section.intro(page.defaults) : section.intro;
  const el = h(
    'section',
    { id: section.id, class: 'card' },
    h('h2', {}, h('a', { href: `#${section.id}` }, section.title)),
    h('p', { class: 'intro' }, intro),
    status,
    body,
  );
  el.dataset.state = 'waiting';
  parent.append(el);
  const mounted: MountedSection = { element: el, start: () => null!, job: null };
  if (!page.engine) {
    el.dataset.state = 'unsupported';
    text.textContent = page.reason;
    status.className = 'status bad';
    return mounted;
  }
  const { engine, queue, defaults } = page;
  const setStatus = (s: string) => text.replaceChildren(...withCode(s));
  // The jobs the status line follows; it shows the newest one not settled.
  const tracked: Job<unknown>[] = [];
  const draw = () => {
    const job = tracked.findLast((j) => j.state === 'queued' || j.state === 'running');
    jobLine.hidden = !job;
    if (!job) return;
    if (job.state === 'running' && job.fraction > 0) bar.value = job.fraction;
    else bar.removeAttribute('value');
    meta.textContent = describeSectionJob(job, queue);
    cancel.setAttribute('aria-label', `Cancel ${job.label}`);
  };
  const track = <T>(job: Job<T>): Job<T> => {
    tracked.push(job);
    job.promise.then(() => {}, () => {}).finally(() => {
      tracked.splice(tracked.indexOf(job), 1);
      draw();
    });
    draw();
    return job;
  };
  let frame = 0;
  queue.addEventListener('change', () => {
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  });
  cancel.addEventListener('click', () => {
    tracked.findLast((j) => j.state === 'queued' || j.state === 'running')
      ?.cancel('cancelled by the user');
  });
  const submit = <T>(
    label: string,
    work: (context: JobContext) => Promise<T>,
    options: SubmitOptions = {},
  ): Job<T> => {
    const job = track(queue.submit(label, work, {
      priority: options.priority ?? 'interactive',
      key: options.key ?? `${section.id}:interaction`,
    }));
    job.promise.catch((error) => {
      if (error instanceof CancelledError) return;
      console.error(error);
      setStatus(`Failed: ${error instanceof Error ? error.message : error}`);
    });
    return job;
  };
  const start = (priority: Priority): Job<void> => {
    again.hidden = true;
    status.className = 'status';
    el.dataset.state = 'queued';
    text.textContent = '';
    let t0 = 0;
    // The work starts on a later microtask, after `job` is set.
    const job: Job<void> = track(queue.submit(section.title, async (context) => {
      el.dataset.state = 'running';
      setStatus('Running…');
      body.replaceChildren();
      t0 = performance.now();
      await section.run({
        ...context,
        engine,
        queue,
        defaults,
        body,
        status: setStatus,
        submit,
        cancel: (why) => job.cancel(why),
      });
    }, { priority, key: `section:${section.id}` }));
    (mounted as { job: Job<void> | null }).job = job;
    job.promise.then(() => {
      el.dataset.state = 'done';
      if (text.textContent === 'Running…' || text.textContent === '') {
        setStatus(`Computed in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
      }
    }, (error) => {
      // Replaced by a newer start of the same section: that one owns the line now.
      if (mounted.job !== job) return;
      if (error instanceof CancelledError) {
        el.dataset.state = 'cancelled';
        setStatus(
          body.childElementCount ? 'Cancelled; what was computed stays.' : 'Cancelled.',
        );
      } else {
        console.error(error);
        el.dataset.state = 'error';
        setStatus(`Failed: ${error instanceof Error ? error.message : error}`);
        status.className = 'status bad';
      }
      again.hidden = false;
    });
    return job;
  };
  again.addEventListener('click', () => start('normal'));
  mounted.start = start;
  return mounted;
}
