// glassbox from npm, bundled: the engine and two elements, one digit explained by integrated
// gradients, and the histogram of its attribution values computed on the GPU.
import { createEngine, explain, loadModel, readNpy, tensorStats } from 'glassbox';
import 'glassbox/components/saliency'; // registers <glass-saliency>
import 'glassbox/components/histogram'; // registers <glass-histogram>

// glassbox-models' files as a dev server started in this folder serves them (or copy them to
// your static files, or use https://cdn.jsdelivr.net/npm/glassbox-models@0.1.0/).
const MODELS = '/node_modules/glassbox-models/';
const fetchBytes = async (file) => {
  const response = await fetch(MODELS + file);
  if (!response.ok) throw new Error(`Cannot fetch ${MODELS + file}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
};

async function main() {
  const engine = await createEngine();
  const model = loadModel(engine, await fetchBytes('mnist_cnn.onnx'));
  const digits = readNpy(await fetchBytes('data/mnist_test_x.npy')); // [200, 1, 28, 28]
  const pixels = digits.data.slice(28 * 28, 2 * 28 * 28); // the second test digit
  const e = await explain(model, { data: pixels, shape: [1, 1, 28, 28] }, {
    method: 'integrated-gradients',
    steps: 16,
  });
  const saliency = document.querySelector('glass-saliency');
  saliency.image = { data: pixels, shape: [28, 28] };
  saliency.maps = [{
    label: `integrated gradients for class ${e.predicted[0]}`,
    data: await e.attribution.readFloat32(),
    shape: [28, 28],
  }];
  // The attribution stays on the GPU for its statistics.
  const { histogram, mean, std } = await tensorStats(engine, e.attribution, { bins: 40 });
  e.attribution.destroy();
  const hist = document.querySelector('glass-histogram');
  hist.counts = histogram.counts;
  hist.edges = Array.from(
    { length: 41 },
    (_, i) => histogram.lo + (histogram.hi - histogram.lo) * i / 40,
  );
  hist.log = true;
  hist.label = `attribution values: mean ${mean.toExponential(2)}, std ${std.toExponential(2)}`;
}

main().then(
  () => (document.documentElement.dataset.ready = 'true'),
  (error) => {
    document.body.append(`Failed: ${error.message}`);
    document.documentElement.dataset.ready = `error: ${error.message}`;
  },
);
