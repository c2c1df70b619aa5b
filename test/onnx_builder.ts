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

/** A node to build: op, inputs, outputs and integer/int-list/float attributes. */
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  ints?: Record<string, number | number[]>;
  floats?: Record<string, number>;
  tensor?: Record<string, { dims: number[]; int64?: number[]; float?: number[] }>;
}

/** A value declaration: name, element type code (1 = float, 7 = int64) and shape. */
export interface ValueSpec {
  name: string;
  type?: number;
  shape: (number | string)[];
}

function valueInfo(v: ValueSpec) {
  return create(ValueInfoProtoSchema, {
    name: v.name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: v.type ?? TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, {
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

/** Serializes a one-graph model. */
export function buildModel(spec: {
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: { name: string; dims: number[]; float?: number[]; int64?: number[] }[];
  opset?: number;
}): Uint8Array {
  const nodes = spec.nodes.map((n, i) =>
    create(NodeProtoSchema, {
      name: n.name ?? `${n.op}_${i}`,
      opType: n.op,
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
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'glassbox tests',
    opsetImport: [
      create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(spec.opset ?? 17) }),
    ],
    graph: create(GraphProtoSchema, {
      name: 'test',
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
    }),
  });
  return toBinary(ModelProtoSchema, model);
}
