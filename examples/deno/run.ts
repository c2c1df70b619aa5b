/**
 * Runs the MNIST CNN on a batch of 64 test digits and keeps one named activation.
 *
 * ```sh
 * deno run --allow-read --allow-env run.ts
 * ```
 *
 * @module
 */
import { createEngine, loadModel, readNpy, run } from 'glassbox';
import { modelUrl } from 'glassbox-models';

using engine = await createEngine();
using model = loadModel(engine, await Deno.readFile(modelUrl('mnist_cnn.onnx')));
const digits = readNpy(await Deno.readFile(modelUrl('data/mnist_test_x.npy'))); // [200, 1, 28, 28]
const pixels = (digits.data as Float32Array).slice(0, 64 * 28 * 28);
const { outputs, intermediates } = run(
  model,
  { input: { data: pixels, shape: [64, 1, 28, 28] } }, // batch size is free
  { keep: ['/conv1/Conv_output_0'] }, // named activations to inspect later
);
const logits = await outputs.logits.read();
console.log(`logits [${outputs.logits.shape}], first row ${Array.from(logits.slice(0, 3))}…`);
console.log(`conv1 [${intermediates['/conv1/Conv_output_0'].shape}]`);
