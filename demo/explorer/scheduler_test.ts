// Unit tests of the page's work queue (demo/explorer/scheduler.ts): order by priority, key
// replacement, cancellation of queued and running jobs, progress and ETA on a fake clock.
import { deepStrictEqual } from 'node:assert/strict';
import { assert, assertEquals, assertRejects } from '../../test/assert.ts';
import { CancelledError, formatEta, type JobContext, WorkQueue } from './scheduler.ts';

/** A job body that runs until `release()` is called, recording when it started. */
function gate(log: string[], name: string) {
  let release!: () => void;
  let context!: JobContext;
  const released = new Promise<void>((r) => (release = r));
  const work = async (c: JobContext) => {
    context = c;
    log.push(`start ${name}`);
    await released;
    log.push(`end ${name}`);
    return name;
  };
  return { work, release: () => release(), context: () => context };
}

/** Lets the queue's microtasks (job starts, settlements) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}

Deno.test('scheduler: normal jobs run one at a time in submission order', async () => {
  const q = new WorkQueue();
  const log: string[] = [];
  const a = gate(log, 'a'), b = gate(log, 'b');
  const ja = q.submit('a', a.work);
  const jb = q.submit('b', b.work);
  await settle();
  deepStrictEqual(log, ['start a']);
  deepStrictEqual([ja.state, jb.state], ['running', 'queued']);
  a.release();
  assertEquals(await ja.promise, 'a');
  await settle();
  deepStrictEqual(log, ['start a', 'end a', 'start b']);
  b.release();
  assertEquals(await jb.promise, 'b');
  assertEquals(q.jobs.length, 0);
});

Deno.test('scheduler: a higher priority runs first; interactive runs beside the running job', async () => {
  const q = new WorkQueue();
  const log: string[] = [];
  const first = gate(log, 'first'), bg = gate(log, 'bg'), nm = gate(log, 'normal');
  const it = gate(log, 'interactive');
  const j1 = q.submit('first', first.work, { priority: 'background' });
  const j2 = q.submit('bg', bg.work, { priority: 'background' });
  const j3 = q.submit('normal', nm.work, { priority: 'normal' });
  const j4 = q.submit('interactive', it.work, { priority: 'interactive' });
  await settle();
  // The interactive job started although `first` is running; `normal` jumped over `bg`.
  deepStrictEqual(log, ['start first', 'start interactive']);
  deepStrictEqual(q.jobs.map((j) => j.label), ['first', 'interactive', 'normal', 'bg']);
  it.release();
  await j4.promise;
  await settle();
  assertEquals(j3.state, 'queued', 'an interactive job ending does not start the next job');
  first.release();
  await j1.promise;
  await settle();
  deepStrictEqual(log.at(-1), 'start normal');
  nm.release();
  await j3.promise;
  await settle();
  deepStrictEqual(log.at(-1), 'start bg');
  bg.release();
  await j2.promise;
});

Deno.test('scheduler: a job with the same key replaces the older one (queued and running)', async () => {
  const q = new WorkQueue();
  const log: string[] = [];
  const block = gate(log, 'block'), old = gate(log, 'old'), fresh = gate(log, 'fresh');
  const j0 = q.submit('block', block.work);
  const j1 = q.submit('old', old.work, { key: 'map' });
  const j2 = q.submit('fresh', fresh.work, { key: 'map' });
  assertEquals(j1.state, 'cancelled');
  await assertRejects(() => j1.promise, CancelledError, 'replaced by a newer request');
  block.release();
  await j0.promise;
  await settle();
  deepStrictEqual(log, ['start block', 'end block', 'start fresh']);
  // A running job is replaced too: its signal aborts.
  const j3 = q.submit('fresher', () => Promise.resolve('fresher'), { key: 'map' });
  assert(fresh.context().signal.aborted);
  fresh.release();
  await assertRejects(() => j2.promise, CancelledError);
  assertEquals(j2.state, 'cancelled');
  assertEquals(await j3.promise, 'fresher');
});

Deno.test('scheduler: cancelling a queued job drops it; cancelling a running job aborts its signal', async () => {
  const q = new WorkQueue();
  const log: string[] = [];
  const run = gate(log, 'run'), waiting = gate(log, 'waiting');
  const jr = q.submit('run', run.work);
  const jw = q.submit('waiting', waiting.work);
  await settle();
  jw.cancel();
  assertEquals(jw.state, 'cancelled');
  await assertRejects(() => jw.promise, CancelledError);
  assert(!run.context().signal.aborted);
  jr.cancel('user');
  assert(run.context().signal.aborted);
  assertEquals(run.context().signal.reason, 'user');
  // The work ignores the signal and returns a value: the job is still cancelled.
  run.release();
  await assertRejects(() => jr.promise, CancelledError, 'run: user');
  assertEquals(jr.state, 'cancelled');
  deepStrictEqual(log, ['start run', 'end run'], 'the cancelled queued job never started');
  assertEquals(q.jobs.length, 0);
  // Cancel is idempotent and a settled job ignores it.
  jr.cancel();
  jw.cancel();
});

Deno.test('scheduler: a failing job rejects with its error and the next one starts', async () => {
  const q = new WorkQueue();
  const bad = q.submit('bad', () => Promise.reject(new Error('boom')));
  const good = q.submit('good', () => Promise.resolve(1));
  await assertRejects(() => bad.promise, Error, 'boom');
  assertEquals(bad.state, 'failed');
  assertEquals(await good.promise, 1);
  assertEquals(good.state, 'done');
  assertEquals(good.fraction, 1);
});

Deno.test('scheduler: fraction and ETA come from reported progress on the queue clock', async () => {
  let now = 1000;
  const q = new WorkQueue({ now: () => now });
  const log: string[] = [];
  const g = gate(log, 'g');
  let changes = 0;
  q.addEventListener('change', () => changes++);
  const job = q.submit('g', g.work);
  await settle();
  assertEquals(job.eta, null);
  assertEquals(job.fraction, 0);
  now += 4000; // 4 s for a quarter: 12 s left
  const before = changes;
  g.context().progress(25, 100);
  assert(changes > before, 'progress fires change');
  assertEquals(job.fraction, 0.25);
  assertEquals(job.eta, 12);
  now += 4000; // 8 s for half: 8 s left
  g.context().progress(1, 2);
  assertEquals(job.eta, 8);
  g.context().progress(5, 0); // no total: ignored
  assertEquals(job.fraction, 0.5);
  g.release();
  await job.promise;
  assertEquals(job.eta, null);
});

Deno.test('scheduler: cancelAll and idle', async () => {
  const q = new WorkQueue();
  const log: string[] = [];
  const a = gate(log, 'a');
  const ja = q.submit('a', async (c) => {
    const p = a.work(c);
    await new Promise((_, reject) =>
      c.signal.addEventListener('abort', () => reject(c.signal.reason))
    );
    return p;
  });
  const jb = q.submit('b', () => Promise.resolve(2));
  await settle();
  q.cancelAll();
  await q.idle();
  deepStrictEqual([ja.state, jb.state], ['cancelled', 'cancelled']);
  assertEquals(q.jobs.length, 0);
});

Deno.test('scheduler: formatEta', () => {
  assertEquals(formatEta(null), '');
  assertEquals(formatEta(Infinity), '');
  assertEquals(formatEta(0.4), 'under 1 s left');
  assertEquals(formatEta(12.4), '12 s left');
  assertEquals(formatEta(89), '89 s left');
  assertEquals(formatEta(150), '3 min left');
});

Deno.test('scheduler: a keyed job waits for its cancelled predecessor; the newest waiting wins', async () => {
  const q = new WorkQueue();
  const log: string[] = [];
  const [a, b, c] = ['a', 'b', 'c'].map((n) => gate(log, n));
  const options = { priority: 'interactive' as const, key: 'map' };
  const ja = q.submit('a', a.work, options);
  await settle();
  // b and c arrive while a (cancelled, its chunk still on the GPU) runs: b waits, c replaces it.
  const jb = q.submit('b', b.work, options);
  const jc = q.submit('c', c.work, options);
  await settle();
  deepStrictEqual(log, ['start a']);
  deepStrictEqual([ja.state, jb.state, jc.state], ['running', 'cancelled', 'queued']);
  assert(a.context().signal.aborted, 'a was told to stop');
  await assertRejects(() => jb.promise, CancelledError);
  a.release();
  await assertRejects(() => ja.promise, CancelledError);
  await settle();
  deepStrictEqual(log, ['start a', 'end a', 'start c']);
  c.release();
  assertEquals(await jc.promise, 'c');
  assertEquals(q.jobs.length, 0);
});
