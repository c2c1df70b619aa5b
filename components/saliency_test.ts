// <glass-saliency> in headless Chromium: colors read back from the canvas against the CPU
// colormap (tolerance ±1 per channel: the GPU blends in float, the CPU rounds once).
import { assert, assertEquals } from '../test/assert.ts';
import { RUNNER, test } from '../test/harness.ts';
import type { GlassSaliency, SaliencyHoverDetail } from './saliency.ts';
import { colormap } from './shared/colormaps.ts';
import { assertColor, cleanup, frames, mount, pixel } from './shared/testing.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
if (RUNNER === 'browser') await import('./saliency.ts');

const errors: unknown[] = [];
globalThis.addEventListener?.('error', (e) => errors.push((e as ErrorEvent).error ?? e));

async function saliency(props: Record<string, unknown>, width = 300): Promise<GlassSaliency> {
  cleanup('glass-saliency');
  return await mount<GlassSaliency>('glass-saliency', props, width);
}

const part = (el: HTMLElement, name: string) =>
  el.shadowRoot!.querySelector(`[part~="${name}"]`) as HTMLElement | null;

// A 3×2 map, 100 CSS px per cell at width 300.
const SIGNED = { attribution: new Float32Array([-1, 0, 1, 0.5, -0.5, 0]), shape: [2, 3] };
const center = (x: number, y: number, cell = 100) => [x * cell + cell / 2, y * cell + cell / 2];

test('saliency: signed map, diverging colormap at min, zero and max', async () => {
  const el = await saliency({ ...SIGNED, clip: 100 });
  assertEquals(el.renderer.canvas.width, 300, 'canvas width');
  assertEquals(el.renderer.canvas.height, 200, 'canvas height');
  assertColor(pixel(el, ...center(0, 0) as [number, number]), colormap('rdbu', 0), 1, 'min');
  assertColor(pixel(el, ...center(1, 0) as [number, number]), colormap('rdbu', 0.5), 1, 'zero');
  assertColor(pixel(el, ...center(2, 0) as [number, number]), colormap('rdbu', 1), 1, 'max');
  assertColor(pixel(el, ...center(0, 1) as [number, number]), colormap('rdbu', 0.75), 1, '+0.5');
  assertColor(pixel(el, ...center(1, 1) as [number, number]), colormap('rdbu', 0.25), 1, '-0.5');
  // negative is blue, positive red
  const [r0, , b0] = pixel(el, 50, 50);
  const [r1, , b1] = pixel(el, 250, 50);
  assert(b0 > r0 && r1 > b1, 'blue for negative, red for positive');
  const ticks = [...el.shadowRoot!.querySelectorAll('[part~="legend"] .ticks span')].map((s) =>
    s.textContent
  );
  assertEquals(ticks.join(' '), '-1 0 1', 'legend values');
  const summary = el.shadowRoot!.querySelector('.sr-only')!.textContent!;
  assert(/Top 2 positive pixels \(x, y\): \(2, 0\) 1; \(0, 1\) 0.5/.test(summary), summary);
  const stage = el.shadowRoot!.querySelector('[role="img"]')!;
  assert(stage.getAttribute('aria-label')!.includes('Attribution map'), 'aria-label');
}, { ignore });

test('saliency: percentile clipping (absolute mode, sequential colormap)', async () => {
  const data = Float32Array.from({ length: 100 }, (_, i) => i); // 10×10, 30 px cells
  const el = await saliency({ attribution: data, mode: 'absolute', clip: 90 });
  const s = 89.1; // the 90th percentile of 0…99 (linear interpolation)
  const at = (i: number) => pixel(el, (i % 10) * 30 + 15, Math.floor(i / 10) * 30 + 15);
  assertColor(at(0), colormap('viridis', 0), 1, 'zero');
  assertColor(at(45), colormap('viridis', 45 / s), 1, 'inside the clip');
  assertColor(at(95), colormap('viridis', 1), 1, 'clipped');
  assertColor(at(99), colormap('viridis', 1), 1, 'clipped max');
  const ticks = el.shadowRoot!.querySelectorAll('[part~="legend"] .ticks span');
  assertEquals(ticks[1].textContent, '89.1', 'legend shows the clip value');
  el.clip = 100;
  await el.updateComplete;
  assertColor(at(95), colormap('viridis', 95 / 99), 1, 'clip 100 = max');
}, { ignore });

test('saliency: positive and negative modes hide the other sign', async () => {
  const el = await saliency({ ...SIGNED, mode: 'positive', clip: 100 });
  assertColor(pixel(el, 250, 50), colormap('viridis', 1), 1, 'positive max');
  assertColor(pixel(el, 50, 50), [255, 255, 255], 1, 'negative hidden (background)');
  el.mode = 'negative';
  await el.updateComplete;
  assertColor(pixel(el, 50, 50), colormap('viridis', 1), 1, 'most negative at the top');
  assertColor(pixel(el, 250, 50), [255, 255, 255], 1, 'positive hidden');
  assertColor(pixel(el, 150, 150), colormap('viridis', 0.5), 1, '-0.5 of -1');
  el.theme = 'dark';
  await el.updateComplete;
  assertColor(pixel(el, 250, 50), [0x16, 0x18, 0x1d], 1, 'dark background');
}, { ignore });

test('saliency: opacity 0 shows the bare image, 0.5 blends', async () => {
  const gray = Float32Array.from([0, 0.25, 0.5, 1, 0.75, 0.5]);
  const image = { data: gray, shape: [2, 3] };
  const el = await saliency({ ...SIGNED, image, opacity: 0, clip: 100 });
  for (let i = 0; i < 6; i++) {
    const v = Math.round(gray[i] * 255);
    assertColor(pixel(el, ...center(i % 3, Math.floor(i / 3)) as [number, number]), [v, v, v], 1);
  }
  el.opacity = 0.5;
  await el.updateComplete;
  const c = colormap('rdbu', 1);
  const v = 0.5 * 255;
  assertColor(pixel(el, 250, 50), c.map((x) => (x + v) / 2), 1, 'half over gray 0.5');
  // ImageData and RGB [C, H, W] images
  const rgb = new Float32Array(3 * 6);
  rgb.fill(1, 0, 6); // red channel
  el.image = { data: rgb, shape: [3, 2, 3] };
  el.opacity = 0;
  await el.updateComplete;
  assertColor(pixel(el, 50, 50), [255, 0, 0], 1, 'CHW red');
  const id = new ImageData(3, 2);
  id.data.set([0, 0, 255, 255], 4);
  el.image = id;
  await el.updateComplete;
  assertColor(pixel(el, 150, 50), [0, 0, 255], 1, 'ImageData blue');
}, { ignore });

test('saliency: hover read-out (event and tooltip), keyboard cursor', async () => {
  const el = await saliency({ ...SIGNED, clip: 100 });
  const seen: (SaliencyHoverDetail | null)[] = [];
  document.addEventListener('glass-hover', (e) => seen.push((e as CustomEvent).detail));
  const canvas = el.renderer.canvas;
  const r = canvas.getBoundingClientRect();
  canvas.dispatchEvent(
    new PointerEvent('pointermove', {
      bubbles: true,
      composed: true,
      clientX: r.left + 30,
      clientY: r.top + 150,
    }),
  );
  await el.updateComplete;
  assertEquals(seen.length, 1, 'one event');
  assertEquals(JSON.stringify(seen[0]), '{"panel":0,"label":"","x":0,"y":1,"value":0.5}');
  assert(part(el, 'tooltip')!.textContent!.includes('0.5'), 'tooltip value');
  const stage = el.shadowRoot!.querySelector('.stage')!;
  stage.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
  await el.updateComplete;
  assertEquals(seen.at(-1)!.value, -0.5, 'arrow moves the cursor');
  stage.dispatchEvent(new PointerEvent('pointerleave'));
  await el.updateComplete;
  assertEquals(seen.at(-1), null, 'leave');
  assertEquals(part(el, 'tooltip'), null, 'tooltip hidden');
}, { ignore });

test('saliency: side-by-side maps with labels, shared scale, curves', async () => {
  const maps = [
    { label: 'gradient', data: [1, 0, 0, 0] },
    { label: 'IG', data: [0, 0, 0, 2] },
  ];
  // width 208: two 100 px panels and an 8 px gap; 50 px cells
  const el = await saliency({ maps, clip: 100 }, 208);
  const labels = [...el.shadowRoot!.querySelectorAll('[part~="label"]')].map((l) => l.textContent);
  assertEquals(labels.join(','), 'gradient,IG');
  assertColor(pixel(el, 25, 25), colormap('rdbu', 1), 1, 'panel 0, own scale');
  assertColor(pixel(el, 108 + 75, 75), colormap('rdbu', 1), 1, 'panel 1, own scale');
  assertColor(pixel(el, 104, 50), [255, 255, 255], 1, 'gap');
  assertEquals(el.shadowRoot!.querySelectorAll('[part~="legend"]').length, 2, 'a legend each');
  el.sharedScale = true;
  await el.updateComplete;
  assertColor(pixel(el, 25, 25), colormap('rdbu', 0.75), 1, 'panel 0, shared scale');
  assertEquals(el.shadowRoot!.querySelectorAll('[part~="legend"]').length, 1, 'one legend');
  el.curves = {
    deletion: { fractions: [0, 0.5, 1], scores: [0.9, 0.2, 0.1], auc: 0.35 },
    insertion: { fractions: [0, 0.5, 1], scores: [0.1, 0.7, 0.9], auc: 0.6 },
  };
  await el.updateComplete;
  const svg = part(el, 'curves')!;
  assertEquals(svg.querySelectorAll('polyline').length, 2, 'two curves');
  assert(svg.getAttribute('aria-label')!.includes('deletion AUC 0.35'), 'AUC in the label');
  el.curves = { deletion: { fractions: [0, 1], scores: [1], auc: 0 } };
  await el.updateComplete;
  assert(part(el, 'message')!.textContent!.includes('deletion curve'), 'bad curve message');
}, { ignore });

test('saliency: resize, disconnect, reconnect, context loss', async () => {
  const el = await saliency({ ...SIGNED, clip: 100 });
  el.style.width = '150px';
  await frames(3);
  await el.updateComplete;
  assertEquals(el.renderer.canvas.width, 150, 'canvas follows the width');
  assertEquals(el.renderer.canvas.height, 100, 'and keeps the aspect');
  assertColor(pixel(el, 125, 25), colormap('rdbu', 1), 1, 'redrawn');
  const gl = el.renderer.canvas.getContext('webgl')!;
  const lose = gl.getExtension('WEBGL_lose_context')!;
  lose.loseContext();
  await frames(2);
  assertEquals(el.renderer.regl, null, 'regl dropped while lost');
  lose.restoreContext();
  await frames(3);
  await el.updateComplete;
  assert(el.renderer.regl !== null, 'regl remade after restore');
  assertColor(pixel(el, 125, 25), colormap('rdbu', 1), 1, 'drawn after restore');
  el.remove();
  assertEquals(el.renderer.regl, null, 'regl destroyed on disconnect');
  document.body.append(el);
  await el.updateComplete;
  await frames();
  assertColor(pixel(el, 125, 25), colormap('rdbu', 1), 1, 'drawn after reconnect');
  assertEquals(errors.length, 0, `no errors: ${errors}`);
}, { ignore });

test('saliency: bad data shows a message and never throws', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ attribution: new Float32Array([1, NaN, 2, 3]) }, /non-finite.*index 1/],
    [{ attribution: new Float32Array(0) }, /empty|No attribution/],
    [{ attribution: [1, 2, 3, 4, 5, 6, 7, 8], shape: [3, 3] }, /expected 9 values, got 8/],
    [
      { attribution: [1, 2, 3], image: { data: new Float32Array(4), shape: [2, 2] } },
      /give a shape/,
    ],
    [{ maps: [] }, /empty/],
    [{ attribution: [1, 2, 3, 4], mode: 'wrong' }, /unknown mode/],
    [{ attribution: [1, 2, 3, 4], image: { data: [Infinity, 0, 0, 0], shape: [2, 2] } }, /image/],
    [{}, /No attribution/],
  ];
  for (const [props, re] of cases) {
    const el = await saliency(props);
    const msg = part(el, 'message');
    assert(msg !== null && msg.offsetHeight > 0, `visible message for ${JSON.stringify(props)}`);
    assert(re.test(msg.textContent!), `${msg.textContent} ~ ${re}`);
    assertEquals(el.shadowRoot!.querySelector('canvas'), null, 'no canvas');
  }
  // recovers when given good data
  const el = await saliency({ attribution: [NaN, 1, 2, 3] });
  el.attribution = [0, 1, 2, 3];
  await el.updateComplete;
  await frames();
  assertEquals(part(el, 'message'), null, 'message gone');
  assertEquals(errors.length, 0, `no errors: ${errors}`);
  cleanup('glass-saliency');
}, { ignore });

test('saliency: engine tensors are read back once', async () => {
  let reads = 0;
  const tensor = {
    shape: [2, 3],
    readFloat32: () => {
      reads++;
      return Promise.resolve(new Float32Array([-1, 0, 1, 0.5, -0.5, 0]));
    },
  };
  const el = await saliency({ attribution: tensor, clip: 100 });
  await frames();
  await el.updateComplete;
  assertColor(pixel(el, 250, 50), colormap('rdbu', 1), 1, 'drawn from the tensor');
  el.opacity = 0.9;
  await el.updateComplete;
  assertEquals(reads, 1, 'one readback');
  cleanup('glass-saliency');
}, { ignore });
