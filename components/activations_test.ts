// <glass-activations> in headless Chromium: grid cells and the enlarged map read back.
import { assert, assertEquals } from '../test/assert.ts';
import { RUNNER, test } from '../test/harness.ts';
import type { ActivationsHoverDetail, GlassActivations } from './activations.ts';
import { colormap } from './shared/colormaps.ts';
import { assertColor, cleanup, frames, mount, pixel } from './shared/testing.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
if (RUNNER === 'browser') await import('./activations.ts');

const errors: unknown[] = [];
globalThis.addEventListener?.('error', (e) => errors.push((e as ErrorEvent).error ?? e));

// 6 maps of 2×2: map c is 0 except texel c % 4, which holds c + 1.
const C = 6;
const DATA = new Float32Array(C * 4);
for (let c = 0; c < C; c++) DATA[c * 4 + (c % 4)] = c + 1;

async function activations(props: Record<string, unknown>, width = 400) {
  cleanup('glass-activations');
  return await mount<GlassActivations>('glass-activations', props, width);
}
const cells = (el: HTMLElement) => [...el.shadowRoot!.querySelectorAll('[part~="cell"]')];
// width 400: enlarged map 160 px at x = 240; grid 228 px, 3 columns of 74 px cells (+2 px gaps)
const texel = (c: number, i: number) =>
  [
    (c % 3) * 76 + (i % 2) * 37 + 18,
    Math.floor(c / 3) * 76 + Math.floor(i / 2) * 37 + 18,
  ] as [number, number];
const detail = (i: number) =>
  [240 + (i % 2) * 80 + 40, Math.floor(i / 2) * 80 + 40] as [
    number,
    number,
  ];

test('activations: grid cells, per-map and shared normalization', async () => {
  const el = await activations({ data: DATA, shape: [C, 2, 2] });
  assertEquals(cells(el).length, C, 'one cell per map');
  assertEquals(el.renderer.canvas.width, 400);
  assertEquals(el.renderer.canvas.height, 160, 'the enlarged map is the tallest');
  for (let c = 0; c < C; c++) {
    assertColor(pixel(el, ...texel(c, c % 4)), colormap('viridis', 1), 1, `map ${c} max`);
    assertColor(pixel(el, ...texel(c, (c + 1) % 4)), colormap('viridis', 0), 1, `map ${c} min`);
  }
  assertColor(pixel(el, 228 - 2, 10), [255, 255, 255], 1, 'right of the grid');
  el.setAttribute('normalize', 'shared');
  await el.updateComplete;
  assertColor(pixel(el, ...texel(2, 2)), colormap('viridis', 3 / 6), 1, 'shared: 3 of 6');
  assertColor(pixel(el, ...texel(5, 1)), colormap('viridis', 1), 1, 'shared max');
  el.columns = 2;
  await el.updateComplete;
  assertEquals(
    (cells(el)[2] as HTMLElement).style.top !== '0px',
    true,
    'two columns: map 2 on the second row',
  );
}, { ignore });

test('activations: hover and focus enlarge a map', async () => {
  const el = await activations({ data: DATA, shape: [1, C, 2, 2] });
  assertColor(pixel(el, ...detail(0)), colormap('viridis', 1), 1, 'map 0 enlarged at first');
  const seen: ActivationsHoverDetail[] = [];
  el.addEventListener('glass-hover', (e) => seen.push((e as CustomEvent).detail));
  cells(el)[5].dispatchEvent(new PointerEvent('pointerover', { bubbles: true, composed: true }));
  await el.updateComplete;
  assertEquals(JSON.stringify(seen[0]), '{"channel":5,"min":0,"max":6}');
  assertEquals(el.selected, 5);
  assertColor(pixel(el, ...detail(1)), colormap('viridis', 1), 1, 'map 5: texel 1 hot');
  assertColor(pixel(el, ...detail(0)), colormap('viridis', 0), 1, 'map 5: texel 0 cold');
  assert(cells(el)[5].getAttribute('part') === 'cell active', 'active cell');
  const label = el.shadowRoot!.querySelector('[part~="detail-label"]')!.textContent!;
  assert(/channel 5 · 0 … 6/.test(label), label);
  // keyboard: focus moves with the arrows and enlarges
  (cells(el)[5] as HTMLElement).focus();
  cells(el)[5].dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
  await el.updateComplete;
  assertEquals(el.selected, 2);
  assertEquals(el.shadowRoot!.activeElement, cells(el)[2], 'focus follows');
  assertColor(pixel(el, ...detail(2)), colormap('viridis', 1), 1, 'map 2 enlarged');
}, { ignore });

test('activations: resize and disconnect', async () => {
  const el = await activations({ data: DATA, shape: [C, 2, 2] });
  el.style.width = '200px';
  await frames(3);
  await el.updateComplete;
  assertEquals(el.renderer.canvas.width, 200, 'canvas follows the width');
  assertEquals(cells(el).length, C);
  assert(parseFloat((cells(el)[1] as HTMLElement).style.left) < 76, 'cells shrank');
  el.remove();
  assertEquals(el.renderer.regl, null, 'regl destroyed');
  document.body.append(el);
  await el.updateComplete;
  await frames();
  assert(el.renderer.regl !== null, 'drawn again on reconnect');
  assertEquals(errors.length, 0, `no errors: ${errors}`);
}, { ignore });

test('activations: bad data shows a message and never throws', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ data: DATA, shape: [C, 2, 3] }, /expected 36 values, got 24/],
    [{ data: new Float32Array(0), shape: [0, 2, 2] }, /positive integers/],
    [{ data: [1, NaN, 0, 0], shape: [1, 2, 2] }, /non-finite.*index 1/],
    [{ data: DATA, shape: [24] }, /not \[C, H, W\]/],
    [{ data: DATA }, /no shape/],
    [{}, /No activations/],
  ];
  for (const [props, re] of cases) {
    const el = await activations(props);
    const msg = el.shadowRoot!.querySelector('[part~="message"]') as HTMLElement | null;
    assert(msg !== null && msg.offsetHeight > 0, `visible message for ${JSON.stringify(props)}`);
    assert(re.test(msg.textContent!), `${msg.textContent} ~ ${re}`);
  }
  assertEquals(errors.length, 0, `no errors: ${errors}`);
  cleanup('glass-activations');
}, { ignore });
