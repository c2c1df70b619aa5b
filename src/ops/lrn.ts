/**
 * ONNX `LRN` (local response normalization across channels) on the GPU
 * (`shaders/nn/lrn.wgsl`), its backward, and their f64 CPU references.
 *
 * @module
 */

import lrnSource from '../../shaders/nn/lrn.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Options for {@linkcode lrn}: ONNX's attributes (size is required). */
export interface LrnOptions {
  /** Number of channels summed over (window width). */
  size: number;
  /** Default 1e-4. */
  alpha?: number;
  /** Default 0.75. */
  beta?: number;
  /** Default 1. */
  bias?: number;
  /** Label of the output. */
  label?: string;
}

function plan(shape: readonly number[], options: LrnOptions) {
  const what = `run lrn on x ${formatShape(shape)}`;
  if (shape.length < 2) throw new ShapeError(`Cannot ${what}: x must be [N, C, ...] (rank >= 2)`);
  const { size } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new ArgumentError(`Cannot ${what}: size must be a positive integer, got ${size}`);
  }
  const alpha = options.alpha ?? 1e-4;
  const beta = options.beta ?? 0.75;
  const bias = options.bias ?? 1;
  if (![alpha, beta, bias].every(Number.isFinite)) {
    throw new ArgumentError(`Cannot ${what}: alpha, beta and bias must be finite`);
  }
  return { channels: shape[1], inner: sizeOf(shape.slice(2)), size, alpha, beta, bias };
}

function params(engine: Engine, n: number, p: ReturnType<typeof plan>): GPUBuffer {
  const data = new ArrayBuffer(32);
  new Uint32Array(data, 0, 4).set([n, p.channels, p.inner, p.size]);
  new Float32Array(data, 16, 3).set([p.alpha, p.beta, p.bias]);
  return engine.constants('lrn.params', new Uint32Array(data));
}

/**
 * `y = x · (bias + alpha/size · Σ x²)^(−beta)`, the sum over the channels
 * [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] (ONNX's window; PyTorch's `local_response_norm` is the
 * same for odd sizes, and for even sizes puts the extra channel before c instead of after).
 *
 * @example
 * ```ts ignore
 * using y = lrn(engine, x, { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 });
 * ```
 * @throws {ShapeError} for a rank below 2; {@linkcode ArgumentError} for bad attributes.
 */
export function lrn(engine: Engine, x: Tensor, options: LrnOptions): Tensor {
  checkOperand(engine, 'lrn', 'x', x);
  const p = plan(x.shape, options);
  const y = empty(engine, x.shape, { label: options.label ?? 'lrn.out' });
  if (y.size === 0) return y;
  engine.dispatch({
    code: lrnSource,
    label: 'nn/lrn.wgsl forward',
    entryPoint: 'forward',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [params(engine, x.size, p), x.buffer, y.buffer],
    workgroups: Math.ceil(x.size / WORKGROUP_SIZE),
  });
  return y;
}

/**
 * Gradient of {@linkcode lrn} with respect to x given dy: with s the window scale,
 * `dx_k = dy_k·s_k^(−beta) − 2·alpha·beta/size · x_k · Σ_{c: k in W(c)} dy_c·x_c·s_c^(−beta−1)`.
 * Two dispatches (the per-channel terms, then their window sums).
 *
 * @throws as {@linkcode lrn}; {@linkcode ShapeError} when dy's shape is not x's.
 */
export function lrnBackward(engine: Engine, x: Tensor, dy: Tensor, options: LrnOptions): Tensor {
  checkOperand(engine, 'lrn backward', 'x', x);
  checkOperand(engine, 'lrn backward', 'dy', dy);
  if (dy.shape.join() !== x.shape.join()) {
    throw new ShapeError(
      `Cannot run lrn backward: dy ${formatShape(dy.shape)} must have x's shape ` +
        `${formatShape(x.shape)}`,
    );
  }
  const p = plan(x.shape, options);
  const dx = empty(engine, x.shape, { label: options.label ?? 'lrn.dx' });
  if (dx.size === 0) return dx;
  using t = empty(engine, x.shape, { label: 'lrn.terms' });
  const workgroups = Math.ceil(x.size / WORKGROUP_SIZE);
  const constants = { WG: WORKGROUP_SIZE };
  engine.dispatch({
    code: lrnSource,
    label: 'nn/lrn.wgsl backward_terms',
    entryPoint: 'backward_terms',
    constants,
    bindings: [params(engine, x.size, p), x.buffer, t.buffer, dy.buffer],
    workgroups,
  });
  engine.dispatch({
    code: lrnSource,
    label: 'nn/lrn.wgsl backward_dx',
    entryPoint: 'backward_dx',
    constants,
    bindings: [params(engine, x.size, p), x.buffer, dx.buffer, dy.buffer, t.buffer],
    workgroups,
  });
  return dx;
}

/** The window scale s of every element (f64). */
function scales(x: ArrayLike<number>, p: ReturnType<typeof plan>) {
  const s = new Float64Array(x.length);
  const before = Math.floor((p.size - 1) / 2);
  const after = Math.ceil((p.size - 1) / 2);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / p.inner) % p.channels;
    const base = i - c * p.inner;
    let sum = 0;
    for (let j = Math.max(0, c - before); j <= Math.min(p.channels - 1, c + after); j++) {
      sum += x[base + j * p.inner] ** 2;
    }
    s[i] = p.bias + p.alpha / p.size * sum;
  }
  return s;
}

/** f64 CPU reference of {@linkcode lrn}; also each element's window scale `s`. */
export function lrnReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  options: LrnOptions,
): { data: Float64Array; scale: Float64Array } {
  const p = plan(shape, options);
  const scale = scales(x, p);
  return { data: scale.map((s, i) => x[i] * s ** -p.beta), scale };
}

/**
 * f64 CPU reference of {@linkcode lrnBackward}: the chain rule summed directly over every
 * (output c, input k) pair of a window. `magnitude` sums the absolute values of the terms.
 */
export function lrnBackwardReference(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: readonly number[],
  options: LrnOptions,
): { data: Float64Array; magnitude: Float64Array } {
  const p = plan(shape, options);
  const s = scales(x, p);
  const data = new Float64Array(x.length);
  const magnitude = new Float64Array(x.length);
  const before = Math.floor((p.size - 1) / 2);
  const after = Math.ceil((p.size - 1) / 2);
  for (let i = 0; i < x.length; i++) {
    // y_c depends on x_c directly and on every x_j of its window through s_c.
    const c = Math.floor(i / p.inner) % p.channels;
    const base = i - c * p.inner;
    const direct = dy[i] * s[i] ** -p.beta;
    data[i] += direct;
    magnitude[i] += Math.abs(direct);
    const k = -2 * p.beta * p.alpha / p.size * dy[i] * x[i] * s[i] ** (-p.beta - 1);
    for (let j = Math.max(0, c - before); j <= Math.min(p.channels - 1, c + after); j++) {
      const at = base + j * p.inner;
      data[at] += k * x[at];
      magnitude[at] += Math.abs(k * x[at]);
    }
  }
  return { data, magnitude };
}
