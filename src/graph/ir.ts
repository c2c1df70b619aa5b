/**
 * glassbox's model IR: a graph of nodes over named tensors, independent of the file format it
 * came from. ONNX files are read into it by `src/onnx/parse.ts`.
 *
 * @module
 */

/** Element types a model may declare (ONNX's numeric types and bool). */
export type ElementType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

/**
 * A tensor held on the CPU: initializers, constants and values folded at load time. float32 data
 * is a `Float32Array`; every other type a `Float64Array`, exact for integers up to 2⁵³ (shape
 * arithmetic never comes near).
 */
export interface CpuTensor {
  /** Element type. */
  dtype: ElementType;
  /** Dimensions. */
  shape: number[];
  /** Elements, row-major. */
  data: Float32Array | Float64Array;
}

/** A sequence value (ONNX `seq(tensor)`), which only lives on the CPU. */
export interface CpuSequence {
  /** Marks a sequence. */
  sequence: true;
  /** Element type of the tensors (when known). */
  dtype: ElementType;
  /** The tensors. */
  items: CpuTensor[];
}

/** A value known on the CPU. */
export type CpuValue = CpuTensor | CpuSequence;

/** An attribute value. Integers and floats are both `number`; the operator knows which it wants. */
export type AttributeValue =
  | number
  | number[]
  | string
  | string[]
  | CpuTensor
  | CpuTensor[]
  | Graph
  | Graph[];

/** A node: one operator application. */
export interface Node {
  /** Node name (unique within its graph; generated as `op_N` when the file has none). */
  name: string;
  /** Operator type, e.g. `Conv`. */
  op: string;
  /** Operator domain; `''` is the default ONNX domain. */
  domain: string;
  /** Input tensor names; `''` marks an omitted optional input. */
  inputs: string[];
  /** Output tensor names; `''` marks an omitted optional output. */
  outputs: string[];
  /** Attributes by name. */
  attributes: Record<string, AttributeValue>;
}

/** A declared type: element type and shape, where a dimension may be symbolic or unknown. */
export interface ValueInfo {
  /** Tensor name. */
  name: string;
  /** Element type, when declared. */
  dtype?: ElementType;
  /** Shape, when declared: a number, a symbolic name such as `batch`, or null (unknown). */
  shape?: (number | string | null)[];
}

/** A graph (a model's main graph or a control-flow body). */
export interface Graph {
  /** Graph name. */
  name: string;
  /** Nodes, in file order. */
  nodes: Node[];
  /** Runtime inputs (initializers excluded). */
  inputs: ValueInfo[];
  /** Outputs. */
  outputs: ValueInfo[];
  /** Initializers (weights and constants) by name. */
  initializers: Map<string, CpuTensor>;
  /**
   * Initializers the file also lists as graph inputs (as every initializer was before ONNX IR 4,
   * and exporters still do with `keep_initializers_as_inputs`). ONNX lets a caller feed such an
   * input, the initializer being its default; planning with an input of that name replaces the
   * initializer (`planGraph`).
   */
  initializerInputs?: ValueInfo[];
}

/** A loaded model file. */
export interface ModelIR {
  /** The main graph. */
  graph: Graph;
  /** Opset version of the default ONNX domain. */
  opset: number;
  /** Every imported opset by domain (`''` is ONNX's default domain). */
  opsets: Record<string, number>;
  /** File format version (ONNX IR version). */
  irVersion: number;
  /** Producer name and version, for display. */
  producer: string;
  /** Side files the tensors' external data was read from (ONNX external data), if any. */
  externalData?: string[];
}

/** Number of elements of `shape`. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A CPU tensor of `dtype` and `shape` holding `values` (converted to the storage type). */
export function cpuTensor(
  dtype: ElementType,
  shape: number[],
  values: ArrayLike<number>,
): CpuTensor {
  const data = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  return { dtype, shape, data };
}

/** Whether a value is a sequence. */
export function isSequence(value: CpuValue | undefined): value is CpuSequence {
  return value !== undefined && 'sequence' in value;
}

/** Whether an element type is a floating-point type. */
export function isFloat(dtype: ElementType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' ||
    dtype === 'float64';
}

/** Whether an attribute value is a graph (a control-flow body). */
export function isGraph(value: unknown): value is Graph {
  return typeof value === 'object' && value !== null && 'nodes' in value &&
    'initializers' in value;
}

/** The subgraphs a node's attributes hold (Loop's body, If's branches), in attribute order. */
export function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of Object.values(node.attributes)) {
    if (isGraph(a)) out.push(a);
    else if (Array.isArray(a)) { for (const g of a) if (isGraph(g)) out.push(g); }
  }
  return out;
}
