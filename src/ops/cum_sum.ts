/**
 * ONNX `CumSum` on the GPU (`shaders/nn/cum_sum.wgsl`): inclusive or exclusive, forward or
 * reverse running sums along one axis; its gradient is the cumulative sum the other way
 * ({@linkcode cumSumBackward}). With f64 CPU references.
 *
 * @module
 */

import cumSumSource from '../../shaders/nn/cum_sum.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { empty, normalizeAxis, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Options for {@linkcode cumSum}. */
export interface CumSumOptions {
  /** Axis to sum along (negative counts from the end). */
  axis: number;
  /** Leave the current element out of its sum. Default false. */
  exclusive?: boolean;
  /** Sum from the end of the axis. Default false. */
  reverse?: boolean;
  /** Label of the output buffer. */
  label?: string;
}

/**
 * ONNX `CumSum` of `x` (f32 or i32, i32 wrapping) along `options.axis`. One invocation per line
 * along the axis sums it sequentially.
 *
 * @throws {ArgumentError} for a bad axis (a scalar has none).
 */
export function cumSum(engine: Engine, x: Tensor, options: CumSumOptions): Tensor {
  checkOperand(engine, 'cumSum', 'x', x, ['f32', 'i32']);
  const axis = normalizeAxis(options.axis, x.rank, 'run cumSum');
  const y = empty(engine, x.shape, { dtype: x.dtype, label: options.label ?? 'cumSum.out' });
  if (y.size === 0) return y;
  const len = x.shape[axis];
  const inner = sizeOf(x.shape.slice(axis + 1));
  const lines = y.size / len;
  const flags = (options.exclusive ? 1 : 0) | (options.reverse ? 2 : 0);
  engine.dispatch({
    code: cumSumSource,
    label: 'nn/cum_sum.wgsl',
    constants: { WG: WORKGROUP_SIZE, INT: x.dtype === 'i32' ? 1 : 0 },
    bindings: [
      x.buffer,
      y.buffer,
      engine.constants('cumSum.params', new Uint32Array([lines, len, inner, flags])),
    ],
    workgroups: Math.ceil(lines / WORKGROUP_SIZE),
  });
  return y;
}

/**
 * Gradient of {@linkcode cumSum} with respect to `x`: the cumulative sum of `dy` in the other
 * direction, with the same exclusivity (Σ_{j ≥ i} dy_j for an inclusive forward sum).
 */
export function cumSumBackward(engine: Engine, dy: Tensor, options: CumSumOptions): Tensor {
  checkOperand(engine, 'cumSumBackward', 'dy', dy);
  return cumSum(engine, dy, {
    ...options,
    reverse: !options.reverse,
    label: options.label ?? 'cumSumBackward.out',
  });
}

/**
 * f64 CPU reference of {@linkcode cumSum}. `magnitude` is the running Σ|x| of each output (the
 * f32 sum's error is within terms·u·magnitude).
 */
export function cumSumReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  options: Omit<CumSumOptions, 'label'>,
): { data: Float64Array; magnitude: Float64Array } {
  const axis = normalizeAxis(options.axis, shape.length, 'run cumSumReference');
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const data = new Float64Array(x.length);
  const magnitude = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      let sum = 0;
      let mag = 0;
      for (let step = 0; step < len; step++) {
        const j = options.reverse ? len - 1 - step : step;
        const at = (o * len + j) * inner + k;
        if (options.exclusive) {
          data[at] = sum;
          magnitude[at] = mag;
        }
        sum += x[at];
        mag += Math.abs(x[at]);
        if (!options.exclusive) {
          data[at] = sum;
          magnitude[at] = mag;
        }
      }
    }
  }
  return { data, magnitude };
}
