// `npm run bench:browser` (with bench/browser_run.ts): the MNIST CNN and detypify through
// glassbox and through onnxruntime-web's WebGPU execution provider, in the same Chromium
// session on the same adapter; checks they agree and prints median times and their ratio.
// detypify's graph fixes batch 1 (its flatten is an index table built for one image), so its
// "batch 64" is 64 single-image runs, recorded back to back, for both runtimes.
import * as ort from 'onnxruntime-web/webgpu';
import { createEngine } from '../src/gpu/engine.ts';
import { loadModel, run } from '../src/onnx/model.ts';
import { loadBytes } from '../test/files.ts';
import { test } from '../test/harness.ts';
import { uniform } from '../test/random.ts';
import { quantile } from './harness.ts';

ort.env.wasm.numThreads = 1;

const SAMPLES = 5;

async function time(fn: () => Promise<unknown>): Promise<{ median: number; first: number }> {
  const t0 = performance.now();
  await fn();
  const first = performance.now() - t0;
  await fn();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return { median: quantile(times, 0.5), first };
}

test('models: glassbox vs onnxruntime-web WebGPU (Chromium)', async () => {
  using engine = await createEngine();
  const lines = [`models on Chromium, adapter: ${engine.adapterName}`];
  if (engine.info.isFallbackAdapter) {
    lines.push('software adapter: ratios only; absolute times are not speed claims.');
  }
  lines.push('model        batch  glassbox ms  onnxruntime-web ms  ratio (ort/glassbox)  max |Δ|');
  for (
    const c of [
      { name: 'mnist_cnn', path: 'models/mnist_cnn.onnx', image: [1, 28, 28], batchable: true },
      {
        name: 'detypify',
        path: 'node_modules/detypify-service/train/model.onnx',
        image: [1, 224, 224],
        batchable: false,
      },
    ]
  ) {
    const bytes = await loadBytes(c.path);
    using model = loadModel(engine, bytes);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
    const inputName = model.inputs[0].name;
    const per = c.image.reduce((a, b) => a * b, 1);
    for (const batch of [1, 64]) {
      const runs = c.batchable ? 1 : batch;
      if (runs > 1 && engine.info.isFallbackAdapter) {
        // 64 detypify images take minutes per sample at software speeds (~0.5 GFLOP/s).
        lines.push(
          `${c.name.padEnd(12)} ${
            String(batch).padStart(5)
          }  skipped on a software adapter (minutes per sample)`,
        );
        continue;
      }
      const b = c.batchable ? batch : 1;
      const data = uniform(b * per, batch, 0, 1);
      const shape = [b, ...c.image];
      let ours: Float32Array = new Float32Array();
      const glassbox = await time(async () => {
        const outs = [];
        for (let r = 0; r < runs; r++) {
          outs.push(run(model, { [inputName]: { data, shape } }).outputs);
        }
        for (const o of outs) {
          const t = o[model.outputs[0].name];
          ours = await t.readFloat32();
          for (const x of Object.values(o)) x.destroy();
        }
      });
      let theirs: Float32Array = new Float32Array();
      const onnx = await time(async () => {
        for (let r = 0; r < runs; r++) {
          const out = await session.run({
            [session.inputNames[0]]: new ort.Tensor('float32', data, shape),
          });
          theirs = (out[session.outputNames[0]].data as Float32Array).slice();
        }
      });
      let diff = 0;
      for (let i = 0; i < theirs.length; i++) diff = Math.max(diff, Math.abs(theirs[i] - ours[i]));
      const scale = theirs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (!(diff <= 1e-3 * Math.max(1, scale))) {
        throw new Error(`${c.name} batch ${batch}: outputs disagree by ${diff}`);
      }
      lines.push(
        `${c.name.padEnd(12)} ${String(batch).padStart(5)} ${
          glassbox.median.toFixed(1).padStart(12)
        } ${onnx.median.toFixed(1).padStart(19)} ${
          (onnx.median / glassbox.median).toFixed(2).padStart(21)
        }  ${diff.toExponential(1)}`,
      );
    }
    await session.release();
  }
  console.log(lines.join('\n'));
}, { timeout: 900_000 });
