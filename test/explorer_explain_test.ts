// Browser tests of the explorer's input, predictions and explain panels: a person's steps on the
// bundled MNIST CNN and text transformer, with maps checked against `explain` called directly.
import { RUNNER, sharedEngine, test } from './harness.ts';
import { assert, assertClose, assertEquals } from './assert.ts';
import {
  type Engine,
  explain,
  type ExplainOptions,
  loadModel,
  modelStructure,
  parameterLayers,
} from '../src/mod.ts';
import { Session } from '../demo/explorer/session.ts';
import type { Job } from '../demo/explorer/scheduler.ts';
// @ts-types="../models/index.d.ts"
import { MODELS } from '../models/index.js';

const ignore = RUNNER === 'deno' ? 'the explorer panels run in the browser' : false;
const ui = RUNNER === 'browser'
  ? {
    ...(await import('../demo/explorer/inputs.ts')),
    ...(await import('../demo/explorer/explain_panel.ts')),
    ...(await import('../demo/explorer/predictions.ts')),
  }
  : null;

const getEngine = sharedEngine();

async function openModel(session: Session, engine: Engine, id: string): Promise<void> {
  const example = MODELS.find((m) => m.id === id)!;
  const response = await fetch(`/models/${example.file}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const model = loadModel(engine, bytes);
  session.setModel({
    name: example.file,
    url: `/models/${example.file}`,
    example,
    bytes,
    ir: model.ir,
    model,
    structure: modelStructure(model),
    problems: [],
  });
}

function box(width = 900): HTMLElement {
  const host = document.createElement('div');
  host.style.width = `${width}px`;
  document.body.append(host);
  return host;
}

function nextEvent(target: EventTarget, name: string): Promise<Event> {
  return new Promise((resolve) => target.addEventListener(name, resolve, { once: true }));
}

/** A 28×28 PNG: white ink on black, a vertical bar at column `x` and a gray ramp in one row. */
async function digitPng(x: number): Promise<{ file: File; gray: Float32Array }> {
  const canvas = new OffscreenCanvas(28, 28);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 28, 28);
  ctx.fillStyle = '#fff';
  ctx.fillRect(x, 5, 3, 18);
  for (let i = 0; i < 28; i++) {
    ctx.fillStyle = `rgb(${i * 9}, ${i * 9}, ${i * 9})`;
    ctx.fillRect(i, 25, 1, 1);
  }
  const pixels = ctx.getImageData(0, 0, 28, 28).data;
  const gray = Float32Array.from({ length: 28 * 28 }, (_, p) => pixels[p * 4] / 255);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return { file: new File([blob], `digit${x}.png`, { type: 'image/png' }), gray };
}

/** Gives the file input a file, as choosing one in the dialog does. */
function chooseFile(input: HTMLInputElement, file: File): void {
  const dt = new DataTransfer();
  dt.items.add(file);
  input.files = dt.files;
  input.dispatchEvent(new Event('change'));
}

/** Sets a form field of a card and fires `change`, as a person editing it does. */
function setField(root: HTMLElement, name: string, value: string): void {
  const field = root.querySelector(`[name="${name}"]`) as HTMLInputElement;
  assert(field, `the card has a ${name} field`);
  field.value = value;
  field.dispatchEvent(new Event('change'));
}

async function direct(
  session: Session,
  options: ExplainOptions,
): Promise<{ data: Float32Array; delta?: number }> {
  const input = session.input!;
  const e = await explain(session.opened!.model!, input.feeds, {
    ...options,
    input: input.explained,
  });
  const data = await e.attribution.readFloat32();
  e.attribution.destroy();
  return { data, delta: e.completeness?.delta[0] };
}

/** Waits until `job` is running and has reported progress. */
function running(session: Session, job: Job<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (job.state === 'running' && job.fraction > 0) {
        session.queue.removeEventListener('change', check);
        resolve();
      }
    };
    session.queue.addEventListener('change', check);
    check();
  });
}

test(
  'explorer: an image file, two methods side by side, numbers as explain gives them',
  async () => {
    const engine = await getEngine();
    const session = new Session(engine);
    localStorage.clear();
    const host = box();
    const inputs = ui!.mountInputs(box(), session);
    const predictions = ui!.mountPredictions(box(), session);
    await openModel(session, engine, 'mnist_cnn');
    // The example's first test sample is preloaded.
    await inputs.ready;
    assert(session.input?.summary.includes('test sample'), `preloaded: ${session.input?.summary}`);
    assertEquals(session.input!.feeds.input.shape.join(), '1,1,28,28');
    assertEquals(inputs.settings?.kind, 'image');

    const panel = ui!.mountExplain(host, session, {
      initial: {
        cards: [{ method: 'saliency', options: {} }, {
          method: 'integrated-gradients',
          options: { steps: 4 },
        }],
        curves: true,
      },
    });
    // Stretch (not the digit fit) so that the tensor is the PNG's pixels / 255.
    const fit = inputs.image!.fileInput.closest('.explorer-inputs')!.querySelector(
      'select[aria-label="Fit"]',
    ) as HTMLSelectElement;
    fit.value = 'stretch';
    fit.dispatchEvent(new Event('change'));
    const png = await digitPng(12);
    const changed = nextEvent(session, 'input');
    chooseFile(inputs.image!.fileInput, png.file);
    await changed;
    assert(session.input!.summary.includes('digit12.png'), session.input!.summary);
    assertClose(session.input!.feeds.input.data as Float32Array, png.gray, { atol: 1e-5 });
    await panel.idle();
    await predictions.settled;

    const [sal, ig] = panel.cards;
    const version = session.input!.version;
    for (const card of [sal, ig]) {
      assertEquals(card.shown?.version, version, `card ${card.method} shows the current input`);
      assertEquals(card.element?.localName, 'glass-saliency');
    }
    const dSal = await direct(session, { method: 'saliency' });
    assertClose(sal.shown!.result.data, dSal.data, { atol: 1e-5 }, 'saliency');
    const drawn = (sal.element as unknown as { maps: { data: Float32Array; shape: number[] }[] })
      .maps[0];
    assertEquals(drawn.shape.join(), '28,28');
    assertClose(drawn.data, dSal.data, { atol: 1e-5 }, 'saliency as drawn');
    const dIg = await direct(session, { method: 'integrated-gradients', steps: 4 });
    assertClose(ig.shown!.result.data, dIg.data, { atol: 1e-5 }, 'integrated gradients');
    assertClose([ig.shown!.result.completeness!.delta[0]], [dIg.delta!], { atol: 1e-5 });
    const igInfo = ig.root.querySelector('.info')!.textContent!;
    assert(igInfo.includes('Completeness') && igInfo.includes('δ ='), igInfo);
    assert(!sal.root.querySelector('.info')!.textContent!.includes('Completeness'));
    // Curves beside each map.
    assert(/Deletion AUC [\d.]+/.test(sal.root.querySelector('.curves')!.textContent!));
    // Predictions: the top class is the model's, with its label.
    const top = predictions.shown!.top[0];
    assertEquals(top.index, ig.shown!.result.predicted);
    assertEquals(top.label, String(top.index));

    // The randomization sanity check in one click: one row per layer with parameters.
    (sal.root.querySelector('.sanity')!.previousElementSibling!.querySelector(
      'button',
    ) as HTMLButtonElement)
      .click();
    const sanityJob = session.queue.jobs.find((j) => j.key === `sanity:${sal.id}`)!;
    assert(sanityJob, 'the sanity check is queued');
    await sanityJob.promise;
    const layers = parameterLayers(session.opened!.model!).length;
    assertEquals(sal.sanity!.steps.length, layers);
    assertEquals(sal.root.querySelectorAll('.sanity tr').length, layers + 1);
    assert(sal.root.querySelector('.sanity p')!.textContent!.includes('randomized'));

    // Switching the method away and back is served from the cache.
    const hits = ui!.liveStats().cacheHits;
    const methodSelect = sal.root.querySelector('select[aria-label="Method"]') as HTMLSelectElement;
    methodSelect.value = 'gradient';
    methodSelect.dispatchEvent(new Event('change'));
    await panel.idle();
    methodSelect.value = 'saliency';
    methodSelect.dispatchEvent(new Event('change'));
    assertEquals(ui!.liveStats().cacheHits, hits + 1);
    assertClose(sal.shown!.result.data, dSal.data, { atol: 1e-5 });

    // Grad-CAM on the layer's own grid: drawn at its size, never mixed with the image's.
    methodSelect.value = 'grad-cam';
    methodSelect.dispatchEvent(new Event('change'));
    setField(sal.root, 'upsample', 'none');
    await panel.idle();
    const cam = sal.shown!.result;
    const camDrawn = (sal.element as unknown as { maps: { data: Float32Array; shape: number[] }[] })
      .maps[0];
    assertEquals(cam.shape.length, 3);
    assertEquals(camDrawn.shape.join(), cam.shape.slice(1).join());
    assert(cam.data.length < 28 * 28, `a layer grid: ${cam.shape}`);
    assert(sal.root.querySelector('.info')!.textContent!.includes('grid'));
    panel.destroy();
    predictions.destroy();
    inputs.destroy();
    session.setModel(null);
  },
  { ignore },
);

test('explorer: a long job is cancelled, and a stale input never shows its map', async () => {
  const engine = await getEngine();
  const session = new Session(engine);
  localStorage.clear();
  const inputs = ui!.mountInputs(box(), session);
  await openModel(session, engine, 'mnist_cnn');
  await inputs.ready;
  const host = box();
  const panel = ui!.mountExplain(host, session, {
    initial: { cards: [{ method: 'integrated-gradients', options: { steps: 4 } }], curves: false },
  });
  const seen: { version: number; current: boolean }[] = [];
  host.addEventListener('explorer-drawn', (e) => {
    const { version } = (e as CustomEvent<{ version: number }>).detail;
    seen.push({ version, current: session.isCurrent(version) });
  });
  await panel.idle();
  const [card] = panel.cards;
  assertEquals(card.shown?.version, session.input!.version);

  // Many steps in small batches, then Cancel.
  setField(card.root, 'batchSize', '2');
  await panel.idle();
  setField(card.root, 'steps', '2000');
  const long = card.job!;
  assert(long, 'a job runs for 2000 steps');
  assert(long.label.includes('2000 steps'), long.label);
  assertEquals(card.shown, null, 'the map of other options is hidden while it runs');
  await running(session, long);
  const bar = card.root.querySelector('.jobs .job')!;
  assert(bar.textContent!.includes('%'), `progress shown: ${bar.textContent}`);
  const drawnBefore = seen.length;
  const cancelled = ui!.liveStats().cancelled;
  (card.root.querySelector('.jobs button.cancel') as HTMLButtonElement).click();
  const error = await long.promise.then(() => null, (e) => e as Error);
  assertEquals(error?.name, 'AbortError');
  assertEquals(long.state, 'cancelled');
  await panel.idle();
  assertEquals(card.shown, null, 'no map for the cancelled job');
  assertEquals(seen.length, drawnBefore, 'nothing drawn');
  assert((card.root.querySelector('.figure') as HTMLElement).hidden);
  assert(card.root.querySelector('.status')!.textContent!.includes('Cancelled'));
  assertEquals(ui!.liveStats().cancelled, cancelled + 1);

  // A new input while a job runs: the old job is cancelled, only the new input's map appears.
  setField(card.root, 'steps', '48');
  const old = card.job!;
  await running(session, old);
  const fit = host.ownerDocument.querySelector('select[aria-label="Fit"]') as HTMLSelectElement;
  fit.value = 'stretch';
  fit.dispatchEvent(new Event('change'));
  const png = await digitPng(6);
  const changed = nextEvent(session, 'input');
  chooseFile(inputs.image!.fileInput, png.file);
  await changed;
  const version = session.input!.version;
  await panel.idle();
  assertEquals(old.state, 'cancelled', 'the stale job was replaced');
  assertEquals(card.shown?.version, version);
  assert(seen.length > drawnBefore, 'the new map was drawn');
  assert(seen.every((s) => s.current), `every map drawn was current: ${JSON.stringify(seen)}`);
  const d = await direct(session, { method: 'integrated-gradients', steps: 48, batchSize: 2 });
  assertClose(card.shown!.result.data, d.data, { atol: 1e-5 });
  panel.destroy();
  inputs.destroy();
  session.setModel(null);
}, { ignore });

test('explorer: typed text through the vocabulary, tokens explained; bad ids refused', async () => {
  const engine = await getEngine();
  const session = new Session(engine);
  localStorage.clear();
  const inputs = ui!.mountInputs(box(), session, { debounceMs: 20 });
  await openModel(session, engine, 'text_transformer');
  await inputs.ready;
  assertEquals(inputs.settings?.kind, 'tokens');
  assertEquals(session.input?.feeds.input_ids.shape.join(), '1,64');
  const host = box();
  const panel = ui!.mountExplain(host, session, {
    initial: { cards: [{ method: 'integrated-gradients', options: { steps: 4 } }], curves: false },
  });
  const predictions = ui!.mountPredictions(box(), session);
  const text = inputs.tokens!.textarea;
  text.value = 'Click here for FREE money now';
  const changed = nextEvent(session, 'input');
  text.dispatchEvent(new Event('input'));
  await changed;
  const input = session.input!;
  assertEquals(input.tokens!.slice(0, 7).join(' '), 'click here for free money now [PAD]');
  const ids = Array.from(input.feeds.input_ids.data as BigInt64Array, Number);
  assertEquals(ids.slice(0, 4).join(), '55,65,9,49');
  await panel.idle();
  await predictions.settled;
  const [card] = panel.cards;
  assertEquals(card.shown?.version, input.version);
  const el = card.element as unknown as {
    localName: string;
    tokens: string[];
    values: Float32Array;
  };
  assertEquals(el.localName, 'glass-tokens');
  assertEquals(el.tokens.join(' '), 'click here for free money now');
  const d = await direct(session, { method: 'integrated-gradients', steps: 4 });
  assertEquals(card.shown!.result.shape.join(), '1,64');
  assertClose(el.values, d.data.slice(0, 6), { atol: 1e-5 }, 'token attributions');
  assert(card.root.querySelector('.info')!.textContent!.includes('Completeness'));
  assert(['ham', 'spam'].includes(predictions.shown!.top[0].label));

  // Raw ids, one beyond the embedding table: a sentence, and no new input.
  const mode = inputs.tokens!.modeSelect;
  mode.value = 'ids';
  text.value = '5, 12, 2002';
  mode.dispatchEvent(new Event('change'));
  const error = text.parentElement!.querySelector('.error') as HTMLElement;
  assert(
    !error.hidden && error.textContent!.includes('2002') &&
      error.textContent!.includes('out of range'),
    error.textContent!,
  );
  assertEquals(session.input!.version, input.version);
  panel.destroy();
  predictions.destroy();
  inputs.destroy();
  session.setModel(null);
}, { ignore });

test(
  'explorer: methods start at the usual sizes on a GPU and smaller on a software adapter',
  async () => {
    const engine = await getEngine();
    for (const software of [true, false]) {
      // Only the adapter summary differs: the panel reads it once, when it is mounted.
      const info = { ...engine.info, isFallbackAdapter: software };
      const view = Object.create(engine, { info: { value: info } }) as Engine;
      const session = new Session(view);
      const host = box();
      const panel = ui!.mountExplain(host, session, { initial: { cards: [], curves: false } });
      try {
        const ig = panel.addMethod('integrated-gradients');
        const sg = panel.addMethod('smoothgrad');
        const steps = ig.root.querySelector('[name="steps"]') as HTMLInputElement;
        const samples = sg.root.querySelector('[name="samples"]') as HTMLInputElement;
        assertEquals(steps.value, software ? '16' : '50');
        assertEquals(samples.value, software ? '16' : '50');
        assertEquals(
          ui!.engineOptions('integrated-gradients', ig.options).steps,
          software ? 16 : 50,
        );
      } finally {
        panel.destroy();
        host.remove();
      }
    }
  },
  { ignore },
);
