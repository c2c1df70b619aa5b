// Browser tests of the explorer's open, overview, navigator and node panels and the URL state
// (demo/explorer/): panels mounted on a real Session and engine, driven as a person would — the
// file picker, drag-and-drop on the document, example buttons, clicks on the graph, the search
// box and keys — with a model built here (never seen by the explorer), a bundled one, a model
// with an operator glassbox lacks, and a text file.
import { RUNNER, sharedEngine, test } from './harness.ts';
import { assert, assertClose, assertEquals } from './assert.ts';
import { buildModel } from './onnx_builder.ts';
import { parseOnnx } from '../src/mod.ts';
import { elementCount, isFloat } from '../src/graph/ir.ts';
import { Session } from '../demo/explorer/session.ts';
import { mountOpen, type OpenPanel } from '../demo/explorer/open.ts';
import { mountOverview } from '../demo/explorer/overview.ts';
import { bindUrlState, readUrlState } from '../demo/explorer/url_state.ts';

const ignore = RUNNER === 'deno' ? 'the explorer panels run in the browser' : false;
const nav = RUNNER === 'browser' ? await import('../demo/explorer/navigator.ts') : null;
const panel = RUNNER === 'browser' ? await import('../demo/explorer/node_panel.ts') : null;
type Navigator = ReturnType<NonNullable<typeof nav>['mountNavigator']>;

const getEngine = sharedEngine();

// A small CNN the explorer has never seen: Conv 1→2 (3×3) + bias, Relu, Flatten, MatMul to 3.
const W = Array.from({ length: 18 }, (_, i) => ((i * 7) % 11 - 5) / 8);
const B = [0.25, -0.125];
const W2 = Array.from({ length: 24 }, (_, i) => ((i * 5) % 13 - 6) / 10);
// Input values chosen so that no conv output sits near the ReLU's kink.
const X = Array.from({ length: 16 }, (_, i) => ((i * 3) % 7) / 7 + 0.05);

function tinyCnn(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buildModel({
    inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: [
      { name: 'W', dims: [2, 1, 3, 3], float: W },
      { name: 'B', dims: [2], float: B },
      { name: 'W2', dims: [8, 3], float: W2 },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], name: 'conv' },
      { op: 'Relu', inputs: ['c'], outputs: ['r'], name: 'relu' },
      { op: 'Flatten', inputs: ['r'], outputs: ['f'], name: 'flatten', ints: { axis: 1 } },
      { op: 'MatMul', inputs: ['f', 'W2'], outputs: ['y'], name: 'head' },
    ],
  }));
}

/** f64 forward of tinyCnn: the ReLU maps [2, 2, 2] and the logits [3]. */
function tinyReference(): { relu: number[]; logits: number[] } {
  const relu: number[] = [];
  for (let o = 0; o < 2; o++) {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        let s = B[o];
        for (let a = 0; a < 3; a++) {
          for (let b = 0; b < 3; b++) s += W[o * 9 + a * 3 + b] * X[(i + a) * 4 + j + b];
        }
        relu.push(Math.max(0, s));
      }
    }
  }
  const logits = [0, 1, 2].map((c) => relu.reduce((a, v, k) => a + v * W2[k * 3 + c], 0));
  return { relu, logits };
}

function unsupportedModel(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buildModel({
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: [{ name: 'w', dims: [4, 3], float: Array.from({ length: 12 }, (_, i) => i) }],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'], name: 'mm' },
      { op: 'FrobnicateA', inputs: ['h'], outputs: ['y'], name: 'odd' },
    ],
  }));
}

interface Mounted {
  session: Session;
  host: HTMLElement;
  open: OpenPanel;
  navigator: Navigator;
  node: HTMLElement;
  overview: HTMLElement;
  done(): void;
}

async function mountAll(): Promise<Mounted> {
  const session = new Session(await getEngine());
  const host = document.createElement('div');
  host.style.width = '900px';
  document.body.append(host);
  const parts = ['open', 'overview', 'graph', 'node'].map((id) => {
    const el = document.createElement('div');
    el.id = `test-${id}`;
    host.append(el);
    return el;
  });
  const open = mountOpen(parts[0], session);
  const overview = mountOverview(parts[1], session);
  const navigator = nav!.mountNavigator(parts[2], session);
  const node = panel!.mountNodePanel(parts[3], session);
  return {
    session,
    host,
    open,
    navigator,
    node: parts[3],
    overview: parts[1],
    done() {
      session.setModel(null);
      open.destroy();
      overview.destroy();
      navigator.destroy();
      node.destroy();
      host.remove();
    },
  };
}

function fileList(...files: File[]): DataTransfer {
  const dt = new DataTransfer();
  for (const f of files) dt.items.add(f);
  return dt;
}

/** Chooses `file` in the open panel's file picker, as a person would. */
function pick(m: Mounted, file: File): Promise<unknown> {
  const input = m.host.querySelector('input[type=file]') as HTMLInputElement;
  input.files = fileList(file).files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
  return m.open.latest;
}

/** Text of the overview's size entry `cls` (`params`, `nodes`, `flops`). */
const sizeText = (m: Mounted, cls: string) =>
  m.overview.querySelector(`.size .${cls} dd`)!.textContent!;

/** The overview's operator table as "Op n" strings. */
const opRows = (m: Mounted) =>
  [...m.overview.querySelectorAll('table')].find((t) => t.textContent!.includes('operator'))!
    .querySelectorAll('tbody tr').values().map((r) =>
      [...r.querySelectorAll('td')].map((c) => c.textContent).join(' ')
    ).toArray();

/** Clicks the drawn node `name` of the navigator's graph. */
async function clickNode(m: Mounted, name: string): Promise<void> {
  const graph = m.navigator.graph;
  await graph.layoutComplete;
  const at = graph.screenOf(name);
  assert(at, `${name} is drawn`);
  const r = graph.shadowRoot!.querySelector('canvas')!.getBoundingClientRect();
  const frame = graph.shadowRoot!.querySelector('.frame')!;
  const opts = { clientX: r.left + at[0], clientY: r.top + at[1], bubbles: true, pointerId: 1 };
  frame.dispatchEvent(new PointerEvent('pointerdown', opts));
  frame.dispatchEvent(new PointerEvent('pointerup', opts));
}

function weightsOf(m: Mounted, name: string) {
  return m.node.querySelector(`figure.weight[data-name="${name}"] glass-weights`) as
    | (HTMLElement & { data: Float32Array; shape: number[]; updateComplete: Promise<boolean> })
    | null;
}

function statOf(m: Mounted, figure: string, stat: string): string {
  return m.node.querySelector(`figure.weight[data-name="${figure}"] [data-stat="${stat}"] dd`)!
    .textContent!;
}

test(
  'explorer: a model built here opens from the file picker; the overview counts it',
  async () => {
    const m = await mountAll();
    try {
      const opened = await pick(m, new File([tinyCnn()], 'tiny_cnn.onnx'));
      assert(opened, 'opened');
      assertEquals(m.session.opened!.name, 'tiny_cnn.onnx');
      assertEquals(m.session.opened!.url, undefined, 'a local file is not shareable');
      assertEquals(m.host.querySelector('[role=alert]')!.textContent, '');
      // 2·1·3·3 + 2 + 8·3 parameters; one node of each op.
      assert(sizeText(m, 'params').startsWith('44 '), sizeText(m, 'params'));
      assertEquals(opRows(m).sort().join(), 'Conv 1,Flatten 1,MatMul 1,Relu 1');
      // FLOPs: conv 2·(2·2·2·9) + bias, matmul 2·8·3; whatever the counting, not zero.
      assert(!sizeText(m, 'flops').startsWith('unknown'), sizeText(m, 'flops'));
      assertEquals(
        m.overview.querySelector('p.problems')!.textContent,
        'Nothing: every operator runs here.',
      );
      await m.session.queue.idle();
      const health = m.overview.querySelector('.health-summary')!.textContent!;
      assert(health.startsWith('3 weight tensors checked: all values finite'), health);
      // The graph draws input, 4 nodes and the output.
      await m.navigator.graph.layoutComplete;
      assertEquals(m.navigator.graph.visibleNodes.length, 6);
    } finally {
      m.done();
    }
  },
  { ignore },
);

test(
  'explorer: a file dropped on the page opens; clicking and searching select nodes',
  async () => {
    const m = await mountAll();
    try {
      const dt = fileList(new File([tinyCnn()], 'dropped.onnx'));
      const overlay = m.host.querySelector('.glass-drop') as HTMLElement;
      assert(overlay.hidden, 'no overlay before a drag');
      const drag = (type: string) =>
        document.dispatchEvent(
          new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }),
        );
      drag('dragenter');
      drag('dragover');
      assert(!overlay.hidden, 'the drop overlay shows while a file is over the page');
      drag('drop');
      assert(overlay.hidden, 'and hides on drop');
      assert(await m.open.latest, 'opened');
      assertEquals(m.session.opened!.name, 'dropped.onnx');

      // Click the Conv node in the graph: its weights show, with the initializer's numbers.
      await clickNode(m, 'conv');
      assertEquals(m.session.selected, 'conv');
      const w = weightsOf(m, 'W')!;
      assert(w, 'glass-weights for W');
      assertEquals(w.shape.join(), '2,1,3,3');
      assertEquals(Array.from(w.data).join(), Array.from(Float32Array.from(W)).join());
      assert(weightsOf(m, 'B'), 'glass-weights for the bias');
      await m.session.queue.idle();
      const mean = W.reduce((a, b) => a + b, 0) / W.length;
      assertClose([Number(statOf(m, 'W', 'mean'))], [mean], { atol: 1e-3 });
      assertEquals(statOf(m, 'W', 'values'), '18');
      const fig = m.node.querySelector('figure.weight[data-name="W"]')!;
      assert(fig.querySelector('glass-histogram'), 'histogram of W');
      assert(fig.querySelector('glass-spectrum'), 'spectrum of W (2×9)');
      assert(
        !m.node.querySelector('figure.weight[data-name="B"] glass-spectrum'),
        'no spectrum of B',
      );

      // Search by op: "matmul" lists the head; Enter selects and centres it.
      const search = m.navigator.search;
      search.value = 'matmul';
      search.dispatchEvent(new Event('input'));
      const listed = [...m.host.querySelectorAll('.matches li')].map((li) =>
        (li as HTMLElement).dataset.name
      );
      assertEquals(listed.join(), 'head');
      search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      assertEquals(m.session.selected, 'head');
      await m.navigator.graph.layoutComplete;
      assertEquals(m.navigator.graph.selected, 'head');
      const at = m.navigator.graph.screenOf('head')!;
      const { width, height } = m.navigator.graph.getBoundingClientRect();
      assert(
        Math.abs(at[0] - width / 2) < 2 && Math.abs(at[1] - height / 2) < 2,
        `centred: ${at} in ${width}×${height}`,
      );
      assertEquals(
        Array.from(weightsOf(m, 'W2')!.data).join(),
        Array.from(Float32Array.from(W2)).join(),
      );

      // Keys: k moves to the previous node, Enter opens it, Escape clears.
      const root = m.host.querySelector('.glass-navigator')!;
      const key = (k: string) =>
        root.dispatchEvent(
          new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }),
        );
      key('k');
      assertEquals(m.navigator.graph.focused, 'flatten');
      key('Enter');
      assertEquals(m.session.selected, 'flatten');
      key('j');
      key('j');
      assertEquals(m.navigator.graph.focused, 'conv', 'wraps around to the first node');
      key('Escape');
      assertEquals(m.session.selected, null);
      assertEquals(
        m.node.querySelector('.glass-node')!.textContent,
        'Select a node in the graph to see it here.',
      );
      await m.session.queue.idle();
    } finally {
      m.done();
    }
  },
  { ignore },
);

test(
  'explorer: with an input, the node panel shows activations and the gradient size',
  async () => {
    const m = await mountAll();
    try {
      await pick(m, new File([tinyCnn()], 'tiny_cnn.onnx'));
      const ref = tinyReference();
      m.session.setInput({
        feeds: { x: { data: Float32Array.from(X), shape: [1, 1, 4, 4] } },
        explained: 'x',
        summary: 'a 4×4 test pattern',
      });
      await m.navigator.reveal('relu');
      await m.session.queue.idle();
      const maps = m.node.querySelector('glass-activations') as
        | (HTMLElement & { data: Float32Array; shape: number[] })
        | null;
      assert(maps, 'feature maps for the Relu output');
      assertEquals(maps.shape.join(), '2,2,2');
      assertClose(maps.data, ref.relu, { atol: 1e-4 });

      // The Flatten output f feeds y = f·W2: d y[c] / d f = W2[:, c] for the top class c.
      await m.navigator.reveal('flatten');
      await m.session.queue.idle();
      const top = ref.logits.indexOf(Math.max(...ref.logits));
      const column = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => W2[k * 3 + top]);
      const l2 = Math.sqrt(column.reduce((a, v) => a + v * v, 0));
      const meanAbs = column.reduce((a, v) => a + Math.abs(v), 0) / 8;
      const values = [...m.node.querySelectorAll('.gradient b')].map((b) =>
        Number((b as HTMLElement).dataset.value)
      );
      assertEquals(values.length, 2, m.node.querySelector('.gradient')?.textContent ?? 'none');
      assertClose(values, [l2, meanAbs], { atol: 1e-5, rtol: 1e-5 });
      assert(m.node.querySelector('glass-histogram'), 'a histogram for the non-spatial output');

      // A newer input: the panel follows it (a result of the old one is dropped).
      m.session.setInput({
        feeds: { x: { data: new Float32Array(16), shape: [1, 1, 4, 4] } },
        explained: 'x',
        summary: 'zeros',
      });
      await m.session.queue.idle();
      assert(m.node.querySelector('.gradient'), 'shown again for the new input');
    } finally {
      m.done();
    }
  },
  { ignore },
);

test('explorer: the bundled MNIST CNN opens from its example button', async () => {
  const response = await fetch('/models/mnist_cnn.onnx');
  assert(response.ok, `the test server serves /models/mnist_cnn.onnx: ${response.status}`);
  const ir = parseOnnx(new Uint8Array(await response.arrayBuffer()));
  const m = await mountAll();
  try {
    const button = m.host.querySelector('button[data-example="mnist_cnn"]') as HTMLButtonElement;
    assert(button, 'an example button');
    button.click();
    assert(await m.open.latest, 'opened');
    const opened = m.session.opened!;
    assertEquals(opened.example?.id, 'mnist_cnn');
    assertEquals(opened.url, '/models/mnist_cnn.onnx');
    assertEquals(m.session.labels?.length, 10);
    let params = 0;
    for (const t of ir.graph.initializers.values()) {
      if (isFloat(t.dtype)) params += elementCount(t.shape);
    }
    assert(
      sizeText(m, 'params').startsWith(`${params.toLocaleString('en')} `),
      `${sizeText(m, 'params')} vs ${params}`,
    );
    const convs = ir.graph.nodes.filter((n) => n.op === 'Conv').length;
    assert(opRows(m).includes(`Conv ${convs}`), opRows(m).join());
    await m.session.queue.idle();
    const health = m.overview.querySelector('.health-summary')!.textContent!;
    assert(/^\d+ weight tensors checked/.test(health), health);
  } finally {
    m.done();
  }
}, { ignore });

test(
  'explorer: a model with an unknown operator opens, its graph drawn, its problem listed',
  async () => {
    const m = await mountAll();
    try {
      assert(await pick(m, new File([unsupportedModel()], 'odd.onnx')), 'opened anyway');
      const opened = m.session.opened!;
      assertEquals(opened.model, null);
      assertEquals(opened.structure, null);
      const problems = [...m.overview.querySelectorAll('ul.problems li')].map((li) =>
        li.textContent
      );
      assertEquals(problems.length, 1, problems.join(' | '));
      assertEquals(
        problems[0],
        'The operator FrobnicateA is not implemented here (used by 1 node: odd).',
      );
      const graph = m.navigator.graph;
      await graph.layoutComplete;
      assertEquals(graph.structure!.nodes.map((n) => n.op).join(), 'MatMul,FrobnicateA');
      assertEquals(graph.visibleNodes.length, 4, 'input, 2 nodes, output');
      // Its weights can still be explored.
      await clickNode(m, 'mm');
      assertEquals(m.session.selected, 'mm');
      assertEquals(weightsOf(m, 'w')!.data.length, 12);
      await m.session.queue.idle();
      assertEquals(statOf(m, 'w', 'max'), '11');
      assert(
        m.overview.querySelector('.health')!.textContent!.includes('a model that runs here'),
        'says why there are no weight statistics',
      );
    } finally {
      m.done();
    }
  },
  { ignore },
);

test('explorer: a file that is not ONNX shows one plain sentence', async () => {
  const m = await mountAll();
  try {
    const result = await pick(m, new File(['shopping: milk, eggs\n'], 'notes.txt'));
    assertEquals(result, null);
    const alert = m.host.querySelector('.glass-open [role=alert]') as HTMLElement;
    assert(!alert.hidden, 'the error is shown');
    assertEquals(
      alert.textContent,
      'notes.txt is not an ONNX model (it does not parse as an ONNX protobuf).',
    );
    assertEquals(m.session.opened, null);
    // A good file afterwards clears it.
    await pick(m, new File([tinyCnn()], 'tiny_cnn.onnx'));
    assert(alert.hidden && alert.textContent === '', 'cleared');
  } finally {
    m.done();
  }
}, { ignore });

test('explorer: the view state round-trips through the URL', async () => {
  const original = location.href;
  const bytes = new Uint8Array(await (await fetch('/models/mnist_cnn.onnx')).arrayBuffer());
  const convs = parseOnnx(bytes).graph.nodes.filter((n) => n.op === 'Conv').map((n) => n.name);
  assert(convs.length >= 2, 'two conv nodes');
  const m = await mountAll();
  let stop = () => {};
  try {
    const options = { steps: 16, baseline: 'black' };
    const search = `?model=${encodeURIComponent('/models/mnist_cnn.onnx')}` +
      `&node=${encodeURIComponent(convs[0])}&method=integrated-gradients` +
      `&options=${encodeURIComponent(JSON.stringify(options))}`;
    const bound = await bindUrlState(m.session, { search });
    stop = bound.stop;
    assertEquals(m.session.opened?.url, '/models/mnist_cnn.onnx');
    assertEquals(m.session.selected, convs[0]);
    // Selecting another node writes the URL; the view state read from it is kept.
    m.session.select(convs[1]);
    const state = readUrlState(location.search);
    assertEquals(state.model, '/models/mnist_cnn.onnx');
    assertEquals(state.node, convs[1]);
    assertEquals(state.method, 'integrated-gradients');
    assertEquals(JSON.stringify(state.options), JSON.stringify(options));
    // WTR's own query parameters are left alone.
    assertEquals(
      new URLSearchParams(location.search).get('wtr-session-id'),
      new URL(original).searchParams.get('wtr-session-id'),
    );
    // A fresh page opened at that URL shows the same model and node.
    const other = await mountAll();
    try {
      await bindUrlState(other.session, { search: location.search }).then((b) => b.stop());
      assertEquals(other.session.opened?.name, 'mnist_cnn.onnx');
      assertEquals(other.session.selected, convs[1]);
      assert(other.node.textContent!.includes(convs[1]), 'its node panel shows the node');
      await other.session.queue.idle();
    } finally {
      other.done();
    }
    await m.session.queue.idle();
  } finally {
    stop();
    m.done();
    history.replaceState(history.state, '', original);
  }
}, { ignore });
