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

import { LimitExceededError } from '../gpu/errors.ts';
import { ModelFormatError, NodeError, UnsupportedOperatorError } from './errors.ts';
import {
  type CpuValue,
  elementCount,
  type ElementType,
  type Graph,
  isSequence,
  type ModelIR,
  type Node,
  subgraphsOf,
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
  // A worklist, not recursion: subgraphs may nest deeply.
  const graphs: Graph[] = [model.graph];
  const seen = new Set<Graph>(graphs);
  for (let graph = graphs.pop(); graph; graph = graphs.pop()) {
    for (const node of graph.nodes) {
      if (!registry.has(opKey(node))) (missing[opKey(node)] ??= []).push(node.name);
      for (const sub of subgraphsOf(node)) {
        if (!seen.has(sub)) graphs.push(sub);
        seen.add(sub);
      }
    }
  }
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

/** Names visible to a graph from the scopes around it (a `Set` or `Map` will do). */
export interface Scope {
  /** Whether `name` is defined there. */
  has(name: string): boolean;
}

const NO_SCOPE: Scope = { has: () => false };

/** The names a graph defines: inputs, initializers and node outputs. */
function definedNames(graph: Graph): Set<string> {
  const defined = new Set<string>([
    ...graph.inputs.map((i) => i.name),
    ...graph.initializers.keys(),
  ]);
  for (const n of graph.nodes) for (const o of n.outputs) if (o) defined.add(o);
  return defined;
}

/** A scope of nested graphs: a graph's names, then the scopes around it. */
interface ScopeChain extends Scope {
  names: ReadonlySet<string>;
  outer: Scope;
}

/** `inner`, then the scopes around it (looked up with a loop: subgraphs may nest deeply). */
function within(inner: ReadonlySet<string>, outer: Scope): ScopeChain {
  const chain: ScopeChain = {
    names: inner,
    outer,
    has(name) {
      let s: Scope = chain;
      while ('names' in s && 'outer' in s) {
        const link = s as ScopeChain;
        if (link.names.has(name)) return true;
        s = link.outer;
      }
      return s.has(name);
    },
  };
  return chain;
}

/**
 * Orders nodes so that each comes after the producers of its inputs (files are usually in
 * order already; this keeps file order where it can). Names in `outer` (the enclosing scopes of
 * a subgraph) count as defined; a node may not redefine them. Iterative: a chain of any length
 * (a deep network stored in reverse order) sorts without recursion.
 *
 * @throws {ModelFormatError} for a cycle, a name defined twice, or a name nothing defines.
 */
export function sortNodes(
  graph: Graph,
  outer: Scope = NO_SCOPE,
  memo: FreeNames = new Map(),
): Node[] {
  const local = new Set<string>([...graph.inputs.map((i) => i.name), ...graph.initializers.keys()]);
  const available = (name: string) => name === '' || local.has(name) || outer.has(name);
  const producer = new Map<string, Node>();
  for (const node of graph.nodes) {
    for (const out of node.outputs) {
      if (out === '') continue;
      if (producer.has(out) || available(out)) {
        const other = producer.get(out);
        throw new ModelFormatError(
          `Cannot load graph '${graph.name}': tensor '${out}' is defined twice (node ` +
            `'${node.name}'${
              other
                ? ` and node '${other.name}'`
                : local.has(out)
                ? ', and a graph input or initializer'
                : ', and the enclosing graph'
            })`,
        );
      }
      producer.set(out, node);
    }
  }
  // Names a node reads from its subgraphs' outer scope count as its inputs.
  const needs = (node: Node): string[] => {
    const names = [...node.inputs];
    for (const g of subgraphsOf(node)) names.push(...freeNames(g, memo));
    return names;
  };
  const order: Node[] = [];
  const state = new Map<Node, 'visiting' | 'done'>();
  // Depth-first, post-order, with an explicit stack: the frames on it are the current path.
  const stack: { node: Node; names: string[]; next: number }[] = [];
  for (const root of graph.nodes) {
    if (state.has(root)) continue;
    state.set(root, 'visiting');
    stack.push({ node: root, names: needs(root), next: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next === top.names.length) {
        state.set(top.node, 'done');
        order.push(top.node);
        stack.pop();
        continue;
      }
      const name = top.names[top.next++];
      if (available(name)) continue;
      const from = producer.get(name);
      if (!from) {
        throw new ModelFormatError(
          `Cannot load graph '${graph.name}': node '${top.node.name}' (${top.node.op}) reads ` +
            `'${name}'${top.node.inputs.includes(name) ? '' : ' in a subgraph'}, which no node, ` +
            'input or initializer defines',
        );
      }
      const s = state.get(from);
      if (s === 'done') continue;
      if (s === 'visiting') {
        const path = stack.map((f) => f.node);
        const cycle = [...path.slice(path.indexOf(from)), from].map((n) => n.name);
        const shown = cycle.length > 12
          ? [...cycle.slice(0, 6), `… ${cycle.length - 12} more`, ...cycle.slice(-6)]
          : cycle;
        throw new ModelFormatError(
          `Cannot load graph '${graph.name}': the nodes form a cycle: ${shown.join(' → ')}`,
        );
      }
      state.set(from, 'visiting');
      stack.push({ node: from, names: needs(from), next: 0 });
    }
  }
  for (const out of graph.outputs) {
    if (!available(out.name) && !producer.has(out.name)) {
      throw new ModelFormatError(
        `Cannot load graph '${graph.name}': output '${out.name}' is never computed`,
      );
    }
  }
  return order;
}

/**
 * Checks the structure of a graph and of every subgraph in it, each in the scope of the graphs
 * around it: no cycles, every name read is defined, no name defined twice (a subgraph may not
 * redefine an outer name). Done at load, whatever the input shapes.
 *
 * @throws {ModelFormatError} naming the graph, the node and the tensor.
 */
export function checkStructure(graph: Graph): void {
  const memo: FreeNames = new Map();
  const seen = new Set<Graph>([graph]);
  const work: { graph: Graph; outer: Scope }[] = [{ graph, outer: NO_SCOPE }];
  for (let item = work.pop(); item; item = work.pop()) {
    sortNodes(item.graph, item.outer, memo);
    const scope = within(definedNames(item.graph), item.outer);
    for (const node of item.graph.nodes) {
      for (const sub of subgraphsOf(node)) {
        // The same graph object twice (then and else alike) is checked once.
        if (seen.has(sub)) continue;
        seen.add(sub);
        work.push({ graph: sub, outer: scope });
      }
    }
  }
}

/** Free names of graphs already computed (shared by the calls of one check). */
export type FreeNames = Map<Graph, ReadonlySet<string>>;

/**
 * Names a graph reads but does not define (its view of the enclosing scope), its subgraphs'
 * included. Computed bottom-up with an explicit stack, once per graph in `memo`.
 */
export function freeNames(graph: Graph, memo: FreeNames = new Map()): ReadonlySet<string> {
  const stack: { graph: Graph; expanded: boolean }[] = [{ graph, expanded: false }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (memo.has(top.graph)) {
      stack.pop();
      continue;
    }
    if (!top.expanded) {
      top.expanded = true;
      for (const n of top.graph.nodes) {
        for (const g of subgraphsOf(n)) if (!memo.has(g)) stack.push({ graph: g, expanded: false });
      }
      continue;
    }
    stack.pop();
    const defined = definedNames(top.graph);
    const free = new Set<string>();
    const read = (name: string) => {
      if (name && !defined.has(name)) free.add(name);
    };
    for (const n of top.graph.nodes) {
      n.inputs.forEach(read);
      for (const g of subgraphsOf(n)) memo.get(g)!.forEach(read);
    }
    for (const o of top.graph.outputs) read(o.name);
    memo.set(top.graph, free);
  }
  return memo.get(graph)!;
}

/** The type of a CPU value (sequences have none). */
function infoOf(v: CpuValue): TensorInfo | undefined {
  return isSequence(v) ? undefined : { dtype: v.dtype, shape: v.shape };
}

/** Largest tensor folded on the CPU at plan time (64 Mi elements). */
const MAX_FOLD_ELEMENTS = 1 << 26;

/** Least default of {@linkcode PlanOptions.maxFoldBytes}: 256 MiB. */
export const DEFAULT_MAX_FOLD_BYTES = 256 * 2 ** 20;

/**
 * The default fold budget of a model: 256 MiB, or twice the bytes its weights take on the CPU
 * (initializers and Constant tensors of the main graph) when that is more, so that folding a
 * large model's weights (DequantizeLinear of int8 weights, Cast of float16 ones) still fits,
 * while a small model that blows up while folding does not.
 */
export function defaultFoldBudget(model: ModelIR): number {
  let bytes = 0;
  for (const t of model.graph.initializers.values()) bytes += t.data.byteLength;
  for (const node of model.graph.nodes) {
    for (const a of Object.values(node.attributes)) {
      if (typeof a === 'object' && a !== null && 'data' in a) bytes += a.data.byteLength;
    }
  }
  return Math.max(DEFAULT_MAX_FOLD_BYTES, 2 * bytes);
}

/** Bytes a CPU tensor of `dtype` takes per element (float32 in a Float32Array, else f64). */
function bytesPerElement(dtype: ElementType): number {
  return dtype === 'float32' ? 4 : 8;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 0)} MiB`;
}

/** A node as errors name it, with the control-flow nodes it sits in. */
function describe(node: Node, where: string): string {
  return `${node.op} node '${node.name}'${where}`;
}

/**
 * What folding may allocate while planning one graph: each tensor at most `maxElements`
 * elements, all of them together at most `maxBytes` (control-flow bodies included: a Loop's
 * discarded iterations count, so the budget bounds the work as well as the memory). Values
 * that share data (views, initializers, given values) count once.
 */
class FoldBudget {
  readonly maxBytes: number;
  readonly maxElements: number;
  #used = 0;
  #counted = new WeakSet<object>();

  constructor(maxBytes: number, maxElements: number) {
    this.maxBytes = maxBytes;
    this.maxElements = maxElements;
  }

  /** Data that exists before folding (initializers, given values): free. */
  own(v: CpuValue): void {
    for (const t of isSequence(v) ? v.items : [v]) this.#counted.add(t.data);
  }

  /**
   * Checks the output types of a node before its CPU kernel allocates them. Operators that
   * return existing data (`reuses`) only have their shapes checked.
   */
  check(
    node: Node,
    where: string,
    outputs: readonly (TensorInfo | undefined)[],
    reuses = false,
  ): void {
    let bytes = 0;
    outputs.forEach((t, i) => {
      if (!t) return;
      checkDims(node, where, i, t);
      const n = elementCount(t.shape);
      if (n > this.maxElements) {
        throw new LimitExceededError(
          `Cannot fold ${describe(node, where)} when planning: output ${i} of shape ` +
            `[${t.shape}] has ${n} elements, more than the ${this.maxElements} a folded tensor ` +
            'may have',
        );
      }
      bytes += n * bytesPerElement(t.dtype);
    });
    if (!reuses && this.#used + bytes > this.maxBytes) this.#over(node, where, bytes);
  }

  /** Counts what a node's CPU kernel returned (nothing when it `reuses` existing data). */
  charge(
    node: Node,
    where: string,
    values: readonly (CpuValue | undefined)[],
    reuses = false,
  ): void {
    let bytes = 0;
    for (const v of values) {
      if (v === undefined) continue;
      for (const t of isSequence(v) ? v.items : [v]) {
        if (this.#counted.has(t.data)) continue;
        this.#counted.add(t.data);
        if (!reuses) bytes += t.data.byteLength;
      }
    }
    if (this.#used + bytes > this.maxBytes) this.#over(node, where, bytes);
    this.#used += bytes;
  }

  #over(node: Node, where: string, bytes: number): never {
    throw new LimitExceededError(
      `Cannot fold ${describe(node, where)} when planning: its outputs (${mib(bytes)}) would ` +
        `bring the values computed on the CPU to ${mib(this.#used + bytes)}, over the budget of ` +
        `${mib(this.maxBytes)} (raise it with the maxFoldBytes option)`,
    );
  }
}

function checkDims(node: Node, where: string, i: number, t: TensorInfo): void {
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new NodeError(
        `Cannot run ${describe(node, where)}: output ${i} has an invalid dimension ${d} ` +
          `(shape [${t.shape}])`,
      );
    }
  }
}

/** Node order of each subgraph, sorted on first evaluation (a Loop body runs many times). */
const sortedBodies = new WeakMap<Graph, Node[]>();

/** Evaluates `graph` entirely on the CPU, with `scope` providing the enclosing values. */
function evaluateCpu(
  graph: Graph,
  inputs: CpuValue[],
  scope: ReadonlyMap<string, CpuValue>,
  env: { registry: Registry; opset: number; budget: FoldBudget; where: string },
): CpuValue[] {
  const { registry, opset, budget, where } = env;
  const values = new Map<string, CpuValue>(scope);
  for (const [name, t] of graph.initializers) {
    values.set(name, t);
    budget.own(t);
  }
  graph.inputs.forEach((input, i) => {
    if (inputs[i] !== undefined) values.set(input.name, inputs[i]);
  });
  let order = sortedBodies.get(graph);
  if (!order) {
    order = sortNodes(graph, values);
    sortedBodies.set(graph, order);
  }
  for (const node of order) {
    const def = registry.get(opKey(node));
    if (!def?.cpu) {
      throw new NodeError(
        `Cannot evaluate ${describe(node, where)}: only CPU-foldable operators can appear in ` +
          'Loop/If bodies',
      );
    }
    const missing = node.inputs.find((n) => n && !values.has(n));
    if (missing) {
      throw new NodeError(
        `Cannot evaluate ${describe(node, where)}: '${missing}' is not known on the CPU`,
      );
    }
    const inner = { ...env, where: ` (in the ${node.op} node '${node.name}'${where})` };
    const ctx: OpContext = {
      node,
      opset,
      values: node.inputs.map((n) => (n ? values.get(n) : undefined)),
      infos: node.inputs.map((n) => {
        const v = n ? values.get(n) : undefined;
        return v ? infoOf(v) : undefined;
      }),
      runSubgraph: (g, ins) => evaluateCpu(g, ins, values, inner),
      checkFold: (outputs) => budget.check(node, where, outputs),
    };
    // Sizes first: a ConstantOfShape or Range of a huge shape fails here, before allocating.
    budget.check(node, where, def.infer(ctx), def.reusesData);
    const out = def.cpu(ctx);
    if (!out) {
      throw new NodeError(`Cannot evaluate ${describe(node, where)} on the CPU`);
    }
    budget.charge(node, where, out, def.reusesData);
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

/** Options for {@linkcode planGraph}. */
export interface PlanOptions {
  /**
   * Refuse computed tensors (GPU steps' outputs) with more elements than this (from the device's
   * binding limit: kernels bind them whole).
   */
  maxElements?: number;
  /**
   * Refuse uploads (initializers, folded values the GPU steps read) with more elements than this
   * (from the device's buffer limit: matmul binds big weights in blocks). Default `maxElements`.
   */
  maxUploadElements?: number;
  /** Inputs whose values are given on the CPU (shape inputs): folded like constants. */
  values?: ReadonlyMap<string, CpuValue>;
  /**
   * Most bytes that folding (CPU evaluation at plan time: constants, shape arithmetic, Loop/If
   * bodies, discarded Loop iterations included) may compute for one plan. Default
   * {@linkcode defaultFoldBudget}: 256 MiB, or twice the model's weights if more.
   */
  maxFoldBytes?: number;
}

/**
 * Plans `model` for the given input types. An input that has the name of an initializer (ONNX
 * lets a caller feed an initializer the graph also lists as an input) replaces it.
 *
 * @throws {NodeError} when a node's inputs do not fit its operator, naming the node.
 * @throws {ModelFormatError} for structural problems (cycles, undefined names).
 * @throws {LimitExceededError} when a computed tensor exceeds `maxElements`, an upload
 *   `maxUploadElements`, or folding would exceed
 *   `maxFoldBytes`, naming the node (checked before the CPU kernel allocates).
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
  const maxElements = options.maxElements ?? Infinity;
  const maxUploadElements = options.maxUploadElements ?? maxElements;
  const budget = new FoldBudget(
    options.maxFoldBytes ?? defaultFoldBudget(model),
    Math.min(maxUploadElements, MAX_FOLD_ELEMENTS),
  );
  for (const [name, t] of graph.initializers) {
    known.set(name, t);
    infos.set(name, { dtype: t.dtype, shape: t.shape });
    budget.own(t);
  }
  for (const [name, t] of inputs) {
    infos.set(name, t);
    known.delete(name);
  }
  for (const [name, v] of options.values ?? []) {
    known.set(name, v);
    budget.own(v);
  }
  const steps: PlanStep[] = [];
  const foldedNodes: Node[] = [];
  const env = { registry, opset: model.opset, budget, where: '' };

  for (const node of sortNodes(graph)) {
    const def = registry.get(opKey(node));
    if (!def) throw new UnsupportedOperatorError(`Unsupported operator ${node.op}`, {});
    const inner = { ...env, where: ` (in the ${node.op} node '${node.name}')` };
    const ctx: OpContext = {
      node,
      opset: model.opset,
      infos: node.inputs.map((n) => (n ? infos.get(n) : undefined)),
      values: node.inputs.map((n) => (n ? known.get(n) : undefined)),
      runSubgraph: (g, ins) => evaluateCpu(g, ins, known, inner),
      checkFold: (outputs) => budget.check(node, '', outputs),
    };
    const allKnown = node.inputs.every((n) => n === '' || known.has(n));
    let folded: CpuValue[] | null = null;
    if (def.cpu && (allKnown || node.op === 'Shape' || node.op === 'Size')) {
      // Sizes first: a ConstantOfShape or Expand of a huge shape must fail here, not exhaust
      // memory while folding.
      budget.check(node, '', def.infer(ctx), def.reusesData);
      folded = def.cpu(ctx);
      if (folded) budget.charge(node, '', folded, def.reusesData);
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
      checkDims(node, '', i, t);
      if (elementCount(t.shape) > maxElements) {
        throw new LimitExceededError(
          `Cannot run ${node.op} node '${node.name}': output ${i} of shape [${t.shape}] has ` +
            `more elements than the device can hold (${maxElements})`,
        );
      }
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
  // What goes to the GPU must fit one buffer: a folded value the fold limit let through, or an
  // initializer, may not.
  for (const name of uploads) {
    const v = known.get(name)!;
    if (isSequence(v)) continue;
    if (elementCount(v.shape) > maxUploadElements) {
      const producer = foldedNodes.find((n) => n.outputs.includes(name));
      throw new LimitExceededError(
        `Cannot upload ${
          producer ? `'${name}' (folded from ${producer.op} node '${producer.name}')` : `'${name}'`
        } to the GPU: its shape [${v.shape}] has more elements than the device can hold ` +
          `(${maxUploadElements})`,
      );
    }
  }
  return { steps, infos, known, uploads, lastUse, outputs, foldedNodes };
}
