/**
 * Backward (vector-Jacobian products) of ONNX `Conv`: the gradients with respect to the input
 * (`shaders/nn/conv_backward_data.wgsl`), the weight (`shaders/nn/conv_backward_weight.wgsl`)
 * and the bias (a sum of `dy` over batch and space, by the reduce kernels), for every geometry
 * {@linkcode planConv} accepts (1 to 3 spatial axes, strides, dilations, pads, auto_pad, groups);
 * and their f64 CPU references. Both kernels gather (each output element sums its own terms),
 * so no float atomics are needed and results do not depend on scheduling.
 *
 * @module
 */

import dataSource from '../../shaders/nn/conv_backward_data.wgsl' with { type: 'text' };
import weightSource from '../../shaders/nn/conv_backward_weight.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, type Tensor, validateShape } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';
import {
  checkDataLength,
  checkSpatialShape,
  type ConvAttributes,
  type ConvPlan,
  planConv,
  type ReferenceResult,
  toThreeAxes,
  windowTable,
} from './conv.ts';
import { sum } from './reduce.ts';

/** Options for {@linkcode convBackwardData}: the forward's attributes and x's shape. */
export interface ConvBackwardDataOptions extends ConvAttributes {
  /** Shape of the forward input x, [N, C, ...spatial] (the shape of the result). */
  xShape: readonly number[];
  /** Label of the output buffer. */
  label?: string;
}

/** Options for {@linkcode convBackwardWeight}: the forward's attributes and w's shape. */
export interface ConvBackwardWeightOptions extends ConvAttributes {
  /** Shape of the forward weight, [M, C/group, ...kernel] (the shape of the result). */
  wShape: readonly number[];
  /** Label of the output buffer. */
  label?: string;
  /**
   * Most partial sums of dW kept at once (each of the weight's size); more spans of output
   * positions are added in further rounds. Default: as many as fit in 4M elements. For tests.
   */
  maxPartials?: number;
}

/**
 * Output positions (batch included) one invocation of the weight kernel sums at most. Small
 * enough that no invocation loops long (lavapipe has returned zeros for ~10⁵-step loops), large
 * enough that few partials are left to sum.
 */
const WEIGHT_SPAN = 2048;
/** Most partial sums of dW kept at once (elements, 16 MiB); further spans are added in rounds. */
const WEIGHT_PARTIALS_LIMIT = 1 << 22;

/** Throws {@linkcode ShapeError} unless `dyShape` is the forward's output shape. */
function checkDy(op: string, dyShape: readonly number[], plan: ConvPlan, what: string): void {
  if (formatShape(dyShape) !== formatShape(plan.shape)) {
    throw new ShapeError(
      `Cannot run ${op}: dy ${formatShape(dyShape)} must be the conv output shape ` +
        `${formatShape(plan.shape)} of ${what}`,
    );
  }
}

/**
 * Gradient of {@linkcode conv} with respect to x: dx[n, c, i] = Σ dy[n, m, o]·w[m, c', k] over
 * the (m, o, k) whose window tap lands on i. Positions that no window covers get 0. Returns a new
 * tensor of shape `options.xShape`.
 *
 * @example
 * ```ts ignore
 * using dx = convBackwardData(engine, dy, w, { xShape: x.shape, strides: [2, 2], pads: [1, 1, 1, 1] });
 * ```
 * @throws {ShapeError} when dy is not the conv output shape of xShape and w, or for shapes
 * {@linkcode planConv} rejects; {@linkcode ArgumentError} for bad attributes or operands. Both
 * before anything is recorded.
 */
export function convBackwardData(
  engine: Engine,
  dy: Tensor,
  w: Tensor,
  options: ConvBackwardDataOptions,
): Tensor {
  const op = 'convBackwardData';
  checkOperand(engine, op, 'dy', dy);
  checkOperand(engine, op, 'weight', w);
  validateShape(options?.xShape, `run ${op} (xShape)`);
  const plan = planConv(options.xShape, w.shape, options);
  checkDy(
    op,
    dy.shape,
    plan,
    `x ${formatShape(options.xShape)} and weight ${formatShape(w.shape)}`,
  );
  const label = options.label ?? `${op}.out`;
  // No output channels (M = 0): nothing flows back, dx is zero.
  if (dy.size === 0) return empty(engine, options.xShape, { label, zero: true });
  const dx = empty(engine, options.xShape, { label });
  const C = plan.inChannels;
  const M = plan.outChannels;
  const geometry = new Int32Array([
    dx.size,
    C,
    M,
    C / plan.group,
    M / plan.group,
    ...windowTable(plan.axes),
  ]);
  engine.dispatch({
    code: dataSource,
    label: 'nn/conv_backward_data.wgsl',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [dy.buffer, w.buffer, dx.buffer, engine.constants(`${op}.geometry`, geometry)],
    workgroups: Math.ceil(dx.size / WORKGROUP_SIZE),
  });
  return dx;
}

/**
 * Gradient of {@linkcode conv} with respect to the weight: dW[m, c, k] = Σ_n Σ_o dy[n, m, o]·
 * x[n, g·Cg + c, o·stride − pad + k·dilation]. The (n, o) pairs are split into spans of at most
 * 2048, summed by separate invocations into partials, which the reduce kernel then adds up.
 * Returns a new tensor of shape `options.wShape`.
 *
 * @example
 * ```ts ignore
 * using dw = convBackwardWeight(engine, x, dy, { wShape: w.shape, pads: [1, 1, 1, 1] });
 * ```
 * @throws {ShapeError} or {@linkcode ArgumentError}, as {@linkcode convBackwardData}.
 */
export function convBackwardWeight(
  engine: Engine,
  x: Tensor,
  dy: Tensor,
  options: ConvBackwardWeightOptions,
): Tensor {
  const op = 'convBackwardWeight';
  checkOperand(engine, op, 'x', x);
  checkOperand(engine, op, 'dy', dy);
  validateShape(options?.wShape, `run ${op} (wShape)`);
  const wShape = options.wShape;
  const plan = planConv(x.shape, wShape, options);
  checkDy(op, dy.shape, plan, `x ${formatShape(x.shape)} and weight ${formatShape(wShape)}`);
  const label = options.label ?? `${op}.out`;
  const wSize = sizeOf(wShape);
  const positions = dy.size / Math.max(1, plan.outChannels);
  if (wSize === 0 || positions === 0) return empty(engine, wShape, { label, zero: true });
  const spans = Math.ceil(positions / WEIGHT_SPAN);
  const limit = options.maxPartials ?? Math.floor(WEIGHT_PARTIALS_LIMIT / wSize);
  const partials = Math.min(spans, Math.max(1, Math.floor(limit)));
  const partial = partials === 1
    ? empty(engine, wShape, { label })
    : empty(engine, [partials, wSize], { label: `${op}.partials` });
  const C = plan.inChannels;
  const M = plan.outChannels;
  for (let first = 0; first < spans; first += partials) {
    const geometry = new Int32Array([
      wSize,
      C,
      M,
      C / plan.group,
      M / plan.group,
      partials,
      positions,
      WEIGHT_SPAN,
      first,
      first > 0 ? 1 : 0,
      ...windowTable(plan.axes),
    ]);
    engine.dispatch({
      code: weightSource,
      label: 'nn/conv_backward_weight.wgsl',
      constants: { WG: WORKGROUP_SIZE },
      bindings: [
        x.buffer,
        dy.buffer,
        partial.buffer,
        engine.constants(`${op}.geometry`, geometry),
      ],
      workgroups: Math.ceil((wSize * partials) / WORKGROUP_SIZE),
    });
  }
  if (partials === 1) return partial;
  using summed = sum(engine, partial, { axis: 0, label });
  partial.destroy();
  return summed.reshape(wShape);
}

/**
 * Gradient of {@linkcode conv} with respect to the bias: db[m] = Σ_n Σ_o dy[n, m, o], for dy
 * [N, M, ...spatial]. Two passes of the reduce kernel (over space, then over the batch).
 *
 * @throws {ShapeError} unless dy has rank 3 to 5; {@linkcode ArgumentError} for a bad operand.
 */
export function convBackwardBias(
  engine: Engine,
  dy: Tensor,
  options: { label?: string } = {},
): Tensor {
  const op = 'convBackwardBias';
  checkOperand(engine, op, 'dy', dy);
  checkSpatialShape(op, 'dy', dy.shape);
  const [N, M] = dy.shape;
  const label = options.label ?? `${op}.out`;
  using planes = dy.reshape([N, M, sizeOf(dy.shape.slice(2))]);
  using perImage = sum(engine, planes, { axis: 2, label: `${op}.perImage` });
  return sum(engine, perImage, { axis: 0, label });
}

/** Options for {@linkcode convBackwardDataReference}. */
export interface ConvBackwardDataReferenceOptions extends ConvAttributes {
  /** Shape of the forward input x. */
  xShape: readonly number[];
}

/** Options for {@linkcode convBackwardWeightReference}. */
export interface ConvBackwardWeightReferenceOptions extends ConvAttributes {
  /** Shape of the forward weight. */
  wShape: readonly number[];
}

/**
 * Calls `fn(xAt, wAt, yAt)` for every product x[xAt]·w[wAt] that the forward convolution adds
 * into y[yAt]: the one loop nest all three references share with {@linkcode convReference}.
 */
function forEachTerm(
  plan: ConvPlan,
  fn: (xAt: number, wAt: number, yAt: number) => void,
): void {
  const [D, H, W] = toThreeAxes(plan.axes);
  const C = plan.inChannels;
  const M = plan.outChannels;
  const Cg = C / plan.group;
  const Mg = M / plan.group;
  let yAt = 0;
  for (let b = 0; b < plan.batch; b++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let od = 0; od < D.output; od++) {
        for (let oh = 0; oh < H.output; oh++) {
          for (let ow = 0; ow < W.output; ow++, yAt++) {
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
                    fn(
                      (((b * C + g * Cg + c) * D.input + id) * H.input + ih) * W.input + iw,
                      (((m * Cg + c) * D.kernel + kd) * H.kernel + kh) * W.kernel + kw,
                      yAt,
                    );
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * f64 CPU reference of {@linkcode convBackwardData}. `magnitude` is Σ|dy·w| per element of dx,
 * so an f32 result summed in any order is within (terms + 1)·2⁻²⁴·magnitude, terms ≤
 * (M/group)·kernel taps.
 */
export function convBackwardDataReference(
  dy: ArrayLike<number>,
  dyShape: readonly number[],
  w: ArrayLike<number>,
  wShape: readonly number[],
  options: ConvBackwardDataReferenceOptions,
): ReferenceResult {
  const op = 'convBackwardDataReference';
  const plan = planConv(options.xShape, wShape, options);
  checkDy(op, dyShape, plan, `x ${formatShape(options.xShape)}`);
  checkDataLength(op, 'dy', dy, dyShape);
  checkDataLength(op, 'weight', w, wShape);
  const data = new Float64Array(sizeOf(options.xShape));
  const magnitude = new Float64Array(data.length);
  forEachTerm(plan, (xAt, wAt, yAt) => {
    const t = dy[yAt] * w[wAt];
    data[xAt] += t;
    magnitude[xAt] += Math.abs(t);
  });
  return { data, shape: [...options.xShape], magnitude };
}

/**
 * f64 CPU reference of {@linkcode convBackwardWeight}. `magnitude` is Σ|dy·x| per element of
 * dW (terms ≤ N·output positions).
 */
export function convBackwardWeightReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  dy: ArrayLike<number>,
  dyShape: readonly number[],
  options: ConvBackwardWeightReferenceOptions,
): ReferenceResult {
  const op = 'convBackwardWeightReference';
  const plan = planConv(xShape, options.wShape, options);
  checkDy(op, dyShape, plan, `x ${formatShape(xShape)}`);
  checkDataLength(op, 'x', x, xShape);
  checkDataLength(op, 'dy', dy, dyShape);
  const data = new Float64Array(sizeOf(options.wShape));
  const magnitude = new Float64Array(data.length);
  forEachTerm(plan, (xAt, wAt, yAt) => {
    const t = dy[yAt] * x[xAt];
    data[wAt] += t;
    magnitude[wAt] += Math.abs(t);
  });
  return { data, shape: [...options.wShape], magnitude };
}

/** f64 CPU reference of {@linkcode convBackwardBias}; `magnitude` is Σ|dy| per channel. */
export function convBackwardBiasReference(
  dy: ArrayLike<number>,
  dyShape: readonly number[],
): ReferenceResult {
  const op = 'convBackwardBiasReference';
  checkSpatialShape(op, 'dy', dyShape);
  checkDataLength(op, 'dy', dy, dyShape);
  const [N, M] = dyShape;
  const plane = sizeOf(dyShape.slice(2));
  const data = new Float64Array(M);
  const magnitude = new Float64Array(M);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      for (let j = 0; j < plane; j++) {
        const v = dy[(n * M + m) * plane + j];
        data[m] += v;
        magnitude[m] += Math.abs(v);
      }
    }
  }
  return { data, shape: [M], magnitude };
}
