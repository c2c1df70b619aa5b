// Issue 13 through the model API, in Deno and in Chromium: indices out of range and int64
// results past 32 bits raise typed errors instead of clamped or wrapped results. The shipped text
// model (a 2002-word vocabulary) with token ids outside it, fed as host data and as a GPU tensor
// (checked on the GPU, reported by the readback; host data also by `validateIndexFeeds`);
// Gather on indices the model computes (ArgMax → Gather); the element gathers and scatters with
// runtime indices; int64 Add, Sub, Mul, Sum past 32 bits, int64 inputs past 32 bits. Each starts
// from a control case that runs and varies one value across the boundary.
import { assert, assertArrayEquals, assertEquals, assertRejects, assertThrows } from './assert.ts';
import { loadBytes, loadNpy } from './files.ts';
import { sharedEngine, testGpu } from './harness.ts';
import { buildModel, type NodeSpec } from './onnx_builder.ts';
import { explain } from '../src/explain/explain.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { ArgumentError, IndexError, IntegerOverflowError } from '../src/gpu/errors.ts';
import { NodeError } from '../src/graph/errors.ts';
import { validateIndexFeeds } from '../src/onnx/index_feeds.ts';
import { type InputData, loadModel, type Model, prepareRun, run } from '../src/onnx/model.ts';
import { pendingChecks } from '../src/ops/deferred_check.ts';
import { tensor } from '../src/tensor.ts';

const getEngine = sharedEngine();

const FLOAT = 1;
const INT64 = 7;
const VOCAB = 2002;
const AT = 5;

/** Runs `model` on `feeds` and reads output `name`. */
async function runAndRead(
  model: Model,
  feeds: Record<string, InputData | ReturnType<typeof tensor>>,
  name: string,
) {
  const { outputs } = run(model, feeds);
  try {
    return await outputs[name].read();
  } finally {
    for (const t of Object.values(outputs)) t.destroy();
  }
}

/** Host validation of the feeds against the plan (what `run` would take). */
function hostCheck(model: Model, feeds: Record<string, InputData>): void {
  const { plan, values } = prepareRun(model, feeds);
  for (const t of values.values()) t.destroy();
  validateIndexFeeds(plan, feeds);
}

async function textRow(): Promise<BigInt64Array> {
  const ids = await loadNpy('models/data/text_test_ids.npy');
  return (ids.data as BigInt64Array).slice(0, 64);
}

testGpu('text model: token ids outside the vocabulary raise IndexError', getEngine, async (e) => {
  using model = loadModel(e, await loadBytes('models/text_transformer.onnx'));
  const row = await textRow();
  const feed = (id: number): Record<string, InputData> => {
    const data = row.slice();
    data[AT] = BigInt(id);
    return { input_ids: { data, shape: [1, 64] } };
  };
  // Control: the last word, and −1 (counted from the end) for the same word, agree exactly.
  const last = await runAndRead(model, feed(VOCAB - 1), 'logits');
  const minusOne = await runAndRead(model, feed(-1), 'logits');
  assertArrayEquals(minusOne, last, 'id −1 is id 2001');
  hostCheck(model, feed(-1));
  hostCheck(model, feed(-VOCAB));
  for (const id of [VOCAB, 999999, 2 ** 31 - 1, -5000, -VOCAB - 1]) {
    const message =
      `Cannot run Gather node '/tok_emb/Gather': index ${id} at input_ids[0, ${AT}] ` +
      `(indices [1, 64]) is out of range for axis 0 of data [2002, 32] (valid: -2002..2001)`;
    // Host data: the GPU check reports it with the readback...
    const error = await assertRejects(() => runAndRead(model, feed(id), 'logits'), IndexError);
    assertEquals(error.message, message);
    assert(error instanceof ArgumentError, 'an IndexError is an ArgumentError');
    // ...and the host check finds it before anything runs.
    const host = assertThrows(() => hostCheck(model, feed(id)), IndexError);
    assertEquals(host.message, message);
    // A GPU tensor of ids: the GPU check.
    const ints = Int32Array.from(feed(id).input_ids.data as BigInt64Array, Number);
    using ids = tensor(e, ints, [1, 64], { label: 'input_ids' });
    await assertRejects(() => runAndRead(model, { input_ids: ids }, 'logits'), IndexError, message);
  }
  assertEquals(pendingChecks(e), 0, 'every check was resolved');
  // The model still runs after a refusal, and gives the same logits.
  assertArrayEquals(await runAndRead(model, feed(VOCAB - 1), 'logits'), last);
});

testGpu('text model: explain refuses a token id outside the vocabulary', getEngine, async (e) => {
  using model = loadModel(e, await loadBytes('models/text_transformer.onnx'));
  const data = await textRow();
  data[AT] = BigInt(VOCAB);
  await assertRejects(
    () => explain(model, { data, shape: [1, 64] }, { method: 'saliency' }),
    IndexError,
    `index ${VOCAB} at input_ids[0, ${AT}]`,
  );
  assertEquals(pendingChecks(e), 0);
});

function load(e: Engine, nodes: NodeSpec[], spec: {
  inputs: { name: string; type?: number; shape: number[] }[];
  outputs: { name: string; type?: number; shape: number[] }[];
  initializers?: { name: string; dims: number[]; float?: number[]; int64?: number[] }[];
}): Model {
  return loadModel(e, buildModel({ nodes, ...spec }));
}

testGpu('Gather on computed indices (ArgMax → Gather): the GPU check', getEngine, async (e) => {
  const table = Array.from({ length: 12 }, (_, i) => i);
  using model = load(e, [
    { op: 'ArgMax', name: 'pick', inputs: ['x'], outputs: ['k'], ints: { axis: 1, keepdims: 0 } },
    { op: 'Gather', name: 'lookup', inputs: ['table', 'k'], outputs: ['y'] },
  ], {
    inputs: [{ name: 'x', shape: [2, 5] }],
    outputs: [{ name: 'y', shape: [2, 3] }],
    initializers: [{ name: 'table', dims: [4, 3], float: table }],
  });
  // Row maxima at columns 1 and 3 (in range), then at 4 (past the 4 rows of the table).
  const x = (col: number) => {
    const v = new Float32Array(10);
    v[1] = 1;
    v[5 + col] = 1;
    return { x: { data: v, shape: [2, 5] } };
  };
  assertArrayEquals(await runAndRead(model, x(3), 'y'), [3, 4, 5, 9, 10, 11]);
  // Host data, but not the indices: the host check has nothing to say.
  hostCheck(model, x(4));
  await assertRejects(
    () => runAndRead(model, x(4), 'y'),
    IndexError,
    "Cannot run Gather node 'lookup': index 4 at k[1] (indices [2]) is out of range for axis 0 " +
      'of data [4, 3] (valid: -4..3)',
  );
});

testGpu('element and tuple gathers and scatters check runtime indices', getEngine, async (e) => {
  const x = { data: Float32Array.from({ length: 6 }, (_, i) => i), shape: [2, 3] };
  const cases: {
    node: NodeSpec;
    indices: number[];
    shape: number[];
    bad: number;
    updates?: number[];
    out: number[];
    what: string;
  }[] = [
    {
      node: { op: 'GatherElements', inputs: ['x', 'i'], outputs: ['y'], ints: { axis: 1 } },
      indices: [0, -3],
      shape: [2, 1],
      bad: 3,
      out: [2, 1],
      what: 'axis 1 of data [2, 3] (valid: -3..2)',
    },
    {
      node: { op: 'ScatterElements', inputs: ['x', 'i', 'u'], outputs: ['y'], ints: { axis: 1 } },
      indices: [2, -3],
      shape: [2, 1],
      bad: -4,
      updates: [2, 1],
      out: [2, 3],
      what: 'axis 1 of data [2, 3] (valid: -3..2)',
    },
    {
      node: { op: 'GatherND', inputs: ['x', 'i'], outputs: ['y'] },
      indices: [1, -2],
      shape: [2, 1],
      bad: 2,
      out: [2, 3],
      what: 'dimension 0 of data [2, 3] (position 0 of the index tuples) (valid: -2..1)',
    },
    {
      node: { op: 'ScatterND', inputs: ['x', 'i', 'u'], outputs: ['y'] },
      indices: [1, 0],
      shape: [2, 1],
      bad: -3,
      updates: [2, 3],
      out: [2, 3],
      what: 'dimension 0 of data [2, 3] (position 0 of the index tuples) (valid: -2..1)',
    },
  ];
  for (const c of cases) {
    const op = c.node.op;
    using model = load(e, [{ ...c.node, name: 'n' }], {
      inputs: [
        { name: 'x', shape: [2, 3] },
        { name: 'i', type: INT64, shape: c.shape },
        ...(c.updates ? [{ name: 'u', shape: c.updates }] : []),
      ],
      outputs: [{ name: 'y', shape: c.out }],
    });
    const feeds = (last: number): Record<string, InputData> => {
      const i = c.indices.slice();
      i[i.length - 1] = last;
      const f: Record<string, InputData> = { x, i: { data: i, shape: c.shape } };
      if (c.updates) {
        f.u = { data: new Float32Array(c.updates[0] * c.updates[1]), shape: c.updates };
      }
      return f;
    };
    await runAndRead(model, feeds(c.indices[c.indices.length - 1]), 'y');
    const message = `Cannot run ${op} node 'n': index ${c.bad} at i[1, 0] (indices ` +
      `[${c.shape.join(', ')}]) is out of range for ${c.what}`;
    await assertRejects(() => runAndRead(model, feeds(c.bad), 'y'), IndexError, message);
    assertThrows(() => hostCheck(model, feeds(c.bad)), IndexError, message);
  }
});

/** A model of one binary int64 node over inputs a and b (or Sum over a, b, c). */
function int64Model(e: Engine, op: string, n = 2, length = 2): Model {
  const names = ['a', 'b', 'c'].slice(0, n);
  return load(e, [{ op, name: 'calc', inputs: names, outputs: ['y'] }], {
    inputs: names.map((name) => ({ name, type: INT64, shape: [length] })),
    outputs: [{ name: 'y', type: INT64, shape: [length] }],
  });
}

const ints = (...v: number[]): InputData => ({
  data: BigInt64Array.from(v.map(BigInt)),
  shape: [v.length],
});

testGpu(
  'int64 Add, Sub, Mul, Sum past 32 bits raise IntegerOverflowError',
  getEngine,
  async (e) => {
    const cases = [
      // A control pair that fits (the first element: at the boundary where one exists), then one
      // past 32 bits.
      { op: 'Add', a: [1e9, 5], b: [1e9, 6], want: [2e9, 11], bad: [2e9, 2e9], sign: '+' },
      { op: 'Sub', a: [-1e9, 5], b: [1e9, 6], want: [-2e9, -1], bad: [-2e9, 2e9], sign: '−' },
      {
        op: 'Mul',
        a: [-65536, 3],
        b: [32768, 4],
        want: [-(2 ** 31), 12],
        bad: [65536, 32768],
        sign: '×',
      },
    ];
    for (const c of cases) {
      using model = int64Model(e, c.op);
      assertArrayEquals(await runAndRead(model, { a: ints(...c.a), b: ints(...c.b) }, 'y'), c.want);
      const [x, y] = c.bad;
      const exact = c.op === 'Add' ? x + y : c.op === 'Sub' ? x - y : x * y;
      await assertRejects(
        () => runAndRead(model, { a: ints(x, 1), b: ints(y, 1) }, 'y'),
        IntegerOverflowError,
        `Cannot run ${c.op} node 'calc': int64 result ${x} ${c.sign} ${y} = ${exact} (element 0 ` +
          'of the output [2]) does not fit in the 32-bit integers that hold int64 on the GPU',
      );
    }
    using sum = int64Model(e, 'Sum', 3, 1);
    assertArrayEquals(await runAndRead(sum, { a: ints(2e9), b: ints(1e8), c: ints(-1) }, 'y'), [
      2.1e9 - 1,
    ]);
    await assertRejects(
      () => runAndRead(sum, { a: ints(2e9), b: ints(1e8), c: ints(1e8) }, 'y'),
      IntegerOverflowError,
      "Sum node 'calc': int64 result 2100000000 + 100000000 = 2200000000",
    );
    // Float arithmetic is not checked (nor needs to be).
    using f = load(e, [{ op: 'Add', name: 'calc', inputs: ['a', 'b'], outputs: ['y'] }], {
      inputs: [{ name: 'a', type: FLOAT, shape: [1] }, { name: 'b', type: FLOAT, shape: [1] }],
      outputs: [{ name: 'y', type: FLOAT, shape: [1] }],
    });
    assertArrayEquals(
      await runAndRead(f, { a: { data: [2e9], shape: [1] }, b: { data: [2e9], shape: [1] } }, 'y'),
      [4e9],
    );
    assertEquals(pendingChecks(e), 0);
  },
);

testGpu('int64 past 32 bits: inputs refused, plan-time results exact', getEngine, async (e) => {
  using model = int64Model(e, 'Add');
  for (const v of [2n ** 31n, -(2n ** 31n) - 1n, 2n ** 40n]) {
    assertThrows(
      () => run(model, { a: { data: new BigInt64Array([v, 0n]), shape: [2] }, b: ints(1, 1) }),
      ArgumentError,
      `input 'a' element 0 (${v}) is not a 32-bit integer`,
    );
  }
  // Folded on the host at plan time: exact, and refused where the GPU cannot hold the result.
  const folded = (value: number) =>
    load(e, [{ op: 'Add', name: 'calc', inputs: ['p', 'q'], outputs: ['y'] }], {
      inputs: [],
      outputs: [{ name: 'y', type: INT64, shape: [1] }],
      initializers: [{ name: 'p', dims: [1], int64: [value] }, {
        name: 'q',
        dims: [1],
        int64: [2e9],
      }],
    });
  using fits = folded(-2e9);
  assertArrayEquals(await runAndRead(fits, {}, 'y'), [0]);
  using past = folded(2e9);
  assertThrows(() => run(past, {}), NodeError, 'value 4000000000 does not fit in 32 bits');
});
