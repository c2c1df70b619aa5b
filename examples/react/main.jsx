// React 19 renders glass-* elements directly: it sets a custom element's props as properties
// (typed arrays and objects included) when the element has them, and `onglass-select` adds a
// listener for the `glass-select` event. The elements only need to be registered (imported)
// before React first renders them; no wrapper is needed.
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createEngine, explain, loadModel, modelStructure, readNpy } from 'glassbox';
import 'glassbox/components/saliency';
import 'glassbox/components/graph';

// glassbox-models' files as a dev server started in this folder serves them.
const MODELS = '/node_modules/glassbox-models/';
const fetchBytes = async (file) => new Uint8Array(await (await fetch(MODELS + file)).arrayBuffer());

/** Loads the digit CNN, explains one test digit, and returns what the elements show. */
async function explainDigit(index) {
  const engine = await createEngine();
  const model = loadModel(engine, await fetchBytes('mnist_cnn.onnx'));
  const digits = readNpy(await fetchBytes('data/mnist_test_x.npy')); // [200, 1, 28, 28]
  const pixels = digits.data.slice(index * 784, (index + 1) * 784);
  const e = await explain(model, { data: pixels, shape: [1, 1, 28, 28] }, {
    method: 'integrated-gradients',
    steps: 16,
  });
  const attribution = await e.attribution.readFloat32();
  e.attribution.destroy();
  return {
    predicted: e.predicted[0],
    image: { data: pixels, shape: [28, 28] },
    attribution,
    structure: modelStructure(model),
  };
}

function App() {
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  useEffect(() => {
    explainDigit(2).then(setResult, setError);
  }, []);
  useEffect(() => {
    if (result) document.documentElement.dataset.ready = 'true';
    if (error) document.documentElement.dataset.ready = `error: ${error.message}`;
  }, [result, error]);
  if (error) return <p>Failed: {error.message}</p>;
  if (!result) return <p>Explaining…</p>;
  return (
    <>
      <h1>The model says {result.predicted}</h1>
      <glass-saliency
        image={result.image}
        attribution={result.attribution}
        shape={[28, 28]}
        label='integrated gradients'
        style={{ display: 'block', maxWidth: 480 }}
      />
      <glass-graph
        structure={result.structure}
        onglass-select={(e) => setSelected(e.detail)}
        style={{ display: 'block', height: 420 }}
      />
      <p>
        {selected?.name
          ? `${selected.name}: ${selected.op}, ${selected.params} parameters`
          : 'Click a node.'}
      </p>
    </>
  );
}

createRoot(document.getElementById('root')).render(<App />);
