// Reverse mode against PyTorch autograd: every case of test/fixtures/grad/manifest.json (small
// models covering each operator with a backward rule, and the shipped models) is run forward
// and backward by glassbox, and its gradients — with respect to inputs, intermediates and
// initializers — are compared with the float64 references that
// test/fixtures/make_torch_reference.py wrote. Runs in Deno and in Chromium.
//
// Tolerance: relative L2 ≤ 1e-4. Our forward and backward run in f32 (unit roundoff 6e-8);
// each gradient element is a sum of products over a few hundred to a few thousand terms
// through several layers, and the reference is f64 from the same f32 weights and inputs, so
// the f32 error is dominated by accumulated rounding ~ √(terms)·u per layer ≈ 1e-6–1e-5.
import { assert, relativeL2 } from './assert.ts';
import { loadBytes, loadNpy } from './files.ts';
import { sharedEngine, testGpu } from './harness.ts';
import { loadModel } from '../src/onnx/model.ts';
import { backward } from '../src/grad/backward.ts';
import { tensor } from '../src/tensor.ts';

const getEngine = sharedEngine();

interface Case {
  name: string;
  model: string;
  ops: string[];
  inputs: Record<string, string>;
  output: string;
  target: number[];
  logits: string;
  grads: Record<string, string>;
}

const manifest = JSON.parse(
  new TextDecoder().decode(await loadBytes('test/fixtures/grad/manifest.json')),
) as { cases: Case[] };

const TOLERANCE = 1e-4;

for (const c of manifest.cases) {
  testGpu(
    `gradients of ${c.name} (${c.ops.join(', ')}) match PyTorch autograd`,
    getEngine,
    async (engine) => {
      using model = loadModel(engine, await loadBytes(c.model));
      const feeds: Record<string, { data: Float32Array | BigInt64Array; shape: number[] }> = {};
      for (const [name, file] of Object.entries(c.inputs)) {
        const x = await loadNpy(file);
        feeds[name] = { data: x.data as Float32Array | BigInt64Array, shape: x.shape };
      }
      const wrt = Object.keys(c.grads);
      const result = backward(model, feeds, {
        wrt,
        seed: (value) => {
          const out = value(c.output);
          const classes = out.size / out.shape[0];
          const data = new Float32Array(out.size);
          c.target.forEach((t, b) => (data[b * classes + t] = 1));
          return { [c.output]: tensor(engine, data, out.shape) };
        },
      });
      try {
        const logits = await loadNpy(c.logits);
        const out = await result.values[c.output].readFloat32();
        const forwardError = relativeL2(out, logits.data as Float32Array);
        assert(forwardError < 1e-5, `${c.name}: forward differs from PyTorch by ${forwardError}`);
        const report: string[] = [];
        for (const name of wrt) {
          const want = await loadNpy(c.grads[name]);
          const got = result.grads[name];
          assert(
            got.shape.join() === want.shape.join(),
            `${c.name}: gradient of '${name}' is [${got.shape}], PyTorch's [${want.shape}]`,
          );
          const err = relativeL2(await got.readFloat32(), want.data as Float32Array);
          report.push(`${name} ${err.toExponential(1)}`);
          assert(
            err < TOLERANCE,
            `${c.name}: gradient of '${name}' differs by ${err} (relative L2)`,
          );
        }
        console.log(`${c.name}: ${report.join(', ')}`);
      } finally {
        for (const t of [...Object.values(result.grads), ...Object.values(result.values)]) {
          t.destroy();
        }
      }
    },
  );
}
