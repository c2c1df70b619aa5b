/**
 * Group normalization (ONNX `GroupNormalization`, and `InstanceNormalization` as one group per
 * channel) and mean–variance normalization (ONNX `MeanVarianceNormalization`), forward and
 * backward, composed from the layer-normalization kernels: the statistics of a group are a
 * layer norm of the row `x[n, group]` flattened; the per-channel (or per-group) affine is a
 * broadcast multiply-add. With f64 CPU references.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { formatShape, sizeOf, type Tensor, tensor } from '../tensor.ts';
import { binary } from './binary.ts';
import { checkOperand } from './common.ts';
import { layerNormalization } from './layer_norm.ts';
import { layerNormalizationBackward } from './layer_norm_backward.ts';
import { sum } from './reduce.ts';
import { transpose } from './transpose.ts';

/** Options for {@linkcode groupNormalization}. */
export interface GroupNormOptions {
  /** Number of groups; divides the channel count. */
  groups: number;
  /** Added to the variance; default 1e-5. */
  epsilon?: number;
  /** Label of the output. */
  label?: string;
}

/** The geometry of a group normalization. */
interface GroupPlan {
  n: number;
  c: number;
  groups: number;
  /** Elements per (n, group) row. */
  len: number;
  /** Affine entries: c (per channel) or groups (per group). */
  affine: number;
}

/**
 * Checks x [N, C, ...], the group count and the affine parameters (each [C], or each [groups]
 * for a per-group affine as in GroupNormalization-18).
 *
 * @throws {ShapeError} for a rank below 2 or parameters of the wrong size;
 *   {@linkcode ArgumentError} for a group count that does not divide C, or a bad epsilon.
 */
export function planGroupNorm(
  xShape: readonly number[],
  scaleSize: number,
  biasSize: number,
  options: Pick<GroupNormOptions, 'groups' | 'epsilon'>,
): GroupPlan {
  const what = `run groupNormalization on x ${formatShape(xShape)}`;
  if (xShape.length < 2) {
    throw new ShapeError(`Cannot ${what}: x must be [N, C, ...] (rank >= 2)`);
  }
  const [n, c] = xShape;
  const groups = options.groups;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new ArgumentError(`Cannot ${what}: groups ${groups} must divide the ${c} channels`);
  }
  const epsilon = options.epsilon ?? 1e-5;
  if (!Number.isFinite(epsilon) || epsilon < 0) {
    throw new ArgumentError(`Cannot ${what}: epsilon must be finite and >= 0, got ${epsilon}`);
  }
  if (scaleSize !== biasSize || (scaleSize !== c && scaleSize !== groups)) {
    throw new ShapeError(
      `Cannot ${what}: scale (${scaleSize} values) and bias (${biasSize}) must both hold one ` +
        `value per channel (${c}) or per group (${groups})`,
    );
  }
  return { n, c, groups, len: sizeOf(xShape) / (n * groups), affine: scaleSize };
}

/**
 * Group normalization of x [N, C, ...]: each (n, group) slice of C/groups channels is
 * normalized by its mean and biased variance, `x̂ = (x − mean)/sqrt(var + epsilon)`, then
 * `y = x̂·scale + bias` per channel (scale, bias [C]) or per group ([groups]). Instance
 * normalization is `groups = C`. Three dispatches: layer norm over each row, multiply, add.
 *
 * @example
 * ```ts ignore
 * using y = groupNormalization(engine, x, gamma, beta, { groups: 4 });
 * ```
 * @throws as {@linkcode planGroupNorm}; {@linkcode ArgumentError} for non-f32 operands.
 */
export function groupNormalization(
  engine: Engine,
  x: Tensor,
  scale: Tensor,
  bias: Tensor,
  options: GroupNormOptions,
): Tensor {
  const name = 'groupNormalization';
  checkOperand(engine, name, 'x', x);
  checkOperand(engine, name, 'scale', scale);
  checkOperand(engine, name, 'bias', bias);
  const plan = planGroupNorm(x.shape, scale.size, bias.size, options);
  using xhat = normalized(engine, x, plan, options.epsilon);
  using view = xhat.reshape([plan.n, plan.affine, x.size / (plan.n * plan.affine)]);
  using s = scale.reshape([plan.affine, 1]);
  using b = bias.reshape([plan.affine, 1]);
  using scaled = binary(engine, 'mul', view, s);
  using y = binary(engine, 'add', scaled, b, { label: options.label ?? `${name}.out` });
  return y.reshape(x.shape);
}

/** x̂ of every (n, group) row, as [N·groups, len]. */
function normalized(engine: Engine, x: Tensor, plan: GroupPlan, epsilon = 1e-5): Tensor {
  using rows = x.reshape([plan.n * plan.groups, plan.len]);
  using one = tensor(engine, [1], [1]);
  return layerNormalization(engine, rows, one, undefined, { epsilon, label: 'groupNorm.xhat' });
}

/** Gradients returned by {@linkcode groupNormalizationBackward}; the caller destroys them. */
export interface GroupNormGradients {
  /** Gradient of x. */
  dx: Tensor;
  /** Gradient of scale (scale's shape). */
  dScale: Tensor;
  /** Gradient of bias (bias's shape). */
  dBias: Tensor;
}

/**
 * Gradients of {@linkcode groupNormalization} given dy: dx is layer norm's backward on each row
 * with the output gradient `dy·scale` (`rstd·(g − mean g − x̂·mean(g·x̂))`), `dScale = Σ dy·x̂`
 * and `dBias = Σ dy` over the batch and the spatial (and, per group, the group's channel) axes.
 * x̂ is recomputed.
 *
 * @throws as {@linkcode groupNormalization}; {@linkcode ShapeError} when dy's shape is not x's.
 */
export function groupNormalizationBackward(
  engine: Engine,
  x: Tensor,
  scale: Tensor,
  dy: Tensor,
  options: GroupNormOptions & { biasShape?: readonly number[] },
): GroupNormGradients {
  const name = 'groupNormalization backward';
  checkOperand(engine, name, 'x', x);
  checkOperand(engine, name, 'scale', scale);
  checkOperand(engine, name, 'dy', dy);
  const plan = planGroupNorm(x.shape, scale.size, scale.size, options);
  if (dy.shape.join() !== x.shape.join()) {
    throw new ShapeError(
      `Cannot run ${name}: dy ${formatShape(dy.shape)} must have x's shape ${formatShape(x.shape)}`,
    );
  }
  const affineView = [plan.n, plan.affine, x.size / (plan.n * plan.affine)];
  using dyView = dy.reshape(affineView);
  using s = scale.reshape([plan.affine, 1]);
  using g = binary(engine, 'mul', dyView, s);
  using gRows = g.reshape([plan.n * plan.groups, plan.len]);
  using rows = x.reshape(gRows.shape);
  using one = tensor(engine, [1], [1]);
  const ln = layerNormalizationBackward(engine, rows, one, gRows, {
    epsilon: options.epsilon,
    label: 'groupNorm',
  });
  ln.dScale.destroy();
  ln.dBias.destroy();
  using dxRows = ln.dx;
  using xhat = normalized(engine, x, plan, options.epsilon);
  using xhatView = xhat.reshape(affineView);
  using prod = binary(engine, 'mul', dyView, xhatView);
  const perAffine = (t: Tensor, shape: readonly number[]): Tensor => {
    using overBatch = sum(engine, t, { axis: 0 });
    using overSpace = sum(engine, overBatch, { axis: 1 });
    return overSpace.reshape(shape);
  };
  return {
    dx: dxRows.reshape(x.shape),
    dScale: perAffine(prod, scale.shape),
    dBias: perAffine(dyView, options.biasShape ?? scale.shape),
  };
}

/** f64 CPU reference of {@linkcode groupNormalization}; also the rows' mean and 1/σ. */
export function groupNormalizationReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  options: Pick<GroupNormOptions, 'groups' | 'epsilon'>,
): { data: Float64Array; mean: Float64Array; invStdDev: Float64Array } {
  const plan = planGroupNorm(xShape, scale.length, bias.length, options);
  const epsilon = options.epsilon ?? 1e-5;
  const rows = plan.n * plan.groups;
  const { len } = plan;
  const perAffine = len * plan.groups / plan.affine; // elements per (n, affine entry)
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
    mean[r] = m;
    invStdDev[r] = 1 / Math.sqrt(v + epsilon);
    for (let l = 0; l < len; l++) {
      const i = r * len + l;
      const k = Math.floor(i / perAffine) % plan.affine;
      data[i] = (x[i] - m) * invStdDev[r] * scale[k] + bias[k];
    }
  }
  return { data, mean, invStdDev };
}

/** f64 CPU reference of {@linkcode groupNormalizationBackward}. */
export function groupNormalizationBackwardReference(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  xShape: readonly number[],
  scale: ArrayLike<number>,
  options: Pick<GroupNormOptions, 'groups' | 'epsilon'>,
): { dx: Float64Array; dScale: Float64Array; dBias: Float64Array } {
  const plan = planGroupNorm(xShape, scale.length, scale.length, options);
  const epsilon = options.epsilon ?? 1e-5;
  const rows = plan.n * plan.groups;
  const { len } = plan;
  const perAffine = len * plan.groups / plan.affine;
  const dx = new Float64Array(rows * len);
  const dScale = new Float64Array(plan.affine);
  const dBias = new Float64Array(plan.affine);
  const xhat = new Float64Array(len);
  const g = new Float64Array(len);
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
      const i = r * len + l;
      const k = Math.floor(i / perAffine) % plan.affine;
      xhat[l] = (x[i] - m) * inv;
      g[l] = dy[i] * scale[k];
      meanG += g[l] / len;
      meanGx += g[l] * xhat[l] / len;
      dScale[k] += dy[i] * xhat[l];
      dBias[k] += dy[i];
    }
    for (let l = 0; l < len; l++) dx[r * len + l] = inv * (g[l] - meanG - xhat[l] * meanGx);
  }
  return { dx, dScale, dBias };
}

/** The permutation that moves `axes` (sorted, distinct) to the end, keeping the others' order. */
function trailingPerm(rank: number, axes: readonly number[]): number[] {
  return [...[...Array(rank).keys()].filter((d) => !axes.includes(d)), ...axes];
}

/** Inverse of a permutation. */
function inverse(perm: readonly number[]): number[] {
  const out = new Array<number>(perm.length);
  perm.forEach((p, i) => (out[p] = i));
  return out;
}

/** Validates MVN axes against the rank; returns them sorted and distinct. */
export function planMeanVarianceNorm(xShape: readonly number[], axes: readonly number[]): number[] {
  const rank = xShape.length;
  const out = [...new Set(axes.map((a) => (Number.isInteger(a) && a < 0 ? a + rank : a)))].sort((
    p,
    q,
  ) => p - q);
  if (out.length === 0 || out.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) {
    throw new ArgumentError(
      `Cannot run meanVarianceNormalization on x ${formatShape(xShape)}: axes [${axes}] must ` +
        `be non-empty and within rank ${rank}`,
    );
  }
  return out;
}

/**
 * ε of the layer norm that computes MVN: ONNX's `(x − mean)/(σ + 1e-9)` is
 * `(x − mean)/sqrt(σ² + ε)` up to a relative 1e-9/σ with ε = (1e-9)² (both are 0 for a
 * constant slice).
 */
export const MVN_EPSILON = 1e-18;

/**
 * ONNX `MeanVarianceNormalization`: `(x − mean)/(σ + 1e-9)` with the mean and the biased
 * standard deviation over `axes` (ONNX's default [0, 2, 3]), computed as a layer norm
 * (ε = {@linkcode MVN_EPSILON}) over those axes moved to the end (transposes unless they are
 * already trailing).
 *
 * @throws {ArgumentError} for bad axes or a non-f32 x.
 */
export function meanVarianceNormalization(
  engine: Engine,
  x: Tensor,
  options: { axes?: readonly number[]; label?: string } = {},
): Tensor {
  checkOperand(engine, 'meanVarianceNormalization', 'x', x);
  const axes = planMeanVarianceNorm(x.shape, options.axes ?? [0, 2, 3]);
  const perm = trailingPerm(x.rank, axes);
  return throughRows(engine, x, perm, axes.length, (rows) => {
    using one = tensor(engine, [1], [1]);
    return layerNormalization(engine, rows, one, undefined, {
      epsilon: MVN_EPSILON,
      label: options.label ?? 'meanVarianceNormalization.out',
    });
  });
}

/** Gradient of {@linkcode meanVarianceNormalization} with respect to x, given dy. */
export function meanVarianceNormalizationBackward(
  engine: Engine,
  x: Tensor,
  dy: Tensor,
  options: { axes?: readonly number[] } = {},
): Tensor {
  checkOperand(engine, 'meanVarianceNormalization backward', 'x', x);
  checkOperand(engine, 'meanVarianceNormalization backward', 'dy', dy);
  if (dy.shape.join() !== x.shape.join()) {
    throw new ShapeError(
      `Cannot run meanVarianceNormalization backward: dy ${formatShape(dy.shape)} must have x's ` +
        `shape ${formatShape(x.shape)}`,
    );
  }
  const axes = planMeanVarianceNorm(x.shape, options.axes ?? [0, 2, 3]);
  const perm = trailingPerm(x.rank, axes);
  const moved = perm.every((p, i) => p === i) ? dy.reshape(dy.shape) : transpose(engine, dy, {
    perm,
  });
  try {
    return throughRows(engine, x, perm, axes.length, (rows) => {
      using g = moved.reshape(rows.shape);
      using one = tensor(engine, [1], [1]);
      const ln = layerNormalizationBackward(engine, rows, one, g, { epsilon: MVN_EPSILON });
      ln.dScale.destroy();
      ln.dBias.destroy();
      return ln.dx;
    });
  } finally {
    moved.destroy();
  }
}

/**
 * Moves x's axes by `perm`, views the last `k` as one row axis, applies `f` to the [rows, len]
 * view, and moves the result back.
 */
function throughRows(
  engine: Engine,
  x: Tensor,
  perm: number[],
  k: number,
  f: (rows: Tensor) => Tensor,
): Tensor {
  const identity = perm.every((p, i) => p === i);
  using moved = identity ? x.reshape(x.shape) : transpose(engine, x, { perm });
  const len = sizeOf(moved.shape.slice(moved.rank - k));
  using rows = moved.reshape([x.size / Math.max(1, len), len]);
  using out = f(rows);
  if (identity) return out.reshape(x.shape);
  using back = out.reshape(moved.shape);
  return transpose(engine, back, { perm: inverse(perm) });
}

/**
 * f64 CPU reference of {@linkcode meanVarianceNormalization}, ONNX's formula as written:
 * `(x − E[x]) / (sqrt(E[x²] − E[x]²) + 1e-9)` over `axes`.
 */
export function meanVarianceNormalizationReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  axes: readonly number[] = [0, 2, 3],
): Float64Array {
  const sorted = planMeanVarianceNorm(xShape, axes);
  const { groups, len } = slices(xShape, sorted);
  const out = new Float64Array(x.length);
  for (const members of groups) {
    let m = 0;
    let m2 = 0;
    for (const i of members) {
      m += x[i] / len;
      m2 += x[i] * x[i] / len;
    }
    const std = Math.sqrt(Math.max(m2 - m * m, 0));
    for (const i of members) out[i] = (x[i] - m) / (std + 1e-9);
  }
  return out;
}

/**
 * f64 CPU reference of {@linkcode meanVarianceNormalizationBackward}: the exact derivative of
 * ONNX's formula, with σ the biased standard deviation: for y = (x − m)/(σ + δ),
 * dx = (g − mean g)/(σ + δ) − (x − m)·mean(g·(x − m))/(σ·(σ + δ)²).
 */
export function meanVarianceNormalizationBackwardReference(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  xShape: readonly number[],
  axes: readonly number[] = [0, 2, 3],
): Float64Array {
  const sorted = planMeanVarianceNorm(xShape, axes);
  const { groups, len } = slices(xShape, sorted);
  const dx = new Float64Array(x.length);
  for (const members of groups) {
    let m = 0;
    for (const i of members) m += x[i] / len;
    let v = 0;
    for (const i of members) v += (x[i] - m) ** 2 / len;
    const std = Math.sqrt(v);
    const d = std + 1e-9;
    let meanG = 0;
    let meanGc = 0;
    for (const i of members) {
      meanG += dy[i] / len;
      meanGc += dy[i] * (x[i] - m) / len;
    }
    for (const i of members) {
      dx[i] = (dy[i] - meanG) / d - (std > 0 ? (x[i] - m) * meanGc / (std * d * d) : 0);
    }
  }
  return dx;
}

/**
 * The flat indices of each slice that `axes` (sorted, non-negative) span, the other axes fixed:
 * the sets MVN normalizes together. Also the slice length.
 */
export function slices(
  shape: readonly number[],
  axes: readonly number[],
): { groups: number[][]; len: number } {
  const rank = shape.length;
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: sizeOf(keptShape) }, () => []);
  const n = sizeOf(shape);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let key = 0;
    let stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      if (!axes.includes(d)) key += c * stride;
      stride *= keptShape[d];
    }
    groups[key].push(i);
  }
  return { groups, len: n / Math.max(1, groups.length) };
}
