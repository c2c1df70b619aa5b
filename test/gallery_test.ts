// Browser tests of the gallery's sections (demo/gallery/) on the page's work queue: a queued
// section shows its place, a running one its progress, cancel lands, the live panel's Grad-CAM
// draws, the graph caption never says "undefined", the probes status renders code, and the
// activation labels carry the captured shapes.
import { RUNNER, sharedEngine, test } from './harness.ts';
import { assert, assertEquals } from './assert.ts';

const ignore = RUNNER === 'deno' ? 'the gallery runs in the browser' : false;
const getEngine = sharedEngine();

const browser = RUNNER === 'browser';
const section = browser ? await import('../demo/gallery/section.ts') : null;
const scheduler = browser ? await import('../demo/explorer/scheduler.ts') : null;
const live = browser ? await import('../demo/gallery/live.ts') : null;
const detypify = browser ? await import('../demo/gallery/detypify.ts') : null;
const activations = browser ? await import('../demo/gallery/activations.ts') : null;
const global = browser ? await import('../demo/gallery/global.ts') : null;
if (browser) await import('../components/mod.ts');

/** Resolves when `ok()` holds (checked on every queue change and every 50 ms). */
async function until(ok: () => boolean, what: string, ms = 240_000): Promise<void> {
  const t0 = performance.now();
  while (!ok()) {
    if (performance.now() - t0 > ms) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function page() {
  const parent = document.createElement('main');
  document.body.append(parent);
  const queue = new scheduler!.WorkQueue();
  const defaults = section!.defaultsFor(true, new URLSearchParams());
  return { parent, queue, defaults };
}

test(
  'gallery: a queued section shows its place, a running one progress; cancel lands',
  async () => {
    const engine = await getEngine();
    const { parent, queue, defaults } = page();
    // Two sections that report progress in chunks and check the signal between them.
    const chunks = (id: string): import('../demo/gallery/section.ts').Section => ({
      id,
      title: `Section ${id}`,
      intro: '',
      async run(c) {
        for (let i = 0; i < 1000; i++) {
          c.signal.throwIfAborted();
          c.progress(i, 1000);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
    });
    const a = section!.mountSection(parent, chunks('a'), { engine, queue, defaults, reason: '' });
    const b = section!.mountSection(parent, chunks('b'), { engine, queue, defaults, reason: '' });
    a.start('normal');
    b.start('normal');
    assertEquals(b.element.dataset.state, 'queued');
    await until(() => (a.job?.fraction ?? 0) > 0.01, 'progress of a');
    await new Promise((r) => requestAnimationFrame(r));
    const metaB = b.element.querySelector('.status .meta')!.textContent!;
    assert(/Queued: 1st in line, after “Section a”/.test(metaB), metaB);
    const metaA = a.element.querySelector('.status .meta')!.textContent!;
    assert(/^\d+%/.test(metaA), `running: ${metaA}`);
    assert(a.element.querySelector<HTMLProgressElement>('.status progress')!.value > 0);
    // Cancel the running section from its status line: b starts.
    a.element.querySelector<HTMLButtonElement>('.status .cancel')!.click();
    await until(() => a.element.dataset.state === 'cancelled', 'a cancelled');
    await until(() => b.element.dataset.state === 'running', 'b running');
    assert(!a.element.querySelector<HTMLElement>('.again')!.hidden, 'Run again offered');
    b.job!.cancel();
    await queue.idle();
    assertEquals(b.element.dataset.state, 'cancelled');
    parent.remove();
  },
  { ignore },
);

test('gallery: the live panel draws Grad-CAM at 28×28 and shows busy at once', async () => {
  const engine = await getEngine();
  const { parent, queue, defaults } = page();
  const m = section!.mountSection(parent, live!.liveSection, {
    engine,
    queue,
    defaults,
    reason: '',
  });
  await m.start('normal').promise;
  const pad = m.element.querySelector<HTMLCanvasElement>('.pad')!;
  const picker = m.element.querySelector<HTMLSelectElement>('select')!;
  picker.value = 'grad-cam';
  picker.dispatchEvent(new Event('change'));
  const ctx = pad.getContext('2d')!;
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 20;
  ctx.beginPath();
  ctx.moveTo(140, 40);
  ctx.lineTo(140, 240);
  ctx.stroke();
  const r = pad.getBoundingClientRect();
  pad.dispatchEvent(
    new PointerEvent('pointerdown', { clientX: r.left + 140, clientY: r.top + 140, pointerId: 1 }),
  );
  const panel = m.element.querySelector<HTMLElement>('.live')!;
  assertEquals(panel.dataset.busy, 'true', 'busy from the first stroke');
  assert(/Predicting/.test(m.element.querySelector('.status')!.textContent!));
  const status = () => m.element.querySelector('.status .text')!.textContent!;
  await until(() => /Predicted|Failed/.test(status()), 'a prediction');
  assert(/Predicted \d/.test(status()), status());
  assertEquals(panel.dataset.busy, undefined);
  const saliency = m.element.querySelector('glass-saliency') as HTMLElement & {
    attribution: Float32Array;
  };
  assertEquals(saliency.attribution.length, 784);
  await queue.idle();
  parent.remove();
}, { ignore });

test('gallery: describeSelection never prints undefined', () => {
  const d = detypify!.describeSelection;
  assertEquals(d({ name: null }), 'Click a node for its details.');
  assertEquals(d(null), 'Click a node for its details.');
  assertEquals(d({ name: 'conv', op: 'Conv', params: 1234 }), 'conv: Conv, 1,234 parameters');
  assertEquals(d({ name: 'blocks.1', op: 'Block' }), 'blocks.1: Block');
}, { ignore });

test(
  'gallery: probes status renders code, not backticks; activation labels from shapes',
  async () => {
    const engine = await getEngine();
    const { parent, queue, defaults } = page();
    const probes = section!.mountSection(parent, global!.probesSection, {
      engine: Object.assign(Object.create(engine), {
        info: { ...engine.info, isFallbackAdapter: true },
      }),
      queue,
      defaults,
      reason: '',
    });
    await probes.start('normal').promise;
    const status = probes.element.querySelector('.status .text')!;
    assert(!status.textContent!.includes('`'), status.textContent!);
    assertEquals(status.querySelector('code')?.textContent, 'glassbox probe');
    const acts = section!.mountSection(parent, activations!.activationsSection, {
      engine,
      queue,
      defaults,
      reason: '',
    });
    await acts.start('normal').promise;
    const options = [...acts.element.querySelectorAll('select')[0].options].map((o) => o.text);
    assertEquals(options.join(), 'conv1 + ReLU (8 × 28 × 28),conv2 + ReLU (16 × 14 × 14)');
    assertEquals(activations!.layerLabel('x', [1, 3, 5, 7]), 'x (3 × 5 × 7)');
    parent.remove();
  },
  { ignore },
);
