/**
 * Explains one handwritten digit headless, on Deno's WebGPU: loads the MNIST CNN of
 * `glassbox-models`, classifies the first of its test digits, attributes the prediction to the
 * pixels with integrated gradients and prints the result, the completeness check and the map.
 *
 * ```sh
 * npm install glassbox glassbox-models      # or: deno add npm:glassbox npm:glassbox-models
 * deno run --allow-read --allow-env explain.ts [path/to/mnist_cnn.onnx]
 * ```
 *
 * @module
 */
import { createEngine, explain, loadModel, readNpy } from 'glassbox';
import { modelUrl } from 'glassbox-models';

using engine = await createEngine(); // WebGpuUnavailableError says how to get an adapter
console.log(`adapter: ${engine.adapterName}`);
using model = loadModel(engine, await Deno.readFile(Deno.args[0] ?? modelUrl('mnist_cnn.onnx')));

// The package's 200 test digits: float32 [200, 1, 28, 28] in [0, 1], labels int64 [200].
const digits = readNpy(await Deno.readFile(modelUrl('data/mnist_test_x.npy')));
const labels = readNpy(await Deno.readFile(modelUrl('data/mnist_test_y.npy')));
const pixels = (digits.data as Float32Array).slice(0, 28 * 28);

const e = await explain(model, { data: pixels, shape: [1, 1, 28, 28] }, {
  method: 'integrated-gradients',
  steps: 32,
});
using attribution = e.attribution;
const map = await attribution.readFloat32(); // [1, 1, 28, 28]
const top = e.predicted[0];
console.log(
  `predicted ${top} (p = ${e.probabilities[0][top].toFixed(3)}), labelled ${labels.data[0]}; ` +
    `integrated gradients in ${e.timeMs.toFixed(0)} ms`,
);
const c = e.completeness!;
console.log(
  `completeness: Σ attributions ${c.sum[0].toFixed(4)} vs f(x) − f(0) ` +
    `${(c.fx[0] - c.fBaseline[0]).toFixed(4)}, Δ ${c.delta[0].toExponential(2)}`,
);

// The map, 2×2 pixels per character: '+' for, '-' against the predicted class.
const scale = Math.max(...map.map(Math.abs)) / 4;
for (let y = 0; y < 28; y += 2) {
  let line = '';
  for (let x = 0; x < 28; x += 2) {
    const v = map[y * 28 + x] + map[y * 28 + x + 1] + map[(y + 1) * 28 + x] +
      map[(y + 1) * 28 + x + 1];
    line += v > scale ? '+' : v < -scale ? '-' : pixels[y * 28 + x] > 0.5 ? '.' : ' ';
  }
  console.log(`|${line}|`);
}
