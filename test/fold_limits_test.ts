// Folding at plan time is bounded (issue 13): every CPU evaluation checks the size of what it
// is about to make before allocating (in the main graph and in Loop/If bodies), one folded
// tensor may not exceed the device's limit, and everything folded for one plan shares a budget
// (256 MiB by default, `maxFoldBytes`). Failures are LimitExceededErrors naming the node, not
// RangeErrors or an exhausted heap. The planning tests need no GPU; the last ones load and run
// through loadModel.
import { assert, assertArrayEquals, assertEquals, assertThrows } from './assert.ts';
import { sharedEngine, test, testGpu } from './harness.ts';
import { buildModel, type GraphSpec, type NodeSpec } from './onnx_builder.ts';
import { LimitExceededError } from '../src/gpu/errors.ts';
import { ModelFormatError, NodeError } from '../src/graph/errors.ts';
import { elementCount, isSequence } from '../src/graph/ir.ts';
import type { TensorInfo } from '../src/graph/operator.ts';
import {
  DEFAULT_MAX_FOLD_BYTES,
  defaultFoldBudget,
  planGraph,
  type PlanOptions,
} from '../src/graph/plan.ts';
import { loadModel, run } from '../src/onnx/model.ts';
import { parseOnnx } from '../src/onnx/parse.ts';
import { ONNX_OPERATORS } from '../src/onnx/registry.ts';

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;

/** Plans a model with no runtime inputs beyond `inputs`. */
function plan(
  bytes: Uint8Array,
  options: PlanOptions = {},
  inputs = new Map<string, TensorInfo>(),
) {
  return planGraph(parseOnnx(bytes), ONNX_OPERATORS, inputs, options);
}

/** The 363-byte model of issue 13: a Loop of `trips` iterations doubling a tensor by Concat. */
function loopDoubling(trips: number): Uint8Array {
  return buildModel({
    nodes: [{
      op: 'Loop',
      name: 'loop',
      inputs: ['trips', '', 'v0'],
      outputs: ['y'],
      graphs: {
        body: {
          nodes: [
            { op: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] },
            {
              op: 'Concat',
              name: 'double',
              inputs: ['v_in', 'v_in'],
              outputs: ['v_out'],
              ints: { axis: 0 },
            },
          ],
          inputs: [
            { name: 'iter', type: INT64, shape: [] },
            { name: 'cond_in', type: BOOL, shape: [] },
            { name: 'v_in', shape: ['n'] },
          ],
          outputs: [{ name: 'cond_out', type: BOOL, shape: [] }, { name: 'v_out', shape: ['m'] }],
        },
      },
    }],
    inputs: [],
    outputs: [{ name: 'y', shape: ['n'] }],
    initializers: [
      { name: 'trips', dims: [], int64: [trips] },
      { name: 'v0', dims: [1], float: [1] },
    ],
  });
}

/** Range(0, limit, 1) over float or int64 constants. */
function range(limit: number, type: 'float' | 'int64'): Uint8Array {
  const scalar = (name: string, v: number) =>
    type === 'float' ? { name, dims: [], float: [v] } : { name, dims: [], int64: [v] };
  return buildModel({
    nodes: [{ op: 'Range', name: 'r', inputs: ['start', 'limit', 'delta'], outputs: ['y'] }],
    inputs: [],
    outputs: [{ name: 'y', type: type === 'float' ? FLOAT : INT64, shape: ['n'] }],
    initializers: [scalar('start', 0), scalar('limit', limit), scalar('delta', 1)],
  });
}

/** If over a constant condition; the then-branch makes ConstantOfShape(dims). */
function ifConstantOfShape(dims: number[], cond: number): Uint8Array {
  const branch = (name: string, shape: number[]): GraphSpec => ({
    nodes: [
      {
        op: 'Constant',
        inputs: [],
        outputs: [`${name}_shape`],
        tensor: { value: { dims: [shape.length], int64: shape } },
      },
      {
        op: 'ConstantOfShape',
        name: `${name}_fill`,
        inputs: [`${name}_shape`],
        outputs: [`${name}_out`],
      },
    ],
    inputs: [],
    outputs: [{ name: `${name}_out`, shape: shape.map((_, i) => `d${i}`) }],
  });
  return buildModel({
    nodes: [
      {
        op: 'Constant',
        inputs: [],
        outputs: ['c'],
        tensor: { value: { dims: [], int64: [cond] } },
      },
      { op: 'Cast', inputs: ['c'], outputs: ['cond'], ints: { to: BOOL } },
      {
        op: 'If',
        name: 'if',
        inputs: ['cond'],
        outputs: ['y'],
        graphs: { then_branch: branch('then', dims), else_branch: branch('else', [1]) },
      },
    ],
    inputs: [],
    outputs: [{ name: 'y', shape: null }],
  });
}

/** One node over constants, output y. */
function folded(node: NodeSpec, initializers: Parameters<typeof buildModel>[0]['initializers']) {
  return buildModel({
    nodes: [{ name: 'n', ...node }],
    inputs: [],
    outputs: [{ name: 'y', shape: null }],
    initializers,
  });
}

test('folding: a Loop doubling a tensor 40 times fails before allocating (issue 13)', () => {
  // Control: 10 doublings fold to 1,024 elements.
  const small = plan(loopDoubling(10));
  const y = small.known.get('y')!;
  assert(!isSequence(y), 'y is a tensor');
  assertEquals(elementCount(y.shape), 1024);
  assertEquals(small.steps.length, 0);
  // 40 doublings (2^40 elements): stopped by the budget at about 2^26 float32s, the Concat named.
  const e = assertThrows(
    () => plan(loopDoubling(40)),
    LimitExceededError,
    "Cannot fold Concat node 'double' (in the Loop node 'loop') when planning",
  );
  assert(e.message.includes('over the budget of 256 MiB'), e.message);
  // And with the device's limit, before that.
  assertThrows(
    () => plan(loopDoubling(40), { maxElements: 1000 }),
    LimitExceededError,
    "Concat node 'double' (in the Loop node 'loop') when planning: output 0 of shape [1024]",
  );
});

test('folding: Range sizes are checked before the values are made (issue 13)', () => {
  const r = plan(range(5, 'int64')).known.get('y')!;
  assertArrayEquals((r as { data: Float64Array }).data, [0, 1, 2, 3, 4]);
  for (const type of ['float', 'int64'] as const) {
    for (const limit of [1e12, 2e8]) {
      assertThrows(
        () => plan(range(limit, type)),
        LimitExceededError,
        // (1e12 as a float32 is 999999995904.)
        `Cannot fold Range node 'r' when planning: output 0 of shape [${
          type === 'float' ? Math.fround(limit) : limit
        }]`,
      );
    }
  }
  assertThrows(() => plan(range(Infinity, 'float')), NodeError, 'has no finite length');
});

test('folding: ConstantOfShape in an If branch is checked when the branch is taken (issue 13)', () => {
  const huge = [2 ** 20, 2 ** 20];
  assertThrows(
    () => plan(ifConstantOfShape(huge, 1)),
    LimitExceededError,
    "Cannot fold ConstantOfShape node 'then_fill' (in the If node 'if') when planning: output 0 " +
      'of shape [1048576,1048576]',
  );
  // Not taken: the else branch folds.
  const y = plan(ifConstantOfShape(huge, 0)).known.get('y')!;
  assertEquals((y as { shape: number[] }).shape.join(), '1');
});

test('folding: every allocating CPU kernel is bounded before it allocates', () => {
  const one = { name: 'one', dims: [1], float: [1] };
  const ints = (name: string, v: number[]) => ({ name, dims: [v.length], int64: v });
  const cases: [string, Uint8Array][] = [
    [
      'ConstantOfShape',
      folded({ op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'] }, [ints('s', [2 ** 27])]),
    ],
    [
      'Expand',
      folded({ op: 'Expand', inputs: ['one', 's'], outputs: ['y'] }, [
        one,
        ints('s', [2 ** 20, 2 ** 20]),
      ]),
    ],
    [
      'Tile',
      folded({ op: 'Tile', inputs: ['one', 'r'], outputs: ['y'] }, [one, ints('r', [2 ** 30])]),
    ],
    [
      'Pad',
      folded({ op: 'Pad', inputs: ['one', 'p'], outputs: ['y'] }, [one, ints('p', [0, 2 ** 30])]),
    ],
    [
      'Concat',
      folded({ op: 'Concat', inputs: ['big', 'big'], outputs: ['y'], ints: { axis: 0 } }, [{
        name: 'big',
        dims: [40],
        float: new Array(40).fill(1),
      }]),
    ],
  ];
  for (const [op, bytes] of cases) {
    // Concat of 2 × 40 is small: it needs the device limit of this test to fail.
    assertThrows(
      () => plan(bytes, { maxElements: 64 }),
      LimitExceededError,
      `Cannot fold ${op} node 'n' when planning: output 0 of shape`,
    );
  }
  // A scalar fill of 2^27 is refused without a device limit too (the 64 Mi fold limit).
  assertThrows(() => plan(cases[0][1]), LimitExceededError, 'has 134217728 elements');
});

test('folding: the budget counts what folding makes, views once, and can be raised', () => {
  // Three 4 MiB fills (float32 zeros of 1024 × 1024), the first reshaped (a view, free).
  const model = buildModel({
    nodes: [
      { op: 'ConstantOfShape', name: 'a', inputs: ['s'], outputs: ['a'] },
      { op: 'Reshape', name: 'view', inputs: ['a', 'flat'], outputs: ['va'] },
      { op: 'ConstantOfShape', name: 'b', inputs: ['s'], outputs: ['b'] },
      { op: 'ConstantOfShape', name: 'c', inputs: ['s'], outputs: ['c'] },
    ],
    inputs: [],
    outputs: [{ name: 'va', shape: [1048576] }, { name: 'b', shape: [1024, 1024] }, {
      name: 'c',
      shape: [1024, 1024],
    }],
    initializers: [
      { name: 's', dims: [2], int64: [1024, 1024] },
      { name: 'flat', dims: [1], int64: [-1] },
    ],
  });
  assertEquals(DEFAULT_MAX_FOLD_BYTES, 256 * 2 ** 20);
  plan(model);
  plan(model, { maxFoldBytes: 12 * 2 ** 20 });
  const e = assertThrows(
    () => plan(model, { maxFoldBytes: 10 * 2 ** 20 }),
    LimitExceededError,
    "Cannot fold ConstantOfShape node 'c' when planning: its outputs (4 MiB) would bring the " +
      'values computed on the CPU to 12 MiB, over the budget of 10 MiB (raise it with the ' +
      'maxFoldBytes option)',
  );
  assert(!e.message.includes("'view'"), e.message);
  // A Constant's tensor is the model's own data: folding it is free.
  const constant = buildModel({
    nodes: [{
      op: 'Constant',
      inputs: [],
      outputs: ['y'],
      tensor: { value: { dims: [2 ** 20], float: new Array(2 ** 20).fill(1) } },
    }],
    inputs: [],
    outputs: [{ name: 'y', shape: [2 ** 20] }],
  });
  plan(constant, { maxFoldBytes: 2 ** 20 });
});

test("folding: the default budget grows with the model's weights", () => {
  const ir = parseOnnx(loopDoubling(1));
  assertEquals(defaultFoldBudget(ir), DEFAULT_MAX_FOLD_BYTES);
  // 200 MiB of weights (a stand-in: only the byte count matters) allow 400 MiB of folding.
  const weights = { byteLength: 200 * 2 ** 20 } as unknown as Float64Array;
  ir.graph.initializers.clear();
  ir.graph.initializers.set('w', { dtype: 'int8', shape: [200 * 2 ** 17], data: weights });
  assertEquals(defaultFoldBudget(ir), 400 * 2 ** 20);
});

test('folding: a Loop scan output is checked before it is stacked', () => {
  const loop = (trips: number) =>
    buildModel({
      nodes: [{
        op: 'Loop',
        name: 'loop',
        inputs: ['trips', '', 'v0'],
        outputs: ['v', 'scan'],
        graphs: {
          body: {
            nodes: [
              { op: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] },
              { op: 'Identity', inputs: ['v_in'], outputs: ['v_out'] },
              { op: 'Neg', inputs: ['v_in'], outputs: ['s'] },
            ],
            inputs: [
              { name: 'iter', type: INT64, shape: [] },
              { name: 'cond_in', type: BOOL, shape: [] },
              { name: 'v_in', shape: [100] },
            ],
            outputs: [
              { name: 'cond_out', type: BOOL, shape: [] },
              { name: 'v_out', shape: [100] },
              { name: 's', shape: [100] },
            ],
          },
        },
      }],
      inputs: [],
      outputs: [{ name: 'v', shape: [100] }, { name: 'scan', shape: ['t', 100] }],
      initializers: [
        { name: 'trips', dims: [], int64: [trips] },
        { name: 'v0', dims: [100], float: new Array(100).fill(2) },
      ],
    });
  const scan = plan(loop(5), { maxElements: 1000 }).known.get('scan')!;
  assertEquals((scan as { shape: number[] }).shape.join(), '5,100');
  assertThrows(
    () => plan(loop(20), { maxElements: 1000 }),
    LimitExceededError,
    "Cannot fold Loop node 'loop' when planning: output 0 of shape [20,100]",
  );
});

test('planGraph: a value uploaded to the GPU must fit the device; a fed input replaces an initializer', () => {
  const gather = buildModel({
    nodes: [{ op: 'Gather', inputs: ['w', 'i'], outputs: ['y'] }],
    inputs: [{ name: 'i', type: INT64, shape: [1] }],
    outputs: [{ name: 'y', shape: [1] }],
    initializers: [{ name: 'w', dims: [100], float: new Array(100).fill(1) }],
  });
  const types = new Map<string, TensorInfo>([['i', { dtype: 'int64', shape: [1] }]]);
  plan(gather, { maxElements: 100 }, types);
  assertThrows(
    () => plan(gather, { maxElements: 50 }, types),
    LimitExceededError,
    "Cannot upload 'w' to the GPU: its shape [100] has more elements than the device can hold (50)",
  );
  // ONNX lets a caller feed an initializer the graph lists as an input: given as an input, it
  // is a runtime value, not the folded initializer.
  types.set('w', { dtype: 'float32', shape: [7] });
  const p = plan(gather, {}, types);
  assert(!p.known.has('w') && !p.uploads.has('w'), 'w is not known');
  assertEquals(p.infos.get('w')!.shape.join(), '7');
  assertEquals(p.lastUse.get('w'), 0);
});

const getEngine = sharedEngine();

testGpu(
  "loadModel: the fuzzer's hostile models fail fast with typed errors",
  getEngine,
  async (engine) => {
    await Promise.resolve();
    assertThrows(
      () => loadModel(engine, loopDoubling(40)),
      LimitExceededError,
      "Concat node 'double'",
    );
    assertThrows(
      () => loadModel(engine, range(1e12, 'float')),
      LimitExceededError,
      "Range node 'r'",
    );
    assertThrows(
      () => loadModel(engine, ifConstantOfShape([2 ** 20, 2 ** 20], 1)),
      LimitExceededError,
      "ConstantOfShape node 'then_fill'",
    );
    // Structure errors of a model with symbolic dimensions surface at load, not at the first run.
    assertThrows(
      () =>
        loadModel(
          engine,
          buildModel({
            nodes: [{ op: 'Add', inputs: ['x', 'b'], outputs: ['a'], name: 'first' }, {
              op: 'Relu',
              inputs: ['a'],
              outputs: ['b'],
              name: 'second',
            }],
            inputs: [{ name: 'x', shape: ['batch', 3] }],
            outputs: [{ name: 'b', shape: ['batch', 3] }],
          }),
        ),
      ModelFormatError,
      'the nodes form a cycle: first → second → first',
    );
  },
);

testGpu(
  'loadModel: 8,192 nodes stored in reverse order load and run',
  getEngine,
  async (engine) => {
    const length = 8192;
    const nodes: NodeSpec[] = Array.from({ length }, (_, i) => ({
      op: 'Neg',
      inputs: [i === 0 ? 'x' : `t${i}`],
      outputs: [i === length - 1 ? 'y' : `t${i + 1}`],
    })).reverse();
    using model = loadModel(
      engine,
      buildModel({
        nodes,
        inputs: [{ name: 'x', shape: [3] }],
        outputs: [{ name: 'y', shape: [3] }],
      }),
    );
    const { outputs } = run(model, { x: { data: new Float32Array([1, -2, 3]), shape: [3] } });
    using y = outputs.y;
    // An even number of negations.
    assertArrayEquals(await y.read(), [1, -2, 3]);
  },
);
