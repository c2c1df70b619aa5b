// The math and selection operators through the ONNX loader: GPU forward against the operator's
// own f64 `cpu()` (the plan-time folding path), reverse mode against central finite differences
// of that f64 `cpu()`, folding of initializer inputs, integer inputs, and the typed errors.
//
// Tolerances. Forward: each kernel's own tests bound its f32 error against f64 by at most ~100u
// relative (u = 2⁻²⁴ ≈ 6e-8), a few hundred u for sums of ≤ 24 terms here: relative L2 ≤ 1e-5.
// Gradients: the GPU backward is a handful of f32 operations (a few tens of u), and the f64
// central differences (step 1e-5·max(1, |x|)) err by h²·|f'''|/6 ≤ 1e-9 relative on the smooth
// inputs chosen here (away from kinks and poles): relative L2 ≤ 1e-5 as well. A wrong formula,
// sign, axis or broadcast changes the result by far more (> 1e-2).
import { assert, assertArrayEquals, assertThrows, relativeL2 } from '../../../test/assert.ts';
import { finiteDifferenceGradient } from '../../../test/finite_difference.ts';
import { sharedEngine, testGpu } from '../../../test/harness.ts';
import { buildModel, type NodeSpec } from '../../../test/onnx_builder.ts';
import { integers, uniform } from '../../../test/random.ts';
import { backward } from '../../grad/backward.ts';
import { NodeError } from '../../graph/errors.ts';
import { type CpuTensor, cpuTensor, elementCount } from '../../graph/ir.ts';
import type { OpContext } from '../../graph/operator.ts';
import { tensor } from '../../tensor.ts';
import { loadModel, run } from '../model.ts';
import { MATH_OPS } from './math.ts';

const getEngine = sharedEngine();

const TOLERANCE = 1e-5;
const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const BOOL = 9;

interface Operand {
  name: string;
  shape: number[];
  data: Float32Array;
  /** Differentiate with respect to it (default true). */
  wrt?: boolean;
}

interface Case {
  name: string;
  op: string;
  opset?: number;
  ints?: Record<string, number | number[]>;
  floats?: Record<string, number>;
  inputs: Operand[];
  /** Known int64 inputs after the operands (axes, K), as initializers. */
  constants?: { name: string; values: number[] }[];
  /** Output names (the first is differentiated). */
  outputs?: string[];
}

/** The operator's f64 `cpu()` on float64 copies of the operands (and the int64 constants). */
function cpuRun(c: Case, data: Float64Array[]): CpuTensor[] {
  const values: CpuTensor[] = [
    ...c.inputs.map((x, i) => cpuTensor('float64', x.shape, data[i])),
    ...(c.constants ?? []).map((k) => cpuTensor('int64', [k.values.length], k.values)),
  ];
  const attributes: Record<string, number | number[]> = { ...c.ints, ...c.floats };
  const ctx: OpContext = {
    node: {
      name: `${c.op}_reference`,
      op: c.op,
      domain: '',
      inputs: values.map((_, i) => `in${i}`),
      outputs: c.outputs ?? ['y'],
      attributes,
    },
    opset: c.opset ?? 13,
    infos: values.map((v) => ({ dtype: v.dtype, shape: v.shape })),
    values,
    runSubgraph: () => {
      throw new Error('no subgraphs here');
    },
  };
  return MATH_OPS[c.op].cpu!(ctx) as CpuTensor[];
}

function caseModel(c: Case, foldInputs = false): Uint8Array {
  const outputs = c.outputs ?? ['y'];
  const node: NodeSpec = {
    op: c.op,
    name: `${c.op}_node`,
    inputs: [...c.inputs.map((x) => x.name), ...(c.constants ?? []).map((k) => k.name)],
    outputs,
    ints: c.ints,
    floats: c.floats,
  };
  const reference = cpuRun(c, c.inputs.map((x) => Float64Array.from(x.data)));
  return buildModel({
    nodes: [node],
    inputs: foldInputs ? [] : c.inputs.map((x) => ({ name: x.name, shape: x.shape })),
    outputs: outputs.map((name, i) => ({
      name,
      shape: reference[i].shape,
      // Declared as computed: loadModel refuses an output declared with another type.
      type: reference[i].dtype === 'int64' ? INT64 : reference[i].dtype === 'bool' ? BOOL : FLOAT,
    })),
    initializers: [
      ...(foldInputs
        ? c.inputs.map((x) => ({ name: x.name, dims: x.shape, float: [...x.data] }))
        : []),
      ...(c.constants ?? []).map((k) => ({
        name: k.name,
        dims: [k.values.length],
        int64: k.values,
      })),
    ],
    opset: c.opset ?? 13,
  });
}

/** Uniform data in [lo, hi) that stays `gap` away from each of `avoid` (kinks, poles). */
function away(n: number, seed: number, lo: number, hi: number, avoid: number[] = [], gap = 0.05) {
  return uniform(n, seed, lo, hi).map((v) => {
    for (const p of avoid) if (Math.abs(v - p) < gap) return Math.fround(p + (v < p ? -gap : gap));
    return v;
  });
}

const x = (shape: number[], data: Float32Array, name = 'x'): Operand => ({ name, shape, data });

const UNARY_CASES: Case[] = [
  {
    name: 'selu',
    op: 'Selu',
    floats: { alpha: 1.5, gamma: 0.9 },
    inputs: [x([3, 5], away(15, 1, -3, 3, [0]))],
  },
  { name: 'selu defaults', op: 'Selu', inputs: [x([7], away(7, 2, -3, 3, [0]))] },
  {
    name: 'celu',
    op: 'Celu',
    floats: { alpha: 0.7 },
    inputs: [x([2, 6], away(12, 3, -3, 3, [0]))],
  },
  { name: 'mish', op: 'Mish', opset: 18, inputs: [x([12], uniform(12, 4, -6, 6))] },
  { name: 'softsign', op: 'Softsign', inputs: [x([3, 4], away(12, 5, -5, 5, [0]))] },
  {
    name: 'thresholdedRelu',
    op: 'ThresholdedRelu',
    floats: { alpha: 0.3 },
    inputs: [x([10], away(10, 6, -2, 2, [0.3]))],
  },
  { name: 'tan', op: 'Tan', inputs: [x([10], uniform(10, 7, -1.2, 1.2))] },
  { name: 'atan', op: 'Atan', inputs: [x([10], uniform(10, 8, -5, 5))] },
  { name: 'asin', op: 'Asin', inputs: [x([10], uniform(10, 9, -0.9, 0.9))] },
  { name: 'acos', op: 'Acos', inputs: [x([10], uniform(10, 10, -0.9, 0.9))] },
  { name: 'sinh', op: 'Sinh', inputs: [x([10], uniform(10, 11, -4, 4))] },
  { name: 'cosh', op: 'Cosh', inputs: [x([10], uniform(10, 12, -4, 4))] },
  { name: 'asinh', op: 'Asinh', inputs: [x([10], uniform(10, 13, -5, 5))] },
  { name: 'acosh', op: 'Acosh', inputs: [x([10], uniform(10, 14, 1.2, 5))] },
  { name: 'atanh', op: 'Atanh', inputs: [x([10], uniform(10, 15, -0.9, 0.9))] },
];

/** Dividends whose quotient by `b` stays 0.1 away from an integer (the jumps of a mod b). */
function dividends(n: number, seed: number, b: Float32Array): Float32Array {
  const q = uniform(n, seed, -6, 6).map((v) => {
    const f = v - Math.floor(v);
    return f < 0.1 ? v + 0.1 : f > 0.9 ? v - 0.1 : v;
  });
  return q.map((v, i) => Math.fround(v * b[i % b.length]));
}

const modB = Float32Array.from([1.5, -2.25, 0.75, -3]);

const OTHER_CASES: Case[] = [
  {
    name: 'prelu, slope broadcast unidirectionally',
    op: 'PRelu',
    inputs: [
      x([2, 3, 4], away(24, 20, -2, 2, [0])),
      { name: 'slope', shape: [3, 1], data: Float32Array.from([0.25, -0.5, 1.5]) },
    ],
  },
  {
    name: 'prelu, one slope',
    op: 'PRelu',
    inputs: [x([5], away(5, 21, -2, 2, [0])), {
      name: 'slope',
      shape: [1],
      data: Float32Array.from([0.1]),
    }],
  },
  ...[0, 1].map((fmod): Case => ({
    name: `mod fmod=${fmod}, broadcast`,
    op: 'Mod',
    ints: { fmod },
    inputs: [x([3, 4], dividends(12, 22 + fmod, modB), 'a'), { name: 'b', shape: [4], data: modB }],
  })),
  {
    name: 'topk largest',
    op: 'TopK',
    inputs: [x([3, 7], uniform(21, 30, -5, 5))],
    constants: [{ name: 'k', values: [3] }],
    ints: { axis: 1 },
    outputs: ['values', 'indices'],
  },
  {
    name: 'topk smallest along axis 0',
    op: 'TopK',
    inputs: [x([5, 4], uniform(20, 31, -5, 5))],
    constants: [{ name: 'k', values: [2] }],
    ints: { axis: 0, largest: 0 },
    outputs: ['values', 'indices'],
  },
];

const REDUCTIONS = [
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSumExp',
  'ReduceSumSquare',
];
const REDUCE_CASES: Case[] = REDUCTIONS.flatMap((op, k): Case[] => {
  // Away from 0 for L1's kink; distinct values for Min.
  const data = away(60, 40 + k, -2, 2, [0], 0.1);
  return [
    {
      name: `${op} axes [1, 3] kept (opset 13 attribute)`,
      op,
      ints: { axes: [1, 3] },
      inputs: [x([2, 3, 2, 5], data)],
    },
    {
      name: `${op} axis −1 dropped (opset 18 input)`,
      op,
      opset: 18,
      ints: { keepdims: 0 },
      inputs: [x([3, 4, 5], data)],
      constants: [{ name: 'axes', values: [-1] }],
    },
    { name: `${op} all axes`, op, ints: { keepdims: 0 }, inputs: [x([4, 15], data)] },
    {
      name: `${op} no axes, noop_with_empty_axes`,
      op,
      opset: 18,
      ints: { noop_with_empty_axes: 1 },
      inputs: [x([6, 10], data)],
    },
  ];
});

const zerosProd: Case = {
  name: 'ReduceProd with no, one and two zeros in a group',
  op: 'ReduceProd',
  ints: { axes: [1] },
  inputs: [x([3, 4], Float32Array.from([1.5, -2, 0.5, 3, 0, -1.25, 2, 0.75, 0, 2, 0, -1]))],
};

async function checkCase(e: Awaited<ReturnType<typeof getEngine>>, c: Case): Promise<string> {
  using model = loadModel(e, caseModel(c));
  const data = c.inputs.map((v) => Float64Array.from(v.data));
  const reference = cpuRun(c, data);
  const outputs = c.outputs ?? ['y'];
  const dy = uniform(elementCount(reference[0].shape), 99, -1, 1);
  const wrt = c.inputs.filter((v) => v.wrt !== false).map((v) => v.name);
  const feeds = Object.fromEntries(c.inputs.map((v) => [v.name, { data: v.data, shape: v.shape }]));
  const result = backward(model, feeds, {
    wrt,
    seed: (value) => ({ [outputs[0]]: tensor(e, dy, value(outputs[0]).shape) }),
  });
  const report: string[] = [];
  try {
    for (let i = 0; i < outputs.length; i++) {
      const got = result.values[outputs[i]];
      assertArrayEquals(got.shape, reference[i].shape, `${c.name}: output ${i} shape`);
      const err = relativeL2(await got.read(), reference[i].data);
      report.push(`${outputs[i]} ${err.toExponential(1)}`);
      assert(err <= TOLERANCE, `${c.name}: output ${outputs[i]} is off by ${err} (rel. L2)`);
    }
    for (const [k, v] of c.inputs.entries()) {
      if (v.wrt === false) continue;
      const fd = finiteDifferenceGradient(
        (p) => {
          const args = data.map((d, j) => (j === k ? p : d));
          return cpuRun(c, args)[0].data;
        },
        data[k],
        dy,
      );
      const got = await result.grads[v.name].read();
      const err = relativeL2(got, fd);
      report.push(`d${v.name} ${err.toExponential(1)}`);
      assert(err <= TOLERANCE, `${c.name}: d${v.name} is off by ${err} (rel. L2)`);
    }
  } finally {
    for (const t of [...Object.values(result.values), ...Object.values(result.grads)]) {
      t.destroy();
    }
  }
  return `${c.name}: ${report.join(', ')}`;
}

for (const c of [...UNARY_CASES, ...OTHER_CASES, ...REDUCE_CASES, zerosProd]) {
  testGpu(
    `math ${c.op} ${c.name}: forward vs f64 cpu(), gradients vs differences`,
    getEngine,
    async (e) => {
      console.log(await checkCase(e, c));
    },
  );
}

testGpu('math: ReduceL2 of an all-zero group has gradient 0 (as PyTorch)', getEngine, async (e) => {
  const bytes = buildModel({
    nodes: [{ op: 'ReduceL2', inputs: ['x'], outputs: ['y'], ints: { axes: [1], keepdims: 0 } }],
    inputs: [{ name: 'x', shape: [2, 3] }],
    outputs: [{ name: 'y', shape: [2] }],
  });
  using model = loadModel(e, bytes);
  const result = backward(model, {
    x: { data: Float32Array.from([0, 0, 0, 3, 0, -4]), shape: [2, 3] },
  }, {
    wrt: ['x'],
    seed: () => ({ y: tensor(e, [1, 10], [2]) }),
  });
  try {
    assertArrayEquals(await result.values.y.read(), [0, 5]);
    const dx = await result.grads.x.read();
    assert(relativeL2(dx, [0, 0, 0, 6, 0, -8]) < 1e-6, `dx ${dx}`);
  } finally {
    for (const t of [...Object.values(result.values), ...Object.values(result.grads)]) t.destroy();
  }
});

testGpu('math: folded (initializer) inputs match the GPU path', getEngine, async (e) => {
  for (const c of [...UNARY_CASES, ...OTHER_CASES, zerosProd, REDUCE_CASES[1], REDUCE_CASES[5]]) {
    using gpu = loadModel(e, caseModel(c));
    using folded = loadModel(e, caseModel(c, true));
    const feeds = Object.fromEntries(
      c.inputs.map((v) => [v.name, { data: v.data, shape: v.shape }]),
    );
    const a = run(gpu, feeds).outputs;
    const b = run(folded, {}).outputs;
    try {
      for (const name of c.outputs ?? ['y']) {
        const err = relativeL2(await a[name].read(), await b[name].read());
        assert(err <= TOLERANCE, `${c.name}: folded ${name} differs by ${err}`);
      }
    } finally {
      for (const t of [...Object.values(a), ...Object.values(b)]) t.destroy();
    }
  }
});

testGpu('math: ArgMax/ArgMin, Hardmax, IsInf forward against f64 cpu()', getEngine, async (e) => {
  const data = integers(60, 50, 0, 5); // many ties
  data[7] = NaN;
  const cases: Case[] = [
    ...[0, 1].flatMap((last) =>
      ['ArgMax', 'ArgMin'].map((op): Case => ({
        name: `${op} last=${last}`,
        op,
        ints: { axis: 1, keepdims: 0, select_last_index: last },
        inputs: [x([3, 4, 5], data)],
        outputs: ['y'],
      }))
    ),
    { name: 'hardmax 13', op: 'Hardmax', ints: { axis: 1 }, inputs: [x([3, 4, 5], data)] },
    {
      name: 'hardmax 11 coerced',
      op: 'Hardmax',
      opset: 11,
      ints: { axis: 1 },
      inputs: [x([3, 4, 5], data)],
    },
    {
      name: 'isinf negative only',
      op: 'IsInf',
      ints: { detect_positive: 0 },
      inputs: [x([6], Float32Array.from([Infinity, -Infinity, NaN, 0, -1, 3e38]))],
    },
  ];
  for (const c of cases) {
    using model = loadModel(e, caseModel(c));
    const want = cpuRun(c, c.inputs.map((v) => Float64Array.from(v.data)))[0];
    const { outputs } = run(model, { x: { data: c.inputs[0].data, shape: c.inputs[0].shape } });
    using y = outputs.y;
    assertArrayEquals(y.shape, want.shape, c.name);
    assertArrayEquals(await y.read(), want.data, c.name);
  }
});

testGpu('math: integer inputs (ArgMax, ReduceMin, TopK, PRelu, Mod)', getEngine, async (e) => {
  const ints = Int32Array.from(integers(12, 60, -50, 50));
  const model = (node: NodeSpec, outputs: { name: string; shape: number[]; type: number }[]) =>
    loadModel(
      e,
      buildModel({
        nodes: [node],
        inputs: [
          { name: 'x', shape: [3, 4], type: INT32 },
          ...(node.inputs.includes('s') ? [{ name: 's', shape: [4], type: INT32 }] : []),
        ],
        outputs,
        initializers: node.inputs.includes('k') ? [{ name: 'k', dims: [1], int64: [2] }] : [],
      }),
    );
  const rows = [0, 1, 2].map((r) => Array.from(ints.slice(4 * r, 4 * r + 4)));
  {
    using m = model(
      { op: 'ArgMax', inputs: ['x'], outputs: ['y'], ints: { axis: 1, keepdims: 0 } },
      [
        { name: 'y', shape: [3], type: INT64 },
      ],
    );
    using y = run(m, { x: { data: ints, shape: [3, 4] } }).outputs.y;
    assertArrayEquals(await y.read(), rows.map((r) => r.indexOf(Math.max(...r))));
  }
  {
    using m = model({
      op: 'ReduceMin',
      inputs: ['x'],
      outputs: ['y'],
      ints: { axes: [1], keepdims: 0 },
    }, [
      { name: 'y', shape: [3], type: INT32 },
    ]);
    using y = run(m, { x: { data: ints, shape: [3, 4] } }).outputs.y;
    assertArrayEquals(await y.read(), rows.map((r) => Math.min(...r)));
  }
  {
    using m = model({ op: 'TopK', inputs: ['x', 'k'], outputs: ['v', 'i'], ints: { axis: 1 } }, [
      { name: 'v', shape: [3, 2], type: INT32 },
      { name: 'i', shape: [3, 2], type: INT64 },
    ]);
    const { outputs } = run(m, { x: { data: ints, shape: [3, 4] } });
    using v = outputs.v;
    using i = outputs.i;
    const sorted = rows.map((r) => [...r].sort((p, q) => q - p).slice(0, 2));
    assertArrayEquals(await v.read(), sorted.flat());
    assertArrayEquals(await i.read(), rows.flatMap((r, k) => sorted[k].map((s) => r.indexOf(s))));
  }
  const slope = Int32Array.from([1, -2, 3, 0]);
  {
    using m = model({ op: 'PRelu', inputs: ['x', 's'], outputs: ['y'] }, [{
      name: 'y',
      shape: [3, 4],
      type: INT32,
    }]);
    using y =
      run(m, { x: { data: ints, shape: [3, 4] }, s: { data: slope, shape: [4] } }).outputs.y;
    assertArrayEquals(await y.read(), Array.from(ints, (v, i) => (v < 0 ? v * slope[i % 4] : v)));
  }
});

testGpu('math: typed errors name the node', getEngine, async (e) => {
  const load = (
    node: NodeSpec,
    inputs: { name: string; shape: number[] }[],
    outShape: number[],
    opset = 13,
  ) =>
    loadModel(
      e,
      buildModel({
        nodes: [{ name: 'bad', ...node }],
        inputs,
        outputs: [{ name: 'y', shape: outShape }],
        initializers: node.inputs.includes('k') ? [{ name: 'k', dims: [1], int64: [9] }] : [],
        opset,
      }),
    );
  assertThrows(
    () =>
      load({ op: 'PRelu', inputs: ['x', 's'], outputs: ['y'] }, [{ name: 'x', shape: [3] }, {
        name: 's',
        shape: [2, 3],
      }], [2, 3]),
    NodeError,
    "PRelu node 'bad': slope [2, 3] must broadcast to X [3]",
  );
  assertThrows(
    () =>
      load({ op: 'Celu', inputs: ['x'], outputs: ['y'], floats: { alpha: 0 } }, [{
        name: 'x',
        shape: [3],
      }], [3]),
    NodeError,
    "Celu node 'bad': alpha must be non-zero",
  );
  assertThrows(
    () =>
      load({ op: 'TopK', inputs: ['x', 'k'], outputs: ['y', 'i'] }, [{ name: 'x', shape: [3] }], [
        3,
      ]),
    NodeError,
    "TopK node 'bad': k = 9 is not in [0, 3]",
  );
  assertThrows(
    () =>
      load({ op: 'ArgMax', inputs: ['x'], outputs: ['y'], ints: { axis: 2 } }, [{
        name: 'x',
        shape: [3, 2],
      }], [3]),
    NodeError,
    "ArgMax node 'bad': axis 2 is out of range for rank 2",
  );
  assertThrows(
    () =>
      load({ op: 'Mod', inputs: ['x', 'x'], outputs: ['y'], ints: { fmod: 2 } }, [{
        name: 'x',
        shape: [3],
      }], [3]),
    NodeError,
    "Mod node 'bad': fmod must be 0 or 1",
  );
  assertThrows(
    () =>
      load({ op: 'ReduceL1', inputs: ['x'], outputs: ['y'], ints: { axes: [3] } }, [{
        name: 'x',
        shape: [3],
      }], [3]),
    NodeError,
    "ReduceL1 node 'bad': axis 3 is out of range for rank 1",
  );
  await Promise.resolve();
});
