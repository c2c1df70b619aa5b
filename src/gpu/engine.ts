/**
 * The engine: one GPU device and the state that goes with it — a pending command encoder that
 * operations record into, the pipeline cache, transient buffers to release after submission,
 * device-loss tracking and the optional debug mode.
 *
 * Operations are recorded, not run: they append compute passes to one command encoder, which is
 * submitted when a result is read back or {@linkcode Engine.flush} is called. Nothing waits on the
 * GPU between operations.
 *
 * @module
 */

import {
  type AdapterSummary,
  describeAdapter,
  requestDevice,
  type RequestDeviceOptions,
  summarizeAdapter,
} from './device.ts';
import { foldWorkgroups, type Grid } from './dispatch.ts';
import {
  ArgumentError,
  DestroyedError,
  DeviceLostError,
  GpuOutOfMemoryError,
  GpuValidationError,
  LimitExceededError,
} from './errors.ts';
import { getPipeline, type PipelineKey } from './pipeline_cache.ts';

/** Options for {@linkcode createEngine}. */
export interface EngineOptions extends RequestDeviceOptions {
  /**
   * Use this device instead of requesting one. The engine will not destroy a device it did not
   * create.
   */
  device?: GPUDevice;
  /** Adapter of `device`, if known, for {@linkcode Engine.info}. */
  adapter?: GPUAdapter;
  /**
   * Debug mode: every dispatch is submitted on its own inside `validation` and `out-of-memory`
   * error scopes, and the next readback rejects with the first error, naming the operation.
   * Slower; for development.
   */
  debug?: boolean;
  /**
   * Fold dispatches as if `maxComputeWorkgroupsPerDimension` were this (at most the device's).
   * Lets tests exercise folding on small tensors.
   */
  maxWorkgroupsPerDimension?: number;
  /**
   * Bind at most this many bytes of a buffer per binding, as if the device's
   * `maxStorageBufferBindingSize` were this (at most the device's; at least twice its
   * `minStorageBufferOffsetAlignment`). Lets tests run the blocked paths of the kernels that
   * split big operands (matmul, elementwise binary) on small tensors.
   */
  maxBindingBytes?: number;
  /**
   * Bytes of released tensor buffers kept for reuse by later kernel outputs (default 256 MiB;
   * 0 disables pooling).
   */
  poolLimitBytes?: number;
}

/** A byte range of a buffer to bind: `[offset, offset + size)`. */
export interface BufferRange {
  /** The buffer. */
  buffer: GPUBuffer;
  /** First byte; a multiple of the device's `minStorageBufferOffsetAlignment`. */
  offset: number;
  /** Bytes bound; at most {@linkcode Engine.maxBindingBytes}. */
  size: number;
}

/** A compute dispatch: what {@linkcode Engine.dispatch} takes. */
export interface DispatchSpec extends PipelineKey {
  /**
   * Buffers (whole) or byte ranges of buffers for `@group(0) @binding(i)`, in binding order.
   * Each must be at most {@linkcode Engine.maxBindingBytes} long.
   */
  bindings: (GPUBuffer | BufferRange)[];
  /** Linear workgroup count (folded by the engine) or an explicit grid. */
  workgroups: number | Grid;
}

const MAP_READ_SIZE_ALIGN = 4;

/**
 * Usage of tensor buffers (STORAGE | COPY_SRC | COPY_DST); only these are pooled. A literal, so
 * that this module loads where WebGPU's globals are missing and the caller gets
 * {@linkcode WebGpuUnavailableError} instead of a ReferenceError.
 */
export const TENSOR_USAGE: GPUBufferUsageFlags = 0x80 | 0x04 | 0x08;

/**
 * One GPU device and everything glassbox keeps for it. Create with {@linkcode createEngine};
 * dispose with `destroy()` or `using`.
 */
export class Engine {
  /** The device. */
  readonly device: GPUDevice;
  /** The adapter it came from, when known. */
  readonly adapter: GPUAdapter | undefined;
  /** A description of the adapter, for logs and benchmark reports. */
  readonly info: AdapterSummary;
  /** Whether debug mode is on (see {@linkcode EngineOptions.debug}). */
  readonly debug: boolean;
  /** The per-dimension workgroup limit used for folding. */
  readonly maxWorkgroupsPerDimension: number;
  /**
   * The most bytes one binding may cover: the device's `maxStorageBufferBindingSize`, or the
   * smaller {@linkcode EngineOptions.maxBindingBytes}. Tensors may be larger (up to
   * `maxBufferSize`); kernels that read or write them bind ranges of at most this many bytes.
   */
  readonly maxBindingBytes: number;
  /** Byte alignment of a binding's offset (`minStorageBufferOffsetAlignment`). */
  readonly bindingAlignment: number;
  #ownsDevice: boolean;
  #destroyed = false;
  #lost: GPUDeviceLostInfo | null = null;
  #lostPromise: Promise<never>;
  #encoder: GPUCommandEncoder | null = null;
  #releaseAfterSubmit: GPUBuffer[] = [];
  #scopeErrors: Promise<Error | null>[] = [];
  #uncaptured: Error | null = null;
  #dispatchCount = 0;
  /** Released tensor buffers by exact byte size, for kernel outputs to reuse. */
  #pool = new Map<number, GPUBuffer[]>();
  #pooledBytes = 0;
  #tensorBuffersCreated = 0;
  /** Upper bound of the pool; past it released buffers are destroyed. */
  readonly poolLimitBytes: number;

  /** Wraps a device; prefer {@linkcode createEngine}. */
  constructor(
    device: GPUDevice,
    options: { adapter?: GPUAdapter; ownsDevice?: boolean } & EngineOptions = {},
  ) {
    this.device = device;
    this.adapter = options.adapter;
    this.info = options.adapter ? summarizeAdapter(options.adapter) : {
      vendor: '',
      architecture: '',
      device: '',
      description: 'unknown (device supplied without adapter)',
      isFallbackAdapter: false,
    };
    this.debug = options.debug ?? false;
    const limit = device.limits.maxComputeWorkgroupsPerDimension;
    const requested = options.maxWorkgroupsPerDimension ?? limit;
    if (!Number.isInteger(requested) || requested < 1) {
      throw new RangeError(
        `Cannot create engine: maxWorkgroupsPerDimension must be a positive integer, got ${requested}`,
      );
    }
    this.maxWorkgroupsPerDimension = Math.min(requested, limit);
    this.bindingAlignment = device.limits.minStorageBufferOffsetAlignment;
    const bindingLimit = device.limits.maxStorageBufferBindingSize;
    const binding = options.maxBindingBytes ?? bindingLimit;
    if (!Number.isInteger(binding) || binding % 4 !== 0 || binding < 2 * this.bindingAlignment) {
      throw new ArgumentError(
        `Cannot create engine: maxBindingBytes must be a multiple of 4 and at least twice the ` +
          `device's minStorageBufferOffsetAlignment (${2 * this.bindingAlignment}), got ${binding}`,
      );
    }
    this.maxBindingBytes = Math.min(binding, bindingLimit);
    this.#ownsDevice = options.ownsDevice ?? false;
    this.poolLimitBytes = options.poolLimitBytes ?? 256 * 1024 * 1024;
    this.#lostPromise = device.lost.then((info) => {
      this.#lost = info;
      throw this.#lostError('device lost');
    });
    // Nobody may be awaiting yet; a lost device must not become an unhandled rejection.
    this.#lostPromise.catch(() => {});
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.#uncaptured ??= error instanceof GPUOutOfMemoryError
        ? new GpuOutOfMemoryError(`WebGPU out of memory: ${error.message}`)
        : new GpuValidationError(`WebGPU error: ${error.message}`);
    });
  }

  /** A one-line description of the adapter. */
  get adapterName(): string {
    return describeAdapter(this.info);
  }

  /** True once the device is lost or the engine destroyed; every later call rejects. */
  get isLost(): boolean {
    return this.#lost !== null || this.#destroyed;
  }

  /** How many dispatches this engine has recorded (for tests and profiling). */
  get dispatchCount(): number {
    return this.#dispatchCount;
  }

  #lostError(what: string): Error {
    if (this.#destroyed) {
      return new DestroyedError(`Cannot ${what}: the engine was destroyed`);
    }
    const info = this.#lost;
    return new DeviceLostError(
      `Cannot ${what}: the GPU device was lost (${info?.reason ?? 'unknown'}` +
        `${info?.message ? `: ${info.message}` : ''}). Create a new engine with createEngine().`,
      info?.reason ?? 'unknown',
    );
  }

  /** Throws {@linkcode DeviceLostError} (or {@linkcode DestroyedError}) if the engine is dead. */
  assertAlive(what: string): void {
    if (this.isLost) throw this.#lostError(what);
  }

  /** The cached compute pipeline for `key`. */
  pipeline(key: PipelineKey): GPUComputePipeline {
    this.assertAlive(`create pipeline ${key.label}`);
    return getPipeline(this.device, key);
  }

  /** Creates a labeled buffer of at least `size` bytes (rounded up to 4, at least 4). */
  createBuffer(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    this.assertAlive(`create buffer ${label}`);
    const bytes = Math.max(4, Math.ceil(size / 4) * 4);
    if (bytes > this.device.limits.maxBufferSize) {
      throw new LimitExceededError(
        `Cannot create buffer ${label}: ${bytes} bytes exceeds the device's maxBufferSize ` +
          `(${this.device.limits.maxBufferSize})`,
      );
    }
    if (usage === TENSOR_USAGE) this.#tensorBuffersCreated++;
    return this.device.createBuffer({ label, size: bytes, usage });
  }

  /** How many tensor buffers this engine has created (pool misses included); for tests. */
  get tensorBuffersCreated(): number {
    return this.#tensorBuffersCreated;
  }

  /**
   * Creates a small read-only buffer holding `data` (shape and stride tables, scalars), released
   * after the next submission.
   */
  constants(label: string, data: Uint32Array | Int32Array | Float32Array): GPUBuffer {
    const buffer = this.createBuffer(
      label,
      data.byteLength,
      GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    );
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    this.releaseAfterSubmit(buffer);
    return buffer;
  }

  /**
   * Destroys `buffer` at the next submission, after the commands that use it (including ones
   * not recorded yet, such as the dispatch a constants buffer is made for).
   */
  releaseAfterSubmit(buffer: GPUBuffer): void {
    this.#releaseAfterSubmit.push(buffer);
  }

  /**
   * Gives back a buffer the caller is done with, such as a destroyed tensor's. Tensor buffers go
   * to the pool (up to {@linkcode poolLimitBytes}), where a later kernel output in the same or a
   * later submission can reuse them: commands in one encoder run in order, so a reuse recorded
   * after the last use is safe. Other buffers are destroyed after the pending submission.
   */
  release(buffer: GPUBuffer): void {
    const poolable = buffer.usage === TENSOR_USAGE && !this.isLost &&
      this.#pooledBytes + buffer.size <= this.poolLimitBytes;
    if (poolable) {
      const list = this.#pool.get(buffer.size);
      if (list) list.push(buffer);
      else this.#pool.set(buffer.size, [buffer]);
      this.#pooledBytes += buffer.size;
    } else if (this.#encoder) {
      this.#releaseAfterSubmit.push(buffer);
    } else {
      buffer.destroy();
    }
  }

  /**
   * A storage buffer for a kernel to write, labeled `label`: a pooled one of exactly this size
   * when there is one, else a new one. `zero` clears it.
   */
  pooledBuffer(label: string, size: number, usage: GPUBufferUsageFlags, zero: boolean): GPUBuffer {
    this.assertAlive(`create buffer ${label}`);
    const bytes = Math.max(4, Math.ceil(size / 4) * 4);
    const list = usage === TENSOR_USAGE ? this.#pool.get(bytes) : undefined;
    const reused = list?.pop();
    if (reused) {
      this.#pooledBytes -= bytes;
      reused.label = label;
      if (zero) this.encoder().clearBuffer(reused);
      return reused;
    }
    return this.createBuffer(label, bytes, usage);
  }

  /** Destroys the pooled buffers (after pending work is submitted). */
  trim(): void {
    for (const list of this.#pool.values()) for (const b of list) this.releaseAfterSubmit(b);
    this.#pool.clear();
    this.#pooledBytes = 0;
    if (!this.#encoder) {
      for (const b of this.#releaseAfterSubmit) b.destroy();
      this.#releaseAfterSubmit = [];
    }
  }

  /** The pending command encoder, created on demand. */
  encoder(): GPUCommandEncoder {
    this.assertAlive('record commands');
    this.#encoder ??= this.device.createCommandEncoder({ label: 'glassbox.commands' });
    return this.#encoder;
  }

  /**
   * Records one compute dispatch. A linear workgroup count is folded into a 2-D or 3-D grid
   * past the per-dimension limit; shaders recompute the linear index and bounds-check it.
   */
  dispatch(spec: DispatchSpec): void {
    this.assertAlive(`dispatch ${spec.label}`);
    const grid = typeof spec.workgroups === 'number'
      ? foldWorkgroups(spec.workgroups, this.maxWorkgroupsPerDimension)
      : spec.workgroups;
    if (grid[0] * grid[1] * grid[2] === 0) return;
    const entries = spec.bindings.map((b, binding): GPUBindGroupEntry => {
      const range = 'buffer' in b ? b : { buffer: b, offset: 0, size: b.size };
      if (range.size > this.maxBindingBytes) {
        throw new LimitExceededError(
          `Cannot dispatch ${spec.label}: binding ${binding} (${range.buffer.label}) covers ` +
            `${range.size} bytes, over the binding limit of ${this.maxBindingBytes} bytes ` +
            `(maxStorageBufferBindingSize); this kernel does not split its operands into blocks`,
        );
      }
      return { binding, resource: range };
    });
    if (this.debug) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
    }
    const pipeline = this.pipeline(spec);
    const bindGroup = this.device.createBindGroup({
      label: spec.label,
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    const pass = this.encoder().beginComputePass({ label: spec.label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    pass.end();
    this.#dispatchCount++;
    if (this.debug) {
      this.flush();
      const label = spec.label;
      const validation = this.device.popErrorScope();
      const memory = this.device.popErrorScope();
      this.#scopeErrors.push(
        Promise.all([validation, memory]).then(([v, m]) =>
          v
            ? new GpuValidationError(`WebGPU validation error in ${label}: ${v.message}`)
            : m
            ? new GpuOutOfMemoryError(`WebGPU out of memory in ${label}: ${m.message}`)
            : null
        ),
      );
    }
  }

  /** Submits the commands recorded so far. Cheap when there are none. */
  flush(): void {
    if (!this.#encoder) return;
    this.assertAlive('submit commands');
    const commands = this.#encoder.finish({ label: 'glassbox.commands' });
    this.#encoder = null;
    this.device.queue.submit([commands]);
    for (const buffer of this.#releaseAfterSubmit) buffer.destroy();
    this.#releaseAfterSubmit = [];
  }

  /** Rejects with the first error captured in debug mode or reported as uncaptured. */
  async #throwCapturedErrors(): Promise<void> {
    const scopes = this.#scopeErrors;
    this.#scopeErrors = [];
    for (const error of await Promise.all(scopes)) if (error) throw error;
    if (this.#uncaptured) {
      const error = this.#uncaptured;
      this.#uncaptured = null;
      throw error;
    }
  }

  /** Waits for every submitted command to finish; rejects if the device is lost meanwhile. */
  async sync(): Promise<void> {
    this.flush();
    await this.#guard('wait for the GPU', this.device.queue.onSubmittedWorkDone());
    await this.#throwCapturedErrors();
  }

  /** Awaits `promise` unless the device is lost first; re-checks loss after it settles. */
  async #guard<T>(what: string, promise: Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await Promise.race([promise, this.#lostPromise]);
    } catch (cause) {
      // Dawn rejects a pending map (AbortError) before it resolves device.lost: give the loss
      // a moment to arrive, so the caller learns the real cause.
      await Promise.race([
        this.#lostPromise.catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 200)),
      ]);
      if (this.isLost) throw this.#lostError(what);
      throw cause;
    }
    // Some implementations (wgpu) resolve a pending map with zeros when the device is destroyed;
    // the lost notification arrives as a separate task. Let it run before trusting the data.
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (this.isLost) throw this.#lostError(what);
    return result;
  }

  /**
   * Copies `byteLength` bytes of `source` (from offset 0) to the CPU through a `MAP_READ`
   * staging buffer. Submits pending work first.
   *
   * @throws {DeviceLostError} if the device is lost before the data arrives: never zeros.
   */
  async read(source: GPUBuffer, byteLength: number): Promise<ArrayBuffer> {
    this.assertAlive(`read ${source.label}`);
    const size = Math.max(MAP_READ_SIZE_ALIGN, Math.ceil(byteLength / 4) * 4);
    const staging = this.createBuffer(
      `${source.label}.staging`,
      size,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    );
    try {
      this.encoder().copyBufferToBuffer(source, 0, staging, 0, size);
      this.flush();
      await this.#guard(`read ${source.label}`, staging.mapAsync(GPUMapMode.READ));
      const copy = staging.getMappedRange(0, size).slice(0, byteLength);
      staging.unmap();
      await this.#throwCapturedErrors();
      return copy;
    } finally {
      staging.destroy();
    }
  }

  /**
   * Releases the engine: pending commands are dropped, and the device is destroyed if the engine
   * created it. Idempotent.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#encoder = null;
    for (const buffer of this.#releaseAfterSubmit) buffer.destroy();
    this.#releaseAfterSubmit = [];
    for (const list of this.#pool.values()) for (const buffer of list) buffer.destroy();
    this.#pool.clear();
    this.#pooledBytes = 0;
    if (this.#ownsDevice) this.device.destroy();
  }

  /** Same as `destroy()`, for `using engine = await createEngine()`. */
  [Symbol.dispose](): void {
    this.destroy();
  }
}

/**
 * Creates an engine on a new device (or on `options.device`).
 *
 * @example
 * ```ts ignore
 * import { createEngine, tensor } from './mod.ts';
 * using engine = await createEngine();
 * using x = tensor(engine, [1, -2, 3], [3]);
 * ```
 * @throws {WebGpuUnavailableError} when no device can be had; the message says how to fix it.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  if (options.device) {
    return new Engine(options.device, { ...options, ownsDevice: false });
  }
  const { adapter, device } = await requestDevice(options);
  return new Engine(device, { ...options, adapter, ownsDevice: true });
}
