/**
 * One work queue for the GPU work of a page. Interactive jobs (a click, a stroke of the pen) run
 * at once, beside whatever is running; other jobs run one at a time, highest priority first, in
 * submission order within a priority. A job submitted with a `key` cancels the older job with the
 * same key (a newer input makes the stale map worthless). Cancellation aborts the job's signal,
 * which the engine checks between chunks, so it lands within one chunk — but the chunk already
 * on the GPU still runs, so a keyed job whose predecessor is still running waits for it to end
 * (at most one running and one waiting per key, the newest replacing the waiting one): a fast
 * stream of edits costs at most two maps of latency instead of piling work on the GPU. Every job reports progress
 * and, once it has some, an ETA; the queue fires `change` whenever a job starts, progresses or
 * ends, for a list of queued work.
 *
 * @module
 */

/** How soon a job must run. */
export type Priority = 'interactive' | 'normal' | 'background';

const RANK: Record<Priority, number> = { interactive: 0, normal: 1, background: 2 };

/** What a job's work function gets. */
export interface JobContext {
  /** Aborted when the job is cancelled (by the user, a newer job with its key, or the page). */
  signal: AbortSignal;
  /** Reports progress in any unit; the queue derives the fraction and the ETA. */
  progress(done: number, total: number): void;
}

/** The state of a job. */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Error a cancelled job's promise rejects with (its `name` is `AbortError`). */
export class CancelledError extends Error {
  constructor(label: string, why = 'cancelled') {
    super(`${label}: ${why}`);
    this.name = 'AbortError';
  }
}

/** One submitted job. */
export interface Job<T> {
  /** Unique within the queue. */
  readonly id: number;
  /** What it does, for people ("Integrated gradients, 32 steps"). */
  readonly label: string;
  readonly priority: Priority;
  /** Jobs with the same key replace each other (the older is cancelled). */
  readonly key?: string;
  readonly state: JobState;
  /** Fraction done in [0, 1] (0 until the job reports). */
  readonly fraction: number;
  /** Estimated seconds left, once the job has reported progress; null before. */
  readonly eta: number | null;
  /** Settles with the work's result; rejects with {@linkcode CancelledError} when cancelled. */
  readonly promise: Promise<T>;
  /** Cancels the job (queued: dropped; running: its signal aborts). Idempotent. */
  cancel(why?: string): void;
}

/** Options of {@linkcode WorkQueue.submit}. */
export interface SubmitOptions {
  /** Default `normal`. */
  priority?: Priority;
  /** A newer job with the same key cancels this one. */
  key?: string;
}

interface Entry<T> extends Job<T> {
  state: JobState;
  fraction: number;
  eta: number | null;
  started: number;
  controller: AbortController;
  work: (context: JobContext) => Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** The page's work queue. Fires `change` (a plain Event) on every state or progress change. */
export class WorkQueue extends EventTarget {
  #next = 1;
  #queued: Entry<unknown>[] = [];
  #running = new Set<Entry<unknown>>();
  // Keyed jobs waiting for their cancelled predecessor (same key) to end.
  #waiting = new Map<string, Entry<unknown>>();
  #now: () => number;

  /** `now` is the clock in milliseconds (tests may pass a fake one). */
  constructor(options: { now?: () => number } = {}) {
    super();
    this.#now = options.now ?? (() => performance.now());
  }

  /** Jobs not yet settled: running first, then queued in the order they will run. */
  get jobs(): readonly Job<unknown>[] {
    return [...this.#running, ...this.#waiting.values(), ...this.#queued];
  }

  /** Queues `work`; see the module doc for the order. */
  submit<T>(
    label: string,
    work: (context: JobContext) => Promise<T>,
    options: SubmitOptions = {},
  ): Job<T> {
    const priority = options.priority ?? 'normal';
    if (!(priority in RANK)) throw new TypeError(`Unknown priority '${priority}'`);
    if (options.key !== undefined) {
      for (const j of this.jobs) if (j.key === options.key) j.cancel('replaced by a newer request');
    }
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A cancelled job nobody awaits must not be an unhandled rejection.
    promise.catch(() => {});
    const entry: Entry<T> = {
      id: this.#next++,
      label,
      priority,
      key: options.key,
      state: 'queued',
      fraction: 0,
      eta: null,
      started: 0,
      controller: new AbortController(),
      work,
      resolve,
      reject,
      promise,
      cancel: (why = 'cancelled') => this.#cancel(entry as Entry<unknown>, why),
    };
    const e = entry as Entry<unknown>;
    const predecessor = e.key === undefined
      ? undefined
      : [...this.#running].find((r) => r.key === e.key);
    if (predecessor) this.#waiting.set(e.key!, e);
    else if (priority === 'interactive') this.#start(e);
    else this.#enqueue(e);
    this.#changed();
    return entry;
  }

  #enqueue(e: Entry<unknown>): void {
    // Stable: after every queued job of the same or a higher priority.
    let at = this.#queued.findIndex((q) => RANK[q.priority] > RANK[e.priority]);
    if (at < 0) at = this.#queued.length;
    this.#queued.splice(at, 0, e);
    this.#pump();
  }

  /** Cancels every job (e.g. when another model is opened). */
  cancelAll(why = 'cancelled'): void {
    for (const j of this.jobs) j.cancel(why);
  }

  /** Resolves when nothing is running or queued. */
  async idle(): Promise<void> {
    while (this.jobs.length > 0) {
      await Promise.allSettled(this.jobs.map((j) => j.promise));
    }
  }

  #pump(): void {
    const busy = [...this.#running].some((j) => j.priority !== 'interactive');
    if (busy || this.#queued.length === 0) return;
    this.#start(this.#queued.shift()!);
  }

  #start(entry: Entry<unknown>): void {
    entry.state = 'running';
    entry.started = this.#now();
    this.#running.add(entry);
    const context: JobContext = {
      signal: entry.controller.signal,
      progress: (done, total) => {
        if (entry.state !== 'running' || !(total > 0)) return;
        entry.fraction = Math.min(1, Math.max(0, done / total));
        const elapsed = (this.#now() - entry.started) / 1000;
        entry.eta = entry.fraction > 0 ? elapsed * (1 - entry.fraction) / entry.fraction : null;
        this.#changed();
      },
    };
    // Started on a microtask so that `submit` returns before the work runs.
    Promise.resolve().then(() => {
      entry.controller.signal.throwIfAborted();
      return entry.work(context);
    }).then(
      (value) => {
        // Work that finished after its cancel is still cancelled: its result is stale.
        if (entry.controller.signal.aborted) throw value;
        this.#settle(entry, 'done', () => entry.resolve(value));
      },
    ).catch(
      (error) =>
        this.#settle(
          entry,
          entry.controller.signal.aborted ? 'cancelled' : 'failed',
          () =>
            entry.reject(
              entry.controller.signal.aborted
                ? new CancelledError(entry.label, String(entry.controller.signal.reason ?? ''))
                : error,
            ),
        ),
    );
  }

  #settle(entry: Entry<unknown>, state: JobState, finish: () => void): void {
    if (!this.#running.has(entry)) return;
    this.#running.delete(entry);
    entry.state = state;
    if (state === 'done') entry.fraction = 1;
    entry.eta = null;
    finish();
    const next = entry.key === undefined ? undefined : this.#waiting.get(entry.key);
    if (next) {
      this.#waiting.delete(entry.key!);
      if (next.priority === 'interactive') this.#start(next);
      else this.#enqueue(next);
    }
    this.#pump();
    this.#changed();
  }

  #cancel(entry: Entry<unknown>, why: string): void {
    if (entry.state === 'queued') {
      if (entry.key !== undefined && this.#waiting.get(entry.key) === entry) {
        this.#waiting.delete(entry.key);
      } else this.#queued.splice(this.#queued.indexOf(entry), 1);
      entry.state = 'cancelled';
      entry.reject(new CancelledError(entry.label, why));
      this.#changed();
    } else if (entry.state === 'running' && !entry.controller.signal.aborted) {
      entry.controller.abort(why);
      this.#changed();
    }
  }

  #changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}

/** "12 s left", "2 min left", or '' before an estimate exists. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  if (seconds < 1) return 'under 1 s left';
  if (seconds < 90) return `${Math.round(seconds)} s left`;
  return `${Math.round(seconds / 60)} min left`;
}
