/**
 * Tensors: a GPU buffer with a shape and a dtype. Row-major, contiguous, immutable once made:
 * operations return new tensors, which their caller owns and must `destroy()`.
 *
 * @module
 */

import { type Engine, TENSOR_USAGE } from './gpu/engine.ts';
import { ArgumentError, DestroyedError, LimitExceededError, ShapeError } from './gpu/errors.ts';

/** Element types a tensor can hold. */
export type DType = 'f32' | 'i32';

/** The typed array that holds a dtype's elements on the CPU. */
export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array<ArrayBuffer>
  : Int32Array<ArrayBuffer>;

/** Anything {@linkcode tensor} accepts as data. */
export type TensorData = ArrayLike<number> | Float32Array | Int32Array;

/** Number of elements of `shape` (1 for a scalar `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Formats a shape as `[2, 3]`, for error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws {@linkcode ShapeError} unless every dimension is a non-negative integer. */
export function validateShape(shape: readonly number[], what: string): void {
  if (!Array.isArray(shape)) {
    throw new ShapeError(`Cannot ${what}: shape must be an array of integers, got ${shape}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `Cannot ${what}: shape ${formatShape(shape)} has a dimension that is not a ` +
          `non-negative integer (${d})`,
      );
    }
  }
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Resolves a possibly negative axis against `rank`; throws {@linkcode ArgumentError}. */
export function normalizeAxis(axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ArgumentError(
      `Cannot ${what}: axis ${axis} is out of range for a tensor of rank ${rank} ` +
        `(valid: ${-rank}..${rank - 1})`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

let nextId = 0;

/** A buffer shared by a tensor and its reshaped views; released when the last one is destroyed. */
interface Storage {
  buffer: GPUBuffer;
  refs: number;
}

/**
 * A tensor on the GPU. Holds one storage buffer of `size` elements of `dtype` in row-major order.
 */
export class Tensor {
  /** The engine whose device holds the buffer. */
  readonly engine: Engine;
  /** Dimensions, outermost first. `[]` is a scalar. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Label of the buffer (shown in WebGPU error messages and captures). */
  readonly label: string;
  #storage: Storage | null;

  /** Wraps an existing buffer; the tensor takes ownership. Prefer {@linkcode tensor}. */
  constructor(
    engine: Engine,
    buffer: GPUBuffer,
    shape: readonly number[],
    dtype: DType,
    label = buffer.label,
  ) {
    validateShape(shape, 'create tensor');
    this.engine = engine;
    this.#storage = { buffer, refs: 1 };
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.label = label;
  }

  /** The GPU buffer. @throws {DestroyedError} after `destroy()`. */
  get buffer(): GPUBuffer {
    if (!this.#storage) {
      throw new DestroyedError(
        `Cannot use tensor ${this.label} ${formatShape(this.shape)}: it was destroyed`,
      );
    }
    return this.#storage.buffer;
  }

  /** Rank (number of dimensions). */
  get rank(): number {
    return this.shape.length;
  }

  /** Whether `destroy()` was called. */
  get isDestroyed(): boolean {
    return this.#storage === null;
  }

  /**
   * A view of the same elements with another shape of the same size: no copy, no kernel. The
   * view and this tensor share the buffer, which is released when both are destroyed.
   *
   * @throws {ShapeError} when the sizes differ.
   */
  reshape(shape: readonly number[]): Tensor {
    validateShape(shape, 'reshape tensor');
    if (sizeOf(shape) !== this.size) {
      throw new ShapeError(
        `Cannot reshape tensor ${this.label} ${formatShape(this.shape)} (${this.size} elements) ` +
          `to ${formatShape(shape)} (${sizeOf(shape)} elements)`,
      );
    }
    const storage = this.#storage;
    if (!storage) {
      throw new DestroyedError(`Cannot reshape tensor ${this.label}: it was destroyed`);
    }
    const view = new Tensor(this.engine, storage.buffer, shape, this.dtype, this.label);
    view.#storage = storage;
    storage.refs++;
    return view;
  }

  /**
   * Copies the elements to the CPU.
   *
   * @throws {DeviceLostError} if the device is lost before the data arrives.
   */
  async read(): Promise<Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer>> {
    const bytes = await this.engine.read(this.buffer, this.size * 4);
    return this.dtype === 'f32' ? new Float32Array(bytes) : new Int32Array(bytes);
  }

  /** Copies the elements to the CPU as a `Float32Array` (i32 values are converted). */
  async readFloat32(): Promise<Float32Array<ArrayBuffer>> {
    const data = await this.read();
    return data instanceof Float32Array ? data : Float32Array.from(data);
  }

  /**
   * Releases the buffer once the commands already recorded are submitted. Idempotent.
   */
  destroy(): void {
    const storage = this.#storage;
    if (!storage) return;
    this.#storage = null;
    if (--storage.refs > 0) return;
    // To the engine's pool for later tensors; destroyed at once if the device is lost.
    this.engine.release(storage.buffer);
  }

  /** Same as `destroy()`, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  /** A short description, e.g. `Tensor(f32 [2, 3])`. */
  toString(): string {
    return `Tensor(${this.dtype} ${formatShape(this.shape)})`;
  }
}

/** Options for {@linkcode tensor} and {@linkcode empty}. */
export interface TensorOptions {
  /** Element type; default `f32`. */
  dtype?: DType;
  /** Buffer label; default `tensor#N`. */
  label?: string;
}

/** Options for {@linkcode empty}. */
export interface EmptyOptions extends TensorOptions {
  /**
   * Guarantee zeros. Without it the buffer may come from the engine's pool of released buffers
   * and hold stale data, which is right for kernel outputs that write every element.
   */
  zero?: boolean;
}

/**
 * A tensor of `shape` for a kernel to write: its buffer may be reused from the engine's pool
 * (stale contents) unless `options.zero` asks for zeros.
 *
 * @throws {ShapeError} for a bad shape; {@linkcode LimitExceededError} past the device's
 *   `maxBufferSize`.
 */
export function empty(
  engine: Engine,
  shape: readonly number[],
  options: EmptyOptions = {},
): Tensor {
  return allocate(engine, shape, options);
}

function allocate(
  engine: Engine,
  shape: readonly number[],
  options: EmptyOptions,
  data?: Float32Array | Int32Array,
): Tensor {
  const dtype = options.dtype ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'i32') {
    throw new ArgumentError(`Cannot create tensor: dtype must be 'f32' or 'i32', got '${dtype}'`);
  }
  validateShape(shape, 'create tensor');
  const size = sizeOf(shape);
  const label = options.label ?? `tensor#${nextId++}`;
  const bytes = size * 4;
  // A tensor may exceed the binding limit (kernels that read big weights bind them in blocks)
  // but not the largest buffer the device makes.
  const limit = engine.device.limits.maxBufferSize;
  if (bytes > limit) {
    throw new LimitExceededError(
      `Cannot create tensor ${label} ${formatShape(shape)}: ${bytes} bytes exceeds the device's ` +
        `maxBufferSize (${limit} bytes)`,
    );
  }
  // Data goes in with a queue write, which runs before the recorded commands: the engine picks a
  // buffer that none of them may still read.
  const buffer = data
    ? engine.uploadBuffer(label, data)
    : engine.pooledBuffer(label, bytes, TENSOR_USAGE, options.zero ?? false);
  return new Tensor(engine, buffer, shape, dtype, label);
}

/**
 * Uploads `data` as a tensor of `shape` (default: 1-D of the data's length).
 *
 * @example
 * ```ts ignore
 * import { createEngine, tensor } from '../src/mod.ts';
 * using engine = await createEngine();
 * using x = tensor(engine, [1, 2, 3, 4, 5, 6], [2, 3]);
 * console.log(await x.read()); // Float32Array [1, 2, 3, 4, 5, 6]
 * ```
 * @throws {ShapeError} when the data's length is not the shape's size.
 */
export function tensor(
  engine: Engine,
  data: TensorData,
  shape?: readonly number[],
  options: TensorOptions = {},
): Tensor {
  const dtype = options.dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
  const dims = shape ?? [data.length];
  validateShape(dims, 'create tensor');
  if (sizeOf(dims) !== data.length) {
    throw new ShapeError(
      `Cannot create tensor: shape ${formatShape(dims)} holds ${sizeOf(dims)} elements but the ` +
        `data has ${data.length}`,
    );
  }
  if (dtype === 'i32') {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
        throw new ArgumentError(
          `Cannot create i32 tensor: element ${i} (${v}) is not a 32-bit integer`,
        );
      }
    }
  }
  const host = dtype === 'f32'
    ? (data instanceof Float32Array ? data : Float32Array.from(data))
    : (data instanceof Int32Array ? data : Int32Array.from(data));
  return allocate(engine, dims, { ...options, dtype }, host);
}
