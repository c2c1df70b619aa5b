import {
  assert,
  assertArrayEquals,
  assertClose,
  assertEquals,
  assertRejects,
} from '../../test/assert.ts';
import { loadBytes, loadNpy } from '../../test/files.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { loadModel, run } from '../onnx/model.ts';
import { exportDenseOnnx, exportTreeOnnx } from './onnx_export.ts';
import { distill, featureName, fidelityOf } from './surrogate.ts';
import type { DenseWeights } from './train.ts';
import { fitTree, predictTree, treeRules } from './tree.ts';

const getEngine = sharedEngine();

/** f64 reference of a dense head on rows of x. */
function denseReference(weights: DenseWeights[], x: Float32Array, n: number): Float64Array {
  let h = Float64Array.from(x);
  let width = x.length / n;
  weights.forEach((layer, l) => {
    const out = layer.b.length;
    const next = new Float64Array(n * out);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < out; o++) {
        let s = layer.b[o];
        for (let i = 0; i < width; i++) s += h[r * width + i] * layer.w[i * out + o];
        next[r * out + o] = l < weights.length - 1 ? Math.max(0, s) : s;
      }
    }
    h = next;
    width = out;
  });
  return h;
}

testGpu(
  'exported dense and tree ONNX run in glassbox and match their CPU references',
  getEngine,
  async (engine) => {
    const n = 37;
    const shape = [2, 3, 4];
    const d = 24;
    const x = uniform(n * d, 3);
    const weights: DenseWeights[] = [
      { w: uniform(d * 5, 4), b: uniform(5, 5) },
      { w: uniform(5 * 3, 6), b: uniform(3, 7) },
    ];
    using dense = loadModel(engine, exportDenseOnnx(weights, { inputShape: shape }));
    assertEquals(dense.inputs[0].name, 'input');
    const r = run(dense, { input: { data: x, shape: [n, ...shape] } });
    // f32 dot products of ≤ 24 terms of magnitude ≤ 1.
    assertClose(
      await r.outputs.logits.read(),
      denseReference(weights, x, n),
      { atol: 1e-5 },
      'dense',
    );
    r.outputs.logits.destroy();

    const labels = Array.from(
      { length: n },
      (_, i) => (x[i * d] > 0 ? 1 : 0) + (x[i * d + 5] > 0.3 ? 1 : 0),
    );
    const probs = new Float32Array(n * 3);
    labels.forEach((y, i) => (probs[i * 3 + y] = 1));
    const tree = fitTree(x, n, d, labels, probs, 3, { depth: 3, minLeaf: 2 });
    const rules = treeRules(tree, (f) => featureName(shape, f));
    assert(rules.length >= 3, `rules: ${rules.join('; ')}`);
    assert(rules[0].startsWith('if x[0,0,0] <=') || rules[0].includes('x['), rules[0]);
    using treeModel = loadModel(engine, exportTreeOnnx(tree, d, 3, { inputShape: shape }));
    const t = run(treeModel, { input: { data: x, shape: [n, ...shape] } });
    // Exact: leaf selection is by integer counts, the output one row of the value table.
    assertArrayEquals(await t.outputs.logits.read(), predictTree(tree, x, n, d), 'tree');
    t.outputs.logits.destroy();
    // The tree separates what it was fitted to.
    const pred = predictTree(tree, x, n, d);
    const agree = fidelityOf(Float32Array.from(probs, (p) => p * 10), pred, n, 3).agreement;
    assert(agree > 0.9, `tree training agreement ${agree}`);
  },
);

testGpu(
  'distill: linear, MLP and tree surrogates of the MNIST CNN (200 digits)',
  getEngine,
  async (engine) => {
    const bytes = await loadBytes('models/mnist_cnn.onnx');
    using model = loadModel(engine, bytes);
    const xs = await loadNpy('models/data/mnist_test_x.npy');
    const ys = await loadNpy('models/data/mnist_test_y.npy');
    const data = { data: xs.data as Float32Array, shape: xs.shape };
    const labels = Array.from(ys.data as BigInt64Array, Number);
    for (const kind of ['linear', 'mlp', 'tree'] as const) {
      const phases = new Set<string>();
      const s = await distill(model, data, {
        kind,
        labels,
        epochs: 15,
        hidden: 16,
        depth: 4,
        onProgress: (phase) => phases.add(phase),
      });
      assertArrayEquals([s.split.train, s.split.test], [150, 50]);
      assertEquals(s.classes, 10);
      assert(phases.has('teacher') && phases.has('fit'), `phases ${[...phases]}`);
      // Small data: held-out agreement well above chance (10%) is what 150 examples allow (a
      // depth-4 tree has 16 leaves for 10 classes).
      const floor = kind === 'tree' ? 0.3 : 0.5;
      assert(s.fidelity.agreement > floor, `${kind} agreement ${s.fidelity.agreement}`);
      assert(s.fidelity.kl >= 0 && Number.isFinite(s.fidelity.kl), `${kind} kl ${s.fidelity.kl}`);
      assert(s.accuracy!.model > 0.9, `model accuracy ${s.accuracy!.model}`);
      // Round trip: the ONNX file gives the surrogate's outputs.
      using exported = loadModel(engine, s.onnx);
      const n = 12;
      const x = (data.data as Float32Array).slice(0, n * 784);
      const r = run(exported, { input: { data: x, shape: [n, 1, 28, 28] } });
      const got = await r.outputs.logits.read();
      r.outputs.logits.destroy();
      if (kind === 'tree') {
        assertArrayEquals(got, predictTree(s.tree!, x, n, 784), 'tree round trip');
        assert(s.rules!.length > 1 && s.rules![0].includes('pixel('), s.rules![0]);
      } else {
        assertClose(got, denseReference(s.weights!, x, n), { atol: 1e-4 }, `${kind} round trip`);
      }
      if (kind === 'linear') assertEquals(s.templates!.length, 7840);
    }
  },
);

testGpu('distill: bad input', getEngine, async (engine) => {
  using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
  const data = { data: new Float32Array(4 * 784), shape: [4, 1, 28, 28] };
  await assertRejects(() => distill(model, data), ArgumentError, 'at least 8');
  const more = { data: new Float32Array(8 * 784), shape: [8, 1, 28, 28] };
  await assertRejects(() => distill(model, more, { labels: [1] }), ArgumentError, '1 labels');
  await assertRejects(
    () => distill(model, more, { kind: 'forest' as 'tree' }),
    ArgumentError,
    "unknown kind 'forest'",
  );
});
