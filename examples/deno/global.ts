/**
 * Global explanations of the MNIST CNN: a linear surrogate distilled from it, and linear probes
 * per layer for a task it was not trained on (is the digit odd?).
 *
 * ```sh
 * deno run --allow-read --allow-env global.ts
 * ```
 *
 * @module
 */
import { createEngine, distill, loadModel, probeLayers, readNpy, taskLabels } from 'glassbox';
import { modelUrl } from 'glassbox-models';

using engine = await createEngine();
using model = loadModel(engine, await Deno.readFile(modelUrl('mnist_cnn.onnx')));
const x = readNpy(await Deno.readFile(modelUrl('data/mnist_test_x.npy'))); // [200, 1, 28, 28]
const data = { data: x.data as Float32Array, shape: x.shape };
const digits = Array.from(
  readNpy(await Deno.readFile(modelUrl('data/mnist_test_y.npy'))).data,
  Number,
);

const s = await distill(model, data, { kind: 'linear', epochs: 20 }); // or 'mlp' | 'tree'
console.log('surrogate agreement with the CNN', s.fidelity.agreement, 'KL', s.fidelity.kl);
const report = await probeLayers(model, data, taskLabels('parity', { classes: digits }), {
  classes: digits,
  epochs: 10,
  layers: ['/pool1/MaxPool_output_0', '/pool2/MaxPool_output_0', '/relu3/Relu_output_0'],
});
console.log(report.layers.map((l) => [l.layer, l.accuracy, l.controlAccuracy]));
