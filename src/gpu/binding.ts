/**
 * Binding parts of big buffers. A tensor may be as large as the device's `maxBufferSize`, but one
 * binding covers at most `maxStorageBufferBindingSize` bytes (128 MiB by WebGPU's default, on
 * lavapipe, and in many browsers), starting at a multiple of `minStorageBufferOffsetAlignment`.
 * Kernels that process big operands in blocks bind each block's elements with
 * {@linkcode elementRange} and index them from the returned `skip`.
 *
 * @module
 */

import type { BufferRange, Engine } from './engine.ts';
import { LimitExceededError } from './errors.ts';

/** Bytes of one f32 or i32 element. */
const ELEMENT_BYTES = 4;

/** Whether `buffer` can be bound whole under the engine's binding limit. */
export function fitsBinding(engine: Engine, buffer: GPUBuffer): boolean {
  return buffer.size <= engine.maxBindingBytes;
}

/**
 * The most consecutive 4-byte elements that a binding can cover wherever they start: the binding
 * limit less the worst-case slack of rounding the offset down to the alignment.
 */
export function maxRangeElements(engine: Engine): number {
  return Math.floor((engine.maxBindingBytes - (engine.bindingAlignment - ELEMENT_BYTES)) / 4);
}

/** A bound range of a buffer and where the wanted elements start in it. */
export interface ElementRange {
  /** What to put in {@linkcode DispatchSpec.bindings}. */
  range: BufferRange;
  /** Elements between the start of the range and element `start`. */
  skip: number;
}

/**
 * The binding of elements `[start, end)` of a buffer of 4-byte elements: the byte offset rounded
 * down to the device's alignment, the size up to `end`.
 *
 * @throws {LimitExceededError} when the range exceeds the binding limit (callers size blocks
 *   with {@linkcode maxRangeElements}, so this is a bug guard).
 */
export function elementRange(
  engine: Engine,
  buffer: GPUBuffer,
  start: number,
  end: number,
): ElementRange {
  const align = engine.bindingAlignment;
  const offset = Math.floor((start * ELEMENT_BYTES) / align) * align;
  const size = Math.max(ELEMENT_BYTES, end * ELEMENT_BYTES - offset);
  if (size > engine.maxBindingBytes || offset + size > buffer.size) {
    throw new LimitExceededError(
      `Cannot bind elements [${start}, ${end}) of ${buffer.label} (${buffer.size} bytes): ` +
        `${size} bytes from offset ${offset} exceed the binding limit of ` +
        `${engine.maxBindingBytes} bytes or the buffer`,
    );
  }
  return { range: { buffer, offset, size }, skip: start - offset / ELEMENT_BYTES };
}
