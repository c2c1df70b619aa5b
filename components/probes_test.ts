// <glass-probes> in headless Chromium: points, rule and bars measured on screen against the
// chart's scales; events from pointer and keyboard.
import { assert, assertEquals } from '../test/assert.ts';
import { RUNNER, test } from '../test/harness.ts';
import type { ProbeReport } from '../src/global/probe.ts';
import type { GlassProbes, ProbesLayerDetail } from './probes.ts';
import { cleanup, frames, mount } from './shared/testing.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
if (RUNNER === 'browser') await import('./probes.ts');

const errors: unknown[] = [];
globalThis.addEventListener?.('error', (e) => errors.push((e as ErrorEvent).error ?? e));

const layer = (
  name: string,
  accuracy: number,
  controlAccuracy: number,
  randomModelAccuracy?: number,
) => ({
  layer: name,
  shape: [8, 4, 4],
  features: 128,
  pooling: 'none',
  accuracy,
  trainAccuracy: accuracy + 0.02,
  controlAccuracy,
  selectivity: accuracy - controlAccuracy,
  ...(randomModelAccuracy === undefined ? {} : { randomModelAccuracy }),
});

const REPORT: ProbeReport = {
  task: { classes: 2, counts: [120, 80], majority: 0.55 },
  control: 'class',
  split: { train: 150, test: 50 },
  layers: [
    layer('input', 0.6, 0.55, 0.6),
    layer('relu1', 0.8, 0.6, 0.65),
    layer('relu2', 0.9, 0.5, 0.62),
    layer('logits', 0.7, 0.75, 0.58),
  ],
  timeMs: 1,
};

async function probes(props: Record<string, unknown>, width = 400): Promise<GlassProbes> {
  cleanup('glass-probes');
  return await mount<GlassProbes>('glass-probes', props, width);
}

const part = (el: HTMLElement, name: string) =>
  el.shadowRoot!.querySelector(`[part~="${name}"]`) as SVGElement | HTMLElement | null;
const plot = (el: HTMLElement) => el.shadowRoot!.querySelector('svg[part~="plot"]')!;

// The chart's scales: 44 px left and 12 px right margins, layers in equal bands; accuracy 0–1
// over 168 px from y = 10.
const X = (i: number, width = 400, n = 4) => 44 + ((i + 0.5) * (width - 56)) / n;
const Y = (a: number) => 10 + (1 - a) * 168;

/** Centres of the points of a series, relative to the plot. */
function centres(el: HTMLElement, series: string): [number, number][] {
  const box = plot(el).getBoundingClientRect();
  return [...el.shadowRoot!.querySelectorAll(`circle[part~="${series}"]`)].map((c) => {
    const r = c.getBoundingClientRect();
    return [r.left + r.width / 2 - box.left, r.top + r.height / 2 - box.top];
  });
}

const near = (a: number, b: number, what: string, tol = 0.6) =>
  assert(Math.abs(a - b) <= tol, `${what}: expected ${b.toFixed(2)}, got ${a.toFixed(2)}`);

test('probes: accuracy, control and random-model points at their layer and accuracy', async () => {
  const el = await probes({ report: REPORT });
  const acc = centres(el, 'accuracy');
  assertEquals(acc.length, 4, 'a point per layer');
  REPORT.layers.forEach((l, i) => {
    near(acc[i][0], X(i), `layer ${i} x`);
    near(acc[i][1], Y(l.accuracy), `layer ${i} accuracy y`);
  });
  const ctl = centres(el, 'control');
  REPORT.layers.forEach((l, i) => near(ctl[i][1], Y(l.controlAccuracy), `control ${i}`));
  const rnd = centres(el, 'random');
  REPORT.layers.forEach((l, i) => near(rnd[i][1], Y(l.randomModelAccuracy!), `random ${i}`));
  // the majority rule
  const rule = part(el, 'baseline')!.getBoundingClientRect();
  const box = plot(el).getBoundingClientRect();
  near(rule.top - box.top, Y(0.55), 'majority rule y');
  near(rule.left - box.left, 44, 'rule starts at the axis');
  near(rule.right - box.left, 388, 'rule ends at the plot edge');
  // the series' colors come from custom properties
  const circle = el.shadowRoot!.querySelector('circle[part~="accuracy"]')!;
  assertEquals(getComputedStyle(circle).fill, 'rgb(0, 114, 178)', 'default probe color');
  el.style.setProperty('--glass-probe-color', 'rgb(1, 2, 3)');
  assertEquals(getComputedStyle(circle).fill, 'rgb(1, 2, 3)', 'themed');
  // selectivity bars: relu2 (+0.40) is 8× input's (+0.05); logits (−0.05) hangs below zero
  const bars = [...el.shadowRoot!.querySelectorAll('rect[part~="selectivity"]')].map((r) =>
    r.getBoundingClientRect()
  );
  assertEquals(bars.length, 4);
  near(bars[2].height / bars[0].height, 8, 'bar ratio', 0.05);
  near(bars[3].top, bars[0].bottom, 'negative bar starts at zero');
  near(bars[1].left + bars[1].width / 2 - box.left, X(1), 'bar centred on its layer');
  const summary = el.shadowRoot!.querySelector('.sr-only')!.textContent!;
  assert(summary.includes('Best layer relu2 at 90.0% (control 50.0%'), summary);
  assert(summary.includes('majority baseline 55.0%'), summary);
  assertEquals(plot(el).getAttribute('role'), 'img');
  assert(plot(el).getAttribute('aria-label')!.includes('4 layers'), 'aria-label');
  el.theme = 'dark';
  await el.updateComplete;
  assertEquals(getComputedStyle(el).backgroundColor, 'rgb(22, 24, 29)', 'dark theme');
}, { ignore });

test('probes: hover read-out, click and keyboard select', async () => {
  const el = await probes({ report: REPORT });
  const hovers: (ProbesLayerDetail | null)[] = [];
  const selects: ProbesLayerDetail[] = [];
  el.addEventListener('glass-hover', (e) => hovers.push((e as CustomEvent).detail));
  el.addEventListener('glass-select', (e) => selects.push((e as CustomEvent).detail));
  const svg = plot(el);
  const box = svg.getBoundingClientRect();
  const at = (i: number) => ({
    bubbles: true,
    composed: true,
    clientX: box.left + X(i) + 10,
    clientY: box.top + 100,
  });
  svg.dispatchEvent(new PointerEvent('pointermove', at(2)));
  await el.updateComplete;
  const h = hovers.at(-1)!;
  assertEquals(
    `${h.index} ${h.layer} ${h.accuracy} ${h.controlAccuracy} ${h.randomModelAccuracy} ${h.majority}`,
    '2 relu2 0.9 0.5 0.62 0.55',
  );
  near(h.selectivity, 0.4, 'selectivity', 1e-9);
  const text = part(el, 'readout')!.textContent!.replace(/\s+/g, ' ');
  for (const s of ['relu2', '[8×4×4]', '128 features', '90.0%', 'train 92.0%', 'control 50.0%']) {
    assert(text.includes(s), `read-out has ${s}: ${text}`);
  }
  for (const s of ['selectivity +40.0 pts', 'random model 62.0%', 'majority 55.0%']) {
    assert(text.includes(s), `read-out has ${s}: ${text}`);
  }
  const guide = part(el, 'guide')!.getBoundingClientRect();
  near(guide.left - box.left, X(2), 'guide at the layer');
  svg.dispatchEvent(new PointerEvent('pointermove', at(2)));
  assertEquals(hovers.length, 1, 'no repeat for the same layer');
  svg.dispatchEvent(new MouseEvent('click', at(1)));
  assertEquals(selects.at(-1)!.index, 1, 'click selects');
  assertEquals(selects.at(-1)!.layer, 'relu1');
  const key = (k: string) =>
    svg.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
  key('ArrowRight');
  assertEquals(hovers.at(-1)!.index, 2, 'arrow moves to the next layer');
  key('End');
  key('ArrowRight');
  assertEquals(hovers.at(-1)!.index, 3, 'stops at the last');
  key('Enter');
  assertEquals(selects.at(-1)!.layer, 'logits', 'Enter selects');
  key('Home');
  assertEquals(hovers.at(-1)!.index, 0);
  svg.dispatchEvent(new PointerEvent('pointerleave'));
  assertEquals(hovers.at(-1), null, 'leave');
  await el.updateComplete;
  assertEquals(part(el, 'readout')!.textContent!.trim(), '', 'read-out cleared');
}, { ignore });

test('probes: layers without a random-model figure leave a gap', async () => {
  const layers = REPORT.layers.map((l, i) =>
    i === 1 ? { ...l, randomModelAccuracy: undefined } : l
  );
  const el = await probes({ report: { ...REPORT, layers } });
  assertEquals(centres(el, 'random').length, 3, 'three random-model points');
  const d = part(el, 'random')!.getAttribute('d')!;
  assertEquals(d.split('M').length - 1, 2, `two segments: ${d}`);
  const none = REPORT.layers.map((l) => ({ ...l, randomModelAccuracy: undefined }));
  el.report = { ...REPORT, layers: none };
  await el.updateComplete;
  assertEquals(part(el, 'random'), null, 'no random series without figures');
}, { ignore });

test('probes: resize and reconnect', async () => {
  const el = await probes({ report: REPORT });
  el.style.width = '600px';
  await frames(3);
  await el.updateComplete;
  const acc = centres(el, 'accuracy');
  near(acc[3][0], X(3, 600), 'x follows the width');
  near(acc[3][1], Y(0.7), 'y unchanged');
  el.remove();
  document.body.append(el);
  await el.updateComplete;
  await frames();
  near(centres(el, 'accuracy')[0][0], X(0, 600), 'drawn after reconnect');
  el.style.width = '300px';
  await frames(3);
  await el.updateComplete;
  near(centres(el, 'accuracy')[0][0], X(0, 300), 'observed again after reconnect');
  assertEquals(errors.length, 0, `no errors: ${errors}`);
}, { ignore });

test('probes: bad data shows a message and never throws', async () => {
  const bad = (i: number, patch: Record<string, unknown>) => ({
    ...REPORT,
    layers: REPORT.layers.map((l, k) => (k === i ? { ...l, ...patch } : l)),
  });
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ report: null }, /No probe report/],
    [{ report: { ...REPORT, layers: [] } }, /no layers/],
    [{ report: bad(2, { accuracy: NaN }) }, /layer 2 \(relu2\) has accuracy NaN/],
    [{ report: bad(0, { controlAccuracy: 1.5 }) }, /controlAccuracy 1.5/],
    [{ report: bad(1, { selectivity: Infinity }) }, /selectivity Infinity/],
    [{ report: bad(3, { randomModelAccuracy: -1 }) }, /randomModelAccuracy -1/],
    [
      { report: { ...REPORT, task: { classes: 2, counts: [1, 2, 3], majority: 0.5 } } },
      /3 class counts for 2 task classes/,
    ],
    [{ report: { ...REPORT, task: { classes: 2, counts: [1, 2], majority: NaN } } }, /majority/],
  ];
  for (const [props, re] of cases) {
    const el = await probes(props);
    const msg = part(el, 'message') as HTMLElement | null;
    assert(msg !== null && msg.offsetHeight > 0, `visible message for ${JSON.stringify(props)}`);
    assert(re.test(msg.textContent!), `${msg.textContent} ~ ${re}`);
    assertEquals(el.shadowRoot!.querySelector('svg[part~="plot"]'), null, 'no chart');
  }
  const el = await probes({ report: bad(2, { accuracy: NaN }) });
  el.report = REPORT;
  await el.updateComplete;
  assertEquals(part(el, 'message'), null, 'message gone');
  assertEquals(centres(el, 'accuracy').length, 4, 'drawn');
  assertEquals(errors.length, 0, `no errors: ${errors}`);
  cleanup('glass-probes');
}, { ignore });
