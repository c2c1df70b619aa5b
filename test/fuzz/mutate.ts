/**
 * Mutations of ONNX models, driven by a seeded generator so that a seed reproduces a case.
 * Structure-aware mutators work on the decoded protobuf (dimensions, attribute values and
 * names, op types, inputs, nodes, element types, opset, initializer data, outputs); byte-level
 * mutators flip, truncate, insert and overwrite bytes of the encoding. Each mutator returns a
 * one-line description of what it did, or null when the model gives it nothing to work on.
 *
 * @module
 */

import { create } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorShapeProto_DimensionSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import type { InputRecipe } from './inputs.ts';
import { allGraphs, attribute, decodeModel, dtypeName, encodeModel } from './proto.ts';

/** A source of uniform floats in [0, 1). */
export type Random = () => number;

function int(rng: Random, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

/** Integer values that find edge cases: zero, signs, off-by-one, 32-bit limits, huge. */
const INTS: readonly bigint[] = [
  0n,
  1n,
  -1n,
  2n,
  3n,
  -2n,
  7n,
  64n,
  1000n,
  65536n,
  2n ** 31n - 1n,
  -(2n ** 31n),
  2n ** 32n,
  2n ** 40n,
  2n ** 62n,
];
const FLOATS: readonly number[] = [0, -0, 1, -1, 0.5, 1e-30, 1e30, -1e30, NaN, Infinity, -Infinity];
const STRINGS: readonly string[] = [
  '',
  'NOTSET',
  'SAME_UPPER',
  'SAME_LOWER',
  'VALID',
  'constant',
  'reflect',
  'edge',
  'wrap',
  'linear',
  'nearest',
  'cubic',
  'half_pixel',
  'align_corners',
  'tanh',
  'none',
  'garbage',
];
const OPS: readonly string[] = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Relu',
  'Sigmoid',
  'Tanh',
  'Neg',
  'Abs',
  'Sqrt',
  'Log',
  'Exp',
  'Softmax',
  'LogSoftmax',
  'MatMul',
  'Gemm',
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'BatchNormalization',
  'LayerNormalization',
  'Reshape',
  'Transpose',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Concat',
  'Split',
  'Slice',
  'Gather',
  'GatherElements',
  'Expand',
  'Tile',
  'Pad',
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'ArgMax',
  'TopK',
  'CumSum',
  'Where',
  'Equal',
  'Greater',
  'Not',
  'Cast',
  'Clip',
  'Identity',
  'Shape',
  'Size',
  'Range',
  'ConstantOfShape',
  'Resize',
  'Einsum',
  'OneHot',
  'NonZero',
  'Gelu',
  'Erf',
  'Mod',
  'Trilu',
  'ScatterND',
  'DepthToSpace',
  'InstanceNormalization',
  'GroupNormalization',
  // Not implemented by glassbox (a typed UnsupportedOperatorError is the right answer).
  'Det',
  'StringNormalizer',
  'RoiAlign',
  'Unique',
  // Not ONNX at all.
  'Relu6',
  'relu',
  'Matmul',
  '',
];
const ATTRS: readonly string[] = [
  'axis',
  'axes',
  'perm',
  'pads',
  'kernel_shape',
  'strides',
  'dilations',
  'group',
  'keepdims',
  'to',
  'transA',
  'transB',
  'alpha',
  'beta',
  'epsilon',
  'auto_pad',
  'mode',
  'split',
  'k',
  'largest',
  'sorted',
  'ceil_mode',
  'count_include_pad',
  'output_padding',
  'noop_with_empty_axes',
  'exclusive',
  'reverse',
  'upper',
];
const DTYPES: readonly number[] = [
  TensorProto_DataType.FLOAT,
  TensorProto_DataType.FLOAT16,
  TensorProto_DataType.BFLOAT16,
  TensorProto_DataType.DOUBLE,
  TensorProto_DataType.INT8,
  TensorProto_DataType.UINT8,
  TensorProto_DataType.INT32,
  TensorProto_DataType.INT64,
  TensorProto_DataType.BOOL,
  TensorProto_DataType.STRING,
  TensorProto_DataType.COMPLEX64,
  0,
  99,
];
const OPSETS: readonly number[] = [
  1,
  6,
  7,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  17,
  18,
  19,
  20,
  21,
  22,
  23,
  99,
];

interface NodeRef {
  graph: GraphProto;
  node: NodeProto;
}

function nodes(m: ModelProto): NodeRef[] {
  return allGraphs(m).flatMap((graph) => graph.node.map((node) => ({ graph, node })));
}

function valueNames(g: GraphProto): string[] {
  return [
    ...g.input.map((v) => v.name),
    ...g.initializer.map((t) => t.name),
    ...g.node.flatMap((n) => n.output),
  ].filter((n) => n);
}

function label(n: NodeProto): string {
  return `${n.opType || '<empty op>'} '${n.name}'`;
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  return String(v);
}

function tensorTypes(m: ModelProto): { where: string; value: ValueInfoProto }[] {
  return allGraphs(m).flatMap((g) =>
    [
      ...g.input.map((value) => ({ where: `input '${value.name}'`, value })),
      ...g.output.map((value) => ({ where: `output '${value.name}'`, value })),
      ...g.valueInfo.map((value) => ({ where: `value_info '${value.name}'`, value })),
    ].filter((x) => x.value.type?.value.case === 'tensorType')
  );
}

type Mutator = (m: ModelProto, rng: Random) => string | null;

/**
 * A new integer for an attribute now `current`: often small (−2…4, most axes and flags stay
 * valid, so the case gets as far as running), sometimes off by one, sometimes an edge value.
 */
function nextInt(rng: Random, current: bigint): bigint {
  const c = rng();
  if (c < 0.45) return BigInt(int(rng, -2, 4));
  if (c < 0.65) return current + BigInt(pick(rng, [-1, 1, 2]));
  return pick(rng, INTS);
}

const mutateDim: Mutator = (m, rng) => {
  const typed = tensorTypes(m);
  if (typed.length === 0) return null;
  const { where, value } = pick(rng, typed);
  const t = value.type!.value.value as { shape?: { dim: { value: unknown }[] } };
  if (!t.shape) return null;
  const dims = t.shape.dim;
  const choice = rng();
  if (choice < 0.15 || dims.length === 0) {
    dims.push(create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: 2n } }));
    return `${where}: append a dimension 2`;
  }
  if (choice < 0.25) {
    dims.pop();
    return `${where}: drop the last dimension`;
  }
  const i = int(rng, 0, dims.length - 1);
  if (choice < 0.35) {
    dims[i] = create(TensorShapeProto_DimensionSchema, {
      value: { case: 'dimParam', value: 'fuzz_dim' },
    });
    return `${where}: dimension ${i} → symbolic`;
  }
  const v = pick(rng, [0n, -1n, 1n, 2n, 3n, 5n, 64n, 2n ** 31n - 1n, 2n ** 40n, -(2n ** 40n)]);
  dims[i] = create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: v } });
  return `${where}: dimension ${i} → ${v}`;
};

const mutateInitializerDims: Mutator = (m, rng) => {
  const inits = allGraphs(m).flatMap((g) => g.initializer);
  if (inits.length === 0) return null;
  const t = pick(rng, inits);
  const before = show(t.dims);
  const choice = rng();
  if (choice < 0.3 && t.dims.length > 1) t.dims.reverse();
  else if (choice < 0.5) t.dims.push(1n);
  else if (choice < 0.6) t.dims.pop();
  else if (t.dims.length > 0) t.dims[int(rng, 0, t.dims.length - 1)] = pick(rng, INTS);
  else t.dims.push(pick(rng, INTS));
  return `initializer '${t.name}': dims ${before} → ${show(t.dims)}`;
};

function mutateAttributeValue(a: AttributeProto, rng: Random): string | null {
  const T = AttributeProto_AttributeType;
  const before = (() => {
    switch (a.type) {
      case T.INT:
        return show(a.i);
      case T.FLOAT:
        return show(a.f);
      case T.INTS:
        return show(a.ints);
      case T.FLOATS:
        return show(a.floats);
      case T.STRING:
        return JSON.stringify(new TextDecoder().decode(a.s));
      default:
        return T[a.type];
    }
  })();
  let after: string;
  switch (a.type) {
    case T.INT:
      a.i = nextInt(rng, a.i);
      after = show(a.i);
      break;
    case T.FLOAT:
      a.f = pick(rng, FLOATS);
      after = show(a.f);
      break;
    case T.INTS: {
      const c = rng();
      if (c < 0.2) a.ints.pop();
      else if (c < 0.35) a.ints.push(nextInt(rng, 1n));
      else if (c < 0.45) a.ints = [];
      else if (c < 0.55) a.ints.reverse();
      else if (a.ints.length > 0) {
        const i = int(rng, 0, a.ints.length - 1);
        a.ints[i] = nextInt(rng, a.ints[i]);
      } else a.ints.push(nextInt(rng, 1n));
      after = show(a.ints);
      break;
    }
    case T.FLOATS:
      if (a.floats.length > 0 && rng() < 0.7) {
        a.floats[int(rng, 0, a.floats.length - 1)] = pick(rng, FLOATS);
      } else a.floats.push(pick(rng, FLOATS));
      after = show(a.floats);
      break;
    case T.STRING: {
      const s = pick(rng, STRINGS);
      a.s = new TextEncoder().encode(s);
      after = JSON.stringify(s);
      break;
    }
    case T.TENSOR: {
      const t = a.t;
      if (!t) return null;
      if (rng() < 0.5) {
        t.dims = t.dims.length > 0 && rng() < 0.5 ? [] : [...t.dims, 2n];
        after = `dims ${show(t.dims)}`;
      } else if (t.int64Data.length > 0) {
        t.int64Data[int(rng, 0, t.int64Data.length - 1)] = pick(rng, INTS);
        after = `int64 ${show(t.int64Data.slice(0, 8))}`;
      } else if (t.floatData.length > 0) {
        t.floatData[int(rng, 0, t.floatData.length - 1)] = pick(rng, FLOATS);
        after = `float ${show(t.floatData.slice(0, 8))}`;
      } else {
        t.dataType = pick(rng, DTYPES);
        after = `type ${dtypeName(t.dataType)}`;
      }
      break;
    }
    default:
      return null;
  }
  return `${a.name}: ${before} → ${after}`;
}

const mutateAttribute: Mutator = (m, rng) => {
  const withAttrs = nodes(m).filter((r) => r.node.attribute.some((a) => !a.g));
  if (withAttrs.length === 0) return null;
  const { node } = pick(rng, withAttrs);
  const a = pick(rng, node.attribute.filter((a) => !a.g));
  const what = mutateAttributeValue(a, rng);
  return what && `attribute of ${label(node)}: ${what}`;
};

const renameAttribute: Mutator = (m, rng) => {
  const withAttrs = nodes(m).filter((r) => r.node.attribute.length > 0);
  if (withAttrs.length === 0) return null;
  const { node } = pick(rng, withAttrs);
  const i = int(rng, 0, node.attribute.length - 1);
  const a = node.attribute[i];
  const name = a.name;
  const c = rng();
  if (c < 0.25) {
    node.attribute.splice(i, 1);
    return `attribute of ${label(node)}: delete ${name}`;
  }
  if (c < 0.4) {
    node.attribute.push(structuredClone(a));
    return `attribute of ${label(node)}: duplicate ${name}`;
  }
  const k = int(rng, 0, Math.max(0, name.length - 1));
  a.name = c < 0.6
    ? name + 'q'
    : c < 0.8
    ? name.slice(0, k) + name.charAt(k).toUpperCase() + name.slice(k + 1)
    : name.slice(0, k) + name.slice(k + 1);
  if (a.name === name) a.name = name + '_';
  return `attribute of ${label(node)}: rename ${name} → ${a.name}`;
};

const addAttribute: Mutator = (m, rng) => {
  const all = nodes(m);
  if (all.length === 0) return null;
  const { node } = pick(rng, all);
  const name = pick(rng, ATTRS);
  const c = rng();
  const value = c < 0.45
    ? { i: Number(pick(rng, INTS.slice(0, 10))) }
    : c < 0.8
    ? { ints: Array.from({ length: int(rng, 0, 4) }, () => Number(pick(rng, INTS.slice(0, 10)))) }
    : c < 0.9
    ? { f: pick(rng, FLOATS) }
    : { s: pick(rng, STRINGS) };
  node.attribute = node.attribute.filter((a) => a.name !== name);
  node.attribute.push(attribute(name, value));
  return `attribute of ${label(node)}: set ${name} = ${JSON.stringify(Object.values(value)[0])}`;
};

const changeOpType: Mutator = (m, rng) => {
  const all = nodes(m);
  if (all.length === 0) return null;
  const { node } = pick(rng, all);
  const before = label(node);
  node.opType = pick(rng, OPS);
  return `op of ${before} → ${node.opType || '<empty>'}`;
};

const rewireInput: Mutator = (m, rng) => {
  const all = nodes(m).filter((r) => r.node.input.length > 0);
  if (all.length === 0) return null;
  const { graph, node } = pick(rng, all);
  const c = rng();
  if (c < 0.3 && node.input.length > 1) {
    const i = int(rng, 0, node.input.length - 1);
    let j = int(rng, 0, node.input.length - 2);
    if (j >= i) j++;
    [node.input[i], node.input[j]] = [node.input[j], node.input[i]];
    return `inputs of ${label(node)}: swap ${i} and ${j}`;
  }
  if (c < 0.45) {
    const dropped = node.input.pop();
    return `inputs of ${label(node)}: drop the last ('${dropped}')`;
  }
  const names = valueNames(graph);
  const name = rng() < 0.1 ? '' : pick(rng, names);
  if (c < 0.6) {
    node.input.push(name);
    return `inputs of ${label(node)}: append '${name}'`;
  }
  const i = int(rng, 0, node.input.length - 1);
  const before = node.input[i];
  node.input[i] = name;
  return `inputs of ${label(node)}: input ${i} '${before}' → '${name}'`;
};

const editNodes: Mutator = (m, rng) => {
  const graphs = allGraphs(m).filter((g) => g.node.length > 0);
  if (graphs.length === 0) return null;
  const g = pick(rng, graphs);
  const i = int(rng, 0, g.node.length - 1);
  const n = g.node[i];
  const c = rng();
  if (c < 0.3) {
    g.node.splice(i, 1);
    return `drop node ${label(n)}`;
  }
  if (c < 0.55) {
    const copy = { ...structuredClone(n), name: `${n.name}_dup` };
    g.node.splice(int(rng, 0, g.node.length), 0, copy);
    return `duplicate node ${label(n)} (same outputs)`;
  }
  if (c < 0.75) {
    const copy = {
      ...structuredClone(n),
      name: `${n.name}_copy`,
      output: n.output.map((o) => `${o}_copy`),
    };
    g.node.splice(i + 1, 0, copy);
    return `copy node ${label(n)} with new outputs`;
  }
  if (c < 0.9) {
    g.node.reverse();
    return `reverse the order of ${g.node.length} nodes`;
  }
  for (let k = g.node.length - 1; k > 0; k--) {
    const j = int(rng, 0, k);
    [g.node[k], g.node[j]] = [g.node[j], g.node[k]];
  }
  return `shuffle ${g.node.length} nodes`;
};

const changeDtype: Mutator = (m, rng) => {
  const c = rng();
  const code = pick(rng, DTYPES);
  if (c < 0.4) {
    const typed = tensorTypes(m);
    if (typed.length === 0) return null;
    const { where, value } = pick(rng, typed);
    const t = value.type!.value.value as { elemType: number };
    const before = dtypeName(t.elemType);
    t.elemType = code;
    return `${where}: element type ${before} → ${dtypeName(code)}`;
  }
  if (c < 0.75) {
    const inits = allGraphs(m).flatMap((g) => g.initializer);
    if (inits.length === 0) return null;
    const t = pick(rng, inits);
    const before = dtypeName(t.dataType);
    t.dataType = code;
    return `initializer '${t.name}': data type ${before} → ${dtypeName(code)} (data kept)`;
  }
  const casts = nodes(m).filter((r) => r.node.opType === 'Cast');
  if (casts.length === 0) return null;
  const { node } = pick(rng, casts);
  node.attribute = [attribute('to', { i: code })];
  return `Cast ${label(node)}: to → ${dtypeName(code)}`;
};

const changeOpset: Mutator = (m, rng) => {
  const c = rng();
  if (c < 0.15) {
    m.opsetImport = [];
    return 'drop every opset import';
  }
  if (c < 0.25) {
    m.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: '', version: 7n }));
    return 'import the default domain twice (second at 7)';
  }
  if (c < 0.35) {
    const v = pick(rng, [0n, 1n, 3n, 4n, 7n, 10n, 99n]);
    m.irVersion = v;
    return `ir_version → ${v}`;
  }
  const v = pick(rng, OPSETS);
  const def = m.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  const before = def ? def.version : 'none';
  if (def) def.version = BigInt(v);
  else m.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(v) }));
  return `opset ${before} → ${v}`;
};

const changeInitializerData: Mutator = (m, rng) => {
  const inits = allGraphs(m).flatMap((g) => g.initializer);
  if (inits.length === 0) return null;
  const t = pick(rng, inits);
  const c = rng();
  if (t.rawData.length > 0) {
    if (c < 0.3) {
      t.rawData = t.rawData.slice(0, int(rng, 0, t.rawData.length - 1));
      return `initializer '${t.name}': truncate raw_data to ${t.rawData.length} bytes`;
    }
    const data = t.rawData.slice();
    const at = int(rng, 0, Math.max(0, data.length - 4)) & ~3;
    const v = pick(rng, [NaN, Infinity, -Infinity, 1e30, 0]);
    if (t.dataType === TensorProto_DataType.FLOAT && at + 4 <= data.length) {
      new DataView(data.buffer, data.byteOffset).setFloat32(at, v, true);
    } else data[at] = 0xff;
    t.rawData = data;
    return `initializer '${t.name}': raw byte ${at} → ${t.dataType === 1 ? v : 0xff}`;
  }
  if (t.floatData.length > 0) {
    if (c < 0.3) {
      t.floatData.pop();
      return `initializer '${t.name}': drop its last float`;
    }
    const i = int(rng, 0, t.floatData.length - 1);
    t.floatData[i] = pick(rng, FLOATS);
    return `initializer '${t.name}': float ${i} → ${t.floatData[i]}`;
  }
  if (t.int64Data.length > 0) {
    if (c < 0.3) {
      t.int64Data.push(1n);
      return `initializer '${t.name}': one int64 too many`;
    }
    const i = int(rng, 0, t.int64Data.length - 1);
    t.int64Data[i] = pick(rng, INTS);
    return `initializer '${t.name}': int64 ${i} → ${t.int64Data[i]}`;
  }
  return null;
};

const editOutputs: Mutator = (m, rng) => {
  const g = m.graph;
  if (!g) return null;
  const c = rng();
  const intermediates = g.node.flatMap((n) => n.output).filter((o) =>
    o && !g.output.some((v) => v.name === o)
  );
  if (c < 0.45 && intermediates.length > 0) {
    const name = pick(rng, intermediates);
    g.output.push(create(ValueInfoProtoSchema, { name }));
    return `add intermediate '${name}' as a graph output (no declared type)`;
  }
  if (c < 0.6 && g.output.length > 0) {
    const [v] = g.output.splice(int(rng, 0, g.output.length - 1), 1);
    return `remove graph output '${v.name}'`;
  }
  const producers = g.node.filter((n) => n.output.length > 0);
  if (producers.length === 0) return null;
  const n = pick(rng, producers);
  const i = int(rng, 0, n.output.length - 1);
  const before = n.output[i];
  n.output[i] = rng() < 0.2 ? '' : `${before}_renamed`;
  return `output ${i} of ${label(n)}: '${before}' → '${n.output[i]}'`;
};

/** The structure-aware mutators, by name, with their relative weights. */
export const STRUCTURE_MUTATORS: readonly { name: string; weight: number; fn: Mutator }[] = [
  { name: 'dim', weight: 3, fn: mutateDim },
  { name: 'initializer-dims', weight: 1, fn: mutateInitializerDims },
  { name: 'attribute', weight: 5, fn: mutateAttribute },
  { name: 'attribute-name', weight: 2, fn: renameAttribute },
  { name: 'add-attribute', weight: 2, fn: addAttribute },
  { name: 'op-type', weight: 3, fn: changeOpType },
  { name: 'inputs', weight: 3, fn: rewireInput },
  { name: 'nodes', weight: 2, fn: editNodes },
  { name: 'dtype', weight: 2, fn: changeDtype },
  { name: 'opset', weight: 1, fn: changeOpset },
  { name: 'initializer-data', weight: 2, fn: changeInitializerData },
  { name: 'outputs', weight: 3, fn: editOutputs },
];

/** Applies one weighted structure-aware mutation; returns its description (null if none fit). */
export function mutateStructure(m: ModelProto, rng: Random): string | null {
  const total = STRUCTURE_MUTATORS.reduce((s, x) => s + x.weight, 0);
  for (let attempt = 0; attempt < 8; attempt++) {
    let r = rng() * total;
    const mutator = STRUCTURE_MUTATORS.find((x) => (r -= x.weight) < 0) ?? STRUCTURE_MUTATORS[0];
    const what = mutator.fn(m, rng);
    if (what) return `${mutator.name}: ${what}`;
  }
  return null;
}

/** Applies one byte-level mutation to `bytes` (a new array); returns it and its description. */
export function mutateBytes(bytes: Uint8Array, rng: Random): { bytes: Uint8Array; what: string } {
  const n = bytes.length;
  const at = int(rng, 0, Math.max(0, n - 1));
  const c = rng();
  if (c < 0.3) {
    const out = bytes.slice();
    const flips = int(rng, 1, 8);
    for (let k = 0; k < flips; k++) out[int(rng, 0, n - 1)] ^= 1 << int(rng, 0, 7);
    return { bytes: out, what: `bytes: flip ${flips} bits` };
  }
  if (c < 0.5) return { bytes: bytes.slice(0, at), what: `bytes: truncate to ${at} of ${n}` };
  if (c < 0.7) {
    const len = int(rng, 1, 16);
    const insert = Uint8Array.from({ length: len }, () => int(rng, 0, 255));
    const out = new Uint8Array(n + len);
    out.set(bytes.subarray(0, at));
    out.set(insert, at);
    out.set(bytes.subarray(at), at + len);
    return { bytes: out, what: `bytes: insert ${len} random bytes at ${at}` };
  }
  if (c < 0.85) {
    const out = bytes.slice();
    const v = pick(rng, [0x00, 0xff, 0x80, 0x7f, 0x01]);
    out[at] = v;
    return { bytes: out, what: `bytes: byte ${at} → 0x${v.toString(16)}` };
  }
  const len = Math.min(int(rng, 1, 64), n - at);
  const out = new Uint8Array(n + len);
  out.set(bytes.subarray(0, at + len));
  out.set(bytes.subarray(at, at + len), at + len);
  out.set(bytes.subarray(at + len), at + 2 * len);
  return { bytes: out, what: `bytes: duplicate ${len} bytes at ${at}` };
}

/** A mutated variant of an input recipe: NaN/Inf, zeros, another batch, odd integers. */
export function mutateRecipe(
  recipe: InputRecipe,
  rng: Random,
): { recipe: InputRecipe; what: string } {
  const c = rng();
  if (c < 0.3) return { recipe: { ...recipe, fill: 'nan' }, what: 'inputs: NaN and ±Inf' };
  if (c < 0.4) return { recipe: { ...recipe, fill: 'zeros' }, what: 'inputs: zeros' };
  if (c < 0.6) {
    const batch = pick(rng, [0, 2, 3, 17]);
    return { recipe: { ...recipe, batch }, what: `inputs: symbolic dimensions = ${batch}` };
  }
  if (c < 0.8) {
    const id = pick(rng, [-1, -11, 10, 2002, 999999, 2 ** 31 - 1, -(2 ** 31)]);
    return { recipe: { ...recipe, id }, what: `inputs: integer id ${id} every fifth element` };
  }
  const v = pick(rng, [2e9, -2e9, 2 ** 31 - 1, 65536, 0]);
  return { recipe: { ...recipe, int: v }, what: `inputs: every integer = ${v}` };
}

/** A mutated case: its bytes, the recipe of its inputs and what was done. */
export interface Mutated {
  bytes: Uint8Array;
  recipe: InputRecipe;
  mutations: string[];
}

/**
 * Applies `count` mutations to `bytes`: structure-aware ones on the decoded model, a byte-level
 * one (last, with probability `byteChance`), and an input recipe change (probability
 * `recipeChance`, default 0.3).
 */
export function mutateCase(
  bytes: Uint8Array,
  recipe: InputRecipe,
  rng: Random,
  options: { count: number; byteChance?: number; recipeChance?: number },
): Mutated {
  const mutations: string[] = [];
  let out = bytes;
  const byteLevel = rng() < (options.byteChance ?? 0.2);
  const structural = byteLevel ? options.count - 1 : options.count;
  if (structural > 0) {
    let m: ModelProto | null = null;
    try {
      m = decodeModel(bytes);
    } catch {
      // Not decodable (a corpus entry could be): only byte-level mutations apply.
    }
    if (m) {
      for (let k = 0; k < structural; k++) {
        const what = mutateStructure(m, rng);
        if (what) mutations.push(what);
      }
      out = encodeModel(m);
    }
  }
  if (byteLevel || mutations.length === 0) {
    const b = mutateBytes(out, rng);
    out = b.bytes;
    mutations.push(b.what);
  }
  let newRecipe = recipe;
  if (rng() < (options.recipeChance ?? 0.3)) {
    const r = mutateRecipe(recipe, rng);
    newRecipe = r.recipe;
    mutations.push(r.what);
  }
  return { bytes: out, recipe: newRecipe, mutations };
}
