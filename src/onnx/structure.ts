/**
 * Structure data for the graph view and `glassbox graph`: per node its op, attributes, input and
 * output shapes, parameter count and FLOPs; model totals; and how the file stores its weights
 * (element types, quantized weights dequantized at load, external data files).
 *
 * @module
 */

import {
  type AttributeValue,
  type CpuTensor,
  elementCount,
  isFloat,
  isSequence,
  type ModelIR,
  type Node,
} from '../graph/ir.ts';
import type { Plan } from '../graph/plan.ts';
import type { Model } from './model.ts';

/** One stored element type of the weights. */
export interface StoredType {
  /** Element type as stored in the file (`float16`, `int8`, ...). */
  dtype: string;
  /** Number of weight tensors (initializers and Constant tensors) of that type. */
  tensors: number;
  /** Their elements. */
  elements: number;
}

/** How the model file stores its weights. */
export interface WeightStorage {
  /** Weight tensors by stored element type, most elements first. */
  stored: StoredType[];
  /** Integer weights that a folded DequantizeLinear turned into float weights at load. */
  dequantized: { dtype: string; tensors: number; elements: number }[];
  /** Side files the weights were read from (ONNX external data). */
  externalFiles: string[];
  /**
   * One line per fact worth showing, e.g. "float16 weights upcast to float32", "int8 weights
   * dequantized at load", "2 external data files".
   */
  notes: string[];
}

/** One node of the structure. */
export interface NodeStructure {
  /** Node name. */
  name: string;
  /** Operator type. */
  op: string;
  /** Attributes, JSON-friendly (tensors and graphs summarized). */
  attributes: Record<string, unknown>;
  /** Input tensor names. */
  inputs: string[];
  /** Output tensor names. */
  outputs: string[];
  /** Shapes of inputs then outputs by tensor name (null when unknown, e.g. sequences). */
  shapes: Record<string, number[] | null>;
  /** Parameters (elements of constant float tensors) first read by this node. */
  params: number;
  /** Floating-point operations at the planned input shapes (0 for folded nodes). */
  flops: number;
  /** Whether the node was folded on the CPU at plan time (shape arithmetic, constants). */
  folded: boolean;
}

/** The structure of a model at given input shapes. */
export interface ModelStructure {
  /** Inputs with their declared and planned shapes. */
  inputs: { name: string; dtype?: string; shape: (number | string | null)[]; planned: number[] }[];
  /** Outputs with planned shapes. */
  outputs: { name: string; dtype?: string; shape: number[] | null }[];
  /** Nodes in execution order (folded ones where they were folded). */
  nodes: NodeStructure[];
  /** Totals. */
  totals: { params: number; flops: number; nodes: number; gpuNodes: number };
  /** Opset and producer. */
  opset: number;
  /** Producer name and version. */
  producer: string;
  /** How the file stores its weights. */
  weights: WeightStorage;
}

/** Every weight tensor of a graph (initializers and Constant tensors, subgraphs included). */
function weightTensors(ir: ModelIR): Map<string, CpuTensor> {
  const out = new Map<string, CpuTensor>();
  const visit = (nodes: Node[], initializers: Map<string, CpuTensor>) => {
    for (const [name, t] of initializers) out.set(name, t);
    for (const n of nodes) {
      const value = n.op === 'Constant' ? n.attributes.value : undefined;
      if (value && typeof value === 'object' && 'data' in value) {
        out.set(n.outputs[0], value as CpuTensor);
      }
      for (const a of Object.values(n.attributes)) {
        for (const g of Array.isArray(a) ? a : [a]) {
          if (typeof g === 'object' && g !== null && 'nodes' in g) visit(g.nodes, g.initializers);
        }
      }
    }
  };
  visit(ir.graph.nodes, ir.graph.initializers);
  return out;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The weight storage summary of a model and its plan. */
export function weightStorage(ir: ModelIR, plan: Plan): WeightStorage {
  const weights = weightTensors(ir);
  const byType = new Map<string, StoredType>();
  for (const t of weights.values()) {
    const s = byType.get(t.dtype) ?? { dtype: t.dtype, tensors: 0, elements: 0 };
    s.tensors++;
    s.elements += elementCount(t.shape);
    byType.set(t.dtype, s);
  }
  const stored = [...byType.values()].sort((a, b) => b.elements - a.elements);
  // Integer weights that a DequantizeLinear folded at plan time: dequantized at load.
  const folded = new Set(plan.foldedNodes);
  const dequantizedNames = new Set<string>();
  for (const n of ir.graph.nodes) {
    if (n.op !== 'DequantizeLinear' || !folded.has(n)) continue;
    const w = weights.get(n.inputs[0]);
    if (w && !isFloat(w.dtype)) dequantizedNames.add(n.inputs[0]);
  }
  const dq = new Map<string, { dtype: string; tensors: number; elements: number }>();
  for (const name of dequantizedNames) {
    const t = weights.get(name)!;
    const s = dq.get(t.dtype) ?? { dtype: t.dtype, tensors: 0, elements: 0 };
    s.tensors++;
    s.elements += elementCount(t.shape);
    dq.set(t.dtype, s);
  }
  const dequantized = [...dq.values()].sort((a, b) => b.elements - a.elements);
  const notes: string[] = [];
  for (const half of ['float16', 'bfloat16']) {
    const s = byType.get(half);
    if (s) {
      notes.push(
        `${half} weights upcast to float32 (${plural(s.tensors, 'tensor')}, ` +
          `${s.elements} values)`,
      );
    }
  }
  for (const s of dequantized) {
    notes.push(
      `${s.dtype} weights dequantized at load (${plural(s.tensors, 'tensor')}, ` +
        `${s.elements} values)`,
    );
  }
  const integerOps = ir.graph.nodes.filter((n) =>
    ['MatMulInteger', 'ConvInteger', 'QLinearMatMul', 'QLinearConv'].includes(n.op)
  );
  if (integerOps.length > 0) {
    notes.push(
      `${plural(integerOps.length, 'integer operator')} (${
        [...new Set(integerOps.map((n) => n.op))].join(', ')
      }) computed in float32 on dequantized values`,
    );
  }
  const externalFiles = ir.externalData ?? [];
  if (externalFiles.length > 0) {
    notes.push(
      `${plural(externalFiles.length, 'external data file')} (${externalFiles.join(', ')})`,
    );
  }
  return { stored, dequantized, externalFiles, notes };
}

function summarize(v: AttributeValue): unknown {
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) {
    return v.every((x) => typeof x === 'number' || typeof x === 'string')
      ? v
      : v.map((x) => summarize(x as AttributeValue));
  }
  if ('nodes' in v) return `graph(${v.nodes.length} nodes)`;
  if ('data' in v) {
    return v.data.length <= 8
      ? { tensor: v.dtype, shape: v.shape, values: Array.from(v.data) }
      : { tensor: v.dtype, shape: v.shape };
  }
  return String(v);
}

/**
 * Plans the model at `dimensions` (symbolic input dims; default 1) and describes every node.
 */
export function modelStructure(
  model: Model,
  options: { dimensions?: Record<string, number> } = {},
): ModelStructure {
  const inputs = model.defaultInputs(options.dimensions);
  const plan = model.plan(inputs);
  const counted = new Set<string>();
  const shapeOf = (name: string): number[] | null => {
    const known = plan.known.get(name);
    if (known) return isSequence(known) ? null : known.shape;
    return plan.infos.get(name)?.shape ?? null;
  };
  const gpu = new Map(plan.steps.map((s) => [s.node, s]));
  const order = [...plan.foldedNodes, ...plan.steps.map((s) => s.node)];
  // Keep file order where possible: sort by the node's index in the graph.
  const index = new Map(model.ir.graph.nodes.map((n, i) => [n, i]));
  order.sort((a, b) => index.get(a)! - index.get(b)!);
  const nodes = order.map((node): NodeStructure => {
    const step = gpu.get(node);
    // Parameters: constant float tensors (initializers or Constant nodes) a GPU node reads,
    // each counted once, at its first reader.
    let params = 0;
    for (const name of step ? node.inputs : []) {
      const v = plan.known.get(name);
      if (v && !isSequence(v) && isFloat(v.dtype) && !counted.has(name)) {
        counted.add(name);
        params += elementCount(v.shape);
      }
    }
    let flops = 0;
    if (step?.def.flops) {
      flops = step.def.flops({
        node,
        opset: model.ir.opset,
        infos: step.infos,
        values: step.values,
        runSubgraph: () => [],
      }, step.outputs);
    }
    const shapes: Record<string, number[] | null> = {};
    for (const name of [...node.inputs, ...node.outputs]) if (name) shapes[name] = shapeOf(name);
    const attributes: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node.attributes)) attributes[k] = summarize(v);
    return {
      name: node.name,
      op: node.op,
      attributes,
      inputs: node.inputs,
      outputs: node.outputs,
      shapes,
      params,
      flops,
      folded: !step,
    };
  });
  return {
    inputs: model.inputs.map((v) => ({
      name: v.name,
      dtype: v.dtype,
      shape: v.shape ?? [],
      planned: inputs.get(v.name)!.shape,
    })),
    outputs: model.outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: shapeOf(v.name) })),
    nodes,
    totals: {
      params: nodes.reduce((a, n) => a + n.params, 0),
      flops: nodes.reduce((a, n) => a + n.flops, 0),
      nodes: nodes.length,
      gpuNodes: plan.steps.length,
    },
    opset: model.ir.opset,
    producer: model.ir.producer,
    weights: weightStorage(model.ir, plan),
  };
}
