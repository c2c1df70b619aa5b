/**
 * Builds small ONNX models in tests (with the same protobuf binding the parser uses), for
 * error-path and folding tests.
 *
 * @module
 */

import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  type GraphProto,
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

/**
 * A node to build: op, inputs, outputs and integer/int-list/float/string/tensor/graph
 * attributes.
 */
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** Operator domain (default: the ONNX domain). */
  domain?: string;
  ints?: Record<string, number | number[]>;
  floats?: Record<string, number>;
  strings?: Record<string, string>;
  tensor?: Record<string, { dims: number[]; int64?: number[]; float?: number[] }>;
  /** Subgraph attributes (Loop's body, If's branches). */
  graphs?: Record<string, GraphSpec>;
}

/**
 * A value declaration: name, element type code (1 = float, 7 = int64, 9 = bool) and shape
 * (`null`: no shape declared).
 */
export interface ValueSpec {
  name: string;
  type?: number;
  shape: (number | string)[] | null;
}

/** An initializer: float or int64 data. */
export interface InitializerSpec {
  name: string;
  dims: number[];
  float?: number[];
  int64?: number[];
}

/** A graph: the main graph of a model, or a subgraph attribute. */
export interface GraphSpec {
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: InitializerSpec[];
  name?: string;
}

function valueInfo(v: ValueSpec) {
  return create(ValueInfoProtoSchema, {
    name: v.name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: v.type ?? TensorProto_DataType.FLOAT,
          shape: v.shape === null ? undefined : create(TensorShapeProtoSchema, {
            dim: v.shape.map((d) =>
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

/** Serializes a one-graph model (`irVersion` 8 and the ONNX domain at opset 17 by default). */
export function buildModel(
  spec: GraphSpec & {
    opset?: number;
    irVersion?: number;
    /** Further operator sets to import, by domain. */
    opsets?: Record<string, number>;
  },
): Uint8Array {
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(spec.irVersion ?? 8),
    producerName: 'glassbox tests',
    opsetImport: [
      create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(spec.opset ?? 17) }),
      ...Object.entries(spec.opsets ?? {}).map(([domain, v]) =>
        create(OperatorSetIdProtoSchema, { domain, version: BigInt(v) })
      ),
    ],
    graph: buildGraph({ name: 'test', ...spec }),
  });
  return toBinary(ModelProtoSchema, model);
}

function buildGraph(spec: GraphSpec): GraphProto {
  const nodes = spec.nodes.map((n, i) =>
    create(NodeProtoSchema, {
      name: n.name ?? `${n.op}_${i}`,
      opType: n.op,
      domain: n.domain ?? '',
      input: n.inputs,
      output: n.outputs,
      attribute: [
        ...Object.entries(n.ints ?? {}).map(([name, v]) =>
          Array.isArray(v)
            ? create(AttributeProtoSchema, {
              name,
              type: AttributeProto_AttributeType.INTS,
              ints: v.map(BigInt),
            })
            : create(AttributeProtoSchema, {
              name,
              type: AttributeProto_AttributeType.INT,
              i: BigInt(v),
            })
        ),
        ...Object.entries(n.floats ?? {}).map(([name, f]) =>
          create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f })
        ),
        ...Object.entries(n.strings ?? {}).map(([name, v]) =>
          create(AttributeProtoSchema, {
            name,
            type: AttributeProto_AttributeType.STRING,
            s: new TextEncoder().encode(v),
          })
        ),
        ...Object.entries(n.graphs ?? {}).map(([name, g]) =>
          create(AttributeProtoSchema, {
            name,
            type: AttributeProto_AttributeType.GRAPH,
            g: buildGraph({ name, ...g }),
          })
        ),
        ...Object.entries(n.tensor ?? {}).map(([name, t]) =>
          create(AttributeProtoSchema, {
            name,
            type: AttributeProto_AttributeType.TENSOR,
            t: create(TensorProtoSchema, {
              dims: t.dims.map(BigInt),
              dataType: t.int64 ? TensorProto_DataType.INT64 : TensorProto_DataType.FLOAT,
              int64Data: (t.int64 ?? []).map(BigInt),
              floatData: t.float ?? [],
            }),
          })
        ),
      ],
    })
  );
  return create(GraphProtoSchema, {
    name: spec.name ?? 'graph',
    node: nodes,
    input: spec.inputs.map(valueInfo),
    output: spec.outputs.map(valueInfo),
    initializer: (spec.initializers ?? []).map((t) =>
      create(TensorProtoSchema, {
        name: t.name,
        dims: t.dims.map(BigInt),
        dataType: t.int64 ? TensorProto_DataType.INT64 : TensorProto_DataType.FLOAT,
        int64Data: (t.int64 ?? []).map(BigInt),
        floatData: t.float ?? [],
      })
    ),
  });
}
