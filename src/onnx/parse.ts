/**
 * Reads an ONNX file (protobuf, via the maintained `onnx-buf` binding) into glassbox's IR.
 * Validates what the IR promises: every tensor's data matches its declared shape and type,
 * subgraphs are read recursively.
 *
 * Weights as people ship them:
 * - float16 and bfloat16 tensors (initializers, Constant attributes, test data) decode to
 *   numbers, upcast exactly; they keep their element type in the IR (so the overview can say
 *   so), and run as f32 on the GPU like every float. Graph inputs declared float16/bfloat16
 *   take float data (a `Float32Array`), and such outputs come back as f32 tensors holding
 *   float16/bfloat16 values where a `Cast` rounded them.
 * - int8/uint8 (quantized) tensors decode to their integers; `DequantizeLinear` of such a
 *   weight folds to float at plan time (`src/onnx/ops/quant.ts`).
 * - External data (`data_location = EXTERNAL`, `external_data` location/offset/length): the
 *   bytes come from side files the caller supplies by name ({@linkcode ParseOptions}); every
 *   missing file is named in one {@linkcode MissingExternalDataError}.
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
  type NodeProto,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProto_DataType,
  type TypeProto,
  type ValueInfoProto,
  Version,
} from 'onnx-buf';
import { ModelFormatError } from '../graph/errors.ts';
import { checkStructure } from '../graph/plan.ts';
import { checkNode } from './schema.ts';
import { bfloat16FromBits, float16FromBits } from '../ops/round_float.ts';
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
  [TensorProto_DataType.BFLOAT16]: 'bfloat16',
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
  bfloat16: 2,
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

function toNumber(v: bigint): number {
  return Number(v);
}

/**
 * A model's tensors stored outside it were not all supplied: `files` names every missing side
 * file (as the model's `external_data` locations spell them).
 */
export class MissingExternalDataError extends ModelFormatError {
  /** The missing side files. */
  readonly files: string[];
  /** Creates the error. */
  constructor(files: string[]) {
    super(
      `Cannot load model: its weights are stored in ${files.length} side file` +
        `${files.length > 1 ? 's' : ''} that ${files.length > 1 ? 'were' : 'was'} not given: ` +
        `${files.map((f) => `'${f}'`).join(', ')} — pass them as options.externalData ` +
        '({ [location]: bytes }), or keep them beside the model file for the CLI',
    );
    this.files = files;
  }
}

/** Side files of external data by location (the name in the model's `external_data`). */
export type ExternalData = Readonly<Record<string, Uint8Array>>;

/** Options of {@linkcode decodeTensor}. */
export interface DecodeOptions {
  /** Side files for tensors whose data is external. */
  externalData?: ExternalData;
  /**
   * The element type the tensor is declared with elsewhere (a test case's graph input). The
   * ONNX backend test data up to onnx 1.13 stores bfloat16 tensors as UINT16 bit patterns;
   * with `declared: 'bfloat16'` such a tensor is read as the bfloat16 values it holds.
   */
  declared?: ElementType;
}

/** Whether a tensor's data lives in a side file. */
function isExternal(t: TensorProto): boolean {
  return t.dataLocation === TensorProto_DataLocation.EXTERNAL;
}

/**
 * The side file of an external tensor, checked to be a relative path inside the model's folder
 * (as onnx's checker requires: no absolute paths, no `..`).
 */
function externalLocation(t: TensorProto, what: string): string {
  const location = t.externalData.find((e) => e.key === 'location')?.value;
  if (!location) {
    throw new ModelFormatError(
      `Cannot load ${what}: its data is marked external but names no location`,
    );
  }
  if (
    /^([a-zA-Z]:)?[\\/]/.test(location) ||
    location.split(/[\\/]/).some((part) => part === '..')
  ) {
    throw new ModelFormatError(
      `Cannot load ${what}: external data location '${location}' must be a relative path ` +
        "inside the model's folder",
    );
  }
  return location;
}

/** The bytes of an external tensor, from its side file's `offset` and `length`. */
function externalBytes(t: TensorProto, what: string, files: ExternalData | undefined): Uint8Array {
  const location = externalLocation(t, what);
  const file = files?.[location];
  if (!file) throw new MissingExternalDataError([location]);
  const field = (key: string): number | undefined => {
    const text = t.externalData.find((e) => e.key === key)?.value;
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
      throw new ModelFormatError(
        `Cannot load ${what}: external data ${key} '${text}' is not a byte count`,
      );
    }
    return n;
  };
  const offset = field('offset') ?? 0;
  const length = field('length') ?? file.length - offset;
  if (offset + length > file.length || length < 0) {
    throw new ModelFormatError(
      `Cannot load ${what}: external data at offset ${offset}, length ${length} runs past the ` +
        `end of '${location}' (${file.length} bytes)`,
    );
  }
  return file.subarray(offset, offset + length);
}

/**
 * Decodes a TensorProto into a {@linkcode CpuTensor}. float16/bfloat16 data is upcast
 * exactly; external data is read from `options.externalData`.
 *
 * @throws {ModelFormatError} for an unsupported type, or data whose length does not match the
 *   declared shape; {@linkcode MissingExternalDataError} when its side file is not given.
 */
export function decodeTensor(
  t: TensorProto,
  what = `tensor '${t.name}'`,
  options: DecodeOptions = {},
): CpuTensor {
  let dtype = elementType(t.dataType, what);
  // onnx ≤ 1.13's backend test data writes bfloat16 tensors as UINT16 bit patterns.
  if (options.declared === 'bfloat16' && dtype === 'uint16') dtype = 'bfloat16';
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
  const raw = isExternal(t) ? externalBytes(t, what, options.externalData) : t.rawData;
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
        float16: (i: number) => float16FromBits(view.getUint16(2 * i, true)),
        bfloat16: (i: number) => bfloat16FromBits(view.getUint16(2 * i, true)),
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
        values = t.int32Data.map(float16FromBits);
        break;
      case 'bfloat16':
        values = t.int32Data.map(bfloat16FromBits);
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

/**
 * Throws for a main-graph input or output whose tensor type has no element type (UNDEFINED) or
 * one glassbox cannot hold (strings, complex, float8, ...), naming it. ONNX's checker requires
 * the element type of the main graph's inputs and outputs; subgraphs may leave it to inference.
 */
function checkElementType(v: ValueInfoProto, what: string): void {
  const type = v.type as TypeProto | undefined;
  if (type?.value.case !== 'tensorType') return;
  const code = type.value.value.elemType;
  if (code === TensorProto_DataType.UNDEFINED) {
    throw new ModelFormatError(
      `Cannot load model: ${what} '${v.name}' declares element type UNDEFINED (0)`,
    );
  }
  elementType(code, `model: ${what} '${v.name}'`);
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

/** What reading a graph needs beyond the tensors' side files. */
interface GraphContext extends DecodeOptions {
  /** The model's opset imports by domain (`''` is the default domain). */
  opsets: Readonly<Record<string, number>>;
}

/** Schema type codes of the attribute types (see `src/onnx/schema.ts`). */
const ATTRIBUTE_CODES: Partial<Record<AttributeProto_AttributeType, string>> = {
  [AttributeProto_AttributeType.FLOAT]: 'f',
  [AttributeProto_AttributeType.INT]: 'i',
  [AttributeProto_AttributeType.STRING]: 's',
  [AttributeProto_AttributeType.TENSOR]: 't',
  [AttributeProto_AttributeType.GRAPH]: 'g',
  [AttributeProto_AttributeType.SPARSE_TENSOR]: 'p',
  [AttributeProto_AttributeType.TYPE_PROTO]: 'y',
  [AttributeProto_AttributeType.FLOATS]: 'F',
  [AttributeProto_AttributeType.INTS]: 'I',
  [AttributeProto_AttributeType.STRINGS]: 'S',
  [AttributeProto_AttributeType.TENSORS]: 'T',
  [AttributeProto_AttributeType.GRAPHS]: 'G',
  [AttributeProto_AttributeType.SPARSE_TENSORS]: 'P',
  [AttributeProto_AttributeType.TYPE_PROTOS]: 'Y',
};

/** Checks a node's operator set and, for the default domain, the operator's schema. */
function checkNodeProto(n: NodeProto, name: string, domain: string, ctx: GraphContext): void {
  const opset = ctx.opsets[domain];
  if (opset === undefined) {
    throw new ModelFormatError(
      `Cannot load model: ${n.opType} node '${name}' is in the domain '${domain}', which the ` +
        `model does not import (it imports ${
          Object.keys(ctx.opsets).map((d) => `'${d}'`).join(', ')
        })`,
    );
  }
  if (domain !== '') return;
  checkNode({
    name,
    op: n.opType,
    inputs: n.input,
    outputs: n.output,
    // An attribute of no type (UNDEFINED) is refused when it is decoded.
    attributes: n.attribute.map((a) => [a.name, ATTRIBUTE_CODES[a.type] ?? '?'] as const)
      .filter(([, code]) => code !== '?'),
  }, opset);
}

/** Throws for a name that is empty or given twice in `names`. */
function checkUnique(names: readonly string[], what: string, graph: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') {
      throw new ModelFormatError(`Cannot load graph '${graph}': a ${what} has an empty name`);
    }
    if (seen.has(name)) {
      throw new ModelFormatError(
        `Cannot load graph '${graph}': two ${what}s are named '${name}'`,
      );
    }
    seen.add(name);
  }
}

function attribute(a: AttributeProto, node: string, options: GraphContext): AttributeValue {
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
      return decodeTensor(a.t, what, options);
    case AttributeProto_AttributeType.GRAPH:
      if (!a.g) throw new ModelFormatError(`Cannot load ${what}: graph missing`);
      return graph(a.g, options);
    case AttributeProto_AttributeType.FLOATS:
      return [...a.floats];
    case AttributeProto_AttributeType.INTS:
      return a.ints.map(toNumber);
    case AttributeProto_AttributeType.STRINGS:
      return a.strings.map((s) => new TextDecoder().decode(s));
    case AttributeProto_AttributeType.TENSORS:
      return a.tensors.map((t) => decodeTensor(t, what, options));
    case AttributeProto_AttributeType.GRAPHS:
      return a.graphs.map((g) => graph(g, options));
    default:
      throw new ModelFormatError(
        `Cannot load ${what}: attribute type ${AttributeProto_AttributeType[a.type] ?? a.type} ` +
          'is not supported',
      );
  }
}

function graph(g: GraphProto, options: GraphContext, main = false): Graph {
  checkUnique(g.initializer.map((t) => t.name), 'initializer', g.name);
  checkUnique(g.input.map((v) => v.name), 'graph input', g.name);
  if (main && g.output.length === 0) {
    throw new ModelFormatError(`Cannot load model: its graph '${g.name}' has no outputs`);
  }
  if (g.output.some((v) => v.name === '')) {
    throw new ModelFormatError(`Cannot load graph '${g.name}': an output has an empty name`);
  }
  if (main) {
    for (const v of g.input) checkElementType(v, 'input');
    for (const v of g.output) checkElementType(v, 'output');
  }
  const initializers = new Map<string, CpuTensor>();
  for (const t of g.initializer) {
    initializers.set(t.name, decodeTensor(t, `tensor '${t.name}'`, options));
  }
  if (g.sparseInitializer.length > 0) {
    throw new ModelFormatError(
      `Cannot load graph '${g.name}': sparse initializers are not supported`,
    );
  }
  const nodes: Node[] = g.node.map((n, i) => {
    const name = n.name || `${n.opType}_${i}`;
    const domain = n.domain === 'ai.onnx' ? '' : n.domain;
    checkNodeProto(n, name, domain, options);
    const attributes: Record<string, AttributeValue> = {};
    for (const a of n.attribute) {
      if (a.refAttrName) {
        throw new ModelFormatError(
          `Cannot load node '${name}': attribute references (functions) are not supported`,
        );
      }
      attributes[a.name] = attribute(a, name, options);
    }
    return {
      name,
      op: n.opType,
      domain,
      inputs: [...n.input],
      outputs: [...n.output],
      attributes,
    };
  });
  const result: Graph = {
    name: g.name,
    nodes,
    // Older exporters list initializers among the inputs; they are not runtime inputs.
    inputs: g.input.filter((v) => !initializers.has(v.name)).map(valueInfo),
    outputs: g.output.map(valueInfo),
    initializers,
  };
  const defaults = g.input.filter((v) => initializers.has(v.name));
  if (defaults.length > 0) result.initializerInputs = defaults.map(valueInfo);
  return result;
}

/** Every external tensor's side file in a graph (subgraphs and attribute tensors included). */
function sideFiles(g: GraphProto, found: Set<string>): Set<string> {
  const visit = (t: TensorProto, what: string) => {
    if (isExternal(t)) found.add(externalLocation(t, what));
  };
  for (const t of g.initializer) visit(t, `tensor '${t.name}'`);
  for (const n of g.node) {
    for (const a of n.attribute) {
      const what = `attribute '${a.name}' of node '${n.name}'`;
      if (a.t) visit(a.t, what);
      for (const t of a.tensors) visit(t, what);
      if (a.g) sideFiles(a.g, found);
      for (const sub of a.graphs) sideFiles(sub, found);
    }
  }
  return found;
}

/** Reads the protobuf of a model file. */
function readProto(bytes: Uint8Array): ModelProto {
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
  // Like onnxruntime, refuse an IR version newer than the ONNX this parser was built from
  // (onnx-buf's `Version.IR_VERSION`): its meaning is not known yet.
  if (proto.irVersion < 0n || proto.irVersion > BigInt(Version.IR_VERSION)) {
    throw new ModelFormatError(
      `Cannot load model: its ir_version ${proto.irVersion} is not an ONNX IR version ` +
        `glassbox knows (1 to ${Version.IR_VERSION})`,
    );
  }
  return proto;
}

/**
 * The side files a model's external data lives in (relative to the model's folder), sorted;
 * empty for a self-contained model. A reader that has the folder (the CLI) reads these and
 * passes them to {@linkcode parseOnnx}.
 *
 * @throws {ModelFormatError} when the bytes are not a readable ONNX model, or a location is
 *   absolute or leaves the model's folder.
 */
export function externalDataFiles(bytes: Uint8Array): string[] {
  return [...sideFiles(readProto(bytes).graph!, new Set())].sort();
}

/** Options of {@linkcode parseOnnx}. */
export interface ParseOptions {
  /**
   * The side files of a model saved with external data (onnx's
   * `save_model(..., save_as_external_data=True)`), by the location the model names them with,
   * e.g. `{ 'weights.bin': bytes }`. Files the model does not use are ignored.
   */
  externalData?: ExternalData;
}

/**
 * Parses ONNX bytes into a {@linkcode ModelIR}.
 *
 * @throws {ModelFormatError} when the bytes are not a readable ONNX model, naming what is wrong;
 *   {@linkcode MissingExternalDataError} naming every side file the model needs but
 *   `options.externalData` lacks.
 */
export function parseOnnx(bytes: Uint8Array, options: ParseOptions = {}): ModelIR {
  const proto = readProto(bytes);
  const opsets: Record<string, number> = {};
  for (const o of proto.opsetImport) {
    opsets[o.domain === 'ai.onnx' ? '' : o.domain] = Number(o.version);
  }
  if (opsets[''] === undefined) {
    throw new ModelFormatError('Cannot load model: it imports no version of the ONNX operator set');
  }
  const files = [...sideFiles(proto.graph!, new Set())].sort();
  const given = options.externalData ?? {};
  const missing = files.filter((f) => !(given[f] instanceof Uint8Array));
  if (missing.length > 0) throw new MissingExternalDataError(missing);
  let main: Graph;
  try {
    main = graph(proto.graph!, { externalData: given, opsets }, true);
    // Structure (cycles, undefined or doubly defined names, subgraphs in their scope) is checked
    // now, whatever the input shapes, so that it never waits for the first run.
    checkStructure(main);
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`Cannot load model: ${(error as Error).message}`, { cause: error });
  }
  const ir: ModelIR = {
    graph: main,
    opset: opsets[''],
    opsets,
    irVersion: Number(proto.irVersion),
    producer: [proto.producerName, proto.producerVersion].filter((s) => s).join(' '),
  };
  if (files.length > 0) ir.externalData = files;
  return ir;
}
