/**
 * Builds small ONNX models with typed tensors (float16, bfloat16, int8, uint8, int32, external
 * data) for the tests of quantized and half-precision weights, and the two quantized models of
 * those tests: a QDQ convolutional net (onnxruntime's `quantize_static` format) and a dynamic
 * quantized dense layer (`quantize_dynamic`).
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
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import { bfloat16Bits, float16Bits } from '../src/ops/round_float.ts';

/** Element types the builder writes. */
export type BuildType = 'float32' | 'float16' | 'bfloat16' | 'int8' | 'uint8' | 'int32' | 'int64';

const CODES: Record<BuildType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
  float16: TensorProto_DataType.FLOAT16,
  bfloat16: TensorProto_DataType.BFLOAT16,
  int8: TensorProto_DataType.INT8,
  uint8: TensorProto_DataType.UINT8,
  int32: TensorProto_DataType.INT32,
  int64: TensorProto_DataType.INT64,
};

/** A tensor to build: raw little-endian data, or external data in a side file. */
export interface TensorSpec {
  name: string;
  type: BuildType;
  dims: number[];
  values: ArrayLike<number>;
  /** Store the data in this side file (returned in `BuiltModel.files`). */
  external?: string;
}

/** A node to build. */
export interface QNodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  ints?: Record<string, number | number[]>;
  floats?: Record<string, number>;
  tensors?: Record<string, TensorSpec>;
}

/** A graph input or output. */
export interface QValueSpec {
  name: string;
  type?: BuildType;
  /** Dimensions; a string is a symbolic dimension (e.g. a batch `N`). */
  shape: (number | string)[];
}

/** Little-endian bytes of `values` as `type`. */
export function rawBytes(type: BuildType, values: ArrayLike<number>): Uint8Array<ArrayBuffer> {
  const size = { float32: 4, float16: 2, bfloat16: 2, int8: 1, uint8: 1, int32: 4, int64: 8 }[type];
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    switch (type) {
      case 'float32':
        view.setFloat32(4 * i, v, true);
        break;
      case 'float16':
        view.setUint16(2 * i, float16Bits(v), true);
        break;
      case 'bfloat16':
        view.setUint16(2 * i, bfloat16Bits(v), true);
        break;
      case 'int8':
        view.setInt8(i, v);
        break;
      case 'uint8':
        view.setUint8(i, v);
        break;
      case 'int32':
        view.setInt32(4 * i, v, true);
        break;
      case 'int64':
        view.setBigInt64(8 * i, BigInt(v), true);
        break;
    }
  }
  return out;
}

/** A model and the side files its external tensors live in. */
export interface BuiltModel {
  bytes: Uint8Array;
  files: Record<string, Uint8Array>;
}

/** Serializes a one-graph model with typed initializers (some optionally external). */
export function buildTypedModel(spec: {
  nodes: QNodeSpec[];
  inputs: QValueSpec[];
  outputs: QValueSpec[];
  initializers?: TensorSpec[];
  opset?: number;
}): BuiltModel {
  const files: Record<string, number[]> = {};
  const tensorProto = (t: TensorSpec) => {
    const raw = rawBytes(t.type, t.values);
    if (!t.external) {
      return create(TensorProtoSchema, {
        name: t.name,
        dims: t.dims.map(BigInt),
        dataType: CODES[t.type],
        rawData: raw,
      });
    }
    const file = (files[t.external] ??= []);
    // onnx aligns external tensors; 4 bytes of padding exercise the offsets.
    while (file.length % 4 !== 0) file.push(0);
    const offset = file.length;
    file.push(...raw);
    return create(TensorProtoSchema, {
      name: t.name,
      dims: t.dims.map(BigInt),
      dataType: CODES[t.type],
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [
        create(StringStringEntryProtoSchema, { key: 'location', value: t.external }),
        create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
        create(StringStringEntryProtoSchema, { key: 'length', value: String(raw.length) }),
      ],
    });
  };
  const valueInfo = (v: QValueSpec) =>
    create(ValueInfoProtoSchema, {
      name: v.name,
      type: create(TypeProtoSchema, {
        value: {
          case: 'tensorType',
          value: create(TypeProto_TensorSchema, {
            elemType: CODES[v.type ?? 'float32'],
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
        ...Object.entries(n.tensors ?? {}).map(([name, t]) =>
          create(AttributeProtoSchema, {
            name,
            type: AttributeProto_AttributeType.TENSOR,
            t: tensorProto(t),
          })
        ),
      ],
    })
  );
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'glassbox tests',
    opsetImport: [
      create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(spec.opset ?? 13) }),
    ],
    graph: create(GraphProtoSchema, {
      name: 'test',
      node: nodes,
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map(tensorProto),
    }),
  });
  return {
    bytes: toBinary(ModelProtoSchema, model),
    files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Uint8Array.from(v)])),
  };
}

/** A deterministic pseudo-random integer in [lo, hi] for index `i` and `seed`. */
export function pseudoInt(i: number, seed: number, lo: number, hi: number): number {
  const h = Math.imul(i + 1, 2654435761) ^ Math.imul(seed + 7, 40503);
  return lo + (((h >>> 0) % 9973) % (hi - lo + 1));
}

/** The QDQ test network's weights, as quantized integers and their scales. */
export const QDQ = {
  /** Input [1, 1, 5, 5] quantization: uint8, scale 1/64, zero point 128. */
  xScale: 1 / 64,
  xZero: 128,
  /** Conv weight [2, 1, 3, 3] int8 with per-channel scales (axis 0), zero points 0. */
  w1: Array.from({ length: 18 }, (_, i) => pseudoInt(i, 1, -100, 100)),
  w1Scale: [0.004, 0.006],
  b1: [0.05, -0.02],
  /** Activation quantization after the ReLU: uint8, scale 1/32, zero point 0. */
  aScale: 1 / 32,
  /** Dense weight [50, 3] int8, per-tensor scale 0.01, zero point 3. */
  w2: Array.from({ length: 150 }, (_, i) => pseudoInt(i, 2, -120, 120)),
  w2Scale: 0.01,
  w2Zero: 3,
  b2: [0.1, -0.1, 0],
};

/**
 * A QDQ convolutional net: x → Q→DQ → Conv(DQ(int8 W1, per channel)) → Relu → Q→DQ → Flatten
 * → MatMul(DQ(int8 W2)) → Add → logits [N, 3]. Opset 13.
 */
export function qdqModel(): Uint8Array {
  return buildTypedModel({
    opset: 13,
    inputs: [{ name: 'x', shape: ['N', 1, 5, 5] }],
    outputs: [{ name: 'logits', shape: ['N', 3] }],
    initializers: [
      { name: 'x_scale', type: 'float32', dims: [], values: [QDQ.xScale] },
      { name: 'x_zero', type: 'uint8', dims: [], values: [QDQ.xZero] },
      { name: 'w1_q', type: 'int8', dims: [2, 1, 3, 3], values: QDQ.w1 },
      { name: 'w1_scale', type: 'float32', dims: [2], values: QDQ.w1Scale },
      { name: 'w1_zero', type: 'int8', dims: [2], values: [0, 0] },
      { name: 'b1', type: 'float32', dims: [2], values: QDQ.b1 },
      { name: 'a_scale', type: 'float32', dims: [], values: [QDQ.aScale] },
      { name: 'a_zero', type: 'uint8', dims: [], values: [0] },
      { name: 'w2_q', type: 'int8', dims: [50, 3], values: QDQ.w2 },
      { name: 'w2_scale', type: 'float32', dims: [], values: [QDQ.w2Scale] },
      { name: 'w2_zero', type: 'int8', dims: [], values: [QDQ.w2Zero] },
      { name: 'b2', type: 'float32', dims: [3], values: QDQ.b2 },
    ],
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 'x_scale', 'x_zero'], outputs: ['x_q'] },
      { op: 'DequantizeLinear', inputs: ['x_q', 'x_scale', 'x_zero'], outputs: ['x_dq'] },
      {
        op: 'DequantizeLinear',
        inputs: ['w1_q', 'w1_scale', 'w1_zero'],
        outputs: ['w1'],
        ints: { axis: 0 },
      },
      {
        op: 'Conv',
        inputs: ['x_dq', 'w1', 'b1'],
        outputs: ['conv'],
        ints: { pads: [1, 1, 1, 1] },
      },
      { op: 'Relu', inputs: ['conv'], outputs: ['relu'] },
      { op: 'QuantizeLinear', inputs: ['relu', 'a_scale', 'a_zero'], outputs: ['a_q'] },
      { op: 'DequantizeLinear', inputs: ['a_q', 'a_scale', 'a_zero'], outputs: ['a_dq'] },
      { op: 'Flatten', inputs: ['a_dq'], outputs: ['flat'] },
      { op: 'DequantizeLinear', inputs: ['w2_q', 'w2_scale', 'w2_zero'], outputs: ['w2'] },
      { op: 'MatMul', inputs: ['flat', 'w2'], outputs: ['mm'] },
      { op: 'Add', inputs: ['mm', 'b2'], outputs: ['logits'] },
    ],
  }).bytes;
}

/** The dynamic quantized dense layer's weights: int8 [8, 4], scale 0.02, zero point 0. */
export const DYNAMIC = {
  w: Array.from({ length: 32 }, (_, i) => pseudoInt(i, 3, -127, 127)),
  wScale: 0.02,
  bias: [0.5, -0.25, 0, 0.125],
};

/**
 * What onnxruntime's `quantize_dynamic` writes for a MatMul + Add: x → DynamicQuantizeLinear →
 * MatMulInteger(x_q, int8 W, x_zero, w_zero) → Cast(float) → Mul(x_scale·w_scale) → Add(bias).
 * Input [N, 8] (one quantization scale for the whole batch, as onnxruntime computes it).
 */
export function dynamicModel(): Uint8Array {
  return buildTypedModel({
    opset: 13,
    inputs: [{ name: 'x', shape: ['N', 8] }],
    outputs: [{ name: 'y', shape: ['N', 4] }],
    initializers: [
      { name: 'w_q', type: 'int8', dims: [8, 4], values: DYNAMIC.w },
      { name: 'w_scale', type: 'float32', dims: [], values: [DYNAMIC.wScale] },
      { name: 'w_zero', type: 'int8', dims: [], values: [0] },
      { name: 'bias', type: 'float32', dims: [4], values: DYNAMIC.bias },
    ],
    nodes: [
      {
        op: 'DynamicQuantizeLinear',
        inputs: ['x'],
        outputs: ['x_q', 'x_scale', 'x_zero'],
      },
      {
        op: 'MatMulInteger',
        inputs: ['x_q', 'w_q', 'x_zero', 'w_zero'],
        outputs: ['mm_i32'],
      },
      { op: 'Cast', inputs: ['mm_i32'], outputs: ['mm_f'], ints: { to: 1 } },
      { op: 'Mul', inputs: ['x_scale', 'w_scale'], outputs: ['scale'] },
      { op: 'Mul', inputs: ['mm_f', 'scale'], outputs: ['mm'] },
      { op: 'Add', inputs: ['mm', 'bias'], outputs: ['y'] },
    ],
  }).bytes;
}
