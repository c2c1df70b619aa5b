import { assertArrayEquals, assertRejects } from '../../test/assert.ts';
import { loadBytes, loadNpy } from '../../test/files.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { loadModel, run } from '../onnx/model.ts';
import type { Tensor } from '../tensor.ts';
import { captureActivations } from './capture.ts';

const getEngine = sharedEngine();

testGpu(
  'captureActivations: batches concatenate to what one run keeps',
  getEngine,
  async (engine) => {
    using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
    const x = await loadNpy('models/data/mnist_test_x.npy');
    const n = 10;
    const data = { data: (x.data as Float32Array).slice(0, n * 784), shape: [n, 1, 28, 28] };
    const names = ['/relu1/Relu_output_0', '/relu3/Relu_output_0', 'logits'];
    const progress: number[] = [];
    const captured = await captureActivations(model, data, names, {
      batchSize: 4,
      onProgress: (done) => progress.push(done),
    });
    assertArrayEquals(progress, [4, 8, 10]);
    const once = run(model, { input: data }, { keep: names.slice(0, 2) });
    const reference: Record<string, Tensor> = {
      ...once.intermediates,
      logits: once.outputs.logits,
    };
    for (const name of names) {
      assertArrayEquals(captured[name].shape, reference[name].shape, `${name} shape`);
      assertArrayEquals(await captured[name].read(), await reference[name].read(), name);
      captured[name].destroy();
      reference[name].destroy();
    }
  },
);

testGpu(
  'captureActivations: bad names, batch sizes and cancellation',
  getEngine,
  async (engine) => {
    using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
    const data = { data: new Float32Array(3 * 784), shape: [3, 1, 28, 28] };
    await assertRejects(
      () => captureActivations(model, data, ['nope']),
      ArgumentError,
      "no tensor named 'nope'",
    );
    await assertRejects(
      () => captureActivations(model, data, ['logits'], { batchSize: 0 }),
      ArgumentError,
    );
    const controller = new AbortController();
    controller.abort(new ArgumentError('cancelled by the user'));
    await assertRejects(
      () => captureActivations(model, data, ['logits'], { signal: controller.signal }),
      ArgumentError,
      'cancelled',
    );
  },
);
