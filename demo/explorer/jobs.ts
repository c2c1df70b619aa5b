/**
 * A list of the page's queued work: one row per running or queued job of a
 * {@linkcode WorkQueue}, with its label, a progress bar, its place in the queue or its ETA, and a
 * Cancel button. Redrawn (at most once a frame) whenever the queue changes; empty when idle.
 *
 * @module
 */

import { formatEta, type Job, type WorkQueue } from './scheduler.ts';

/** What a row says about a job: "running · 40% · 12 s left", "queued · 2nd in line". */
export function describeJob(job: Job<unknown>, queue: WorkQueue): string {
  if (job.state === 'queued') {
    const queued = queue.jobs.filter((j) => j.state === 'queued');
    return `queued · ${ordinal(queued.indexOf(job) + 1)} in line`;
  }
  if (job.state !== 'running') return job.state;
  const parts = ['running'];
  if (job.fraction > 0) parts.push(`${Math.round(100 * job.fraction)}%`);
  const eta = formatEta(job.eta);
  if (eta) parts.push(eta);
  return parts.join(' · ');
}

/** "1st", "2nd", "3rd", "4th", "11th", "21st". */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/**
 * Shows `queue`'s running and queued jobs in `host` (replacing its children); each row has the
 * class `job`, `data-state` and `data-id`, a `<progress>` (indeterminate until the job reports)
 * and a Cancel button.
 */
export function mountJobs(host: HTMLElement, queue: WorkQueue): void {
  host.classList.add('jobs');
  host.setAttribute('aria-live', 'polite');
  let frame = 0;
  const draw = () => {
    frame = 0;
    const rows = queue.jobs.map((job) => {
      const row = document.createElement('div');
      row.className = 'job';
      row.dataset.state = job.state;
      row.dataset.id = String(job.id);
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = job.label;
      const bar = document.createElement('progress');
      bar.max = 1;
      if (job.state === 'running' && job.fraction > 0) bar.value = job.fraction;
      else bar.removeAttribute('value');
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = describeJob(job, queue);
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.textContent = 'Cancel';
      cancel.setAttribute('aria-label', `Cancel ${job.label}`);
      cancel.addEventListener('click', () => job.cancel('cancelled by the user'));
      row.append(label, bar, meta, cancel);
      return row;
    });
    host.replaceChildren(...rows);
    host.hidden = rows.length === 0;
  };
  queue.addEventListener('change', () => {
    frame ||= requestAnimationFrame(draw);
  });
  draw();
}
