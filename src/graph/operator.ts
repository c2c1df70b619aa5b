/**
 * The operator contract: how an ONNX operator infers its output types, folds on the CPU when its
 * inputs are known at load time, runs on the GPU, and counts its FLOPs. Implementations live in
 * `src/onnx/ops/`, on top of the kernels in `src/ops/`.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import type { DType, Tensor } from '../tensor.ts';
import { NodeError } from './errors.ts';
import {
  type AttributeValue,
  type CpuTensor,
  type CpuValue,
  type ElementType,
  type Graph,
  isFloat,
  isSequence,
  type Node,
} from './ir.ts';

/** A tensor's type: element type and concrete shape. */
export interface TensorInfo {
  /** Element type. */
  dtype: ElementType;
  /** Concrete dimensions. */
  shape: number[];
}

/** What an operator sees while planning. */
export interface OpContext {
  /** The node. */
  node: Node;
  /** Opset version of the default domain. */
  opset: number;
  /** Types of the inputs (`undefined` for an omitted optional input). */
  infos: (TensorInfo | undefined)[];
  /** Inputs known on the CPU (initializers, constants, folded values); else `undefined`. */
  values: (CpuValue | undefined)[];
  /** Evaluates a subgraph on the CPU (control flow): outer values are visible inside. */
  runSubgraph(graph: Graph, inputs: CpuValue[]): CpuValue[];
  /**
   * Set while folding at plan time: checks that tensors of these types may be folded (size
   * limits, the plan's fold budget) and throws a `LimitExceededError` naming the node if not.
   * CPU kernels whose `infer` cannot give their outputs' sizes (Loop's scan outputs,
   * ConcatFromSequence) call it before they allocate.
   */
  checkFold?(outputs: readonly (TensorInfo | undefined)[]): void;
}

/** What an operator sees while running on the GPU. */
export interface GpuContext extends OpContext {
  /** The engine. */
  engine: Engine;
  /** Input tensors on the GPU (`undefined` for omitted inputs). */
  inputs: (Tensor | undefined)[];
  /** The inferred output types. */
  outputs: TensorInfo[];
}

/** An operator implementation. */
export interface OperatorDef {
  /** Output types from input types (and CPU-known inputs). */
  infer(ctx: OpContext): TensorInfo[];
  /**
   * CPU evaluation, used to fold values known at load time (shape arithmetic, constants).
   * Returns null when the needed inputs are not known.
   */
  cpu?(ctx: OpContext): CpuValue[] | null;
  /** GPU forward. Operators without it must fold on the CPU. */
  gpu?(ctx: GpuContext): Tensor[];
  /**
   * Whether `cpu()` returns data that already exists (input 0's under a new shape for Reshape,
   * Identity...; the attribute's for Constant): folding it allocates nothing, so it does not
   * count against the fold budget.
   */
  reusesData?: boolean;
  /** Indices of inputs that must be known on the CPU for the GPU path (e.g. Reshape's shape). */
  cpuInputs?: number[];
  /** Floating-point operations of one application (multiply-add = 2). */
  flops?(ctx: OpContext, outputs: TensorInfo[]): number;
  /**
   * Reverse mode: the gradients of the objective with respect to the inputs that
   * `ctx.needs` marks, from the gradients with respect to the outputs (`ctx.grads`) and the
   * forward's saved inputs and outputs. Returns one entry per input (`undefined` where not
   * needed or identically zero); the caller owns the returned tensors. Operators without it
   * are not differentiable (integer, comparison and shape operators).
   */
  backward?(ctx: BackwardContext): (Tensor | undefined)[];
  /**
   * Straight-through quantization (QuantizeLinear, DynamicQuantizeLinear): its integer outputs
   * carry gradients, as the real numbers the quantized integers stand for. Reverse mode then
   * follows such integers through the operators that read them (dequantization, integer
   * matmul/conv, Cast back to float), as if they were floats; other integers carry none.
   */
  straightThrough?: boolean;
}

/** What an operator's backward rule sees. */
export interface BackwardContext extends GpuContext {
  /** The forward outputs, saved (`undefined` for omitted outputs). */
  results: (Tensor | undefined)[];
  /** Gradient of the objective with respect to each output; `undefined` means zero. */
  grads: (Tensor | undefined)[];
  /** Which inputs need a gradient. */
  needs: boolean[];
}

/** A backward rule that replaces an operator's own (guided backprop, LRP rules). */
export type BackwardRule = (ctx: BackwardContext) => (Tensor | undefined)[];

/** The GPU dtype that holds an element type: floats as f32, integers and bools as i32. */
export function gpuType(dtype: ElementType): DType {
  return isFloat(dtype) ? 'f32' : 'i32';
}

/** Reads attributes of a node with defaults and type checks. */
export class Attributes {
  #node: Node;
  /** Wraps a node. */
  constructor(node: Node) {
    this.#node = node;
  }

  #get(name: string): AttributeValue | undefined {
    return this.#node.attributes[name];
  }

  #fail(name: string, wanted: string, value: unknown): never {
    throw new NodeError(
      `Cannot run ${this.#node.op} node '${this.#node.name}': attribute '${name}' must be ` +
        `${wanted}, got ${JSON.stringify(value)}`,
    );
  }

  /** Whether the attribute is present. */
  has(name: string): boolean {
    return this.#get(name) !== undefined;
  }

  /** An integer attribute. */
  int(name: string, fallback: number): number;
  /** An integer attribute, or undefined. */
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const v = this.#get(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.#fail(name, 'an integer', v);
    return v;
  }

  /** A float attribute. */
  float(name: string, fallback: number): number;
  /** A float attribute, or undefined. */
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    const v = this.#get(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'number') this.#fail(name, 'a number', v);
    return v;
  }

  /** An integer-list attribute. */
  ints(name: string, fallback: number[]): number[];
  /** An integer-list attribute, or undefined. */
  ints(name: string): number[] | undefined;
  ints(name: string, fallback?: number[]): number[] | undefined {
    const v = this.#get(name);
    if (v === undefined) return fallback;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) {
      this.#fail(name, 'a list of integers', v);
    }
    return v as number[];
  }

  /** A string attribute. */
  string(name: string, fallback: string): string {
    const v = this.#get(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'string') this.#fail(name, 'a string', v);
    return v;
  }

  /** A tensor attribute. */
  tensor(name: string): CpuTensor | undefined {
    const v = this.#get(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || !('data' in v)) this.#fail(name, 'a tensor', v);
    return v as CpuTensor;
  }

  /** A graph attribute. */
  graph(name: string): Graph {
    const v = this.#get(name);
    if (typeof v !== 'object' || v === null || !('nodes' in v)) this.#fail(name, 'a graph', v);
    return v as Graph;
  }
}

/** Attributes of the context's node. */
export function attrs(ctx: OpContext): Attributes {
  return new Attributes(ctx.node);
}

/** Throws a {@linkcode NodeError} naming the node. */
export function nodeError(ctx: OpContext, message: string): never {
  throw new NodeError(`Cannot run ${ctx.node.op} node '${ctx.node.name}': ${message}`);
}

/** The type of input `i`, which must be present. */
export function info(ctx: OpContext, i: number): TensorInfo {
  const t = ctx.infos[i];
  if (!t) nodeError(ctx, `input ${i} is required`);
  return t;
}

/** The CPU value of input `i` as a tensor, or undefined when not known (or absent). */
export function value(ctx: OpContext, i: number): CpuTensor | undefined {
  const v = ctx.values[i];
  if (v === undefined) return undefined;
  if (isSequence(v)) nodeError(ctx, `input ${i} is a sequence, a tensor was expected`);
  return v;
}

/** The CPU value of input `i`, which must be known (shape inputs and the like). */
export function known(ctx: OpContext, i: number, what: string): CpuTensor {
  const v = value(ctx, i);
  if (!v) {
    nodeError(
      ctx,
      `its ${what} (input ${i}, '${ctx.node.inputs[i]}') must be computable when the model is ` +
        'planned, but it depends on runtime data',
    );
  }
  return v;
}

/** Integer contents of a known input. */
export function knownInts(ctx: OpContext, i: number, what: string): number[] {
  return Array.from(known(ctx, i, what).data);
}

/** Whether input `i` is present (not omitted). */
export function present(ctx: OpContext, i: number): boolean {
  return i < ctx.node.inputs.length && ctx.node.inputs[i] !== '';
}

/** The input tensor `i` on the GPU, which must be present. */
export function input(ctx: GpuContext, i: number): Tensor {
  const t = ctx.inputs[i];
  if (!t) nodeError(ctx, `input ${i} is required`);
  return t;
}
