// Browser tests of <glass-histogram>: mounted in headless Chromium; bars measured on screen.
import { RUNNER, test } from '../test/harness.ts';
import { frames, mount, nextEvent } from '../test/components_fixtures.ts';
import { assert, assertEquals } from '../test/assert.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
const mod = RUNNER === 'browser' ? await import('./histogram.ts') : null;
type Histogram = InstanceType<NonNullable<typeof mod>['GlassHistogram']>;

async function histogram(counts: number[], edges: number[], log = false): Promise<Histogram> {
  const el = document.createElement('glass-histogram') as Histogram;
  el.counts = counts;
  el.edges = edges;
  el.log = log;
  await mount(el, 300, 160);
  await frames(2);
  await el.updateComplete;
  return el;
}

const bars = (el: Histogram) =>
  [...el.shadowRoot!.querySelectorAll('rect')].map((r) => r.getBoundingClientRect());

test('histogram: bar heights are proportional to counts, widths to bin widths', async () => {
  const el = await histogram([10, 40, 20, 0], [0, 1, 2, 4, 5]);
  const b = bars(el);
  assertEquals(b.length, 4);
  assert(Math.abs(b[1].height / b[0].height - 4) < 0.02, `${b[1].height} / ${b[0].height}`);
  assert(Math.abs(b[2].height / b[0].height - 2) < 0.02);
  assert(b[3].height < 0.01, 'empty bin');
  assert(Math.abs(b[2].width / b[0].width - 2) < 0.02, 'bin 2 is twice as wide');
  // Bars share a baseline; the fill comes from the CSS custom property.
  assert(Math.abs(b[0].bottom - b[1].bottom) < 0.5);
  el.style.setProperty('--glass-bar-color', 'rgb(1, 2, 3)');
  const fill = getComputedStyle(el.shadowRoot!.querySelector('rect')!).fill;
  assertEquals(fill, 'rgb(1, 2, 3)');
  el.remove();
}, { ignore });

test('histogram: log scale and the hover read-out', async () => {
  const el = await histogram([1, 10, 100, 1000], [0, 1, 2, 3, 4], true);
  const b = bars(el);
  // log10(1 + c): 0.30, 1.04, 2.00, 3.00
  const h = (c: number) => Math.log10(1 + c);
  assert(Math.abs(b[2].height / b[3].height - h(100) / h(1000)) < 0.02);
  const svg = el.shadowRoot!.querySelector('svg')!;
  const hover = nextEvent<{ bin: number; count: number; from: number; to: number }>(
    el,
    'glass-hover',
  );
  svg.dispatchEvent(
    new PointerEvent('pointermove', {
      clientX: b[2].left + b[2].width / 2,
      clientY: b[2].top + 2,
      bubbles: true,
    }),
  );
  const e = await hover;
  assertEquals(`${e.detail.bin} ${e.detail.count} ${e.detail.from} ${e.detail.to}`, '2 100 2 3');
  await el.updateComplete;
  assertEquals(el.shadowRoot!.querySelector('.readout')!.textContent!.trim(), '[2, 3): 100');
  assert(el.shadowRoot!.querySelector('rect[data-bin="2"]')!.classList.contains('active'));
  // Keyboard: the next bin.
  svg.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
  await el.updateComplete;
  assertEquals(el.shadowRoot!.querySelector('.readout')!.textContent!.trim(), '[3, 4): 1k');
  el.remove();
}, { ignore });

test('histogram: resize redraws at the new width', async () => {
  const el = await histogram([1, 2], [0, 1, 2]);
  const before = bars(el)[0].width;
  el.style.width = '600px';
  await frames(3);
  await el.updateComplete;
  const after = bars(el)[0].width;
  assert(after > before * 1.8, `${before} → ${after}`);
  el.remove();
}, { ignore });

test('histogram: bad data shows a message, no exception', async () => {
  const el = await histogram([1], [0, 1]);
  const msg = () => el.shadowRoot!.querySelector('.message') as HTMLElement;
  const cases: [number[], number[], RegExp][] = [
    [[], [0], /empty/],
    [[1, 2], [0, 1], /edges must have counts.length \+ 1 = 3 entries; it has 2/],
    [[1, NaN], [0, 1, 2], /count 1 is NaN/],
    [[1, 2], [0, 2, 1], /edges must increase/],
  ];
  for (const [counts, edges, expected] of cases) {
    el.counts = counts;
    el.edges = edges;
    await el.updateComplete;
    assert(!msg().hidden && expected.test(msg().textContent!), msg().textContent!);
    assertEquals(el.shadowRoot!.querySelectorAll('rect').length, 0);
  }
  el.remove();
}, { ignore });
