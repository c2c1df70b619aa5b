/**
 * Loading ONNX models and running them on the GPU: `loadModel(engine, bytes)` → {@linkcode Model};
 * `run(model, inputs)` records every node's kernels into the engine's command encoder (no
 * readback between nodes), releases each intermediate after its last use so later outputs reuse
 * its buffer, and returns the outputs (and any intermediates asked for) as tensors.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, GlassboxError, ShapeError } from '../gpu/errors.ts';
import { ModelFormatError, NodeError } from '../graph/errors.ts';
import {
  type CpuTensor,
  type CpuValue,
  elementCount,
  isSequence,
  type ModelIR,
  type ValueInfo,
} from '../graph/ir.ts';
import { gpuType, type TensorInfo } from '../graph/operator.ts';
import { batchedTensors, freeBatchReason, stackableTensors } from '../graph/batch.ts';
import { checkSupport, type Plan, planGraph } from '../graph/plan.ts';
import { checkStackable, chunkFeeds, chunkRanges, stackChunks } from './chunks.ts';
import { formatShape, type Tensor, tensor } from '../tensor.ts';
import { validateIndexFeeds } from './index_feeds.ts';
import { parseOnnx } from './parse.ts';
import { ONNX_OPERATORS } from './registry.ts';

/** Options for {@linkcode loadModel}. */
export interface LoadModelOptions {
  /**
   * Values for symbolic input dimensions (e.g. `{ batch: 1 }`) used to plan and check the model
   * at load time. Unnamed or unset dynamic dimensions are planned as 1.
   */
  dimensions?: Record<string, number>;
  /**
   * Side files of a model saved with external data (`save_as_external_data=True`), by the
   * location the model names them with: `{ 'weights.bin': bytes }`. Without them such a model
   * fails with a `MissingExternalDataError` naming every missing file.
   */
  externalData?: Readonly<Record<string, Uint8Array>>;
  /**
   * Most bytes that folding at plan time (constants, shape arithmetic, Loop/If bodies) may
   * compute for one plan. Default: 256 MiB, or twice the model's weights if more.
   */
  maxFoldBytes?: number;
}

/**
 * Host data for an input: a typed array and its shape. Inputs declared float16 or bfloat16 take
 * float data too (the engine computes in f32).
 */
export interface InputData {
  /** Elements, row-major. Int64 inputs may be given as `BigInt64Array` or any integer array. */
  data: Float32Array | Int32Array | BigInt64Array | Float64Array | number[];
  /** Dimensions. */
  shape: readonly number[];
}

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Intermediate tensors to keep and return (their names), or `'all'`. */
  keep?: readonly string[] | 'all';
}

/** What {@linkcode run} returns. */
export interface RunResult {
  /** Graph outputs by name; the caller owns and must destroy them. */
  outputs: Record<string, Tensor>;
  /** Kept intermediates by name (see {@linkcode RunOptions.keep}); owned by the caller. */
  intermediates: Record<string, Tensor>;
}

/** A model loaded for an engine: its IR, plans by input shapes, and constants on the GPU. */
export class Model {
  /** The engine it runs on. */
  readonly engine: Engine;
  /** The parsed graph. */
  readonly ir: ModelIR;
  #plans = new Map<string, Plan>();
  #constants = new Map<string, Tensor>();
  #planConstants = new Map<Plan, Map<string, Tensor>>();
  #destroyed = false;
  #maxFoldBytes?: number;
  #shapeDefaults: ReadonlySet<string>;
  /**
   * Inputs that feed an operator's shape-like argument (Reshape's shape, Slice's starts, a
   * reduction's axes, ...): their values are taken on the CPU at run time and folded into the
   * plan, as constants would be.
   */
  readonly shapeInputs: ReadonlySet<string>;

  /** Wraps parsed IR; prefer {@linkcode loadModel}. */
  constructor(engine: Engine, ir: ModelIR, options: { maxFoldBytes?: number } = {}) {
    this.engine = engine;
    this.ir = ir;
    this.#maxFoldBytes = options.maxFoldBytes;
    const inputs = new Set(
      [...ir.graph.inputs, ...ir.graph.initializerInputs ?? []].map((v) => v.name),
    );
    const initializers = ir.graph.initializers;
    const shapeInputs = new Set<string>();
    for (const node of ir.graph.nodes) {
      const def = ONNX_OPERATORS.get(node.op);
      for (const i of def?.cpuInputs ?? []) {
        if (inputs.has(node.inputs[i])) shapeInputs.add(node.inputs[i]);
      }
    }
    // Initializers that may be fed and give a shape are taken on the CPU when they are fed.
    this.#shapeDefaults = new Set([...shapeInputs].filter((n) => initializers.has(n)));
    this.shapeInputs = new Set([...shapeInputs].filter((n) => !initializers.has(n)));
  }

  /** Whether a feedable initializer gives an operator its shape or axes (taken on the CPU). */
  feedsShape(name: string): boolean {
    return this.#shapeDefaults.has(name);
  }

  /** Runtime inputs as declared. */
  get inputs(): ValueInfo[] {
    return this.ir.graph.inputs;
  }

  /** Outputs as declared. */
  get outputs(): ValueInfo[] {
    return this.ir.graph.outputs;
  }

  /**
   * The plan for these input types (cached by shape, and by the values of shape inputs). When a
   * batch differs from the model's fixed leading input dimension, the plan says how it runs
   * (`plan.batch`: re-planned where the graph is proved batch-free, else in chunks of the fixed
   * batch; see `src/graph/batch.ts`).
   *
   * @throws {ShapeError} when the inputs disagree on the batch, or a chunked run would have no
   *   output with the batch first.
   */
  plan(inputs: ReadonlyMap<string, TensorInfo>, values?: ReadonlyMap<string, CpuTensor>): Plan {
    if (this.#destroyed) throw new ArgumentError('Cannot plan model: it was destroyed');
    const key = [...inputs].map(([n, t]) => `${n}:${t.dtype}[${t.shape}]`).join(';') +
      [...values ?? []].map(([n, v]) => `;${n}=${Array.from(v.data)}`).join('');
    let plan = this.#plans.get(key);
    if (!plan) {
      plan = this.#batchPlan(inputs, values) ?? this.#planGraph(inputs, values);
      this.#plans.set(key, plan);
    }
    return plan;
  }

  #planGraph(inputs: ReadonlyMap<string, TensorInfo>, values?: ReadonlyMap<string, CpuTensor>) {
    return planGraph(this.ir, ONNX_OPERATORS, inputs, {
      // Computed tensors must fit one binding (most kernels bind them whole; a batch whose
      // activations do not fit then runs in chunks); weights may fill a buffer (matmul binds the
      // big ones in blocks).
      maxElements: Math.floor(this.engine.maxBindingBytes / 4),
      maxUploadElements: Math.floor(this.engine.device.limits.maxBufferSize / 4),
      values,
      maxFoldBytes: this.#maxFoldBytes,
    });
  }

  /** The plan for a batch other than the fixed one the inputs declare, or null. */
  #batchPlan(
    inputs: ReadonlyMap<string, TensorInfo>,
    values?: ReadonlyMap<string, CpuTensor>,
  ): Plan | null {
    const differ: { name: string; declared: number; given: number }[] = [];
    const same: string[] = [];
    for (const decl of this.inputs) {
      const t = inputs.get(decl.name);
      const d = decl.shape?.[0];
      if (!t || t.shape.length === 0 || typeof d !== 'number' || d <= 0) continue;
      if (t.shape[0] === d) same.push(decl.name);
      else differ.push({ name: decl.name, declared: d, given: t.shape[0] });
    }
    if (differ.length === 0) return null;
    const { declared, given } = differ[0];
    const odd = differ.find((x) => x.declared !== declared || x.given !== given);
    if (odd || (same.length > 0 && given !== declared)) {
      const all = [...differ.map((x) => `'${x.name}' ${x.given} (fixed ${x.declared})`), ...same];
      throw new ShapeError(
        `Cannot run model: its inputs must share one batch, got ${all.join(', ')}`,
      );
    }
    if (given < 1) throw new ShapeError(`Cannot run model: the batch of '${differ[0].name}' is 0`);
    const names = new Set(differ.map((x) => x.name));
    const baseTypes = new Map([...inputs].map(([n, t]) => [
      n,
      names.has(n) ? { dtype: t.dtype, shape: [declared, ...t.shape.slice(1)] } : t,
    ]));
    const base = this.plan(baseTypes, values);
    const batched = batchedTensors(base, names);
    let reason: string | null;
    let planned: Plan | undefined;
    try {
      planned = this.#planGraph(inputs, values);
      reason = freeBatchReason(base, planned, names, declared, given, this.ir.opset);
    } catch (error) {
      if (!(error instanceof GlassboxError)) throw error;
      reason = `it does not plan at batch ${given}: ${error.message}`;
    }
    const info = { declared, given, inputs: names, base, batched };
    if (!reason) return { ...planned!, batch: { ...info, mode: 'free', stackable: new Set() } };
    const stackable = stackableTensors(base, batched, declared);
    if (!base.outputs.some((o) => stackable.has(o))) {
      throw new ShapeError(
        `Cannot run model with a batch of ${given}: its batch is fixed at ${declared} (${reason}) ` +
          'and no output has the batch as its leading axis to run it in chunks',
      );
    }
    const infos = new Map(base.infos);
    for (const name of stackable) {
      const t = base.infos.get(name)!;
      infos.set(name, { dtype: t.dtype, shape: [given, ...t.shape.slice(1)] });
    }
    return { ...base, infos, batch: { ...info, mode: 'chunked', reason, stackable } };
  }

  /** Input types with symbolic dimensions resolved (default 1), for load-time checks. */
  defaultInputs(dimensions: Record<string, number> = {}): Map<string, TensorInfo> {
    return new Map(this.inputs.map((v) => {
      if (!v.dtype) {
        throw new ModelFormatError(`Cannot load model: input '${v.name}' declares no element type`);
      }
      if (!v.shape) {
        throw new ModelFormatError(`Cannot load model: input '${v.name}' declares no shape`);
      }
      const shape = v.shape.map((d) =>
        typeof d === 'number' && d > 0
          ? d
          : (typeof d === 'string' ? dimensions[d] : undefined) ?? 1
      );
      return [v.name, { dtype: v.dtype, shape }];
    }));
  }

  /** The GPU tensor of a value known on the CPU (uploaded once, shared by runs). */
  constantTensor(plan: Plan, name: string): Tensor {
    const isInitializer = this.ir.graph.initializers.has(name);
    let cache = isInitializer ? this.#constants : this.#planConstants.get(plan);
    if (!cache) {
      cache = new Map();
      this.#planConstants.set(plan, cache);
    }
    let t = cache.get(name);
    if (!t) {
      const v = plan.known.get(name)!;
      t = upload(this.engine, v, name);
      cache.set(name, t);
    }
    return t;
  }

  /**
   * An initializer (weight) as a GPU tensor, uploaded once and shared with the runs; owned by
   * the model.
   *
   * @throws {ArgumentError} when there is no initializer of that name.
   */
  initializerTensor(name: string): Tensor {
    if (this.#destroyed) throw new ArgumentError('Cannot read weights: the model was destroyed');
    const init = this.ir.graph.initializers.get(name);
    if (!init) throw new ArgumentError(`The model has no initializer '${name}'`);
    let t = this.#constants.get(name);
    if (!t) {
      t = upload(this.engine, init, name);
      this.#constants.set(name, t);
    }
    return t;
  }

  /** Releases the uploaded constants and plans. Idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const t of this.#constants.values()) t.destroy();
    for (const cache of this.#planConstants.values()) for (const t of cache.values()) t.destroy();
    this.#constants.clear();
    this.#planConstants.clear();
    this.#plans.clear();
  }

  /** Same as `destroy()`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  /** Whether `destroy()` was called. */
  get isDestroyed(): boolean {
    return this.#destroyed;
  }
}

function upload(engine: Engine, v: CpuValue, name: string): Tensor {
  if (isSequence(v)) {
    throw new NodeError(`Cannot upload '${name}': sequences only live on the CPU`);
  }
  const dtype = gpuType(v.dtype);
  if (dtype === 'i32') {
    for (const x of v.data) {
      if (!Number.isInteger(x) || x < -2147483648 || x > 2147483647) {
        throw new NodeError(
          `Cannot upload '${name}' (${v.dtype} [${v.shape}]) to the GPU: value ${x} does not fit ` +
            'in 32 bits',
        );
      }
    }
  }
  const data = dtype === 'f32' ? Float32Array.from(v.data) : Int32Array.from(v.data);
  return tensor(engine, data, v.shape, { dtype, label: name });
}

/**
 * Parses ONNX bytes, checks every operator is supported and plans the model once for its
 * declared input shapes (symbolic dimensions as 1 or `options.dimensions`), so that a model that
 * cannot run fails here, with a typed error, rather than at the first `run`.
 *
 * @throws {ModelFormatError} for unreadable files, and for graph outputs declared with an
 *   element type or (every input dimension fixed) a shape that contradicts what the graph
 *   computes; {@linkcode UnsupportedOperatorError} listing every unsupported operator;
 *   {@linkcode NodeError} for nodes whose inputs do not fit.
 */
export function loadModel(
  engine: Engine,
  bytes: Uint8Array,
  options: LoadModelOptions = {},
): Model {
  engine.assertAlive('load model');
  const ir = parseOnnx(bytes, { externalData: options.externalData });
  checkSupport(ir, ONNX_OPERATORS);
  const model = new Model(engine, ir, { maxFoldBytes: options.maxFoldBytes });
  const dimensions = options.dimensions ?? {};
  // Plan once now when every input dimension is fixed or given, so that a model that cannot run
  // fails at load. With guessed (defaulted) dimensions a failure may be the guess's fault
  // (e.g. an image model planned at 1×1 pixels): then planning waits for real inputs.
  const guessed = model.shapeInputs.size > 0 ||
    model.inputs.some((v) =>
      !v.shape ||
      v.shape.some((d) =>
        !(typeof d === 'number' && d > 0) && !(typeof d === 'string' && d in dimensions)
      )
    );
  let plan: Plan;
  try {
    plan = model.plan(model.defaultInputs(dimensions));
  } catch (error) {
    if (!guessed || !(error instanceof GlassboxError)) throw error;
    return model;
  }
  // A guessed dimension may change the computed shapes (a Squeeze of a dimension guessed as 1),
  // and a dimension given in options may differ from a fixed output dimension an exporter copied
  // from its example input: shapes are compared only when every input dimension is fixed.
  const fixed = !guessed && model.inputs.every((v) => v.shape!.every((d) => typeof d === 'number'));
  checkDeclaredOutputs(model.outputs, plan, fixed);
  return model;
}

/**
 * Throws a {@linkcode ModelFormatError} for a graph output whose declared element type, or
 * (with `compareShapes`) rank or fixed dimension, contradicts what the plan computes. Symbolic
 * and unknown dimensions (and dimensions ≤ 0) match anything.
 */
export function checkDeclaredOutputs(
  outputs: readonly ValueInfo[],
  plan: Plan,
  compareShapes: boolean,
): void {
  for (const decl of outputs) {
    const known = plan.known.get(decl.name);
    const t = plan.infos.get(decl.name) ?? (known && !isSequence(known) ? known : undefined);
    if (!t) continue;
    if (decl.dtype && decl.dtype !== t.dtype) {
      throw new ModelFormatError(
        `Cannot load model: output '${decl.name}' is declared ${decl.dtype} but the graph ` +
          `computes ${t.dtype}`,
      );
    }
    if (!compareShapes || !decl.shape) continue;
    const shape = decl.shape;
    const fits = shape.length === t.shape.length &&
      shape.every((d, i) => typeof d !== 'number' || d <= 0 || d === t.shape[i]);
    if (!fits) {
      const declared = `[${shape.map((d) => d ?? '?').join(', ')}]`;
      throw new ModelFormatError(
        `Cannot load model: output '${decl.name}' is declared with shape ${declared} but the ` +
          `graph computes ${formatShape(t.shape)}`,
      );
    }
  }
}

function inputTensor(engine: Engine, decl: ValueInfo, given: Tensor | InputData): Tensor {
  const dtype = decl.dtype ?? 'float32';
  const want = gpuType(dtype);
  if ('buffer' in given && 'engine' in given) {
    if (given.engine !== engine) {
      throw new ArgumentError(`Cannot run model: input '${decl.name}' belongs to another engine`);
    }
    if (given.dtype !== want) {
      throw new ArgumentError(
        `Cannot run model: input '${decl.name}' is declared ${dtype}, which needs a ${want} ` +
          `tensor; got ${given.dtype}`,
      );
    }
    return given.reshape(given.shape);
  }
  const { data, shape } = given as InputData;
  if (!data || !shape) {
    throw new ArgumentError(
      `Cannot run model: input '${decl.name}' must be a Tensor or { data, shape }`,
    );
  }
  if (elementCount([...shape]) !== data.length) {
    throw new ShapeError(
      `Cannot run model: input '${decl.name}' has ${data.length} values for shape ` +
        `${formatShape(shape)}`,
    );
  }
  if (want === 'f32') {
    if (data instanceof BigInt64Array) {
      throw new ArgumentError(`Cannot run model: input '${decl.name}' is ${dtype}, got int64 data`);
    }
    return tensor(engine, data instanceof Float32Array ? data : Float32Array.from(data), shape, {
      label: decl.name,
    });
  }
  const ints = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new ArgumentError(
        `Cannot run model: input '${decl.name}' element ${i} (${data[i]}) is not a 32-bit integer`,
      );
    }
    ints[i] = v;
  }
  return tensor(engine, ints, shape, { dtype: 'i32', label: decl.name });
}

/**
 * Checks the form of a fed value: a tensor, or host data whose `data` is a typed array or an
 * array and whose `shape` is an array of integers ≥ 0.
 */
function checkInputData(name: string, given: Tensor | InputData): void {
  if (typeof given !== 'object' || given === null) {
    throw new ArgumentError(
      `Cannot run model: input '${name}' must be a Tensor or { data, shape }, got ${typeof given}`,
    );
  }
  if ('buffer' in given && 'engine' in given) return;
  const { data, shape } = given as InputData;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ArgumentError(
      `Cannot run model: input '${name}' needs shape as an array of integers ≥ 0, got ` +
        `${JSON.stringify(shape) ?? String(shape)}`,
    );
  }
  if (!Array.isArray(data) && !(ArrayBuffer.isView(data) && !(data instanceof DataView))) {
    throw new ArgumentError(
      `Cannot run model: input '${name}' needs data as a typed array or an array of numbers, got ` +
        `${data === null ? 'null' : typeof data}`,
    );
  }
}

function checkInputShape(decl: ValueInfo, shape: readonly number[]): void {
  if (!decl.shape) return;
  if (decl.shape.length !== shape.length) {
    throw new ShapeError(
      `Cannot run model: input '${decl.name}' must have rank ${decl.shape.length} ` +
        `[${decl.shape.map((d) => d ?? '?').join(', ')}], got ${formatShape(shape)}`,
    );
  }
  decl.shape.forEach((d, i) => {
    // A fixed leading dimension is the batch: another batch runs too (see Model.plan).
    if (i === 0) return;
    if (typeof d === 'number' && d > 0 && d !== shape[i]) {
      throw new ShapeError(
        `Cannot run model: input '${decl.name}' dimension ${i} must be ${d}, got ` +
          `${formatShape(shape)}`,
      );
    }
  });
}

/**
 * The inputs of a run resolved against a model: input tensors on the GPU (owned by the caller:
 * destroy them), the values of shape inputs, and the plan for their types. Used by
 * {@linkcode run} and by reverse mode.
 *
 * @throws {ArgumentError}/{@linkcode ShapeError} for missing or mistyped inputs, naming them.
 */
export function prepareRun(
  model: Model,
  inputs: Record<string, Tensor | InputData>,
): { plan: Plan; values: Map<string, Tensor> } {
  const engine = model.engine;
  engine.assertAlive('run model');
  if (model.isDestroyed) throw new ArgumentError('Cannot run model: it was destroyed');
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw new ArgumentError(
      `Cannot run model: inputs must be a record of tensors or { data, shape } by input name ` +
        `(${model.inputs.map((v) => v.name).join(', ')}), got ` +
        `${inputs === null ? 'null' : Array.isArray(inputs) ? 'an array' : typeof inputs}`,
    );
  }
  // Initializers the graph also lists as inputs may be fed (ONNX: the initializer is a default).
  const defaults = (model.ir.graph.initializerInputs ?? []).filter((v) => inputs[v.name]);
  const unknown = Object.keys(inputs).filter((n) =>
    !model.inputs.some((v) => v.name === n) && !defaults.some((v) => v.name === n)
  );
  if (unknown.length > 0) {
    throw new ArgumentError(
      `Cannot run model: unknown input${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ` +
        `(inputs: ${model.inputs.map((v) => v.name).join(', ')})`,
    );
  }
  const values = new Map<string, Tensor>();
  const types = new Map<string, TensorInfo>();
  const shapeValues = new Map<string, CpuTensor>();
  try {
    for (const decl of [...model.inputs, ...defaults]) {
      const given = inputs[decl.name];
      if (!given) {
        throw new ArgumentError(`Cannot run model: input '${decl.name}' is missing`);
      }
      checkInputData(decl.name, given);
      checkInputShape(decl, given.shape);
      if (model.shapeInputs.has(decl.name) || model.feedsShape(decl.name)) {
        if (!('data' in given)) {
          throw new ArgumentError(
            `Cannot run model: input '${decl.name}' gives an operator its shape or axes; pass it ` +
              'as host data ({ data, shape }), not as a GPU tensor',
          );
        }
        const dtype = decl.dtype ?? 'int64';
        shapeValues.set(decl.name, {
          dtype,
          shape: [...given.shape],
          data: Float64Array.from(given.data as ArrayLike<number | bigint>, Number),
        });
        types.set(decl.name, { dtype, shape: [...given.shape] });
        continue;
      }
      const t = inputTensor(engine, decl, given);
      values.set(decl.name, t);
      types.set(decl.name, { dtype: decl.dtype ?? 'float32', shape: [...t.shape] });
    }
    const plan = model.plan(types, shapeValues);
    // Indices the caller fed as host data are checked here, before anything runs; computed
    // ones by the GPU check the ops schedule.
    validateIndexFeeds(plan, inputs);
    return { plan, values };
  } catch (error) {
    for (const t of values.values()) t.destroy();
    throw error;
  }
}

/** Options of {@linkcode execute}. */
export interface ExecuteOptions {
  /** Whether a computed tensor is kept in `values` after its last use. */
  keep?: (name: string) => boolean;
  /**
   * Tensors that replace intermediates: the node that computes one is skipped and the given
   * tensor (of the planned shape and type) is used instead. Borrowed, not destroyed.
   */
  overrides?: ReadonlyMap<string, Tensor>;
}

/**
 * Records every GPU step of `plan`, reading and writing `values` (inputs in; outputs, and
 * the tensors `keep` selects, out). Each other intermediate is released after its last use.
 * `values` stays owned by the caller, also on failure.
 */
export function execute(
  model: Model,
  plan: Plan,
  values: Map<string, Tensor>,
  options: ExecuteOptions = {},
): void {
  if (plan.batch?.mode === 'chunked') return executeChunked(model, plan, values, options);
  const engine = model.engine;
  const keep = options.keep ?? (() => false);
  const overrides = options.overrides ?? new Map<string, Tensor>();
  for (const [name, t] of overrides) {
    const want = plan.infos.get(name);
    if (!want || plan.known.has(name) || values.has(name)) {
      throw new ArgumentError(`Cannot override '${name}': it is not an intermediate of the model`);
    }
    if (t.shape.join() !== want.shape.join() || t.dtype !== gpuType(want.dtype)) {
      throw new ShapeError(
        `Cannot override '${name}': it is planned as ${gpuType(want.dtype)} ` +
          `${formatShape(want.shape)}, got ${t.dtype} ${formatShape(t.shape)}`,
      );
    }
  }
  const tensorOf = (name: string): Tensor | undefined => {
    if (!name) return undefined;
    const t = values.get(name);
    if (t) return t;
    if (plan.known.has(name)) return model.constantTensor(plan, name);
    throw new NodeError(`Internal error: tensor '${name}' has no value`);
  };
  plan.steps.forEach((step, index) => {
    const replaced = step.node.outputs.filter((n) => overrides.has(n));
    if (replaced.length > 0) {
      if (replaced.length !== step.node.outputs.filter((n) => n).length) {
        throw new ArgumentError(
          `Cannot override '${replaced[0]}': ${step.node.op} node '${step.node.name}' has ` +
            'other outputs; override all of them',
        );
      }
      for (const name of replaced) {
        const t = overrides.get(name)!;
        values.set(name, t.reshape(t.shape));
      }
    } else {
      const ctx = {
        node: step.node,
        opset: model.ir.opset,
        infos: step.infos,
        values: step.values,
        runSubgraph: () => {
          throw new NodeError(`Internal error: ${step.node.op} has no GPU subgraph support`);
        },
        engine,
        // Arguments the operator takes on the CPU (shapes, axes, bounds) are not uploaded.
        inputs: step.node.inputs.map((name, i) =>
          step.def.cpuInputs?.includes(i) && plan.known.has(name) ? undefined : tensorOf(name)
        ),
        outputs: step.outputs,
      };
      const outs = step.def.gpu!(ctx);
      step.node.outputs.forEach((name, i) => {
        if (!name) return outs[i]?.destroy();
        const t = outs[i];
        const want = step.outputs[i];
        if (!t || t.shape.join() !== want.shape.join() || t.dtype !== gpuType(want.dtype)) {
          throw new NodeError(
            `Internal error: ${step.node.op} node '${step.node.name}' produced ${t} for output ` +
              `'${name}', planned ${gpuType(want.dtype)} [${want.shape}]`,
          );
        }
        if (plan.lastUse.has(name) || keep(name)) values.set(name, t);
        else t.destroy();
      });
    }
    // Release what this step read for the last time: later outputs reuse the buffers.
    for (const name of new Set(step.node.inputs)) {
      if (name && plan.lastUse.get(name) === index && !keep(name) && values.has(name)) {
        values.get(name)!.destroy();
        values.delete(name);
      }
    }
  });
}

/**
 * {@linkcode execute} for a chunked plan: the declared-batch plan once per chunk of rows, all in
 * the engine's encoder, then the outputs and kept tensors stacked back to the full batch (those
 * that do not depend on the batch from the first chunk).
 */
function executeChunked(
  model: Model,
  plan: Plan,
  values: Map<string, Tensor>,
  options: ExecuteOptions,
): void {
  const batch = plan.batch!;
  const overrides = options.overrides ?? new Map<string, Tensor>();
  for (const [name, t] of overrides) {
    checkStackable(plan, name, 'override');
    const want = plan.infos.get(name);
    if (!want || t.shape.join() !== want.shape.join()) {
      throw new ShapeError(
        `Cannot override '${name}': it is planned as ${formatShape(want?.shape ?? [])}, got ` +
          formatShape(t.shape),
      );
    }
  }
  const ranges = chunkRanges(batch);
  const chunks: Map<string, Tensor>[] = [];
  try {
    for (const range of ranges) {
      const chunk = chunkFeeds(batch, range, values, overrides);
      chunks.push(chunk.values);
      try {
        execute(model, batch.base, chunk.values, {
          keep: options.keep,
          overrides: chunk.overrides,
        });
      } finally {
        for (const t of chunk.overrides.values()) t.destroy();
      }
    }
    for (const name of chunks[0].keys()) {
      if (values.has(name)) continue;
      if (batch.stackable.has(name)) {
        values.set(name, stackChunks(batch, name, chunks.map((c) => c.get(name)!)));
      } else if (!batch.batched.has(name)) {
        const t = chunks[0].get(name)!;
        values.set(name, t.reshape(t.shape));
      } else if (plan.outputs.includes(name)) {
        checkStackable(plan, name, 'return output');
      }
    }
  } finally {
    for (const c of chunks) for (const t of c.values()) t.destroy();
  }
}

/**
 * Runs `model` on `inputs` (by input name; tensors on the model's engine or host data). Records
 * the work without waiting; read the returned tensors to get the data.
 *
 * @throws {ArgumentError}/{@linkcode ShapeError} for missing or mistyped inputs, naming them.
 */
export function run(
  model: Model,
  inputs: Record<string, Tensor | InputData>,
  options: RunOptions = {},
): RunResult {
  const engine = model.engine;
  const { plan, values } = prepareRun(model, inputs);
  try {
    const keepAll = options.keep === 'all';
    const keep = new Set(keepAll ? [] : options.keep ?? []);
    for (const name of keep) {
      if (!plan.infos.has(name) && !plan.known.has(name)) {
        throw new ArgumentError(`Cannot run model: no tensor named '${name}' to keep`);
      }
      checkStackable(plan, name, 'keep');
    }
    const inputNames = new Set(values.keys());
    const isKept = (name: string) =>
      (keepAll || keep.has(name)) && !plan.known.has(name) && !inputNames.has(name);
    execute(model, plan, values, { keep: isKept });
    const outputs: Record<string, Tensor> = {};
    for (const name of plan.outputs) {
      const t = values.get(name);
      if (t) {
        outputs[name] = inputNames.has(name) ? t.reshape(t.shape) : t;
        if (!inputNames.has(name)) values.delete(name);
      } else if (plan.known.has(name)) {
        outputs[name] = upload(engine, plan.known.get(name)!, name);
      } else {
        throw new NodeError(`Internal error: output '${name}' was not computed`);
      }
    }
    const intermediates: Record<string, Tensor> = {};
    for (const [name, t] of values) {
      if (isKept(name)) {
        intermediates[name] = t;
        values.delete(name);
      }
    }
    return { outputs, intermediates };
  } finally {
    for (const t of values.values()) t.destroy();
  }
}

/** The CPU-side shape of a value (for structure data). */
export function describeValue(v: CpuValue): string {
  return isSequence(v) ? `seq(${v.dtype})[${v.items.length}]` : `${v.dtype}[${v.shape}]`;
}
