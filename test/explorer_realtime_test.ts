// Browser test of the explorer's real-time path (bench/explorer_run.ts measures its rate): rapid
// input edits on the mounted page with the MNIST CNN and a saliency card; only counts are checked
// (no wall-clock): every map drawn is for the input current at that moment, every request is
// drawn, cancelled or dropped as stale, and the last input's map and top-k are what stays.
import { RUNNER, sharedEngine, test } from './harness.ts';
import { assert, assertEquals } from './assert.ts';

const ignore = RUNNER === 'deno' ? 'the explorer runs in the browser' : false;
const ui = RUNNER === 'browser'
  ? {
    ...(await import('../demo/explorer/app.ts')),
    ...(await import('../demo/explorer/explain_panel.ts')),
    ...(await import('../demo/explorer/url_state.ts')),
  }
  : null;

const getEngine = sharedEngine();

test(
  'explorer: 8 rapid edits, each map drawn is current, every request accounted for',
  async () => {
    localStorage.clear();
    const cards = [{ method: 'saliency', options: {} }];
    ui!.setViewState('explain', JSON.stringify({ cards, curves: false }));
    const root = document.createElement('div');
    root.style.width = '900px';
    document.body.append(root);
    const { session, panels } = await ui!.mountExplorer(root, {
      engine: await getEngine(),
      url: false,
    });
    const sample = new Promise((resolve) =>
      session.addEventListener('input', resolve, { once: true })
    );
    (panels.open.querySelector('button[data-example="mnist_cnn"]') as HTMLButtonElement).click();
    await sample;
    await session.queue.idle();
    assert(
      !(panels.explain.querySelector(
        'input[aria-label="Deletion/insertion curves"]',
      ) as HTMLInputElement).checked,
      'curves off',
    );

    ui!.resetLiveStats();
    const seen: { version: number; current: boolean }[] = [];
    panels.explain.addEventListener('explorer-drawn', (e) => {
      const { version } = (e as CustomEvent<{ version: number }>).detail;
      seen.push({ version, current: session.isCurrent(version) });
    });
    const base = session.input!;
    const data = base.feeds[base.explained].data as Float32Array;
    let last = 0;
    for (let i = 0; i < 8; i++) {
      const edited = data.map((v, p) => (p % 28 === 8 + i ? 1 : v));
      last = session.setInput({
        ...base,
        feeds: { [base.explained]: { ...base.feeds[base.explained], data: edited } },
      })!.version;
      // Edits in one task, across microtasks and across tasks.
      if (i % 3 === 1) await Promise.resolve();
      if (i % 3 === 2) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await session.queue.idle();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const s = ui!.liveStats();
    assert(seen.every((d) => d.current), `every map drawn was current: ${JSON.stringify(seen)}`);
    assertEquals(s.failed, 0, 'no request failed');
    assertEquals(s.cacheHits, 0, 'new inputs are never cached');
    assertEquals(s.cancelled + s.drawn + s.stale, s.submitted, JSON.stringify(s));
    assertEquals(s.submitted, 16, 'a prediction and a map per edit');
    assertEquals(seen.at(-1)?.version, last, 'the last input has its map');
    assert(s.cancelled > 0, `rapid edits cancel stale work: ${JSON.stringify(s)}`);
    assert(session.isCurrent(last));
    assert(panels.predict.querySelectorAll('ol.top li').length > 0, 'the last input has its top-k');
    session.setModel(null);
    root.remove();
  },
  { ignore },
);
