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

const getEngine = sharedEngine();

/** Cases glassbox does not run, with the reason. */
export const SKIPPED: Record<string, string> = {
  test_maxpool_with_argmax_2d_precomputed_pads: 'MaxPool Indices output is not supported',
  test_maxpool_with_argmax_2d_precomputed_strides: 'MaxPool Indices output is not supported',
  test_batchnorm_epsilon_training_mode: 'training mode: glassbox is an inference engine',
  test_batchnorm_example_training_mode: 'training mode: glassbox is an inference engine',
  test_training_dropout: 'training-mode Dropout is random: inference engine',
  test_training_dropout_default: 'training-mode Dropout is random: inference engine',
  test_training_dropout_default_mask: 'training-mode Dropout is random: inference engine',
  test_training_dropout_mask: 'training-mode Dropout is random: inference engine',
  test_training_dropout_zero_ratio_mask: 'training-mode Dropout is random: inference engine',
  test_castlike_BFLOAT16_to_FLOAT:
    "onnx 1.12's data gives 'like' shape [1], the model declares [3, 4] (glassbox checks shapes)",
  test_castlike_FLOAT_to_BFLOAT16:
    "onnx 1.12's data gives 'like' shape [1], the model declares [3, 4] (glassbox checks shapes)",
  test_castlike_BFLOAT16_to_FLOAT_expanded:
    "onnx 1.12's data gives 'like' shape [1], the model declares [3, 4] (glassbox checks shapes)",
  test_castlike_FLOAT_to_BFLOAT16_expanded:
    "onnx 1.12's data gives 'like' shape [1], the model declares [3, 4] (glassbox checks shapes)",
  test_cast_FLOAT_to_STRING: 'string tensors are not supported',
  test_cast_STRING_to_FLOAT: 'string tensors are not supported',
  test_castlike_FLOAT_to_STRING_expanded: 'string tensors are not supported',
  test_castlike_STRING_to_FLOAT_expanded: 'string tensors are not supported',
  test_identity_opt: 'optional types are not supported as runtime values',
  test_if_opt: 'optional types are not supported as runtime values',
  test_loop16_seq_none: 'optional types are not supported as runtime values',
  test_if_seq: 'sequence-typed graph outputs are not supported (sequences are folded)',
  test_loop13_seq: 'sequence-typed graph inputs are not supported (sequences are folded)',
  test_sequence_insert_at_back:
    'sequence-typed graph inputs are not supported (sequences are folded)',
  test_sequence_insert_at_front:
    'sequence-typed graph inputs are not supported (sequences are folded)',
  test_castlike_FLOAT_to_STRING: 'string tensors are not supported',
  test_castlike_STRING_to_FLOAT: 'string tensors are not supported',
  test_identity_sequence: 'sequences only live on the CPU (folded at plan time), not as inputs',
};

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
