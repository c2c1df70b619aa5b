// <glass-tokens> in headless Chromium: computed background colors against the CPU colormap.
import { assert, assertEquals } from '../test/assert.ts';
import { RUNNER, test } from '../test/harness.ts';
import type { GlassTokens, TokensHoverDetail } from './tokens.ts';
import { colormap } from './shared/colormaps.ts';
import { cleanup, mount } from './shared/testing.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
if (RUNNER === 'browser') await import('./tokens.ts');

const errors: unknown[] = [];
globalThis.addEventListener?.('error', (e) => errors.push((e as ErrorEvent).error ?? e));

async function tokens(props: Record<string, unknown>, width = 300): Promise<GlassTokens> {
  cleanup('glass-tokens');
  return await mount<GlassTokens>('glass-tokens', props, width);
}

const spans = (el: HTMLElement) =>
  [...el.shadowRoot!.querySelectorAll('[part~="token"]')] as HTMLElement[];
const rgb = (c: number[]) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
const part = (el: HTMLElement, name: string) =>
  el.shadowRoot!.querySelector(`[part~="${name}"]`) as HTMLElement | null;

test('tokens: backgrounds from the diverging colormap at min, zero and max', async () => {
  const el = await tokens({
    tokens: ['bad', ' plot', ',', ' great', ' cast'],
    values: [-2, -1, 0, 2, 1],
  });
  const s = spans(el);
  assertEquals(s.length, 5);
  assertEquals(s.map((x) => x.textContent).join(''), 'bad plot, great cast');
  assertEquals(getComputedStyle(s[0]).backgroundColor, rgb(colormap('rdbu', 0)), 'min');
  assertEquals(getComputedStyle(s[1]).backgroundColor, rgb(colormap('rdbu', 0.25)), '-half');
  assertEquals(getComputedStyle(s[2]).backgroundColor, rgb(colormap('rdbu', 0.5)), 'zero');
  assertEquals(getComputedStyle(s[3]).backgroundColor, rgb(colormap('rdbu', 1)), 'max');
  // readable text on dark ends
  assertEquals(getComputedStyle(s[0]).color, 'rgb(255, 255, 255)');
  assertEquals(getComputedStyle(s[2]).color, 'rgb(17, 17, 17)');
  const ticks = [...el.shadowRoot!.querySelectorAll('.ticks span')].map((t) => t.textContent);
  assertEquals(ticks.join(' '), '-2 0 2', 'legend');
  assert(el.shadowRoot!.querySelector('#summary')!.textContent!.includes('“ great” 2'), 'summary');
  el.clip = 50; // the median |v| = 1: ±1 saturate
  await el.updateComplete;
  assertEquals(getComputedStyle(spans(el)[1]).backgroundColor, rgb(colormap('rdbu', 0)), 'clip');
}, { ignore });

test('tokens: hover and keyboard read-out', async () => {
  const el = await tokens({ tokens: ['a', 'b', 'c'], values: new Float32Array([0.5, -0.25, 1]) });
  const seen: (TokensHoverDetail | null)[] = [];
  el.addEventListener('glass-hover', (e) => seen.push((e as CustomEvent).detail));
  spans(el)[1].dispatchEvent(new PointerEvent('pointerover', { bubbles: true, composed: true }));
  await el.updateComplete;
  assertEquals(JSON.stringify(seen[0]), '{"index":1,"token":"b","value":-0.25}');
  assert(part(el, 'tooltip')!.textContent!.includes('-0.25'), 'tooltip');
  assertEquals(part(el, 'active')!.textContent, 'b', 'active token');
  const text = part(el, 'text')!;
  text.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
  await el.updateComplete;
  assertEquals(seen.at(-1)!.index, 2, 'arrow right');
  assertEquals(text.getAttribute('aria-activedescendant'), 't2');
  text.dispatchEvent(new PointerEvent('pointerleave'));
  await el.updateComplete;
  assertEquals(seen.at(-1), null, 'leave');
  assertEquals(part(el, 'tooltip'), null);
}, { ignore });

test('tokens: right-to-left text, bidi-isolated tokens', async () => {
  const el = await tokens({ tokens: ['שלום', ' עולם', ' 42', ' abc'], values: [1, 0, -1, 0.5] });
  el.setAttribute('dir', 'rtl');
  await el.updateComplete;
  const text = part(el, 'text')!;
  assertEquals(getComputedStyle(text).direction, 'rtl');
  for (const s of spans(el)) assertEquals(getComputedStyle(s).unicodeBidi, 'isolate');
  const [first, , , last] = spans(el).map((s) => s.getBoundingClientRect());
  assert(first.left > last.left, 'the first token is rightmost in RTL');
  const seen: TokensHoverDetail[] = [];
  el.addEventListener('glass-hover', (e) => seen.push((e as CustomEvent).detail));
  text.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft' })); // first
  text.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft' })); // next in RTL
  await el.updateComplete;
  assertEquals(seen.at(-1)!.index, 1, 'ArrowLeft moves forward in RTL');
  el.removeAttribute('dir');
  await el.updateComplete;
  assertEquals(text.getAttribute('dir'), 'auto', 'auto by default');
  assertEquals(getComputedStyle(text).direction, 'rtl', 'auto detects Hebrew');
}, { ignore });

test('tokens: long text wraps and thousands of tokens render', async () => {
  const n = 5000;
  const words = Array.from({ length: n }, (_, i) => ` w${i}`);
  words[10] = ' ' + 'x'.repeat(400); // one very long token
  const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const t0 = performance.now();
  const el = await tokens({ tokens: words, values }, 320);
  const ms = performance.now() - t0;
  assertEquals(spans(el).length, n);
  const text = part(el, 'text')!;
  assert(text.scrollWidth <= text.clientWidth + 1, `no horizontal overflow: ${text.scrollWidth}`);
  assert(el.offsetWidth === 320, 'width kept');
  assert(ms < 5000, `rendered in ${ms.toFixed(0)} ms`);
  console.log(`glass-tokens: ${n} tokens rendered in ${ms.toFixed(0)} ms`);
}, { ignore });

test('tokens: bad data shows a message and never throws', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ tokens: ['a', 'b'], values: [1] }, /expected 2 values \(one per token\), got 1/],
    [{ tokens: ['a', 'b'], values: [1, NaN] }, /non-finite.*index 1/],
    [{ tokens: [], values: [] }, /empty/],
    [{ tokens: ['a'] }, /array of numbers/],
    [{}, /No tokens/],
  ];
  for (const [props, re] of cases) {
    const el = await tokens(props);
    const msg = part(el, 'message');
    assert(msg !== null && msg.offsetHeight > 0, `visible message for ${JSON.stringify(props)}`);
    assert(re.test(msg.textContent!), `${msg.textContent} ~ ${re}`);
  }
  const el = await tokens({ tokens: ['a'], values: [NaN] });
  el.values = [0.3];
  await el.updateComplete;
  assertEquals(part(el, 'message'), null, 'recovers');
  assertEquals(errors.length, 0, `no errors: ${errors}`);
  cleanup('glass-tokens');
}, { ignore });
