/**
 * Backward (vector-Jacobian product) of softmax and log-softmax along an axis on the GPU
 * (`shaders/nn/softmax_backward.wgsl`), from the forward output, and its f64 CPU reference.
 *
 * @module
 */

import softmaxBackwardSource from '../../shaders/nn/softmax_backward.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Options for {@linkcode softmaxBackward}. */
export interface SoftmaxBackwardOptions {
  /** Axis the forward normalized along; default -1 (rows). */
  axis?: number;
  /** The forward was log-softmax (`y` holds log-probabilities). Default false. */
  log?: boolean;
  /** Label of the output buffer. */
  label?: string;
}

/**
 * Gradient of softmax (or, with `log`, log-softmax) along `axis` with respect to its input,
 * given the forward OUTPUT `y` and the gradient `dy` of that output:
 * softmax `dx = y·(dy − Σ dy·y)`, log-softmax `dx = dy − exp(y)·Σ dy`, sums along `axis`.
 * Returns a new f32 tensor of `y`'s shape. One workgroup per row; rows of any length.
 *
 * @example
 * ```ts ignore
 * using p = softmax(engine, logits);
 * using dLogits = softmaxBackward(engine, p, dp);
 * using lp = logSoftmax(engine, logits, { axis: 1 });
 * using dLogits2 = softmaxBackward(engine, lp, dlp, { axis: 1, log: true });
 * ```
 * @throws {ArgumentError} for non-f32 operands, a scalar `y` or a bad axis;
 *   {@linkcode ShapeError} when `dy`'s shape differs from `y`'s.
 */
export function softmaxBackward(
  engine: Engine,
  y: Tensor,
  dy: Tensor,
  options: SoftmaxBackwardOptions = {},
): Tensor {
  const log = options.log ?? false;
  const name = log ? 'logSoftmax backward' : 'softmax backward';
  checkOperand(engine, name, 'y', y);
  checkOperand(engine, name, 'dy', dy);
  if (y.rank === 0) {
    throw new ArgumentError(`Cannot run ${name}: y must have rank >= 1, got a scalar`);
  }
  if (y.shape.length !== dy.shape.length || y.shape.some((d, i) => d !== dy.shape[i])) {
    throw new ShapeError(
      `Cannot run ${name}: dy ${formatShape(dy.shape)} must have the shape of y ` +
        `${formatShape(y.shape)}`,
    );
  }
  const axis = normalizeAxis(options.axis ?? -1, y.rank, name);
  const outer = sizeOf(y.shape.slice(0, axis));
  const len = y.shape[axis];
  const inner = sizeOf(y.shape.slice(axis + 1));
  const dx = empty(engine, y.shape, { label: options.label ?? `${name}.dx` });
  if (dx.size === 0) return dx;
  engine.dispatch({
    code: softmaxBackwardSource,
    label: `nn/softmax_backward.wgsl ${name}`,
    constants: { WG: WORKGROUP_SIZE, LOG: log ? 1 : 0 },
    bindings: [
      y.buffer,
      dy.buffer,
      dx.buffer,
      engine.constants(`${name}.params`, new Uint32Array([outer, len, inner, 0])),
    ],
    workgroups: outer * inner,
  });
  return dx;
}

/**
 * f64 CPU reference of {@linkcode softmaxBackward}: `y` is the forward output (probabilities, or
 * log-probabilities with `log`) of `shape`, `dy` its gradient.
 *
 * @throws {ArgumentError} for a bad axis or lengths that do not match `shape`.
 */
export function softmaxBackwardReference(
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: readonly number[],
  options: { axis?: number; log?: boolean } = {},
): Float64Array {
  const what = 'run softmaxBackwardReference';
  const axis = normalizeAxis(options.axis ?? -1, shape.length, what);
  const size = sizeOf(shape);
  if (y.length !== size || dy.length !== size) {
    throw new ArgumentError(
      `Cannot ${what}: y has ${y.length} and dy ${dy.length} elements, shape ` +
        `${formatShape(shape)} holds ${size}`,
    );
  }
  const outer = sizeOf(shape.slice(0, axis));
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const dx = new Float64Array(size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (l: number) => (o * len + l) * inner + i;
      let s = 0;
      for (let l = 0; l < len; l++) s += options.log ? dy[at(l)] : dy[at(l)] * y[at(l)];
      for (let l = 0; l < len; l++) {
        const k = at(l);
        dx[k] = options.log ? dy[k] - Math.exp(y[k]) * s : y[k] * (dy[k] - s);
      }
    }
  }
  return dx;
}
