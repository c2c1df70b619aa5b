/**
 * Reads an ONNX file (protobuf, via the maintained `onnx-buf` binding) into glassbox's IR.
 * Validates what the IR promises: every tensor's data matches its declared shape and type,
 * external data is rejected, subgraphs are read recursively.
 *
 * @module
 */

import { fromBinary } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  type GraphProto,
  type ModelProto,
  ModelProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProto_DataType,
  type TypeProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { ModelFormatError } from '../graph/errors.ts';
import type {
  AttributeValue,
  CpuTensor,
  ElementType,
  Graph,
  ModelIR,
  Node,
  ValueInfo,
} from '../graph/ir.ts';

const DTYPES: Partial<Record<TensorProto_DataType, ElementType>> = {
  [TensorProto_DataType.FLOAT]: 'float32',
  [TensorProto_DataType.FLOAT16]: 'float16',
  [TensorProto_DataType.DOUBLE]: 'float64',
  [TensorProto_DataType.INT8]: 'int8',
  [TensorProto_DataType.UINT8]: 'uint8',
  [TensorProto_DataType.INT16]: 'int16',
  [TensorProto_DataType.UINT16]: 'uint16',
  [TensorProto_DataType.INT32]: 'int32',
  [TensorProto_DataType.UINT32]: 'uint32',
  [TensorProto_DataType.INT64]: 'int64',
  [TensorProto_DataType.UINT64]: 'uint64',
  [TensorProto_DataType.BOOL]: 'bool',
};

/** Bytes per element of each type in `raw_data`. */
const ITEM_BYTES: Record<ElementType, number> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

/** The IR element type of an ONNX data type code. */
export function elementType(code: number, what: string): ElementType {
  const dtype = DTYPES[code as TensorProto_DataType];
  if (!dtype) {
    const name = TensorProto_DataType[code] ?? `code ${code}`;
    throw new ModelFormatError(`Cannot load ${what}: element type ${name} is not supported`);
  }
  return dtype;
}

/** IEEE half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function toNumber(v: bigint): number {
  return Number(v);
}

/**
 * Decodes a TensorProto into a {@linkcode CpuTensor}.
 *
 * @throws {ModelFormatError} for external data, an unsupported type, or data whose length does
 *   not match the declared shape.
 */
export function decodeTensor(t: TensorProto, what = `tensor '${t.name}'`): CpuTensor {
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL || t.externalData.length > 0) {
    const location = t.externalData.find((e) => e.key === 'location')?.value ?? '?';
    throw new ModelFormatError(
      `Cannot load ${what}: its data is stored outside the model file ('${location}'); ` +
        'external data is not supported — save the model with all tensors inside it',
    );
  }
  const dtype = elementType(t.dataType, what);
  const shape = t.dims.map(toNumber);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ModelFormatError(`Cannot load ${what}: dimension ${d} is not a valid size`);
    }
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) {
    throw new ModelFormatError(`Cannot load ${what}: shape [${shape}] is too large`);
  }
  const raw = t.rawData;
  let data: Float32Array | Float64Array;
  if (raw.length > 0) {
    const expected = count * ITEM_BYTES[dtype];
    if (raw.length !== expected) {
      throw new ModelFormatError(
        `Cannot load ${what}: raw data has ${raw.length} bytes, shape [${shape}] of ${dtype} ` +
          `needs ${expected}`,
      );
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (dtype === 'float32') {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
    } else {
      data = new Float64Array(count);
      const read: (i: number) => number = {
        float16: (i: number) => halfToFloat(view.getUint16(2 * i, true)),
        float64: (i: number) => view.getFloat64(8 * i, true),
        int8: (i: number) => view.getInt8(i),
        uint8: (i: number) => view.getUint8(i),
        bool: (i: number) => (view.getUint8(i) ? 1 : 0),
        int16: (i: number) => view.getInt16(2 * i, true),
        uint16: (i: number) => view.getUint16(2 * i, true),
        int32: (i: number) => view.getInt32(4 * i, true),
        uint32: (i: number) => view.getUint32(4 * i, true),
        int64: (i: number) => Number(view.getBigInt64(8 * i, true)),
        uint64: (i: number) => Number(view.getBigUint64(8 * i, true)),
      }[dtype];
      for (let i = 0; i < count; i++) data[i] = read(i);
    }
  } else {
    let values: ArrayLike<number>;
    switch (dtype) {
      case 'float32':
        values = t.floatData;
        break;
      case 'float64':
        values = t.doubleData;
        break;
      case 'int64':
        values = t.int64Data.map(toNumber);
        break;
      case 'uint32':
      case 'uint64':
        values = t.uint64Data.map(toNumber);
        break;
      case 'float16':
        values = t.int32Data.map(halfToFloat);
        break;
      default:
        values = t.int32Data;
    }
    if (values.length !== count) {
      throw new ModelFormatError(
        `Cannot load ${what}: it holds ${values.length} values, shape [${shape}] needs ${count}`,
      );
    }
    data = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  }
  return { dtype, shape, data };
}

function valueInfo(v: ValueInfoProto): ValueInfo {
  const info: ValueInfo = { name: v.name };
  const type = v.type as TypeProto | undefined;
  if (type?.value.case === 'tensorType') {
    const tensor = type.value.value;
    if (tensor.elemType) {
      const dtype = DTYPES[tensor.elemType as TensorProto_DataType];
      if (dtype) info.dtype = dtype;
    }
    if (tensor.shape) {
      info.shape = tensor.shape.dim.map((d) =>
        d.value.case === 'dimValue'
          ? Number(d.value.value)
          : d.value.case === 'dimParam'
          ? d.value.value
          : null
      );
    }
  }
  return info;
}

function attribute(a: AttributeProto, node: string): AttributeValue {
  const what = `attribute '${a.name}' of node '${node}'`;
  switch (a.type) {
    case AttributeProto_AttributeType.FLOAT:
      return a.f;
    case AttributeProto_AttributeType.INT:
      return Number(a.i);
    case AttributeProto_AttributeType.STRING:
      return new TextDecoder().decode(a.s);
    case AttributeProto_AttributeType.TENSOR:
      if (!a.t) throw new ModelFormatError(`Cannot load ${what}: tensor missing`);
      return decodeTensor(a.t, what);
    case AttributeProto_AttributeType.GRAPH:
      if (!a.g) throw new ModelFormatError(`Cannot load ${what}: graph missing`);
      return graph(a.g);
    case AttributeProto_AttributeType.FLOATS:
      return [...a.floats];
    case AttributeProto_AttributeType.INTS:
      return a.ints.map(toNumber);
    case AttributeProto_AttributeType.STRINGS:
      return a.strings.map((s) => new TextDecoder().decode(s));
    case AttributeProto_AttributeType.TENSORS:
      return a.tensors.map((t) => decodeTensor(t, what));
    case AttributeProto_AttributeType.GRAPHS:
      return a.graphs.map(graph);
    default:
      throw new ModelFormatError(
        `Cannot load ${what}: attribute type ${AttributeProto_AttributeType[a.type] ?? a.type} ` +
          'is not supported',
      );
  }
}

function graph(g: GraphProto): Graph {
  const initializers = new Map<string, CpuTensor>();
  for (const t of g.initializer) initializers.set(t.name, decodeTensor(t));
  if (g.sparseInitializer.length > 0) {
    throw new ModelFormatError(
      `Cannot load graph '${g.name}': sparse initializers are not supported`,
    );
  }
  const nodes: Node[] = g.node.map((n, i) => {
    const name = n.name || `${n.opType}_${i}`;
    const attributes: Record<string, AttributeValue> = {};
    for (const a of n.attribute) {
      if (a.refAttrName) {
        throw new ModelFormatError(
          `Cannot load node '${name}': attribute references (functions) are not supported`,
        );
      }
      attributes[a.name] = attribute(a, name);
    }
    return {
      name,
      op: n.opType,
      domain: n.domain === 'ai.onnx' ? '' : n.domain,
      inputs: [...n.input],
      outputs: [...n.output],
      attributes,
    };
  });
  return {
    name: g.name,
    nodes,
    // Older exporters list initializers among the inputs; they are not runtime inputs.
    inputs: g.input.filter((v) => !initializers.has(v.name)).map(valueInfo),
    outputs: g.output.map(valueInfo),
    initializers,
  };
}

/**
 * Parses ONNX bytes into a {@linkcode ModelIR}.
 *
 * @throws {ModelFormatError} when the bytes are not a readable ONNX model, naming what is wrong.
 */
export function parseOnnx(bytes: Uint8Array): ModelIR {
  if (!(bytes instanceof Uint8Array)) {
    throw new ModelFormatError(
      `Cannot load model: expected bytes (Uint8Array), got ${typeof bytes}`,
    );
  }
  if (bytes.length === 0) throw new ModelFormatError('Cannot load model: the file is empty');
  let proto: ModelProto;
  try {
    proto = fromBinary(ModelProtoSchema, bytes);
  } catch (cause) {
    throw new ModelFormatError(
      `Cannot load model: not a valid ONNX file (${(cause as Error).message})`,
      { cause },
    );
  }
  if (!proto.graph || proto.irVersion === 0n) {
    throw new ModelFormatError(
      'Cannot load model: not an ONNX model (no ir_version or no graph); is this the right file?',
    );
  }
  const opsets: Record<string, number> = {};
  for (const o of proto.opsetImport) {
    opsets[o.domain === 'ai.onnx' ? '' : o.domain] = Number(o.version);
  }
  if (opsets[''] === undefined) {
    throw new ModelFormatError('Cannot load model: it imports no version of the ONNX operator set');
  }
  let main: Graph;
  try {
    main = graph(proto.graph);
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`Cannot load model: ${(error as Error).message}`, { cause: error });
  }
  return {
    graph: main,
    opset: opsets[''],
    opsets,
    irVersion: Number(proto.irVersion),
    producer: [proto.producerName, proto.producerVersion].filter((s) => s).join(' '),
  };
}
