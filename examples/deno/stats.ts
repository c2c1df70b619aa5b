/**
 * Statistics of the MNIST CNN: one weight's histogram and moments, every weight at once, and a
 * layer's activations over a batch of digits.
 *
 * ```sh
 * deno run --allow-read --allow-env stats.ts
 * ```
 *
 * @module
 */
import {
  captureActivations,
  createEngine,
  histogramQuantile,
  loadModel,
  modelWeightStats,
  readNpy,
  tensor,
  tensorStats,
} from 'glassbox';
import { modelUrl } from 'glassbox-models';

using engine = await createEngine();
using model = loadModel(engine, await Deno.readFile(modelUrl('mnist_cnn.onnx')));
const fc1 = model.ir.graph.initializers.get('fc1.weight')!; // float32 [64, 784], on the CPU
using weights = tensor(engine, fc1.data as Float32Array, fc1.shape);

const s = await tensorStats(engine, weights, { bins: 100, perChannel: true });
console.log(s.mean, s.std, s.l2, s.sparsity, s.nan, s.channels?.[3].std);
console.log('99th percentile', histogramQuantile(s.histogram, 0.99));
const all = await modelWeightStats(model); // every weight, one batched GPU call per pass
console.log(all.length, 'weights');
const x = readNpy(await Deno.readFile(modelUrl('data/mnist_test_x.npy')));
const images = { data: x.data as Float32Array, shape: x.shape };
const acts = await captureActivations(model, images, ['/relu3/Relu_output_0'], { batchSize: 64 });
console.log(Object.keys(acts));
