/**
 * A minimal ONNX writer for the surrogates of `global/` (with the `onnx-buf` binding the reader
 * uses): dense heads (Flatten → MatMul → Add → Relu → … → logits) and depth-limited decision
 * trees expressed in standard operators, so that the rest of glassbox (run, explain, graph) can
 * load and explain a surrogate like any model.
 *
 * A tree becomes: `s = Flatten(x)·S − t` (S [D, K] selects each internal node's feature, t its
 * threshold), `g = Cast(Greater(s, 0))` (1 where the example goes right), `m = g·A + c` (for each
 * leaf, how many of the decisions on its path the example satisfies: A[k, l] = +1 for a right
 * turn, −1 for a left turn, c[l] = the number of left turns), `r = Relu(m − depth + 1)` (1 for the
 * one leaf whose whole path is satisfied, else 0: m ≤ depth are integers) and `logits = r·V`.
 *
 * @module
 */

import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import type { DenseWeights } from './train.ts';

/** How the exported graph is named and what it takes. */
export interface ExportOptions {
  /** Input name (default `input`). */
  inputName?: string;
  /** Per-example input dimensions (default `[D]`); the batch axis is added as `batch`. */
  inputShape?: readonly number[];
  /** Output name (default `logits`). */
  outputName?: string;
  /** Graph name and doc string. */
  name?: string;
  /** Free text stored in the model's `doc_string` (e.g. fidelity figures). */
  doc?: string;
}

/** One node of a fitted decision tree; leaves have `value` (logits) and no `feature`. */
export interface TreeNode {
  /** Split feature (flattened input index); absent on leaves. */
  feature?: number;
  /** Split threshold: `x[feature] <= threshold` goes left. */
  threshold?: number;
  /** Left child. */
  left?: TreeNode;
  /** Right child. */
  right?: TreeNode;
  /** Leaf: the class log-probabilities (logits). */
  value?: Float32Array;
  /** Training examples that reached this node. */
  count: number;
}

type Init = { name: string; dims: number[]; data: Float32Array | number[]; int64?: boolean };
type NodeSpec = {
  op: string;
  inputs: string[];
  outputs: string[];
  ints?: Record<string, number>;
};

function valueInfo(name: string, dims: (number | string)[]) {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === 'number'
                  ? { case: 'dimValue', value: BigInt(d) }
                  : { case: 'dimParam', value: d },
              })
            ),
          }),
        }),
      },
    }),
  });
}

function initializer(t: Init) {
  if (t.int64) {
    return create(TensorProtoSchema, {
      name: t.name,
      dims: t.dims.map(BigInt),
      dataType: TensorProto_DataType.INT64,
      int64Data: Array.from(t.data, (v) => BigInt(v)),
    });
  }
  const f = Float32Array.from(t.data);
  return create(TensorProtoSchema, {
    name: t.name,
    dims: t.dims.map(BigInt),
    dataType: TensorProto_DataType.FLOAT,
    rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength),
  });
}

function serialize(
  nodes: NodeSpec[],
  inits: Init[],
  options: ExportOptions,
  inputDims: readonly number[],
  classes: number,
): Uint8Array {
  const graph = create(GraphProtoSchema, {
    name: options.name ?? 'glassbox_surrogate',
    docString: options.doc ?? '',
    node: nodes.map((n, i) =>
      create(NodeProtoSchema, {
        name: `/${n.op.toLowerCase()}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.ints ?? {}).map(([name, v]) =>
          create(AttributeProtoSchema, {
            name,
            type: AttributeProto_AttributeType.INT,
            i: BigInt(v),
          })
        ),
      })
    ),
    input: [valueInfo(options.inputName ?? 'input', ['batch', ...inputDims])],
    output: [valueInfo(options.outputName ?? 'logits', ['batch', classes])],
    initializer: inits.map(initializer),
  });
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'glassbox',
    producerVersion: '0.1.0',
    docString: options.doc ?? '',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph,
  });
  return toBinary(ModelProtoSchema, model);
}

/** Serializes a dense head (`w` [in, out], ReLU between layers) as an ONNX model. */
export function exportDenseOnnx(
  weights: readonly DenseWeights[],
  options: ExportOptions = {},
): Uint8Array {
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'logits';
  const d = weights[0].w.length / weights[0].b.length;
  const inputDims = options.inputShape ?? [d];
  const nodes: NodeSpec[] = [];
  const inits: Init[] = [];
  let h = inputName;
  if (inputDims.length !== 1) {
    nodes.push({ op: 'Flatten', inputs: [h], outputs: ['/flatten/output'], ints: { axis: 1 } });
    h = '/flatten/output';
  }
  weights.forEach((layer, l) => {
    const inputs = layer.w.length / layer.b.length;
    inits.push({ name: `dense${l}.weight`, dims: [inputs, layer.b.length], data: layer.w });
    inits.push({ name: `dense${l}.bias`, dims: [layer.b.length], data: layer.b });
    const last = l === weights.length - 1;
    nodes.push({
      op: 'MatMul',
      inputs: [h, `dense${l}.weight`],
      outputs: [`/dense${l}/MatMul_output_0`],
    });
    const added = last ? outputName : `/dense${l}/Add_output_0`;
    nodes.push({
      op: 'Add',
      inputs: [`/dense${l}/MatMul_output_0`, `dense${l}.bias`],
      outputs: [added],
    });
    if (!last) {
      nodes.push({ op: 'Relu', inputs: [added], outputs: [`/relu${l}/Relu_output_0`] });
      h = `/relu${l}/Relu_output_0`;
    }
  });
  return serialize(nodes, inits, options, inputDims, weights[weights.length - 1].b.length);
}

/** Internal nodes and leaves of a tree in depth-first order. */
export function treeParts(root: TreeNode): { internal: TreeNode[]; leaves: TreeNode[] } {
  const internal: TreeNode[] = [];
  const leaves: TreeNode[] = [];
  const walk = (n: TreeNode) => {
    if (n.feature === undefined) leaves.push(n);
    else {
      internal.push(n);
      walk(n.left!);
      walk(n.right!);
    }
  };
  walk(root);
  return { internal, leaves };
}

/** Serializes a decision tree (see the module doc for the construction) as an ONNX model. */
export function exportTreeOnnx(
  root: TreeNode,
  features: number,
  classes: number,
  options: ExportOptions = {},
): Uint8Array {
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'logits';
  const inputDims = options.inputShape ?? [features];
  const { internal, leaves } = treeParts(root);
  const nodes: NodeSpec[] = [];
  let x = inputName;
  if (inputDims.length !== 1) {
    nodes.push({ op: 'Flatten', inputs: [x], outputs: ['/flatten/output'], ints: { axis: 1 } });
    x = '/flatten/output';
  }
  const values = new Float32Array(leaves.length * classes);
  leaves.forEach((leaf, l) => values.set(leaf.value!, l * classes));
  if (internal.length === 0) {
    // A single leaf: logits = 0·x[:, :1] summed in by MatMul with a zero column, plus the leaf.
    const zero = new Float32Array(features * classes);
    const inits: Init[] = [
      { name: 'tree.zero', dims: [features, classes], data: zero },
      { name: 'tree.leaf', dims: [classes], data: values },
    ];
    nodes.push({ op: 'MatMul', inputs: [x, 'tree.zero'], outputs: ['/tree/zero'] });
    nodes.push({ op: 'Add', inputs: ['/tree/zero', 'tree.leaf'], outputs: [outputName] });
    return serialize(nodes, inits, options, inputDims, classes);
  }
  const K = internal.length;
  const L = leaves.length;
  const select = new Float32Array(features * K);
  const thresholds = new Float32Array(K);
  internal.forEach((n, k) => {
    select[n.feature! * K + k] = 1;
    thresholds[k] = n.threshold!;
  });
  const turns = new Float32Array(K * L);
  const lefts = new Float32Array(L);
  const depth = new Float32Array(L);
  const index = new Map(internal.map((n, k) => [n, k]));
  const leafIndex = new Map(leaves.map((n, l) => [n, l]));
  const walk = (n: TreeNode, path: [number, number][]) => {
    if (n.feature === undefined) {
      const l = leafIndex.get(n)!;
      for (const [k, dir] of path) {
        turns[k * L + l] = dir;
        if (dir < 0) lefts[l]++;
      }
      // m − depth + 1, folded into one bias: c − depth + 1
      depth[l] = lefts[l] - path.length + 1;
      return;
    }
    const k = index.get(n)!;
    walk(n.left!, [...path, [k, -1]]);
    walk(n.right!, [...path, [k, 1]]);
  };
  walk(root, []);
  const inits: Init[] = [
    { name: 'tree.select', dims: [features, K], data: select },
    { name: 'tree.threshold', dims: [K], data: thresholds },
    { name: 'tree.zero', dims: [1], data: [0] },
    { name: 'tree.paths', dims: [K, L], data: turns },
    { name: 'tree.offset', dims: [L], data: depth },
    { name: 'tree.values', dims: [L, classes], data: values },
  ];
  nodes.push(
    { op: 'MatMul', inputs: [x, 'tree.select'], outputs: ['/tree/selected'] },
    { op: 'Sub', inputs: ['/tree/selected', 'tree.threshold'], outputs: ['/tree/margin'] },
    { op: 'Greater', inputs: ['/tree/margin', 'tree.zero'], outputs: ['/tree/right'] },
    { op: 'Cast', inputs: ['/tree/right'], outputs: ['/tree/right_f'], ints: { to: 1 } },
    { op: 'MatMul', inputs: ['/tree/right_f', 'tree.paths'], outputs: ['/tree/agree'] },
    { op: 'Add', inputs: ['/tree/agree', 'tree.offset'], outputs: ['/tree/shifted'] },
    { op: 'Relu', inputs: ['/tree/shifted'], outputs: ['/tree/leaf'] },
    { op: 'MatMul', inputs: ['/tree/leaf', 'tree.values'], outputs: [outputName] },
  );
  return serialize(nodes, inits, options, inputDims, classes);
}
