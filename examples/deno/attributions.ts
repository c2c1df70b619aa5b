/**
 * Explains a digit with integrated gradients (with progress and a cancel signal), then evaluates
 * the map: deletion/insertion curves and the randomization sanity check.
 *
 * ```sh
 * deno run --allow-read --allow-env attributions.ts
 * ```
 *
 * @module
 */
import {
  createEngine,
  deletionInsertion,
  explain,
  loadModel,
  readNpy,
  sanityCheck,
} from 'glassbox';
import { modelUrl } from 'glassbox-models';

using engine = await createEngine();
using model = loadModel(engine, await Deno.readFile(modelUrl('mnist_cnn.onnx')));
const digits = readNpy(await Deno.readFile(modelUrl('data/mnist_test_x.npy')));
const pixels = (digits.data as Float32Array).slice(0, 28 * 28);
const input = { data: pixels, shape: [1, 1, 28, 28] };
const signal = AbortSignal.timeout(10 * 60_000); // or a Cancel button's AbortController

const e = await explain(model, input, {
  method: 'integrated-gradients', // steps 50, Gauss–Legendre, zero baseline by default
  steps: 64,
  signal, // AbortSignal: stops between chunks
  onProgress: (done, total) => console.log(`IG ${done}/${total}`),
});
console.log(e.predicted[0], e.probabilities[0][e.predicted[0]], e.completeness?.delta[0]);
const map = await e.attribution.readFloat32(); // input-shaped
e.attribution.destroy();
const curves = await deletionInsertion(model, input, map); // deletion/insertion AUC
console.log(curves);
const sanity = await sanityCheck(model, input, { method: 'gradient' }); // cascading randomization
console.log(sanity);
