/**
 * Backward (vector-Jacobian product) of ONNX `LayerNormalization` on the GPU
 * (`shaders/nn/layer_norm_backward.wgsl`): the gradients of x, scale and bias, and their f64 CPU
 * reference.
 *
 * @module
 */

import layerNormBackwardSource from '../../shaders/nn/layer_norm_backward.wgsl' with {
  type: 'text',
};
import { type Engine, TENSOR_USAGE } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { broadcastStrides, checkOperand, WORKGROUP_SIZE } from './common.ts';
import { expand } from './expand.ts';
import { type LayerNormOptions, planLayerNorm } from './layer_norm.ts';
import { sum } from './reduce.ts';

/** Options for {@linkcode layerNormalizationBackward}. */
export interface LayerNormBackwardOptions extends LayerNormOptions {
  /**
   * Shape of the forward's bias, which `dBias` takes; default `scale`'s shape. (The bias values
   * do not enter any gradient, only its broadcast shape.)
   */
  biasShape?: readonly number[];
}

/** Gradients returned by {@linkcode layerNormalizationBackward}; the caller destroys them. */
export interface LayerNormGradients {
  /** Gradient of x, x's shape. */
  dx: Tensor;
  /** Gradient of scale, scale's shape (summed over the axes scale is broadcast along). */
  dScale: Tensor;
  /** Gradient of bias, of `options.biasShape` (default scale's shape). */
  dBias: Tensor;
}

/**
 * Gradients of {@linkcode layerNormalization} (ONNX `LayerNormalization`, normalized over the
 * axes from `axis` on) given the gradient `dy` of its output: with x̂ the normalized x,
 * `g = dy·scale` and means over each row,
 * `dx = (g − mean(g) − x̂·mean(g·x̂)) / sqrt(var + epsilon)`, `dScale = Σ dy·x̂` and
 * `dBias = Σ dy`, summed over the rows and over the axes scale (bias) is broadcast along.
 * `axis` and `epsilon` must be those of the forward. The mean and variance are recomputed in
 * f32 as the forward does (two passes). Two dispatches: one workgroup per row for dx, one thread
 * per row element for dScale and dBias.
 *
 * @example
 * ```ts ignore
 * const { dx, dScale, dBias } = layerNormalizationBackward(engine, x, gamma, dy);
 * ```
 * @throws {ShapeError} when scale or `biasShape` does not broadcast to the normalized shape, or
 *   dy's shape differs from x's; {@linkcode ArgumentError} for non-f32 operands, a scalar x, a
 *   bad axis or epsilon.
 */
export function layerNormalizationBackward(
  engine: Engine,
  x: Tensor,
  scale: Tensor,
  dy: Tensor,
  options: LayerNormBackwardOptions = {},
): LayerNormGradients {
  const name = 'layerNormalization backward';
  checkOperand(engine, name, 'x', x);
  checkOperand(engine, name, 'scale', scale);
  checkOperand(engine, name, 'dy', dy);
  const biasShape = options.biasShape ?? scale.shape;
  const plan = planLayerNorm(x.shape, scale.shape, biasShape, options);
  if (x.shape.length !== dy.shape.length || x.shape.some((d, i) => d !== dy.shape[i])) {
    throw new ShapeError(
      `Cannot run ${name}: dy ${formatShape(dy.shape)} must have the shape of x ` +
        `${formatShape(x.shape)}`,
    );
  }
  const label = options.label ?? 'layerNormalization';
  const dx = empty(engine, x.shape, { label: `${label}.dx` });
  if (plan.rows === 0 || plan.len === 0) {
    return {
      dx,
      dScale: empty(engine, scale.shape, { label: `${label}.dScale`, zero: true }),
      dBias: empty(engine, biasShape, { label: `${label}.dBias`, zero: true }),
    };
  }
  const fullScale = scale.size === plan.len ? null : expand(engine, scale, plan.normShape);
  const stats = engine.pooledBuffer(`${label}.stats`, plan.rows * 8, TENSOR_USAGE, false);
  const dScaleFull = empty(engine, plan.normShape, { label: `${label}.dScale` });
  const dBiasFull = empty(engine, plan.normShape, { label: `${label}.dBias` });
  const params = new ArrayBuffer(16);
  new Uint32Array(params, 0, 2).set([plan.rows, plan.len]);
  new Float32Array(params, 8, 1)[0] = options.epsilon ?? 1e-5;
  const bindings = [
    x.buffer,
    (fullScale ?? scale).buffer,
    dy.buffer,
    dx.buffer,
    stats,
    dScaleFull.buffer,
    dBiasFull.buffer,
    engine.constants(`${name}.params`, new Uint32Array(params)),
  ];
  engine.dispatch({
    code: layerNormBackwardSource,
    label: 'nn/layer_norm_backward.wgsl rows',
    constants: { WG: WORKGROUP_SIZE, COLUMNS: 0 },
    bindings,
    workgroups: plan.rows,
  });
  engine.dispatch({
    code: layerNormBackwardSource,
    label: 'nn/layer_norm_backward.wgsl columns',
    constants: { WG: WORKGROUP_SIZE, COLUMNS: 1 },
    bindings,
    workgroups: Math.ceil(plan.len / WORKGROUP_SIZE),
  });
  engine.release(stats);
  fullScale?.destroy();
  return {
    dx,
    dScale: sumToShape(engine, dScaleFull, scale.shape),
    dBias: sumToShape(engine, dBiasFull, biasShape),
  };
}

/**
 * Sums `t` (of the normalized shape) over the axes along which a tensor of `shape` broadcasts to
 * it, and returns the result in `shape`. Takes ownership of `t`.
 */
function sumToShape(engine: Engine, t: Tensor, shape: readonly number[]): Tensor {
  const rank = t.rank;
  let current = t;
  for (let d = 0; d < rank; d++) {
    const target = shape[shape.length - rank + d] ?? 1;
    if (target === 1 && t.shape[d] !== 1) {
      const next = sum(engine, current, { axis: d, keepDims: true, label: t.label });
      current.destroy();
      current = next;
    }
  }
  const out = current.reshape(shape);
  current.destroy();
  return out;
}

/** Inputs of {@linkcode layerNormalizationBackwardReference} besides x and dy. */
export interface LayerNormBackwardReferenceInputs
  extends Pick<LayerNormOptions, 'axis' | 'epsilon'> {
  /** Scale values, row-major. */
  scale: ArrayLike<number>;
  /** Shape of `scale`; default the normalized shape. */
  scaleShape?: readonly number[];
  /** Shape of the bias, which `dBias` takes; default `scaleShape`. */
  biasShape?: readonly number[];
}

/**
 * f64 CPU reference of {@linkcode layerNormalizationBackward}: x and dy of `shape`, row-major.
 * Returns the gradients row-major in x's, scale's and bias's shapes.
 */
export function layerNormalizationBackwardReference(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: readonly number[],
  inputs: LayerNormBackwardReferenceInputs,
): { dx: Float64Array; dScale: Float64Array; dBias: Float64Array } {
  const what = 'run layerNormalizationBackwardReference';
  const axis = normalizeAxis(inputs.axis ?? -1, shape.length, what);
  const normShape = shape.slice(axis);
  const scaleShape = inputs.scaleShape ?? normShape;
  const biasShape = inputs.biasShape ?? scaleShape;
  const plan = planLayerNorm(shape, scaleShape, biasShape, inputs);
  if (x.length !== sizeOf(shape) || dy.length !== sizeOf(shape)) {
    throw new ArgumentError(
      `Cannot ${what}: x has ${x.length} and dy ${dy.length} elements, shape ` +
        `${formatShape(shape)} holds ${sizeOf(shape)}`,
    );
  }
  const epsilon = inputs.epsilon ?? 1e-5;
  const { rows, len } = plan;
  // Element l of the row maps to this offset of a tensor of shape s broadcast to the row.
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
  const dx = new Float64Array(rows * len);
  const dScale = new Float64Array(sizeOf(scaleShape));
  const dBias = new Float64Array(sizeOf(biasShape));
  const xhat = new Float64Array(len);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let l = 0; l < len; l++) m += x[r * len + l];
    m /= len;
    let v = 0;
    for (let l = 0; l < len; l++) v += (x[r * len + l] - m) ** 2;
    v /= len;
    const inv = 1 / Math.sqrt(v + epsilon);
    let meanG = 0;
    let meanGx = 0;
    for (let l = 0; l < len; l++) {
      xhat[l] = (x[r * len + l] - m) * inv;
      const g = dy[r * len + l] * inputs.scale[scaleAt[l]];
      meanG += g;
      meanGx += g * xhat[l];
      dScale[scaleAt[l]] += dy[r * len + l] * xhat[l];
      dBias[biasAt[l]] += dy[r * len + l];
    }
    meanG /= len;
    meanGx /= len;
    for (let l = 0; l < len; l++) {
      const g = dy[r * len + l] * inputs.scale[scaleAt[l]];
      dx[r * len + l] = inv * (g - meanG - xhat[l] * meanGx);
    }
  }
  return { dx, dScale, dBias };
}
