/**
 * Batch normalization in inference mode with ONNX `BatchNormalization` semantics (per-channel
 * statistics on axis 1, any rank ≥ 2) on the GPU (`shaders/nn/batch_norm.wgsl`) and its f64 CPU
 * reference.
 *
 * @module
 */

import batchNormSource from '../../shaders/nn/batch_norm.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';
import { checkDataLength, type ReferenceResult } from './conv.ts';

/** Options for {@linkcode batchNormalization}. */
export interface BatchNormalizationOptions {
  /** Added to the variance before the square root; finite and ≥ 0. Default 1e-5 (ONNX's). */
  epsilon?: number;
  /** Label of the output buffer. */
  label?: string;
}

const PARAMETERS = ['scale', 'bias', 'mean', 'variance'] as const;

/**
 * The output shape of {@linkcode batchNormalization} (x's): checks that x has rank ≥ 2 and that
 * scale, bias, mean and variance are each [C]. For shape inference.
 *
 * @throws {ShapeError} naming the parameter that disagrees.
 */
export function batchNormalizationOutputShape(
  xShape: readonly number[],
  scaleShape: readonly number[],
  biasShape: readonly number[],
  meanShape: readonly number[],
  varianceShape: readonly number[],
): number[] {
  const op = 'batchNormalization';
  if (xShape.length < 2) {
    throw new ShapeError(
      `Cannot run ${op}: x must be [N, C, ...] (rank >= 2), current shape is ` +
        `${formatShape(xShape)}`,
    );
  }
  const C = xShape[1];
  [scaleShape, biasShape, meanShape, varianceShape].forEach((shape, k) => {
    if (shape.length !== 1 || shape[0] !== C) {
      throw new ShapeError(
        `Cannot run ${op}: ${PARAMETERS[k]} ${formatShape(shape)} must be [${C}], one per ` +
          `channel of x ${formatShape(xShape)}`,
      );
    }
  });
  return [...xShape];
}

function checkEpsilon(epsilon: number): void {
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    throw new ArgumentError(
      `Cannot run batchNormalization: epsilon must be a finite number >= 0, got ${epsilon}`,
    );
  }
}

/**
 * Inference-mode batch normalization of x [N, C, ...]: `(x − mean)·scale / sqrt(variance +
 * epsilon) + bias` per channel. Returns a new tensor of x's shape.
 *
 * @example
 * ```ts ignore
 * using y = batchNormalization(engine, x, gamma, beta, runningMean, runningVar);
 * ```
 * @throws {ShapeError} for mismatched shapes; {@linkcode ArgumentError} for a bad epsilon or
 * operand. Both before anything is recorded.
 */
export function batchNormalization(
  engine: Engine,
  x: Tensor,
  scale: Tensor,
  bias: Tensor,
  mean: Tensor,
  variance: Tensor,
  options: BatchNormalizationOptions = {},
): Tensor {
  const op = 'batchNormalization';
  checkOperand(engine, op, 'x', x);
  const parameters = [scale, bias, mean, variance];
  parameters.forEach((t, k) => checkOperand(engine, op, PARAMETERS[k], t));
  const shape = batchNormalizationOutputShape(
    x.shape,
    scale.shape,
    bias.shape,
    mean.shape,
    variance.shape,
  );
  const epsilon = options.epsilon ?? 1e-5;
  checkEpsilon(epsilon);
  const y = empty(engine, shape, { label: options.label ?? `${op}.out` });
  if (y.size === 0) return y;
  const geometry = new Uint32Array(4);
  geometry.set([y.size, x.shape[1], sizeOf(x.shape.slice(2))]);
  new Float32Array(geometry.buffer, 12, 1)[0] = epsilon;
  engine.dispatch({
    code: batchNormSource,
    label: 'nn/batch_norm.wgsl',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      x.buffer,
      ...parameters.map((t) => t.buffer),
      y.buffer,
      engine.constants(`${op}.geometry`, geometry),
    ],
    workgroups: Math.ceil(y.size / WORKGROUP_SIZE),
  });
  return y;
}

/**
 * f64 CPU reference of {@linkcode batchNormalization}. `magnitude` is |x − mean|·|scale| /
 * sqrt(variance + epsilon) + |bias| per element; the f32 result is within about 9·2⁻²⁴ times it.
 */
export function batchNormalizationReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  options: Pick<BatchNormalizationOptions, 'epsilon'> = {},
): ReferenceResult {
  const op = 'batchNormalizationReference';
  const C = xShape[1];
  const channel = [C];
  const shape = batchNormalizationOutputShape(xShape, channel, channel, channel, channel);
  checkDataLength(op, 'x', x, xShape);
  [scale, bias, mean, variance].forEach((p, k) => checkDataLength(op, PARAMETERS[k], p, channel));
  const epsilon = options.epsilon ?? 1e-5;
  checkEpsilon(epsilon);
  // The GPU (and ONNX, whose attribute is a float) sees epsilon rounded to f32.
  const eps32 = Math.fround(epsilon);
  const inner = sizeOf(xShape.slice(2));
  const n = sizeOf(xShape);
  const data = new Float64Array(n);
  const magnitude = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % C;
    const factor = scale[c] / Math.sqrt(variance[c] + eps32);
    const centered = x[i] - mean[c];
    data[i] = centered * factor + bias[c];
    magnitude[i] = Math.abs(centered * factor) + Math.abs(bias[c]);
  }
  return { data, shape, magnitude };
}
