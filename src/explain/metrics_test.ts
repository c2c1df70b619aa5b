// deletionInsertion's progress and cancellation between batched forwards, in both runners.
import { assert, assertEquals, assertRejects } from '../../test/assert.ts';
import { loadBytes, loadNpy } from '../../test/files.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { loadModel } from '../onnx/model.ts';
import { deletionInsertion } from './metrics.ts';

const getEngine = sharedEngine();

class Stop extends Error {}

async function digit() {
  const all = await loadNpy('models/data/mnist_test_x.npy');
  return { data: (all.data as Float32Array).slice(0, 784), shape: [1, 1, 28, 28] };
}

testGpu(
  'deletionInsertion: progress per batch, and an abort lands before the next batch',
  getEngine,
  async (engine) => {
    using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
    const input = await digit();
    const map = Float32Array.from(input.data, (v, i) => v * ((i * 7) % 5));
    // Control: 2 × (4 + 1) = 10 inputs in batches of 3 report 3, 6, 9, 10.
    const seen: number[] = [];
    const full = await deletionInsertion(model, input, map, {
      steps: 4,
      batchSize: 3,
      onProgress: (done, total) => (assertEquals(total, 10), seen.push(done)),
    });
    assertEquals(seen.join(), '3,6,9,10');
    assertEquals(full.deletion.scores.length, 5);
    // Aborted after the first batch: no second batch runs, the promise rejects with the reason.
    const controller = new AbortController();
    const after: number[] = [];
    await assertRejects(
      () =>
        deletionInsertion(model, input, map, {
          steps: 4,
          batchSize: 3,
          signal: controller.signal,
          onProgress: (done) => {
            after.push(done);
            controller.abort(new Stop('stop'));
          },
        }),
      Stop,
    );
    assertEquals(after.join(), '3');
    // Aborted before the call: nothing runs.
    let called = false;
    await assertRejects(
      () =>
        deletionInsertion(model, input, map, {
          signal: AbortSignal.abort(new Stop('early')),
          onProgress: () => (called = true),
        }),
      Stop,
    );
    assert(!called, 'no batch ran after an abort before the call');
  },
);
