/**
 * Structure data for the graph view and `glassbox graph`: per node its op, attributes, input and
 * output shapes, parameter count and FLOPs; model totals.
 *
 * @module
 */

import { type AttributeValue, elementCount, isFloat, isSequence } from '../graph/ir.ts';
import type { Model } from './model.ts';

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
  };
}
