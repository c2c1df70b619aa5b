// The evaluation figures of the attribution methods on the shipped MNIST CNN (first test digit):
// the cascading-randomization sanity check (Spearman rank correlation of each method's map with
// the original as fc2, fc1, conv2 and conv1 are re-initialized in turn) and the deletion /
// insertion AUC of the integrated-gradients map next to a pseudo-random map.
//
//   npx deno run --allow-read --allow-env bench/evaluation_report.ts
import { createEngine } from '../src/gpu/engine.ts';
import { loadModel } from '../src/onnx/model.ts';
import { readNpy } from '../src/io/npy.ts';
import { explain } from '../src/explain/explain.ts';
import { deletionInsertion } from '../src/explain/metrics.ts';
import { sanityCheck } from '../src/explain/sanity.ts';

using engine = await createEngine();
const root = new URL('../', import.meta.url);
using model = loadModel(engine, await Deno.readFile(new URL('models/mnist_cnn.onnx', root)));
const all = readNpy(await Deno.readFile(new URL('models/data/mnist_test_x.npy', root)));
const input = { data: (all.data as Float32Array).slice(0, 784), shape: [1, 1, 28, 28] };
console.log(`adapter: ${engine.adapterName}`);

for (const method of ['gradient', 'saliency', 'integrated-gradients', 'guided-backprop'] as const) {
  const r = await sanityCheck(model, input, { method, steps: 32 });
  console.log(
    `sanity ${method}: ` +
      r.steps.map((s) => `${s.layer} ${s.spearman.toFixed(2)} (|map| ${s.spearmanAbs.toFixed(2)})`)
        .join(', '),
  );
}

const e = await explain(model, input, { method: 'integrated-gradients' });
const ig = await e.attribution.readFloat32();
e.attribution.destroy();
const curves = await deletionInsertion(model, input, ig);
const random = Float32Array.from(ig, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
const control = await deletionInsertion(model, input, random);
console.log(
  `deletion/insertion AUC, IG (50 steps): ${curves.deletion.auc.toFixed(3)} / ` +
    `${curves.insertion.auc.toFixed(3)}; pseudo-random map: ${control.deletion.auc.toFixed(3)} / ` +
    `${control.insertion.auc.toFixed(3)}`,
);
