// ONNX schema checks at load (issue 13): arity, omitted inputs, opset versions, attribute
// names and types, duplicate names, and graph structure, all found by parseOnnx whatever the
// input shapes. Each refusal starts from a control model that loads and changes one thing.
import { assert, assertEquals, assertThrows } from '../../test/assert.ts';
import { test } from '../../test/harness.ts';
import { buildModel, type NodeSpec, type ValueSpec } from '../../test/onnx_builder.ts';
import { ModelFormatError } from '../graph/errors.ts';
import { parseOnnx } from './parse.ts';
import { ONNX_OPERATORS } from './registry.ts';
import {
  attributeTypeName,
  checkNode,
  introducedIn,
  type NodeToCheck,
  onnxSchema,
  schemaOperators,
} from './schema.ts';

const X23: ValueSpec = { name: 'x', shape: [2, 3] };
const Y23: ValueSpec = { name: 'y', shape: [2, 3] };
const X1155: ValueSpec = { name: 'x', shape: [1, 1, 5, 5] };
const Y1155: ValueSpec = { name: 'y', shape: [1, 1, 5, 5] };
const CONV_W = { name: 'w', dims: [1, 1, 3, 3], float: [1, 2, 1, 0, 0, 0, -1, -2, -1] };

/** A model of one node over x [2, 3] (and `w` [3] when it reads it) with output y. */
function one(node: Omit<NodeSpec, 'outputs'> & { outputs?: string[] }, opset = 17) {
  return buildModel({
    nodes: [{ name: 'n', outputs: ['y'], ...node }],
    inputs: [X23],
    outputs: [Y23],
    initializers: node.inputs.includes('w') ? [{ name: 'w', dims: [3], float: [1, 2, 3] }] : [],
    opset,
  });
}

/** A Conv model over x [1, 1, 5, 5] with `ints` attributes. */
function conv(ints: Record<string, number | number[]>, inputs = ['x', 'w']) {
  return buildModel({
    nodes: [{ name: 'c', op: 'Conv', inputs, outputs: ['y'], ints }],
    inputs: [X1155],
    outputs: [Y1155],
    initializers: [CONV_W, { name: 'b', dims: [1], float: [0.5] }],
  });
}

test('onnxSchema: the version in force for an opset, arity and attributes', () => {
  const conv = onnxSchema('Conv', 17)!;
  assertEquals(conv.since, 11);
  assertEquals(conv.inputs.join(''), 'rro');
  assertEquals(`${conv.minInputs}-${conv.maxInputs}`, '2-3');
  assertEquals(
    [...conv.attributes.keys()].join(),
    'auto_pad,dilations,group,kernel_shape,pads,strides',
  );
  assertEquals(conv.attributes.get('group')?.type, 'i');
  assertEquals(conv.attributes.get('pads')?.type, 'I');
  // Versions: Add lost its broadcast attributes in opset 7.
  assert(onnxSchema('Add', 6)!.attributes.has('broadcast'), 'Add-6 has broadcast');
  assert(!onnxSchema('Add', 14)!.attributes.has('broadcast'), 'Add-14 has no broadcast');
  assertEquals(onnxSchema('Add', 14)!.since, 14);
  // Variadic and optional parameters.
  const loop = onnxSchema('Loop', 16)!;
  assertEquals(`${loop.minInputs}-${loop.maxInputs}`, '2-Infinity');
  assertEquals(loop.attributes.get('body')?.required, true);
  const concat = onnxSchema('Concat', 13)!;
  assertEquals(`${concat.minInputs}-${concat.maxInputs}`, '1-Infinity');
  // Operators of later opsets; unknown operators.
  assertEquals(onnxSchema('Gelu', 13), null);
  assertEquals(onnxSchema('Gelu', 20)!.since, 20);
  assertEquals(introducedIn('Gelu'), 20);
  assertEquals(onnxSchema('NoSuchOp', 17), undefined);
  // Deprecated versions keep the version before (glassbox still reads them).
  assertEquals(onnxSchema('Upsample', 13)!.since, 9);
  assertEquals(onnxSchema('GroupNormalization', 18)!.since, 18);
  assertEquals(attributeTypeName('I'), 'list of ints');
  assertEquals(attributeTypeName('g'), 'graph');
});

test('onnxSchema: every operator glassbox implements has a schema (regenerate the table)', () => {
  const known = new Set(schemaOperators());
  const missing = [...ONNX_OPERATORS.keys()].filter((op) => !known.has(op));
  assertEquals(
    missing.join(', '),
    '',
    'operators without a schema: run test/fixtures/make_onnx_schemas.py',
  );
});

test('checkNode: each kind of problem, named', () => {
  const ok: NodeToCheck = { name: 'n', op: 'Relu', inputs: ['x'], outputs: ['y'], attributes: [] };
  checkNode(ok, 17);
  checkNode({ ...ok, op: 'NotAnOnnxOp' }, 17); // left to the registry
  const fails = (node: Partial<NodeToCheck>, text: string) =>
    assertThrows(() => checkNode({ ...ok, ...node }, 17), ModelFormatError, text);
  fails({ inputs: ['x', 'x'] }, "Relu node 'n' has 2 inputs; Relu-14 takes 1 input");
  fails({ outputs: [] }, 'has 0 outputs; Relu-14 takes 1 output');
  fails({ op: 'Concat', inputs: [], attributes: [['axis', 'i']] }, 'takes at least 1 input');
  fails({ op: 'Clip', inputs: ['x', '', '', ''] }, 'has 4 inputs; Clip-13 takes 1 to 3 inputs');
  fails({ attributes: [['alpha', 'f']] }, "attribute 'alpha' that Relu-14 does not define");
  fails(
    { op: 'LeakyRelu', attributes: [['alpha', 'f'], ['alpha', 'f']] },
    "two attributes named 'alpha'",
  );
  fails(
    { op: 'LeakyRelu', attributes: [['alpha', 'i']] },
    "attribute 'alpha' as an int; LeakyRelu-16 defines it as a float",
  );
  fails({ op: 'Loop', inputs: ['', ''], outputs: ['y'] }, "lacks the attribute 'body'");
  fails({ op: 'Gelu' }, 'needs ONNX opset 20 or later');
});

test('parseOnnx: arity against the schema (issue 13: Mul with one input, Sub with three, Relu with two)', () => {
  parseOnnx(one({ op: 'Mul', inputs: ['x', 'x'] })); // control
  const cases: [Omit<NodeSpec, 'outputs'> & { outputs?: string[] }, string][] = [
    [{ op: 'Mul', inputs: ['x'] }, "Mul node 'n' has 1 input; Mul-14 takes 2 inputs"],
    [{ op: 'Sub', inputs: ['x', 'x', 'x'] }, "Sub node 'n' has 3 inputs; Sub-14 takes 2 inputs"],
    [{ op: 'Relu', inputs: ['x', 'x'] }, "Relu node 'n' has 2 inputs; Relu-14 takes 1 input"],
    [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y', 'z'] }, 'has 2 outputs; Add-14 takes 1'],
    [{ op: 'Sum', inputs: [] }, 'has 0 inputs; Sum-13 takes at least 1 input'],
  ];
  for (const [node, text] of cases) {
    assertThrows(() => parseOnnx(one(node)), ModelFormatError, text);
  }
});

test('parseOnnx: omitted inputs are allowed only where the schema makes them optional', () => {
  // Clip's min omitted (empty name), max given: fine.
  parseOnnx(buildModel({
    nodes: [{ op: 'Clip', inputs: ['x', '', 'max'], outputs: ['y'] }],
    inputs: [X23],
    outputs: [Y23],
    initializers: [{ name: 'max', dims: [], float: [1] }],
  }));
  // Conv's bias omitted by an empty trailing name: fine; its weight omitted: refused.
  parseOnnx(conv({}, ['x', 'w', '']));
  assertThrows(
    () => parseOnnx(conv({}, ['x', '', 'b'])),
    ModelFormatError,
    "Conv node 'c' omits input 1 (its name is empty), which Conv-11 requires",
  );
});

test('parseOnnx: operators of later opsets are refused (issue 13: Gelu under opset 13)', () => {
  parseOnnx(one({ op: 'Gelu', inputs: ['x'] }, 20)); // control
  assertThrows(
    () => parseOnnx(one({ op: 'Gelu', inputs: ['x'] }, 13)),
    ModelFormatError,
    "Gelu node 'n' needs ONNX opset 20 or later, where Gelu was introduced; the model imports " +
      'opset 13',
  );
  // The version in force decides: Split's sizes are an input from opset 13, num_outputs an
  // attribute from 18.
  const split = (opset: number) =>
    buildModel({
      nodes: [{ op: 'Split', inputs: ['x'], outputs: ['a', 'b'], ints: { num_outputs: 2 } }],
      inputs: [{ name: 'x', shape: [4] }],
      outputs: [{ name: 'a', shape: [2] }, { name: 'b', shape: [2] }],
      opset,
    });
  parseOnnx(split(18));
  assertThrows(() => parseOnnx(split(17)), ModelFormatError, "'num_outputs' that Split-13");
  // Deprecated versions still load with the version before (Upsample is deprecated from 10).
  parseOnnx(buildModel({
    nodes: [{ op: 'Upsample', inputs: ['x', 's'], outputs: ['y'] }],
    inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
    outputs: [{ name: 'y', shape: [1, 1, 4, 4] }],
    initializers: [{ name: 's', dims: [4], float: [1, 1, 2, 2] }],
    opset: 13,
  }));
});

test('parseOnnx: unknown and mistyped attributes are refused (issue 13: padq, gRoup)', () => {
  parseOnnx(conv({ pads: [1, 1, 1, 1], group: 1 })); // control
  assertThrows(
    () => parseOnnx(conv({ padq: [1, 1, 1, 1] })),
    ModelFormatError,
    "Conv node 'c' has an attribute 'padq' that Conv-11 does not define (it defines auto_pad, " +
      'dilations, group, kernel_shape, pads, strides)',
  );
  assertThrows(
    () => parseOnnx(conv({ gRoup: 1 })),
    ModelFormatError,
    "attribute 'gRoup' that Conv-11 does not define (did you mean 'group'?)",
  );
  // A list where an int belongs, and a float where an int list belongs.
  assertThrows(
    () => parseOnnx(conv({ group: [1] })),
    ModelFormatError,
    "attribute 'group' as a list of ints; Conv-11 defines it as an int",
  );
  assertThrows(
    () =>
      parseOnnx(buildModel({
        nodes: [{ name: 'c', op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], floats: { pads: 1 } }],
        inputs: [X1155],
        outputs: [Y1155],
        initializers: [CONV_W],
      })),
    ModelFormatError,
    "attribute 'pads' as a float; Conv-11 defines it as a list of ints",
  );
  // A required attribute missing.
  assertThrows(
    () =>
      parseOnnx(buildModel({
        nodes: [{ name: 'p', op: 'MaxPool', inputs: ['x'], outputs: ['y'] }],
        inputs: [X1155],
        outputs: [Y1155],
      })),
    ModelFormatError,
    "MaxPool node 'p' lacks the attribute 'kernel_shape', which MaxPool-12 requires",
  );
});

test('parseOnnx: names defined twice, graphs without outputs, domains not imported', () => {
  const add = (spec: Partial<Parameters<typeof buildModel>[0]>) =>
    buildModel({
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
      initializers: [{ name: 'w', dims: [3], float: [1, 2, 3] }],
      ...spec,
    });
  parseOnnx(add({})); // control
  assertThrows(
    () =>
      parseOnnx(add({
        initializers: [{ name: 'w', dims: [3], float: [1, 2, 3] }, {
          name: 'w',
          dims: [2, 3],
          float: [9, 9, 9, 9, 9, 9],
        }],
      })),
    ModelFormatError,
    "two initializers are named 'w'",
  );
  assertThrows(
    () => parseOnnx(add({ inputs: [X23, { name: 'x', shape: [4] }] })),
    ModelFormatError,
    "two graph inputs are named 'x'",
  );
  assertThrows(() => parseOnnx(add({ outputs: [] })), ModelFormatError, 'has no outputs');
  assertThrows(
    () =>
      parseOnnx(
        add({ nodes: [{ op: 'Foo', domain: 'com.example', inputs: ['x'], outputs: ['y'] }] }),
      ),
    ModelFormatError,
    "in the domain 'com.example', which the model does not import",
  );
  // Imported: left to the registry (an unsupported operator, reported at load with the others).
  parseOnnx(buildModel({
    nodes: [{ op: 'Foo', domain: 'com.example', inputs: ['x'], outputs: ['y'] }],
    inputs: [X23],
    outputs: [Y23],
    opsets: { 'com.example': 1 },
  }));
});

test('parseOnnx: structure errors surface at load even with symbolic dimensions', () => {
  const B3: ValueSpec = { name: 'x', shape: ['batch', 3] };
  const BY: ValueSpec = { name: 'y', shape: ['batch', 3] };
  const cases: [NodeSpec[], ValueSpec[], string][] = [
    [
      [{ op: 'Add', inputs: ['x', 'b'], outputs: ['a'], name: 'first' }, {
        op: 'Relu',
        inputs: ['a'],
        outputs: ['b'],
        name: 'second',
      }],
      [{ name: 'b', shape: ['batch', 3] }],
      'the nodes form a cycle: first → second → first',
    ],
    [[{ op: 'Add', inputs: ['x', 'y'], outputs: ['y'], name: 'self' }], [BY], 'cycle: self → self'],
    [
      [{ op: 'Add', inputs: ['x', 'nowhere'], outputs: ['y'], name: 'a' }],
      [BY],
      "node 'a' (Add) reads 'nowhere', which no node, input or initializer defines",
    ],
    [[{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], [{ name: 'z', shape: [2] }], "'z' is never"],
    [
      [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }, {
        op: 'Neg',
        inputs: ['x'],
        outputs: ['y'],
        name: 'n',
      }],
      [BY],
      "tensor 'y' is defined twice (node 'n' and node 'r')",
    ],
    [
      [{ op: 'Relu', inputs: ['x'], outputs: ['x'], name: 'r' }, {
        op: 'Neg',
        inputs: ['x'],
        outputs: ['y'],
      }],
      [BY],
      "tensor 'x' is defined twice (node 'r', and a graph input or initializer)",
    ],
  ];
  parseOnnx(
    buildModel({
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      inputs: [B3],
      outputs: [BY],
    }),
  );
  for (const [nodes, outputs, text] of cases) {
    assertThrows(
      () => parseOnnx(buildModel({ nodes, inputs: [B3], outputs })),
      ModelFormatError,
      text,
    );
  }
});

/** An If over a constant condition whose branches are given. */
function ifModel(thenNodes: NodeSpec[], thenOut: string, cond = 1) {
  const branch = (nodes: NodeSpec[], out: string) => ({
    nodes,
    inputs: [],
    outputs: [{ name: out, shape: [3] }],
  });
  return buildModel({
    nodes: [
      {
        op: 'Constant',
        inputs: [],
        outputs: ['c'],
        tensor: { value: { dims: [], int64: [cond] } },
      },
      { op: 'Cast', inputs: ['c'], outputs: ['cond'], ints: { to: 9 } },
      {
        op: 'If',
        name: 'if',
        inputs: ['cond'],
        outputs: ['y'],
        graphs: {
          then_branch: branch(thenNodes, thenOut),
          else_branch: branch([{ op: 'Neg', inputs: ['x'], outputs: ['e'] }], 'e'),
        },
      },
    ],
    inputs: [{ name: 'x', shape: [3] }],
    outputs: [{ name: 'y', shape: [3] }],
  });
}

test('parseOnnx: subgraphs are checked in their scope, taken or not', () => {
  const ir = parseOnnx(ifModel([{ op: 'Relu', inputs: ['x'], outputs: ['t'] }], 't', 0));
  assertEquals(ir.graph.nodes.length, 3); // control: reads x from the outer scope
  assertThrows(
    () => parseOnnx(ifModel([{ op: 'Relu', inputs: ['ghost'], outputs: ['t'] }], 't', 0)),
    ModelFormatError,
    "node 'if' (If) reads 'ghost' in a subgraph, which no node, input or initializer defines",
  );
  // A subgraph may not redefine a name of the graph around it.
  assertThrows(
    () => parseOnnx(ifModel([{ op: 'Relu', inputs: ['x'], outputs: ['c'] }], 'c', 0)),
    ModelFormatError,
    "tensor 'c' is defined twice (node 'Relu_0', and the enclosing graph)",
  );
  // Subgraph nodes are checked against their schemas too.
  assertThrows(
    () => parseOnnx(ifModel([{ op: 'Relu', inputs: ['x', 'x'], outputs: ['t'] }], 't', 0)),
    ModelFormatError,
    "Relu node 'Relu_0' has 2 inputs",
  );
});

test('parseOnnx: initializers listed as inputs are not runtime inputs, and are noted as overridable', () => {
  const ir = parseOnnx(buildModel({
    nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
    inputs: [X23, { name: 'w', shape: [3] }],
    outputs: [Y23],
    initializers: [{ name: 'w', dims: [3], float: [1, 2, 3] }],
    irVersion: 3,
  }));
  assertEquals(ir.graph.inputs.map((v) => v.name).join(), 'x');
  assertEquals(ir.graph.initializerInputs?.map((v) => v.name).join(), 'w');
  // An input without a declared shape parses (its shape comes from the data at run time).
  const free = parseOnnx(buildModel({
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    inputs: [{ name: 'x', shape: null }],
    outputs: [{ name: 'y', shape: null }],
  }));
  assertEquals(free.graph.inputs[0].shape, undefined);
});
