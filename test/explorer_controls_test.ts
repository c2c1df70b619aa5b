// Every control of the mounted explorer (demo/explorer/app.ts) that the other explorer tests do
// not press, pressed here through the DOM as a person would, each with its visible effect or the
// numbers it produces: the URL field and its Cancel, the navigator's match list and keys, the
// drawing pad, Clear pad and the ink, paste and drop on the image area, the webcam (Chromium's fake
// camera, see web-test-runner.config.mjs), every preprocessing setting on a 3-channel model, the
// labels file, a .npy file and its example number, a vocabulary file, the target and every option
// field of the explain cards, remove (×), the curves checkbox, the export buttons, and the global
// view's folder and file pickers, mean/std and the surrogate's Cancel. Models are built here and
// tiny, so that SwiftShader keeps up.
import { RUNNER, sharedEngine, test } from './harness.ts';
import { assert, assertClose, assertEquals } from './assert.ts';
import { buildModel } from './onnx_builder.ts';
import { explain, type ExplainOptions, readNpy, writeNpy } from '../src/mod.ts';
import type { Session } from '../demo/explorer/session.ts';
import type { ExportDetail } from '../demo/explorer/export.ts';
import { choose, until } from './explorer_steps.ts';

const ignore = RUNNER === 'deno' ? 'the explorer runs in the browser' : false;
const ui = RUNNER === 'browser'
  ? {
    ...(await import('../demo/explorer/app.ts')),
    ...(await import('../demo/explorer/url_state.ts')),
    ...(await import('../demo/explorer/explain_panel.ts')),
  }
  : null;
const getEngine = sharedEngine();

/** Sets a field as a person does: the value, then `change`. */
function set(field: HTMLInputElement | HTMLSelectElement, value: string): void {
  field.value = value;
  field.dispatchEvent(new Event('change', { bubbles: true }));
}

function q<T extends Element>(root: ParentNode, selector: string): T {
  const e = root.querySelector(selector);
  assert(e, `the page has ${selector}`);
  return e as T;
}

function button(root: ParentNode, text: string): HTMLButtonElement {
  const b = [...root.querySelectorAll('button')].find((b) => b.textContent === text);
  assert(b, `a button "${text}"`);
  return b;
}

/** The largest absolute difference of two arrays of one length. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length, 'lengths');
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** A CNN on 1×6×6 images: Conv 1→2 3×3, Relu, Flatten, MatMul → 3 classes. */
function grayModel(): File {
  const w = Array.from({ length: 18 }, (_, i) => ((i * 7) % 11 - 5) / 8);
  const w2 = Array.from({ length: 32 * 3 }, (_, i) => ((i * 5) % 13 - 6) / 10);
  const bytes = buildModel({
    inputs: [{ name: 'pixels', shape: [1, 1, 6, 6] }],
    outputs: [{ name: 'scores', shape: [1, 3] }],
    initializers: [
      { name: 'kernel', dims: [2, 1, 3, 3], float: w },
      { name: 'head_w', dims: [32, 3], float: w2 },
    ],
    nodes: [
      { op: 'Conv', inputs: ['pixels', 'kernel'], outputs: ['c'], name: 'my_conv' },
      { op: 'Relu', inputs: ['c'], outputs: ['r'], name: 'my_relu' },
      { op: 'Flatten', inputs: ['r'], outputs: ['f'], name: 'flat', ints: { axis: 1 } },
      { op: 'MatMul', inputs: ['f', 'head_w'], outputs: ['scores'], name: 'my_head' },
    ],
  });
  return new File([new Uint8Array(bytes)], 'gray6.onnx');
}

/** An RGB model of any size (symbolic H, W): GlobalAveragePool, Flatten, MatMul → 2. */
function rgbModel(): File {
  const bytes = buildModel({
    inputs: [{ name: 'rgb', shape: [1, 3, 'h', 'w'] }],
    outputs: [{ name: 'logits', shape: [1, 2] }],
    initializers: [{ name: 'w', dims: [3, 2], float: [1, -1, 0.5, 0.25, -0.5, 1] }],
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['rgb'], outputs: ['g'], name: 'pool' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flat', ints: { axis: 1 } },
      { op: 'MatMul', inputs: ['f', 'w'], outputs: ['logits'], name: 'head' },
    ],
  });
  return new File([new Uint8Array(bytes)], 'rgb_any.onnx');
}

/** A token model: ids [1, 4] (int64), an embedding of 6 rows × 2, Flatten, MatMul → 2. */
function tokenModel(): File {
  const bytes = buildModel({
    inputs: [{ name: 'ids', type: 7, shape: [1, 4] }],
    outputs: [{ name: 'logits', shape: [1, 2] }],
    initializers: [
      { name: 'emb', dims: [6, 2], float: [0, 0, 1, 0, 0, 1, 1, 1, -1, 0, 0, -1] },
      { name: 'w', dims: [8, 2], float: [1, 0, 0, 1, 1, 1, -1, 0, 0, -1, 1, -1, 0.5, 0.5, 2, 0] },
    ],
    nodes: [
      { op: 'Gather', inputs: ['emb', 'ids'], outputs: ['e'], name: 'embed', ints: { axis: 0 } },
      { op: 'Flatten', inputs: ['e'], outputs: ['f'], name: 'flat', ints: { axis: 1 } },
      { op: 'MatMul', inputs: ['f', 'w'], outputs: ['logits'], name: 'head' },
    ],
  });
  return new File([new Uint8Array(bytes)], 'tokens4.onnx');
}

/** A PNG of `w`×`h` whose pixel (x, y) has the color `color(x, y)` ([r, g, b]). */
async function png(
  name: string,
  w: number,
  h: number,
  color: (x: number, y: number) => number[],
): Promise<{ file: File; rgb: number[][] }> {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  const rgb: number[][] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = color(x, y);
      rgb.push(c);
      ctx.fillStyle = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
      ctx.fillRect(x, y, 1, 1);
    }
  }
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return { file: new File([blob], name, { type: 'image/png' }), rgb };
}

interface Mounted {
  session: Session;
  panels: Readonly<Record<string, HTMLElement>>;
  done(): Promise<void>;
}

/** The explorer with the given explain cards, mounted in a page of its own width. */
async function mount(
  cards: { method: string; options: Record<string, unknown> }[] = [
    { method: 'saliency', options: {} },
  ],
  curves = false,
): Promise<Mounted> {
  localStorage.clear();
  ui!.setViewState('explain', JSON.stringify({ cards, curves }));
  const root = document.createElement('main');
  root.style.width = '1100px';
  document.body.append(root);
  const { session, panels } = await ui!.mountExplorer(root, {
    engine: await getEngine(),
    url: false,
  });
  return {
    session,
    panels,
    async done() {
      await session.queue.idle();
      session.setModel(null);
      root.remove();
      ui!.setViewState('explain', null);
    },
  };
}

async function openFile(m: Mounted, file: File): Promise<void> {
  choose(q<HTMLInputElement>(m.panels.open, 'input[type=file]'), file);
  await until(m.session, () => m.session.opened?.name === file.name, `${file.name} open`);
}

/** Waits for an input newer than `after` whose summary matches `what`. */
async function nextInput(m: Mounted, after: number, what: RegExp) {
  await until(
    m.session,
    () => (m.session.input?.version ?? 0) > after && what.test(m.session.input!.summary),
    `input ${what}`,
  );
  return m.session.input!;
}

const feedOf = (m: Mounted) => {
  const input = m.session.input!;
  return input.feeds[input.explained].data as Float32Array;
};

test('explorer controls: Open URL (and its Cancel), the match list and the keys', async () => {
  const m = await mount();
  try {
    const open = m.panels.open;
    const url = q<HTMLInputElement>(open, 'input[type=url]');
    const submit = button(open, 'Open URL');
    const alert = q<HTMLElement>(open, '[role=alert]');
    // An empty address: a sentence, nothing opened.
    submit.click();
    assertEquals(alert.textContent, 'Type the address of an ONNX model first.');
    assert(!alert.hidden, 'the sentence shows');
    // Cancel while reading: stopped, nothing opened.
    url.value = '/models/fashion_cnn.onnx';
    submit.click();
    const progress = open.querySelector('.progress') as HTMLElement;
    assert(!progress.hidden, 'the progress bar shows while reading');
    button(progress, 'Cancel').click();
    await until(
      m.session,
      () => /Stopped reading fashion_cnn\.onnx/.test(open.textContent!),
      'stopped',
    );
    assertEquals(m.session.opened, null);
    assert(progress.hidden, 'the progress bar is gone');
    // Open URL.
    submit.click();
    await until(m.session, () => m.session.opened?.name === 'fashion_cnn.onnx', 'fashion open');
    assertEquals(m.session.opened!.url, '/models/fashion_cnn.onnx');
    assertEquals(m.session.opened!.example?.id, 'fashion_cnn');
    assert(alert.hidden, 'no error');
    assert(/Opened fashion_cnn\.onnx/.test(open.textContent!), open.textContent!);

    // The navigator: arrows move in the match list, a click on a match selects it, Escape
    // clears the box, "/" comes back to it.
    const graph = m.panels.graph;
    const search = q<HTMLInputElement>(graph, 'input[type=search]');
    search.value = 'conv';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    const items = () => [...graph.querySelectorAll<HTMLElement>('.matches li')];
    assert(items().length >= 2, `two convs listed: ${items().length}`);
    const active = () => items().findIndex((li) => li.getAttribute('aria-selected') === 'true');
    assertEquals(active(), 0);
    const key = (target: EventTarget, k: string) =>
      target.dispatchEvent(
        new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }),
      );
    key(search, 'ArrowDown');
    assertEquals(active(), 1);
    key(search, 'ArrowUp');
    assertEquals(active(), 0);
    key(search, 'ArrowUp');
    assertEquals(active(), items().length - 1, 'wraps to the last');
    const second = items()[1];
    second.click();
    assertEquals(m.session.selected, second.dataset.name);
    await until(
      m.session,
      () => m.panels.node.textContent!.includes(second.dataset.name!),
      'node panel shows the match',
    );
    key(search, 'Escape');
    assertEquals(search.value, '');
    assert((graph.querySelector('.matches') as HTMLElement).hidden, 'the list is closed');
    search.blur();
    key(q(graph, '.glass-navigator'), '/');
    assertEquals(document.activeElement, search, '"/" focuses the search box');
  } finally {
    await m.done();
  }
}, { ignore });

test('explorer controls: the drawing pad, Clear pad, the ink, paste, drop and webcam', async () => {
  const m = await mount();
  try {
    await openFile(m, grayModel());
    const input = m.panels.input;
    set(q<HTMLSelectElement>(input, 'select[aria-label="Fit"]'), 'stretch');
    const pad = q<HTMLCanvasElement>(input, 'canvas[aria-label="Drawing pad"]');
    pad.scrollIntoView();
    /** A stroke from (x0, y0) to (x1, y1) in fractions of the pad. */
    const stroke = (x0: number, y0: number, x1: number, y1: number) => {
      const r = pad.getBoundingClientRect();
      const at = (x: number, y: number) => ({
        clientX: r.left + x * r.width,
        clientY: r.top + y * r.height,
        pointerId: 1,
        bubbles: true,
      });
      pad.dispatchEvent(new PointerEvent('pointerdown', at(x0, y0)));
      for (let t = 0.25; t <= 1; t += 0.25) {
        pad.dispatchEvent(
          new PointerEvent('pointermove', at(x0 + t * (x1 - x0), y0 + t * (y1 - y0))),
        );
      }
      pad.dispatchEvent(new PointerEvent('pointerup', at(x1, y1)));
    };
    // A vertical stroke down the left column of the 6×6 grid.
    let v = m.session.input?.version ?? 0;
    stroke(1 / 12, 1 / 12, 1 / 12, 11 / 12);
    let inp = await nextInput(m, v, /^drawing/);
    assertEquals(inp.feeds.pixels.shape.join(), '1,1,6,6');
    let x = feedOf(m);
    for (let row = 0; row < 6; row++) {
      assert(x[row * 6] > 0.2, `ink in row ${row} of column 0: ${x[row * 6]}`);
      for (let col = 2; col < 6; col++) assertEquals(x[row * 6 + col], 0, `no ink at ${col}`);
    }
    // Clear pad: all paper (black).
    v = inp.version;
    button(input, 'Clear pad').click();
    inp = await nextInput(m, v, /^drawing/);
    assert(feedOf(m).every((p) => p === 0), 'cleared');
    // Black ink on white: white paper reads 1; inverted it reads 0, and the ink 1.
    v = inp.version;
    set(q<HTMLSelectElement>(input, 'select[aria-label="Ink"]'), 'black');
    inp = await nextInput(m, v, /^drawing/);
    assert(feedOf(m).every((p) => Math.abs(p - 1) < 1e-6), 'white paper');
    v = inp.version;
    const invert = q<HTMLInputElement>(input, 'input[aria-label="Invert"]');
    invert.checked = true;
    invert.dispatchEvent(new Event('change'));
    inp = await nextInput(m, v, /^drawing/);
    assert(feedOf(m).every((p) => Math.abs(p) < 1e-6), 'inverted paper');
    v = inp.version;
    stroke(11 / 12, 1 / 12, 11 / 12, 11 / 12); // down the right column
    inp = await nextInput(m, v, /^drawing/);
    x = feedOf(m);
    for (let row = 0; row < 6; row++) {
      assert(x[row * 6 + 5] > 0.2, `black ink, inverted, in row ${row}: ${x[row * 6 + 5]}`);
      assert(Math.abs(x[row * 6]) < 1e-6, 'none on the left');
    }
    invert.checked = false;
    invert.dispatchEvent(new Event('change'));
    set(q<HTMLSelectElement>(input, 'select[aria-label="Ink"]'), 'white');

    // Paste an image (the clipboard's item is a PNG file) on the image area.
    const area = q<HTMLElement>(input, '.drop');
    const left = await png('left.png', 6, 6, (x) => x < 3 ? [255, 255, 255] : [0, 0, 0]);
    const clip = new DataTransfer();
    clip.items.add(left.file);
    v = m.session.input!.version;
    area.dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: clip, bubbles: true, cancelable: true }),
    );
    inp = await nextInput(m, v, /from the clipboard/);
    assertClose(feedOf(m), left.rgb.map((c) => c[0] / 255), { atol: 1e-6 }, 'pasted');

    // Drop an image file on the image area: it becomes the input, not a model to open.
    const right = await png('right.png', 6, 6, (x) => x >= 3 ? [255, 255, 255] : [0, 0, 0]);
    const dt = new DataTransfer();
    dt.items.add(right.file);
    v = inp.version;
    for (const type of ['dragenter', 'dragover', 'drop']) {
      area.dispatchEvent(
        new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }),
      );
    }
    inp = await nextInput(m, v, /right\.png/);
    assertClose(feedOf(m), right.rgb.map((c) => c[0] / 255), { atol: 1e-6 }, 'dropped');
    await m.session.queue.idle();
    assertEquals(m.session.opened!.name, 'gray6.onnx', 'the model stays');
    const openAlert = q<HTMLElement>(m.panels.open, '[role=alert]');
    assert(openAlert.hidden, `no "not a model" error: ${openAlert.textContent}`);
    assert(q<HTMLElement>(m.panels.open, '.glass-drop').hidden, 'no page drop overlay left');

    // The webcam (Chromium's fake camera): a captured frame is the input.
    button(input, 'Webcam').click();
    await until(
      m.session,
      () => {
        const b = [...input.querySelectorAll('button')].find((b) =>
          b.textContent === 'Capture frame'
        );
        const video = input.querySelector('video');
        return !!b && !b.disabled && !!video && video.videoWidth > 0;
      },
      'camera on',
    );
    v = inp.version;
    button(input, 'Capture frame').click();
    inp = await nextInput(m, v, /webcam frame/);
    assertEquals(inp.feeds.pixels.shape.join(), '1,1,6,6');
    assert(/\(\d+×\d+\)|webcam frame/.test(inp.summary), inp.summary);
    assert(feedOf(m).some((p) => p > 0), 'the fake camera’s picture is not black');
    button(input, 'Stop webcam').click();
    assert(!input.querySelector('video'), 'the video is gone');
    button(input, 'Webcam');
  } finally {
    await m.done();
  }
}, { ignore });

test('explorer controls: preprocessing on an RGB model, each setting by hand', async () => {
  const m = await mount();
  try {
    await openFile(m, rgbModel());
    const input = m.panels.input;
    const field = <T extends Element>(label: string) =>
      q<T>(input, `[aria-label="${label}"]`) as unknown as HTMLInputElement & HTMLSelectElement;
    // Size: the model takes any size; 4×4 is asked for.
    assert(!field('Height').disabled, 'size fields are enabled for a symbolic size');
    set(field('Height'), '4');
    set(field('Width'), '4');
    set(field('Fit'), 'stretch');
    // An image of 8×4: column x has color (30x, 255 − 30x, 100 + 10y).
    const image = await png('cols.png', 8, 4, (x, y) => [30 * x, 255 - 30 * x, 100 + 10 * y]);
    const v = m.session.input?.version ?? 0;
    choose(q<HTMLInputElement>(input, 'input[type=file][accept="image/*"]'), image.file);
    await nextInput(m, v, /cols\.png/);
    // Stretch 8 → 4 averages column pairs: plane c at (x, y) is the mean of columns 2x, 2x+1.
    const stretched = (c: number) =>
      Array.from({ length: 16 }, (_, p) => {
        const x = p % 4, y = Math.floor(p / 4);
        return (image.rgb[y * 8 + 2 * x][c] + image.rgb[y * 8 + 2 * x + 1][c]) / 2;
      });
    const base = [0, 1, 2].map(stretched);
    const expect = (f: (value: number, c: number) => number, order = [0, 1, 2]) =>
      order.flatMap((c, k) => base[c].map((value) => f(value, k)));
    const current = async (what: string, change: () => void) => {
      const before = m.session.input!.version;
      change();
      await until(m.session, () => m.session.input!.version > before, what);
      assertEquals(m.session.input!.feeds.rgb.shape.join(), '1,3,4,4', what);
      return feedOf(m);
    };
    assertClose(feedOf(m), expect((value) => value / 255), { atol: 1e-5 }, 'stretch, [0, 1]');
    // Fit: center crop takes columns 2..5 of the 8.
    let x = await current('center crop', () => set(field('Fit'), 'center-crop'));
    const cropped = [0, 1, 2].flatMap((c) =>
      Array.from(
        { length: 16 },
        (_, p) => image.rgb[Math.floor(p / 4) * 8 + 2 + (p % 4)][c] / 255,
      )
    );
    assertClose(x, cropped, { atol: 1e-5 }, 'center crop');
    await current('stretch', () => set(field('Fit'), 'stretch'));
    // Scale [0, 255]: the feed × 255.
    x = await current('scale', () => set(field('Scale'), '0-255'));
    assertClose(x, expect((value) => value), { atol: 1e-3 }, 'scale [0, 255]');
    // Mean and std per channel.
    field('Mean').value = '10, 20, 30';
    x = await current('mean and std', () => set(field('Std'), '2, 4, 5'));
    const mean = [10, 20, 30], std = [2, 4, 5];
    assertClose(x, expect((value, c) => (value - mean[c]) / std[c]), { atol: 1e-3 }, 'mean/std');
    // A mean of 2 values for 3 channels: a sentence, the input stays.
    const version = m.session.input!.version;
    set(field('Mean'), '1, 2');
    assertEquals(m.session.input!.version, version, 'no new input');
    assert(/mean/i.test(input.querySelector('.settings [role=alert]')!.textContent!), 'says why');
    // The ImageNet preset (at [0, 255]): the fields show it, the feed uses it.
    x = await current('imagenet', () => set(field('Normalization preset'), 'imagenet'));
    const imMean = [0.485, 0.456, 0.406].map((v) => v * 255);
    const imStd = [0.229, 0.224, 0.225].map((v) => v * 255);
    assertEquals(field('Mean').value, imMean.map((v) => +v.toFixed(6)).join(', '));
    assertEquals(field('Std').value, imStd.map((v) => +v.toFixed(6)).join(', '));
    assertClose(
      x,
      expect((value, c) => (value - imMean[c]) / imStd[c]),
      { atol: 1e-4 },
      'imagenet',
    );
    x = await current('none', () => set(field('Normalization preset'), 'none'));
    assertEquals(field('Mean').value, '0, 0, 0');
    assertEquals(field('Std').value, '1, 1, 1');
    assertClose(x, expect((value) => value), { atol: 1e-3 }, 'preset none');
    // BGR: tensor channel 0 is the image's blue.
    x = await current('bgr', () => set(field('Channel order'), 'bgr'));
    assertClose(x, expect((value) => value, [2, 1, 0]), { atol: 1e-3 }, 'BGR');
    x = await current('rgb', () => set(field('Channel order'), 'rgb'));
    // Invert: 255 − v.
    const invert = field('Invert');
    invert.checked = true;
    x = await current('invert', () => invert.dispatchEvent(new Event('change')));
    assertClose(x, expect((value) => 255 - value), { atol: 1e-3 }, 'inverted');
    // Layout NHWC does not fit [1, 3, h, w] (w channels): refused with a sentence.
    const refused = m.session.input!.version;
    set(field('Layout'), 'nhwc');
    assertEquals(field('Layout').value, 'nchw', 'the layout stays');
    assert(
      /As NHWC the shape \[1, 3, h, w\] has w channels/.test(
        input.querySelector('.settings [role=alert]')!.textContent!,
      ),
      input.querySelector('.settings [role=alert]')!.textContent!,
    );
    assertEquals(m.session.input!.version, refused);
  } finally {
    await m.done();
  }
}, { ignore });

test('explorer controls: a labels file, a .npy file and its example number', async () => {
  const m = await mount();
  try {
    await openFile(m, grayModel());
    const input = m.panels.input;
    // Four examples, example r filled with (r + 1) / 10.
    const rows = Float32Array.from({ length: 4 * 36 }, (_, i) => (Math.floor(i / 36) + 1) / 10);
    let v = m.session.input?.version ?? 0;
    choose(
      q<HTMLInputElement>(input, 'input[accept=".npy"]'),
      new File([writeNpy(rows, [4, 1, 6, 6])], 'four.npy'),
    );
    let inp = await nextInput(m, v, /four\.npy #0/);
    assert(feedOf(m).every((p) => Math.abs(p - 0.1) < 1e-6), 'example 0');
    const example = q<HTMLInputElement>(input, 'input[aria-label="Example"]');
    assert(!example.closest('label')!.hidden, 'the example number shows for 4 examples');
    v = inp.version;
    set(example, '2');
    inp = await nextInput(m, v, /four\.npy #2/);
    assert(feedOf(m).every((p) => Math.abs(p - 0.3) < 1e-6), 'example 2');
    set(example, '7');
    const alert = [...input.querySelectorAll<HTMLElement>('.npy [role=alert]')].find((a) =>
      !a.hidden
    );
    assert(alert && /Example 7 does not exist/.test(alert.textContent!), 'example 7 refused');
    assertEquals(m.session.input!.version, inp.version);

    // A labels file names the classes in the top-k and the target choices.
    await until(
      m.session,
      () => m.panels.predict.querySelectorAll('ol.top li').length === 3,
      'top-k',
    );
    const topLabels = () =>
      [...m.panels.predict.querySelectorAll('ol.top .label')].map((l) => l.textContent).sort()
        .join();
    assertEquals(topLabels(), 'class 0,class 1,class 2');
    choose(
      q<HTMLInputElement>(input, 'input[aria-label="Labels file"]'),
      new File(['alpha\nbeta\ngamma\n'], 'names.txt'),
    );
    await until(m.session, () => topLabels() === 'alpha,beta,gamma', 'labels in the top-k');
    assert(input.textContent!.includes('3 classes (alpha, beta, gamma…)'), 'labels status');
    await m.session.queue.idle();
    const target = q<HTMLSelectElement>(m.panels.explain, 'select[aria-label="Target class"]');
    assertEquals(
      [...target.options].map((o) => o.textContent).join(),
      'predicted class,alpha,beta,gamma',
    );
  } finally {
    await m.done();
  }
}, { ignore });

test('explorer controls: a vocabulary file and raw ids for a token model', async () => {
  const m = await mount([{ method: 'gradient', options: {} }]);
  try {
    await openFile(m, tokenModel());
    const input = m.panels.input;
    const text = q<HTMLTextAreaElement>(input, 'textarea');
    text.value = 'hello bar';
    text.dispatchEvent(new Event('input'));
    await until(
      m.session,
      () => /needs a vocabulary/.test(input.textContent!),
      'text needs a vocabulary',
    );
    const v = m.session.input?.version ?? 0;
    choose(
      q<HTMLInputElement>(input, 'input[aria-label="Vocabulary file"]'),
      new File([JSON.stringify(['[PAD]', '[UNK]', 'hello', 'world', 'foo', 'bar'])], 'v.json'),
    );
    let inp = await nextInput(m, v, /2 tokens/);
    assert(input.textContent!.includes('vocabulary v.json: 6 tokens'), 'vocabulary status');
    const ids = () => Array.from(feedOf(m) as unknown as BigInt64Array, Number).join();
    assertEquals(ids(), '2,5,0,0');
    assertEquals(inp.tokens!.join(' '), 'hello bar [PAD] [PAD]');
    // Raw ids.
    const mode = q<HTMLSelectElement>(input, 'select[aria-label="Input as"]');
    text.value = '3 4 1';
    set(mode, 'ids');
    inp = await nextInput(m, inp.version, /3 token ids/);
    assertEquals(ids(), '3,4,1,0');
    assertEquals(inp.tokens!.join(' '), 'world foo [UNK] [PAD]');
  } finally {
    await m.done();
  }
}, { ignore });

test('explorer controls: target, every option field, remove, curves and export', async () => {
  const m = await mount();
  try {
    await openFile(m, grayModel());
    const input = m.panels.input;
    // A fixed input with no kinks near the ReLU: example 0 of a .npy.
    const x = Float32Array.from({ length: 36 }, (_, i) => ((i * 5) % 9) / 9 + 0.05);
    choose(
      q<HTMLInputElement>(input, 'input[accept=".npy"]'),
      new File([writeNpy(x, [1, 1, 6, 6])], 'x.npy'),
    );
    await nextInput(m, 0, /x\.npy/);
    const explainHost = m.panels.explain;
    const card = () => q<HTMLElement>(explainHost, '.card');
    const figure = () => q<HTMLElement>(card(), '.figure');
    type Saliency = HTMLElement & {
      maps: { data: Float32Array; shape: number[] }[] | null;
      curves: unknown;
    };
    const drawn = () => q<Saliency>(card(), 'glass-saliency').maps![0];
    /** Waits for the card's map of its current options, and checks it against `explain`. */
    const check = async (options: ExplainOptions, what: string) => {
      await until(
        m.session,
        () =>
          !figure().hidden &&
          !m.session.queue.jobs.some((j) => j.key?.startsWith('explain:')),
        what,
      );
      const status = card().querySelector('.status')!.textContent!;
      assertEquals(status, '', `${what}: ${status}`);
      const formError = card().querySelector('.options + [role=alert]') as HTMLElement;
      assert(formError.hidden, `${what}: ${formError.textContent}`);
      const session = m.session.input!;
      const e = await explain(m.session.opened!.model!, session.feeds, {
        ...options,
        input: 'pixels',
      });
      const want = ui!.mapView(await e.attribution.readFloat32(), e.attribution.shape, [
        1,
        1,
        6,
        6,
      ]);
      e.attribution.destroy();
      const got = drawn();
      assertEquals(got.shape.join(), want.shape.join(), what);
      assertClose(got.data, want.data, { atol: 1e-5 }, what);
      return Float32Array.from(got.data);
    };
    let previous = await check({ method: 'saliency' }, 'saliency');
    // Target: class 2.
    set(q<HTMLSelectElement>(card(), 'select[aria-label="Target class"]'), '2');
    let now = await check({ method: 'saliency', target: 2 }, 'target 2');
    assert(maxDiff(previous, now) > 1e-4, 'another class, another map');
    assert(/Explains class 2/.test(card().querySelector('.info')!.textContent!), 'info names it');
    previous = now;

    // Every option field of every method, each changed as a person would.
    const methodSelect = () => q<HTMLSelectElement>(card(), 'select[aria-label="Method"]');
    const steps: {
      method: string;
      field: string;
      value: string;
      options: ExplainOptions;
      alters: boolean;
    }[] = [];
    const add = (
      method: string,
      field: string,
      value: string,
      options: Partial<ExplainOptions>,
      alters = true,
    ) => steps.push({ method, field, value, options: options as ExplainOptions, alters });
    // From a zero baseline the bias-free ReLU model is linear along the path (IG exact at any
    // steps and rule): a uniform baseline first, so that steps and rule show.
    const ig = { method: 'integrated-gradients' as const, target: 2, steps: 16, seed: 0 };
    const igU = { ...ig, baseline: 'uniform' as const };
    add('integrated-gradients', 'baseline', 'uniform', igU);
    add('integrated-gradients', 'steps', '6', { ...igU, steps: 6 });
    add('integrated-gradients', 'rule', 'riemann_left', { ...igU, steps: 6, rule: 'riemann_left' });
    add('integrated-gradients', 'seed', '3', {
      ...igU,
      steps: 6,
      rule: 'riemann_left',
      seed: 3,
    });
    add('integrated-gradients', 'batchSize', '2', {
      ...igU,
      steps: 6,
      rule: 'riemann_left',
      seed: 3,
      batchSize: 2,
    }, false);
    const sg = { method: 'smoothgrad' as const, target: 2, samples: 4, noise: 0.15, seed: 3 };
    add('smoothgrad', 'samples', '4', sg);
    add('smoothgrad', 'noise', '0.5', { ...sg, noise: 0.5 });
    add('smoothgrad', 'seed', '7', { ...sg, noise: 0.5, seed: 7 });
    const cam = {
      method: 'grad-cam' as const,
      target: 2,
      upsample: 'bilinear' as const,
      relu: true,
    };
    add('grad-cam', 'layer', 'c', { ...cam, layer: 'c' });
    add('grad-cam', 'upsample', 'nearest', { ...cam, layer: 'c', upsample: 'nearest' });
    add('grad-cam', 'relu', 'off', { ...cam, layer: 'c', upsample: 'nearest', relu: false });
    const occ = { method: 'occlusion' as const, target: 2, fill: 0 };
    add('occlusion', 'window', '4', { ...occ, window: 4 });
    add('occlusion', 'stride', '3', { ...occ, window: 4, stride: 3 });
    add('occlusion', 'fill', '0.5', { ...occ, window: 4, stride: 3, fill: 0.5 });
    add('occlusion', 'border', 'skip', {
      ...occ,
      window: 4,
      stride: 3,
      fill: 0.5,
      border: 'skip',
    });
    const lrp = { method: 'lrp' as const, target: 2, epsilon: 1e-6 };
    add('lrp', 'lrpRule', 'zplus', { ...lrp, lrpRule: 'zplus' });
    add('lrp', 'lrpRule', 'epsilon', { ...lrp, lrpRule: 'epsilon' });
    add('lrp', 'epsilon', '2', { ...lrp, lrpRule: 'epsilon', epsilon: 2 });
    // What the form fills in before anyone edits it.
    const formDefaults: Record<string, Partial<ExplainOptions>> = {
      'integrated-gradients': { steps: 16, seed: 0 },
      // The seed (and batch size) set for integrated gradients stay in the card's form.
      smoothgrad: { samples: 16, noise: 0.15, seed: 3, batchSize: 2 },
      'grad-cam': { upsample: 'bilinear', relu: true },
      occlusion: { fill: 0 },
      lrp: { epsilon: 1e-6 },
    };
    for (const s of steps) {
      if (methodSelect().value !== s.method) {
        set(methodSelect(), s.method);
        previous = await check(
          { method: s.method, target: 2, ...formDefaults[s.method] } as ExplainOptions,
          `${s.method} with the form's defaults`,
        );
      }
      const what = `${s.method}: ${s.field} = ${s.value}`;
      if (s.field === 'layer') {
        const layer = q<HTMLSelectElement>(card(), 'select[aria-label="Layer"]');
        assert([...layer.options].some((o) => o.value === 'c'), 'layer c offered');
        set(layer, s.value);
      } else if (s.field === 'relu') {
        const box = q<HTMLInputElement>(card(), '[name="relu"]');
        box.checked = false;
        box.dispatchEvent(new Event('change'));
      } else set(q<HTMLInputElement>(card(), `[name="${s.field}"]`), s.value);
      now = await check(s.options, what);
      if (s.alters) assert(maxDiff(previous, now) > 1e-6, `${what} changes the map`);
      previous = now;
    }

    // Add method, then remove it with ×.
    const addSelect = q<HTMLSelectElement>(explainHost, 'select[aria-label="Method to add"]');
    addSelect.value = 'gradient';
    button(explainHost, 'Add method').click();
    const cards = () => explainHost.querySelectorAll('.card');
    assertEquals(cards().length, 2);
    const second = cards()[1] as HTMLElement;
    const id = second.dataset.card;
    const its = m.session.queue.jobs.filter((j) => j.key?.endsWith(`:${id}`));
    assert(its.length > 0, 'the new card computes its map');
    q<HTMLButtonElement>(second, 'button[aria-label="Remove method"]').click();
    assertEquals(cards().length, 1);
    assert(!second.isConnected, 'the card is gone');
    await Promise.allSettled(its.map((j) => j.promise));
    assertEquals(its.map((j) => j.state).join(), its.map(() => 'cancelled').join(), 'its jobs');

    // Curves: off at mount; checked, they are computed and drawn; unchecked, hidden.
    set(methodSelect(), 'saliency');
    await check({ method: 'saliency', target: 2 }, 'saliency again');
    const curvesBox = q<HTMLInputElement>(
      explainHost,
      'input[aria-label="Deletion/insertion curves"]',
    );
    const sal = () => q<Saliency>(card(), 'glass-saliency');
    const curvesText = () => card().querySelector('.curves')!.textContent!;
    assertEquals(sal().curves, null);
    assertEquals(curvesText(), '');
    curvesBox.checked = true;
    curvesBox.dispatchEvent(new Event('change'));
    await until(m.session, () => !!sal().curves && /Deletion AUC/.test(curvesText()), 'curves');
    curvesBox.checked = false;
    curvesBox.dispatchEvent(new Event('change'));
    assertEquals(sal().curves, null, 'curves hidden');
    assertEquals(curvesText(), '');
    curvesBox.checked = true;
    curvesBox.dispatchEvent(new Event('change'));
    assert(!!sal().curves && /Deletion AUC/.test(curvesText()), 'shown again at once');

    // Export: PNG, SVG and Data of the card's map, and of the graph.
    const exported = async (host: HTMLElement, kind: string) => {
      const files: ExportDetail[] = [];
      const collect = (e: Event) => files.push((e as CustomEvent<ExportDetail>).detail);
      host.addEventListener('explorer-export', collect);
      q<HTMLButtonElement>(host, `.export button[data-kind="${kind}"]`).click();
      await until(m.session, () => files.length > 0, `export ${kind}`);
      // Data may be several files, fired one after another in the same task.
      await Promise.resolve();
      host.removeEventListener('explorer-export', collect);
      return files;
    };
    const [pngFile] = await exported(figure(), 'png');
    assertEquals(pngFile.kind, 'png');
    assertEquals(pngFile.blob.type, 'image/png');
    const bitmap = await createImageBitmap(pngFile.blob);
    assert(bitmap.width > 10 && bitmap.height > 10, `a picture ${bitmap.width}×${bitmap.height}`);
    const [svgFile] = await exported(figure(), 'svg');
    assertEquals(svgFile.blob.type, 'image/svg+xml');
    const svg = new DOMParser().parseFromString(await svgFile.blob.text(), 'image/svg+xml');
    assertEquals(svg.querySelector('parsererror'), null);
    assertEquals(svg.documentElement.localName, 'svg');
    const data = await exported(figure(), 'data');
    const map = data.find((f) => /map_0_.*\.npy$/.test(f.name));
    assert(map, `the map as .npy: ${data.map((f) => f.name)}`);
    const array = readNpy(new Uint8Array(await map.blob.arrayBuffer()));
    assertEquals(array.shape.join(), '6,6');
    assertClose(array.data as Float32Array, drawn().data, { atol: 0 }, 'the map’s numbers');
    assert(data.some((f) => f.name.endsWith('curves.json')), 'and its curves');
    const graphBox = q<HTMLElement>(m.panels.graph, '.glass-navigator');
    const [structure] = await exported(graphBox, 'data');
    assert(structure.name.endsWith('structure.json'), structure.name);
    const json = JSON.parse(await structure.blob.text());
    assertEquals(json.nodes.length, 4);
    const [graphPng] = await exported(graphBox, 'png');
    assertEquals(graphPng.blob.type, 'image/png');
  } finally {
    await m.done();
  }
}, { ignore, timeout: 600_000 });

test('explorer controls: global view pickers, mean/std, and the surrogate’s Cancel', async () => {
  const m = await mount();
  try {
    await openFile(m, grayModel());
    await m.session.queue.idle();
    const global = m.panels.global;
    // A folder of images: 4 white in "0", 4 black in "2"; − 0.5 ÷ 2.
    set(q<HTMLInputElement>(global, 'input[name="mean"]'), '0.5');
    set(q<HTMLInputElement>(global, 'input[name="std"]'), '2');
    const files: File[] = [];
    for (let i = 0; i < 4; i++) {
      for (const [folder, c] of [['0', 255], ['2', 0]] as const) {
        const f = (await png(`${i}.png`, 6, 6, () => [c, c, c])).file;
        Object.defineProperty(f, 'webkitRelativePath', { value: `set/${folder}/${i}.png` });
        files.push(f);
      }
    }
    const datasetOf = () =>
      new Promise<{ count: number; labels: Int32Array; inputs: { data: Float32Array } }>((
        resolve,
      ) =>
        global.addEventListener(
          'explorer-dataset',
          (e) => resolve((e as CustomEvent).detail),
          { once: true },
        )
      );
    let got = datasetOf();
    choose(
      q<HTMLInputElement>(global, 'input[aria-label^="Choose a folder"]'),
      ...files,
    );
    let ds = await got;
    assertEquals(ds.count, 8);
    // The model has no class names: the folders are the classes, in order.
    assertEquals((ds as unknown as { classNames: string[] }).classNames.join(), '0,2');
    assertEquals([...ds.labels].join(), '0,0,0,0,1,1,1,1');
    const first = ds.inputs.data.subarray(0, 36), last = ds.inputs.data.subarray(7 * 36);
    assert(first.every((v) => Math.abs(v - 0.25) < 1e-6), `white: (1 − 0.5) / 2: ${first[0]}`);
    assert(last.every((v) => Math.abs(v + 0.25) < 1e-6), `black: (0 − 0.5) / 2: ${last[0]}`);

    // Files: .npy inputs and labels chosen together.
    const xs = Float32Array.from({ length: 10 * 36 }, (_, i) => (i % 36) / 36);
    const ys = Int32Array.from({ length: 10 }, (_, i) => i % 3);
    got = datasetOf();
    choose(
      q<HTMLInputElement>(global, 'input[aria-label^="Choose .npy"]'),
      new File([writeNpy(xs, [10, 1, 6, 6])], 'x.npy'),
      new File([writeNpy(ys, [10])], 'y.npy'),
    );
    ds = await got;
    assertEquals(ds.count, 10);
    assertEquals([...ds.labels].join(), [...ys].join());
    assert(
      /10 examples from x\.npy, labels from y\.npy/.test(
        global.querySelector('.gx-dataset-status')!.textContent!,
      ),
      global.querySelector('.gx-dataset-status')!.textContent!,
    );

    // Distill for many epochs, then the surrogate's own Cancel.
    set(q<HTMLSelectElement>(global, 'select[name="kind"]'), 'linear');
    set(q<HTMLInputElement>(global, 'input[name="epochs"]'), '100000');
    button(global, 'Distill').click();
    const job = m.session.queue.jobs.find((j) => j.key === 'global-surrogate');
    assert(job, 'the surrogate job is queued');
    await until(m.session, () => job.state === 'running' && job.fraction > 0, 'distilling');
    const cancel = [...global.querySelectorAll<HTMLButtonElement>('.gx-surrogate button')].find((
      b,
    ) => b.textContent === 'Cancel')!;
    assert(!cancel.hidden, 'Cancel shows while distilling');
    cancel.click();
    await job.promise.catch(() => {});
    assertEquals(job.state, 'cancelled');
    await until(
      m.session,
      () => global.querySelector('.gx-surrogate-status')!.textContent === 'Distillation cancelled.',
      'says cancelled',
    );
    assert(cancel.hidden, 'Cancel hidden again');
  } finally {
    await m.done();
  }
}, { ignore, timeout: 600_000 });
