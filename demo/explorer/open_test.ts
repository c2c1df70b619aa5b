// Unit tests of opening models (demo/explorer/open.ts) without an engine: the one-sentence error
// for files that are not ONNX, a model with unsupported operators opening with its problems and
// a drawable structure from the parsed graph, and URL names.
import { assert, assertEquals, assertRejects } from '../../test/assert.ts';
import { buildModel } from '../../test/onnx_builder.ts';
import { exampleOf, nameOfUrl, openModel, structureFromIr } from './open.ts';

const unsupported = () =>
  buildModel({
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: [{ name: 'w', dims: [4, 3], float: Array(12).fill(0.25) }],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'], name: 'mm' },
      { op: 'FrobnicateA', inputs: ['h'], outputs: ['h2'], name: 'f1' },
      { op: 'FrobnicateB', inputs: ['h2'], outputs: ['h3'], name: 'f2' },
      { op: 'FrobnicateA', inputs: ['h3'], outputs: ['y'], name: 'f3' },
    ],
  });

Deno.test('openModel: bytes that are not ONNX throw one plain sentence', async () => {
  const text = new TextEncoder().encode('These are my notes, not a model.\n');
  const e = await assertRejects(openModel(null, text, { name: 'notes.txt' }), Error);
  assertEquals(
    e.message,
    'notes.txt is not an ONNX model (it does not parse as an ONNX protobuf).',
  );
  const empty = await assertRejects(openModel(null, new Uint8Array(0), { name: 'e.onnx' }), Error);
  assertEquals(empty.message, 'e.onnx is empty.');
});

Deno.test('openModel: unsupported operators are listed, each with its nodes; the graph draws', async () => {
  const opened = await openModel(null, unsupported(), { name: 'odd.onnx' });
  assertEquals(opened.model, null);
  assertEquals(opened.structure, null);
  const ops = opened.problems.filter((p) => p.startsWith('The operator'));
  assertEquals(ops.length, 2);
  assert(ops.some((p) => p.includes('FrobnicateA') && p.includes('2 nodes: f1, f3')), ops.join());
  assert(ops.some((p) => p.includes('FrobnicateB') && p.includes('1 node: f2')), ops.join());
  assert(opened.problems.some((p) => p.includes('no WebGPU')), 'says there is no engine');
  const s = structureFromIr(opened.ir);
  assertEquals(s.nodes.map((n) => n.op).join(), 'MatMul,FrobnicateA,FrobnicateB,FrobnicateA');
  assertEquals(s.nodes[0].params, 12);
  assertEquals(s.nodes[0].shapes.w!.join(), '4,3');
  assertEquals(s.nodes[0].shapes.h, null);
  assertEquals(s.inputs[0].planned.join(), '1,4');
  assertEquals(s.outputs[0].shape!.join(), '1,3');
});

Deno.test('open: URL names and bundled examples by file or id', () => {
  assertEquals(nameOfUrl('https://h/a/b/My%20Net.onnx?v=2#x'), 'My Net.onnx');
  assertEquals(nameOfUrl('/models/mnist_cnn.onnx'), 'mnist_cnn.onnx');
  assertEquals(exampleOf('/models/mnist_cnn.onnx')?.id, 'mnist_cnn');
  assertEquals(exampleOf('text_transformer')?.id, 'text_transformer');
  assertEquals(exampleOf('/elsewhere/net.onnx'), undefined);
});
