/**
 * N-D convolution with ONNX `Conv` semantics (NCHW; 1, 2 or 3 spatial axes; strides, pads,
 * dilations, auto_pad, groups, depthwise) on the GPU (`shaders/nn/conv.wgsl`) and its f64 CPU
 * reference. Also the sliding-window geometry (output sizes, auto_pad, ceil_mode) that the
 * transposed convolution and the pooling operators share.
 *
 * @module
 */

import convSource from '../../shaders/nn/conv.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/**
 * ONNX `auto_pad`: `NOTSET` uses the explicit `pads`; `VALID` pads nothing; `SAME_UPPER` and
 * `SAME_LOWER` pad so that the output has ceil(input / stride) positions, the odd extra one at
 * the end (UPPER) or at the beginning (LOWER).
 */
export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

const AUTO_PADS: readonly string[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** The most spatial axes a convolution or pooling operator takes (x has rank 3 to 5). */
export const MAX_SPATIAL_RANK = 3;

/** Sliding-window attributes shared by convolution and pooling, one value per spatial axis. */
export interface WindowAttributes {
  /** Step of the window along each spatial axis; default all 1. */
  strides?: readonly number[];
  /**
   * Zero padding, ONNX order: the beginnings of all spatial axes, then their ends
   * (`[top, left, bottom, right]` in 2-D); default all 0. Not combinable with a non-zero
   * padding and an `autoPad` other than `NOTSET`.
   */
  pads?: readonly number[];
  /** Spacing between kernel taps along each spatial axis; default all 1. */
  dilations?: readonly number[];
  /** How padding is chosen; default `NOTSET` (use `pads`). */
  autoPad?: AutoPad;
}

/** One spatial axis of a sliding-window operator, fully resolved. */
export interface WindowAxis {
  /** Input size along the axis. */
  input: number;
  /** Kernel size (taps) along the axis. */
  kernel: number;
  /** Step between windows. */
  stride: number;
  /** Spacing between taps. */
  dilation: number;
  /** Padding before the first element (negative only for a transposed convolution). */
  padBegin: number;
  /** Padding after the last element (negative only for a transposed convolution). */
  padEnd: number;
  /** Output size along the axis. */
  output: number;
}

/** Attributes of {@linkcode conv} other than the bias (what shape inference needs). */
export interface ConvAttributes extends WindowAttributes {
  /** Number of groups; C and M must both be multiples. Default 1; C makes it depthwise. */
  group?: number;
  /** ONNX `kernel_shape`: optional, and when given must equal the weight's spatial dims. */
  kernelShape?: readonly number[];
}

/** Options for {@linkcode conv}. */
export interface ConvOptions extends ConvAttributes {
  /** Per-output-channel bias, shape [M]. */
  bias?: Tensor;
  /** Label of the output buffer. */
  label?: string;
}

/** Options for {@linkcode convReference}: the attributes, and the bias as numbers. */
export interface ConvReferenceOptions extends ConvAttributes {
  /** Per-output-channel bias, M values. */
  bias?: ArrayLike<number>;
}

/** The resolved geometry of a convolution. */
export interface ConvPlan {
  /** Output shape [N, M, ...spatial]. */
  shape: number[];
  /** Batch size N. */
  batch: number;
  /** Input channels C. */
  inChannels: number;
  /** Output channels M. */
  outChannels: number;
  /** Number of groups. */
  group: number;
  /** The spatial axes, outermost first. */
  axes: WindowAxis[];
}

/** The result of an f64 CPU reference: values, shape, and Σ|terms| per output (error bound). */
export interface ReferenceResult {
  /** Output values, row-major. */
  data: Float64Array;
  /** Output shape. */
  shape: number[];
  /**
   * Per output: the sum of the absolute values of the terms added (Σ|x·w| + |bias| for a
   * convolution), which bounds the f32 rounding error: |error| ≤ (terms + 1)·2⁻²⁴·magnitude.
   */
  magnitude: Float64Array;
}

/**
 * Checks an integer-list attribute and returns it as an array (or `length` copies of `fill` when
 * absent).
 *
 * @throws {ArgumentError} naming the op, the attribute and what it must hold.
 */
export function intList(
  op: string,
  name: string,
  value: readonly number[] | undefined,
  length: number,
  fill: number,
  min: number,
  context: string,
): number[] {
  if (value === undefined) return new Array<number>(length).fill(fill);
  if (
    !Array.isArray(value) || value.length !== length ||
    value.some((v) => !Number.isInteger(v) || v < min)
  ) {
    const shown = Array.isArray(value) ? formatShape(value) : String(value);
    throw new ArgumentError(
      `Cannot run ${op}: ${name} ${shown} must be ${length} integer(s) >= ${min} (${context})`,
    );
  }
  return [...value];
}

/**
 * Throws {@linkcode ShapeError} unless `shape` is `[N, C, ...spatial]` with 1 to
 * {@linkcode MAX_SPATIAL_RANK} spatial axes.
 */
export function checkSpatialShape(op: string, name: string, shape: readonly number[]): void {
  if (shape.length < 3 || shape.length > 2 + MAX_SPATIAL_RANK) {
    throw new ShapeError(
      `Cannot run ${op}: ${name} must be [N, C, ...spatial] with 1 to ${MAX_SPATIAL_RANK} ` +
        `spatial axes (rank 3 to ${2 + MAX_SPATIAL_RANK}), current shape is ${formatShape(shape)}`,
    );
  }
}

/** Checks `autoPad` and returns it (default `NOTSET`). */
export function checkAutoPad(op: string, autoPad: AutoPad | undefined): AutoPad {
  const value = autoPad ?? 'NOTSET';
  if (!AUTO_PADS.includes(value)) {
    throw new ArgumentError(
      `Cannot run ${op}: unknown autoPad '${value}' (supported: ${AUTO_PADS.join(', ')})`,
    );
  }
  return value;
}

/**
 * Resolves the spatial axes of a sliding window over `xShape` ([N, C, ...spatial]) with kernel
 * taps `kernel` (one per spatial axis), by ONNX's rules: output =
 * floor((in + padBegin + padEnd − dilation·(kernel − 1) − 1) / stride) + 1, or with `ceilMode`
 * the ceiling, dropping a last window that would start in the end padding; `SAME_*` makes the
 * output ceil(in / stride) (`ceilMode` then has no effect); `VALID` pads nothing.
 *
 * @throws {ArgumentError} for malformed attributes; {@linkcode ShapeError} when the (dilated)
 * kernel does not fit an axis.
 */
export function resolveWindows(
  op: string,
  xShape: readonly number[],
  kernel: readonly number[],
  attributes: WindowAttributes,
  ceilMode = false,
): WindowAxis[] {
  const spatial = xShape.slice(2);
  const r = spatial.length;
  const perAxis = `one per spatial axis of x ${formatShape(xShape)}`;
  const strides = intList(op, 'strides', attributes.strides, r, 1, 1, perAxis);
  const dilations = intList(op, 'dilations', attributes.dilations, r, 1, 1, perAxis);
  const pads = intList(
    op,
    'pads',
    attributes.pads,
    2 * r,
    0,
    0,
    `the beginnings then the ends of the ${r} spatial axes of x ${formatShape(xShape)}`,
  );
  const autoPad = checkAutoPad(op, attributes.autoPad);
  if (autoPad !== 'NOTSET' && pads.some((p) => p !== 0)) {
    throw new ArgumentError(
      `Cannot run ${op}: pads ${formatShape(pads)} cannot be combined with autoPad '${autoPad}'`,
    );
  }
  return spatial.map((input, i) => {
    const stride = strides[i];
    const dilation = dilations[i];
    const extent = (kernel[i] - 1) * dilation + 1;
    let padBegin = pads[i];
    let padEnd = pads[i + r];
    let output: number;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      output = Math.ceil(input / stride);
      const total = Math.max(0, (output - 1) * stride + extent - input);
      const half = Math.floor(total / 2);
      padBegin = autoPad === 'SAME_UPPER' ? half : total - half;
      padEnd = total - padBegin;
    } else {
      const span = input + padBegin + padEnd - extent;
      if (span < 0) {
        output = 0;
      } else if (ceilMode && autoPad === 'NOTSET') {
        output = Math.ceil(span / stride) + 1;
        // A window that would start in the end padding is dropped.
        if ((output - 1) * stride >= input + padBegin) output--;
      } else {
        output = Math.floor(span / stride) + 1;
      }
    }
    if (output < 1) {
      throw new ShapeError(
        `Cannot run ${op}: spatial axis ${i} of x ${formatShape(xShape)} (size ${input}, ` +
          `padded by ${padBegin} + ${padEnd}) is smaller than the kernel's extent ${extent} ` +
          `(${kernel[i]} taps, dilation ${dilation})`,
      );
    }
    return { input, kernel: kernel[i], stride, dilation, padBegin, padEnd, output };
  });
}

const UNIT_AXIS: WindowAxis = Object.freeze({
  input: 1,
  kernel: 1,
  stride: 1,
  dilation: 1,
  padBegin: 0,
  padEnd: 0,
  output: 1,
});

/** `axes` extended with leading unit axes to exactly three, the kernels' (D, H, W). */
export function toThreeAxes(axes: readonly WindowAxis[]): WindowAxis[] {
  return [...new Array<WindowAxis>(MAX_SPATIAL_RANK - axes.length).fill(UNIT_AXIS), ...axes];
}

/**
 * The spatial part of a kernel's `geom` table: in[3], out[3], kernel[3], stride[3],
 * padBegin[3], dilation[3], each (D, H, W).
 */
export function windowTable(axes: readonly WindowAxis[]): number[] {
  const a = toThreeAxes(axes);
  const keys: (keyof WindowAxis)[] = [
    'input',
    'output',
    'kernel',
    'stride',
    'padBegin',
    'dilation',
  ];
  return keys.flatMap((key) => a.map((axis) => axis[key]));
}

/**
 * Checks what conv and convTranspose share: x's spatial shape, a weight of x's rank (laid out as
 * `layout`), a positive integer group. Returns the group.
 */
export function checkWeightAndGroup(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  layout: string,
  attributes: { group?: number },
): number {
  checkSpatialShape(op, 'x', xShape);
  if (wShape.length !== xShape.length) {
    throw new ShapeError(
      `Cannot run ${op}: weight ${formatShape(wShape)} must have the rank of x ` +
        `${formatShape(xShape)} (${xShape.length}): ${layout}`,
    );
  }
  const group = attributes.group ?? 1;
  if (!Number.isInteger(group) || group < 1) {
    throw new ArgumentError(`Cannot run ${op}: group must be a positive integer, got ${group}`);
  }
  return group;
}

/**
 * Resolves the geometry of a convolution of x [N, C, ...spatial] with weight
 * [M, C/group, ...kernel].
 *
 * @throws {ShapeError} for bad ranks, mismatched channels or a kernel that does not fit;
 * {@linkcode ArgumentError} for malformed attributes.
 */
export function planConv(
  xShape: readonly number[],
  wShape: readonly number[],
  attributes: ConvAttributes = {},
): ConvPlan {
  const op = 'conv';
  const group = checkWeightAndGroup(op, xShape, wShape, '[M, C/group, ...kernel]', attributes);
  const [N, C] = xShape;
  const [M, Cg] = wShape;
  const kernel = wShape.slice(2);
  if (Cg * group !== C) {
    throw new ShapeError(
      `Cannot run ${op}: weight ${formatShape(wShape)} expects ${Cg}·group = ${Cg * group} ` +
        `input channels, x ${formatShape(xShape)} has ${C}`,
    );
  }
  if (M % group !== 0) {
    throw new ShapeError(
      `Cannot run ${op}: weight ${formatShape(wShape)} has ${M} output channels, not a ` +
        `multiple of group = ${group}`,
    );
  }
  if (kernel.some((k) => k < 1)) {
    throw new ShapeError(`Cannot run ${op}: weight ${formatShape(wShape)} has an empty kernel`);
  }
  if (
    attributes.kernelShape !== undefined &&
    formatShape(attributes.kernelShape) !== formatShape(kernel)
  ) {
    throw new ShapeError(
      `Cannot run ${op}: kernelShape ${formatShape(attributes.kernelShape)} differs from the ` +
        `weight's spatial dims ${formatShape(kernel)} (weight ${formatShape(wShape)})`,
    );
  }
  const axes = resolveWindows(op, xShape, kernel, attributes);
  return {
    shape: [N, M, ...axes.map((a) => a.output)],
    batch: N,
    inChannels: C,
    outChannels: M,
    group,
    axes,
  };
}

/**
 * The output shape of {@linkcode conv}: [N, M, ...spatial]. For shape inference.
 *
 * @example
 * ```ts
 * import { convOutputShape } from './conv.ts';
 * convOutputShape([1, 3, 32, 32], [8, 3, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] });
 * // [1, 8, 16, 16]
 * ```
 * @throws {ShapeError} or {@linkcode ArgumentError}, as {@linkcode planConv}.
 */
export function convOutputShape(
  xShape: readonly number[],
  wShape: readonly number[],
  attributes: ConvAttributes = {},
): number[] {
  return planConv(xShape, wShape, attributes).shape;
}

/** Throws {@linkcode ShapeError} unless a bias shape is [M]. */
export function checkBiasShape(
  op: string,
  biasShape: readonly number[],
  outChannels: number,
  wShape: readonly number[],
): void {
  if (biasShape.length !== 1 || biasShape[0] !== outChannels) {
    throw new ShapeError(
      `Cannot run ${op}: bias ${formatShape(biasShape)} must be [${outChannels}], one per ` +
        `output channel of weight ${formatShape(wShape)}`,
    );
  }
}

/**
 * Convolution of x [N, C, ...spatial] with weight [M, C/group, ...kernel] (1 to 3 spatial axes),
 * plus an optional bias [M]: ONNX `Conv`. Returns a new tensor [N, M, ...outSpatial].
 *
 * @example
 * ```ts ignore
 * using y = conv(engine, x, w, { bias: b, pads: [1, 1, 1, 1], strides: [2, 2] });
 * ```
 * @throws {ShapeError} for mismatched shapes; {@linkcode ArgumentError} for bad attributes or
 * operands. Both before anything is recorded.
 */
export function conv(engine: Engine, x: Tensor, w: Tensor, options: ConvOptions = {}): Tensor {
  checkOperand(engine, 'conv', 'x', x);
  checkOperand(engine, 'conv', 'weight', w);
  const plan = planConv(x.shape, w.shape, options);
  return dispatchWindowed(engine, 'conv', convSource, 'nn/conv.wgsl', x, w, plan, options);
}

/**
 * Checks the bias, allocates the output and records the kernel of a convolution-like operator
 * (`conv`, `convTranspose`): both shaders take x, w, bias, y and the same geometry table.
 */
export function dispatchWindowed(
  engine: Engine,
  op: string,
  code: string,
  shader: string,
  x: Tensor,
  w: Tensor,
  plan: ConvPlan,
  options: { bias?: Tensor; label?: string },
): Tensor {
  const bias = options.bias;
  if (bias !== undefined) {
    checkOperand(engine, op, 'bias', bias);
    checkBiasShape(op, bias.shape, plan.outChannels, w.shape);
  }
  const y = empty(engine, plan.shape, { label: options.label ?? `${op}.out` });
  if (y.size === 0) return y;
  const C = plan.inChannels;
  const M = plan.outChannels;
  const geometry = new Int32Array([
    y.size,
    C,
    M,
    C / plan.group,
    M / plan.group,
    bias ? 1 : 0,
    ...windowTable(plan.axes),
  ]);
  engine.dispatch({
    code,
    label: shader,
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      x.buffer,
      w.buffer,
      (bias ?? w).buffer,
      y.buffer,
      engine.constants(`${op}.geometry`, geometry),
    ],
    workgroups: Math.ceil(y.size / WORKGROUP_SIZE),
  });
  return y;
}

/** Throws {@linkcode ShapeError} unless `data` holds `sizeOf(shape)` values. */
export function checkDataLength(
  op: string,
  name: string,
  data: ArrayLike<number>,
  shape: readonly number[],
): void {
  if (data.length !== sizeOf(shape)) {
    throw new ShapeError(
      `Cannot run ${op}: ${name} has ${data.length} values, shape ${formatShape(shape)} holds ` +
        `${sizeOf(shape)}`,
    );
  }
}

/**
 * f64 CPU reference of {@linkcode conv}. `magnitude` is Σ|x·w| + |bias| per output, so the f32
 * result of any summation order is within (Cg·kernel taps + 1)·2⁻²⁴·magnitude.
 */
export function convReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  w: ArrayLike<number>,
  wShape: readonly number[],
  options: ConvReferenceOptions = {},
): ReferenceResult {
  const plan = planConv(xShape, wShape, options);
  checkDataLength('convReference', 'x', x, xShape);
  checkDataLength('convReference', 'weight', w, wShape);
  const bias = options.bias;
  if (bias !== undefined) checkDataLength('convReference', 'bias', bias, [plan.outChannels]);
  const [D, H, W] = toThreeAxes(plan.axes);
  const C = plan.inChannels;
  const M = plan.outChannels;
  const Cg = C / plan.group;
  const Mg = M / plan.group;
  const n = sizeOf(plan.shape);
  const data = new Float64Array(n);
  const magnitude = new Float64Array(n);
  let at = 0;
  for (let b = 0; b < plan.batch; b++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let od = 0; od < D.output; od++) {
        for (let oh = 0; oh < H.output; oh++) {
          for (let ow = 0; ow < W.output; ow++, at++) {
            let s = bias ? bias[m] : 0;
            let mag = Math.abs(s);
            for (let c = 0; c < Cg; c++) {
              for (let kd = 0; kd < D.kernel; kd++) {
                const id = od * D.stride - D.padBegin + kd * D.dilation;
                if (id < 0 || id >= D.input) continue;
                for (let kh = 0; kh < H.kernel; kh++) {
                  const ih = oh * H.stride - H.padBegin + kh * H.dilation;
                  if (ih < 0 || ih >= H.input) continue;
                  for (let kw = 0; kw < W.kernel; kw++) {
                    const iw = ow * W.stride - W.padBegin + kw * W.dilation;
                    if (iw < 0 || iw >= W.input) continue;
                    const xv =
                      x[(((b * C + g * Cg + c) * D.input + id) * H.input + ih) * W.input + iw];
                    const wv = w[(((m * Cg + c) * D.kernel + kd) * H.kernel + kh) * W.kernel + kw];
                    s += xv * wv;
                    mag += Math.abs(xv * wv);
                  }
                }
              }
            }
            data[at] = s;
            magnitude[at] = mag;
          }
        }
      }
    }
  }
  return { data, shape: plan.shape, magnitude };
}
