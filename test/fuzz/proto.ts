/**
 * Small helpers over the `onnx-buf` protobuf binding for the fuzzer: decode and encode models,
 * make nodes with any attribute type (subgraphs and strings included, which
 * `test/onnx_builder.ts` does not write), value declarations and tensors of any element type.
 *
 * @module
 */

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  type TensorProto,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from 'onnx-buf';

/** Element type names the fuzzer writes, with their ONNX codes. */
export const DTYPE_CODES = {
  float32: TensorProto_DataType.FLOAT,
  float16: TensorProto_DataType.FLOAT16,
  float64: TensorProto_DataType.DOUBLE,
  int8: TensorProto_DataType.INT8,
  uint8: TensorProto_DataType.UINT8,
  int32: TensorProto_DataType.INT32,
  int64: TensorProto_DataType.INT64,
  bool: TensorProto_DataType.BOOL,
  string: TensorProto_DataType.STRING,
} as const;

/** An element type name the fuzzer writes. */
export type DTypeName = keyof typeof DTYPE_CODES;

/** The name of an ONNX element type code (`code 99` for unknown codes). */
export function dtypeName(code: number): string {
  const entry = Object.entries(DTYPE_CODES).find(([, c]) => c === code);
  return entry ? entry[0] : (TensorProto_DataType[code] ?? `code ${code}`).toLowerCase();
}

/** Decodes ONNX bytes (throws what the binding throws on malformed input). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return fromBinary(ModelProtoSchema, bytes);
}

/** Encodes a model. */
export function encodeModel(model: ModelProto): Uint8Array<ArrayBuffer> {
  return toBinary(ModelProtoSchema, model) as Uint8Array<ArrayBuffer>;
}

/** A deep copy of a model (through its bytes). */
export function cloneModel(model: ModelProto): ModelProto {
  return decodeModel(encodeModel(model));
}

/** A tensor to write: element type, dims and values (ints for integer types, 0/1 for bool). */
export interface TensorSpec {
  name?: string;
  dtype: DTypeName;
  dims: number[];
  data: number[];
}

/** Builds a `TensorProto` (typed data fields, not `raw_data`). */
export function tensorProto(t: TensorSpec): TensorProto {
  const base = { name: t.name ?? '', dims: t.dims.map(BigInt), dataType: DTYPE_CODES[t.dtype] };
  switch (t.dtype) {
    case 'float32':
      return create(TensorProtoSchema, { ...base, floatData: t.data });
    case 'float64':
      return create(TensorProtoSchema, { ...base, doubleData: t.data });
    case 'int64':
      return create(TensorProtoSchema, { ...base, int64Data: t.data.map((v) => BigInt(v)) });
    case 'string':
      return create(TensorProtoSchema, {
        ...base,
        stringData: t.data.map((v) => new TextEncoder().encode(String(v))),
      });
    default:
      // float16 is stored as its bits in int32_data; the fuzzer writes only small integers
      // there, which is what a bit pattern is.
      return create(TensorProtoSchema, { ...base, int32Data: t.data });
  }
}

/** An attribute value to write, tagged by its ONNX type. */
export type AttrSpec =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] }
  | { t: TensorSpec }
  | { g: GraphProto };

/** Builds an `AttributeProto`. */
export function attribute(name: string, v: AttrSpec): AttributeProto {
  const T = AttributeProto_AttributeType;
  if ('i' in v) return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(v.i) });
  if ('f' in v) return create(AttributeProtoSchema, { name, type: T.FLOAT, f: v.f });
  if ('s' in v) {
    return create(AttributeProtoSchema, {
      name,
      type: T.STRING,
      s: new TextEncoder().encode(v.s),
    });
  }
  if ('ints' in v) {
    return create(AttributeProtoSchema, { name, type: T.INTS, ints: v.ints.map(BigInt) });
  }
  if ('floats' in v) {
    return create(AttributeProtoSchema, { name, type: T.FLOATS, floats: v.floats });
  }
  if ('t' in v) return create(AttributeProtoSchema, { name, type: T.TENSOR, t: tensorProto(v.t) });
  return create(AttributeProtoSchema, { name, type: T.GRAPH, g: v.g });
}

/** A node to build. */
export interface NodeArgs {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrSpec>;
}

/** Builds a `NodeProto`. */
export function node(n: NodeArgs): NodeProto {
  return create(NodeProtoSchema, {
    name: n.name ?? `${n.op}_${n.outputs[0] ?? 'out'}`,
    opType: n.op,
    domain: n.domain ?? '',
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
  });
}

/** A value declaration: name, element type, and shape (`null` for no shape at all). */
export interface ValueArgs {
  name: string;
  dtype?: DTypeName;
  shape?: (number | string)[] | null;
}

/** Builds a `ValueInfoProto` with a tensor type. */
export function valueInfo(v: ValueArgs): ValueInfoProto {
  const shape = v.shape === null ? undefined : create(TensorShapeProtoSchema, {
    dim: (v.shape ?? []).map((d) =>
      create(TensorShapeProto_DimensionSchema, {
        value: typeof d === 'number'
          ? { case: 'dimValue', value: BigInt(d) }
          : { case: 'dimParam', value: d },
      })
    ),
  });
  return create(ValueInfoProtoSchema, {
    name: v.name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: DTYPE_CODES[v.dtype ?? 'float32'],
          shape,
        }),
      },
    }),
  });
}

/** A graph to build. */
export interface GraphArgs {
  name?: string;
  nodes: NodeProto[];
  inputs: ValueArgs[];
  outputs: ValueArgs[];
  initializers?: TensorSpec[];
}

/** Builds a `GraphProto`. */
export function graph(g: GraphArgs): GraphProto {
  return create(GraphProtoSchema, {
    name: g.name ?? 'fuzz',
    node: g.nodes,
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
    initializer: (g.initializers ?? []).map(tensorProto),
  });
}

/** Wraps a graph in a model importing the default operator set at `opset`. */
export function model(g: GraphProto, opset = 17, irVersion = 8): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: BigInt(irVersion),
    producerName: 'glassbox fuzz',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
    graph: g,
  });
}

/** Every graph of a model: the main graph and, recursively, each subgraph attribute. */
export function allGraphs(m: ModelProto): GraphProto[] {
  const out: GraphProto[] = [];
  const visit = (g: GraphProto) => {
    out.push(g);
    for (const n of g.node) {
      for (const a of n.attribute) {
        if (a.g) visit(a.g);
        for (const sub of a.graphs) visit(sub);
      }
    }
  };
  if (m.graph) visit(m.graph);
  return out;
}
