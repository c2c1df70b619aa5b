/**
 * ONNX normalization and resampling operators: InstanceNormalization, GroupNormalization,
 * LpNormalization, LRN, MeanVarianceNormalization, Resize and Upsample.
 *
 * @module
 */

import { cpuTensor, elementCount, isFloat } from '../../graph/ir.ts';
import {
  attrs,
  info,
  input,
  knownInts,
  nodeError,
  type OpContext,
  type OperatorDef,
  present,
  value,
} from '../../graph/operator.ts';
import { outputGrad } from '../../grad/util.ts';
import { cast } from '../../ops/cast.ts';
import {
  groupNormalization,
  groupNormalizationBackward,
  groupNormalizationReference,
  meanVarianceNormalization,
  meanVarianceNormalizationBackward,
  meanVarianceNormalizationReference,
} from '../../ops/group_norm.ts';
import {
  lpNormalization,
  lpNormalizationBackward,
  lpNormalizationReference,
} from '../../ops/lp_norm.ts';
import { lrn, lrnBackward, type LrnOptions, lrnReference } from '../../ops/lrn.ts';
import {
  COORDINATE_MODES,
  type CoordinateTransformationMode,
  NEAREST_MODES,
  type NearestMode,
  resize,
  resizeBackward,
  type ResizeMode,
  type ResizeOptions,
  resizeReference,
} from '../../ops/resize.ts';
import type { Tensor } from '../../tensor.ts';
import { axisOf } from './cpu.ts';

// ---------------------------------------------------------------------------------------------
// Normalization

const count = (ctx: OpContext) => elementCount(info(ctx, 0).shape);

/** The float input x, checked. */
function floatInput(ctx: OpContext) {
  const x = info(ctx, 0);
  if (!isFloat(x.dtype)) nodeError(ctx, `X must be a float tensor, got ${x.dtype}`);
  return x;
}

/** Keeps the gradients the backward context needs, reshaped to the inputs; destroys the rest. */
function needed(
  ctx: { needs: boolean[]; infos: ({ shape: number[] } | undefined)[] },
  grads: (Tensor | undefined)[],
): (Tensor | undefined)[] {
  return grads.map((t, i) => {
    if (!t) return undefined;
    if (!ctx.needs[i]) {
      t.destroy();
      return undefined;
    }
    const shaped = t.reshape(ctx.infos[i]!.shape);
    t.destroy();
    return shaped;
  });
}

/** InstanceNormalization (groups = C) and GroupNormalization: groups and epsilon. */
function groupAttributes(ctx: OpContext): { groups: number; epsilon: number } {
  const x = floatInput(ctx);
  if (x.shape.length < 2) nodeError(ctx, `X must be [N, C, ...], got [${x.shape}]`);
  const a = attrs(ctx);
  const c = x.shape[1];
  const epsilon = a.float('epsilon', 1e-5);
  if (ctx.node.op === 'InstanceNormalization') {
    for (const i of [1, 2]) {
      const t = info(ctx, i);
      if (elementCount(t.shape) !== c || t.shape.length !== 1) {
        nodeError(ctx, `input ${i} must be [${c}] (one value per channel), got [${t.shape}]`);
      }
    }
    return { groups: c, epsilon };
  }
  const groups = a.int('num_groups');
  if (groups === undefined) nodeError(ctx, "attribute 'num_groups' is required");
  if (groups < 1 || c % groups !== 0) {
    nodeError(ctx, `num_groups ${groups} must divide the ${c} channels`);
  }
  const stash = a.int('stash_type', 1);
  if (stash !== 1) {
    nodeError(ctx, `stash_type ${stash} is not supported: the statistics are computed in float32`);
  }
  // GroupNormalization-18 has one scale and bias per group, -21 one per channel.
  const want = ctx.opset >= 21 ? c : groups;
  for (const i of [1, 2]) {
    const t = info(ctx, i);
    if (elementCount(t.shape) !== want || t.shape.length !== 1) {
      nodeError(
        ctx,
        `input ${i} must be [${want}] (one value per ${ctx.opset >= 21 ? 'channel' : 'group'} ` +
          `at opset ${ctx.opset}), got [${t.shape}]`,
      );
    }
  }
  return { groups, epsilon };
}

const groupNormOp: OperatorDef = {
  infer(ctx) {
    groupAttributes(ctx);
    return [{ ...info(ctx, 0) }];
  },
  cpu(ctx) {
    const [x, scale, bias] = [0, 1, 2].map((i) => value(ctx, i));
    if (!x || !scale || !bias) return null;
    const options = groupAttributes(ctx);
    const y = groupNormalizationReference(x.data, x.shape, scale.data, bias.data, options);
    return [cpuTensor(x.dtype, [...x.shape], y.data)];
  },
  gpu: (ctx) => [
    groupNormalization(ctx.engine, input(ctx, 0), input(ctx, 1), input(ctx, 2), {
      ...groupAttributes(ctx),
    }),
  ],
  flops: (ctx) => 9 * count(ctx),
  backward(ctx) {
    using g = outputGrad(ctx);
    const { dx, dScale, dBias } = groupNormalizationBackward(
      ctx.engine,
      input(ctx, 0),
      input(ctx, 1),
      g,
      { ...groupAttributes(ctx), biasShape: info(ctx, 2).shape },
    );
    return needed(ctx, [dx, dScale, dBias]);
  },
};

function lpAttributes(ctx: OpContext): { axis: number; p: number } {
  const rank = floatInput(ctx).shape.length;
  const a = attrs(ctx);
  const axis = a.int('axis', -1);
  const p = a.int('p', 2);
  if (axis < -rank || axis >= rank) nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
  if (p !== 1 && p !== 2) nodeError(ctx, `p must be 1 or 2, got ${p}`);
  return { axis, p };
}

function lrnAttributes(ctx: OpContext): LrnOptions {
  const x = floatInput(ctx);
  if (x.shape.length < 2) nodeError(ctx, `X must be [N, C, ...], got [${x.shape}]`);
  const a = attrs(ctx);
  const size = a.int('size');
  if (size === undefined || size < 1) nodeError(ctx, "attribute 'size' must be a positive integer");
  return {
    size,
    alpha: a.float('alpha', 1e-4),
    beta: a.float('beta', 0.75),
    bias: a.float('bias', 1),
  };
}

function mvnAxes(ctx: OpContext): number[] {
  const rank = floatInput(ctx).shape.length;
  const axes = attrs(ctx).ints('axes', [0, 2, 3]);
  for (const v of axes) {
    if (v < -rank || v >= rank) nodeError(ctx, `axis ${v} is out of range for rank ${rank}`);
  }
  return axes.map((v) => axisOf(v, rank));
}

// ---------------------------------------------------------------------------------------------
// Resize (10, 11, 13, 18, 19) and Upsample (7, 9)

/** The float list of input `i` when present and non-empty, else undefined. */
function knownFloats(ctx: OpContext, i: number, what: string): number[] | undefined {
  if (!present(ctx, i)) return undefined;
  const v = knownInts(ctx, i, what);
  return v.length > 0 ? v : undefined;
}

/**
 * The resampling a Resize or Upsample node asks for: its output shape, per-axis scales, modes
 * and roi, from its attributes and the inputs known at plan time.
 */
function resizeOptions(ctx: OpContext): ResizeOptions {
  const x = info(ctx, 0);
  const rank = x.shape.length;
  const a = attrs(ctx);
  const legacy = ctx.node.op === 'Upsample' || ctx.opset < 11;
  let mode = a.string('mode', 'nearest');
  if (legacy && mode === 'bilinear') mode = 'linear';
  if (!['nearest', 'linear', 'cubic'].includes(mode) || (legacy && mode === 'cubic')) {
    nodeError(ctx, `mode '${mode}' is not one of nearest, linear${legacy ? '' : ', cubic'}`);
  }
  if (a.int('antialias', 0) !== 0) {
    nodeError(ctx, 'antialias = 1 is not supported (the filter would widen on downsampling)');
  }
  if (rank === 0) nodeError(ctx, 'X must have rank >= 1');

  // Opset < 11 (Upsample, Resize-10): scales only, asymmetric coordinates, onnxruntime's
  // nearest rounding (floor when upsampling, ceil when downsampling).
  if (legacy) {
    const scales = ctx.node.op === 'Upsample' && ctx.opset < 9
      ? a.ints('scales')
      : knownFloats(ctx, 1, 'scales');
    if (!scales || scales.length !== rank) {
      nodeError(ctx, `scales must list ${rank} values, got [${scales ?? ''}]`);
    }
    if (scales.some((s) => !(s > 0))) nodeError(ctx, `scales [${scales}] must be positive`);
    if (ctx.node.op === 'Upsample' && scales.some((s) => s < 1)) {
      nodeError(ctx, `Upsample scales [${scales}] must be >= 1`);
    }
    return {
      sizes: x.shape.map((d, i) => Math.floor(d * scales[i])),
      scales,
      mode: mode as ResizeMode,
      coordinateTransformationMode: 'asymmetric',
      nearestMode: 'simple',
    };
  }

  const coord = a.string('coordinate_transformation_mode', 'half_pixel');
  if (!COORDINATE_MODES.includes(coord as CoordinateTransformationMode)) {
    nodeError(ctx, `coordinate_transformation_mode '${coord}' is not supported`);
  }
  const nearest = a.string('nearest_mode', 'round_prefer_floor');
  if (nearest === 'simple' || !NEAREST_MODES.includes(nearest as NearestMode)) {
    nodeError(ctx, `nearest_mode '${nearest}' is not supported`);
  }
  const axesAttr = ctx.opset >= 18 ? a.ints('axes') : undefined;
  const axes = axesAttr
    ? axesAttr.map((v) => {
      if (!Number.isInteger(v) || v < -rank || v >= rank) {
        nodeError(ctx, `axis ${v} is out of range for rank ${rank}`);
      }
      return axisOf(v, rank);
    })
    : [...Array(rank).keys()];
  if (new Set(axes).size !== axes.length) nodeError(ctx, `axes [${axesAttr}] repeat an axis`);
  const scalesIn = knownFloats(ctx, 2, 'scales');
  const sizesIn = knownFloats(ctx, 3, 'sizes');
  if (scalesIn && sizesIn) nodeError(ctx, 'only one of scales and sizes may be given');
  if (!scalesIn && !sizesIn) nodeError(ctx, 'one of scales and sizes must be given');
  const given = (scalesIn ?? sizesIn)!;
  if (given.length !== axes.length) {
    nodeError(
      ctx,
      `${scalesIn ? 'scales' : 'sizes'} [${given}] must have ${axes.length} values (one per ` +
        'resized axis)',
    );
  }

  const roi = [...x.shape.map(() => 0), ...x.shape.map(() => 1)];
  if (coord === 'tf_crop_and_resize') {
    const r = knownFloats(ctx, 1, 'roi');
    if (!r || r.length !== 2 * axes.length) {
      nodeError(ctx, `tf_crop_and_resize needs a roi of ${2 * axes.length} values, got [${r}]`);
    }
    axes.forEach((ax, k) => {
      roi[ax] = r[k];
      roi[rank + ax] = r[axes.length + k];
    });
  }
  const scales = x.shape.map(() => 1);
  const sizes = [...x.shape];
  if (scalesIn) {
    axes.forEach((ax, k) => {
      const s = scalesIn[k];
      if (!(s > 0) || !Number.isFinite(s)) nodeError(ctx, `scales [${scalesIn}] must be positive`);
      scales[ax] = s;
      const crop = coord === 'tf_crop_and_resize' ? roi[rank + ax] - roi[ax] : 1;
      sizes[ax] = Math.floor(x.shape[ax] * crop * s);
    });
  } else {
    const policy = ctx.opset >= 18 ? a.string('keep_aspect_ratio_policy', 'stretch') : 'stretch';
    if (!['stretch', 'not_larger', 'not_smaller'].includes(policy)) {
      nodeError(ctx, `keep_aspect_ratio_policy '${policy}' is not supported`);
    }
    if (sizesIn!.some((v) => !Number.isInteger(v) || v < 1)) {
      nodeError(ctx, `sizes [${sizesIn}] must be positive integers`);
    }
    const ratios = axes.map((ax, k) => sizesIn![k] / x.shape[ax]);
    const common = policy === 'not_larger'
      ? Math.min(...ratios)
      : policy === 'not_smaller'
      ? Math.max(...ratios)
      : undefined;
    axes.forEach((ax, k) => {
      if (common === undefined) {
        sizes[ax] = sizesIn![k];
        scales[ax] = ratios[k];
      } else {
        sizes[ax] = Math.round(common * x.shape[ax]);
        scales[ax] = common;
      }
    });
  }
  if (sizes.some((d) => d < 1)) {
    nodeError(ctx, `the output shape [${sizes}] would be empty (input [${x.shape}])`);
  }
  return {
    sizes,
    scales,
    mode: mode as ResizeMode,
    coordinateTransformationMode: coord as CoordinateTransformationMode,
    nearestMode: nearest as NearestMode,
    cubicCoeffA: a.float('cubic_coeff_a', -0.75),
    excludeOutside: a.int('exclude_outside', 0) === 1,
    extrapolationValue: a.float('extrapolation_value', 0),
    roi,
  };
}

const TAPS: Record<ResizeMode, number> = { nearest: 1, linear: 2, cubic: 4 };

const resizeOp: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    const options = resizeOptions(ctx);
    if (!isFloat(x.dtype) && options.mode !== 'nearest') {
      nodeError(ctx, `${options.mode} mode needs a float input, got ${x.dtype}`);
    }
    return [{ dtype: x.dtype, shape: [...options.sizes] }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    if (!x) return null;
    const options = resizeOptions(ctx);
    return [cpuTensor(x.dtype, [...options.sizes], resizeReference(x.data, x.shape, options).data)];
  },
  gpu(ctx) {
    const x = input(ctx, 0);
    const options = resizeOptions(ctx);
    if (x.dtype === 'f32') return [resize(ctx.engine, x, options)];
    // Integer images: nearest sampling copies values, exact in f32 below 2²⁴.
    using f = cast(ctx.engine, x, 'f32');
    using y = resize(ctx.engine, f, options);
    return [cast(ctx.engine, y, 'i32')];
  },
  cpuInputs: [1, 2, 3],
  flops(ctx, [out]) {
    const x = info(ctx, 0);
    const options = resizeOptions(ctx);
    const resized = x.shape.filter((d, i) => d !== out.shape[i]).length;
    return 2 * elementCount(out.shape) * TAPS[options.mode ?? 'nearest'] ** resized;
  },
  backward(ctx) {
    // The transposed interpolation; roi, scales and sizes are plan-time constants.
    const x = input(ctx, 0);
    using g = outputGrad(ctx);
    return [resizeBackward(ctx.engine, g, { ...resizeOptions(ctx), xShape: x.shape })];
  },
};

/** The normalization and resampling operators by name. */
export const NORM_OPS: Record<string, OperatorDef> = {
  InstanceNormalization: groupNormOp,
  GroupNormalization: groupNormOp,
  LpNormalization: {
    infer: (ctx) => {
      lpAttributes(ctx);
      return [{ ...info(ctx, 0) }];
    },
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const y = lpNormalizationReference(x.data, x.shape, lpAttributes(ctx)).data;
      return [cpuTensor(x.dtype, [...x.shape], y)];
    },
    gpu: (ctx) => [lpNormalization(ctx.engine, input(ctx, 0), lpAttributes(ctx))],
    flops: (ctx) => 3 * count(ctx),
    backward(ctx) {
      using g = outputGrad(ctx);
      return [lpNormalizationBackward(ctx.engine, input(ctx, 0), g, lpAttributes(ctx))];
    },
  },
  LRN: {
    infer: (ctx) => {
      lrnAttributes(ctx);
      return [{ ...info(ctx, 0) }];
    },
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const y = lrnReference(x.data, x.shape, lrnAttributes(ctx)).data;
      return [cpuTensor(x.dtype, [...x.shape], y)];
    },
    gpu: (ctx) => [lrn(ctx.engine, input(ctx, 0), lrnAttributes(ctx))],
    flops: (ctx) => (2 * lrnAttributes(ctx).size + 6) * count(ctx),
    backward(ctx) {
      using g = outputGrad(ctx);
      return [lrnBackward(ctx.engine, input(ctx, 0), g, lrnAttributes(ctx))];
    },
  },
  MeanVarianceNormalization: {
    infer: (ctx) => {
      mvnAxes(ctx);
      return [{ ...info(ctx, 0) }];
    },
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const y = meanVarianceNormalizationReference(x.data, x.shape, mvnAxes(ctx));
      return [cpuTensor(x.dtype, [...x.shape], y)];
    },
    gpu: (ctx) => [meanVarianceNormalization(ctx.engine, input(ctx, 0), { axes: mvnAxes(ctx) })],
    flops: (ctx) => 8 * count(ctx),
    backward(ctx) {
      using g = outputGrad(ctx);
      return [
        meanVarianceNormalizationBackward(ctx.engine, input(ctx, 0), g, { axes: mvnAxes(ctx) }),
      ];
    },
  },
  Resize: resizeOp,
  Upsample: resizeOp,
};
