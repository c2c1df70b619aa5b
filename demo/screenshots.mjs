// `npm run screenshots`: drives the explorer (/demo/) and then the gallery (/demo/gallery.html)
// in headless Chromium (WebGPU through --enable-unsafe-webgpu; SwiftShader when there is no GPU)
// and writes PNGs to docs/.
//
// The explorer, as a person would use it: the empty page, MNIST CNN opened with its example
// button, a Conv node found with the graph search, a digit drawn on the pad, two explanation
// methods side by side, the spam/ham transformer's tokens explained, the global view on the
// bundled samples, a model with an unsupported operator and a text file uploaded through the file
// input. Each state is docs/explorer-<state>.png, clipped to its panels.
//
// The gallery: draws a digit on the live panel, waits for every section to finish computing, and
// writes one PNG per section (docs/gallery-<section>.png), a few single elements, and with
// FULL_PAGE=1 the whole page (docs/gallery.png, not committed).
// Exits non-zero when a state or section fails or times out (the others are written anyway).
//
// Not part of `npm test`: on a software GPU it takes several minutes. Options (environment):
// CHROME_PATH (default /usr/bin/chromium), TIMEOUT_S (default 1500), WORDS (GloVe words in the
// projector, default 1000), SECTIONS (comma-separated gallery section ids to shoot; default all),
// EXPLORER_ONLY=1 (skip the gallery), STATES (comma-separated explorer states; default all),
// STATE_TIMEOUT_S (the most one explorer state may wait, default 600).
import * as esbuild from 'esbuild';
import puppeteer from 'puppeteer-core';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { common, PAGE_ENTRIES } from './build.mjs';

const root = resolve(import.meta.dirname, '..');
process.chdir(root);
const docs = join(root, 'docs');
mkdirSync(docs, { recursive: true });
const timeoutMs = Number(process.env.TIMEOUT_S ?? 1500) * 1000;
const words = Number(process.env.WORDS ?? 1000);
const only = process.env.SECTIONS?.split(',').filter(Boolean) ?? [];
const explorerOnly = process.env.EXPLORER_ONLY === '1';
const onlyStates = process.env.STATES?.split(',').filter(Boolean) ?? [];
const stateTimeoutMs = Number(process.env.STATE_TIMEOUT_S ?? 600) * 1000;
const scratch = mkdtempSync(join(tmpdir(), 'glassbox-shots-'));

const context = await esbuild.context({
  ...common,
  entryPoints: PAGE_ENTRIES,
  outdir: 'demo/dist',
  logLevel: 'warning',
});
await context.rebuild();
const { port } = await context.serve({ servedir: '.', host: '127.0.0.1', port: 0 });

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  headless: true,
  protocolTimeout: timeoutMs + 60_000,
  args: [
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    '--enable-unsafe-swiftshader',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--hide-scrollbars',
    `--user-data-dir=${join(scratch, 'profile')}`,
  ],
});
let failed = 0;

/** A new tab at `path` (light theme, 1280 px wide), its console errors logged. */
async function openPage(path, width = 1280) {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeoutMs);
  await page.setViewport({ width, height: 900, deviceScaleFactor: 1 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  page.on('console', (m) => {
    if (/GPU stall/.test(m.text())) return;
    if (m.type() === 'error' || m.type() === 'warn') console.log(`[page ${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  const url = `http://127.0.0.1:${port}${path}`;
  console.log(`opening ${url}`);
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  return page;
}

/** Draws strokes (points in a 280 px square) with the mouse on the element `pad`. */
async function draw(page, pad, strokes) {
  await pad.scrollIntoView();
  const box = await pad.boundingBox();
  const k = box.width / 280;
  for (const points of strokes) {
    await page.mouse.move(box.x + k * points[0][0], box.y + k * points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) {
      await page.mouse.move(box.x + k * x, box.y + k * y, { steps: 12 });
    }
    await page.mouse.up();
  }
}
const SEVEN = [[[70, 60], [150, 58], [215, 62], [175, 140], [135, 235]], [[120, 150], [200, 148]]];

// --- The explorer ---

/** A tiny CNN with DeformConv (not implemented by glassbox), serialized by test/onnx_builder.ts. */
async function unsupportedModel() {
  const values = (n, seed) =>
    Array.from({ length: n }, (_, i) => Math.round(Math.sin(seed + i * 12.9898) * 1000) / 4000);
  const spec = {
    opset: 19,
    name: 'deformable_cnn',
    inputs: [{ name: 'image', shape: [1, 1, 28, 28] }],
    outputs: [{ name: 'logits', shape: [1, 10] }],
    initializers: [
      { name: 'stem.weight', dims: [8, 1, 3, 3], float: values(72, 1) },
      { name: 'stem.bias', dims: [8], float: values(8, 2) },
      { name: 'offsets.weight', dims: [18, 8, 3, 3], float: values(1296, 3) },
      { name: 'deform.weight', dims: [8, 8, 3, 3], float: values(576, 4) },
      { name: 'head.weight', dims: [10, 8], float: values(80, 5) },
      { name: 'head.bias', dims: [10], float: values(10, 6) },
    ],
    nodes: [
      {
        op: 'Conv',
        name: 'stem',
        inputs: ['image', 'stem.weight', 'stem.bias'],
        outputs: ['stem.out'],
        ints: { pads: [1, 1, 1, 1] },
      },
      { op: 'Relu', name: 'relu1', inputs: ['stem.out'], outputs: ['relu1.out'] },
      {
        op: 'Conv',
        name: 'offsets',
        inputs: ['relu1.out', 'offsets.weight'],
        outputs: ['offsets.out'],
        ints: { pads: [1, 1, 1, 1] },
      },
      {
        op: 'DeformConv',
        name: 'deform',
        inputs: ['relu1.out', 'deform.weight', 'offsets.out'],
        outputs: ['deform.out'],
        ints: { pads: [1, 1, 1, 1] },
      },
      { op: 'Relu', name: 'relu2', inputs: ['deform.out'], outputs: ['relu2.out'] },
      { op: 'GlobalAveragePool', name: 'pool', inputs: ['relu2.out'], outputs: ['pool.out'] },
      { op: 'Flatten', name: 'flatten', inputs: ['pool.out'], outputs: ['flat'] },
      {
        op: 'Gemm',
        name: 'head',
        inputs: ['flat', 'head.weight', 'head.bias'],
        outputs: ['logits'],
        ints: { transB: 1 },
      },
    ],
  };
  const built = await esbuild.build({
    stdin: {
      contents: `import { buildModel } from './test/onnx_builder.ts';\n` +
        `export default buildModel(${JSON.stringify(spec)});`,
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'unsupported_model.ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'warning',
  });
  const module = join(scratch, 'unsupported_model.mjs');
  writeFileSync(module, built.outputFiles[0].text);
  return (await import(pathToFileURL(module).href)).default;
}

/** Waits for `fn(...args)` in the page to be truthy (polling), within the state's time. */
function until(page, fn, ...args) {
  return page.waitForFunction(fn, { timeout: stateTimeoutMs, polling: 250 }, ...args);
}

/** Waits until the page's job list is empty and every `glass-*` element has drawn. */
async function settle(page) {
  await until(page, () => {
    const jobs = document.querySelector('#gx-jobs');
    return jobs && jobs.querySelectorAll('.job').length === 0 &&
      document.querySelectorAll('#gx-explain .card .job').length === 0;
  });
  await page.evaluate(async () => {
    const all = [...document.querySelectorAll('*')].filter((e) => e.localName.startsWith('glass-'));
    await Promise.all(all.flatMap((e) => [e.updateComplete, e.layoutComplete].filter(Boolean)));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

/** Clicks the button in `scope` whose text is `text`. */
async function clickButton(page, scope, text) {
  const ok = await page.evaluate(
    (scope, text) => {
      const b = [...document.querySelectorAll(`${scope} button`)]
        .find((e) => e.textContent.trim() === text);
      b?.click();
      return !!b;
    },
    scope,
    text,
  );
  if (!ok) throw new Error(`no button “${text}” in ${scope}`);
}

/** Writes docs/explorer-<name>.png: the box around `selectors`' elements (8 px margin). */
async function shootPanels(page, selectors, name) {
  await settle(page);
  const measure = () =>
    page.evaluate((selectors) => {
      const boxes = selectors.map((s) => {
        const e = document.querySelector(s);
        if (!e || e.hidden) throw new Error(`${s} is not shown`);
        return e.getBoundingClientRect();
      });
      const x = Math.min(...boxes.map((b) => b.left)), y = Math.min(...boxes.map((b) => b.top));
      const r = Math.max(...boxes.map((b) => b.right)), b = Math.max(...boxes.map((b) => b.bottom));
      return { x: x + scrollX, y: y + scrollY, width: r - x, height: b - y };
    }, selectors);
  // The viewport is made as tall as the page, so that the capture does not resize it (which
  // would lay the page out again under the clip), and the box measured until it holds still.
  const { width } = page.viewport();
  await page.evaluate(() => scrollTo(0, 0));
  let rect = null;
  for (let i = 0, last = ''; i < 20; i++) {
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    if (height !== page.viewport().height) await page.setViewport({ width, height });
    await new Promise((r) => setTimeout(r, 300));
    rect = await measure();
    if (JSON.stringify(rect) === last) break;
    last = JSON.stringify(rect);
  }
  const m = 8;
  await page.screenshot({
    path: join(docs, `explorer-${name}.png`),
    captureBeyondViewport: false,
    clip: {
      x: Math.max(0, rect.x - m),
      y: Math.max(0, rect.y - m),
      width: rect.width + 2 * m,
      height: rect.height + 2 * m,
    },
  });
  await page.setViewport({ width, height: 900 });
  console.log(
    `wrote docs/explorer-${name}.png (${Math.round(rect.width)}×${Math.round(rect.height)})`,
  );
}

/** Opens an example through its button and waits for its first prediction. */
async function openExample(page, id) {
  await page.click(`#gx-open button[data-example="${id}"]`);
  await until(page, () => /^Opened /.test(document.querySelector('#gx-open .status').textContent));
  await until(page, () => document.querySelectorAll('#gx-predict .top li').length > 0);
}

/** Waits until `n` explanation cards show their maps, with curves where they apply. */
function explained(page, n, { completeness = false } = {}) {
  return until(
    page,
    (n, completeness) => {
      const cards = [...document.querySelectorAll('#gx-explain .card')];
      return cards.length === n && cards.every((c) =>
        !c.querySelector('.figure').hidden &&
        /^(Deletion AUC|Curves:)/.test(c.querySelector('.curves').textContent) &&
        c.querySelectorAll('.job').length === 0
      ) && (!completeness || cards.some((c) => /Completeness/.test(c.textContent)));
    },
    n,
    completeness,
  );
}

const explorerStates = [
  // (The functions run in this order, each on the page the one before left.)
  ['start', async () => {
    const page = await openPage('/demo/');
    await page.waitForSelector('#gx-open .glass-open');
    await shootPanels(page, ['header.gx-bar', '#gx-open'], 'start');
    return page;
  }],
  ['overview', async (page) => {
    await openExample(page, 'mnist_cnn');
    await until(page, () => document.querySelector('#gx-overview .health-summary'));
    await shootPanels(page, ['#gx-overview'], 'overview');
  }],
  ['node', async (page) => {
    const search = await page.$('#gx-graph input[type=search]');
    await search.click();
    await search.type('conv');
    await page.keyboard.press('Enter');
    await until(page, () => document.querySelector('#gx-node h3 code')?.textContent === 'Conv');
    await until(page, () =>
      document.querySelector('#gx-node glass-spectrum') &&
      document.querySelector('#gx-node glass-activations'));
    await shootPanels(page, ['#gx-graph', '#gx-node'], 'node');
  }],
  ['draw', async (page) => {
    await draw(page, await page.$('#gx-input canvas.pad'), SEVEN);
    await until(
      page,
      () =>
        /drawing/.test(document.querySelector('#gx-input .summary')?.textContent ?? '') &&
        !document.querySelector('#gx-predict').classList.contains('busy') &&
        document.querySelectorAll('#gx-predict .top li').length > 0,
    );
    await shootPanels(page, ['#gx-input', '#gx-predict'], 'draw');
  }],
  ['explain', async (page) => {
    await page.select('#gx-explain select[aria-label="Method to add"]', 'integrated-gradients');
    await clickButton(page, '#gx-explain', 'Add method');
    await explained(page, 2, { completeness: true });
    await clickButton(page, '#gx-explain .card:first-child', 'Sanity check');
    await until(page, () => document.querySelector('#gx-explain .card .sanity table'));
    await shootPanels(page, ['#gx-explain'], 'explain');
  }],
  ['global', async (page) => {
    await clickButton(page, '#gx-global', 'Use the bundled test samples');
    await until(page, () => document.querySelector('#gx-global .gx-dataset-status.gx-ok'));
    console.log('  global: the samples are loaded; distilling');
    await clickButton(page, '#gx-global', 'Distill');
    await until(
      page,
      () => document.querySelector('#gx-global .gx-surrogate-status[data-agreement]'),
    );
    // Probes on the conv layers' full-size activations take minutes on a software GPU: those
    // two are left out (the pooled ones stay).
    await page.$$eval('#gx-global .gx-layers input', (boxes) => {
      for (const b of boxes) if (/relu[12]\//.test(b.value)) b.checked = false;
    });
    console.log('  global: distilled; training probes');
    await clickButton(page, '#gx-global', 'Train probes');
    await until(
      page,
      () => /^Best layer/.test(document.querySelector('#gx-global .gx-probes-status').textContent),
    );
    await shootPanels(page, ['#gx-global'], 'global');
  }],
  ['text', async (page) => {
    await page?.close();
    page = await openPage('/demo/');
    await openExample(page, 'text_transformer');
    await page.select('#gx-explain select[aria-label="Method to add"]', 'integrated-gradients');
    await clickButton(page, '#gx-explain', 'Add method');
    await explained(page, 2);
    await until(page, () => document.querySelector('#gx-explain glass-tokens'));
    await shootPanels(page, ['#gx-input', '#gx-predict', '#gx-explain'], 'text');
    return page;
  }],
  ['unsupported', async (page) => {
    await page?.close();
    page = await openPage('/demo/');
    const file = join(scratch, 'deformable_cnn.onnx');
    writeFileSync(file, await unsupportedModel());
    await (await page.$('#gx-open input[type=file]')).uploadFile(file);
    await until(page, () => document.querySelector('#gx-overview ul.problems li'));
    // Its graph and weights can still be explored: the unsupported node, found by the search.
    const search = await page.$('#gx-graph input[type=search]');
    await search.click();
    await search.type('DeformConv');
    await page.keyboard.press('Enter');
    await until(
      page,
      () => document.querySelector('#gx-node h3 code')?.textContent === 'DeformConv',
    );
    await shootPanels(page, ['#gx-open', '#gx-overview', '#gx-graph', '#gx-node'], 'unsupported');
    return page;
  }],
  ['not-onnx', async (page) => {
    await page?.close();
    page = await openPage('/demo/');
    const file = join(scratch, 'notes.txt');
    writeFileSync(file, 'Remember to export the model to ONNX before opening it here.\n');
    await (await page.$('#gx-open input[type=file]')).uploadFile(file);
    await until(page, () => !document.querySelector('#gx-open .error').hidden);
    await shootPanels(page, ['header.gx-bar', '#gx-open'], 'not-onnx');
    return page;
  }],
];

/** The states that start on a new page (the others continue the one before). */
const FRESH = ['start', 'text', 'unsupported', 'not-onnx'];

async function explorer() {
  let page = null;
  let broken = 0;
  const started = Date.now();
  for (const [name, run] of explorerStates) {
    // A state that is not asked for still runs when a later one on the same page builds on it.
    const i = explorerStates.findIndex(([n]) => n === name);
    const next = explorerStates.findIndex(([n], j) => j > i && FRESH.includes(n));
    const needed = onlyStates.length === 0 ||
      explorerStates.slice(i, next < 0 ? undefined : next).some(([n]) => onlyStates.includes(n));
    if (!needed) continue;
    const t = Date.now();
    try {
      page = (await run(page)) ?? page;
      console.log(`explorer ${name}: done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    } catch (error) {
      broken++;
      console.log(
        `explorer ${name}: FAILED after ${((Date.now() - t) / 1000).toFixed(0)} s — ${
          error instanceof Error ? error.message : error
        }`,
      );
      if (page) {
        await page.screenshot({ path: join(scratch, `failed-${name}.png`), fullPage: true })
          .then(() => console.log(`  the page then: ${join(scratch, `failed-${name}.png`)}`))
          .catch(() => {});
      }
    }
  }
  await page?.close();
  console.log(`explorer: ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  return broken;
}

// --- The gallery ---

async function gallery() {
  let broken = 0;
  const page = await openPage(`/demo/gallery.html?eager&words=${words}`, 1200);
  const ids = await page.$$eval('#sections > section', (s) => s.map((e) => e.id));

  // The live panel: draw a 7 once it is ready.
  if (ids.includes('live')) {
    await page.waitForSelector('#live .pad');
    await draw(page, await page.$('#live .pad'), SEVEN);
  }

  const started = Date.now();
  for (const id of ids) {
    const state = await page.waitForFunction(
      (id) => {
        const s = document.getElementById(id).dataset.state;
        return ['done', 'error', 'unsupported'].includes(s) ? s : null;
      },
      { timeout: Math.max(1000, timeoutMs - (Date.now() - started)), polling: 500 },
      id,
    ).then((h) => h.jsonValue(), () => 'timeout');
    const status = await page.$eval(`#${id} .status`, (e) => e.textContent);
    console.log(
      `${id}: ${state} after ${((Date.now() - started) / 1000).toFixed(0)} s — ${status}`,
    );
    if (state !== 'done') broken++;
    if (id === 'live') {
      const answered = await page.waitForFunction(
        () => /Predicted/.test(document.querySelector('#live .status')?.textContent ?? ''),
        { timeout: 300_000 },
      ).then(() => true, () => false);
      if (!answered) (broken++, console.log('live: no prediction for the drawn digit'));
    }
  }
  // Let the last frames (projector animation, layouts) settle.
  await new Promise((r) => setTimeout(r, 1500));

  const shoot = async (selector, name) => {
    const el = await page.$(selector);
    if (!el) return console.log(`missing ${selector}`);
    await el.scrollIntoView();
    await new Promise((r) => setTimeout(r, 300));
    await el.screenshot({ path: join(docs, `${name}.png`) });
    console.log(`wrote docs/${name}.png`);
  };
  for (const id of ids) {
    if (only.length === 0 || only.includes(id)) await shoot(`#${id}`, `gallery-${id}`);
  }
  if (only.length === 0) {
    await shoot('#weights glass-weights[data-part="classifier.weight"]', 'glass-weights');
    await shoot('#weights glass-histogram', 'glass-histogram');
    await shoot('#weights glass-spectrum', 'glass-spectrum');
  }
  if (process.env.FULL_PAGE === '1') {
    // The whole page is ~2 MB of PNG: written on request, not committed.
    await page.evaluate(() => scrollTo(0, 0));
    await page.screenshot({ path: join(docs, 'gallery.png'), fullPage: true });
    console.log('wrote docs/gallery.png');
  }
  await page.close();
  return broken;
}

try {
  const states = await explorer();
  if (states) console.log(`${states} explorer state(s) failed`);
  failed += states;
  if (!explorerOnly) {
    const sections = await gallery();
    console.log(sections ? `${sections} section(s) not done` : 'every section done');
    failed += sections;
  }
} finally {
  await browser.close();
  await context.dispose();
}
process.exit(failed ? 1 : 0);
