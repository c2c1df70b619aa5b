/**
 * Max and average pooling with ONNX semantics (`MaxPool`, `AveragePool`, `GlobalMaxPool`,
 * `GlobalAveragePool`; NCHW; 1, 2 or 3 spatial axes; strides, pads, dilations, auto_pad,
 * ceil_mode, count_include_pad) on the GPU (`shaders/nn/pool.wgsl`) and their f64 CPU references.
 *
 * @module
 */

import poolSource from '../../shaders/nn/pool.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';
import {
  checkDataLength,
  checkSpatialShape,
  intList,
  type ReferenceResult,
  resolveWindows,
  toThreeAxes,
  type WindowAttributes,
  type WindowAxis,
  windowTable,
} from './conv.ts';

/** Attributes of {@linkcode maxPool} (what shape inference needs). */
export interface PoolAttributes extends WindowAttributes {
  /** Window size along each spatial axis (required, each ≥ 1). */
  kernelShape: readonly number[];
  /**
   * ONNX `ceil_mode`: round the output size up instead of down (a last window that would start
   * in the end padding is still dropped). Only with `autoPad` `NOTSET`. Default false.
   */
  ceilMode?: boolean;
}

/** Attributes of {@linkcode averagePool}. */
export interface AveragePoolAttributes extends PoolAttributes {
  /**
   * ONNX `count_include_pad`: divide by the number of taps inside the padded input rather than
   * inside the input. Default false.
   */
  countIncludePad?: boolean;
}

/** Options for {@linkcode maxPool}. */
export interface MaxPoolOptions extends PoolAttributes {
  /** Label of the output buffer. */
  label?: string;
}

/** Options for {@linkcode averagePool}. */
export interface AveragePoolOptions extends AveragePoolAttributes {
  /** Label of the output buffer. */
  label?: string;
}

/** Options for {@linkcode globalMaxPool} and {@linkcode globalAveragePool}. */
export interface GlobalPoolOptions {
  /** Label of the output buffer. */
  label?: string;
}

/** The resolved geometry of a pooling operator. */
export interface PoolPlan {
  /** Output shape [N, C, ...spatial]. */
  shape: number[];
  /** N·C: the planes pooled independently. */
  planes: number;
  /** The spatial axes, outermost first. */
  axes: WindowAxis[];
}

/** Options for {@linkcode planPool}. */
export interface PlanPoolOptions {
  /** Operator name for error messages; default `pool`. */
  op?: string;
  /**
   * Require every window to hold at least one tap inside the input (padding never wins a max,
   * and an average of nothing is undefined); default true.
   */
  requireTaps?: boolean;
}

/**
 * Resolves the geometry of a pooling of x [N, C, ...spatial] by ONNX's rules: output =
 * floor((in + padBegin + padEnd − dilation·(kernel − 1) − 1) / stride) + 1, or with `ceilMode`
 * the ceiling, dropping a last window that would start in the end padding; `SAME_*` gives
 * ceil(in / stride) (whatever `ceilMode`), the odd padding at the end (UPPER) or the beginning
 * (LOWER); `VALID` pads nothing.
 *
 * @throws {ShapeError} for a bad rank, a window that does not fit, or (with `requireTaps`) one
 * that covers only padding; {@linkcode ArgumentError} for malformed attributes.
 */
export function planPool(
  xShape: readonly number[],
  attributes: PoolAttributes,
  options: PlanPoolOptions = {},
): PoolPlan {
  const op = options.op ?? 'pool';
  const requireTaps = options.requireTaps ?? true;
  checkSpatialShape(op, 'x', xShape);
  if (attributes === null || typeof attributes !== 'object') {
    throw new ArgumentError(`Cannot run ${op}: options with kernelShape are required`);
  }
  const r = xShape.length - 2;
  if (attributes.kernelShape === undefined) {
    throw new ArgumentError(
      `Cannot run ${op}: kernelShape is required (${r} value(s) for x ${formatShape(xShape)})`,
    );
  }
  const kernel = intList(
    op,
    'kernelShape',
    attributes.kernelShape,
    r,
    1,
    1,
    `one per spatial axis of x ${formatShape(xShape)}`,
  );
  const ceilMode = attributes.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean') {
    throw new ArgumentError(`Cannot run ${op}: ceilMode must be a boolean, got ${ceilMode}`);
  }
  const axes = resolveWindows(op, xShape, kernel, attributes, ceilMode);
  if (requireTaps) {
    axes.forEach((a, i) => {
      for (let o = 0; o < a.output; o++) {
        const origin = o * a.stride - a.padBegin;
        let inside = false;
        for (let j = 0; j < a.kernel && !inside; j++) {
          const at = origin + j * a.dilation;
          inside = at >= 0 && at < a.input;
        }
        if (!inside) {
          throw new ShapeError(
            `Cannot run ${op}: window ${o} of spatial axis ${i} of x ${formatShape(xShape)} ` +
              `covers only padding (kernel ${a.kernel}, stride ${a.stride}, dilation ` +
              `${a.dilation}, pads ${a.padBegin} + ${a.padEnd})`,
          );
        }
      }
    });
  }
  return {
    shape: [xShape[0], xShape[1], ...axes.map((a) => a.output)],
    planes: xShape[0] * xShape[1],
    axes,
  };
}

/**
 * The output shape of {@linkcode maxPool} or {@linkcode averagePool}: [N, C, ...spatial]. For
 * shape inference.
 *
 * @example
 * ```ts
 * import { poolOutputShape } from './pool.ts';
 * poolOutputShape([1, 8, 7, 7], { kernelShape: [3, 3], strides: [2, 2], ceilMode: true });
 * // [1, 8, 3, 3]
 * ```
 * @throws {ShapeError} or {@linkcode ArgumentError}, as {@linkcode planPool}.
 */
export function poolOutputShape(
  xShape: readonly number[],
  attributes: AveragePoolAttributes,
): number[] {
  return planPool(xShape, attributes, { requireTaps: false }).shape;
}

/** The output shape of the global pools: [N, C, 1, ...] (x has rank 3 to 5). */
export function globalPoolOutputShape(xShape: readonly number[]): number[] {
  checkSpatialShape('globalPool', 'x', xShape);
  return [xShape[0], xShape[1], ...xShape.slice(2).map(() => 1)];
}

function dispatchPool(
  engine: Engine,
  op: string,
  x: Tensor,
  plan: PoolPlan,
  average: boolean,
  countIncludePad: boolean,
  label: string | undefined,
): Tensor {
  const y = empty(engine, plan.shape, { label: label ?? `${op}.out` });
  if (y.size === 0) return y;
  const geometry = new Int32Array([
    y.size,
    countIncludePad ? 1 : 0,
    ...windowTable(plan.axes),
    ...toThreeAxes(plan.axes).map((a) => a.padEnd),
  ]);
  engine.dispatch({
    code: poolSource,
    label: `nn/pool.wgsl ${op}`,
    constants: { WG: WORKGROUP_SIZE, OP: average ? 1 : 0 },
    bindings: [x.buffer, y.buffer, engine.constants(`${op}.geometry`, geometry)],
    workgroups: Math.ceil(y.size / WORKGROUP_SIZE),
  });
  return y;
}

/** The plan of a global pool: one window the size of the input. */
export function planGlobalPool(op: string, xShape: readonly number[]): PoolPlan {
  checkSpatialShape(op, 'x', xShape);
  if (xShape.slice(2).some((d) => d < 1)) {
    throw new ShapeError(
      `Cannot run ${op}: x ${formatShape(xShape)} has an empty spatial axis`,
    );
  }
  return planPool(xShape, { kernelShape: xShape.slice(2) }, { op, requireTaps: false });
}

/**
 * Max pooling of x [N, C, ...spatial] (1 to 3 spatial axes): ONNX `MaxPool` (first output
 * only; `storage_order` and the Indices output are not supported). Padding never wins, and a
 * NaN in a window makes that output NaN. Exact.
 *
 * @example
 * ```ts ignore
 * using y = maxPool(engine, x, { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
 * ```
 * @throws {ShapeError} for a bad shape or a window of only padding; {@linkcode ArgumentError}
 * for bad attributes. Both before anything is recorded.
 */
export function maxPool(engine: Engine, x: Tensor, options: MaxPoolOptions): Tensor {
  checkOperand(engine, 'maxPool', 'x', x);
  const plan = planPool(x.shape, options, { op: 'maxPool' });
  return dispatchPool(engine, 'maxPool', x, plan, false, false, options.label);
}

/**
 * Average pooling of x [N, C, ...spatial] (1 to 3 spatial axes): ONNX `AveragePool`. Divides by
 * the number of taps inside the input, or with `countIncludePad` inside the padded input.
 *
 * @example
 * ```ts ignore
 * using y = averagePool(engine, x, { kernelShape: [2, 2], strides: [2, 2] });
 * ```
 * @throws {ShapeError} for a bad shape or a window of only padding (without
 * `countIncludePad`); {@linkcode ArgumentError} for bad attributes.
 */
export function averagePool(engine: Engine, x: Tensor, options: AveragePoolOptions): Tensor {
  checkOperand(engine, 'averagePool', 'x', x);
  const countIncludePad = checkCountIncludePad(options);
  const plan = planPool(x.shape, options, { op: 'averagePool', requireTaps: !countIncludePad });
  return dispatchPool(engine, 'averagePool', x, plan, true, countIncludePad, options.label);
}

export function checkCountIncludePad(options: AveragePoolAttributes): boolean {
  const value = options?.countIncludePad ?? false;
  if (typeof value !== 'boolean') {
    throw new ArgumentError(
      `Cannot run averagePool: countIncludePad must be a boolean, got ${value}`,
    );
  }
  return value;
}

/** Maximum over all spatial positions: [N, C, ...] → [N, C, 1, ...]. ONNX `GlobalMaxPool`. */
export function globalMaxPool(
  engine: Engine,
  x: Tensor,
  options: GlobalPoolOptions = {},
): Tensor {
  checkOperand(engine, 'globalMaxPool', 'x', x);
  const plan = planGlobalPool('globalMaxPool', x.shape);
  return dispatchPool(engine, 'globalMaxPool', x, plan, false, false, options.label);
}

/** Mean over all spatial positions: [N, C, ...] → [N, C, 1, ...]. ONNX `GlobalAveragePool`. */
export function globalAveragePool(
  engine: Engine,
  x: Tensor,
  options: GlobalPoolOptions = {},
): Tensor {
  checkOperand(engine, 'globalAveragePool', 'x', x);
  const plan = planGlobalPool('globalAveragePool', x.shape);
  return dispatchPool(engine, 'globalAveragePool', x, plan, true, false, options.label);
}

/** Visits every window of a plan: `fn(out, taps)` with the flat input indices inside it. */
export function forEachWindow(
  plan: PoolPlan,
  fn: (out: number, taps: number[], padded: number) => void,
): void {
  const [D, H, W] = toThreeAxes(plan.axes);
  const within = (a: WindowAxis, origin: number) => {
    let count = 0;
    for (let j = 0; j < a.kernel; j++) {
      const at = origin + j * a.dilation;
      if (at >= -a.padBegin && at < a.input + a.padEnd) count++;
    }
    return count;
  };
  let out = 0;
  const taps: number[] = [];
  for (let p = 0; p < plan.planes; p++) {
    for (let od = 0; od < D.output; od++) {
      for (let oh = 0; oh < H.output; oh++) {
        for (let ow = 0; ow < W.output; ow++, out++) {
          taps.length = 0;
          const d0 = od * D.stride - D.padBegin;
          const h0 = oh * H.stride - H.padBegin;
          const w0 = ow * W.stride - W.padBegin;
          for (let kd = 0; kd < D.kernel; kd++) {
            const id = d0 + kd * D.dilation;
            if (id < 0 || id >= D.input) continue;
            for (let kh = 0; kh < H.kernel; kh++) {
              const ih = h0 + kh * H.dilation;
              if (ih < 0 || ih >= H.input) continue;
              for (let kw = 0; kw < W.kernel; kw++) {
                const iw = w0 + kw * W.dilation;
                if (iw < 0 || iw >= W.input) continue;
                taps.push(((p * D.input + id) * H.input + ih) * W.input + iw);
              }
            }
          }
          fn(out, taps, within(D, d0) * within(H, h0) * within(W, w0));
        }
      }
    }
  }
}

function maxOf(x: ArrayLike<number>, plan: PoolPlan): { data: Float64Array; shape: number[] } {
  const data = new Float64Array(sizeOf(plan.shape));
  forEachWindow(plan, (out, taps) => {
    let best = taps.length > 0 ? x[taps[0]] : 0;
    for (const t of taps) {
      const v = x[t];
      if (Number.isNaN(v)) {
        best = v;
        break;
      }
      if (v > best) best = v;
    }
    data[out] = best;
  });
  return { data, shape: plan.shape };
}

function averageOf(
  x: ArrayLike<number>,
  plan: PoolPlan,
  countIncludePad: boolean,
): ReferenceResult {
  const n = sizeOf(plan.shape);
  const data = new Float64Array(n);
  const magnitude = new Float64Array(n);
  forEachWindow(plan, (out, taps, padded) => {
    let s = 0;
    let mag = 0;
    for (const t of taps) {
      s += x[t];
      mag += Math.abs(x[t]);
    }
    const divisor = countIncludePad ? padded : taps.length;
    data[out] = s / divisor;
    magnitude[out] = mag / divisor;
  });
  return { data, shape: plan.shape, magnitude };
}

/** f64 CPU reference of {@linkcode maxPool} (a NaN in a window gives NaN). */
export function maxPoolReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  attributes: PoolAttributes,
): { data: Float64Array; shape: number[] } {
  const plan = planPool(xShape, attributes, { op: 'maxPoolReference' });
  checkDataLength('maxPoolReference', 'x', x, xShape);
  return maxOf(x, plan);
}

/**
 * f64 CPU reference of {@linkcode averagePool}. `magnitude` is Σ|x| / divisor per output, so
 * the f32 result is within (taps + 5)·2⁻²⁴·magnitude (the sum, then one division of 2.5 ulp).
 */
export function averagePoolReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  attributes: AveragePoolAttributes,
): ReferenceResult {
  const countIncludePad = checkCountIncludePad(attributes);
  const plan = planPool(xShape, attributes, {
    op: 'averagePoolReference',
    requireTaps: !countIncludePad,
  });
  checkDataLength('averagePoolReference', 'x', x, xShape);
  return averageOf(x, plan, countIncludePad);
}

/** f64 CPU reference of {@linkcode globalMaxPool}. */
export function globalMaxPoolReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
): { data: Float64Array; shape: number[] } {
  const plan = planGlobalPool('globalMaxPoolReference', xShape);
  checkDataLength('globalMaxPoolReference', 'x', x, xShape);
  return maxOf(x, plan);
}

/** f64 CPU reference of {@linkcode globalAveragePool}; `magnitude` is the mean of |x|. */
export function globalAveragePoolReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
): ReferenceResult {
  const plan = planGlobalPool('globalAveragePoolReference', xShape);
  checkDataLength('globalAveragePoolReference', 'x', x, xShape);
  return averageOf(x, plan, false);
}
