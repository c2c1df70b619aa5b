// Browser tests of <glass-projector>: mounted in headless Chromium, pixels read back.
import { RUNNER, test } from '../test/harness.ts';
import { frames, mount, near, nextEvent, pixel } from '../test/components_fixtures.ts';
import { assert, assertEquals } from '../test/assert.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
const mod = RUNNER === 'browser' ? await import('./projector.ts') : null;
const { categorical } = RUNNER === 'browser'
  ? await import('./view_helpers.ts')
  : { categorical: () => [0, 0, 0, 0] };

type Projector = InstanceType<NonNullable<typeof mod>['GlassProjector']>;

function make(): Projector {
  return document.createElement('glass-projector') as Projector;
}

// Three points: a square of side 10, the point (0, 0) at bottom-left. With a 200×150 canvas and
// the default fit the screen positions are computed by screenOf(); the tests check that pixels
// there carry the point colors.
function three(el: Projector) {
  el.positions = new Float32Array([0, 0, 10, 0, 10, 10, 0, 10]);
  el.labels = new Int32Array([0, 1, 2, 1]);
  el.labelNames = ['zero', 'one', 'two'];
  el.pointSize = 8;
}

test('projector: a point is drawn at its position with its label color', async () => {
  const el = await mount(make());
  three(el);
  await el.updateComplete;
  el.redraw();
  for (let i = 0; i < 4; i++) {
    const [x, y] = el.screenOf(i)!;
    const label = [0, 1, 2, 1][i];
    const got = pixel(el, x, y);
    assert(near(got, categorical(label)), `point ${i} at (${x}, ${y}): ${got}`);
  }
  // y is up: point 0 (0, 0) is below point 3 (0, 10).
  assert(el.screenOf(0)![1] > el.screenOf(3)![1]);
  // Background between the points.
  const bg = pixel(el, 100, 75);
  assert(near(bg, [255, 255, 255]), `background ${bg}`);
  el.remove();
}, { ignore });

test('projector: a click on a point fires glass-select with its index and neighbours', async () => {
  const el = await mount(make());
  three(el);
  el.k = 2;
  await el.updateComplete;
  el.redraw();
  const [x, y] = el.screenOf(2)!;
  const r = el.shadowRoot!.querySelector('canvas')!.getBoundingClientRect();
  const frame = el.shadowRoot!.querySelector('.frame')!;
  const got = nextEvent<{ index: number; name: string; neighbors: number[] }>(el, 'glass-select');
  const opts = { clientX: r.left + x, clientY: r.top + y, bubbles: true, pointerId: 1 };
  frame.dispatchEvent(new PointerEvent('pointerdown', opts));
  frame.dispatchEvent(new PointerEvent('pointerup', opts));
  const e = await got;
  assertEquals(e.detail.index, 2);
  assertEquals(e.detail.name, 'two');
  // The 2 nearest of (10, 10): (10, 0) and (0, 10).
  assertEquals(JSON.stringify([...e.detail.neighbors].sort()), '[1,3]');
  assert(e.bubbles && e.composed);
  await el.updateComplete;
  el.redraw();
  // Selected point in the select color, neighbours in the neighbour color, the rest dimmed.
  assert(near(pixel(el, x, y), [230, 0, 126]), `selected ${pixel(el, x, y)}`);
  const [nx, ny] = el.screenOf(1)!;
  assert(near(pixel(el, nx, ny), [255, 127, 14]), `neighbour ${pixel(el, nx, ny)}`);
  const [ox, oy] = el.screenOf(0)!;
  const dim = pixel(el, ox, oy);
  assert(!near(dim, categorical(0)) && dim[0] > 150, `dimmed ${dim}`);
  // A click on empty space clears the selection.
  const clear = nextEvent<{ index: number }>(el, 'glass-select');
  const empty = { clientX: r.left + 100, clientY: r.top + 75, bubbles: true, pointerId: 1 };
  frame.dispatchEvent(new PointerEvent('pointerdown', empty));
  frame.dispatchEvent(new PointerEvent('pointerup', empty));
  assertEquals((await clear).detail.index, -1);
  el.remove();
}, { ignore });

test('projector: values color points with the shared viridis table', async () => {
  const el = await mount(make());
  el.positions = new Float32Array([0, 0, 10, 0, 10, 10]);
  el.values = new Float32Array([-1, 0, 1]);
  el.pointSize = 8;
  await el.updateComplete;
  el.redraw();
  const { colormap } = await import('./shared/colormaps.ts');
  for (const [i, t] of [[0, 0], [1, 0.5], [2, 1]]) {
    const [x, y] = el.screenOf(i)!;
    assert(near(pixel(el, x, y), colormap('viridis', t), 0), `point ${i}: ${pixel(el, x, y)}`);
  }
  el.remove();
}, { ignore });

test(
  'projector: hover fires glass-hover and shows a read-out; the search box filters',
  async () => {
    const el = await mount(make());
    three(el);
    await el.updateComplete;
    el.redraw();
    const [x, y] = el.screenOf(1)!;
    const r = el.shadowRoot!.querySelector('canvas')!.getBoundingClientRect();
    const frame = el.shadowRoot!.querySelector('.frame')!;
    const hover = nextEvent<{ index: number; name: string }>(el, 'glass-hover');
    frame.dispatchEvent(
      new PointerEvent('pointermove', {
        clientX: r.left + x + 2,
        clientY: r.top + y,
        bubbles: true,
      }),
    );
    const e = await hover;
    assertEquals(`${e.detail.index} ${e.detail.name}`, '1 one');
    await el.updateComplete;
    assert(/#1 one \(10, 0\)/.test(el.shadowRoot!.querySelector('[part=tooltip]')!.textContent!));
    const input = el.shadowRoot!.querySelector('input')!;
    const searched = nextEvent<{ query: string; matches: number }>(el, 'glass-search');
    input.value = 'tw';
    input.dispatchEvent(new Event('input'));
    assertEquals((await searched).detail.matches, 1);
    assertEquals(el.search, 'tw');
    el.remove();
  },
  { ignore },
);

test('projector: a kNN index highlights the given neighbours', async () => {
  const el = await mount(make());
  three(el);
  el.neighbors = new Int32Array([3, 1, 2, 0, 1, 3, 0, 2]); // k = 2: point 0 → 3 and 1
  el.selected = 0;
  await el.updateComplete;
  el.redraw();
  assertEquals(JSON.stringify(el.shownNeighbors), '[3,1]');
  const [x, y] = el.screenOf(3)!;
  assert(near(pixel(el, x, y), [255, 127, 14]), `neighbour ${pixel(el, x, y)}`);
  const [x2, y2] = el.screenOf(2)!;
  assert(!near(pixel(el, x2, y2), [255, 127, 14]));
  el.remove();
}, { ignore });

test('projector: search highlights matches and dims the rest', async () => {
  const el = await mount(make());
  three(el);
  const got = nextEvent<{ matches: number }>(el, 'glass-search');
  el.search = 'ONE';
  await el.updateComplete;
  assertEquals((await got).detail.matches, 2);
  el.redraw();
  for (const i of [1, 3]) {
    const [x, y] = el.screenOf(i)!;
    assert(near(pixel(el, x, y), categorical(1)), `match ${i}: ${pixel(el, x, y)}`);
  }
  const [x, y] = el.screenOf(2)!;
  assert(!near(pixel(el, x, y), categorical(2)), 'unmatched point is dimmed');
  assert(el.shadowRoot!.querySelector('.summary')!.textContent!.includes('2 match'));
  el.remove();
}, { ignore });

test('projector: rankSearch puts exact, then prefix, then substring matches', () => {
  const words = ['making', 'the', 'kingdom', 'king', 'looking', 'kings', 'KING'];
  const ranked = mod!.rankSearch(' King ', words);
  assertEquals(
    ranked.map((m) => `${m.text}:${m.kind}`).join(),
    'king:exact,KING:exact,kingdom:prefix,kings:prefix,making:substring,looking:substring',
  );
  assertEquals(mod!.rankSearch('', words).length, 0);
  assertEquals(mod!.rankSearch('zebra', words).length, 0);
  // By category name: a point matches by the better of its text and its category.
  const byLabel = mod!.rankSearch('one', ['bone', 'x', 'one'], [1, 1, 0], ['zero', 'one']);
  assertEquals(
    byLabel.map((m) => `${m.index}:${m.text}:${m.kind}`).join(),
    '0:one:exact,1:one:exact,2:one:exact',
  );
}, { ignore });

test(
  'projector: the search lists the best matches, labelled, and a click selects one',
  async () => {
    const el = await mount(make());
    el.positions = new Float32Array([0, 0, 1, 0, 2, 0, 3, 0, 4, 0]);
    el.texts = ['making', 'looking', 'kingdom', 'king', 'the'];
    const got = nextEvent<{ matches: number; ranked: { index: number; kind: string }[] }>(
      el,
      'glass-search',
    );
    el.search = 'king';
    await el.updateComplete;
    const detail = (await got).detail;
    assertEquals(detail.matches, 4);
    assertEquals(detail.ranked.map((m) => m.index).join(), '3,2,0,1');
    const buttons = [...el.shadowRoot!.querySelectorAll('[part~="match"]')] as HTMLElement[];
    assertEquals(
      buttons.map((b) => `${b.dataset.kind}:${b.textContent}`).join(),
      'exact:kingexact,prefix:kingdomstarts with,substring:makingcontains,substring:lookingcontains',
    );
    const summary = el.shadowRoot!.querySelector('.summary')!.textContent!;
    assert(summary.includes('1 exact, 1 start with it, 2 contain it'), summary);
    const selected = nextEvent<{ index: number }>(el, 'glass-select');
    buttons[0].click();
    assertEquals((await selected).detail.index, 3);
    assertEquals(el.selected, 3);
    el.search = '';
    await el.updateComplete;
    assertEquals(el.shadowRoot!.querySelectorAll('[part~="match"]').length, 0);
    el.remove();
  },
  { ignore },
);

test('projector: setPositions moves points without reallocating; progress and cancel', async () => {
  const el = await mount(make());
  three(el);
  el.progress = 0.5;
  await el.updateComplete;
  el.redraw();
  const before = el.bufferAllocations;
  const p0 = el.screenOf(0)!;
  el.setPositions(new Float32Array([5, 5, 10, 0, 10, 10, 0, 10]));
  el.redraw();
  assertEquals(el.bufferAllocations, before);
  const p1 = el.screenOf(0)!;
  assert(p1[0] > p0[0] + 10 && p1[1] < p0[1] - 10, `moved ${p0} → ${p1}`);
  assert(near(pixel(el, p1[0], p1[1]), categorical(0)));
  assert(!near(pixel(el, p0[0], p0[1]), categorical(0)), 'old spot cleared');
  const cancel = nextEvent(el, 'glass-cancel');
  (el.shadowRoot!.querySelector('[part=cancel]') as HTMLButtonElement).click();
  await cancel;
  el.progress = null;
  await el.updateComplete;
  assertEquals(el.shadowRoot!.querySelector('progress'), null);
  el.remove();
}, { ignore });

test('projector: resize refits, disconnect destroys regl, reconnect redraws', async () => {
  const el = await mount(make());
  three(el);
  await el.updateComplete;
  el.redraw();
  el.style.width = '300px';
  el.style.height = '240px';
  await frames(3);
  await el.updateComplete;
  el.redraw();
  const canvas = el.shadowRoot!.querySelector('canvas')!;
  assertEquals(`${canvas.clientWidth}×${canvas.clientHeight}`, '300×240');
  const [x, y] = el.screenOf(2)!;
  assert(x > 200, `refit to the new width: ${x}`);
  assert(near(pixel(el, x, y), categorical(2)));
  const regl = el.regl!;
  let destroyed = false;
  const original = regl.destroy;
  regl.destroy = () => {
    destroyed = true;
    original.call(regl);
  };
  el.remove();
  assert(destroyed, 'regl destroyed on disconnect');
  assertEquals(el.regl, null);
  document.body.append(el);
  await el.updateComplete;
  await frames(2);
  assert(el.regl !== null, 'regl recreated on reconnect');
  el.redraw();
  assert(near(pixel(el, x, y), categorical(2)));
  el.remove();
}, { ignore });

test('projector: above 200k points pans move a cached picture, then redraw at rest', async () => {
  const el = await mount(make());
  const n = 300_004;
  const positions = new Float32Array(n * 2).fill(10); // the padding sits on point 2 (10, 10)
  positions.set([0, 0, 10, 0, 10, 10, 0, 10]);
  const labels = new Int32Array(n).fill(2);
  labels.set([0, 1, 2, 1]);
  el.positions = positions;
  el.labels = labels;
  el.pointSize = 8;
  await el.updateComplete;
  el.redraw();
  const [x0, y0] = el.screenOf(0)!;
  assert(near(pixel(el, x0, y0), categorical(0), 0), `full frame: ${pixel(el, x0, y0)}`);
  const frame = el.shadowRoot!.querySelector('.frame')!;
  frame.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
  await frames(1);
  const [x1, y1] = el.screenOf(0)!;
  assert(Math.abs(x1 - (x0 - 40)) < 1e-6 && y1 === y0, `panned 40 px: ${x0} → ${x1}`);
  assert(near(pixel(el, x1, y1), categorical(0), 0), `cached picture moved: ${pixel(el, x1, y1)}`);
  await new Promise((r) => setTimeout(r, 400));
  assert(near(pixel(el, x1, y1), categorical(0), 0), 'redrawn at rest');
  el.remove();
}, { ignore });

test('projector: theme="dark" draws on the dark background', async () => {
  const el = await mount(make());
  three(el);
  el.setAttribute('theme', 'dark');
  await el.updateComplete;
  el.redraw();
  assert(near(pixel(el, 100, 75), [0x16, 0x16, 0x1a], 0), `${pixel(el, 100, 75)}`);
  el.style.setProperty('--glass-bg', 'rgb(10, 20, 30)');
  el.redraw();
  assert(near(pixel(el, 100, 75), [10, 20, 30], 0), 'custom property');
  el.remove();
}, { ignore });

test('projector: bad data shows a message and never throws', async () => {
  const el = await mount(make());
  const msg = () => el.shadowRoot!.querySelector('.message') as HTMLElement;
  const cases: [() => void, RegExp][] = [
    [() => (el.positions = new Float32Array([0, 0, NaN, 1])), /not finite/],
    [() => (el.positions = new Float32Array(0)), /empty/],
    [() => (el.positions = new Float32Array(3)), /odd/],
    [() => {
      el.positions = new Float32Array(4);
      el.labels = new Int32Array(3);
    }, /labels has 3 entries for 2 points/],
  ];
  for (const [set, expected] of cases) {
    el.labels = null;
    set();
    await el.updateComplete;
    el.redraw();
    assert(!msg().hidden, `message visible for ${expected}`);
    assert(expected.test(msg().textContent!), msg().textContent!);
    assert(near(pixel(el, 100, 75), [255, 255, 255]));
  }
  el.labels = null;
  el.positions = new Float32Array([1, 1, 2, 2]);
  await el.updateComplete;
  assert(msg().hidden, 'message cleared by good data');
  el.remove();
}, { ignore });

test('projector: context loss shows a message and restores', async () => {
  const el = await mount(make());
  three(el);
  await el.updateComplete;
  el.redraw();
  const gl = el.shadowRoot!.querySelector('canvas')!.getContext('webgl')!;
  const ext = gl.getExtension('WEBGL_lose_context');
  if (!ext) return;
  ext.loseContext();
  await frames(2);
  await el.updateComplete;
  assert(el.contextLost);
  assert(/lost/.test(el.shadowRoot!.querySelector('.message')!.textContent!));
  ext.restoreContext();
  await frames(4);
  await el.updateComplete;
  await frames(2);
  assert(!el.contextLost, 'restored');
  el.redraw();
  const [x, y] = el.screenOf(2)!;
  assert(near(pixel(el, x, y), categorical(2)), `after restore ${pixel(el, x, y)}`);
  el.remove();
}, { ignore });
