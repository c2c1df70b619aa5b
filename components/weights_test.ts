// Browser tests of <glass-weights>: mounted in headless Chromium, pixels read back.
import { RUNNER, test } from '../test/harness.ts';
import { frames, mount, near, nextEvent, pixel } from '../test/components_fixtures.ts';
import { assert, assertEquals } from '../test/assert.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
const mod = RUNNER === 'browser' ? await import('./weights.ts') : null;
const cm = RUNNER === 'browser' ? await import('./shared/colormaps.ts') : null;
type Weights = InstanceType<NonNullable<typeof mod>['GlassWeights']>;

async function weights(data: Float32Array, shape: number[], w = 240, h = 200): Promise<Weights> {
  const el = document.createElement('glass-weights') as Weights;
  el.data = data;
  el.shape = shape;
  await mount(el, w, h);
  el.redraw();
  return el;
}

const at = (el: Weights, index: number[]) => pixel(el, ...el.screenOf(index)!);

test(
  'weights: matrix heatmap shows the colormap ends at min and max, and the statistics',
  async () => {
    const el = await weights(new Float32Array([-2, 0, 1, 0.5, 2, -1]), [2, 3]);
    assertEquals(el.mode, 'matrix');
    assertEquals(el.scale.colormap, 'rdbu');
    assertEquals(`${el.scale.min},${el.scale.max}`, '-2,2');
    assert(near(at(el, [0, 0]), cm!.colormap('rdbu', 0), 0), `min: ${at(el, [0, 0])}`);
    assert(near(at(el, [1, 1]), cm!.colormap('rdbu', 1), 0), `max: ${at(el, [1, 1])}`);
    assert(near(at(el, [0, 1]), cm!.colormap('rdbu', 0.5), 0), `zero: ${at(el, [0, 1])}`);
    assert(near(at(el, [0, 2]), cm!.colormap('rdbu', 0.75), 0), `one: ${at(el, [0, 2])}`);
    const stats = el.shadowRoot!.querySelector('[part=stats]')!.textContent!.replace(/\s+/g, '');
    assertEquals(stats, 'min-2max2mean0.08333std1.304');
    // A sequential range when all values are positive.
    el.data = new Float32Array([1, 2, 3, 4, 5, 6]);
    await el.updateComplete;
    el.redraw();
    assertEquals(el.scale.colormap, 'viridis');
    assert(near(at(el, [0, 0]), cm!.colormap('viridis', 0), 0));
    assert(near(at(el, [1, 2]), cm!.colormap('viridis', 1), 0));
    el.remove();
  },
  { ignore },
);

test('weights: an engine tensor (shape + readFloat32) is read back once and drawn', async () => {
  let reads = 0;
  const tensor = {
    shape: [2, 2],
    readFloat32: () => {
      reads++;
      return Promise.resolve(new Float32Array([-1, 0, 0.5, 1]));
    },
  };
  const el = document.createElement('glass-weights') as Weights;
  el.data = tensor;
  await mount(el, 200, 200);
  await new Promise((r) => setTimeout(r, 0));
  await el.updateComplete;
  el.redraw();
  assertEquals(reads, 1);
  assertEquals(el.mode, 'matrix');
  assert(near(at(el, [0, 0]), cm!.colormap('rdbu', 0), 0), `${at(el, [0, 0])}`);
  assert(near(at(el, [1, 1]), cm!.colormap('rdbu', 1), 0));
  el.name = 'renamed';
  await el.updateComplete;
  assertEquals(reads, 1, 'no second read-back');
  el.remove();
}, { ignore });

test('weights: conv filters [O, I, kh, kw] as a grid with gaps', async () => {
  const data = new Float32Array(2 * 3 * 2 * 2).map((_, i) => i - 12);
  const el = await weights(data, [2, 3, 2, 2]);
  assertEquals(el.mode, 'filters');
  // element [1, 2, 1, 1] is the last: 23 − 12 = 11, the max (range ±12).
  assert(near(at(el, [1, 2, 1, 1]), cm!.colormap('rdbu', 23 / 24), 0), `${at(el, [1, 2, 1, 1])}`);
  assert(near(at(el, [0, 0, 0, 0]), cm!.colormap('rdbu', 0), 0));
  // The gap column between filter 0 and 1 of row 0 is background.
  const [x0, y0] = el.screenOf([0, 0, 0, 1])!;
  const [x1] = el.screenOf([0, 1, 0, 0])!;
  assert(near(pixel(el, (x0 + x1) / 2, y0), [255, 255, 255], 0), 'gap is background');
  el.remove();
}, { ignore });

test('weights: a bias vector as bars', async () => {
  const el = await weights(new Float32Array([1, -1, 0.5, 2]), [4]);
  assertEquals(el.mode, 'bars');
  assert(near(at(el, [3]), cm!.colormap('rdbu', 1), 0), `bar 3: ${at(el, [3])}`);
  assert(near(at(el, [1]), cm!.colormap('rdbu', 0.25), 0), `bar 1 (negative): ${at(el, [1])}`);
  // Above bar 0's top (value 1) at the height of bar 3's middle (value 1)… slightly higher.
  const [x] = el.screenOf([0])!;
  const [, ytop] = el.screenOf([3])!; // middle of bar 3 = value 1 = top of bar 0
  assert(near(pixel(el, x, ytop - 10), [255, 255, 255], 0), 'above bar 0 is background');
  assert(near(pixel(el, x, ytop + 10), cm!.colormap('rdbu', 0.75), 0), 'inside bar 0');
  el.remove();
}, { ignore });

test('weights: zoom keeps the cell under the pointer; hover reads the value out', async () => {
  const el = await weights(new Float32Array(64).map((_, i) => i), [8, 8], 200, 200);
  const frame = el.shadowRoot!.querySelector('.frame')!;
  const r = el.shadowRoot!.querySelector('canvas')!.getBoundingClientRect();
  const [x, y] = el.screenOf([2, 5])!;
  const before = at(el, [2, 5]);
  const scale = el.view!.scale;
  frame.dispatchEvent(
    new WheelEvent('wheel', {
      deltaY: -300,
      clientX: r.left + x,
      clientY: r.top + y,
      bubbles: true,
    }),
  );
  el.redraw();
  assert(el.view!.scale > scale * 1.5, 'zoomed in');
  assert(near(pixel(el, x, y), before, 0), 'same cell under the pointer');
  const hover = nextEvent<{ index: number[]; value: number }>(el, 'glass-hover');
  frame.dispatchEvent(
    new PointerEvent('pointermove', { clientX: r.left + x, clientY: r.top + y, bubbles: true }),
  );
  const e = await hover;
  assertEquals(e.detail.index.join(), '2,5');
  assertEquals(e.detail.value, 21);
  await el.updateComplete;
  assertEquals(el.shadowRoot!.querySelector('[part=readout]')!.textContent!.trim(), '[2, 5] = 21');
  el.remove();
}, { ignore });

test('weights: a 4096×4096 matrix uploads as one texture and draws', async () => {
  const n = 4096;
  const data = new Float32Array(n * n);
  for (let i = 0; i < data.length; i++) data[i] = (i % n) / n - ((i / n) | 0) / n;
  // 64×64 corners at the ends of the range (a 256-pixel view shows every 16th texel).
  for (let r = 0; r < 64; r++) {
    for (let c = 0; c < 64; c++) {
      data[r * n + c] = -1;
      data[(n - 1 - r) * n + (n - 1 - c)] = 1;
    }
  }
  const t = performance.now();
  const el = await weights(data, [n, n], 256, 256);
  el.regl!.read({ x: 0, y: 0, width: 1, height: 1 });
  console.log(`weights 4096²: first draw ${(performance.now() - t).toFixed(0)} ms`);
  assert(near(at(el, [32, 32]), cm!.colormap('rdbu', 0), 0), `min corner: ${at(el, [32, 32])}`);
  assert(near(at(el, [n - 32, n - 32]), cm!.colormap('rdbu', 1), 0), 'max corner');
  el.remove();
}, { ignore });

test('weights: bad data shows a message; disconnect destroys regl', async () => {
  const el = await weights(new Float32Array([1, 2, 3]), [3]);
  const msg = () => el.shadowRoot!.querySelector('.message') as HTMLElement;
  const cases: [Float32Array, number[], RegExp][] = [
    [new Float32Array(0), [0], /empty/],
    [new Float32Array(6), [4, 2], /holds 8 values but data has 6/],
    [new Float32Array([1, NaN, 2, 3]), [2, 2], /1 value is not finite/],
  ];
  for (const [data, shape, expected] of cases) {
    el.data = data;
    el.shape = shape;
    await el.updateComplete;
    el.redraw();
    assert(!msg().hidden && expected.test(msg().textContent!), msg().textContent!);
  }
  // The NaN cell is blank, the others drawn.
  assert(near(at(el, [0, 1]), [255, 255, 255], 0), 'NaN left blank');
  assert(near(at(el, [1, 1]), cm!.colormap('viridis', 1), 0), 'finite drawn');
  el.style.width = '400px';
  await frames(3);
  el.redraw();
  assert(near(at(el, [1, 1]), cm!.colormap('viridis', 1), 0), 'after resize');
  const regl = el.regl!;
  let destroyed = false;
  const original = regl.destroy;
  regl.destroy = () => {
    destroyed = true;
    original.call(regl);
  };
  el.remove();
  assert(destroyed && el.regl === null);
}, { ignore });
