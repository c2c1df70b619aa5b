// Browser tests of <glass-graph>: mounted in headless Chromium, pixels read back.
import { RUNNER, sharedEngine, test } from '../test/harness.ts';
import { loadBytes } from '../test/files.ts';
import { loadModel } from '../src/onnx/model.ts';
import { modelStructure } from '../src/onnx/structure.ts';
import {
  convStructure,
  frames,
  mount,
  near,
  nextEvent,
  pixel,
  transformerStructure,
} from '../test/components_fixtures.ts';
import { assert, assertEquals } from '../test/assert.ts';

const ignore = RUNNER === 'deno' ? 'components run in the browser' : false;
const mod = RUNNER === 'browser' ? await import('./graph.ts') : null;
type Graph = InstanceType<NonNullable<typeof mod>['GlassGraph']>;

const SELECT = [230, 0, 126];

async function graph(structure: unknown, width = 400, height = 400): Promise<Graph> {
  const el = document.createElement('glass-graph') as Graph;
  el.structure = structure as Graph['structure'];
  await mount(el, width, height);
  await el.layoutComplete;
  el.redraw();
  return el;
}

function click(el: Graph, x: number, y: number) {
  const r = el.shadowRoot!.querySelector('canvas')!.getBoundingClientRect();
  const frame = el.shadowRoot!.querySelector('.frame')!;
  const opts = { clientX: r.left + x, clientY: r.top + y, bubbles: true, pointerId: 1 };
  frame.dispatchEvent(new PointerEvent('pointerdown', opts));
  frame.dispatchEvent(new PointerEvent('pointerup', opts));
}

test(
  'graph: nodes colored by op; a clicked node is highlighted and glass-select has its details',
  async () => {
    const el = await graph(convStructure());
    // input + 7 ops + output
    assertEquals(el.visibleNodes.length, 9);
    const [x, y] = el.screenOf('conv2')!;
    assert(
      near(pixel(el, x, y), mod!.opColor('Conv')),
      `conv2 is Conv-colored: ${pixel(el, x, y)}`,
    );
    const [rx, ry] = el.screenOf('relu1')!;
    assert(near(pixel(el, rx, ry), mod!.opColor('Relu')));
    const got = nextEvent<{ name: string; op: string; params: number; inputs: string[] }>(
      el,
      'glass-select',
    );
    click(el, x, y);
    const e = await got;
    assertEquals(e.detail.name, 'conv2');
    assertEquals(e.detail.op, 'Conv');
    assertEquals(e.detail.params, 1168);
    assertEquals(e.detail.inputs.join(), 'p1');
    assert(e.bubbles && e.composed);
    assertEquals(el.selected, 'conv2');
    await el.updateComplete;
    el.redraw();
    assert(near(pixel(el, x, y), SELECT), `selected node highlighted: ${pixel(el, x, y)}`);
    assert(near(pixel(el, rx, ry), mod!.opColor('Relu')), 'others unchanged');
    assert(el.shadowRoot!.querySelector('.summary')!.textContent!.includes('selected conv2'));
    // Labels appear when zoomed in enough: the default fit of 9 nodes is readable.
    assert(el.shadowRoot!.querySelectorAll('.label').length > 0, 'labels drawn');
    el.remove();
  },
  { ignore },
);

test('graph: keyboard focus (] and Enter) selects; +/− zoom', async () => {
  const el = await graph(convStructure());
  const frame = el.shadowRoot!.querySelector('.frame') as HTMLElement;
  frame.focus();
  const key = (k: string) =>
    frame.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
  key(']');
  key(']');
  const got = nextEvent<{ name: string }>(el, 'glass-select');
  key('Enter');
  assertEquals((await got).detail.name, 'conv1'); // after the input x
  const before = el.view!.scale;
  key('+');
  assert(el.view!.scale > before, 'zoomed in');
  key('-');
  key('-');
  assert(el.view!.scale < before, 'zoomed out');
  el.remove();
}, { ignore });

test('graph: repeated blocks collapse to one node each and expand', async () => {
  const s = transformerStructure(4);
  const el = await graph(s);
  assertEquals(el.blocks.size, 4);
  // input, embed, 4 blocks, 2 head nodes, output
  assertEquals(el.visibleNodes.length, 9);
  const [x, y] = el.screenOf('/layers.1')!;
  const got = nextEvent<{ name: string; block: { nodes: number } }>(el, 'glass-select');
  click(el, x, y);
  const e = await got;
  assertEquals(e.detail.name, '/layers.1');
  assertEquals(e.detail.block.nodes, 12);
  const toggled = nextEvent<{ key: string; expanded: boolean }>(el, 'glass-toggle');
  el.toggleBlock('/layers.1');
  assertEquals((await toggled).detail.expanded, true);
  await el.layoutComplete;
  assertEquals(el.visibleNodes.length, 9 - 1 + 12);
  el.redraw();
  const [mx, my] = el.screenOf('/layers.1/attn/Softmax')!;
  assert(near(pixel(el, mx, my), mod!.opColor('Softmax')), 'expanded member drawn');
  el.collapse = false;
  await el.layoutComplete;
  assertEquals(el.visibleNodes.length, 4 * 12 + 3 + 2);
  el.collapse = true;
  el.expanded = [];
  await el.layoutComplete;
  assertEquals(el.visibleNodes.length, 9);
  el.remove();
}, { ignore });

test('graph: 363 nodes lay out with dagre in two segments, without overlaps', async () => {
  const el = document.createElement('glass-graph') as Graph;
  el.collapse = false;
  el.structure = transformerStructure(30);
  const done = nextEvent<{ nodes: number; method: string }>(el, 'glass-layout');
  await mount(el, 400, 400);
  const e = await done;
  assertEquals(`${e.detail.nodes} ${e.detail.method}`, '365 dagre');
  await el.layoutComplete;
  // Node rectangles (132×36 world units; in screen units scaled alike) never overlap.
  const pos = el.visibleNodes.map((n) => el.screenOf(n.name)!);
  const s = el.view!.scale;
  for (let i = 0; i < pos.length; i++) {
    for (let j = i + 1; j < pos.length; j++) {
      const overlap = Math.abs(pos[i][0] - pos[j][0]) < 132 * s - 1e-3 &&
        Math.abs(pos[i][1] - pos[j][1]) < 36 * s - 1e-3;
      assert(!overlap, `${el.visibleNodes[i].name} overlaps ${el.visibleNodes[j].name}`);
    }
  }
  // Execution order runs downward: the head is below the embedding.
  assert(el.screenOf('/head/MatMul')![1] > el.screenOf('/embed/Gather')![1]);
  el.remove();
}, { ignore });

const getEngine = sharedEngine();

test('graph: the shipped text transformer collapses its two /layers.N/ blocks', async () => {
  const engine = await getEngine();
  using model = loadModel(engine, await loadBytes('models/text_transformer.onnx'));
  const s = modelStructure(model);
  const el = await graph(s, 500, 500);
  assertEquals([...el.blocks.keys()].join(), '/layers.0,/layers.1');
  const collapsed = el.visibleNodes.length;
  assert(collapsed < s.nodes.length / 2, `${collapsed} drawn of ${s.nodes.length}`);
  // The graph opens at the top at a readable zoom; bring the block into view.
  el.centerOn('/layers.0');
  await frames(2);
  const [x, y] = el.screenOf('/layers.0')!;
  assert(near(pixel(el, x, y), mod!.opColor('Block')), `block node drawn: ${pixel(el, x, y)}`);
  el.toggleBlock('/layers.0');
  await el.layoutComplete;
  assertEquals(el.visibleNodes.length, collapsed - 1 + el.blocks.get('/layers.0')!.length);
  el.remove();
}, { ignore });

test('graph: 10,000 nodes lay out (layered) and draw', async () => {
  const s = transformerStructure(833); // 9,999 nodes
  const el = document.createElement('glass-graph') as Graph;
  el.collapse = false;
  el.structure = s;
  await mount(el, 400, 300);
  await el.layoutComplete;
  assertEquals(el.visibleNodes.length, 9999 + 2);
  const t = performance.now();
  el.redraw();
  el.regl!.read({ x: 0, y: 0, width: 1, height: 1 });
  const ms = performance.now() - t;
  console.log(`graph 10k: layout ${el.layoutMs.toFixed(0)} ms, one frame ${ms.toFixed(1)} ms`);
  const [x, y] = el.screenOf('/embed/Gather')!;
  assert(near(pixel(el, x, y), mod!.opColor('Gather')), `first node drawn ${pixel(el, x, y)}`);
  el.remove();
}, { ignore });

test('graph: resize refits, disconnect destroys regl', async () => {
  const el = await graph(convStructure(), 300, 300);
  el.style.width = '500px';
  await frames(3);
  await el.updateComplete;
  el.redraw();
  const [x, y] = el.screenOf('conv2')!;
  assert(x > 200, `refit to new width: ${x}`);
  assert(near(pixel(el, x, y), mod!.opColor('Conv')));
  // The HTML labels follow the refit view: every label sits on a node's box.
  const labels = [...el.shadowRoot!.querySelectorAll<HTMLElement>('.label')];
  const centers = el.visibleNodes.map((n) => el.screenOf(n.name)!);
  for (const label of labels) {
    const lx = parseFloat(label.style.left), ly = parseFloat(label.style.top);
    assert(
      centers.some(([cx, cy]) => Math.abs(cx - lx) < 1 && Math.abs(cy - ly) < 1),
      `label '${label.textContent!.trim()}' at ${lx},${ly} is on a node`,
    );
  }
  const regl = el.regl!;
  let destroyed = false;
  const original = regl.destroy;
  regl.destroy = () => {
    destroyed = true;
    original.call(regl);
  };
  el.remove();
  assert(destroyed);
  assertEquals(el.regl, null);
}, { ignore });

test('graph: bad data shows a message and never throws', async () => {
  const el = await graph(null);
  const msg = () => el.shadowRoot!.querySelector('.message') as HTMLElement;
  const bad: [unknown, RegExp][] = [
    [{ nodes: [] }, /no nodes/],
    [{ nodes: 'x' }, /must be an array/],
    [{ nodes: [{ name: 'a', inputs: [], outputs: [] }] }, /no name or op/],
    [{ nodes: [{ name: 'a', op: 'Relu', inputs: [], outputs: [], params: NaN }] }, /non-finite/],
  ];
  for (const [structure, expected] of bad) {
    el.structure = structure as Graph['structure'];
    await el.layoutComplete;
    el.redraw();
    assert(!msg().hidden && expected.test(msg().textContent!), msg().textContent!);
  }
  el.structure = convStructure();
  await el.layoutComplete;
  assert(msg().hidden);
  el.remove();
}, { ignore });

test(
  'graph: a click on empty space clears the selection, and does nothing without one',
  async () => {
    const el = await graph(convStructure());
    const events: (string | null)[] = [];
    el.addEventListener('glass-select', (e) => {
      events.push((e as CustomEvent<{ name: string | null }>).detail.name);
    });
    assertEquals(el.pick(3, 3), -1, 'the corner is empty space');
    click(el, 3, 3);
    assertEquals(events.length, 0, 'no select event with nothing selected');
    const [x, y] = el.screenOf('conv2')!;
    click(el, x, y);
    click(el, 3, 3);
    assertEquals(events.join(), 'conv2,');
    assertEquals(events[1], null);
    assertEquals(el.selected, null);
    el.remove();
  },
  { ignore },
);

test(
  'graph: focusNode focuses and centres a node (or its collapsed block); Enter selects',
  async () => {
    const el = await graph(transformerStructure(3), 400, 400);
    assertEquals(el.focusNode('nope'), null);
    // A member of a collapsed block focuses the block.
    assertEquals(el.blockOf('/layers.2/attn/Softmax'), '/layers.2');
    assertEquals(el.focusNode('/layers.2/attn/Softmax'), '/layers.2');
    assertEquals(el.focused, '/layers.2');
    await frames(2);
    const [x, y] = el.screenOf('/layers.2')!;
    assert(Math.abs(x - 200) < 1 && Math.abs(y - 200) < 1, `centred: ${x}, ${y}`);
    assertEquals(el.focusNode('/head/MatMul'), '/head/MatMul');
    const frame = el.shadowRoot!.querySelector('.frame') as HTMLElement;
    const got = nextEvent<{ name: string }>(el, 'glass-select');
    frame.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    assertEquals((await got).detail.name, '/head/MatMul');
    assertEquals(el.selected, '/head/MatMul');
    el.remove();
  },
  { ignore },
);
