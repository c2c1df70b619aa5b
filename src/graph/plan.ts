/**
 * Planning: for concrete input shapes, infer every tensor's type, fold on the CPU whatever is
 * known before the data arrives (initializers, constants, shape arithmetic, control flow over
 * them), and list the GPU steps that remain, with each value's last use for buffer reuse.
 *
 * Folding is general: any node whose inputs are all known and whose operator has a CPU
 * implementation is evaluated at plan time — `Shape` of a tensor with a known shape is known —
 * so PyTorch's Shape→Gather→Unsqueeze→Concat→Reshape chains and Loop-computed index tables
 * disappear from the GPU work without any rule keyed to a model.
 *
 * @module
 */

import { ModelFormatError, NodeError, UnsupportedOperatorError } from './errors.ts';
import {
  type CpuValue,
  elementCount,
  type Graph,
  isSequence,
  type ModelIR,
  type Node,
} from './ir.ts';
import type { BatchInfo } from './batch.ts';
import type { OpContext, OperatorDef, TensorInfo } from './operator.ts';

/** Oldest and newest default-domain opsets glassbox plans. */
export const OPSET_RANGE: readonly [number, number] = [1, 21];

/** One GPU step of a plan. */
export interface PlanStep {
  /** The node. */
  node: Node;
  /** Its operator. */
  def: OperatorDef;
  /** Input types. */
  infos: (TensorInfo | undefined)[];
  /** CPU-known inputs. */
  values: (CpuValue | undefined)[];
  /** Output types. */
  outputs: TensorInfo[];
}

/** The result of planning a graph for concrete input types. */
export interface Plan {
  /** GPU steps in execution order. */
  steps: PlanStep[];
  /** Type of every tensor that has one. */
  infos: Map<string, TensorInfo>;
  /** Values known on the CPU (folded). */
  known: Map<string, CpuValue>;
  /** Known values that GPU steps read (uploaded once per plan or model). */
  uploads: Set<string>;
  /** For each GPU value, the index of the last step that reads it (graph outputs: Infinity). */
  lastUse: Map<string, number>;
  /** Graph output names. */
  outputs: string[];
  /** Nodes folded on the CPU. */
  foldedNodes: Node[];
  /**
   * Set when the batch given differs from the model's fixed one: how it runs (see
   * `src/graph/batch.ts`). `infos` then has the given batch's shapes.
   */
  batch?: BatchInfo;
}

/** Operator lookup. */
export type Registry = ReadonlyMap<string, OperatorDef>;

function opKey(node: Node): string {
  return node.domain ? `${node.domain}:${node.op}` : node.op;
}

/**
 * Checks that every operator in the model (subgraphs included) is implemented and the opset is
 * in range.
 *
 * @throws {UnsupportedOperatorError} listing every unsupported operator with its nodes.
 */
export function checkSupport(model: ModelIR, registry: Registry): void {
  const [lo, hi] = OPSET_RANGE;
  if (model.opset < lo || model.opset > hi) {
    throw new UnsupportedOperatorError(
      `Cannot load model: it uses ONNX opset ${model.opset}; glassbox supports opsets ${lo} to ${hi}`,
      {},
    );
  }
  const missing: Record<string, string[]> = {};
  const visit = (graph: Graph) => {
    for (const node of graph.nodes) {
      if (!registry.has(opKey(node))) (missing[opKey(node)] ??= []).push(node.name);
      for (const a of Object.values(node.attributes)) {
        if (typeof a === 'object' && a !== null && 'nodes' in a) visit(a as Graph);
        if (Array.isArray(a)) {
          for (const g of a) if (typeof g === 'object' && 'nodes' in g) visit(g as Graph);
        }
      }
    }
  };
  visit(model.graph);
  const ops = Object.keys(missing);
  if (ops.length > 0) {
    const list = ops.map((op) =>
      `${op} (${missing[op].slice(0, 5).join(', ')}` +
      `${missing[op].length > 5 ? `, … ${missing[op].length - 5} more` : ''})`
    );
    throw new UnsupportedOperatorError(
      `Cannot load model: ${ops.length} unsupported operator${ops.length > 1 ? 's' : ''}: ` +
        list.join('; '),
      missing,
    );
  }
}

/**
 * Orders nodes so that each comes after the producers of its inputs (files are usually in
 * order already; this keeps file order where it can).
 *
 * @throws {ModelFormatError} for a cycle or a name nothing defines.
 */
export function sortNodes(graph: Graph, outer: ReadonlySet<string> = new Set()): Node[] {
  const available = new Set<string>([
    ...outer,
    ...graph.inputs.map((i) => i.name),
    ...graph.initializers.keys(),
    '',
  ]);
  const producer = new Map<string, Node>();
  for (const node of graph.nodes) {
    for (const out of node.outputs) {
      if (out === '') continue;
      if (producer.has(out) || available.has(out)) {
        throw new ModelFormatError(
          `Cannot load graph '${graph.name}': tensor '${out}' is defined twice (node '${node.name}')`,
        );
      }
      producer.set(out, node);
    }
  }
  // Names a node reads from its subgraphs' outer scope count as its inputs.
  const needs = (node: Node): string[] => {
    const names = [...node.inputs];
    for (const a of Object.values(node.attributes)) {
      const graphs = Array.isArray(a) ? a : [a];
      for (const g of graphs) {
        if (typeof g === 'object' && g !== null && 'nodes' in g) names.push(...freeNames(g));
      }
    }
    return names;
  };
  const order: Node[] = [];
  const state = new Map<Node, 'visiting' | 'done'>();
  const visit = (node: Node, path: Node[]) => {
    const s = state.get(node);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(node)), node].map((n) => n.name).join(' → ');
      throw new ModelFormatError(
        `Cannot load graph '${graph.name}': the nodes form a cycle: ${cycle}`,
      );
    }
    state.set(node, 'visiting');
    for (const name of needs(node)) {
      if (available.has(name)) continue;
      const from = producer.get(name);
      if (!from) {
        throw new ModelFormatError(
          `Cannot load graph '${graph.name}': node '${node.name}' (${node.op}) reads '${name}', ` +
            'which no node, input or initializer defines',
        );
      }
      visit(from, [...path, node]);
    }
    state.set(node, 'done');
    order.push(node);
  };
  for (const node of graph.nodes) visit(node, []);
  for (const out of graph.outputs) {
    if (!available.has(out.name) && !producer.has(out.name)) {
      throw new ModelFormatError(
        `Cannot load graph '${graph.name}': output '${out.name}' is never computed`,
      );
    }
  }
  return order;
}

/** Names a graph reads but does not define (its view of the enclosing scope). */
export function freeNames(graph: Graph): Set<string> {
  const defined = new Set<string>([
    ...graph.inputs.map((i) => i.name),
    ...graph.initializers.keys(),
    '',
  ]);
  for (const n of graph.nodes) for (const o of n.outputs) defined.add(o);
  const free = new Set<string>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) if (!defined.has(i)) free.add(i);
    for (const a of Object.values(n.attributes)) {
      const graphs = Array.isArray(a) ? a : [a];
      for (const g of graphs) {
        if (typeof g === 'object' && g !== null && 'nodes' in g) {
          for (const name of freeNames(g as Graph)) if (!defined.has(name)) free.add(name);
        }
      }
    }
  }
  for (const o of graph.outputs) if (!defined.has(o.name)) free.add(o.name);
  return free;
}

/** The type of a CPU value (sequences have none). */
function infoOf(v: CpuValue): TensorInfo | undefined {
  return isSequence(v) ? undefined : { dtype: v.dtype, shape: v.shape };
}

/** Evaluates `graph` entirely on the CPU, with `scope` providing the enclosing values. */
function evaluateCpu(
  graph: Graph,
  inputs: CpuValue[],
  scope: ReadonlyMap<string, CpuValue>,
  registry: Registry,
  opset: number,
): CpuValue[] {
  const values = new Map<string, CpuValue>(scope);
  for (const [name, t] of graph.initializers) values.set(name, t);
  graph.inputs.forEach((input, i) => {
    if (inputs[i] !== undefined) values.set(input.name, inputs[i]);
  });
  for (const node of sortNodes(graph, new Set(values.keys()))) {
    const def = registry.get(opKey(node));
    if (!def?.cpu) {
      throw new NodeError(
        `Cannot evaluate ${node.op} node '${node.name}' inside control flow: only CPU-foldable ` +
          'operators can appear in Loop/If bodies',
      );
    }
    const ctx: OpContext = {
      node,
      opset,
      values: node.inputs.map((n) => (n ? values.get(n) : undefined)),
      infos: node.inputs.map((n) => {
        const v = n ? values.get(n) : undefined;
        return v ? infoOf(v) : undefined;
      }),
      runSubgraph: (g, ins) => evaluateCpu(g, ins, values, registry, opset),
    };
    const missing = node.inputs.find((n) => n && !values.has(n));
    if (missing) {
      throw new NodeError(
        `Cannot evaluate ${node.op} node '${node.name}' inside control flow: '${missing}' is ` +
          'not known on the CPU',
      );
    }
    const out = def.cpu(ctx);
    if (!out) throw new NodeError(`Cannot evaluate ${node.op} node '${node.name}' on the CPU`);
    node.outputs.forEach((name, i) => {
      if (name && out[i] !== undefined) values.set(name, out[i]);
    });
  }
  return graph.outputs.map((o) => {
    const v = values.get(o.name);
    if (v === undefined) throw new NodeError(`Subgraph output '${o.name}' was not computed`);
    return v;
  });
}

/** Largest tensor folded on the CPU at plan time (64 Mi elements). */
const MAX_FOLD_ELEMENTS = 1 << 26;

function checkSize(node: Node, i: number, t: TensorInfo | undefined, limit: number): void {
  if (!t) return;
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new NodeError(
        `Cannot run ${node.op} node '${node.name}': output ${i} has an invalid dimension ${d}`,
      );
    }
  }
  if (elementCount(t.shape) > limit) {
    throw new NodeError(
      `Cannot run ${node.op} node '${node.name}': output ${i} of shape [${t.shape}] has more ` +
        `elements than the device can hold (${limit})`,
    );
  }
}

/** Options for {@linkcode planGraph}. */
export interface PlanOptions {
  /** Refuse tensors with more elements than this (from the device's binding limit). */
  maxElements?: number;
  /** Inputs whose values are given on the CPU (shape inputs): folded like constants. */
  values?: ReadonlyMap<string, CpuValue>;
}

/**
 * Plans `model` for the given input types.
 *
 * @throws {NodeError} when a node's inputs do not fit its operator, naming the node.
 * @throws {ModelFormatError} for structural problems (cycles, undefined names).
 */
export function planGraph(
  model: ModelIR,
  registry: Registry,
  inputs: ReadonlyMap<string, TensorInfo>,
  options: PlanOptions = {},
): Plan {
  const graph = model.graph;
  const infos = new Map<string, TensorInfo>();
  const known = new Map<string, CpuValue>();
  for (const [name, t] of graph.initializers) {
    known.set(name, t);
    infos.set(name, { dtype: t.dtype, shape: t.shape });
  }
  for (const [name, t] of inputs) infos.set(name, t);
  for (const [name, v] of options.values ?? []) known.set(name, v);
  const steps: PlanStep[] = [];
  const foldedNodes: Node[] = [];
  const maxElements = options.maxElements ?? Infinity;

  for (const node of sortNodes(graph)) {
    const def = registry.get(opKey(node));
    if (!def) throw new UnsupportedOperatorError(`Unsupported operator ${node.op}`, {});
    const ctx: OpContext = {
      node,
      opset: model.opset,
      infos: node.inputs.map((n) => (n ? infos.get(n) : undefined)),
      values: node.inputs.map((n) => (n ? known.get(n) : undefined)),
      runSubgraph: (g, ins) => evaluateCpu(g, ins, known, registry, model.opset),
    };
    const allKnown = node.inputs.every((n) => n === '' || known.has(n));
    let folded: CpuValue[] | null = null;
    if (def.cpu && (allKnown || node.op === 'Shape' || node.op === 'Size')) {
      // Sizes first: a ConstantOfShape or Expand of a huge shape must fail here, not exhaust
      // memory while folding.
      def.infer(ctx).forEach((t, i) =>
        checkSize(node, i, t, Math.min(maxElements, MAX_FOLD_ELEMENTS))
      );
      folded = def.cpu(ctx);
    }
    if (folded) {
      node.outputs.forEach((name, i) => {
        if (!name || folded![i] === undefined) return;
        known.set(name, folded![i]);
        const t = infoOf(folded![i]);
        if (t) infos.set(name, t);
      });
      foldedNodes.push(node);
      continue;
    }
    if (!def.gpu) {
      throw new NodeError(
        `Cannot run ${node.op} node '${node.name}': it only runs on the CPU, and its inputs ` +
          `(${node.inputs.filter((n) => n && !known.has(n)).join(', ')}) depend on runtime data`,
      );
    }
    for (const i of def.cpuInputs ?? []) {
      if (i < node.inputs.length && node.inputs[i] && !known.has(node.inputs[i])) {
        throw new NodeError(
          `Cannot run ${node.op} node '${node.name}': input ${i} ('${node.inputs[i]}') must be ` +
            'computable when the model is planned, but it depends on runtime data',
        );
      }
    }
    node.inputs.forEach((n, i) => {
      if (n && !infos.has(n)) {
        throw new NodeError(
          `Cannot run ${node.op} node '${node.name}': the type of input ${i} ('${n}') is unknown`,
        );
      }
    });
    const outputs = def.infer(ctx);
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const t = outputs[i];
      if (!t) {
        throw new NodeError(`Cannot run ${node.op} node '${node.name}': output ${i} has no type`);
      }
      checkSize(node, i, t, maxElements);
      infos.set(name, t);
    });
    steps.push({ node, def, infos: ctx.infos, values: ctx.values, outputs });
  }

  const outputs = graph.outputs.map((o) => o.name);
  const uploads = new Set<string>();
  const lastUse = new Map<string, number>();
  steps.forEach((step, index) => {
    step.node.inputs.forEach((name) => {
      if (!name) return;
      if (known.has(name)) uploads.add(name);
      else lastUse.set(name, index);
    });
  });
  for (const name of outputs) {
    if (known.has(name) && !inputs.has(name)) uploads.add(name);
    lastUse.set(name, Infinity);
  }
  return { steps, infos, known, uploads, lastUse, outputs, foldedNodes };
}
