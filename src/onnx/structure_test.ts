// The model overview reports how the weights are stored (half precision upcast, quantized
// weights dequantized at load, integer operators, external data files), and models stored
// those ways load and run.
import {
  assert,
  assertArrayEquals,
  assertClose,
  assertEquals,
  assertThrows,
} from '../../test/assert.ts';
import { loadBytes } from '../../test/files.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { buildTypedModel, dynamicModel, qdqModel } from '../../test/quant_models.ts';
import { loadModel, run } from './model.ts';
import { MissingExternalDataError } from './parse.ts';
import { modelStructure } from './structure.ts';

const getEngine = sharedEngine();

testGpu('structure: a QDQ model reports int8 weights dequantized at load', getEngine, async (e) => {
  using model = loadModel(e, qdqModel());
  const s = modelStructure(model);
  const int8 = s.weights.stored.find((t) => t.dtype === 'int8')!;
  assertEquals(int8.tensors, 4); // two weights, two zero-point tensors
  assertEquals(s.weights.dequantized.length, 1);
  assertEquals(s.weights.dequantized[0].dtype, 'int8');
  assertEquals(s.weights.dequantized[0].elements, 18 + 150);
  assert(
    s.weights.notes.includes('int8 weights dequantized at load (2 tensors, 168 values)'),
    s.weights.notes.join('; '),
  );
  // The Conv and MatMul read float weights (folded): they count as parameters.
  assertEquals(s.nodes.find((n) => n.op === 'Conv')!.params, 18 + 2);
  assertEquals(s.weights.externalFiles.length, 0);
  await Promise.resolve();
});

testGpu(
  'structure: a dynamic quantized model reports its integer operator',
  getEngine,
  async (e) => {
    using model = loadModel(e, dynamicModel());
    const s = modelStructure(model);
    assert(
      s.weights.notes.some((n) => n.startsWith('1 integer operator (MatMulInteger)')),
      s.weights.notes.join('; '),
    );
    assertEquals(s.weights.dequantized.length, 0);
    await Promise.resolve();
  },
);

testGpu(
  'float16 and bfloat16 weights: upcast at load, run in f32, reported',
  getEngine,
  async (e) => {
    // x (float16 [2, 3]) → MatMul(W float16) → Add(Constant float16) → Cast(float) → y; a second
    // branch through a bfloat16 weight: Cast(x→bfloat16) · V (bfloat16) → Cast(float) → z.
    const w = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6];
    const v = [1.5, -0.75, 3.25];
    const { bytes } = buildTypedModel({
      nodes: [
        {
          op: 'Constant',
          inputs: [],
          outputs: ['c'],
          tensors: { value: { name: 'c', type: 'float16', dims: [2], values: [0.5, -1] } },
        },
        { op: 'MatMul', inputs: ['x', 'W'], outputs: ['xw'] },
        { op: 'Add', inputs: ['xw', 'c'], outputs: ['h'] },
        { op: 'Cast', inputs: ['h'], outputs: ['y'], ints: { to: 1 } },
        { op: 'Cast', inputs: ['x'], outputs: ['xb'], ints: { to: 16 } },
        { op: 'Mul', inputs: ['xb', 'V'], outputs: ['zb'] },
        { op: 'Cast', inputs: ['zb'], outputs: ['z'], ints: { to: 1 } },
      ],
      inputs: [{ name: 'x', type: 'float16', shape: [2, 3] }],
      outputs: [{ name: 'y', shape: [2, 2] }, { name: 'z', shape: [2, 3] }],
      initializers: [
        { name: 'W', type: 'float16', dims: [3, 2], values: w },
        { name: 'V', type: 'bfloat16', dims: [3], values: v },
      ],
    });
    using model = loadModel(e, bytes);
    assertEquals(model.inputs[0].dtype, 'float16');
    // The weights are the float16 values nearest to the given ones, exactly.
    const W = model.ir.graph.initializers.get('W')!;
    assertEquals(W.dtype, 'float16');
    assertArrayEquals(W.data, [
      0.0999755859375,
      -0.199951171875,
      0.300048828125,
      0.39990234375,
      -0.5,
      0.60009765625,
    ]);
    const x = [1, 2, -1, 0.5, 0.25, 4];
    // A float16 input takes float data (computed in f32).
    const { outputs } = run(model, { x: { data: new Float32Array(x), shape: [2, 3] } });
    try {
      const y = await outputs.y.read();
      const want = [0, 1].flatMap((r) =>
        [0, 1].map((c) =>
          [0, 1, 2].reduce((s, k) => s + x[3 * r + k] * W.data[2 * k + c], [0.5, -1][c])
        )
      );
      // f32 arithmetic on exact float16 values: 3 products and 3 additions, |y| ≤ 4.
      assertClose(y, want, { atol: 4 * 6 * 2 ** -24 * 4 });
      // x·V with x cast to bfloat16 (x is on the bfloat16 grid already) is exact.
      assertArrayEquals(await outputs.z.read(), x.map((u, i) => u * v[i % 3]));
    } finally {
      for (const t of Object.values(outputs)) t.destroy();
    }
    const s = modelStructure(model);
    assertEquals(s.weights.stored.find((t) => t.dtype === 'float16')!.elements, 8);
    assert(
      s.weights.notes.includes('float16 weights upcast to float32 (2 tensors, 8 values)') &&
        s.weights.notes.includes('bfloat16 weights upcast to float32 (1 tensor, 3 values)'),
      s.weights.notes.join('; '),
    );
  },
);

testGpu(
  'external data: onnx-saved side files load when given, else a typed error',
  getEngine,
  async (e) => {
    const bytes = await loadBytes('test/fixtures/external/model.onnx');
    const e1 = assertThrows(() => loadModel(e, bytes), MissingExternalDataError, "'weights.bin'");
    assertArrayEquals(
      (e1 as MissingExternalDataError).files as unknown as number[],
      ['weights.bin'] as unknown as number[],
    );
    using model = loadModel(e, bytes, {
      externalData: { 'weights.bin': await loadBytes('test/fixtures/external/weights.bin') },
    });
    const { outputs } = run(model, {
      x: { data: new Float32Array([1, -2, 0.5, 3]), shape: [1, 4] },
    });
    try {
      // The values make_external_data.py printed: exact in f32.
      assertArrayEquals(await outputs.y.read(), [1.5, 0.4375, 1.375]);
    } finally {
      outputs.y.destroy();
    }
    const s = modelStructure(model);
    assertArrayEquals(
      s.weights.externalFiles as unknown as number[],
      ['weights.bin'] as unknown as number[],
    );
    assert(
      s.weights.notes.includes('1 external data file (weights.bin)') &&
        s.weights.notes.includes('float16 weights upcast to float32 (1 tensor, 3 values)'),
      s.weights.notes.join('; '),
    );
  },
);
