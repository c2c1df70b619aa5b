/**
 * The seed corpus of the fuzzer: hand-built malformed models (issue 13's list), small valid
 * models to mutate (built with `test/onnx_builder.ts`), the shipped models and the torchvision
 * fixtures. Each entry names what it probes and the inputs to run it with.
 *
 * @module
 */

import { buildModel, type NodeSpec, type ValueSpec } from '../onnx_builder.ts';
import type { InputRecipe } from './inputs.ts';
import { decodeModel, encodeModel, graph, model, node, type TensorSpec } from './proto.ts';

/** One seed case. */
export interface CorpusEntry {
  /** Unique, snake_case. */
  name: string;
  /** `malformed`: hand-built broken or hostile; `small`: valid builder models; the rest: files. */
  kind: 'malformed' | 'small' | 'shipped' | 'torchvision';
  /** What it probes, and what a correct engine does with it. */
  note: string;
  /** The model bytes. */
  bytes: () => Promise<Uint8Array>;
  /** How to fill its inputs. */
  inputs: InputRecipe;
  /** Relative chance of being picked as the base of a mutated case. */
  weight: number;
}

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;
const TEXT_VOCAB = 2002;

function built(spec: Parameters<typeof buildModel>[0]): () => Promise<Uint8Array> {
  return () => Promise.resolve(buildModel(spec));
}

function file(path: string): () => Promise<Uint8Array> {
  return () => Deno.readFile(new URL(`../../${path}`, import.meta.url));
}

/** A one-node model over one float input `x` of `shape`, output `y`. */
function unary(node: Omit<NodeSpec, 'outputs'>, shape: number[], opset = 17) {
  return built({
    nodes: [{ ...node, outputs: ['y'] }],
    inputs: [{ name: 'x', shape }],
    outputs: [{ name: 'y', shape }],
    opset,
  });
}

const X23: ValueSpec = { name: 'x', shape: [2, 3] };
const Y23: ValueSpec = { name: 'y', shape: [2, 3] };

/** `Loop` of `trips` iterations whose body doubles the carried tensor with `Concat`. */
function loopDoubling(trips: number): () => Promise<Uint8Array> {
  const body = graph({
    name: 'body',
    nodes: [
      node({ op: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] }),
      node({
        op: 'Concat',
        inputs: ['v_in', 'v_in'],
        outputs: ['v_out'],
        attrs: { axis: { i: 0 } },
      }),
    ],
    inputs: [
      { name: 'iter', dtype: 'int64', shape: [] },
      { name: 'cond_in', dtype: 'bool', shape: [] },
      { name: 'v_in', dtype: 'float32', shape: ['n'] },
    ],
    outputs: [{ name: 'cond_out', dtype: 'bool', shape: [] }, {
      name: 'v_out',
      dtype: 'float32',
      shape: ['m'],
    }],
  });
  const g = graph({
    nodes: [
      node({
        op: 'Loop',
        inputs: ['trips', '', 'v0'],
        outputs: ['y'],
        attrs: { body: { g: body } },
      }),
    ],
    inputs: [],
    outputs: [{ name: 'y', shape: ['n'] }],
    initializers: [
      { name: 'trips', dtype: 'int64', dims: [], data: [trips] },
      { name: 'v0', dtype: 'float32', dims: [1], data: [1] },
    ],
  });
  return () => Promise.resolve(encodeModel(model(g, 17)));
}

/** `If` whose then-branch makes `ConstantOfShape(dims)` and else-branch `ConstantOfShape([1])`. */
function ifConstantOfShape(dims: number[]): () => Promise<Uint8Array> {
  const branch = (name: string, shape: number[]) =>
    graph({
      name,
      nodes: [
        node({
          op: 'Constant',
          inputs: [],
          outputs: [`${name}_shape`],
          attrs: { value: { t: { dtype: 'int64', dims: [shape.length], data: shape } } },
        }),
        node({ op: 'ConstantOfShape', inputs: [`${name}_shape`], outputs: [`${name}_out`] }),
      ],
      inputs: [],
      outputs: [{ name: `${name}_out`, shape: shape.map((_, i) => `d${i}`) }],
    });
  const g = graph({
    nodes: [
      node({
        op: 'If',
        inputs: ['cond'],
        outputs: ['y'],
        attrs: {
          then_branch: { g: branch('then', dims) },
          else_branch: { g: branch('else', [1]) },
        },
      }),
    ],
    inputs: [{ name: 'cond', dtype: 'bool', shape: [] }],
    outputs: [{ name: 'y', shape: null }],
  });
  return () => Promise.resolve(encodeModel(model(g, 17)));
}

/** `Range(start, limit, delta)` of constants. */
function range(dtype: 'float32' | 'int64', limit: number): () => Promise<Uint8Array> {
  const scalar = (name: string, v: number): TensorSpec => ({ name, dtype, dims: [], data: [v] });
  const g = graph({
    nodes: [node({ op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['y'] })],
    inputs: [],
    outputs: [{ name: 'y', dtype, shape: ['n'] }],
    initializers: [scalar('start', 0), scalar('limit', limit), scalar('delta', 1)],
  });
  return () => Promise.resolve(encodeModel(model(g, 17)));
}

/** A chain of `count` `Neg` nodes from `x` to `y`, stored reversed when `reverse`. */
function chain(count: number, reverse: boolean): () => Promise<Uint8Array> {
  const nodes = Array.from({ length: count }, (_, i) =>
    node({
      op: 'Neg',
      name: `neg_${i}`,
      inputs: [i === 0 ? 'x' : `t${i - 1}`],
      outputs: [i === count - 1 ? 'y' : `t${i}`],
    }));
  if (reverse) nodes.reverse();
  const g = graph({
    nodes,
    inputs: [{ name: 'x', shape: [4] }],
    outputs: [{ name: 'y', shape: [4] }],
  });
  return () => Promise.resolve(encodeModel(model(g, 17)));
}

/** A builder model patched after encoding (e.g. a second initializer of the same name). */
function patched(
  spec: Parameters<typeof buildModel>[0],
  patch: (m: ReturnType<typeof decodeModel>) => void,
): () => Promise<Uint8Array> {
  return () => {
    const m = decodeModel(buildModel(spec));
    patch(m);
    return Promise.resolve(encodeModel(m));
  };
}

/** Int64 `op(a, b)` over runtime inputs `a`, `b` of shape [4]. */
function int64Binary(op: string): Parameters<typeof buildModel>[0] {
  return {
    nodes: [{ op, inputs: ['a', 'b'], outputs: ['y'] }],
    inputs: [{ name: 'a', type: INT64, shape: [4] }, { name: 'b', type: INT64, shape: [4] }],
    outputs: [{ name: 'y', type: INT64, shape: [4] }],
  };
}

const CONV_W = { name: 'w', dims: [1, 1, 3, 3], float: [1, 2, 1, 0, 0, 0, -1, -2, -1] };
const X1155: ValueSpec = { name: 'x', shape: [1, 1, 5, 5] };

const MALFORMED: Omit<CorpusEntry, 'kind' | 'weight'>[] = [
  {
    name: 'mul_one_input',
    note: 'Mul with one input: refuse (arity)',
    bytes: built({
      nodes: [{ op: 'Mul', inputs: ['x'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
    }),
    inputs: {},
  },
  {
    name: 'sub_three_inputs',
    note: 'Sub with three inputs: refuse (arity)',
    bytes: built({
      nodes: [{ op: 'Sub', inputs: ['x', 'x', 'x'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
    }),
    inputs: {},
  },
  {
    name: 'relu_two_inputs',
    note: 'Relu with two inputs: refuse (arity)',
    bytes: built({
      nodes: [{ op: 'Relu', inputs: ['x', 'x'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
    }),
    inputs: {},
  },
  {
    name: 'duplicate_initializer',
    note: 'two initializers named w (different values and shapes): refuse',
    bytes: built({
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
      initializers: [{ name: 'w', dims: [3], float: [1, 2, 3] }, {
        name: 'w',
        dims: [2, 3],
        float: [9, 9, 9, 9, 9, 9],
      }],
    }),
    inputs: {},
  },
  {
    name: 'duplicate_graph_input',
    note: 'graph input x declared twice with different shapes: refuse',
    bytes: built({
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      inputs: [X23, { name: 'x', shape: [4] }],
      outputs: [Y23],
    }),
    inputs: {},
  },
  {
    name: 'no_outputs',
    note: 'a graph with no outputs: refuse',
    bytes: built({
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [],
    }),
    inputs: {},
  },
  {
    name: 'gelu_opset13',
    note: 'Gelu (opset 20) in an opset-13 model: refuse as unsupported in that opset',
    bytes: unary({ op: 'Gelu', inputs: ['x'] }, [2, 3], 13),
    inputs: {},
  },
  {
    name: 'conv_padq',
    note: 'Conv with a misspelled attribute padq: refuse (unknown attribute)',
    bytes: built({
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], ints: { padq: [1, 1, 1, 1] } }],
      inputs: [X1155],
      outputs: [{ name: 'y', shape: [1, 1, 5, 5] }],
      initializers: [CONV_W],
    }),
    inputs: {},
  },
  {
    name: 'conv_group_case',
    note: 'Conv with a misspelled attribute gRoup: refuse (unknown attribute)',
    bytes: built({
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], ints: { gRoup: 1 } }],
      inputs: [X1155],
      outputs: [{ name: 'y', shape: [1, 1, 3, 3] }],
      initializers: [CONV_W],
    }),
    inputs: {},
  },
  {
    name: 'cycle',
    note: 'a → Relu → b → Relu → a: refuse (cycle)',
    bytes: built({
      nodes: [
        { op: 'Add', inputs: ['x', 'b'], outputs: ['a'] },
        { op: 'Relu', inputs: ['a'], outputs: ['b'] },
      ],
      inputs: [X23],
      outputs: [{ name: 'b', shape: [2, 3] }],
    }),
    inputs: {},
  },
  {
    name: 'self_loop',
    note: 'Add(x, y) → y: refuse (a node reads its own output)',
    bytes: built({
      nodes: [{ op: 'Add', inputs: ['x', 'y'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
    }),
    inputs: {},
  },
  {
    name: 'dangling_input',
    note: 'a node reads a name nothing defines: refuse',
    bytes: built({
      nodes: [{ op: 'Add', inputs: ['x', 'nowhere'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
    }),
    inputs: {},
  },
  {
    name: 'dangling_output',
    note: 'a graph output nothing defines: refuse',
    bytes: built({
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [{ name: 'z', shape: [2, 3] }],
    }),
    inputs: {},
  },
  {
    name: 'output_defined_twice',
    note: 'two nodes write y: refuse',
    bytes: built({
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['y'] },
        { op: 'Neg', inputs: ['x'], outputs: ['y'] },
      ],
      inputs: [X23],
      outputs: [Y23],
    }),
    inputs: {},
  },
  {
    name: 'node_overwrites_input',
    note: 'a node writes the graph input x: refuse',
    bytes: built({
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['x'] }, {
        op: 'Neg',
        inputs: ['x'],
        outputs: ['y'],
      }],
      inputs: [X23],
      outputs: [Y23],
    }),
    inputs: {},
  },
  {
    name: 'initializer_overwritten',
    note: 'a node writes the initializer w: refuse',
    bytes: built({
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['w'] }, {
        op: 'Add',
        inputs: ['x', 'w'],
        outputs: ['y'],
      }],
      inputs: [X23],
      outputs: [Y23],
      initializers: [{ name: 'w', dims: [3], float: [1, 2, 3] }],
    }),
    inputs: {},
  },
  {
    name: 'loop_concat_doubling_40',
    note: 'Loop doubling a constant with Concat 40 times (2^40 elements when folded): refuse ' +
      'with a typed error before allocating',
    bytes: loopDoubling(40),
    inputs: {},
  },
  {
    name: 'loop_concat_doubling_10',
    note: 'the same Loop 10 times (1,024 elements): run and agree',
    bytes: loopDoubling(10),
    inputs: {},
  },
  {
    name: 'range_1e12_float',
    note: 'Range(0, 1e12, 1) of float constants: refuse with a typed error before allocating',
    bytes: range('float32', 1e12),
    inputs: {},
  },
  {
    name: 'range_1e12_int64',
    note: 'Range(0, 1e12, 1) of int64 constants: refuse with a typed error before allocating',
    bytes: range('int64', 1e12),
    inputs: {},
  },
  {
    name: 'if_huge_branch_taken',
    note: 'If(cond = true) → ConstantOfShape([2^20, 2^20]): refuse with a typed error',
    bytes: ifConstantOfShape([2 ** 20, 2 ** 20]),
    inputs: { values: { cond: 1 } },
  },
  {
    name: 'if_huge_branch_untaken',
    note: 'If(cond = false), the then-branch ConstantOfShape([2^20, 2^20]): run the else-branch',
    bytes: ifConstantOfShape([2 ** 20, 2 ** 20]),
    inputs: { values: { cond: 0 } },
  },
  {
    name: 'deep_8192_reversed',
    note: '8,192 Neg nodes stored in reverse order (recursion depth, sorting): run and agree',
    bytes: chain(8192, true),
    inputs: {},
  },
  {
    name: 'deep_8192_ordered',
    note: '8,192 Neg nodes in order: run and agree',
    bytes: chain(8192, false),
    inputs: {},
  },
  ...[TEXT_VOCAB, 999999, 2 ** 31 - 1, -5000].map((id) => ({
    name: `text_token_id_${id < 0 ? `minus${-id}` : id}`,
    note: `token id ${id} for a vocabulary of ${TEXT_VOCAB}: refuse (onnxruntime: out of range)`,
    bytes: file('models/text_transformer.onnx'),
    inputs: { id, intHigh: TEXT_VOCAB },
  })),
  {
    name: 'text_token_id_minus1',
    note: 'token id −1 (valid: Gather counts negative indices from the end): run and agree',
    bytes: file('models/text_transformer.onnx'),
    inputs: { id: -1, intHigh: TEXT_VOCAB },
  },
  {
    name: 'mnist_nan_inf',
    note: 'NaN and ±Inf pixels: NaN where onnxruntime has NaN',
    bytes: file('models/mnist_cnn.onnx'),
    inputs: { fill: 'nan' },
  },
  ...(['Relu', 'Sigmoid', 'Softmax', 'Abs', 'Exp'] as const).map((op) => ({
    name: `${op.toLowerCase()}_nan_inf`,
    note: `${op} of NaN and ±Inf: the IEEE results`,
    bytes: built({
      nodes: [{ op, inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', shape: [4, 16] }],
      outputs: [{ name: 'y', shape: [4, 16] }],
    }),
    inputs: { fill: 'nan' as const },
  })),
  {
    name: 'maxpool_nan_inf',
    note: 'MaxPool over NaN and ±Inf',
    bytes: built({
      nodes: [{
        op: 'MaxPool',
        inputs: ['x'],
        outputs: ['y'],
        ints: { kernel_shape: [2, 2], strides: [2, 2] },
      }],
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      outputs: [{ name: 'y', shape: [1, 1, 4, 4] }],
    }),
    inputs: { fill: 'nan' },
  },
  {
    name: 'reduce_max_nan_inf',
    note: 'ReduceMax over NaN and ±Inf (NaN propagates)',
    bytes: built({
      nodes: [{ op: 'ReduceMax', inputs: ['x'], outputs: ['y'], ints: { axes: [1], keepdims: 0 } }],
      inputs: [{ name: 'x', shape: [4, 16] }],
      outputs: [{ name: 'y', shape: [4] }],
    }),
    inputs: { fill: 'nan' },
  },
  {
    name: 'int64_add_overflow_inputs',
    note: 'int64 inputs 2e9 + 2e9 = 4e9: the int64 result, or refuse (never a wrapped int32)',
    bytes: built(int64Binary('Add')),
    inputs: { int: 2e9 },
  },
  {
    name: 'int64_mul_overflow_inputs',
    note: 'int64 inputs 65536 × 65536 = 2^32: the int64 result, or refuse',
    bytes: built(int64Binary('Mul')),
    inputs: { int: 65536 },
  },
  {
    name: 'int64_add_overflow_constants',
    note: 'int64 constants 2e9 + 2e9 folded at load: the int64 result, or refuse',
    bytes: built({
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
      inputs: [],
      outputs: [{ name: 'y', type: INT64, shape: [1] }],
      initializers: [{ name: 'a', dims: [1], int64: [2e9] }, {
        name: 'b',
        dims: [1],
        int64: [2e9],
      }],
    }),
    inputs: {},
  },
  {
    name: 'int64_sum_overflow_input',
    note: 'ReduceSum of int64 inputs 1e9 × 4 = 4e9: the int64 result, or refuse',
    bytes: built({
      nodes: [{ op: 'ReduceSum', inputs: ['a'], outputs: ['y'], ints: { keepdims: 0 } }],
      inputs: [{ name: 'a', type: INT64, shape: [4] }],
      outputs: [{ name: 'y', type: INT64, shape: [] }],
    }),
    inputs: { int: 1e9 },
  },
  {
    name: 'initializer_data_short',
    note: 'an initializer with fewer values than its dims: refuse',
    bytes: built({
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
      initializers: [{ name: 'w', dims: [2, 3], float: [1, 2] }],
    }),
    inputs: {},
  },
  {
    name: 'negative_input_dim',
    note: 'a graph input declared with dimension −3: refuse',
    bytes: built({
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', shape: [2, -3] }],
      outputs: [Y23],
    }),
    inputs: {},
  },
  {
    name: 'reshape_negative_shape',
    note: 'Reshape to [-2, 3]: refuse',
    bytes: built({
      nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
      initializers: [{ name: 's', dims: [2], int64: [-2, 3] }],
    }),
    inputs: {},
  },
  {
    name: 'unknown_domain',
    note: 'a node in an unimported domain: refuse',
    bytes: patched(
      { nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [X23], outputs: [Y23] },
      (m) => {
        m.graph!.node[0].domain = 'com.example.nowhere';
      },
    ),
    inputs: {},
  },
  {
    name: 'subgraph_reads_outer_undefined',
    note: 'an If branch reading a name defined nowhere: refuse',
    bytes: () => {
      const branch = (name: string) =>
        graph({
          name,
          nodes: [node({ op: 'Relu', inputs: ['ghost'], outputs: [`${name}_out`] })],
          inputs: [],
          outputs: [{ name: `${name}_out`, shape: [2, 3] }],
        });
      const g = graph({
        nodes: [node({
          op: 'If',
          inputs: ['cond'],
          outputs: ['y'],
          attrs: { then_branch: { g: branch('then') }, else_branch: { g: branch('else') } },
        })],
        inputs: [{ name: 'cond', dtype: 'bool', shape: [] }],
        outputs: [{ name: 'y', shape: [2, 3] }],
      });
      return Promise.resolve(encodeModel(model(g, 17)));
    },
    inputs: { values: { cond: 1 } },
  },
];

const SMALL: Omit<CorpusEntry, 'kind' | 'weight'>[] = [
  {
    name: 'add_broadcast',
    note: 'Add with broadcasting',
    bytes: built({
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [X23],
      outputs: [Y23],
      initializers: [{ name: 'w', dims: [3], float: [0.5, -1, 2] }],
    }),
    inputs: {},
  },
  {
    name: 'gemm',
    note: 'Gemm with transB and bias',
    bytes: built({
      nodes: [{
        op: 'Gemm',
        inputs: ['x', 'w', 'b'],
        outputs: ['y'],
        ints: { transB: 1 },
        floats: { alpha: 0.5 },
      }],
      inputs: [{ name: 'x', shape: [2, 4] }],
      outputs: [{ name: 'y', shape: [2, 3] }],
      initializers: [
        {
          name: 'w',
          dims: [3, 4],
          float: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => v / 10),
        },
        { name: 'b', dims: [3], float: [0.1, 0.2, 0.3] },
      ],
    }),
    inputs: {},
  },
  {
    name: 'matmul_batched',
    note: 'batched MatMul with a symbolic batch',
    bytes: built({
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [{ name: 'x', shape: ['batch', 3, 4] }],
      outputs: [{ name: 'y', shape: ['batch', 3, 2] }],
      initializers: [{ name: 'w', dims: [4, 2], float: [1, -1, 0.5, 2, -0.5, 0, 3, 1] }],
    }),
    inputs: { batch: 2 },
  },
  {
    name: 'conv_pads_strides',
    note: 'Conv with pads, strides, dilations and bias',
    bytes: built({
      nodes: [{
        op: 'Conv',
        inputs: ['x', 'w', 'b'],
        outputs: ['y'],
        ints: { pads: [1, 1, 1, 1], strides: [2, 1], dilations: [1, 1], group: 1 },
      }],
      inputs: [{ name: 'x', shape: [1, 2, 6, 5] }],
      outputs: [{ name: 'y', shape: [1, 2, 3, 5] }],
      initializers: [
        { name: 'w', dims: [2, 2, 3, 3], float: Array.from({ length: 36 }, (_, i) => Math.sin(i)) },
        { name: 'b', dims: [2], float: [0.25, -0.25] },
      ],
    }),
    inputs: {},
  },
  {
    name: 'maxpool_averagepool',
    note: 'MaxPool then AveragePool',
    bytes: built({
      nodes: [
        {
          op: 'MaxPool',
          inputs: ['x'],
          outputs: ['p'],
          ints: { kernel_shape: [2, 2], strides: [1, 1] },
        },
        {
          op: 'AveragePool',
          inputs: ['p'],
          outputs: ['y'],
          ints: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        },
      ],
      inputs: [{ name: 'x', shape: [1, 2, 7, 7] }],
      outputs: [{ name: 'y', shape: [1, 2, 6, 6] }],
    }),
    inputs: {},
  },
  {
    name: 'softmax_axis',
    note: 'Softmax over axis 1 of a 3-D tensor',
    bytes: built({
      nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], ints: { axis: 1 } }],
      inputs: [{ name: 'x', shape: [2, 5, 3] }],
      outputs: [{ name: 'y', shape: [2, 5, 3] }],
    }),
    inputs: {},
  },
  {
    name: 'reshape_transpose',
    note: 'Reshape (with −1) then Transpose',
    bytes: built({
      nodes: [
        { op: 'Reshape', inputs: ['x', 's'], outputs: ['r'] },
        { op: 'Transpose', inputs: ['r'], outputs: ['y'], ints: { perm: [1, 0] } },
      ],
      inputs: [{ name: 'x', shape: [2, 3, 4] }],
      outputs: [{ name: 'y', shape: [4, 6] }],
      initializers: [{ name: 's', dims: [2], int64: [-1, 4] }],
    }),
    inputs: {},
  },
  {
    name: 'concat_slice',
    note: 'Concat then Slice with steps',
    bytes: built({
      nodes: [
        { op: 'Concat', inputs: ['x', 'x'], outputs: ['c'], ints: { axis: 1 } },
        { op: 'Slice', inputs: ['c', 'starts', 'ends', 'axes', 'steps'], outputs: ['y'] },
      ],
      inputs: [X23],
      outputs: [{ name: 'y', shape: [2, 3] }],
      initializers: [
        { name: 'starts', dims: [1], int64: [0] },
        { name: 'ends', dims: [1], int64: [6] },
        { name: 'axes', dims: [1], int64: [1] },
        { name: 'steps', dims: [1], int64: [2] },
      ],
    }),
    inputs: {},
  },
  {
    name: 'gather_embedding',
    note: 'Gather rows of an embedding by int64 ids',
    bytes: built({
      nodes: [{ op: 'Gather', inputs: ['emb', 'ids'], outputs: ['y'], ints: { axis: 0 } }],
      inputs: [{ name: 'ids', type: INT64, shape: [1, 6] }],
      outputs: [{ name: 'y', shape: [1, 6, 4] }],
      initializers: [{
        name: 'emb',
        dims: [12, 4],
        float: Array.from({ length: 48 }, (_, i) => i / 7),
      }],
    }),
    inputs: {},
  },
  {
    name: 'reduce_mean_layernorm',
    note: 'ReduceMean and LayerNormalization',
    bytes: built({
      nodes: [
        { op: 'LayerNormalization', inputs: ['x', 'g', 'b'], outputs: ['n'], ints: { axis: -1 } },
        { op: 'ReduceMean', inputs: ['n'], outputs: ['y'], ints: { axes: [0], keepdims: 1 } },
      ],
      inputs: [{ name: 'x', shape: [3, 8] }],
      outputs: [{ name: 'y', shape: [1, 8] }],
      initializers: [
        { name: 'g', dims: [8], float: [1, 2, 1, 2, 1, 2, 1, 2] },
        { name: 'b', dims: [8], float: [0, 0, 1, 1, 0, 0, -1, -1] },
      ],
    }),
    inputs: {},
  },
  {
    name: 'where_greater',
    note: 'Greater → Where (bool intermediate)',
    bytes: built({
      nodes: [
        { op: 'Greater', inputs: ['x', 'zero'], outputs: ['c'] },
        { op: 'Neg', inputs: ['x'], outputs: ['n'] },
        { op: 'Where', inputs: ['c', 'x', 'n'], outputs: ['y'] },
      ],
      inputs: [X23],
      outputs: [Y23],
      initializers: [{ name: 'zero', dims: [], float: [0] }],
    }),
    inputs: {},
  },
  {
    name: 'expand_mul',
    note: 'Expand then Mul',
    bytes: built({
      nodes: [
        { op: 'Expand', inputs: ['x', 's'], outputs: ['e'] },
        { op: 'Mul', inputs: ['e', 'e'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: [1, 3] }],
      outputs: [{ name: 'y', shape: [4, 3] }],
      initializers: [{ name: 's', dims: [2], int64: [4, 3] }],
    }),
    inputs: {},
  },
  {
    name: 'split_pad',
    note: 'Split by sizes then Pad one part',
    bytes: built({
      nodes: [
        { op: 'Split', inputs: ['x', 'sizes'], outputs: ['a', 'b'], ints: { axis: 1 } },
        { op: 'Pad', inputs: ['a', 'pads'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: [2, 6] }],
      outputs: [{ name: 'y', shape: [4, 4] }, { name: 'b', shape: [2, 4] }],
      initializers: [
        { name: 'sizes', dims: [2], int64: [2, 4] },
        { name: 'pads', dims: [4], int64: [1, 1, 1, 1] },
      ],
    }),
    inputs: {},
  },
  {
    name: 'topk_cumsum',
    note: 'TopK (values and int64 indices) and CumSum',
    bytes: built({
      nodes: [
        { op: 'TopK', inputs: ['x', 'k'], outputs: ['v', 'i'], ints: { axis: -1 } },
        { op: 'CumSum', inputs: ['v', 'axis'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', shape: [2, 7] }],
      outputs: [{ name: 'y', shape: [2, 3] }, { name: 'i', type: INT64, shape: [2, 3] }],
      initializers: [{ name: 'k', dims: [1], int64: [3] }, { name: 'axis', dims: [], int64: [1] }],
    }),
    inputs: {},
  },
  {
    name: 'cast_argmax',
    note: 'ArgMax (int64) cast to float',
    bytes: built({
      nodes: [
        { op: 'ArgMax', inputs: ['x'], outputs: ['a'], ints: { axis: 1, keepdims: 0 } },
        { op: 'Cast', inputs: ['a'], outputs: ['y'], ints: { to: FLOAT } },
      ],
      inputs: [{ name: 'x', shape: [3, 5] }],
      outputs: [{ name: 'y', shape: [3] }],
    }),
    inputs: {},
  },
  {
    name: 'bool_and_not',
    note: 'bool inputs through And and Not',
    bytes: built({
      nodes: [
        { op: 'And', inputs: ['p', 'q'], outputs: ['a'] },
        { op: 'Not', inputs: ['a'], outputs: ['y'] },
      ],
      inputs: [{ name: 'p', type: BOOL, shape: [8] }, { name: 'q', type: BOOL, shape: [8] }],
      outputs: [{ name: 'y', type: BOOL, shape: [8] }],
    }),
    inputs: {},
  },
];

const TORCHVISION = [
  'densenet_tiny_c10',
  'efficientnet_b0_w025_c10',
  'mnasnet0_5_c10',
  'mobilenet_v2_w035_c10',
  'mobilenet_v3_small_c10',
  'regnet_tiny_c10',
  'shufflenet_v2_x0_5_c10',
  'squeezenet1_1_c10',
  'swin_tiny_c10',
  'vit_tiny_c10',
];

/**
 * The whole corpus, in the order an unmutated first pass runs it: malformed first (the known
 * defects), then the small models, the shipped models and the torchvision fixtures.
 */
export function corpus(): CorpusEntry[] {
  return [
    // Mutants of a malformed model mostly meet its defect again: pick them less often.
    ...MALFORMED.map((e) => ({ ...e, kind: 'malformed' as const, weight: 0.5 })),
    ...SMALL.map((e) => ({ ...e, kind: 'small' as const, weight: 3 })),
    ...['mnist_cnn', 'fashion_cnn', 'text_transformer'].map((name) => ({
      name,
      kind: 'shipped' as const,
      note: `the shipped ${name}`,
      bytes: file(`models/${name}.onnx`),
      inputs: name === 'text_transformer' ? { intHigh: TEXT_VOCAB } : {},
      weight: 3,
    })),
    ...TORCHVISION.map((name) => ({
      name,
      kind: 'torchvision' as const,
      note: `torchvision ${name} (random weights)`,
      bytes: file(`test/fixtures/torchvision/${name}.onnx`),
      inputs: {},
      weight: 0.5,
    })),
  ];
}
