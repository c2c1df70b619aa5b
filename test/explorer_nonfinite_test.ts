// What the explorer shows for non-finite values: a NaN pixel in the MNIST CNN's input propagates
// to its logits (as onnxruntime and PyTorch give), so the prediction panel says so, in an alert,
// and lists no class — never a confident digit.
import { RUNNER, sharedEngine, test } from './harness.ts';
import { assert, assertEquals } from './assert.ts';
import { loadModel, modelStructure } from '../src/mod.ts';
import { Session } from '../demo/explorer/session.ts';
// @ts-types="../models/index.d.ts"
import { MODELS } from '../models/index.js';

const ignore = RUNNER === 'deno' ? 'the explorer panels run in the browser' : false;
const ui = RUNNER === 'browser'
  ? {
    ...(await import('../demo/explorer/predictions.ts')),
    ...(await import('../demo/explorer/explain_panel.ts')),
  }
  : null;
const getEngine = sharedEngine();

test(
  'explorer: a NaN pixel gives a NaN output, said in an alert, with no class listed',
  async () => {
    const engine = await getEngine();
    const example = MODELS.find((m) => m.id === 'mnist_cnn')!;
    const bytes = new Uint8Array(await (await fetch(`/models/${example.file}`)).arrayBuffer());
    const model = loadModel(engine, bytes);
    const session = new Session(engine);
    session.setModel({
      name: example.file,
      example,
      bytes,
      ir: model.ir,
      model,
      structure: modelStructure(model),
      problems: [],
    });
    const host = document.createElement('div');
    document.body.append(host);
    const panel = ui!.mountPredictions(host, session);
    try {
      const data = new Float32Array(784).fill(0.25);
      data[400] = NaN;
      session.setInput({
        feeds: { input: { data, shape: [1, 1, 28, 28] } },
        explained: 'input',
        summary: 'one NaN pixel',
      });
      await panel.settled;
      const alert = host.querySelector('[role=alert]');
      assert(alert, 'an alert is shown');
      assert(/The input holds NaN or infinite values \(1 in 'input'\)/.test(alert.textContent!));
      assert(
        /The output holds 10 NaN or infinite values of 10/.test(alert.textContent!),
        alert.textContent!,
      );
      assertEquals(host.querySelectorAll('li').length, 0);
      assertEquals(panel.shown, null);
      // A finite input afterwards: classes again, no alert.
      session.setInput({
        feeds: { input: { data: new Float32Array(784).fill(0.25), shape: [1, 1, 28, 28] } },
        explained: 'input',
        summary: 'finite',
      });
      await panel.settled;
      assertEquals(host.querySelector('[role=alert]'), null);
      assert(host.querySelectorAll('li').length > 0);
    } finally {
      panel.destroy();
      session.setModel(null);
      host.remove();
    }
  },
  { ignore },
);
