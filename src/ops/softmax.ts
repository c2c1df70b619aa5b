/**
 * Numerically stable softmax and log-softmax along an axis on the GPU
 * (`shaders/nn/softmax.wgsl`) and their f64 CPU reference.
 *
 * @module
 */

import softmaxSource from '../../shaders/nn/softmax.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { empty, normalizeAxis, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Options for {@linkcode softmax} and {@linkcode logSoftmax}. */
export interface SoftmaxOptions {
  /** Axis along which the result sums to 1; default -1 (rows). */
  axis?: number;
  /** Label of the output buffer. */
  label?: string;
}

function run(engine: Engine, x: Tensor, log: boolean, options: SoftmaxOptions): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  checkOperand(engine, name, 'x', x);
  if (x.rank === 0) {
    throw new ArgumentError(`Cannot run ${name}: x must have rank >= 1, got a scalar`);
  }
  const axis = normalizeAxis(options.axis ?? -1, x.rank, name);
  const outer = sizeOf(x.shape.slice(0, axis));
  const len = x.shape[axis];
  const inner = sizeOf(x.shape.slice(axis + 1));
  const y = empty(engine, x.shape, { label: options.label ?? `${name}.out` });
  if (y.size === 0) return y;
  engine.dispatch({
    code: softmaxSource,
    label: `nn/softmax.wgsl ${name}`,
    constants: { WG: WORKGROUP_SIZE, LOG: log ? 1 : 0 },
    bindings: [
      x.buffer,
      y.buffer,
      engine.constants(`${name}.params`, new Uint32Array([outer, len, inner, 0])),
    ],
    workgroups: outer * inner,
  });
  return y;
}

/** `exp(x − max) / Σ exp(x − max)` along `axis` (default last). */
export function softmax(engine: Engine, x: Tensor, options: SoftmaxOptions = {}): Tensor {
  return run(engine, x, false, options);
}

/** `(x − max) − log Σ exp(x − max)` along `axis` (default last). */
export function logSoftmax(engine: Engine, x: Tensor, options: SoftmaxOptions = {}): Tensor {
  return run(engine, x, true, options);
}

/** f64 CPU reference of {@linkcode softmax} (`log: false`) and {@linkcode logSoftmax}. */
export function softmaxReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  options: { axis?: number; log?: boolean } = {},
): Float64Array {
  const axis = normalizeAxis(options.axis ?? -1, shape.length, 'softmaxReference');
  const outer = sizeOf(shape.slice(0, axis));
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const y = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (l: number) => (o * len + l) * inner + i;
      let m = -Infinity;
      for (let l = 0; l < len; l++) m = Math.max(m, x[at(l)]);
      let s = 0;
      for (let l = 0; l < len; l++) s += Math.exp(x[at(l)] - m);
      for (let l = 0; l < len; l++) {
        y[at(l)] = options.log ? x[at(l)] - m - Math.log(s) : Math.exp(x[at(l)] - m) / s;
      }
    }
  }
  return y;
}
