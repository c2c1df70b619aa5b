// Invalid models refused at load (issue 13, item 7): each case is a control model that loads,
// with one thing broken, and must fail with a typed error naming what is wrong: an ir_version
// ONNX does not define, an input, output or initializer of no (or an unknown) element type, and
// graph outputs declared with a type or shape the graph does not compute. Valid corner cases
// (initializers listed as inputs and fed, inputs without a shape, symbolic output dimensions,
// a fixed batch run at another batch) still load.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { type ModelProto, ModelProtoSchema, TensorProto_DataType, Version } from 'onnx-buf';
import { assertArrayEquals, assertEquals, assertThrows } from './assert.ts';
import { sharedEngine, test, testGpu } from './harness.ts';
import { buildModel, type GraphSpec } from './onnx_builder.ts';
import { ModelFormatError } from '../src/graph/errors.ts';
import { loadModel, run } from '../src/onnx/model.ts';
import { parseOnnx } from '../src/onnx/parse.ts';

const FLOAT = TensorProto_DataType.FLOAT;
const INT64 = TensorProto_DataType.INT64;
const getEngine = sharedEngine();

/** The control: y = Relu(x + w) over x [2, 3], w [3]. */
const CONTROL: GraphSpec = {
  nodes: [
    { op: 'Add', inputs: ['x', 'w'], outputs: ['s'] },
    { op: 'Relu', inputs: ['s'], outputs: ['y'] },
  ],
  inputs: [{ name: 'x', shape: [2, 3] }],
  outputs: [{ name: 'y', shape: [2, 3] }],
  initializers: [{ name: 'w', dims: [3], float: [1, -2, 3] }],
};

/** The control model with `change` applied to its protobuf. */
function broken(
  change: (m: ModelProto) => void,
  spec: Partial<Parameters<typeof buildModel>[0]> = {},
): Uint8Array {
  const m = fromBinary(ModelProtoSchema, buildModel({ ...CONTROL, ...spec }));
  change(m);
  return toBinary(ModelProtoSchema, m);
}

/** Sets the element type of a main-graph input or output. */
function elemType(list: 'input' | 'output', code: number) {
  return (m: ModelProto) => {
    const type = m.graph![list][0].type!;
    if (type.value.case === 'tensorType') type.value.value.elemType = code;
  };
}

/** Refused by the parser whatever the input shapes. */
const PARSE_CASES: [string, Uint8Array, string][] = [
  [
    'ir_version newer than ONNX defines',
    broken((m) => (m.irVersion = 99n)),
    `its ir_version 99 is not an ONNX IR version glassbox knows (1 to ${Version.IR_VERSION})`,
  ],
  [
    'negative ir_version',
    broken((m) => (m.irVersion = -1n)),
    'its ir_version -1 is not an ONNX IR version',
  ],
  ['missing ir_version', broken((m) => (m.irVersion = 0n)), 'no ir_version'],
  [
    'input of element type UNDEFINED',
    broken(elemType('input', 0)),
    "input 'x' declares element type UNDEFINED (0)",
  ],
  [
    'input of element type STRING',
    broken(elemType('input', TensorProto_DataType.STRING)),
    "input 'x': element type STRING is not supported",
  ],
  [
    'input of an unknown element type code',
    broken(elemType('input', 77)),
    "input 'x': element type code 77 is not supported",
  ],
  [
    'output of element type UNDEFINED',
    broken(elemType('output', 0)),
    "output 'y' declares element type UNDEFINED (0)",
  ],
  [
    'initializer of element type UNDEFINED',
    broken((m) => (m.graph!.initializer[0].dataType = 0)),
    "tensor 'w': element type UNDEFINED is not supported",
  ],
  [
    'initializer listed as an input, declared UNDEFINED',
    broken(elemType('input', 0), {
      inputs: [{ name: 'w', shape: [3] }, ...CONTROL.inputs],
      irVersion: 3,
    }),
    "input 'w' declares element type UNDEFINED (0)",
  ],
];

for (const [name, bytes, message] of PARSE_CASES) {
  test(`invalid model refused by parseOnnx: ${name}`, () => {
    assertThrows(() => parseOnnx(bytes), ModelFormatError, message);
  });
}

test('parseOnnx: the control model and the newest known ir_version parse', () => {
  assertEquals(parseOnnx(buildModel(CONTROL)).graph.inputs[0].dtype, 'float32');
  const newest = broken((m) => (m.irVersion = BigInt(Version.IR_VERSION)));
  assertEquals(parseOnnx(newest).irVersion, Version.IR_VERSION);
});

/** Refused by loadModel, once planned: the declared outputs contradict the graph. */
const LOAD_CASES: [string, Partial<GraphSpec>, string][] = [
  [
    'output declared int64 but computed float',
    { outputs: [{ name: 'y', type: INT64, shape: [2, 3] }] },
    "output 'y' is declared int64 but the graph computes float32",
  ],
  [
    'output declared float but computed int64',
    {
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['y'] }],
      outputs: [{ name: 'y', type: FLOAT, shape: [2] }],
      initializers: [],
    },
    "output 'y' is declared float32 but the graph computes int64",
  ],
  [
    'output declared [2, 4] but computed [2, 3]',
    { outputs: [{ name: 'y', shape: [2, 4] }] },
    "output 'y' is declared with shape [2, 4] but the graph computes [2, 3]",
  ],
  [
    'output declared of rank 3 but computed rank 2',
    { outputs: [{ name: 'y', shape: [1, 2, 3] }] },
    "output 'y' is declared with shape [1, 2, 3] but the graph computes [2, 3]",
  ],
  [
    'output declared with a wrong dimension beside a symbolic one',
    { outputs: [{ name: 'y', shape: ['n', 5] }] },
    "output 'y' is declared with shape [n, 5] but the graph computes [2, 3]",
  ],
];

for (const [name, spec, message] of LOAD_CASES) {
  testGpu(`invalid model refused by loadModel: ${name}`, getEngine, async (engine) => {
    const bytes = buildModel({ ...CONTROL, ...spec });
    parseOnnx(bytes); // the file itself reads; the contradiction shows once planned
    assertThrows(() => loadModel(engine, bytes), ModelFormatError, message);
    await Promise.resolve();
  });
}

testGpu('loadModel: valid corner cases still load', getEngine, async (engine) => {
  // The control, and outputs declared with symbolic, unknown or no dimensions.
  loadModel(engine, buildModel(CONTROL)).destroy();
  for (const shape of [['a', 'b'], [2, 'b'], null]) {
    loadModel(engine, buildModel({ ...CONTROL, outputs: [{ name: 'y', shape }] })).destroy();
  }
  // An input without a declared shape.
  loadModel(engine, buildModel({ ...CONTROL, inputs: [{ name: 'x', shape: null }] })).destroy();
  // A symbolic batch given in options: an output whose batch an exporter fixed at its example's
  // (1) is not refused for it.
  loadModel(
    engine,
    buildModel({
      ...CONTROL,
      inputs: [{ name: 'x', shape: ['batch', 3] }],
      outputs: [{ name: 'y', shape: [1, 3] }],
    }),
    { dimensions: { batch: 4 } },
  ).destroy();
  // An initializer listed as an input (IR ≥ 4) loads, and a fed value overrides it.
  const model = loadModel(
    engine,
    buildModel({ ...CONTROL, inputs: [...CONTROL.inputs, { name: 'w', shape: [3] }] }),
  );
  const x = { data: new Float32Array([1, 1, 1, -1, -1, -1]), shape: [2, 3] };
  const base = await run(model, { x });
  assertArrayEquals(await base.outputs.y.read(), [2, 0, 4, 0, 0, 2]);
  const fed = await run(model, { x, w: { data: new Float32Array([0, 0, 0]), shape: [3] } });
  assertArrayEquals(await fed.outputs.y.read(), [1, 1, 1, 0, 0, 0]);
  for (const t of [base.outputs.y, fed.outputs.y]) t.destroy();
  model.destroy();
  // A fixed batch of 1 still runs at batch 3 (its output declared with the fixed batch).
  const fixed = loadModel(
    engine,
    buildModel({
      ...CONTROL,
      inputs: [{ name: 'x', shape: [1, 3] }],
      outputs: [{ name: 'y', shape: [1, 3] }],
    }),
  );
  const three = await run(fixed, { x: { data: new Float32Array(9).fill(1), shape: [3, 3] } });
  assertArrayEquals(three.outputs.y.shape, [3, 3]);
  three.outputs.y.destroy();
  fixed.destroy();
});
