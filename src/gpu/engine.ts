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
  GlassboxError,
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
   * Most bytes of released tensor buffers kept for reuse by later tensors (default 256 MiB; 0
   * disables pooling). Past it the least recently released buffers are destroyed.
   */
  poolLimitBytes?: number;
  /**
   * Most released tensor buffers kept for reuse (default 1024; 0 disables pooling). Past it the
   * least recently released buffers are destroyed. Each buffer costs host memory in the WebGPU
   * implementation however small it is, so this bounds the pool where the byte limit cannot.
   */
  poolLimitBuffers?: number;
}

/** Counts of an engine's tensor buffers, from {@linkcode Engine.poolStats}. */
export interface PoolStats {
  /** Released buffers in the pool, waiting for reuse. */
  free: number;
  /** Their bytes (sizes of their size classes). */
  freeBytes: number;
  /** Tensor buffers in use: created or taken from the pool, not yet released or destroyed. */
  live: number;
  /** Their bytes. */
  liveBytes: number;
}

/**
 * Smallest size class of a pooled tensor buffer, in bytes. Smaller requests get a buffer of this
 * size: a scalar and a 64-element vector share one class.
 */
export const POOL_MIN_CLASS_BYTES = 256;

/**
 * The bytes of the buffer that holds `bytes` (already a multiple of 4) in the pool: at least
 * {@linkcode POOL_MIN_CLASS_BYTES}, then four classes per power of two (×1.25, ×1.5, ×1.75, ×2),
 * so a buffer is at most 25% larger than asked for and released buffers match later requests of
 * similar size. Never past `bindingLimit` when `bytes` fits it (a tensor that could be bound
 * whole still can), nor past `bufferLimit`.
 */
export function poolSizeClass(bytes: number, bindingLimit: number, bufferLimit: number): number {
  let size = POOL_MIN_CLASS_BYTES;
  if (bytes > size) {
    const step = 2 ** Math.floor(Math.log2(bytes)) / 4;
    size = Math.ceil(bytes / step) * step;
  }
  if (bytes <= bindingLimit) size = Math.min(size, bindingLimit);
  return Math.max(bytes, Math.min(size, Math.floor(bufferLimit / 4) * 4));
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
 *
 * Memory: a destroyed tensor's buffer goes to the engine's pool, from which later tensors of its
 * size class take buffers; the pool is bounded by {@linkcode poolLimitBuffers} and
 * {@linkcode poolLimitBytes} ({@linkcode poolStats} counts it). What the pool cannot bound is the
 * caller's: tensors returned by operations, `run` and `explain` hold their buffers until the
 * caller destroys them, and recorded commands (with their small parameter buffers) are kept until
 * a readback, {@linkcode flush} or {@linkcode sync} submits them — a loop that never reads should
 * flush now and then.
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
  /** Released tensor buffers by size class, least recently released first, for reuse. */
  #pool = new Map<number, GPUBuffer[]>();
  /**
   * Every pooled buffer, least recently released first (the eviction order), with the number of
   * submissions made before it was released: while that is still {@linkcode #submissions} the
   * pending encoder may use it, so a queue write (which runs before the encoder) must not reuse
   * it. -1 when no commands were pending at its release.
   */
  #pooled = new Map<GPUBuffer, number>();
  #pooledBytes = 0;
  #submissions = 0;
  #tensorBuffersCreated = 0;
  #liveTensorBuffers = 0;
  #liveTensorBytes = 0;
  /** Most bytes the pool keeps; past it the least recently released buffers are destroyed. */
  readonly poolLimitBytes: number;
  /** Most buffers the pool keeps; past it the least recently released buffers are destroyed. */
  readonly poolLimitBuffers: number;

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
    this.poolLimitBuffers = options.poolLimitBuffers ?? 1024;
    for (const name of ['poolLimitBytes', 'poolLimitBuffers'] as const) {
      if (!(this[name] >= 0)) {
        throw new ArgumentError(
          `Cannot create engine: ${name} must be a non-negative number, got ${this[name]}`,
        );
      }
    }
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
    const buffer = this.device.createBuffer({ label, size: bytes, usage });
    if (usage === TENSOR_USAGE) {
      this.#tensorBuffersCreated++;
      this.#liveTensorBuffers++;
      this.#liveTensorBytes += bytes;
    }
    return buffer;
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
   * Gives back a buffer the caller is done with, such as a destroyed tensor's. Tensor buffers of
   * a size class (all that {@linkcode pooledBuffer} and {@linkcode uploadBuffer} make) go to the
   * pool, where a later tensor in the same or a later submission can reuse them: commands in one
   * encoder run in order, so a kernel output recorded after the last use is safe (a queue write
   * is not; {@linkcode uploadBuffer} takes care). The pool keeps at most
   * {@linkcode poolLimitBuffers} buffers and {@linkcode poolLimitBytes} bytes, destroying the
   * least recently released past either. Other buffers are destroyed after the pending
   * submission; after device loss, at once. Releasing a pooled buffer again does nothing.
   */
  release(buffer: GPUBuffer): void {
    if (this.#pooled.has(buffer)) return;
    const tensorBuffer = buffer.usage === TENSOR_USAGE;
    if (tensorBuffer) {
      this.#liveTensorBuffers--;
      this.#liveTensorBytes -= buffer.size;
    }
    const poolable = tensorBuffer && !this.isLost && this.poolLimitBuffers >= 1 &&
      buffer.size <= this.poolLimitBytes && this.#sizeClass(buffer.size) === buffer.size;
    if (!poolable) {
      this.#destroyAfterSubmit(buffer);
      return;
    }
    const list = this.#pool.get(buffer.size);
    if (list) list.push(buffer);
    else this.#pool.set(buffer.size, [buffer]);
    this.#pooled.set(buffer, this.#encoder ? this.#submissions : -1);
    this.#pooledBytes += buffer.size;
    // Least recently released first: Maps iterate in insertion order.
    for (const old of this.#pooled.keys()) {
      if (this.#pooled.size <= this.poolLimitBuffers && this.#pooledBytes <= this.poolLimitBytes) {
        break;
      }
      this.#unpool(old);
      this.#destroyAfterSubmit(old);
    }
  }

  /** Destroys `buffer` after the pending submission (at once if none is pending or lost). */
  #destroyAfterSubmit(buffer: GPUBuffer): void {
    if (this.#encoder && !this.isLost) this.#releaseAfterSubmit.push(buffer);
    else buffer.destroy();
  }

  /** Takes `buffer` out of the pool. */
  #unpool(buffer: GPUBuffer): void {
    this.#pooled.delete(buffer);
    this.#pooledBytes -= buffer.size;
    const list = this.#pool.get(buffer.size)!;
    list.splice(list.lastIndexOf(buffer), 1);
    if (list.length === 0) this.#pool.delete(buffer.size);
  }

  /** The size class of a tensor buffer of `bytes` (see {@linkcode poolSizeClass}). */
  #sizeClass(bytes: number): number {
    return poolSizeClass(bytes, this.maxBindingBytes, this.device.limits.maxBufferSize);
  }

  /**
   * The most recently released pooled buffer of `size` bytes that `usable` accepts, taken out of
   * the pool and counted live; else a new one.
   */
  #takeTensorBuffer(label: string, size: number, usable: (since: number) => boolean): GPUBuffer {
    const list = this.#pool.get(size) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const buffer = list[i];
      if (!usable(this.#pooled.get(buffer)!)) continue;
      this.#unpool(buffer);
      this.#liveTensorBuffers++;
      this.#liveTensorBytes += size;
      buffer.label = label;
      return buffer;
    }
    return this.createBuffer(label, size, TENSOR_USAGE);
  }

  /**
   * A storage buffer for a kernel to write, labeled `label`, of at least `size` bytes. Tensor
   * buffers are of a size class ({@linkcode poolSizeClass}): a pooled one of that class when there
   * is one (stale contents; it may still be read by recorded commands, so fill it with commands
   * recorded after them, never with a queue write — use {@linkcode uploadBuffer} for that), else
   * a new one. `zero` clears it with a command recorded now.
   */
  pooledBuffer(label: string, size: number, usage: GPUBufferUsageFlags, zero: boolean): GPUBuffer {
    this.assertAlive(`create buffer ${label}`);
    const bytes = Math.max(4, Math.ceil(size / 4) * 4);
    if (usage !== TENSOR_USAGE) return this.createBuffer(label, bytes, usage);
    const before = this.#tensorBuffersCreated;
    const buffer = this.#takeTensorBuffer(label, this.#sizeClass(bytes), () => true);
    // A new buffer is zeros already.
    if (zero && this.#tensorBuffersCreated === before) this.encoder().clearBuffer(buffer);
    return buffer;
  }

  /**
   * A tensor buffer labeled `label` holding `data` from byte 0 (later bytes unspecified), written
   * with a queue write. A queue write runs before the commands still being recorded, so only a
   * pooled buffer released before the last submission is reused (else a new one is made): the
   * write cannot clobber data that pending commands read.
   */
  uploadBuffer(label: string, data: Float32Array | Int32Array | Uint32Array): GPUBuffer {
    this.assertAlive(`create buffer ${label}`);
    const bytes = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
    const buffer = this.#takeTensorBuffer(
      label,
      this.#sizeClass(bytes),
      (since) => since < this.#submissions,
    );
    if (data.byteLength > 0) {
      this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    return buffer;
  }

  /**
   * Counts of this engine's tensor buffers: those in the pool and those in use (for tests and
   * memory reports). Buffers of a destroyed tensor are not live.
   */
  poolStats(): PoolStats {
    return {
      free: this.#pooled.size,
      freeBytes: this.#pooledBytes,
      live: this.#liveTensorBuffers,
      liveBytes: this.#liveTensorBytes,
    };
  }

  /** Destroys the pooled buffers (after pending work is submitted). */
  trim(): void {
    for (const b of this.#pooled.keys()) this.releaseAfterSubmit(b);
    this.#pool.clear();
    this.#pooled.clear();
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
    this.#submissions++;
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
    try {
      this.flush();
      await this.#guard('wait for the GPU', this.device.queue.onSubmittedWorkDone());
      await this.#throwCapturedErrors();
    } catch (cause) {
      throw await this.asDeviceLoss('wait for the GPU', cause);
    }
  }

  /**
   * The error to report for `cause`, thrown by a WebGPU call: a device that is being lost makes
   * calls fail with its own errors (Dawn: `AbortError` from a pending map; wgpu/Dawn:
   * `OperationError: Parent device is lost` from `unmap` or `getMappedRange`) before
   * `device.lost` resolves. Gives the loss a moment to arrive, and if it does, returns
   * {@linkcode DeviceLostError} instead. Glassbox's own errors pass through. For code outside the
   * engine that maps buffers of its own.
   */
  async asDeviceLoss(what: string, cause: unknown): Promise<unknown> {
    if (cause instanceof GlassboxError) return cause;
    await Promise.race([
      this.#lostPromise.catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 200)),
    ]);
    return this.isLost ? this.#lostError(what) : cause;
  }

  /** Awaits `promise` unless the device is lost first; re-checks loss after it settles. */
  async #guard<T>(what: string, promise: Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await Promise.race([promise, this.#lostPromise]);
    } catch (cause) {
      throw await this.asDeviceLoss(what, cause);
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
    const what = `read ${source.label}`;
    this.assertAlive(what);
    const size = Math.max(MAP_READ_SIZE_ALIGN, Math.ceil(byteLength / 4) * 4);
    let staging: GPUBuffer | undefined;
    try {
      staging = this.createBuffer(
        `${source.label}.staging`,
        size,
        GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      );
      this.encoder().copyBufferToBuffer(source, 0, staging, 0, size);
      this.flush();
      await this.#guard(what, staging.mapAsync(GPUMapMode.READ));
      // The device may be lost from here on too: getMappedRange and unmap then throw
      // OperationError, which asDeviceLoss turns into DeviceLostError.
      const copy = staging.getMappedRange(0, size).slice(0, byteLength);
      staging.unmap();
      await this.#throwCapturedErrors();
      return copy;
    } catch (cause) {
      throw await this.asDeviceLoss(what, cause);
    } finally {
      staging?.destroy();
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
    for (const buffer of this.#pooled.keys()) buffer.destroy();
    this.#pool.clear();
    this.#pooled.clear();
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
