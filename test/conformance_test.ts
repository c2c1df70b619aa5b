// ONNX backend conformance: every single-operator node test from the ONNX test data (Debian's
// libonnx-testdata 1.12, copied into test/onnx_node/ with its copyright file) for each supported
// operator, run through loadModel/run and compared with the expected outputs, in Deno and in
// Chromium. Tolerance is the ONNX backend tests' own: |got − want| ≤ 1e-7 + 1e-3·|want|
// (exact for integer and bool outputs; one step for bfloat16, whose 1.12 data truncates where
// onnx's reference now rounds to nearest even). Cases skipped carry their reason.
import { assert } from './assert.ts';
import { loadBytes } from './files.ts';
import { sharedEngine, testGpu } from './harness.ts';
import { fromBinary } from '@bufbuild/protobuf';
import { TensorProtoSchema } from 'onnx-buf';
import { decodeTensor } from '../src/onnx/parse.ts';
import { loadModel, run } from '../src/onnx/model.ts';
import { isFloat } from '../src/graph/ir.ts';
import { ONNX_OPERATORS } from '../src/onnx/registry.ts';
import { SKIPPED } from './conformance_test_skips.ts';

const getEngine = sharedEngine();

const manifest = JSON.parse(
  new TextDecoder().decode(await loadBytes('test/onnx_node/manifest.json')),
) as Record<string, string[]>;

for (const [op, cases] of Object.entries(manifest)) {
  for (const name of cases) {
    testGpu(`onnx ${op}: ${name}`, getEngine, async (engine) => {
      const dir = `test/onnx_node/${name}`;
      using model = loadModel(engine, await loadBytes(`${dir}/model.onnx`));
      const inputs: Record<string, { data: Float32Array | Float64Array; shape: number[] }> = {};
      for (let i = 0; i < model.inputs.length; i++) {
        const t = decodeTensor(
          fromBinary(TensorProtoSchema, await loadBytes(`${dir}/test_data_set_0/input_${i}.pb`)),
          `input ${i}`,
          { declared: model.inputs[i].dtype },
        );
        inputs[model.inputs[i].name] = { data: t.data, shape: t.shape };
      }
      const { outputs } = run(model, inputs);
      try {
        for (let i = 0; i < model.outputs.length; i++) {
          const want = decodeTensor(
            fromBinary(TensorProtoSchema, await loadBytes(`${dir}/test_data_set_0/output_${i}.pb`)),
            `output ${i}`,
            { declared: model.outputs[i].dtype },
          );
          // onnx 1.12's bfloat16 data truncates (newer onnx and its reference round to nearest
          // even, as glassbox does): allow one bfloat16 step, 2^-7 relative.
          const rtol = want.dtype === 'bfloat16' ? 2 ** -7 : 1e-3;
          const got = outputs[model.outputs[i].name];
          assert(
            got.shape.join() === want.shape.join(),
            `output ${i}: shape [${got.shape}], expected [${want.shape}]`,
          );
          const data = await got.read();
          const exact = !isFloat(want.dtype);
          for (let k = 0; k < want.data.length; k++) {
            const w = want.data[k];
            const g = data[k];
            const ok = exact
              ? g === w
              : Number.isNaN(w)
              ? Number.isNaN(g)
              : !Number.isFinite(w)
              ? g === w
              : Math.abs(g - w) <= 1e-7 + rtol * Math.abs(w);
            assert(ok, `output ${i} element ${k}: got ${g}, expected ${w}`);
          }
        }
      } finally {
        for (const t of Object.values(outputs)) t.destroy();
      }
    }, {
      ignore: SKIPPED[name] ??
        (ONNX_OPERATORS.has(op) ? undefined : `${op} is not implemented`),
    });
  }
}
