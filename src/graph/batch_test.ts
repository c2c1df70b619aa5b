// Fixed batch dimensions (src/graph/batch.ts): which graphs are proved batch-free and which run
// in chunks, checked by the mode chosen, the reason given and the numbers (each against the
// model run one declared batch at a time, or a closed form). Exact: the same kernels run on the
// same rows.
import { assert, assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { buildModel, type NodeSpec } from '../../test/onnx_builder.ts';
import { uniform } from '../../test/random.ts';
import { ShapeError } from '../gpu/errors.ts';
import { backward } from '../grad/backward.ts';
import { loadModel, type Model, run } from '../onnx/model.ts';
import { tensor } from '../tensor.ts';

const getEngine = sharedEngine();

function model(
  e: Parameters<typeof loadModel>[0],
  nodes: NodeSpec[],
  options: {
    batch?: number;
    out?: (number | string)[];
    opset?: number;
    init?: Parameters<typeof buildModel>[0]['initializers'];
  } = {},
): Model {
  const b = options.batch ?? 1;
  return loadModel(
    e,
    buildModel({
      nodes,
      inputs: [{ name: 'x', shape: [b, 4] }],
      outputs: [{ name: 'y', shape: options.out ?? [b, 4] }],
      initializers: options.init,
      opset: options.opset ?? 17,
    }),
  );
}

/** Runs `m` on `rows` rows of x and returns y, with the plan's batch mode. */
async function runRows(m: Model, x: Float32Array, rows: number) {
  const plan = m.plan(new Map([['x', { dtype: 'float32', shape: [rows, 4] }]]));
  const { outputs } = run(m, { x: { data: x.slice(0, rows * 4), shape: [rows, 4] } });
  const y = Array.from(await outputs.y.read());
  outputs.y.destroy();
  return { y, mode: plan.batch?.mode, reason: plan.batch?.reason ?? '', shape: outputs.y.shape };
}

/** y of each declared batch of x run on its own, concatenated. */
async function oneByOne(m: Model, x: Float32Array, rows: number, declared = 1) {
  const out: number[] = [];
  for (let r = 0; r < rows; r += declared) {
    const part = new Float32Array(declared * 4);
    for (let i = 0; i < declared * 4; i++) part[i] = x[Math.min(r * 4 + i, rows * 4 - 4 + (i % 4))];
    const { outputs } = run(m, { x: { data: part, shape: [declared, 4] } });
    const y = Array.from(await outputs.y.read());
    outputs.y.destroy();
    out.push(...y.slice(0, Math.min(declared, rows - r) * (y.length / declared)));
  }
  return out;
}

const X = uniform(3 * 4, 11, -2, 2);

testGpu('fixed batch: row-local graphs are re-planned at the new batch', getEngine, async (e) => {
  const W = Array.from(uniform(16, 3));
  const cases: [string, NodeSpec[]][] = [
    ['Relu', [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }]],
    ['MatMul x·W', [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }]],
    ['Softmax axis 1', [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], ints: { axis: 1 } }]],
  ];
  for (const [what, nodes] of cases) {
    using m = model(e, nodes, { init: [{ name: 'W', dims: [4, 4], float: W }] });
    const got = await runRows(m, X, 3);
    assertEquals(got.mode, 'free', what);
    assertArrayEquals(got.y, await oneByOne(m, X, 3), what);
  }
});

testGpu('fixed batch: graphs that mix or bake the batch run in chunks', getEngine, async (e) => {
  const cases: [string, NodeSpec[], string, number?][] = [
    [
      'Softmax over axis 0',
      [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], ints: { axis: 0 } }],
      'works along axis 0',
    ],
    [
      'Transpose there and back',
      [
        { op: 'Transpose', inputs: ['x'], outputs: ['t'], ints: { perm: [1, 0] } },
        { op: 'Transpose', inputs: ['t'], outputs: ['y'], ints: { perm: [1, 0] } },
      ],
      // [4, 1] at batch 1 but [4, 3] at batch 3: caught by the shapes before the axis rule.
      "(Transpose node 'Transpose_0')",
    ],
    [
      'Reshape to a constant [1, -1]',
      [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Reshape', inputs: ['r', 's'], outputs: ['y'] },
      ],
      'bakes in its batch',
    ],
    [
      'ReduceSum over every axis, kept',
      [{ op: 'ReduceSum', inputs: ['x'], outputs: ['y'], ints: { keepdims: 1 } }],
      "(ReduceSum node 'ReduceSum_0') is [1,1] at batch 1 but [1,1] at batch 3",
    ],
  ];
  for (const [what, nodes, reason] of cases) {
    using m = model(e, nodes, {
      init: [{ name: 's', dims: [2], int64: [1, -1] }],
      out: what.startsWith('ReduceSum') ? [1, 1] : [1, 4],
    });
    const got = await runRows(m, X, 3);
    assertEquals(got.mode, 'chunked', what);
    assert(got.reason.includes(reason), `${what}: reason '${got.reason}'`);
    assertEquals(got.shape[0], 3, what);
    assertArrayEquals(got.y, await oneByOne(m, X, 3), what);
  }
});

testGpu(
  'fixed batch: a declared batch of 2 runs 3 rows in two chunks, the last padded',
  getEngine,
  async (e) => {
    // Reshape to the constant [2, 4] bakes the batch of 2 in.
    using m = model(e, [
      { op: 'Reshape', inputs: ['x', 's'], outputs: ['r'] },
      { op: 'Sigmoid', inputs: ['r'], outputs: ['y'] },
    ], { batch: 2, init: [{ name: 's', dims: [2], int64: [2, 4] }] });
    const got = await runRows(m, X, 3);
    assertEquals(got.mode, 'chunked');
    assertArrayEquals(got.shape, [3, 4]);
    assertArrayEquals(got.y, await oneByOne(m, X, 3, 2));
    // One row: one chunk padded from 1 to 2 rows.
    const single = await runRows(m, X, 1);
    assertArrayEquals(single.y, got.y.slice(0, 4));
  },
);

testGpu(
  'fixed batch: chunked backward stacks input gradients and sums weight gradients',
  getEngine,
  async (e) => {
    const W = uniform(8, 5);
    using m = model(e, [
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['h'] },
      { op: 'Reshape', inputs: ['h', 's'], outputs: ['y'] },
    ], {
      out: [1, 2],
      init: [{ name: 'W', dims: [4, 2], float: Array.from(W) }, {
        name: 's',
        dims: [2],
        int64: [1, -1],
      }],
    });
    // Objective Σ_r c_r·y_r: dx_r = W·c_r, dW = Σ_r x_rᵀ·c_r (over the chunks).
    const c = [1, -2, 0.5, 3, -1, 2];
    const { grads, values } = backward(m, { x: { data: X, shape: [3, 4] } }, {
      wrt: ['x', 'W'],
      seed: () => ({ y: tensor(e, c, [3, 2]) }),
    });
    assertArrayEquals(values.y.shape, [3, 2]);
    const dx = Array.from(await grads.x.read());
    const dW = Array.from(await grads.W.read());
    for (const t of [...Object.values(grads), ...Object.values(values)]) t.destroy();
    for (let r = 0; r < 3; r++) {
      for (let i = 0; i < 4; i++) {
        const want = W[i * 2] * c[r * 2] + W[i * 2 + 1] * c[r * 2 + 1];
        assert(Math.abs(dx[r * 4 + i] - want) <= 1e-6 * (1 + Math.abs(want)), `dx[${r}, ${i}]`);
      }
    }
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) {
        let want = 0;
        for (let r = 0; r < 3; r++) want += X[r * 4 + i] * c[r * 2 + j];
        assert(Math.abs(dW[i * 2 + j] - want) <= 1e-5 * (1 + Math.abs(want)), `dW[${i}, ${j}]`);
      }
    }
  },
);

testGpu(
  'fixed batch: what cannot run in chunks is refused with a sentence',
  getEngine,
  async (e) => {
    // The output has no batch axis: a Tile of the (single) row.
    using tiled = model(e, [{ op: 'Tile', inputs: ['x', 'r'], outputs: ['y'] }], {
      out: [2, 4],
      init: [{ name: 'r', dims: [2], int64: [2, 1] }],
    });
    if (!tiled.ir.graph.nodes.length) return;
    const err = assertThrows(
      () => run(tiled, { x: { data: X, shape: [3, 4] } }),
      ShapeError,
      'no output has the batch as its leading axis',
    );
    assert(err.message.includes('fixed at 1'), err.message);
    // Two inputs that disagree on the batch.
    using two = loadModel(
      e,
      buildModel({
        nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
        inputs: [{ name: 'a', shape: [1, 4] }, { name: 'b', shape: [1, 4] }],
        outputs: [{ name: 'y', shape: [1, 4] }],
      }),
    );
    assertThrows(
      () => run(two, { a: { data: X, shape: [3, 4] }, b: { data: X.slice(0, 8), shape: [2, 4] } }),
      ShapeError,
      'must share one batch',
    );
    await Promise.resolve();
  },
);
