// Browser tests of the explorer's global view (demo/explorer/global_panel.ts, dataset.ts,
// export.ts) on the bundled MNIST CNN: a dataset dropped as .npy files, a folder of images, the
// bundled samples; the surrogate and probes run through the session's queue and their results
// shown; a cancelled job; dataset errors; and the export buttons' files.
import { RUNNER, sharedEngine, test } from './harness.ts';
import { assert, assertEquals } from './assert.ts';
import { loadBytes, loadNpy } from './files.ts';
import { loadModel } from '../src/onnx/model.ts';
import { modelStructure } from '../src/onnx/structure.ts';
import { parseOnnx } from '../src/onnx/parse.ts';
import { readNpy, writeNpy } from '../src/io/npy.ts';
import type { Session as SessionType } from '../demo/explorer/session.ts';
import type { GlobalPanel } from '../demo/explorer/global_panel.ts';
import type { Dataset } from '../demo/explorer/dataset.ts';
import type { ExportDetail } from '../demo/explorer/export.ts';
import type { Surrogate } from '../src/global/surrogate.ts';
import type { ProbeReport } from '../src/global/probe.ts';

const ignore = RUNNER === 'deno' ? 'the explorer runs in the browser' : false;
const ui = RUNNER === 'browser'
  ? {
    session: await import('../demo/explorer/session.ts'),
    panel: await import('../demo/explorer/global_panel.ts'),
    models: await import('../models/index.js'),
  }
  : null;
const getEngine = sharedEngine();

const N = 24;

interface Setup {
  session: SessionType;
  host: HTMLElement;
  panel: GlobalPanel;
  x: Float32Array;
  y: Int32Array;
}

let setup: Promise<Setup> | null = null;

/** One session with the MNIST CNN opened and the global view mounted (shared by the tests). */
function open(): Promise<Setup> {
  setup ??= (async () => {
    const engine = await getEngine();
    const bytes = await loadBytes('models/mnist_cnn.onnx');
    const model = loadModel(engine, bytes);
    const session = new ui!.session.Session(engine);
    const example = ui!.models.MODELS.find((m) => m.id === 'mnist_cnn')!;
    session.setModel({
      name: 'mnist_cnn.onnx',
      url: '/models/mnist_cnn.onnx',
      example,
      bytes,
      ir: parseOnnx(bytes),
      model,
      structure: modelStructure(model),
      problems: [],
    });
    const host = document.createElement('section');
    host.style.width = '900px';
    document.body.append(host);
    const panel = ui!.panel.mountGlobal(host, session);
    const xs = await loadNpy('models/data/mnist_test_x.npy');
    const ys = await loadNpy('models/data/mnist_test_y.npy');
    const x = (xs.data as Float32Array).slice(0, N * 784);
    const y = Int32Array.from((ys.data as BigInt64Array).slice(0, N), Number);
    return { session, host, panel, x, y };
  })();
  return setup;
}

const q = <T extends Element>(host: HTMLElement, sel: string) => {
  const e = host.querySelector<T & Element>(sel);
  if (!e) throw new Error(`no ${sel} in the global view`);
  return e as T;
};

function once<T>(target: EventTarget, type: string): Promise<T> {
  return new Promise((resolve) =>
    target.addEventListener(type, (e) => resolve((e as CustomEvent<T>).detail), { once: true })
  );
}

/** Drops `files` on the drop zone as a browser does (a DataTransfer of Files). */
function dropFiles(host: HTMLElement, files: File[]): void {
  const transfer = new DataTransfer();
  for (const f of files) transfer.items.add(f);
  const zone = q<HTMLElement>(host, '.gx-drop');
  zone.dispatchEvent(
    new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
  );
}

const npyFile = (name: string, data: Float32Array | Int32Array, shape: number[]) =>
  new File([writeNpy(data, shape)], name);

function setValue(input: HTMLInputElement | HTMLSelectElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event('change'));
}

/** The job the last click queued under `key`. */
function jobOf<T>(session: SessionType, key: string) {
  const job = session.queue.jobs.find((j) => j.key === key);
  assert(job, `a job with key ${key} is queued`);
  return job as typeof job & { promise: Promise<T> };
}

test('global view: dropped .npy files become the dataset; errors name the mismatch', async () => {
  const { host, panel, x, y } = await open();
  const got = once<Dataset>(host, 'explorer-dataset');
  dropFiles(host, [npyFile('x.npy', x, [N, 1, 28, 28]), npyFile('y.npy', y, [N])]);
  const ds = await got;
  assertEquals(ds.count, N);
  assertEquals(panel.dataset, ds);
  assertEquals(ds.inputs.shape.join(','), `${N},1,28,28`);
  assertEquals([...ds.labels!].join(','), [...y].join(','));
  // The example's class names are taken for bare indices.
  assertEquals(ds.classNames!.join(''), '0123456789');
  const status = q<HTMLElement>(host, '.gx-dataset-status');
  assert(
    status.textContent!.includes(`${N} examples from x.npy, labels from y.npy`),
    status.textContent!,
  );

  // A labels file of another length.
  const bad = once<{ error: string }>(host, 'explorer-dataset');
  dropFiles(host, [npyFile('x.npy', x, [N, 1, 28, 28]), npyFile('y.npy', y.slice(0, 20), [20])]);
  assert((await bad).error.includes(`${N} inputs but 20 labels`), (await bad).error);
  assertEquals(status.getAttribute('role'), 'alert');
  assert(status.textContent!.includes('24 inputs but 20 labels'), status.textContent!);
  // Examples of the wrong size.
  const wrong = once<{ error: string }>(host, 'explorer-dataset');
  dropFiles(host, [npyFile('x.npy', x.slice(0, N * 700), [N, 700])]);
  const message = (await wrong).error;
  assert(
    message.includes('each example has shape [700]') && message.includes('[1,28,28]'),
    message,
  );
  // Too few examples.
  const few = once<{ error: string }>(host, 'explorer-dataset');
  dropFiles(host, [npyFile('x.npy', x.slice(0, 5 * 784), [5, 1, 28, 28])]);
  assert((await few).error.includes('has 5 examples'), 'too few');
  // The last good dataset is still in use.
  assertEquals(panel.dataset, ds);
}, { ignore });

test('global view: a folder of images is labeled by subfolder and scaled to [0, 1]', async () => {
  const { panel, session } = await open();
  // 8 images of 14×14 (resized to 28×28): folder "7" white, folder "3" black with a white
  // square in the top-left quarter.
  const image = async (white: boolean) => {
    const c = new OffscreenCanvas(14, 14);
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = white ? '#fff' : '#000';
    ctx.fillRect(0, 0, 14, 14);
    if (!white) {
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, 7, 7);
    }
    return await c.convertToBlob({ type: 'image/png' });
  };
  const files = [];
  for (let i = 0; i < 4; i++) {
    files.push({ path: `digits/7/${i}.png`, file: await image(true) });
    files.push({ path: `digits/3/${i}.png`, file: await image(false) });
  }
  files.push({ path: 'digits/README.txt', file: new Blob(['not an image']) });
  const ds = await panel.loadFiles(files);
  assertEquals(ds.count, 8);
  // Folder names are the model's class names: their indices are the model's.
  assertEquals(ds.classNames!.join(''), session.labels!.join(''));
  assertEquals([...ds.labels!].join(','), '3,3,3,3,7,7,7,7');
  const data = ds.inputs.data as Float32Array;
  // Image 0 (folder 3): top-left white, bottom-right black; image 4 (folder 7) all white.
  assert(Math.abs(data[2 * 28 + 2] - 1) < 1e-6, `top-left ${data[2 * 28 + 2]}`);
  assert(Math.abs(data[25 * 28 + 25]) < 1e-6, `bottom-right ${data[25 * 28 + 25]}`);
  assert(data.subarray(4 * 784, 5 * 784).every((v) => Math.abs(v - 1) < 1e-6), 'white image');
}, { ignore });

test('global view: the bundled samples in one click, limited to the first examples', async () => {
  const { host, panel } = await open();
  setValue(q<HTMLInputElement>(host, 'input[name="limit"]'), '16');
  const got = once<Dataset>(host, 'explorer-dataset');
  q<HTMLButtonElement>(host, 'button[data-action="samples"]').click();
  const ds = await got;
  assertEquals(ds.count, 16);
  assertEquals(panel.dataset, ds);
  const ys = await loadNpy('models/data/mnist_test_y.npy');
  assertEquals([...ds.labels!].join(','), [...(ys.data as BigInt64Array).slice(0, 16)].join(','));
  setValue(q<HTMLInputElement>(host, 'input[name="limit"]'), '1000');
}, { ignore });

test(
  'global view: the surrogate runs as a background job; the fidelity shown is distill’s',
  async () => {
    const { host, panel, session, x, y } = await open();
    await panel.loadFiles([
      { path: 'x.npy', file: npyFile('x.npy', x, [N, 1, 28, 28]) },
      { path: 'y.npy', file: npyFile('y.npy', y, [N]) },
    ]);
    setValue(q<HTMLSelectElement>(host, 'select[name="kind"]'), 'linear');
    setValue(q<HTMLInputElement>(host, 'input[name="epochs"]'), '3');
    q<HTMLButtonElement>(host, '.gx-surrogate button:not([hidden])').click();
    const job = jobOf<Surrogate>(session, 'global-surrogate');
    assertEquals(job.priority, 'background');
    const s = await job.promise;
    await session.queue.idle();
    const view = panel.surrogateView;
    assertEquals(view.surrogate, s);
    assert(!view.hidden, 'the surrogate view shows');
    assertEquals(s.split.train + s.split.test, N);
    await view.updateComplete;
    const shown = `${(s.fidelity.agreement * 100).toFixed(1)}%`;
    const fidelity = view.shadowRoot!.querySelector('[part~="fidelity"]')!.textContent!;
    assert(fidelity.includes(shown), `the element shows ${shown}: ${fidelity}`);
    const status = q<HTMLElement>(host, '.gx-surrogate-status');
    assert(
      status.textContent!.startsWith(`Fidelity ${shown} on ${s.fidelity.count}`),
      status.textContent!,
    );
    assertEquals(Number(status.dataset.agreement), s.fidelity.agreement);
    assert(s.accuracy !== undefined, 'labels give accuracies');
    assert(
      q<HTMLProgressElement>(host, '.gx-surrogate progress').hidden,
      'progress hidden when done',
    );

    // Export buttons: PNG of the element's size, SVG with the fidelity text, data round-trips.
    const exported: ExportDetail[] = [];
    const exportHost = q<HTMLElement>(host, '.gx-surrogate .export').parentElement!;
    const collect = (e: Event) => exported.push((e as CustomEvent<ExportDetail>).detail);
    exportHost.addEventListener('explorer-export', collect);
    for (const kind of ['png', 'svg', 'data']) {
      const n = exported.length;
      q<HTMLButtonElement>(exportHost, `button[data-kind="${kind}"]`).click();
      for (let i = 0; i < 200 && exported.length === n; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    exportHost.removeEventListener('explorer-export', collect);
    const byName = new Map(exported.map((f) => [f.name, f]));
    const png = await createImageBitmap(byName.get('surrogate.png')!.blob);
    const r = view.getBoundingClientRect();
    const dpr = Math.max(1, devicePixelRatio || 1);
    assertEquals(png.width, Math.round(Math.round(r.width) * dpr));
    assertEquals(png.height, Math.round(Math.round(r.height) * dpr));
    const svg = new DOMParser().parseFromString(
      await byName.get('surrogate.svg')!.blob.text(),
      'image/svg+xml',
    );
    assertEquals(svg.querySelector('parsererror'), null);
    assert(
      [...svg.querySelectorAll('text')].some((t) => t.textContent!.includes(shown)),
      'the SVG has the fidelity as text',
    );
    assertEquals(svg.querySelectorAll('image.canvas').length, 1, 'the templates canvas');
    const templates = readNpy(
      new Uint8Array(await byName.get('surrogate_templates.npy')!.blob.arrayBuffer()),
    );
    assertEquals(templates.shape.join(','), '10,1,28,28');
    assert(
      (templates.data as Float32Array).every((v, i) => v === s.templates![i]),
      'templates round-trip',
    );
    const json = JSON.parse(await byName.get('surrogate_surrogate.json')!.blob.text());
    assertEquals(json.fidelity.agreement, s.fidelity.agreement);
  },
  { ignore, timeout: 600_000 },
);

test('global view: probes on two layers; a cancelled job leaves the last result', async () => {
  const { host, panel, session, x, y } = await open();
  await panel.loadFiles([
    { path: 'x.npy', file: npyFile('x.npy', x, [N, 1, 28, 28]) },
    { path: 'y.npy', file: npyFile('y.npy', y, [N]) },
  ]);
  const boxes = [...host.querySelectorAll<HTMLInputElement>('.gx-layers input[type="checkbox"]')];
  assert(boxes.length >= 3, `layers offered: ${boxes.map((b) => b.value)}`);
  // The input and the last offered layer (the logits).
  boxes.forEach((b, i) => (b.checked = i === 0 || i === boxes.length - 1));
  const chosen = [boxes[0].value, boxes[boxes.length - 1].value];
  setValue(q<HTMLInputElement>(host, 'input[name="probe-epochs"]'), '3');
  q<HTMLButtonElement>(host, '.gx-probes p > button').click();
  const job = jobOf<ProbeReport>(session, 'global-probes');
  assertEquals(job.priority, 'background');
  const report = await job.promise;
  await session.queue.idle();
  assertEquals(panel.probesView.report, report);
  assertEquals(report.layers.map((l) => l.layer).join(','), chosen.join(','));
  const status = q<HTMLElement>(host, '.gx-probes-status');
  assert(status.textContent!.startsWith('Best layer'), status.textContent!);

  // Cancel a long run: the job rejects as cancelled, the view keeps the last report.
  setValue(q<HTMLInputElement>(host, 'input[name="probe-epochs"]'), '500');
  q<HTMLButtonElement>(host, '.gx-probes p > button').click();
  const long = jobOf<ProbeReport>(session, 'global-probes');
  const cancel = [...host.querySelectorAll<HTMLButtonElement>('.gx-probes button')].find((b) =>
    b.textContent === 'Cancel'
  )!;
  assert(!cancel.hidden, 'the cancel button shows while the job runs');
  // Cancel once it is running and has reported progress (its signal is then what stops it).
  for (let i = 0; i < 3000 && !(long.state === 'running' && long.fraction > 0); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assertEquals(long.state, 'running');
  cancel.click();
  let error: unknown = null;
  try {
    await long.promise;
  } catch (e) {
    error = e;
  }
  assertEquals((error as Error)?.name, 'AbortError');
  assertEquals(long.state, 'cancelled');
  await session.queue.idle();
  assertEquals(status.textContent, 'Probing cancelled.');
  assertEquals(panel.probesView.report, report);
  assert(cancel.hidden, 'cancel hidden after the job ended');
  const run = q<HTMLButtonElement>(host, '.gx-probes p > button');
  assert(!run.disabled, 'the run button is enabled again');
}, { ignore, timeout: 600_000 });
