/**
 * Typed errors raised by the engine. Every message says what failed and the state that made it
 * fail, so that a user can act on it without reading the source.
 *
 * @module
 */

/** Base class of every error glassbox raises on purpose. */
export class GlassboxError extends Error {
  /** Creates the error; `name` is set to the concrete class name. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No WebGPU adapter or device could be obtained in this environment. */
export class WebGpuUnavailableError extends GlassboxError {}

/**
 * The GPU device was lost (destroyed, driver reset, out of memory). The engine that owned it is
 * dead; create a new one with {@linkcode createEngine}.
 */
export class DeviceLostError extends GlassboxError {
  /** The reason WebGPU reported: `destroyed` or `unknown`. */
  readonly reason: string;
  /** Creates the error from the reason WebGPU gave. */
  constructor(message: string, reason = 'unknown', options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** Shapes of operands disagree, or a shape is not valid for the operation. */
export class ShapeError extends GlassboxError {}

/** An argument other than a shape is invalid (wrong dtype, unknown option, bad axis). */
export class ArgumentError extends GlassboxError {}

/**
 * An index that arrived at run time lies outside the axis it indexes (Gather, GatherND,
 * ScatterElements, ...). Found on the GPU, it rejects the next readback.
 */
export class IndexError extends ArgumentError {}

/**
 * An int64 result does not fit in the 32 bits that hold int64 on the GPU. Found on the GPU, it
 * rejects the next readback.
 */
export class IntegerOverflowError extends ArgumentError {}

/** A tensor would exceed one of the device's limits (binding size, buffer size). */
export class LimitExceededError extends GlassboxError {}

/** WebGPU reported a validation error for a command (debug mode). */
export class GpuValidationError extends GlassboxError {}

/** WebGPU reported an out-of-memory error for a command (debug mode). */
export class GpuOutOfMemoryError extends GlassboxError {}

/** The object was used after `destroy()`. */
export class DestroyedError extends GlassboxError {}
