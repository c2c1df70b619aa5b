// Browser tests of <glass-spectrum>: mounted in headless Chromium; geometry measured on screen.
import { RUNNER, test } from '../test/harness.ts';
import { frames, mount, nextEvent } from '../test/components_fixtures.ts';
import { assert, assertEquals } from '../test/assert.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
const mod = RUNNER === 'browser' ? await import('./spectrum.ts') : null;
type Spectrum = InstanceType<NonNullable<typeof mod>['GlassSpectrum']>;

async function spectrum(values: number[], log = true): Promise<Spectrum> {
  const el = document.createElement('glass-spectrum') as Spectrum;
  el.values = new Float32Array(values);
  el.log = log;
  await mount(el, 320, 200);
  await frames(2);
  await el.updateComplete;
  return el;
}

test('spectrum: ranks, sorted line on a log axis, markers', async () => {
  // Unsorted input; sorted: 4, 2, 1, 1.
  const el = await spectrum([1, 4, 1, 2]);
  // stable = (16 + 4 + 1 + 1) / 16; effective = exp(H(p)), p = σ / 8.
  const p = [0.5, 0.25, 0.125, 0.125];
  const effective = Math.exp(-p.reduce((a, x) => a + x * Math.log(x), 0));
  assert(Math.abs(el.ranks.stable - 22 / 16) < 1e-12);
  assert(Math.abs(el.ranks.effective - effective) < 1e-12);
  const line = el.shadowRoot!.querySelector('polyline')!;
  const pts = line.getAttribute('points')!.split(' ').map((s) => s.split(',').map(Number));
  assertEquals(pts.length, 4);
  // On a log axis 4 → 2 → 1 are equal steps down; the last two equal.
  const d1 = pts[1][1] - pts[0][1], d2 = pts[2][1] - pts[1][1];
  assert(d1 > 0 && Math.abs(d1 - d2) < 0.01, `${d1} ${d2}`);
  assert(Math.abs(pts[3][1] - pts[2][1]) < 0.01);
  // The stable-rank marker lies between the 1st and 2nd values (rank 1.375).
  const x = Number(el.shadowRoot!.querySelector('[part=stable-rank]')!.getAttribute('x1'));
  assert(x > pts[0][0] && x < pts[1][0], `${x}`);
  assert(/stable rank 1\.38, effective rank 3\.36/.test(
    el.shadowRoot!.querySelector('.summary')!.textContent!,
  ));
  // Linear axis: 4 → 2 → 1 steps halve.
  el.log = false;
  await el.updateComplete;
  const lin = el.shadowRoot!.querySelector('polyline')!.getAttribute('points')!.split(' ')
    .map((s) => s.split(',').map(Number));
  const l1 = lin[1][1] - lin[0][1], l2 = lin[2][1] - lin[1][1];
  assert(Math.abs(l1 / l2 - 2) < 0.01);
  el.remove();
}, { ignore });

test('spectrum: hover reads a value out', async () => {
  const el = await spectrum([3, 2, 1]);
  const svg = el.shadowRoot!.querySelector('svg')!;
  const r = svg.getBoundingClientRect();
  const hover = nextEvent<{ index: number; value: number }>(el, 'glass-hover');
  svg.dispatchEvent(
    new PointerEvent('pointermove', { clientX: r.right - 10, clientY: r.top + 50, bubbles: true }),
  );
  const e = await hover;
  assertEquals(`${e.detail.index} ${e.detail.value}`, '2 1');
  await el.updateComplete;
  assertEquals(el.shadowRoot!.querySelector('.readout')!.textContent!.trim(), 'σ3 = 1');
  el.remove();
}, { ignore });

test('spectrum: bad data shows a message, no exception', async () => {
  const el = await spectrum([1]);
  const msg = () => el.shadowRoot!.querySelector('.message') as HTMLElement;
  for (
    const [values, expected] of [
      [[], /empty/],
      [[1, NaN], /singular value 1 is NaN/],
      [[1, -2], /≥ 0/],
    ] as [number[], RegExp][]
  ) {
    el.values = values;
    await el.updateComplete;
    assert(!msg().hidden && expected.test(msg().textContent!), msg().textContent!);
    assertEquals(el.shadowRoot!.querySelector('polyline'), null);
  }
  el.remove();
}, { ignore });
