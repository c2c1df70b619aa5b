/**
 * Transposed convolution with ONNX `ConvTranspose` semantics (NCHW; 1, 2 or 3 spatial axes;
 * strides, pads, dilations, groups, output_padding, output_shape, auto_pad) on the GPU
 * (`shaders/nn/conv_transpose.wgsl`) and its f64 CPU reference.
 *
 * @module
 */

import convTransposeSource from '../../shaders/nn/conv_transpose.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { formatShape, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand } from './common.ts';
import {
  checkAutoPad,
  checkDataLength,
  checkWeightAndGroup,
  type ConvAttributes,
  type ConvPlan,
  dispatchWindowed,
  intList,
  type ReferenceResult,
  toThreeAxes,
  type WindowAxis,
} from './conv.ts';

/** Attributes of {@linkcode convTranspose} other than the bias (what shape inference needs). */
export interface ConvTransposeAttributes extends ConvAttributes {
  /**
   * Extra output positions at the end of each spatial axis (each less than its stride or its
   * dilation); default all 0. With `outputShape` it only enters the padding computation.
   */
  outputPadding?: readonly number[];
  /**
   * The spatial output shape (or the full [N, M, ...spatial] shape). When given, `pads` is
   * ignored and the padding is derived from it as the ONNX spec says: total = stride·(in − 1) +
   * outputPadding + (kernel − 1)·dilation + 1 − outputShape, split floor(total/2) at the
   * beginning for `SAME_UPPER`, at the end otherwise (the rest on the other side).
   */
  outputShape?: readonly number[];
}

/** Options for {@linkcode convTranspose}. */
export interface ConvTransposeOptions extends ConvTransposeAttributes {
  /** Per-output-channel bias, shape [M]. */
  bias?: Tensor;
  /** Label of the output buffer. */
  label?: string;
}

/** Options for {@linkcode convTransposeReference}: the attributes, and the bias as numbers. */
export interface ConvTransposeReferenceOptions extends ConvTransposeAttributes {
  /** Per-output-channel bias, M values. */
  bias?: ArrayLike<number>;
}

/**
 * Resolves the geometry of a transposed convolution of x [N, C, ...spatial] with weight
 * [C, M/group, ...kernel]. Per axis, without `outputShape`: out = stride·(in − 1) +
 * outputPadding + (kernel − 1)·dilation + 1 − padBegin − padEnd, where `SAME_*` chooses the pads
 * that make out = in·stride and `VALID` pads nothing. Derived pads may be negative (the output
 * then has positions no input reaches: they hold the bias).
 *
 * @throws {ShapeError} for bad ranks, mismatched channels or an empty output;
 * {@linkcode ArgumentError} for malformed attributes.
 */
export function planConvTranspose(
  xShape: readonly number[],
  wShape: readonly number[],
  attributes: ConvTransposeAttributes = {},
): ConvPlan {
  const op = 'convTranspose';
  const group = checkWeightAndGroup(op, xShape, wShape, '[C, M/group, ...kernel]', attributes);
  const [N, C] = xShape;
  const [Cw, Mg] = wShape;
  const kernel = wShape.slice(2);
  if (Cw !== C) {
    throw new ShapeError(
      `Cannot run ${op}: weight ${formatShape(wShape)} expects ${Cw} input channels ` +
        `([C, M/group, ...kernel]), x ${formatShape(xShape)} has ${C}`,
    );
  }
  if (C % group !== 0) {
    throw new ShapeError(
      `Cannot run ${op}: x ${formatShape(xShape)} has ${C} channels, not a multiple of ` +
        `group = ${group}`,
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
  const M = Mg * group;
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
  const outputPadding = intList(op, 'outputPadding', attributes.outputPadding, r, 0, 0, perAxis);
  const autoPad = checkAutoPad(op, attributes.autoPad);
  outputPadding.forEach((p, i) => {
    if (p >= strides[i] && p >= dilations[i]) {
      throw new ArgumentError(
        `Cannot run ${op}: outputPadding ${formatShape(outputPadding)} must be less than the ` +
          `stride or the dilation on each axis (axis ${i}: stride ${strides[i]}, dilation ` +
          `${dilations[i]})`,
      );
    }
  });
  let outputShape: number[] | undefined;
  if (attributes.outputShape !== undefined) {
    const given = attributes.outputShape;
    const full = Array.isArray(given) && given.length === r + 2;
    outputShape = intList(
      op,
      'outputShape',
      full ? given.slice(2) : given,
      r,
      0,
      1,
      `the spatial output shape, one per spatial axis of x ${formatShape(xShape)}`,
    );
    if (full && (given[0] !== N || given[1] !== M)) {
      throw new ShapeError(
        `Cannot run ${op}: outputShape ${formatShape(given)} disagrees with [N, M] = ` +
          `[${N}, ${M}] of x ${formatShape(xShape)} and weight ${formatShape(wShape)}`,
      );
    }
  } else if (autoPad !== 'NOTSET' && pads.some((p) => p !== 0)) {
    throw new ArgumentError(
      `Cannot run ${op}: pads ${formatShape(pads)} cannot be combined with autoPad '${autoPad}'`,
    );
  }
  const axes: WindowAxis[] = spatial.map((input, i) => {
    const stride = strides[i];
    const dilation = dilations[i];
    const full = stride * (input - 1) + outputPadding[i] + (kernel[i] - 1) * dilation + 1;
    let padBegin = pads[i];
    let padEnd = pads[i + r];
    let output = full - padBegin - padEnd;
    const target = outputShape?.[i] ??
      (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' ? input * stride : undefined);
    if (target !== undefined) {
      const total = full - target;
      const half = Math.floor(total / 2);
      padBegin = autoPad === 'SAME_UPPER' ? half : total - half;
      padEnd = total - padBegin;
      output = target;
    } else if (autoPad === 'VALID') {
      padBegin = 0;
      padEnd = 0;
      output = full;
    }
    if (output < 1) {
      throw new ShapeError(
        `Cannot run ${op}: spatial axis ${i} of x ${formatShape(xShape)} (size ${input}) ` +
          `gives an empty output: ${full} positions before padding, pads ${padBegin} + ${padEnd}`,
      );
    }
    return { input, kernel: kernel[i], stride, dilation, padBegin, padEnd, output };
  });
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
 * The output shape of {@linkcode convTranspose}: [N, M, ...spatial] with M = weight[1]·group.
 * For shape inference.
 *
 * @example
 * ```ts
 * import { convTransposeOutputShape } from './conv_transpose.ts';
 * convTransposeOutputShape([1, 8, 16, 16], [8, 3, 4, 4], { strides: [2, 2], pads: [1, 1, 1, 1] });
 * // [1, 3, 32, 32]
 * ```
 * @throws {ShapeError} or {@linkcode ArgumentError}, as {@linkcode planConvTranspose}.
 */
export function convTransposeOutputShape(
  xShape: readonly number[],
  wShape: readonly number[],
  attributes: ConvTransposeAttributes = {},
): number[] {
  return planConvTranspose(xShape, wShape, attributes).shape;
}

/**
 * Transposed convolution (the gradient of {@linkcode conv} with respect to its input, plus an
 * optional bias) of x [N, C, ...spatial] with weight [C, M/group, ...kernel]: ONNX
 * `ConvTranspose`. Returns a new tensor [N, M, ...outSpatial].
 *
 * @example
 * ```ts ignore
 * using up = convTranspose(engine, x, w, { strides: [2, 2], pads: [1, 1, 1, 1] });
 * ```
 * @throws {ShapeError} for mismatched shapes; {@linkcode ArgumentError} for bad attributes or
 * operands. Both before anything is recorded.
 */
export function convTranspose(
  engine: Engine,
  x: Tensor,
  w: Tensor,
  options: ConvTransposeOptions = {},
): Tensor {
  checkOperand(engine, 'convTranspose', 'x', x);
  checkOperand(engine, 'convTranspose', 'weight', w);
  const plan = planConvTranspose(x.shape, w.shape, options);
  return dispatchWindowed(
    engine,
    'convTranspose',
    convTransposeSource,
    'nn/conv_transpose.wgsl',
    x,
    w,
    plan,
    options,
  );
}

/**
 * f64 CPU reference of {@linkcode convTranspose}, computed as a scatter (each input element
 * times each tap, added where it lands), independently of the GPU's gather. `magnitude` is
 * Σ|x·w| + |bias| per output.
 */
export function convTransposeReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  w: ArrayLike<number>,
  wShape: readonly number[],
  options: ConvTransposeReferenceOptions = {},
): ReferenceResult {
  const plan = planConvTranspose(xShape, wShape, options);
  checkDataLength('convTransposeReference', 'x', x, xShape);
  checkDataLength('convTransposeReference', 'weight', w, wShape);
  const bias = options.bias;
  if (bias !== undefined) {
    checkDataLength('convTransposeReference', 'bias', bias, [plan.outChannels]);
  }
  const [D, H, W] = toThreeAxes(plan.axes);
  const C = plan.inChannels;
  const M = plan.outChannels;
  const Cg = C / plan.group;
  const Mg = M / plan.group;
  const n = sizeOf(plan.shape);
  const data = new Float64Array(n);
  const magnitude = new Float64Array(n);
  const plane = D.output * H.output * W.output;
  for (let b = 0; b < plan.batch; b++) {
    for (let m = 0; m < M; m++) {
      const start = (b * M + m) * plane;
      const v = bias ? bias[m] : 0;
      data.fill(v, start, start + plane);
      magnitude.fill(Math.abs(v), start, start + plane);
    }
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / Cg);
      for (let id = 0; id < D.input; id++) {
        for (let ih = 0; ih < H.input; ih++) {
          for (let iw = 0; iw < W.input; iw++) {
            const xv = x[(((b * C + c) * D.input + id) * H.input + ih) * W.input + iw];
            for (let mg = 0; mg < Mg; mg++) {
              const m = g * Mg + mg;
              for (let kd = 0; kd < D.kernel; kd++) {
                const od = id * D.stride - D.padBegin + kd * D.dilation;
                if (od < 0 || od >= D.output) continue;
                for (let kh = 0; kh < H.kernel; kh++) {
                  const oh = ih * H.stride - H.padBegin + kh * H.dilation;
                  if (oh < 0 || oh >= H.output) continue;
                  for (let kw = 0; kw < W.kernel; kw++) {
                    const ow = iw * W.stride - W.padBegin + kw * W.dilation;
                    if (ow < 0 || ow >= W.output) continue;
                    const wv = w[(((c * Mg + mg) * D.kernel + kd) * H.kernel + kh) * W.kernel + kw];
                    const at = (((b * M + m) * D.output + od) * H.output + oh) * W.output + ow;
                    data[at] += xv * wv;
                    magnitude[at] += Math.abs(xv * wv);
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return { data, shape: plan.shape, magnitude };
}
