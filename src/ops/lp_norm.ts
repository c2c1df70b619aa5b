/**
 * ONNX `LpNormalization` (p = 1 or 2 along one axis) on the GPU (`shaders/nn/lp_norm.wgsl`),
 * its backward, and their f64 CPU references.
 *
 * @module
 */

import lpNormSource from '../../shaders/nn/lp_norm.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, normalizeAxis, sizeOf, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/** Options for {@linkcode lpNormalization}. */
export interface LpNormOptions {
  /** Normalized axis; default -1. */
  axis?: number;
  /** The norm: 1 or 2; default 2. */
  p?: number;
  /** Label of the output. */
  label?: string;
}

/** The [outer, len, inner] view of x around the axis, and p. */
export function planLpNorm(
  shape: readonly number[],
  options: Pick<LpNormOptions, 'axis' | 'p'>,
): { outer: number; len: number; inner: number; p: 1 | 2 } {
  const what = `run lpNormalization on x ${formatShape(shape)}`;
  if (shape.length === 0) throw new ArgumentError(`Cannot ${what}: x must have rank >= 1`);
  const axis = normalizeAxis(options.axis ?? -1, shape.length, what);
  const p = options.p ?? 2;
  if (p !== 1 && p !== 2) throw new ArgumentError(`Cannot ${what}: p must be 1 or 2, got ${p}`);
  return {
    outer: sizeOf(shape.slice(0, axis)),
    len: shape[axis],
    inner: sizeOf(shape.slice(axis + 1)),
    p,
  };
}

function run(
  engine: Engine,
  entryPoint: 'forward' | 'backward',
  x: Tensor,
  g: Tensor | undefined,
  options: LpNormOptions,
  label: string,
): Tensor {
  const plan = planLpNorm(x.shape, options);
  const out = empty(engine, x.shape, { label });
  const rows = plan.outer * plan.inner;
  if (out.size === 0) return out;
  engine.dispatch({
    code: lpNormSource,
    label: `nn/lp_norm.wgsl ${entryPoint}`,
    entryPoint,
    constants: { WG: WORKGROUP_SIZE, P: plan.p },
    bindings: [
      engine.constants('lpNormalization.params', new Uint32Array([rows, plan.len, plan.inner, 0])),
      x.buffer,
      out.buffer,
      ...(g ? [g.buffer] : []),
    ],
    workgroups: rows,
  });
  return out;
}

/**
 * `y = x / ‖x‖ₚ` along `axis` (p = 1: Σ|x|, p = 2: Euclidean); rows of norm 0 give 0 (as
 * onnxruntime; PyTorch's `F.normalize` divides by max(‖x‖, 1e-12), the same for such rows).
 * One workgroup per row.
 *
 * @example
 * ```ts ignore
 * using unit = lpNormalization(engine, embeddings, { axis: -1, p: 2 });
 * ```
 * @throws {ArgumentError} for a bad axis or p, or a non-f32 x.
 */
export function lpNormalization(engine: Engine, x: Tensor, options: LpNormOptions = {}): Tensor {
  checkOperand(engine, 'lpNormalization', 'x', x);
  return run(engine, 'forward', x, undefined, options, options.label ?? 'lpNormalization.out');
}

/**
 * Gradient of {@linkcode lpNormalization} with respect to x given dy: p = 2:
 * `dx = dy/‖x‖ − x·(Σ dy·x)/‖x‖³`; p = 1: `dx = dy/‖x‖ − sign(x)·(Σ dy·x)/‖x‖²` (sign(0) = 0,
 * a subgradient); 0 for rows of norm 0.
 *
 * @throws as {@linkcode lpNormalization}; {@linkcode ShapeError} when dy's shape is not x's.
 */
export function lpNormalizationBackward(
  engine: Engine,
  x: Tensor,
  dy: Tensor,
  options: LpNormOptions = {},
): Tensor {
  checkOperand(engine, 'lpNormalization backward', 'x', x);
  checkOperand(engine, 'lpNormalization backward', 'dy', dy);
  if (dy.shape.join() !== x.shape.join()) {
    throw new ShapeError(
      `Cannot run lpNormalization backward: dy ${formatShape(dy.shape)} must have x's shape ` +
        `${formatShape(x.shape)}`,
    );
  }
  return run(engine, 'backward', x, dy, options, options.label ?? 'lpNormalization.dx');
}

/** f64 CPU reference of {@linkcode lpNormalization}; also each element's row norm. */
export function lpNormalizationReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  options: Pick<LpNormOptions, 'axis' | 'p'> = {},
): { data: Float64Array; norm: Float64Array } {
  const { outer, len, inner, p } = planLpNorm(shape, options);
  const data = new Float64Array(x.length);
  const norm = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (l: number) => (o * len + l) * inner + i;
      let s = 0;
      for (let l = 0; l < len; l++) s += p === 1 ? Math.abs(x[at(l)]) : x[at(l)] ** 2;
      const n = p === 1 ? s : Math.sqrt(s);
      for (let l = 0; l < len; l++) {
        data[at(l)] = n === 0 ? 0 : x[at(l)] / n; // a NaN norm gives NaN
        norm[at(l)] = n;
      }
    }
  }
  return { data, norm };
}

/**
 * f64 CPU reference of {@linkcode lpNormalizationBackward}; `magnitude` is
 * |dy|/‖x‖ + |x|ᵖ⁻¹·Σ|dy·x|/‖x‖ᵖ⁺¹, the scale of the f32 error.
 */
export function lpNormalizationBackwardReference(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: readonly number[],
  options: Pick<LpNormOptions, 'axis' | 'p'> = {},
): { data: Float64Array; magnitude: Float64Array } {
  const { outer, len, inner, p } = planLpNorm(shape, options);
  const data = new Float64Array(x.length);
  const magnitude = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (l: number) => (o * len + l) * inner + i;
      let s = 0;
      let gx = 0;
      let gxAbs = 0;
      for (let l = 0; l < len; l++) {
        const v = x[at(l)];
        s += p === 1 ? Math.abs(v) : v * v;
        gx += dy[at(l)] * v;
        gxAbs += Math.abs(dy[at(l)] * v);
      }
      const n = p === 1 ? s : Math.sqrt(s);
      if (n === 0) continue;
      for (let l = 0; l < len; l++) {
        const v = x[at(l)];
        const d = p === 1 ? Math.sign(v) : v;
        data[at(l)] = dy[at(l)] / n - d * gx / n ** (p + 1);
        magnitude[at(l)] = Math.abs(dy[at(l)]) / n + Math.abs(d) * gxAbs / n ** (p + 1);
      }
    }
  }
  return { data, magnitude };
}
