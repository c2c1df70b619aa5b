// `npm run screenshots`: opens the gallery in headless Chromium (WebGPU through
// --enable-unsafe-webgpu; SwiftShader when there is no GPU), draws a digit on the live panel,
// waits for every section to finish computing, and writes PNGs to docs/: one per section
// (docs/gallery-<section>.png), a few single elements, and with FULL_PAGE=1 the whole page
// (docs/gallery.png, not committed).
// Exits non-zero when a section fails or times out (the screenshots are written anyway).
//
// Not part of `npm test`: on a software GPU it takes several minutes. Options (environment):
// CHROME_PATH (default /usr/bin/chromium), TIMEOUT_S (default 1500), WORDS (GloVe words in the
// projector, default 1000), SECTIONS (comma-separated section ids to shoot; default all).
import * as esbuild from 'esbuild';
import puppeteer from 'puppeteer-core';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { common, PAGE_ENTRIES } from './build.mjs';

const root = resolve(import.meta.dirname, '..');
process.chdir(root);
const docs = join(root, 'docs');
mkdirSync(docs, { recursive: true });
const timeoutMs = Number(process.env.TIMEOUT_S ?? 1500) * 1000;
const words = Number(process.env.WORDS ?? 1000);
const only = process.env.SECTIONS?.split(',').filter(Boolean) ?? [];

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
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'glassbox-shots-'))}`,
  ],
});
let failed = 0;
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeoutMs);
  await page.setViewport({ width: 1200, height: 900, deviceScaleFactor: 1 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  page.on('console', (m) => {
    if (/GPU stall/.test(m.text())) return;
    if (m.type() === 'error' || m.type() === 'warn') console.log(`[page ${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  const url = `http://127.0.0.1:${port}/demo/gallery.html?eager&words=${words}`;
  console.log(`opening ${url}`);
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  const ids = await page.$$eval('#sections > section', (s) => s.map((e) => e.id));

  // The live panel: draw a 7 once it is ready.
  if (ids.includes('live')) {
    await page.waitForSelector('#live .pad');
    const box = await (await page.$('#live .pad')).boundingBox();
    const stroke = async (points) => {
      await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
      await page.mouse.down();
      for (const [x, y] of points.slice(1)) {
        await page.mouse.move(box.x + x, box.y + y, { steps: 12 });
      }
      await page.mouse.up();
    };
    await stroke([[70, 60], [150, 58], [215, 62], [175, 140], [135, 235]]);
    await stroke([[120, 150], [200, 148]]);
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
    if (state !== 'done') failed++;
    if (id === 'live') {
      const answered = await page.waitForFunction(
        () => /Predicted/.test(document.querySelector('#live .status')?.textContent ?? ''),
        { timeout: 300_000 },
      ).then(() => true, () => false);
      if (!answered) (failed++, console.log('live: no prediction for the drawn digit'));
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
} finally {
  await browser.close();
  await context.dispose();
}
console.log(failed ? `${failed} section(s) not done` : 'every section done');
process.exit(failed ? 1 : 0);
