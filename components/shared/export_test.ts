// Browser tests of components/shared/export.ts on every glass-* element type: the PNG decodes to
// an image of the element's size whose canvas pixels are the element's, the SVG parses and holds
// the element's title, canvases, bars and text, and the numbers round-trip through readNpy/JSON.
import { assert, assertEquals } from '../../test/assert.ts';
import { RUNNER, test } from '../../test/harness.ts';
import { convStructure } from '../../test/components_fixtures.ts';
import { readNpy } from '../../src/io/npy.ts';
import type { ExportFile } from './export.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
const mod = RUNNER === 'browser' ? await import('./export.ts') : null;
if (RUNNER === 'browser') await import('../mod.ts');

/** Equal values; arrays and objects compared as JSON. */
function eq(actual: unknown, expected: unknown, message = ''): void {
  if (typeof actual === 'object' || typeof expected === 'object') {
    assertEquals(JSON.stringify(actual), JSON.stringify(expected), message);
  } else assertEquals(actual, expected, message);
}

type Any = HTMLElement & Record<string, unknown> & { updateComplete: Promise<boolean> };

async function mountEl(tag: string, props: Record<string, unknown>, w = 300, h?: number) {
  for (const old of document.querySelectorAll(tag)) old.remove();
  const el = document.createElement(tag) as Any;
  Object.assign(el, props);
  el.style.width = `${w}px`;
  if (h) el.style.height = `${h}px`;
  el.style.display = 'block';
  document.body.append(el);
  for (let i = 0; i < 3; i++) {
    await el.updateComplete;
    await new Promise((r) => requestAnimationFrame(r));
  }
  const layout = (el as { layoutComplete?: Promise<void> }).layoutComplete;
  if (layout) await layout;
  (el as { redraw?: () => void }).redraw?.();
  return el;
}

/** RGBA of every pixel of a drawable, as a 2-D context sees it. */
function pixelsOf(source: CanvasImageSource, w: number, h: number): Uint8ClampedArray {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, w, h).data;
}

/** The PNG: it decodes to the element's size; returns its pixels and the scale. */
async function png(el: HTMLElement) {
  const blob = await mod!.exportImage(el, 'png');
  eq(blob.type, 'image/png');
  const bitmap = await createImageBitmap(blob);
  const r = el.getBoundingClientRect();
  const s = Math.max(1, devicePixelRatio || 1);
  eq(bitmap.width, Math.round(Math.round(r.width) * s), `${el.tagName} PNG width`);
  eq(bitmap.height, Math.round(Math.round(r.height) * s), `${el.tagName} PNG height`);
  const data = pixelsOf(bitmap, bitmap.width, bitmap.height);
  return { data, width: bitmap.width, scale: s, host: r };
}

/**
 * Boxes of what the element shows over `canvas` (labels, legends, tooltips): elements after it in
 * document order with their own text or a background.
 */
function overlays(el: HTMLElement, canvas: HTMLCanvasElement): DOMRect[] {
  const out: DOMRect[] = [];
  for (const e of el.shadowRoot!.querySelectorAll('*')) {
    if (e === canvas || e.contains(canvas) || e instanceof SVGElement) continue;
    if (!(canvas.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
    const style = getComputedStyle(e);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const text = [...e.childNodes].some((n) => n instanceof Text && n.data.trim());
    const bg = !/rgba\([^)]*, 0\)|transparent/.test(style.backgroundColor) ||
      style.backgroundImage !== 'none';
    if (text || bg || e instanceof HTMLElement && e.querySelector('svg')) {
      out.push(e.getBoundingClientRect());
    }
  }
  return out;
}

/**
 * Every canvas pixel of the element equals the PNG's pixel at its place (a 9×9 sample grid,
 * skipping points under text or boxes the element draws over the canvas).
 */
async function assertCanvasPixels(el: HTMLElement) {
  const canvases = [...el.shadowRoot!.querySelectorAll('canvas')].filter((c) => c.width > 0);
  assert(canvases.length > 0, `${el.tagName} has a canvas`);
  const shot = await png(el);
  for (const c of canvases) {
    const own = pixelsOf(c, c.width, c.height);
    const r = c.getBoundingClientRect();
    const ox = Math.round((r.left - shot.host.left) * shot.scale);
    const oy = Math.round((r.top - shot.host.top) * shot.scale);
    const over = overlays(el, c);
    let checked = 0;
    for (let i = 0; i < 9; i++) {
      for (let j = 0; j < 9; j++) {
        const x = Math.floor(((i + 0.5) / 9) * c.width);
        const y = Math.floor(((j + 0.5) / 9) * c.height);
        const cx = r.left + x / shot.scale;
        const cy = r.top + y / shot.scale;
        const m = 2;
        const covered = over.some((o) =>
          cx >= o.left - m && cx <= o.right + m && cy >= o.top - m && cy <= o.bottom + m
        );
        if (covered) continue;
        const a = (y * c.width + x) * 4;
        const b = ((oy + y) * shot.width + ox + x) * 4;
        if (own[a + 3] < 255) continue; // transparent pixels are composited on the background
        for (let k = 0; k < 3; k++) {
          assert(
            Math.abs(own[a + k] - shot.data[b + k]) <= 1,
            `${el.tagName} pixel (${x}, ${y}): canvas ${own.slice(a, a + 4)}, PNG ` +
              `${shot.data.slice(b, b + 4)}`,
          );
        }
        checked++;
      }
    }
    assert(checked > 10, `${el.tagName}: ${checked} opaque canvas pixels compared`);
  }
}

/** The SVG: parses, has the element's size and title; returns the document. */
async function svgDoc(el: HTMLElement, title: string): Promise<Document> {
  const blob = await mod!.exportImage(el, 'svg');
  eq(blob.type, 'image/svg+xml');
  const doc = new DOMParser().parseFromString(await blob.text(), 'image/svg+xml');
  eq(doc.querySelector('parsererror'), null, 'the SVG parses');
  const root = doc.documentElement;
  eq(root.tagName, 'svg');
  const r = el.getBoundingClientRect();
  eq(root.getAttribute('width'), String(Math.round(r.width)));
  eq(root.getAttribute('height'), String(Math.round(r.height)));
  eq(root.querySelector('title')?.textContent, title);
  return doc;
}

const texts = (doc: Document) => [...doc.querySelectorAll('text')].map((t) => t.textContent ?? '');

async function files(el: HTMLElement): Promise<Map<string, ExportFile>> {
  const list = await mod!.exportData(el);
  return new Map(list.map((f) => [f.name, f]));
}

async function npyOf(f: ExportFile | undefined) {
  assert(f, 'file exported');
  return readNpy(new Uint8Array(await f.blob.arrayBuffer()));
}

async function jsonOf(f: ExportFile | undefined) {
  assert(f, 'file exported');
  return JSON.parse(await f.blob.text());
}

test(
  'export: saliency PNG has the canvas pixels; SVG embeds it; attribution round-trips',
  async () => {
    const attribution = new Float32Array([-1, 0, 1, 0.5, -0.5, 0]);
    const el = await mountEl('glass-saliency', { attribution, shape: [2, 3], label: 'Saliency' });
    await assertCanvasPixels(el);
    const doc = await svgDoc(el, 'Saliency');
    eq(doc.querySelectorAll('image.canvas').length, 1);
    const img = doc.querySelector('image.canvas')!;
    assert(img.getAttribute('href')!.startsWith('data:image/png;base64,'));
    const out = await files(el);
    const a = await npyOf(out.get('attribution.npy'));
    eq(a.shape, [2, 3]);
    eq([...a.data as Float32Array], [...attribution]);
    el.remove();
  },
  { ignore },
);

test(
  'export: histogram SVG is vector bars; PNG bar pixel has the bar color; counts round-trip',
  async () => {
    const el = await mountEl(
      'glass-histogram',
      {
        counts: [10, 40, 20, 5],
        edges: [0, 1, 2, 3, 4],
        label: 'Weights histogram',
      },
      300,
      160,
    );
    const doc = await svgDoc(el, 'Weights histogram');
    const own = el.shadowRoot!.querySelectorAll('rect').length;
    // the background plus every rect of the element's SVG
    eq(doc.querySelectorAll('rect').length, own + 1);
    eq(doc.querySelectorAll('image').length, 0, 'no raster in a vector view');
    const bar =
      [...el.shadowRoot!.querySelectorAll('rect')].sort((a, b) =>
        b.getBoundingClientRect().height - a.getBoundingClientRect().height
      )[0];
    const fill = getComputedStyle(bar).fill.match(/\d+/g)!.map(Number);
    const shot = await png(el);
    const r = bar.getBoundingClientRect();
    const x = Math.round((r.left + r.width / 2 - shot.host.left) * shot.scale);
    const y = Math.round((r.top + r.height / 2 - shot.host.top) * shot.scale);
    const p = shot.data.slice((y * shot.width + x) * 4, (y * shot.width + x) * 4 + 3);
    for (let k = 0; k < 3; k++) assert(Math.abs(p[k] - fill[k]) <= 2, `bar ${p} vs fill ${fill}`);
    const out = await files(el);
    eq([...(await npyOf(out.get('counts.npy'))).data as Float32Array], [10, 40, 20, 5]);
    eq([...(await npyOf(out.get('edges.npy'))).data as Float32Array], [0, 1, 2, 3, 4]);
    el.remove();
  },
  { ignore },
);

test('export: spectrum SVG keeps its axis text; values round-trip', async () => {
  const values = new Float32Array([5, 3, 2, 1, 0.5, 0.1]);
  const el = await mountEl('glass-spectrum', { values, label: 'Spectrum' }, 320, 200);
  const doc = await svgDoc(el, 'Spectrum');
  const ownTexts = [...el.shadowRoot!.querySelectorAll('svg text')].map((t) => t.textContent);
  assert(ownTexts.length > 0, 'the spectrum has axis text');
  for (const t of ownTexts) assert(texts(doc).includes(t!), `axis text "${t}" kept`);
  await png(el);
  const v = await npyOf((await files(el)).get('values.npy'));
  eq([...v.data as Float32Array], [...values]);
  el.remove();
}, { ignore });

test('export: tokens become text and colored boxes; values and tokens round-trip', async () => {
  const tokens = ['bad', ' plot', ',', ' great', ' cast'];
  const el = await mountEl('glass-tokens', { tokens, values: [-2, -1, 0, 2, 1], label: 'Tokens' });
  const doc = await svgDoc(el, 'Tokens');
  const all = texts(doc).join(' ');
  for (const t of tokens) assert(all.includes(t.trim()), `token "${t}" in the SVG: ${all}`);
  // token backgrounds: the strongest negative token is a colored (not white) rect
  const rects = [...doc.querySelectorAll('rect')].map((r) => r.getAttribute('fill'));
  assert(rects.length > tokens.length, `colored boxes: ${rects}`);
  await png(el);
  const out = await files(el);
  eq([...(await npyOf(out.get('values.npy'))).data as Float32Array], [-2, -1, 0, 2, 1]);
  eq((await jsonOf(out.get('tokens.json'))).tokens, tokens);
  el.remove();
}, { ignore });

test('export: weights canvas pixels; weights.npy has the shape; stats JSON', async () => {
  const data = new Float32Array([-2, 0, 1, 0.5, 2, -1]);
  const el = await mountEl('glass-weights', { data, shape: [2, 3], name: 'fc1' }, 240, 200);
  await assertCanvasPixels(el);
  await svgDoc(el, el.getAttribute('aria-label') ?? 'glass-weights');
  const out = await files(el);
  const w = await npyOf(out.get('fc1.npy'));
  eq(w.shape, [2, 3]);
  eq([...w.data as Float32Array], [...data]);
  el.remove();
}, { ignore });

test('export: activations canvas pixels and data', async () => {
  const data = new Float32Array(6 * 4).map((_, i) => (i % 5) - 2);
  const el = await mountEl('glass-activations', { data, shape: [6, 2, 2], label: 'Acts' }, 400);
  await assertCanvasPixels(el);
  const doc = await svgDoc(el, 'Acts');
  assert(doc.querySelectorAll('image.canvas').length >= 1);
  const a = await npyOf((await files(el)).get('activations.npy'));
  eq(a.shape, [6, 2, 2]);
  eq([...a.data as Float32Array], [...data]);
  el.remove();
}, { ignore });

test('export: attention pixels; weights and tokens round-trip', async () => {
  const weights = new Float32Array(2 * 16).map((_, i) => ((i * 7) % 11) / 10);
  const tokens = ['the', 'cat', 'sat', '.'];
  const el = await mountEl(
    'glass-attention',
    { weights, shape: [2, 4, 4], tokens, label: 'Attn' },
    416,
  );
  const shot = await png(el);
  assert(shot.data.length > 0);
  const doc = await svgDoc(el, 'Attn');
  for (const t of tokens) assert(texts(doc).some((x) => x.includes(t)), `token ${t}`);
  const out = await files(el);
  const a = await npyOf(out.get('attention.npy'));
  eq(a.shape, [2, 4, 4]);
  eq([...a.data as Float32Array], [...weights]);
  eq(await jsonOf(out.get('tokens.json')), tokens);
  el.remove();
}, { ignore });

test('export: graph canvas pixels; structure JSON', async () => {
  const structure = convStructure();
  const el = await mountEl('glass-graph', { structure }, 400, 400);
  await assertCanvasPixels(el);
  const doc = await svgDoc(el, el.getAttribute('aria-label') ?? (el.label as string));
  assert(doc.querySelectorAll('image.canvas').length >= 1);
  const s = await jsonOf((await files(el)).get('structure.json'));
  eq(s.nodes.length, structure.nodes.length);
  eq(s.nodes.map((n: { name: string }) => n.name), structure.nodes.map((n) => n.name));
  el.remove();
}, { ignore });

test('export: projector pixels; positions and labels round-trip', async () => {
  const positions = new Float32Array([0, 0, 10, 0, 10, 10, 0, 10]);
  const el = await mountEl(
    'glass-projector',
    {
      positions,
      labels: new Int32Array([0, 1, 2, 1]),
      labelNames: ['zero', 'one', 'two'],
      pointSize: 8,
    },
    200,
    150,
  );
  await assertCanvasPixels(el);
  await svgDoc(el, el.label as string);
  const out = await files(el);
  const p = await npyOf(out.get('positions.npy'));
  eq(p.shape, [4, 2]);
  eq([...p.data as Float32Array], [...positions]);
  eq([...(await npyOf(out.get('labels.npy'))).data as Int32Array], [0, 1, 2, 1]);
  eq((await jsonOf(out.get('points.json'))).labelNames, ['zero', 'one', 'two']);
  el.remove();
}, { ignore });

test('export: surrogate templates pixels; JSON and templates.npy round-trip', async () => {
  const templates = new Float32Array([-2, 0, 2, 1, 0, 1, -1, 0, 2, -2, 0.5, 0]);
  const surrogate = {
    kind: 'linear',
    inputName: 'x',
    inputShape: [1, 2, 2],
    classes: 3,
    fidelity: { agreement: 0.904, kl: 0.123, count: 500 },
    trainFidelity: { agreement: 0.92, kl: 0.1, count: 1500 },
    history: [],
    onnx: new Uint8Array([1, 2, 3]),
    split: { train: 1500, test: 500 },
    timeMs: 10,
    templates,
  };
  const el = await mountEl('glass-surrogate', { surrogate, label: 'Linear surrogate' }, 304);
  await assertCanvasPixels(el);
  const doc = await svgDoc(el, 'Linear surrogate');
  assert(texts(doc).some((t) => t.includes('90.4%')), `fidelity text: ${texts(doc)}`);
  // The tile labels drawn over the canvas, after it (on top), and the colorbar as a gradient.
  const labels = [...doc.querySelectorAll('text')].filter((t) => /^class \d$/.test(t.textContent!));
  eq(labels.map((t) => t.textContent), ['class 0', 'class 1', 'class 2']);
  const canvas = doc.querySelector('image.canvas')!;
  assert(
    canvas.compareDocumentPosition(labels[0]) & Node.DOCUMENT_POSITION_FOLLOWING,
    'labels are painted after the canvas',
  );
  assert(doc.querySelector('linearGradient stop'), 'the colorbar is a vector gradient');
  const out = await files(el);
  const t = await npyOf(out.get('templates.npy'));
  eq(t.shape, [3, 1, 2, 2]);
  eq([...t.data as Float32Array], [...templates]);
  const j = await jsonOf(out.get('surrogate.json'));
  eq(j.fidelity.agreement, 0.904);
  eq(j.onnx, undefined, 'bytes are a file of their own');
  eq([...new Uint8Array(await out.get('surrogate.onnx')!.blob.arrayBuffer())], [1, 2, 3]);
  el.remove();
}, { ignore });

test('export: probes SVG keeps the chart and layer names; report JSON', async () => {
  const layer = (name: string, accuracy: number, controlAccuracy: number) => ({
    layer: name,
    shape: [8, 4, 4],
    features: 128,
    pooling: 'none',
    accuracy,
    trainAccuracy: accuracy + 0.02,
    controlAccuracy,
    selectivity: accuracy - controlAccuracy,
  });
  const report = {
    task: { classes: 2, counts: [120, 80], majority: 0.55 },
    control: 'class',
    split: { train: 150, test: 50 },
    layers: [layer('input', 0.6, 0.55), layer('relu1', 0.8, 0.6), layer('logits', 0.7, 0.75)],
    timeMs: 1,
  };
  const el = await mountEl('glass-probes', { report, label: 'Probes' }, 400, 360);
  const doc = await svgDoc(el, 'Probes');
  assert(doc.querySelectorAll('svg svg').length >= 1, 'the chart is a nested SVG');
  const all = texts(doc).join(' ');
  for (const l of ['input', 'relu1', 'logits']) assert(all.includes(l), `layer ${l}: ${all}`);
  await png(el);
  eq(await jsonOf((await files(el)).get('probes.json')), report);
  el.remove();
}, { ignore });

test('export: unknown elements and formats are refused with a message', async () => {
  const div = document.createElement('div');
  let message = '';
  try {
    await mod!.exportData(div);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes('Cannot export the data of <div>'), message);
  try {
    await mod!.exportImage(div, 'gif' as 'png');
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("unknown format 'gif'"), message);
}, { ignore });

test('export: CSS linear gradients become SVG gradients; other backgrounds do not', async () => {
  const { linearGradient } = await import('./export.ts');
  const g = linearGradient(
    'linear-gradient(to right, rgb(5, 48, 97) 0%, rgb(247 247 247) 50%, rgb(103, 0, 31) 100%)',
    'g0',
  )!;
  assert(
    g.startsWith('<linearGradient id="g0" x1="0.0000" y1="0.5000" x2="1.0000" y2="0.5000">'),
    g,
  );
  eq([...g.matchAll(/offset="([^"]+)" stop-color="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`), [
    '0% rgb(5, 48, 97)',
    '50% rgb(247 247 247)',
    '100% rgb(103, 0, 31)',
  ]);
  // Default direction (to bottom) and stops without positions.
  const down = linearGradient('linear-gradient(rgb(0, 0, 0), rgb(255, 255, 255))', 'd')!;
  assert(down.includes('x1="0.5000" y1="0.0000" x2="0.5000" y2="1.0000"'), down);
  assert(down.includes('offset="100%"'), down);
  eq(linearGradient('none', 'x'), null);
  eq(linearGradient('radial-gradient(rgb(0, 0, 0), rgb(1, 1, 1))', 'x'), null);
  eq(linearGradient('linear-gradient(to top right, rgb(0, 0, 0), rgb(1, 1, 1))', 'x'), null);
});
