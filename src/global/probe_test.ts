import {
  assert,
  assertArrayEquals,
  assertClose,
  assertEquals,
  assertRejects,
} from '../../test/assert.ts';
import { loadBytes, loadNpy } from '../../test/files.ts';
import { sharedEngine, test, testGpu } from '../../test/harness.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type TensorProto } from 'onnx-buf';
import { loadModel } from '../onnx/model.ts';
import {
  controlLabels,
  defaultProbeLayers,
  poolFeatures,
  probeLayers,
  randomizedOnnx,
} from './probe.ts';
import { taskLabels } from './tasks.ts';
import { incompleteBeta, tcav, welchTTest } from './tcav.ts';

const getEngine = sharedEngine();

testGpu(
  'defaultProbeLayers: input, activations, pools, logits of the MNIST CNN',
  getEngine,
  async (engine) => {
    using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
    assertEquals(
      defaultProbeLayers(model).join(),
      [
        'input',
        '/relu1/Relu_output_0',
        '/pool1/MaxPool_output_0',
        '/relu2/Relu_output_0',
        '/pool2/MaxPool_output_0',
        '/relu3/Relu_output_0',
        'logits',
      ].join(),
    );
  },
);

test(
  'poolFeatures: average pooling to the budget, token means over the mask',
  () => {
    const act = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => i);
    const p = poolFeatures(act, [2, 4, 4], 8);
    assertEquals(p.pooling, 'avgpool 2×2');
    assertArrayEquals(p.features, [2.5, 4.5, 10.5, 12.5, 18.5, 20.5, 26.5, 28.5]);
    assertEquals(poolFeatures(act, [2, 4, 4], 32).pooling, 'none');
    const tokens = poolFeatures(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2], 99, [1, 1, 0]);
    assertArrayEquals(tokens.features, [2, 3]);
  },
);

test('task presets and control labels', () => {
  assertArrayEquals(taskLabels('parity', { classes: [0, 1, 2, 3, 9] }), [0, 1, 0, 1, 1]);
  assertArrayEquals(taskLabels('closed-loop', { classes: [0, 1, 4, 7, 8] }), [1, 0, 1, 0, 1]);
  assertArrayEquals(taskLabels('footwear', { classes: [5, 6, 7, 9, 0] }), [1, 0, 1, 1, 0]);
  assertArrayEquals(taskLabels('upper-body', { classes: [0, 1, 2, 5, 6] }), [1, 0, 1, 0, 1]);
  const ids = [5, 21, 3, 0, 4, 4, 4, 4];
  assertArrayEquals(
    taskLabels('has-url', {
      ids,
      idShape: [2, 4],
      vocab: ['[PAD]', 'a', 'b', 'c', 'd', 'e', ...new Array(15).fill('x'), 'http'],
    }),
    [1, 0],
  );
  assertArrayEquals(taskLabels('length-bucket', { ids, idShape: [2, 4] }), [0, 2]);
  let threw = false;
  try {
    taskLabels('nope', {});
  } catch (e) {
    threw = e instanceof ArgumentError;
  }
  assert(threw, 'unknown task');
  // Class control: one label per class, the same for every example of it.
  const classes = Array.from({ length: 100 }, (_, i) => i % 10);
  const labels = classes.map((c) => c % 2);
  const c = controlLabels(labels, classes, 3);
  assertEquals(c.kind, 'class');
  for (let i = 10; i < 100; i++) assertEquals(c.labels[i], c.labels[i % 10]);
  assertEquals(controlLabels(labels, undefined, 3).labels.reduce((a, v) => a + v, 0), 50);
  // Too few types for a per-type control (a binary classifier): a shuffle instead.
  const binary = controlLabels(labels, classes.map((c) => c % 3 ? 1 : 0), 3);
  assertEquals(binary.kind, 'shuffle');
  assertEquals(binary.labels.reduce((a, v) => a + v, 0), 50);
});

testGpu(
  'randomizedOnnx: same shapes and per-tensor moments, different values',
  getEngine,
  async () => {
    const bytes = await loadBytes('models/mnist_cnn.onnx');
    const a = fromBinary(ModelProtoSchema, bytes);
    const b = fromBinary(ModelProtoSchema, randomizedOnnx(bytes, 1));
    const values = (t: TensorProto) =>
      t!.rawData.length
        ? new Float32Array(t!.rawData.slice().buffer)
        : Float32Array.from(t!.floatData);
    for (let i = 0; i < a.graph!.initializer.length; i++) {
      const x = values(a.graph!.initializer[i]);
      const y = values(b.graph!.initializer[i]);
      assertEquals(x.length, y.length);
      if (x.length < 100) continue;
      const mean = (v: Float32Array) => v.reduce((s, u) => s + u, 0) / v.length;
      const std = (v: Float32Array) => {
        const m = mean(v);
        return Math.sqrt(v.reduce((s, u) => s + (u - m) ** 2, 0) / v.length);
      };
      assertClose(
        [mean(y), std(y)],
        [mean(x), std(x)],
        { atol: 0.2 * std(x) },
        a.graph!.initializer[i].name,
      );
      assert(x[0] !== y[0], 'values changed');
    }
  },
);

testGpu(
  'probeLayers: parity on the MNIST CNN (200 digits) beats the random model late',
  getEngine,
  async (engine) => {
    const bytes = await loadBytes('models/mnist_cnn.onnx');
    using model = loadModel(engine, bytes);
    using random = loadModel(engine, randomizedOnnx(bytes, 0));
    const xs = await loadNpy('models/data/mnist_test_x.npy');
    const ys = Array.from(
      (await loadNpy('models/data/mnist_test_y.npy')).data as BigInt64Array,
      Number,
    );
    const labels = taskLabels('parity', { classes: ys });
    const report = await probeLayers(
      model,
      { data: xs.data as Float32Array, shape: xs.shape },
      labels,
      {
        layers: ['input', '/relu3/Relu_output_0'],
        classes: ys,
        randomModel: random,
        epochs: 20,
        maxFeatures: 256,
      },
    );
    assertEquals(report.control, 'class');
    assertEquals(report.layers.length, 2);
    const [input, relu3] = report.layers;
    assertEquals(input.pooling, 'avgpool 2×2');
    assertEquals(relu3.features, relu3.shape[0]);
    // relu3 encodes the digit, hence its parity: well above the 50% prior and the random model.
    assert(relu3.accuracy > 0.8, `relu3 ${relu3.accuracy}`);
    assert(
      relu3.accuracy > relu3.randomModelAccuracy! + 0.1,
      `random model ${relu3.randomModelAccuracy}`,
    );
    await assertRejects(
      () => probeLayers(model, { data: xs.data as Float32Array, shape: xs.shape }, [1]),
      ArgumentError,
      'task labels',
    );
    await assertRejects(
      () =>
        probeLayers(model, { data: xs.data as Float32Array, shape: xs.shape }, labels, {
          layers: ['nope'],
        }),
      ArgumentError,
      "no tensor 'nope'",
    );
  },
);

test('Welch t-test and the incomplete beta against known values', () => {
  // I_0.5(2, 3) = 0.6875 exactly. [1,2,3,4] vs [3,4,5,6]: t = −2.191, df = 6; the tabulated
  // two-sided critical values t(0.05, 6) = 2.447 and t(0.10, 6) = 1.943 bracket p.
  assertClose([incompleteBeta(0.5, 2, 3)], [0.6875], { atol: 1e-10 });
  assertClose([incompleteBeta(0.3, 0.5, 0.5)], [2 / Math.PI * Math.asin(Math.sqrt(0.3))], {
    atol: 1e-9,
  });
  const p = welchTTest([1, 2, 3, 4], [3, 4, 5, 6]);
  assert(p > 0.05 && p < 0.1, `p ${p}`);
  assertClose([welchTTest([1, 2, 3], [1, 2, 3])], [1], { atol: 1e-12 });
});

testGpu(
  'tcav: a concept of the target class itself scores high; random CAVs give scores too',
  getEngine,
  async (engine) => {
    using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
    const xs = await loadNpy('models/data/mnist_test_x.npy');
    const ys = Array.from(
      (await loadNpy('models/data/mnist_test_y.npy')).data as BigInt64Array,
      Number,
    );
    const x = xs.data as Float32Array;
    const pick = (rows: number[]) => {
      const data = new Float32Array(rows.length * 784);
      rows.forEach((r, i) => data.set(x.subarray(r * 784, r * 784 + 784), i * 784));
      return { data, shape: [rows.length, 1, 28, 28] };
    };
    const ones = ys.flatMap((y, i) => (y === 1 ? [i] : []));
    const others = ys.flatMap((y, i) => (y !== 1 ? [i] : []));
    // Concept "ones" (half of the 1s), class inputs the other half: the logit of class 1 grows
    // along the direction that separates ones from other digits.
    const half = Math.floor(ones.length / 2);
    const randomSets = [0, 1, 2].map((k) => pick(others.slice(k * 12, k * 12 + 12)));
    const r = await tcav(model, {
      concept: pick(ones.slice(0, half)),
      inputs: pick(ones.slice(half)),
      randomSets,
    }, { layer: '/relu3/Relu_output_0', target: 1, epochs: 20 });
    assertEquals(r.scores.length, 3);
    assertEquals(r.randomScores.length, 3);
    assertEquals(r.cav.length, 64);
    assert(r.mean > 0.9, `concept score ${r.mean}`);
    assert(r.cavAccuracy.every((a) => a > 0.9), `cav accuracy ${r.cavAccuracy}`);
  },
);
