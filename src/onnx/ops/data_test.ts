// The data-movement operators through the ONNX loader: for each case, the GPU forward against
// the operator's own plan-time fold (the same node with every input an initializer), and the
// reverse-mode gradients (src/grad/backward.ts) against central differences of the operator's
// f64 CPU evaluation (`cpu()` on float64 inputs); then the typed errors.
//
// Tolerances. Forward: the data-movement operators copy (exact); CumSum and Einsum add at most
// 8 f32 products of values in [−1, 1) (≤ 8·u·8 ≈ 4e-6 with u = 2⁻²⁴): |Δ| ≤ 1e-5. Gradients:
// relative L2 ≤ 1e-5 — each is a sum of ≤ 12 f32 terms of magnitude ≤ 1 (error ≤ 12·u relative
// per element), and the differences of the f64 CPU evaluation are exact up to rounding (every
// output is linear in each input element); a wrong position or a missed accumulation changes
// the result by O(1).
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AttributeProto_AttributeType, AttributeProtoSchema, ModelProtoSchema } from 'onnx-buf';
import {
  assert,
  assertArrayEquals,
  assertClose,
  assertThrows,
  relativeL2,
} from '../../../test/assert.ts';
import { finiteDifferenceGradient } from '../../../test/finite_difference.ts';
import { sharedEngine, testGpu } from '../../../test/harness.ts';
import { buildModel, type NodeSpec } from '../../../test/onnx_builder.ts';
import { uniform } from '../../../test/random.ts';
import { backward } from '../../grad/backward.ts';
import { NodeError } from '../../graph/errors.ts';
import { type CpuTensor, elementCount } from '../../graph/ir.ts';
import type { OpContext } from '../../graph/operator.ts';
import { tensor } from '../../tensor.ts';
import { loadModel, run } from '../model.ts';
import { DATA_OPS } from './data.ts';

const getEngine = sharedEngine();

const FLOAT = 1;
const INT64 = 7;

/** An input of a case: a runtime graph input (`runtime`) or an initializer. */
interface InputSpec {
  name: string;
  shape: number[];
  data: number[];
  int?: boolean;
  runtime?: boolean;
}

interface Case {
  name: string;
  op: string;
  opset: number;
  inputs: InputSpec[];
  ints?: Record<string, number | number[]>;
  floats?: Record<string, number>;
  strings?: Record<string, string>;
  /** Runtime float inputs to differentiate with respect to (default: every runtime float). */
  wrt?: string[];
}

/** Adds string attributes to node 0 (test/onnx_builder.ts writes numbers and tensors only). */
function withStrings(bytes: Uint8Array, strings: Record<string, string>): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bytes);
  for (const [name, s] of Object.entries(strings)) {
    model.graph!.node[0].attribute.push(create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode(s),
    }));
  }
  return toBinary(ModelProtoSchema, model);
}

/** The case's node evaluated by the operator's `cpu()` (f64 for float inputs). */
function cpuEval(c: Case, data: (ArrayLike<number> | undefined)[] = [], f64 = true): CpuTensor {
  const values = c.inputs.map((t, i): CpuTensor | undefined =>
    t.name === '' ? undefined : {
      dtype: t.int ? 'int64' : f64 ? 'float64' : 'float32',
      shape: t.shape,
      data: (t.int || f64 ? Float64Array : Float32Array).from(data[i] ?? t.data),
    }
  );
  const attributes: Record<string, number | number[] | string> = {
    ...c.ints,
    ...c.floats,
    ...c.strings,
  };
  const ctx: OpContext = {
    node: {
      name: `${c.op}_node`,
      op: c.op,
      domain: '',
      inputs: c.inputs.map((t) => t.name),
      outputs: ['y'],
      attributes,
    },
    opset: c.opset,
    infos: values.map((v) => (v ? { dtype: v.dtype, shape: v.shape } : undefined)),
    values,
    runSubgraph: () => {
      throw new Error('no subgraphs here');
    },
  };
  const out = DATA_OPS[c.op].cpu!(ctx);
  assert(out !== null, `${c.name}: cpu() did not evaluate`);
  return out[0] as CpuTensor;
}

/** A one-node model of the case; with `fold`, every input is an initializer. */
function caseModel(c: Case, outShape: number[], fold = false): Uint8Array {
  const node: NodeSpec = {
    op: c.op,
    name: `${c.op}_node`,
    inputs: c.inputs.map((t) => t.name),
    outputs: ['y'],
    ints: c.ints,
    floats: c.floats,
  };
  const real = c.inputs.filter((t) => t.name !== '');
  const runtime = real.filter((t) => t.runtime && !fold);
  const bytes = buildModel({
    nodes: [node],
    inputs: runtime.map((t) => ({ name: t.name, type: t.int ? INT64 : FLOAT, shape: t.shape })),
    outputs: [{ name: 'y', shape: outShape }],
    initializers: real.filter((t) => !runtime.includes(t)).map((t) => ({
      name: t.name,
      dims: t.shape,
      ...(t.int ? { int64: t.data } : { float: t.data }),
    })),
    opset: c.opset,
  });
  return withStrings(bytes, c.strings ?? {});
}

const x = (shape: number[], seed: number, name = 'x'): InputSpec => ({
  name,
  shape,
  data: Array.from(uniform(elementCount(shape), seed)),
  runtime: true,
});
const ints = (name: string, shape: number[], data: number[], runtime = false): InputSpec => ({
  name,
  shape,
  data,
  int: true,
  runtime,
});
const floats = (name: string, shape: number[], data: number[], runtime = false): InputSpec => ({
  name,
  shape,
  data,
  runtime,
});

const CASES: Case[] = [
  {
    name: 'Pad-11 constant, constant_value an initializer (differentiated)',
    op: 'Pad',
    opset: 11,
    inputs: [
      x([1, 2, 3, 4], 1),
      ints('pads', [8], [0, 0, 1, 2, 0, 1, 2, 1]),
      floats('cv', [], [0.5]),
    ],
    wrt: ['x', 'cv'],
  },
  {
    name: 'Pad-13 constant, all zeros (torch AvgPool2d export)',
    op: 'Pad',
    opset: 13,
    inputs: [x([1, 2, 3, 3], 2), ints('pads', [8], [0, 0, 0, 0, 0, 0, 0, 0])],
  },
  {
    name: 'Pad-13 constant, runtime constant_value, cropping',
    op: 'Pad',
    opset: 13,
    inputs: [
      x([2, 5, 4], 3),
      ints('pads', [6], [0, -2, 1, -1, 1, -1]),
      floats('cv', [], [-1.5], true),
    ],
    wrt: ['x', 'cv'],
  },
  {
    name: 'Pad-13 reflect, pads longer than the axis',
    op: 'Pad',
    opset: 13,
    inputs: [x([1, 1, 4, 3], 4), ints('pads', [8], [0, 0, 2, 4, 0, 0, 5, 1])],
    strings: { mode: 'reflect' },
  },
  {
    name: 'Pad-13 edge with negative pads',
    op: 'Pad',
    opset: 13,
    inputs: [x([1, 2, 4, 5], 5), ints('pads', [8], [0, 0, -1, 2, 0, 0, 3, -2])],
    strings: { mode: 'edge' },
  },
  {
    name: 'Pad-19 wrap with axes',
    op: 'Pad',
    opset: 19,
    inputs: [
      x([2, 3, 4], 6),
      ints('pads', [4], [5, 1, 2, 3]),
      { name: '', shape: [], data: [] },
      ints('axes', [2], [-1, 1]),
    ],
    strings: { mode: 'wrap' },
  },
  {
    name: 'Pad-2 attributes (pads, value, mode)',
    op: 'Pad',
    opset: 2,
    inputs: [x([3, 4], 7)],
    ints: { pads: [1, 0, 2, 3] },
    floats: { value: 2 },
  },
  {
    name: 'Tile-13',
    op: 'Tile',
    opset: 13,
    inputs: [x([2, 3, 2], 8), ints('repeats', [3], [2, 1, 3])],
  },
  {
    name: 'Tile-1 (tiles and axis inputs)',
    op: 'Tile',
    opset: 1,
    inputs: [x([2, 3], 9), ints('tiles', [], [3]), ints('axis', [], [1])],
  },
  {
    name: 'DepthToSpace DCR',
    op: 'DepthToSpace',
    opset: 13,
    inputs: [x([2, 8, 2, 3], 10)],
    ints: { blocksize: 2 },
  },
  {
    name: 'DepthToSpace CRD',
    op: 'DepthToSpace',
    opset: 13,
    inputs: [x([1, 18, 2, 2], 11)],
    ints: { blocksize: 3 },
    strings: { mode: 'CRD' },
  },
  {
    name: 'SpaceToDepth',
    op: 'SpaceToDepth',
    opset: 13,
    inputs: [x([2, 2, 4, 6], 12)],
    ints: { blocksize: 2 },
  },
  {
    name: 'Trilu upper, k = 1, batched',
    op: 'Trilu',
    opset: 14,
    inputs: [x([2, 3, 5], 13), ints('k', [], [1])],
  },
  {
    name: 'Trilu lower, k = −1',
    op: 'Trilu',
    opset: 14,
    inputs: [x([4, 3], 14), ints('k', [], [-1])],
    ints: { upper: 0 },
  },
  {
    name: 'GatherElements, known indices with repeats',
    op: 'GatherElements',
    opset: 13,
    inputs: [x([3, 4], 15), ints('idx', [3, 3], [0, -1, 3, 2, 2, 0, 1, 0, -4])],
    ints: { axis: 1 },
  },
  {
    name: 'GatherElements, runtime indices',
    op: 'GatherElements',
    opset: 13,
    inputs: [x([3, 2], 16), ints('idx', [4, 2], [0, 2, -1, 1, 1, 1, 0, 0], true)],
  },
  {
    name: 'GatherND batch_dims = 1',
    op: 'GatherND',
    opset: 13,
    inputs: [x([2, 3, 4], 17), ints('idx', [2, 2, 1], [2, -3, 1, 1])],
    ints: { batch_dims: 1 },
  },
  {
    name: 'ScatterND none, repeated tuples',
    op: 'ScatterND',
    opset: 13,
    inputs: [x([4, 3], 18), ints('idx', [3, 1], [1, 3, 1]), x([3, 3], 19, 'updates')],
  },
  {
    name: 'ScatterND add',
    op: 'ScatterND',
    opset: 16,
    inputs: [x([4, 3], 20), ints('idx', [3, 2], [1, 2, 3, 0, 1, 2]), x([3], 21, 'updates')],
    strings: { reduction: 'add' },
  },
  {
    name: 'ScatterElements none, repeated indices',
    op: 'ScatterElements',
    opset: 13,
    inputs: [x([3, 4], 22), ints('idx', [2, 3], [1, 3, 1, 0, -1, 0]), x([2, 3], 23, 'updates')],
    ints: { axis: 1 },
  },
  {
    name: 'ScatterElements add',
    op: 'ScatterElements',
    opset: 16,
    inputs: [
      x([3, 2], 24),
      ints('idx', [4, 2], [0, 1, 2, 1, 0, 0, 2, 1]),
      x([4, 2], 25, 'updates'),
    ],
    strings: { reduction: 'add' },
  },
  {
    name: 'Scatter-9',
    op: 'Scatter',
    opset: 9,
    inputs: [x([3, 3], 26), ints('idx', [2, 3], [1, 0, 2, 0, 2, 1]), x([2, 3], 27, 'updates')],
  },
  {
    name: 'OneHot, runtime values (differentiated)',
    op: 'OneHot',
    opset: 11,
    inputs: [
      ints('idx', [2, 3], [0, 3, -1, 7, 2, 1]),
      ints('depth', [], [4]),
      floats('values', [2], [-0.5, 2], true),
    ],
    ints: { axis: 1 },
  },
  {
    name: 'CumSum exclusive reverse',
    op: 'CumSum',
    opset: 14,
    inputs: [x([3, 5], 28), ints('axis', [], [1])],
    ints: { exclusive: 1, reverse: 1 },
  },
  {
    name: 'CumSum axis 0',
    op: 'CumSum',
    opset: 14,
    inputs: [x([4, 2], 29), ints('axis', [], [-2])],
  },
  {
    name: 'Einsum batched matmul',
    op: 'Einsum',
    opset: 12,
    inputs: [x([2, 3, 4], 30, 'a'), x([2, 4, 2], 31, 'b')],
    strings: { equation: 'bij,bjk->bik' },
  },
  {
    name: 'Einsum batch diagonal',
    op: 'Einsum',
    opset: 12,
    inputs: [x([2, 3, 3], 32)],
    strings: { equation: '...ii->...i' },
  },
  {
    name: 'Einsum trace times vector, implicit output',
    op: 'Einsum',
    opset: 12,
    inputs: [x([3, 3, 4], 33, 'a'), x([4], 34, 'b')],
    strings: { equation: 'iij,j' },
  },
];

for (const c of CASES) {
  testGpu(`${c.op}: ${c.name}: GPU = fold; gradients = differences`, getEngine, async (e) => {
    const want = cpuEval(c, [], false);
    const runtime = c.inputs.filter((t) => t.runtime);
    const inputs = Object.fromEntries(runtime.map((t) => [
      t.name,
      { data: t.int ? Float64Array.from(t.data) : Float32Array.from(t.data), shape: t.shape },
    ]));
    // The fold through the loader: every input an initializer.
    using folded = loadModel(e, caseModel(c, want.shape, true));
    const { outputs: foldOut } = run(folded, {});
    using fy = foldOut.y;
    assertClose(await fy.read(), want.data, { atol: 0 }, `${c.name}: fold vs cpu()`);

    using model = loadModel(e, caseModel(c, want.shape));
    const wrt = c.wrt ?? runtime.filter((t) => !t.int).map((t) => t.name);
    const dy = uniform(elementCount(want.shape), 99);
    const result = backward(model, inputs, {
      wrt,
      seed: (value) => ({ y: tensor(e, dy, value('y').shape) }),
    });
    try {
      const y = result.values.y;
      assertArrayEquals(y.shape, want.shape, `${c.name}: shape`);
      assertClose(await y.read(), want.data, { atol: 1e-5 }, `${c.name}: GPU vs fold`);
      const report: string[] = [];
      for (const name of wrt) {
        const k = c.inputs.findIndex((t) => t.name === name);
        const fd = finiteDifferenceGradient(
          (p) => cpuEval(c, c.inputs.map((_, i) => (i === k ? p : undefined))).data,
          c.inputs[k].data,
          dy,
          1e-3,
        );
        const err = relativeL2(await result.grads[name].read(), fd);
        report.push(`d${name} ${err.toExponential(1)}`);
        assert(err <= 1e-5, `${c.name}: d${name} differs from differences by ${err} (rel. L2)`);
      }
      console.log(`${c.name}: ${report.join(', ')}`);
    } finally {
      for (const t of [...Object.values(result.values), ...Object.values(result.grads)]) {
        t.destroy();
      }
    }
  });
}

/** A model: x → Relu → op(…) → y, so that the op's input is computed at run time. */
function afterRelu(op: string, extra: Partial<NodeSpec> = {}, opset = 13): Uint8Array {
  return buildModel({
    nodes: [
      { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['r'] },
      { op, name: `${op}_node`, inputs: ['r'], outputs: ['y'], ...extra },
    ],
    inputs: [{ name: 'x', shape: [2, 3] }],
    outputs: [{ name: 'y', shape: [2, 3] }],
    opset,
  });
}

testGpu('NonZero: folds known inputs; a runtime input is a typed error', getEngine, async (e) => {
  const bytes = buildModel({
    nodes: [{ op: 'NonZero', name: 'nz', inputs: ['c'], outputs: ['y'] }],
    inputs: [],
    outputs: [{ name: 'y', type: INT64, shape: [2, 3] }],
    initializers: [{ name: 'c', dims: [2, 3], float: [0, 1.5, 0, -2, 0, 3] }],
  });
  using model = loadModel(e, bytes);
  const { outputs } = run(model, {});
  using y = outputs.y;
  assertArrayEquals(y.shape, [2, 3]);
  assertArrayEquals(await y.read(), [0, 1, 1, 1, 0, 2]);
  assertThrows(
    () => loadModel(e, afterRelu('NonZero')),
    NodeError,
    "NonZero node 'NonZero_node': it only runs on the CPU, and its inputs (r) depend on runtime data",
  );
});

testGpu('typed errors name the node', getEngine, async (e) => {
  const padModel = (mode: string, opset: number) =>
    withStrings(
      buildModel({
        nodes: [{ op: 'Pad', name: 'pad', inputs: ['x', 'p'], outputs: ['y'] }],
        inputs: [{ name: 'x', shape: [2, 3] }],
        outputs: [{ name: 'y', shape: [2, 3] }],
        initializers: [{ name: 'p', dims: [4], int64: [0, 0, 0, 0] }],
        opset,
      }),
      { mode },
    );
  assertThrows(() => loadModel(e, padModel('wrap', 13)), NodeError, "Pad node 'pad': mode 'wrap'");
  assertThrows(() => loadModel(e, padModel('mirror', 19)), NodeError, "mode 'mirror'");

  const gather = (indices: number[]) =>
    buildModel({
      nodes: [{ op: 'GatherElements', name: 'ge', inputs: ['x', 'i'], outputs: ['y'] }],
      inputs: [{ name: 'x', shape: [2, 3] }],
      outputs: [{ name: 'y', shape: [2, 1] }],
      initializers: [{ name: 'i', dims: [2, 1], int64: indices }],
    });
  using fine = loadModel(e, gather([0, -2]));
  fine.destroy();
  assertThrows(
    () => loadModel(e, gather([0, 2])),
    NodeError,
    "GatherElements node 'ge': index 2 (element 1 of indices) is out of range",
  );

  const scatter = (reduction: string, opset: number) =>
    withStrings(
      buildModel({
        nodes: [{ op: 'ScatterND', name: 'snd', inputs: ['x', 'i', 'u'], outputs: ['y'] }],
        inputs: [{ name: 'x', shape: [2, 3] }, { name: 'u', shape: [1, 3] }],
        outputs: [{ name: 'y', shape: [2, 3] }],
        initializers: [{ name: 'i', dims: [1, 1], int64: [1] }],
        opset,
      }),
      { reduction },
    );
  assertThrows(() => loadModel(e, scatter('max', 16)), NodeError, "reduction 'max'");
  using mul = loadModel(e, scatter('mul', 16));
  const xIn = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] };
  const uIn = { data: Float32Array.from([2, 2, 2]), shape: [1, 3] };
  assertThrows(
    () =>
      backward(mul, { x: xIn, u: uIn }, {
        wrt: ['x'],
        seed: (v) => ({ y: tensor(e, new Float32Array(6), v('y').shape) }),
      }),
    NodeError,
    "no gradient for reduction 'mul'",
  );
  using max = loadModel(e, scatter('max', 18));
  const { outputs } = run(max, {
    x: xIn,
    u: { data: Float32Array.from([9, 0, 6]), shape: [1, 3] },
  });
  using y = outputs.y;
  assertArrayEquals(await y.read(), [1, 2, 3, 9, 5, 6]);

  const d2s = withStrings(
    buildModel({
      nodes: [{
        op: 'DepthToSpace',
        name: 'd2s',
        inputs: ['x'],
        outputs: ['y'],
        ints: { blocksize: 2 },
      }],
      inputs: [{ name: 'x', shape: [1, 4, 1, 1] }],
      outputs: [{ name: 'y', shape: [1, 1, 2, 2] }],
    }),
    { mode: 'RCD' },
  );
  assertThrows(() => loadModel(e, d2s), NodeError, "mode 'RCD' is not supported");

  const einsumInt = withStrings(
    buildModel({
      nodes: [{ op: 'Einsum', name: 'ein', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', type: INT64, shape: [2, 2] }],
      outputs: [{ name: 'y', type: INT64, shape: [] }],
    }),
    { equation: 'ii' },
  );
  using ein = loadModel(e, einsumInt);
  assertThrows(
    () => run(ein, { x: { data: Float64Array.from([1, 2, 3, 4]), shape: [2, 2] } }),
    NodeError,
    'integer Einsum',
  );
});
