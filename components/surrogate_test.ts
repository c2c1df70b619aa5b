// <glass-surrogate> in headless Chromium: template colors read back from the canvas against the
// CPU colormap (±1 per channel), tree rows and events measured in the DOM.
import { assert, assertEquals } from '../test/assert.ts';
import { RUNNER, test } from '../test/harness.ts';
import type { Surrogate } from '../src/global/surrogate.ts';
import type { TreeNode } from '../src/global/onnx_export.ts';
import type { GlassSurrogate, SurrogateNodeDetail, SurrogateTemplateDetail } from './surrogate.ts';
import { colormap } from './shared/colormaps.ts';
import { assertColor, cleanup, frames, mount, pixel } from './shared/testing.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
if (RUNNER === 'browser') await import('./surrogate.ts');

const errors: unknown[] = [];
globalThis.addEventListener?.('error', (e) => errors.push((e as ErrorEvent).error ?? e));

const part = (el: HTMLElement, name: string) =>
  el.shadowRoot!.querySelector(`[part~="${name}"]`) as HTMLElement | null;
const parts = (el: HTMLElement, name: string) =>
  [...el.shadowRoot!.querySelectorAll(`[part~="${name}"]`)] as HTMLElement[];

const BASE = {
  inputName: 'x',
  inputShape: [1, 2, 2],
  classes: 3,
  fidelity: { agreement: 0.904, kl: 0.123, count: 500 },
  trainFidelity: { agreement: 0.92, kl: 0.1, count: 1500 },
  accuracy: { surrogate: 0.88, model: 0.97 },
  history: [],
  onnx: new Uint8Array(0),
  split: { train: 1500, test: 500 },
  timeMs: 10,
};

// Rows: class 0, 1, 2 of a 2×2 input; the largest magnitude is 2.
const TEMPLATES = new Float32Array([-2, 0, 2, 1, 0, 1, -1, 0, 2, -2, 0.5, 0]);
const LINEAR = { ...BASE, kind: 'linear', templates: TEMPLATES } as Surrogate;
const NAMES = ['zero', 'one', 'two'];

const leaf = (p: number[], count: number): TreeNode => ({
  value: Float32Array.from(p, Math.log),
  count,
});
const TREE: TreeNode = {
  feature: 0,
  threshold: 0.5,
  count: 100,
  left: leaf([0.9, 0.05, 0.05], 60),
  right: {
    feature: 3,
    threshold: -1,
    count: 40,
    left: leaf([0.1, 0.8, 0.1], 25),
    right: leaf([0.2, 0.2, 0.6], 15),
  },
};
const TREE_SURROGATE = { ...BASE, kind: 'tree', tree: TREE } as Surrogate;

async function surrogate(props: Record<string, unknown>, width = 304): Promise<GlassSurrogate> {
  cleanup('glass-surrogate');
  return await mount<GlassSurrogate>('glass-surrogate', props, width);
}

// Width 304: three 96 px tiles 8 px apart, each under an 18 px label; 48 px cells.
const cell = (tile: number, x: number, y: number): [number, number] => [
  tile * 104 + x * 48 + 24,
  18 + y * 48 + 24,
];

test('surrogate: linear templates on a diverging scale centred on 0', async () => {
  const el = await surrogate({ surrogate: LINEAR, classNames: NAMES });
  assertEquals(el.renderer.canvas.width, 304, 'canvas width');
  assertEquals(el.renderer.canvas.height, 114, 'canvas height');
  assertColor(pixel(el, ...cell(0, 0, 0)), colormap('rdbu', 0), 1, '−max');
  assertColor(pixel(el, ...cell(0, 1, 0)), colormap('rdbu', 0.5), 1, 'zero');
  assertColor(pixel(el, ...cell(0, 0, 1)), colormap('rdbu', 1), 1, '+max');
  assertColor(pixel(el, ...cell(0, 1, 1)), colormap('rdbu', 0.75), 1, '+max/2');
  assertColor(pixel(el, ...cell(1, 0, 1)), colormap('rdbu', 0.25), 1, 'class 1, −max/2');
  assertColor(pixel(el, ...cell(2, 0, 0)), colormap('rdbu', 1), 1, 'class 2, +max');
  assertColor(pixel(el, ...cell(2, 1, 0)), colormap('rdbu', 0), 1, 'class 2, −max');
  assertColor(pixel(el, 100, 42), [255, 255, 255], 1, 'gap');
  const labels = parts(el, 'label').map((l) => l.textContent!.trim());
  assertEquals(labels.join(','), 'zero,one,two', 'class names');
  const ticks = [...el.shadowRoot!.querySelectorAll('[part~="legend"] .ticks span')];
  assertEquals(ticks.map((t) => t.textContent).join(' '), '-2 0 2', 'legend');
  const fidelity = part(el, 'fidelity')!.textContent!.replace(/\s+/g, ' ');
  for (const s of ['90.4%', '0.123 nats', '92.0%', '88.0% vs 97.0%', '1500 / 500']) {
    assert(fidelity.includes(s), `fidelity panel shows ${s}: ${fidelity}`);
  }
  const summary = el.shadowRoot!.querySelector('.sr-only')!.textContent!;
  assert(
    summary.includes('linear surrogate agrees with the model on 90.4% of 500 held-out examples'),
    summary,
  );
  const stage = el.shadowRoot!.querySelector('[role="listbox"]')!;
  assert(stage.getAttribute('aria-label')!.includes('3 class templates'), 'aria-label');
  el.theme = 'dark';
  await el.updateComplete;
  assertColor(pixel(el, 100, 42), [0x16, 0x18, 0x1d], 1, 'dark background');
  assertColor(pixel(el, ...cell(0, 0, 1)), colormap('rdbu', 1), 1, '+max in the dark');
}, { ignore });

test('surrogate: hover, click and keyboard events on templates', async () => {
  const el = await surrogate({ surrogate: LINEAR, classNames: NAMES });
  const hovers: (SurrogateTemplateDetail | null)[] = [];
  const selects: SurrogateTemplateDetail[] = [];
  el.addEventListener('glass-hover', (e) => hovers.push((e as CustomEvent).detail));
  el.addEventListener('glass-select', (e) => selects.push((e as CustomEvent).detail));
  const canvas = el.renderer.canvas;
  const r = canvas.getBoundingClientRect();
  const [cx, cy] = cell(2, 1, 0);
  const at = { bubbles: true, composed: true, clientX: r.left + cx, clientY: r.top + cy };
  canvas.dispatchEvent(new PointerEvent('pointermove', at));
  await el.updateComplete;
  assertEquals(
    JSON.stringify(hovers.at(-1)),
    '{"kind":"template","index":2,"label":"two","class":2,"x":1,"y":0,"value":-2}',
  );
  assert(part(el, 'tooltip')!.textContent!.includes('-2'), 'tooltip');
  assert(part(el, 'cursor') !== null, 'cursor drawn');
  canvas.dispatchEvent(new MouseEvent('click', at));
  assertEquals(
    JSON.stringify(selects.at(-1)),
    '{"kind":"template","index":2,"label":"two","class":2}',
  );
  const stage = el.shadowRoot!.querySelector('.stage')!;
  stage.dispatchEvent(new PointerEvent('pointerleave'));
  await el.updateComplete;
  assertEquals(hovers.at(-1), null, 'leave');
  const key = (k: string) =>
    stage.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
  key('ArrowRight');
  assertEquals(hovers.at(-1)!.index, 0, 'first arrow: the first template');
  key('ArrowRight');
  key('ArrowRight');
  key('ArrowRight');
  assertEquals(hovers.at(-1)!.index, 2, 'stops at the last');
  key('ArrowLeft');
  key('Enter');
  assertEquals(selects.at(-1)!.index, 1, 'Enter selects');
  assertEquals(selects.at(-1)!.label, 'one');
  await el.updateComplete;
  assertEquals(stage.getAttribute('aria-activedescendant'), 'tile-1', 'active descendant');
}, { ignore });

test('surrogate: MLP units by weight norm; tabular coefficient bars', async () => {
  // 4 inputs × 3 hidden units, row-major [in, out]: unit 1 has the largest norm, then unit 2.
  const w0 = new Float32Array([0.1, 3, -1, 0, 0, 1, 0.1, -3, 0, 0, 0, 1]);
  const w1 = new Float32Array([1, 0, 0, 0, 0, 2, 0, 1, 0]); // [hidden 3, classes 3]
  const mlp = {
    ...BASE,
    kind: 'mlp',
    weights: [{ w: w0, b: new Float32Array(3) }, { w: w1, b: new Float32Array(3) }],
  } as Surrogate;
  // width 200: two 96 px tiles, as in `cell`
  const el = await surrogate({ surrogate: mlp, classNames: NAMES, topUnits: 2 }, 200);
  const labels = parts(el, 'label').map((l) => l.textContent!.replace(/\s+/g, ' ').trim());
  assertEquals(labels.length, 2, 'top 2 units');
  assert(labels[0].startsWith('unit 1 → two'), labels[0]);
  assert(labels[1].startsWith('unit 2 → one'), labels[1]);
  // unit 1's weights: [3, 0, -3, 0] → scale 3
  assertColor(pixel(el, ...cell(0, 0, 0)), colormap('rdbu', 1), 1, 'unit 1 +max');
  assertColor(pixel(el, ...cell(0, 0, 1)), colormap('rdbu', 0), 1, 'unit 1 −max');
  assertColor(pixel(el, ...cell(1, 1, 1)), colormap('rdbu', 0.5 + 0.5 / 3), 1, 'unit 2 +1/3');
  assert(part(el, 'fidelity') !== null, 'fidelity panel');
  // tabular: one input axis → bars, no canvas
  const tab = {
    ...BASE,
    kind: 'linear',
    inputShape: [3],
    classes: 2,
    templates: new Float32Array([1, -0.5, 0, -1, 0.25, 0.5]),
  } as Surrogate;
  el.classNames = null;
  el.surrogate = tab;
  await el.updateComplete;
  await frames();
  assertEquals(el.shadowRoot!.querySelector('canvas'), null, 'no canvas for bars');
  assertEquals(el.renderer.regl, null, 'no regl for bars');
  const bars = [...el.shadowRoot!.querySelectorAll('rect.coef')] as SVGRectElement[];
  assertEquals(bars.length, 6, 'a bar per feature and class');
  const width = (i: number) => Number(bars[i].getAttribute('width'));
  assert(Math.abs(width(1) / width(0) - 0.5) < 1e-6, 'bar length ∝ |w|');
  const [r, g, b] = colormap('rdbu', 1);
  assertEquals(bars[0].getAttribute('fill'), `rgb(${r}, ${g}, ${b})`, '+max color');
  assert(
    Number(bars[1].getAttribute('x')) < Number(bars[0].getAttribute('x')),
    'negative bar left of zero',
  );
  const texts = [...el.shadowRoot!.querySelectorAll('[part~="bars"] text')].map((t) =>
    t.textContent
  );
  assertEquals(texts.slice(0, 3).join(' '), 'x[0] x[1] x[2]', 'feature names');
  const tiles = parts(el, 'tile');
  assertEquals(tiles.length, 2, 'two class tiles');
  const seen: SurrogateTemplateDetail[] = [];
  el.addEventListener('glass-select', (e) => seen.push((e as CustomEvent).detail));
  tiles[1].click();
  assertEquals(seen.at(-1)!.class, 1, 'click selects the class');
}, { ignore });

test('surrogate: tree rules, collapse and expand, hovered path, keyboard', async () => {
  const el = await surrogate({ surrogate: TREE_SURROGATE, classNames: NAMES });
  assertEquals(el.shadowRoot!.querySelector('canvas'), null, 'no canvas');
  const rows = () => parts(el, 'node');
  assertEquals(rows().length, 5, 'five nodes');
  const text = rows().map((r) => r.textContent!.replace(/\s+/g, ' ').trim());
  assertEquals(text[0], '▾ all examples n 100');
  assertEquals(text[1], 'pixel(0,0) ≤ 0.5 → zero p 0.90 n 60');
  assertEquals(text[3], 'pixel(1,1) ≤ -1 → one p 0.80 n 25');
  // indentation grows with depth
  const indent = (i: number) => parseFloat(rows()[i].style.paddingLeft);
  assert(indent(3) > indent(2) && indent(2) > indent(0), 'indented');
  const hovers: (SurrogateNodeDetail | null)[] = [];
  const selects: SurrogateNodeDetail[] = [];
  el.addEventListener('glass-hover', (e) => hovers.push((e as CustomEvent).detail));
  el.addEventListener('glass-select', (e) => selects.push((e as CustomEvent).detail));
  rows()[3].dispatchEvent(new PointerEvent('pointerenter'));
  await el.updateComplete;
  const onPath = rows().map((r) => r.getAttribute('part')!.split(' ').includes('path'));
  assertEquals(onPath.join(','), 'true,false,true,true,false', 'path of the hovered leaf');
  const h = hovers.at(-1)!;
  assertEquals(h.path, 'RL');
  assertEquals(h.class, 1);
  assertEquals(h.label, 'one');
  assert(Math.abs(h.probability! - 0.8) < 1e-6, `p ${h.probability}`);
  assertEquals(h.conditions.join(' and '), 'pixel(0,0) > 0.5 and pixel(1,1) <= -1');
  const bg = getComputedStyle(rows()[2]).backgroundColor;
  assert(bg !== getComputedStyle(rows()[1]).backgroundColor, `path highlighted: ${bg}`);
  el.shadowRoot!.querySelector('[part~="tree"]')!.dispatchEvent(new PointerEvent('pointerleave'));
  assertEquals(hovers.at(-1), null, 'leave');
  // collapse and expand the right subtree with its toggle
  const toggle = () => rows()[2].querySelector('[part~="toggle"]') as HTMLElement;
  toggle().click();
  await el.updateComplete;
  assertEquals(rows().length, 3, 'collapsed');
  assertEquals(
    el.shadowRoot!.querySelector('#node-R')!.getAttribute('aria-expanded'),
    'false',
    'aria-expanded',
  );
  assertEquals(selects.length, 0, 'a toggle does not select');
  toggle().click();
  await el.updateComplete;
  assertEquals(rows().length, 5, 'expanded');
  // click selects a node
  rows()[1].click();
  assertEquals(selects.at(-1)!.path, 'L');
  assertEquals(selects.at(-1)!.class, 0);
  assertEquals(selects.at(-1)!.count, 60);
  // keyboard: down, left collapses, right expands, right enters, Enter selects
  const tree = el.shadowRoot!.querySelector('[role="tree"]')!;
  const key = async (k: string) => {
    tree.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    await el.updateComplete;
  };
  await key('ArrowDown'); // L → R
  assertEquals(hovers.at(-1)!.path, 'R');
  await key('ArrowLeft');
  assertEquals(rows().length, 3, 'ArrowLeft collapses');
  await key('ArrowRight');
  assertEquals(rows().length, 5, 'ArrowRight expands');
  await key('ArrowRight');
  assertEquals(hovers.at(-1)!.path, 'RL', 'ArrowRight enters the first child');
  await key('Enter');
  assertEquals(selects.at(-1)!.path, 'RL');
  assertEquals(tree.getAttribute('aria-activedescendant'), 'node-RL');
  await key('ArrowLeft'); // a leaf: to its parent
  assertEquals(hovers.at(-1)!.path, 'R');
  el.setCollapsed('', true);
  await el.updateComplete;
  assertEquals(rows().length, 1, 'setCollapsed on the root');
  const summary = el.shadowRoot!.querySelector('.sr-only')!.textContent!;
  assert(summary.includes('Tree of depth 2 with 3 leaves'), summary);
  assert(
    summary.includes('if pixel(0,0) > 0.5 and pixel(1,1) > -1 then two (p 0.60, n 15)'),
    summary,
  );
}, { ignore });

test('surrogate: resize, disconnect, reconnect', async () => {
  const el = await surrogate({ surrogate: LINEAR });
  // width 152: two columns of 72 px tiles; class 2 wraps to the second row
  el.style.width = '152px';
  await frames(3);
  await el.updateComplete;
  assertEquals(el.renderer.canvas.width, 152, 'canvas follows the width');
  assertEquals(el.renderer.canvas.height, 2 * (18 + 72) + 8, 'two rows');
  assertColor(pixel(el, 18, 98 + 18 + 18), colormap('rdbu', 1), 1, 'class 2 on row 2');
  el.remove();
  assertEquals(el.renderer.regl, null, 'regl destroyed on disconnect');
  document.body.append(el);
  await el.updateComplete;
  await frames();
  assertColor(pixel(el, 18, 98 + 18 + 18), colormap('rdbu', 1), 1, 'drawn after reconnect');
  // switching to a tree drops regl
  el.surrogate = TREE_SURROGATE;
  await el.updateComplete;
  assertEquals(el.renderer.regl, null, 'no regl for a tree');
  assertEquals(errors.length, 0, `no errors: ${errors}`);
}, { ignore });

test('surrogate: bad data shows a message and never throws', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ surrogate: null }, /No surrogate/],
    [
      { surrogate: { ...LINEAR, templates: TEMPLATES.map((v, i) => i === 5 ? NaN : v) } },
      /non-finite.*index 5/,
    ],
    [{ surrogate: { ...LINEAR, templates: TEMPLATES.slice(1) } }, /expected 12 values, got 11/],
    [{ surrogate: { ...LINEAR, templates: new Float32Array(0) } }, /empty/],
    [{ surrogate: { ...LINEAR, fidelity: { agreement: NaN, kl: 0, count: 0 } } }, /agreement NaN/],
    [{ surrogate: LINEAR, classNames: ['a', 'b'] }, /2 class names for 3 classes/],
    [{ surrogate: { ...LINEAR, kind: 'forest' } }, /unknown kind/],
    [{ surrogate: { ...LINEAR, inputShape: [] } }, /no inputShape/],
    [{ surrogate: { ...BASE, kind: 'mlp', weights: [] } }, /no first-layer weights/],
    [{ surrogate: { ...TREE_SURROGATE, tree: { ...TREE, right: undefined } } }, /missing/],
    [
      { surrogate: { ...TREE_SURROGATE, tree: { ...TREE, left: leaf([0.5, 0.5], 3) } } },
      /expected 3 values, got 2/,
    ],
    [{ surrogate: { ...TREE_SURROGATE, tree: { ...TREE, feature: 9 } } }, /feature 9/],
  ];
  for (const [props, re] of cases) {
    const el = await surrogate(props);
    const msg = part(el, 'message');
    assert(msg !== null && msg.offsetHeight > 0, `visible message for ${JSON.stringify(props)}`);
    assert(re.test(msg.textContent!), `${msg.textContent} ~ ${re}`);
    assertEquals(el.shadowRoot!.querySelector('canvas'), null, 'no canvas');
  }
  const el = await surrogate({ surrogate: { ...LINEAR, templates: TEMPLATES.slice(1) } });
  el.surrogate = LINEAR;
  await el.updateComplete;
  await frames();
  assertEquals(part(el, 'message'), null, 'message gone');
  assertColor(pixel(el, ...cell(0, 0, 1)), colormap('rdbu', 1), 1, 'drawn');
  assertEquals(errors.length, 0, `no errors: ${errors}`);
  cleanup('glass-surrogate');
}, { ignore });
