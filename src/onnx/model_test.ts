import {
  assert,
  assertArrayEquals,
  assertClose,
  assertEquals,
  assertThrows,
} from '../../test/assert.ts';
import { loadBytes } from '../../test/files.ts';
import { RUNNER, sharedEngine, testGpu } from '../../test/harness.ts';
import { buildModel } from '../../test/onnx_builder.ts';
import { mulberry32 } from '../../test/random.ts';
import { ArgumentError, GlassboxError, LimitExceededError, ShapeError } from '../gpu/errors.ts';
import { ModelFormatError, UnsupportedOperatorError } from '../graph/errors.ts';
import { loadModel, run } from './model.ts';
import { modelStructure } from './structure.ts';

const getEngine = sharedEngine();

const relu = (extra: Partial<Parameters<typeof buildModel>[0]> = {}) =>
  buildModel({
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    inputs: [{ name: 'x', shape: ['batch', 3] }],
    outputs: [{ name: 'y', shape: ['batch', 3] }],
    ...extra,
  });

testGpu(
  'run: dynamic batch, host data or tensors in, outputs and kept intermediates out',
  getEngine,
  async (engine) => {
    const bytes = buildModel({
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
        { op: 'Relu', inputs: ['h'], outputs: ['r'] },
        { op: 'Softmax', inputs: ['r'], outputs: ['p'], ints: { axis: -1 } },
      ],
      inputs: [{ name: 'x', shape: ['batch', 2] }],
      outputs: [{ name: 'p', shape: ['batch', 2] }],
      initializers: [{ name: 'w', dims: [2, 2], float: [1, -1, 2, 0] }],
    });
    using model = loadModel(engine, bytes);
    for (const batch of [1, 5]) {
      const x = Float32Array.from({ length: 2 * batch }, (_, i) => i / 4);
      const { outputs, intermediates } = run(model, { x: { data: x, shape: [batch, 2] } }, {
        keep: ['h'],
      });
      assertArrayEquals(outputs.p.shape, [batch, 2]);
      const h = await intermediates.h.read();
      const p = await outputs.p.read();
      for (let b = 0; b < batch; b++) {
        const [x0, x1] = [x[2 * b], x[2 * b + 1]];
        const hb = [x0 + 2 * x1, -x0];
        assertClose([h[2 * b], h[2 * b + 1]], hb, { atol: 1e-6 });
        const r = hb.map((v) => Math.max(v, 0));
        const e = r.map((v) => Math.exp(v - Math.max(...r)));
        assertClose([p[2 * b], p[2 * b + 1]], e.map((v) => v / (e[0] + e[1])), { atol: 1e-6 });
      }
      outputs.p.destroy();
      intermediates.h.destroy();
    }
  },
);

testGpu(
  'run: intermediates reuse released buffers (a second run allocates nothing new)',
  getEngine,
  async (engine) => {
    using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
    const x = { data: new Float32Array(4 * 784).fill(0.5), shape: [4, 1, 28, 28] };
    const name = model.inputs[0].name;
    const first = run(model, { [name]: x }).outputs;
    const expected = await first[model.outputs[0].name].read();
    for (const t of Object.values(first)) t.destroy();
    const before = engine.tensorBuffersCreated;
    const second = run(model, { [name]: x }).outputs;
    const got = await second[model.outputs[0].name].read();
    for (const t of Object.values(second)) t.destroy();
    // Small uniform/geometry tables are new; no tensor buffer is: the input upload reuses the
    // first run's input buffer (released before the first run's commands were submitted).
    assertEquals(engine.tensorBuffersCreated - before, 0, 'no new tensor buffer');
    assertArrayEquals(got, expected);
  },
);

testGpu('run: bad inputs are named', getEngine, async (engine) => {
  using model = loadModel(engine, relu());
  assertThrows(() => run(model, {}), ArgumentError, "input 'x' is missing");
  assertThrows(() => run(model, { x: { data: [1, 2, 3], shape: [3] } }), ShapeError, 'rank 2');
  assertThrows(() => run(model, { x: { data: [1, 2], shape: [1, 3] } }), ShapeError, '2 values');
  assertThrows(
    () => run(model, { x: { data: [1, 2, 3], shape: [1, 3] }, z: { data: [1], shape: [1] } }),
    ArgumentError,
    'unknown input z',
  );
  await Promise.resolve();
});

testGpu('bad models fail fast with typed errors', getEngine, async (engine) => {
  const mnist = await loadBytes('models/mnist_cnn.onnx');
  assertThrows(() => loadModel(engine, new Uint8Array()), ModelFormatError, 'empty');
  assertThrows(() => loadModel(engine, mnist.subarray(0, mnist.length / 2)), ModelFormatError);
  assertThrows(
    () => loadModel(engine, new TextEncoder().encode('{"not": "onnx"}')),
    ModelFormatError,
  );
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  assertThrows(() => loadModel(engine, png), ModelFormatError);
  // A cycle: a → b → a.
  assertThrows(
    () =>
      loadModel(
        engine,
        buildModel({
          nodes: [
            { op: 'Add', inputs: ['x', 'b'], outputs: ['a'], name: 'first' },
            { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'second' },
          ],
          inputs: [{ name: 'x', shape: [3] }],
          outputs: [{ name: 'b', shape: [3] }],
        }),
      ),
    ModelFormatError,
    'cycle',
  );
  // A dangling name.
  assertThrows(
    () =>
      loadModel(
        engine,
        buildModel({
          nodes: [{ op: 'Add', inputs: ['x', 'ghost'], outputs: ['y'], name: 'adder' }],
          inputs: [{ name: 'x', shape: [3] }],
          outputs: [{ name: 'y', shape: [3] }],
        }),
      ),
    ModelFormatError,
    "node 'adder' (Add) reads 'ghost'",
  );
  // Every unsupported operator, with its nodes, in one error.
  const error = assertThrows(
    () =>
      loadModel(
        engine,
        buildModel({
          nodes: [
            { op: 'Foo', inputs: ['x'], outputs: ['a'], name: 'f1' },
            { op: 'Bar', inputs: ['a'], outputs: ['b'], name: 'b1' },
            { op: 'Foo', inputs: ['b'], outputs: ['y'], name: 'f2' },
          ],
          inputs: [{ name: 'x', shape: [3] }],
          outputs: [{ name: 'y', shape: [3] }],
        }),
      ),
    UnsupportedOperatorError,
    '2 unsupported operators: Foo (f1, f2); Bar (b1)',
  ) as UnsupportedOperatorError;
  assertEquals(error.operators.Foo.join(), 'f1,f2');
  // Opsets beyond support.
  assertThrows(() => loadModel(engine, relu({ opset: 99 })), UnsupportedOperatorError, 'opset 99');
  // A constant that would not fit the device, caught before any allocation.
  assertThrows(
    () =>
      loadModel(
        engine,
        buildModel({
          nodes: [
            {
              op: 'ConstantOfShape',
              inputs: ['s'],
              outputs: ['big'],
              name: 'huge',
            },
            { op: 'Add', inputs: ['x', 'big'], outputs: ['y'] },
          ],
          inputs: [{ name: 'x', shape: [1] }],
          outputs: [{ name: 'y', shape: [1] }],
          initializers: [{ name: 's', dims: [2], int64: [1 << 20, 1 << 20] }],
        }),
      ),
    LimitExceededError,
    "ConstantOfShape node 'huge'",
  );
  // A weight whose declared size does not match its data.
  assertThrows(
    () =>
      loadModel(
        engine,
        buildModel({
          nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
          inputs: [{ name: 'x', shape: [3] }],
          outputs: [{ name: 'y', shape: [3] }],
          initializers: [{ name: 'w', dims: [1000000, 1000000], float: [1, 2, 3] }],
        }),
      ),
    ModelFormatError,
    "tensor 'w'",
  );
});

testGpu(
  'a shape subgraph is folded at plan time by the general mechanism',
  getEngine,
  async (engine) => {
    // y = Reshape(x, Concat(Gather(Shape(x), 0), [-1])): PyTorch's flatten pattern.
    const bytes = buildModel({
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], ints: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], ints: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: ['batch', 2, 3] }],
      outputs: [{ name: 'y', shape: ['batch', 6] }],
      initializers: [
        { name: 'zero', dims: [], int64: [0] },
        { name: 'axes', dims: [1], int64: [0] },
        { name: 'minus1', dims: [1], int64: [-1] },
      ],
    });
    using model = loadModel(engine, bytes);
    const structure = modelStructure(model, { dimensions: { batch: 4 } });
    assertEquals(structure.totals.gpuNodes, 1, 'only the Reshape (a view) is left');
    assertEquals(structure.nodes.filter((n) => n.folded).length, 4);
    assertArrayEquals(structure.outputs[0].shape!, [4, 6]);
    const { outputs } = run(model, {
      x: { data: new Float32Array(24).map((_, i) => i), shape: [4, 2, 3] },
    });
    assertArrayEquals(outputs.y.shape, [4, 6]);
    assertArrayEquals(await outputs.y.read(), Array.from({ length: 24 }, (_, i) => i));
    outputs.y.destroy();
  },
);

testGpu('structure data: params and FLOPs of the MNIST CNN', getEngine, async (engine) => {
  using model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
  const s = modelStructure(model);
  assertEquals(s.totals.params, 52138);
  const conv = s.nodes.find((n) => n.op === 'Conv')!;
  assert(conv.flops > 0 && conv.params > 0, 'conv has params and flops');
  assertArrayEquals(s.outputs[0].shape!, [1, 10]);
  await Promise.resolve();
});

testGpu(
  'fuzz: mutated model files fail with glassbox errors, never anything else',
  getEngine,
  async (engine) => {
    const original = await loadBytes('models/mnist_cnn.onnx');
    const next = mulberry32(20261129);
    const iterations = RUNNER === 'deno' ? 400 : 100;
    let loaded = 0;
    for (let it = 0; it < iterations; it++) {
      const bytes = original.slice();
      const kind = it % 3;
      if (kind === 0) {
        // Bit flips.
        for (let k = 0; k < 1 + Math.floor(next() * 8); k++) {
          const at = Math.floor(next() * bytes.length);
          bytes[at] ^= 1 << Math.floor(next() * 8);
        }
      } else if (kind === 1) {
        // Truncation.
        const cut = Math.floor(next() * bytes.length);
        await check(bytes.subarray(0, cut), it);
        continue;
      } else {
        // Field corruption: overwrite a run of bytes in the first (structural) kilobytes, where
        // the graph's nodes, names and shapes are.
        const at = Math.floor(next() * Math.min(bytes.length, 4096));
        for (let k = 0; k < 4; k++) bytes[at + k] = Math.floor(next() * 256);
      }
      await check(bytes, it);
    }
    console.log(`fuzz: ${iterations} mutations, ${loaded} still loaded and ran`);

    async function check(bytes: Uint8Array, it: number) {
      try {
        using model = loadModel(engine, bytes);
        const shape = model.inputs[0]?.shape?.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
        if (!shape) return;
        const { outputs } = run(model, {
          [model.inputs[0].name]: {
            data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
            shape,
          },
        });
        for (const t of Object.values(outputs)) {
          await t.read();
          t.destroy();
        }
        loaded++;
      } catch (error) {
        if (!(error instanceof GlassboxError)) {
          throw new Error(`mutation ${it}: non-glassbox error ${(error as Error)?.stack ?? error}`);
        }
      }
    }
  },
  { timeout: 600_000 },
);

testGpu('run after destroy is an error', getEngine, async (engine) => {
  const model = loadModel(engine, relu());
  model.destroy();
  model.destroy();
  assertThrows(
    () => run(model, { x: { data: [1, 2, 3], shape: [1, 3] } }),
    ArgumentError,
    'destroyed',
  );
  await Promise.resolve();
});
