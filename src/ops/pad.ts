/**
 * ONNX `Pad` on the GPU (`shaders/nn/pad.wgsl`) and its gradient
 * (`shaders/nn/pad_backward.wgsl`, or one strided copy in constant mode): constant, reflect,
 * edge and wrap padding of any rank, negative pads cropping. With f64 CPU references.
 *
 * @module
 */

import padShader from '../../shaders/nn/pad.wgsl' with { type: 'text' };
import padBackwardSource from '../../shaders/nn/pad_backward.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { checkChoice, checkOperand, WORKGROUP_SIZE } from './common.ts';
import { stridedCopy } from './strided_copy.ts';

/** Padding modes, with their `MODE` override code in the shaders. */
export const PAD_MODES: Readonly<{ constant: 0; reflect: 1; edge: 2; wrap: 3 }> = Object.freeze({
  constant: 0,
  reflect: 1,
  edge: 2,
  wrap: 3,
});

/** A padding mode. */
export type PadMode = keyof typeof PAD_MODES;

/** Options for {@linkcode pad}. */
export interface PadOptions {
  /**
   * `2·rank` integers, ONNX's layout: the amounts added before each axis, then after each axis.
   * Negative amounts remove elements (cropping).
   */
  pads: readonly number[];
  /** Mode; default `constant`. */
  mode?: PadMode;
  /**
   * The constant of constant mode: a number, or a one-element tensor of `x`'s dtype (a model's
   * runtime `constant_value`). Default 0.
   */
  value?: number | Tensor;
  /** Label of the output buffer. */
  label?: string;
}

/**
 * The output shape of a pad, after checking the pads: `2·rank` integers, no axis shrunk below
 * zero, and in reflect/edge/wrap mode no padding of an empty axis (there is nothing to copy).
 *
 * @throws {ArgumentError} naming the pads and the shape.
 */
export function padOutputShape(
  shape: readonly number[],
  pads: readonly number[],
  mode: PadMode = 'constant',
): number[] {
  checkChoice('pad', mode, PAD_MODES);
  const rank = shape.length;
  const what = `Cannot run pad on ${formatShape(shape)} with pads [${pads}]`;
  if (!Array.isArray(pads) || pads.length !== 2 * rank || pads.some((p) => !Number.isInteger(p))) {
    throw new ArgumentError(`${what}: pads must be ${2 * rank} integers (begins, then ends)`);
  }
  return shape.map((d, i) => {
    const out = d + pads[i] + pads[i + rank];
    if (out < 0) throw new ArgumentError(`${what}: axis ${i} would have ${out} elements`);
    if (mode !== 'constant' && d === 0 && out > 0) {
      throw new ArgumentError(
        `${what}: ${mode} padding of the empty axis ${i} has nothing to copy`,
      );
    }
    return out;
  });
}

/**
 * ONNX `Pad`: pads (or, with negative pads, crops) `x` (f32 or i32) in one of four modes; see
 * `shaders/nn/pad.wgsl` for each mode's rule. Reflect mode follows numpy (pads longer than the
 * axis keep reflecting; an axis of one element repeats it).
 *
 * @example
 * ```ts ignore
 * using y = pad(engine, image, { pads: [0, 0, 2, 2, 0, 0, 2, 2], mode: 'reflect' }); // NCHW
 * ```
 * @throws {ArgumentError} for bad pads, a bad mode, or a `value` tensor that is not one element
 *   of x's dtype.
 */
export function pad(engine: Engine, x: Tensor, options: PadOptions): Tensor {
  checkOperand(engine, 'pad', 'x', x, ['f32', 'i32']);
  const mode = options.mode ?? 'constant';
  const shape = padOutputShape(x.shape, options.pads, mode);
  const y = empty(engine, shape, { dtype: x.dtype, label: options.label ?? 'pad.out' });
  if (y.size === 0) return y;
  const rank = x.rank;
  let fill: GPUBuffer;
  const value = options.value ?? 0;
  if (typeof value === 'number') {
    const bits = x.dtype === 'f32' ? new Float32Array([value]) : new Int32Array([value]);
    fill = engine.constants('pad.value', bits);
  } else {
    checkOperand(engine, 'pad', 'value', value, [x.dtype]);
    if (value.size !== 1) {
      throw new ArgumentError(
        `Cannot run pad: value must hold one element, got ${formatShape(value.shape)}`,
      );
    }
    fill = value.buffer;
  }
  const geometry = new Int32Array([
    y.size,
    rank,
    ...shape,
    ...x.shape,
    ...options.pads.slice(0, rank),
  ]);
  engine.dispatch({
    code: padShader,
    label: `nn/pad.wgsl ${mode}`,
    constants: { WG: WORKGROUP_SIZE, MODE: PAD_MODES[mode] },
    bindings: [x.buffer, fill, y.buffer, engine.constants('pad.geometry', geometry)],
    workgroups: Math.ceil(y.size / WORKGROUP_SIZE),
  });
  return y;
}

/** Options for {@linkcode padBackward}. */
export interface PadBackwardOptions {
  /** Shape of the forward's `x` (the shape of the result). */
  xShape: readonly number[];
  /** The forward's pads. */
  pads: readonly number[];
  /** The forward's mode; default `constant`. */
  mode?: PadMode;
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Gradient of {@linkcode pad} with respect to `x`: the interior of `dy` (cropped positions get
 * 0), plus, in reflect/edge/wrap mode, the gradients of every padded position that copied an
 * element. Constant mode is one strided copy into zeros; the other modes take one
 * `pad_backward` dispatch per padded axis (Pad is separable: the per-axis gradients compose).
 *
 * @throws {ShapeError} when `dy` is not the forward's output shape.
 */
export function padBackward(engine: Engine, dy: Tensor, options: PadBackwardOptions): Tensor {
  checkOperand(engine, 'padBackward', 'dy', dy);
  const mode = options.mode ?? 'constant';
  const xShape = options.xShape;
  const outShape = padOutputShape(xShape, options.pads, mode);
  if (formatShape(outShape) !== formatShape(dy.shape)) {
    throw new ShapeError(
      `Cannot run padBackward: dy ${formatShape(dy.shape)} must be the pad output shape ` +
        `${formatShape(outShape)} of x ${formatShape(xShape)} with pads [${options.pads}]`,
    );
  }
  const label = options.label ?? 'padBackward.out';
  const rank = xShape.length;
  const begins = options.pads.slice(0, rank);
  if (mode === 'constant' || sizeOf(xShape) === 0) {
    const dx = empty(engine, xShape, { label, zero: true });
    // The interior: input positions whose padded position exists.
    const lo = begins.map((b) => Math.max(0, -b));
    const region = xShape.map((d, i) => Math.max(0, Math.min(d, outShape[i] - begins[i]) - lo[i]));
    const xs = stridesOf(xShape);
    const ys = stridesOf(outShape);
    stridedCopy(engine, dy, dx, {
      shape: region,
      srcBase: lo.reduce((o, l, i) => o + (l + begins[i]) * ys[i], 0),
      srcStrides: ys,
      dstBase: lo.reduce((o, l, i) => o + l * xs[i], 0),
      dstStrides: xs,
    }, 'padBackward');
    return dx;
  }
  // Undo the axes one at a time, from the padded shape back to x's.
  let current = dy.reshape(dy.shape);
  const shape = [...outShape];
  try {
    for (let axis = 0; axis < rank; axis++) {
      const after = options.pads[axis + rank];
      if (begins[axis] === 0 && after === 0) continue;
      const inLen = xShape[axis];
      const outLen = shape[axis];
      shape[axis] = inLen;
      const last = !xShape.some((_, d) =>
        d > axis && (begins[d] !== 0 || options.pads[d + rank] !== 0)
      );
      const next = empty(engine, shape, { label: last ? label : 'padBackward.partial' });
      const params = new Int32Array([
        next.size,
        outLen,
        inLen,
        sizeOf(shape.slice(axis + 1)),
        begins[axis],
        0,
        0,
        0,
      ]);
      engine.dispatch({
        code: padBackwardSource,
        label: `nn/pad_backward.wgsl ${mode} axis ${axis}`,
        constants: { WG: WORKGROUP_SIZE, MODE: PAD_MODES[mode] },
        bindings: [current.buffer, next.buffer, engine.constants('padBackward.params', params)],
        workgroups: Math.ceil(next.size / WORKGROUP_SIZE),
      });
      current.destroy();
      current = next;
    }
    return current;
  } catch (error) {
    current.destroy();
    throw error;
  }
}

/** The input position padded position `c` (shifted by the begin pad) copies, or −1 (constant). */
export function padSource(c: number, len: number, mode: PadMode): number {
  if (c >= 0 && c < len) return c;
  switch (mode) {
    case 'constant':
      return -1;
    case 'reflect': {
      if (len === 1) return 0;
      const period = 2 * (len - 1);
      const t = ((c % period) + period) % period;
      return t >= len ? period - t : t;
    }
    case 'edge':
      return Math.min(Math.max(c, 0), len - 1);
    case 'wrap':
      return ((c % len) + len) % len;
  }
}

/** f64 CPU reference of {@linkcode pad}. */
export function padReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  options: { pads: readonly number[]; mode?: PadMode; value?: number },
): { data: Float64Array; shape: number[] } {
  const mode = options.mode ?? 'constant';
  const outShape = padOutputShape(shape, options.pads, mode);
  const rank = shape.length;
  const xs = stridesOf(shape);
  const data = new Float64Array(sizeOf(outShape));
  for (let i = 0; i < data.length; i++) {
    let rest = i;
    let src = 0;
    for (let d = rank - 1; d >= 0 && src >= 0; d--) {
      const c = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      const s = padSource(c - options.pads[d], shape[d], mode);
      src = s < 0 ? -1 : src + s * xs[d];
    }
    data[i] = src < 0 ? options.value ?? 0 : x[src];
  }
  return { data, shape: outShape };
}

/**
 * f64 CPU reference of {@linkcode padBackward}: scatters every element of dy onto the input
 * element it copied. `magnitude` is Σ|dy| per element (bounds the f32 summation error).
 */
export function padBackwardReference(
  dy: ArrayLike<number>,
  xShape: readonly number[],
  options: { pads: readonly number[]; mode?: PadMode },
): { data: Float64Array; magnitude: Float64Array; terms: Float64Array } {
  const mode = options.mode ?? 'constant';
  const outShape = padOutputShape(xShape, options.pads, mode);
  const rank = xShape.length;
  const xs = stridesOf(xShape);
  const data = new Float64Array(sizeOf(xShape));
  const magnitude = new Float64Array(data.length);
  const terms = new Float64Array(data.length);
  for (let i = 0; i < dy.length; i++) {
    let rest = i;
    let src = 0;
    for (let d = rank - 1; d >= 0 && src >= 0; d--) {
      const c = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      const s = padSource(c - options.pads[d], xShape[d], mode);
      src = s < 0 ? -1 : src + s * xs[d];
    }
    if (src < 0) continue;
    data[src] += dy[i];
    magnitude[src] += Math.abs(dy[i]);
    terms[src]++;
  }
  return { data, magnitude, terms };
}
