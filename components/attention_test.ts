// <glass-attention> in headless Chromium: matrix colors read back from the canvas, SVG lines.
import { assert, assertEquals } from '../test/assert.ts';
import { RUNNER, test } from '../test/harness.ts';
import type { AttentionHoverDetail, GlassAttention } from './attention.ts';
import { colormap } from './shared/colormaps.ts';
import { assertColor, cleanup, frames, mount, pixel } from './shared/testing.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
if (RUNNER === 'browser') await import('./attention.ts');

const errors: unknown[] = [];
globalThis.addEventListener?.('error', (e) => errors.push((e as ErrorEvent).error ?? e));

// expected colors from the f32 weights the element holds
const f = Math.fround;
const TOKENS = ['the', 'cat', 'sat', '.'];
// head 0: row q attends to key q (0.7) and the first token; head 1: uniform.
const W = new Float32Array(2 * 16);
for (let q = 0; q < 4; q++) {
  for (let k = 0; k < 4; k++) {
    W[q * 4 + k] = q === k ? (q === 0 ? 1 : 0.7) : k === 0 ? 0.3 : 0;
    W[16 + q * 4 + k] = 0.25;
  }
}

async function attention(props: Record<string, unknown>, width = 416): Promise<GlassAttention> {
  cleanup('glass-attention');
  return await mount<GlassAttention>('glass-attention', props, width);
}
const part = (el: HTMLElement, name: string) =>
  el.shadowRoot!.querySelector(`[part~="${name}"]`) as HTMLElement | null;
// 416 px: two 200 px regions; 64 px labels; 136 px matrix, 34 px cells
const at = (el: HTMLElement, q: number, k: number) => pixel(el, k * 34 + 17, q * 34 + 17);

test('attention: matrix colors for each head and the mean', async () => {
  const el = await attention({ weights: W, tokens: TOKENS });
  assertEquals(el.renderer.canvas.width, 136, 'matrix size');
  assertColor(at(el, 0, 0), colormap('viridis', 1), 1, 'max');
  assertColor(at(el, 1, 1), colormap('viridis', f(0.7)), 1, '0.7');
  assertColor(at(el, 2, 0), colormap('viridis', f(0.3)), 1, '0.3');
  assertColor(at(el, 0, 3), colormap('viridis', 0), 1, 'zero');
  const labels = [...el.shadowRoot!.querySelectorAll('[part~="row-label"]')];
  assertEquals(labels.map((l) => l.textContent).join(' '), 'the cat sat .', 'row labels');
  el.head = 1;
  await el.updateComplete;
  assertColor(at(el, 2, 3), colormap('viridis', 1), 1, 'uniform head: all at the max');
  el.head = -1;
  await el.updateComplete;
  assertColor(at(el, 1, 1), colormap('viridis', f(f(f(0.7) / 2) + 0.125) / 0.625), 1, 'mean');
  const summary = el.shadowRoot!.querySelector('#summary')!.textContent!;
  assert(summary.includes('mean of heads of 2'), summary);
}, { ignore });

test('attention: lines with opacity = weight, hovering a token highlights its row', async () => {
  const el = await attention({ weights: W, tokens: TOKENS });
  const lines = () => [...el.shadowRoot!.querySelectorAll('[part~="lines"] line')];
  assertEquals(lines().length, 4 + 3, 'one line per weight ≥ 0.01');
  const line = (q: number, k: number) =>
    el.shadowRoot!.querySelector(`line[data-q="${q}"][data-k="${k}"]`)!;
  assertEquals(Number(line(1, 1).getAttribute('stroke-opacity')), 0.7);
  const seen: (AttentionHoverDetail | null)[] = [];
  el.addEventListener('glass-hover', (e) => seen.push((e as CustomEvent).detail));
  const token = el.shadowRoot!.querySelector('[part~="lines"] text[data-q="2"]')!;
  token.dispatchEvent(new PointerEvent('pointerover', { bubbles: true, composed: true }));
  await el.updateComplete;
  assertEquals(el.selected, 2);
  assertEquals(seen[0]!.query, 2);
  assertEquals(seen[0]!.queryToken, 'sat');
  assertEquals(seen[0]!.key, null);
  assertEquals(line(2, 2).getAttribute('class'), 'on', 'row lines highlighted');
  assertEquals(Number(line(2, 2).getAttribute('stroke-opacity')), 0.7, 'keeps its weight');
  assertEquals(Number(line(1, 1).getAttribute('stroke-opacity')), 0.105, 'others dimmed');
  // the matrix row stays bright, the others fade toward the background
  assertColor(at(el, 2, 2), colormap('viridis', f(0.7)), 1, 'highlighted row');
  const c = colormap('viridis', f(0.7));
  assertColor(at(el, 1, 1), c.map((v) => v * 0.25 + 255 * 0.75), 1, 'dimmed row');
  assert(
    el.shadowRoot!.querySelectorAll('[part~="row-label"]')[2].classList.contains('on'),
    'row label highlighted',
  );
  token.dispatchEvent(new PointerEvent('pointerleave'));
  el.shadowRoot!.querySelector('[part~="lines"]')!.dispatchEvent(new PointerEvent('pointerleave'));
  await el.updateComplete;
  assertEquals(el.selected, -1);
  assertColor(at(el, 1, 1), colormap('viridis', f(0.7)), 1, 'no highlight');
}, { ignore });

test('attention: matrix hover and keyboard', async () => {
  const el = await attention({ weights: W, tokens: TOKENS, view: 'matrix' }, 200);
  // 200 px: 64 px labels, 136 px matrix
  const seen: (AttentionHoverDetail | null)[] = [];
  el.addEventListener('glass-hover', (e) => seen.push((e as CustomEvent).detail));
  const r = el.renderer.canvas.getBoundingClientRect();
  el.renderer.canvas.dispatchEvent(
    new PointerEvent('pointermove', {
      bubbles: true,
      composed: true,
      clientX: r.left + 34 * 0 + 5,
      clientY: r.top + 34 * 3 + 5,
    }),
  );
  await el.updateComplete;
  assertEquals(
    JSON.stringify(seen[0]),
    '{"head":0,"query":3,"key":0,"value":0.30000001192092896,"queryToken":".","keyToken":"the"}',
  );
  assert(part(el, 'tooltip')!.textContent!.includes('0.3'), 'tooltip');
  assertEquals(part(el, 'lines'), null, 'matrix only');
  const m = part(el, 'matrix')!;
  m.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp' }));
  m.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
  await el.updateComplete;
  assertEquals(seen.at(-1)!.query, 2);
  assertEquals(seen.at(-1)!.key, 1);
}, { ignore });

test('attention: resize, disconnect, [T, T] weights without tokens', async () => {
  const el = await attention({ weights: W.slice(0, 16), view: 'matrix' }, 200);
  assertEquals(el.renderer.canvas.width, 136);
  el.style.width = '100px'; // no room for labels: 100 px matrix, 25 px cells
  await frames(3);
  await el.updateComplete;
  assertEquals(el.renderer.canvas.width, 100, 'resized');
  assertColor(pixel(el, 12, 12), colormap('viridis', 1), 1, 'redrawn');
  el.remove();
  assertEquals(el.renderer.regl, null, 'regl destroyed');
  assertEquals(errors.length, 0, `no errors: ${errors}`);
}, { ignore });

test('attention: bad data shows a message and never throws', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ weights: W, tokens: ['a', 'b', 'c'] }, /32 weights do not fit 3 tokens/],
    [{ weights: W, tokens: TOKENS, head: 2 }, /head 2 is not in 0…1/],
    [{ weights: new Float32Array(0), tokens: [] }, /empty/],
    [{ weights: [0.5, NaN, 0.5, 0.5], tokens: ['a', 'b'] }, /non-finite.*index 1/],
    [{ weights: [1, 2, 3] }, /not a square/],
    [{ weights: W, shape: [2, 4, 4], tokens: ['a'] }, /1 tokens for 4×4/],
    [{ weights: W, shape: [2, 4, 3] }, /not \[heads, T, T\]/],
    [{}, /No attention/],
  ];
  for (const [props, re] of cases) {
    const el = await attention(props);
    const msg = part(el, 'message');
    assert(msg !== null && msg.offsetHeight > 0, `visible message for ${JSON.stringify(props)}`);
    assert(re.test(msg.textContent!), `${msg.textContent} ~ ${re}`);
  }
  assertEquals(errors.length, 0, `no errors: ${errors}`);
  cleanup('glass-attention');
}, { ignore });
