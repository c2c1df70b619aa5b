/**
 * ONNX `LayerNormalization` on the GPU (`shaders/nn/layer_norm.wgsl`): normalizes over the
 * trailing axes from `axis`, then scales and shifts; and its f64 CPU reference.
 *
 * @module
 */

import layerNormSource from '../../shaders/nn/layer_norm.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { broadcastShapes, broadcastStrides, checkOperand, WORKGROUP_SIZE } from './common.ts';
import { expand } from './expand.ts';

/** Options for {@linkcode layerNormalization}. */
export interface LayerNormOptions {
  /** First normalized axis; the axes from it to the last are normalized. Default -1. */
  axis?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  epsilon?: number;
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Validates the geometry of a layer normalization: returns the normalized axis, the row count,
 * the row length and the normalized shape.
 *
 * @throws {ArgumentError} for a scalar x, a bad axis or epsilon; {@linkcode ShapeError} when
 *   scale or bias does not broadcast to the normalized shape `xShape[axis:]`.
 */
export function planLayerNorm(
  xShape: readonly number[],
  scaleShape: readonly number[],
  biasShape: readonly number[] | undefined,
  options: Pick<LayerNormOptions, 'axis' | 'epsilon'> = {},
): { axis: number; rows: number; len: number; normShape: number[] } {
  const what = `run layerNormalization on x ${formatShape(xShape)}`;
  if (xShape.length === 0) throw new ArgumentError(`Cannot ${what}: x must have rank >= 1`);
  const axis = normalizeAxis(options.axis ?? -1, xShape.length, what);
  const epsilon = options.epsilon ?? 1e-5;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    throw new ArgumentError(`Cannot ${what}: epsilon must be finite and >= 0, got ${epsilon}`);
  }
  const normShape = xShape.slice(axis);
  for (const [name, shape] of [['scale', scaleShape], ['bias', biasShape]] as const) {
    if (!shape) continue;
    let ok = false;
    try {
      const b = broadcastShapes(shape, normShape, 'layerNormalization');
      ok = sizeOf(b) === sizeOf(normShape) &&
        b.slice(b.length - normShape.length).every((d, i) => d === normShape[i]);
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new ShapeError(
        `Cannot ${what} from axis ${axis}: ${name} ${formatShape(shape)} does not broadcast to ` +
          `the normalized shape ${formatShape(normShape)}`,
      );
    }
  }
  return {
    axis,
    rows: sizeOf(xShape.slice(0, axis)),
    len: sizeOf(normShape),
    normShape,
  };
}

/**
 * ONNX `LayerNormalization` (f32): for each row `x[i, ...]` over the axes from `axis` on,
 * `y = (x − mean) / sqrt(var + epsilon) · scale + bias`, with the biased variance. `scale` and
 * `bias` (optional) broadcast to `x.shape[axis:]`. One workgroup per row; the mean and variance
 * are two separate passes (stable for rows far from zero).
 *
 * @example
 * ```ts ignore
 * using h = layerNormalization(engine, x, gamma, beta); // x [batch, seq, d], gamma/beta [d]
 * ```
 * @throws {ShapeError} when scale or bias does not broadcast to the normalized shape;
 *   {@linkcode ArgumentError} for non-f32 operands, a scalar x, a bad axis or epsilon.
 */
export function layerNormalization(
  engine: Engine,
  x: Tensor,
  scale: Tensor,
  bias?: Tensor,
  options: LayerNormOptions = {},
): Tensor {
  const name = 'layerNormalization';
  checkOperand(engine, name, 'x', x);
  checkOperand(engine, name, 'scale', scale);
  if (bias !== undefined) checkOperand(engine, name, 'bias', bias);
  const plan = planLayerNorm(x.shape, scale.shape, bias?.shape, options);
  const y = empty(engine, x.shape, { label: options.label ?? `${name}.out` });
  if (y.size === 0) return y;
  // Broadcast scale and bias to one value per row element, unless they already are.
  const full = (t: Tensor) => (t.size === plan.len ? null : expand(engine, t, plan.normShape));
  const fullScale = full(scale);
  const fullBias = bias ? full(bias) : null;
  const params = new ArrayBuffer(16);
  new Uint32Array(params, 0, 2).set([plan.rows, plan.len]);
  new Float32Array(params, 8, 1)[0] = options.epsilon ?? 1e-5;
  const scaleBuffer = (fullScale ?? scale).buffer;
  engine.dispatch({
    code: layerNormSource,
    label: `nn/layer_norm.wgsl`,
    constants: { WG: WORKGROUP_SIZE, HAS_BIAS: bias ? 1 : 0 },
    bindings: [
      x.buffer,
      scaleBuffer,
      bias ? (fullBias ?? bias).buffer : scaleBuffer,
      y.buffer,
      engine.constants(`${name}.params`, new Uint32Array(params)),
    ],
    workgroups: plan.rows,
  });
  fullScale?.destroy();
  fullBias?.destroy();
  return y;
}

/** Inputs of {@linkcode layerNormalizationReference} besides x. */
export interface LayerNormReferenceInputs extends Pick<LayerNormOptions, 'axis' | 'epsilon'> {
  /** Scale values, row-major. */
  scale: ArrayLike<number>;
  /** Shape of `scale`; default the normalized shape. */
  scaleShape?: readonly number[];
  /** Bias values, row-major; absent means 0. */
  bias?: ArrayLike<number>;
  /** Shape of `bias`; default the normalized shape. */
  biasShape?: readonly number[];
}

/**
 * f64 CPU reference of {@linkcode layerNormalization}. Also returns each row's `mean` and
 * `invStdDev` (ONNX's optional outputs), from which tests bound the f32 error.
 */
export function layerNormalizationReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  inputs: LayerNormReferenceInputs,
): { data: Float64Array; mean: Float64Array; invStdDev: Float64Array } {
  const axis = normalizeAxis(inputs.axis ?? -1, shape.length, 'run layerNormalizationReference');
  const normShape = shape.slice(axis);
  const scaleShape = inputs.scaleShape ?? normShape;
  const biasShape = inputs.biasShape ?? normShape;
  const plan = planLayerNorm(shape, scaleShape, inputs.bias ? biasShape : undefined, inputs);
  const epsilon = inputs.epsilon ?? 1e-5;
  const { rows, len } = plan;
  // Element l of the row reads scale at the broadcast offset.
  const rank = normShape.length;
  const rowStrides = stridesOf(normShape);
  const offsets = (s: readonly number[]) => {
    const strides = broadcastStrides(s.slice(Math.max(0, s.length - rank)), rank);
    return Array.from(
      { length: len },
      (_, l) =>
        rowStrides.reduce((at, st, d) => at + Math.floor(l / st) % normShape[d] * strides[d], 0),
    );
  };
  const scaleAt = offsets(scaleShape);
  const biasAt = offsets(biasShape);
  const data = new Float64Array(rows * len);
  const mean = new Float64Array(rows);
  const invStdDev = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let l = 0; l < len; l++) m += x[r * len + l];
    m /= len;
    let v = 0;
    for (let l = 0; l < len; l++) v += (x[r * len + l] - m) ** 2;
    v /= len;
    const inv = 1 / Math.sqrt(v + epsilon);
    mean[r] = m;
    invStdDev[r] = inv;
    for (let l = 0; l < len; l++) {
      const b = inputs.bias ? inputs.bias[biasAt[l]] : 0;
      data[r * len + l] = (x[r * len + l] - m) * inv * inputs.scale[scaleAt[l]] + b;
    }
  }
  return { data, mean, invStdDev };
}
