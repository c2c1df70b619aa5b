// The whole explorer (demo/explorer/app.ts `mountExplorer`) driven as a person would, in one page:
// a model built here chosen through the file picker, the bundled MNIST CNN dropped on the page, a
// node found with the search box and its weights read back, an image file loaded, two methods side
// by side with their numbers and pixels read back, a long job cancelled from the page's job list,
// and a model with an unknown operator and a text file, each with its message. The panels' own
// tests (explorer_open_test.ts, explorer_explain_test.ts, explorer_global_test.ts) go deeper.
import { RUNNER, sharedEngine, test } from './harness.ts';
import { assert, assertArrayEquals, assertClose, assertEquals } from './assert.ts';
import { buildModel } from './onnx_builder.ts';
import { explain } from '../src/mod.ts';
import { pixel } from '../components/shared/testing.ts';
import { choose, until } from './explorer_steps.ts';

const ignore = RUNNER === 'deno' ? 'the explorer runs in the browser' : false;
const app = RUNNER === 'browser' ? await import('../demo/explorer/app.ts') : null;
const getEngine = sharedEngine();

function drop(file: File): void {
  const dt = new DataTransfer();
  dt.items.add(file);
  for (const type of ['dragenter', 'dragover', 'drop']) {
    document.dispatchEvent(
      new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }),
    );
  }
}

/** A CNN on 6×6 images the explorer has never seen: Conv 1→2 3×3, Relu, Flatten, MatMul → 3. */
function ownModel(): File {
  const w = Array.from({ length: 18 }, (_, i) => ((i * 7) % 11 - 5) / 8);
  const w2 = Array.from({ length: 32 * 3 }, (_, i) => ((i * 5) % 13 - 6) / 10);
  const bytes = buildModel({
    inputs: [{ name: 'pixels', shape: [1, 1, 6, 6] }],
    outputs: [{ name: 'scores', shape: [1, 3] }],
    initializers: [
      { name: 'kernel', dims: [2, 1, 3, 3], float: w },
      { name: 'head_w', dims: [32, 3], float: w2 },
    ],
    nodes: [
      { op: 'Conv', inputs: ['pixels', 'kernel'], outputs: ['c'], name: 'my_conv' },
      { op: 'Relu', inputs: ['c'], outputs: ['r'], name: 'my_relu' },
      { op: 'Flatten', inputs: ['r'], outputs: ['f'], name: 'flat', ints: { axis: 1 } },
      { op: 'MatMul', inputs: ['f', 'head_w'], outputs: ['scores'], name: 'my_head' },
    ],
  });
  return new File([new Uint8Array(bytes)], 'my_own.onnx');
}

function unknownOpModel(): File {
  const bytes = buildModel({
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: [{ name: 'y', shape: [1, 4] }],
    nodes: [{ op: 'TotallyNewOp', inputs: ['x'], outputs: ['y'], name: 'odd' }],
  });
  return new File([new Uint8Array(bytes)], 'odd.onnx');
}

/** A 28×28 PNG, white ink on black: a diagonal stroke. */
async function digitPng(): Promise<File> {
  const canvas = new OffscreenCanvas(28, 28);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 28, 28);
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.moveTo(8, 5);
  ctx.lineTo(19, 23);
  ctx.stroke();
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return new File([blob], 'stroke.png', { type: 'image/png' });
}

test('explorer app: open, navigate, explain two ways, cancel, and the two refusals', async () => {
  const engine = await getEngine();
  const root = document.createElement('main');
  root.style.width = '1100px';
  document.body.append(root);
  const { session, panels } = await app!.mountExplorer(root, { engine, url: false });
  try {
    const open = panels.open;
    const picker = open.querySelector('input[type=file]') as HTMLInputElement;
    assert(/Nothing leaves this machine/.test(open.textContent!), 'the privacy sentence shows');
    assert(panels.overview.hidden, 'no overview before a model is open');

    // 1. A model built here, through the file picker.
    choose(picker, ownModel());
    await until(session, () => session.opened?.name === 'my_own.onnx', 'own model open');
    await until(session, () => /\b114\b/.test(panels.overview.textContent!), 'params shown');
    assert(!panels.overview.hidden, 'the overview shows');
    assert(
      /Conv/.test(panels.overview.textContent!) && /MatMul/.test(panels.overview.textContent!),
    );

    // 2. The bundled MNIST CNN, dropped on the page.
    const mnist = new Uint8Array(await (await fetch('/models/mnist_cnn.onnx')).arrayBuffer());
    drop(new File([mnist], 'mnist_cnn.onnx'));
    await until(session, () => session.opened?.name === 'mnist_cnn.onnx', 'mnist open');

    // 3. Find a Conv node with the search box; its weights are the file's.
    const search = panels.graph.querySelector('input[type=search]') as HTMLInputElement;
    search.value = 'conv';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await until(session, () => session.selectedNode?.op === 'Conv', 'conv selected');
    await until(session, () => !!panels.node.querySelector('glass-weights'), 'weights shown');
    const weights = panels.node.querySelector('glass-weights') as HTMLElement & {
      data: Float32Array;
      name: string;
    };
    const init = session.opened!.ir.graph.initializers.get(weights.name)!;
    assertArrayEquals(weights.data, init.data as Float32Array, "the weights shown are the file's");

    // 4. An image file in the input panel.
    const imageInput = panels.input.querySelector(
      'input[type=file][accept="image/*"]',
    ) as HTMLInputElement;
    const before = session.input?.version ?? 0;
    choose(imageInput, await digitPng());
    await until(
      session,
      () => (session.input?.version ?? 0) > before && /stroke\.png/.test(session.input!.summary),
      'image input',
    );
    const input = session.input!;

    // 5. Two methods side by side: the default card and integrated gradients added beside it.
    const explainHost = panels.explain;
    const add = explainHost.querySelector(
      'select[aria-label="Method to add"]',
    ) as HTMLSelectElement;
    add.value = 'integrated-gradients';
    [...explainHost.querySelectorAll('button')].find((b) => b.textContent === 'Add method')!
      .click();
    const cards = () => [...explainHost.querySelectorAll<HTMLElement>('.card')];
    assertEquals(cards().length, 2);
    const steps = cards()[1].querySelector('[name="steps"]') as HTMLInputElement;
    steps.value = '8';
    steps.dispatchEvent(new Event('change'));
    type Saliency = HTMLElement & { maps: { data: Float32Array }[] | null };
    const mapOf = (card: HTMLElement) => card.querySelector('glass-saliency') as Saliency | null;
    await until(
      session,
      () => cards().every((c) => !!mapOf(c)?.maps?.length) && session.queue.jobs.length === 0,
      'both maps',
    );
    assert(session.isCurrent(input.version), 'the maps are for the current input');
    const model = session.opened!.model!;
    for (
      const [card, options] of [
        [cards()[0], { method: 'saliency' as const }],
        [cards()[1], { method: 'integrated-gradients' as const, steps: 8 }],
      ] as const
    ) {
      const e = await explain(model, input.feeds, { ...options, input: input.explained });
      const want = await e.attribution.readFloat32();
      e.attribution.destroy();
      const got = mapOf(card)!.maps![0].data;
      assertClose(got, want, { atol: 1e-5 }, options.method);
    }
    assert(/δ = /.test(cards()[1].textContent!), 'IG shows its completeness delta');
    // Pixels: the map is drawn (not the background everywhere) on the card's canvas.
    const sal = mapOf(cards()[1])!;
    const canvas = sal.shadowRoot!.querySelector('canvas')!;
    const colors = new Set<string>();
    for (let y = 4; y < canvas.clientHeight; y += 9) {
      for (let x = 4; x < canvas.clientWidth; x += 9) colors.add(String(pixel(sal, x, y)));
    }
    assert(colors.size > 4, `the map is drawn (${colors.size} colors)`);

    // 6. A long job, cancelled from the page's job list.
    steps.value = '4000';
    steps.dispatchEvent(new Event('change'));
    await until(
      session,
      () => !!panels.jobs.querySelector('button[aria-label^="Cancel"]'),
      'a job to cancel',
    );
    const job = session.queue.jobs.find((j) => /integrated/i.test(j.label))!;
    assert(job, 'the IG job is queued or running');
    (panels.jobs.querySelector('button[aria-label^="Cancel"]') as HTMLButtonElement).click();
    await job.promise.catch(() => {});
    assertEquals(job.state, 'cancelled');

    // 7. A model with an operator glassbox lacks opens for structure, its problem listed.
    choose(picker, unknownOpModel());
    await until(session, () => session.opened?.name === 'odd.onnx', 'odd open');
    assert(session.opened!.model === null, 'it cannot run');
    await until(
      session,
      () => /TotallyNewOp/.test(panels.overview.textContent!),
      'problem listed',
    );
    assert(!!panels.graph.querySelector('glass-graph'), 'its graph still draws');

    // 8. A text file: one sentence, and the open model stays.
    choose(picker, new File(['hello'], 'notes.txt'));
    await until(
      session,
      () =>
        /notes\.txt is not an ONNX model/.test(open.querySelector('[role=alert]')!.textContent!),
      'refusal',
    );
    assertEquals(session.opened!.name, 'odd.onnx');
  } finally {
    session.setModel(null);
    root.remove();
  }
}, { ignore });
