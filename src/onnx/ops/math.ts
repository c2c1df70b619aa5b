/**
 * ONNX elementwise math and selection operators: activations (PRelu, Selu, Celu, Mish, Softsign,
 * ThresholdedRelu), trigonometric and hyperbolic functions, Mod, IsNaN/IsInf, the remaining
 * reductions (Min, Prod, L1, L2, LogSumExp, SumSquare), ArgMax/ArgMin, TopK and Hardmax.
 *
 * Each folds on the CPU in f64 when its inputs are known at plan time (from the same f64
 * references the kernels are tested against) and runs on the GPU otherwise; the differentiable
 * ones carry their backward rule (PyTorch's conventions at kinks).
 *
 * @module
 */

import { cpuTensor, elementCount, isFloat } from '../../graph/ir.ts';
import {
  attrs,
  type BackwardContext,
  info,
  input,
  knownInts,
  nodeError,
  type OpContext,
  type OperatorDef,
  type TensorInfo,
  value,
} from '../../graph/operator.ts';
import type { Engine } from '../../gpu/engine.ts';
import { outputGrad, unbroadcast, zeros } from '../../grad/util.ts';
import { binary } from '../../ops/binary.ts';
import { cast } from '../../ops/cast.ts';
import { broadcastShapes } from '../../ops/common.ts';
import { compare } from '../../ops/compare.ts';
import { mod, modScalar } from '../../ops/mod.ts';
import { reduce, reduceRowReference } from '../../ops/reduce.ts';
import { topK, topKBackward, topKReference } from '../../ops/topk.ts';
import {
  SELU_ALPHA,
  SELU_GAMMA,
  unary,
  type UnaryOp,
  type UnaryOptions,
  unaryReference,
} from '../../ops/unary.ts';
import { unaryBackward } from '../../ops/unary_backward.ts';
import { where } from '../../ops/where.ts';
import { formatShape, type Tensor, tensor } from '../../tensor.ts';
import { axisOf, broadcastMap, castValue } from './cpu.ts';
import { REDUCE_OPERATORS } from './reduce.ts';

const count = (t: TensorInfo) => elementCount(t.shape);

function requireFloat(ctx: OpContext, i = 0): TensorInfo {
  const t = info(ctx, i);
  if (!isFloat(t.dtype)) {
    nodeError(ctx, `input ${i} must be a float tensor, got ${t.dtype}`);
  }
  return t;
}

/**
 * A float unary operator on `unary`'s kernel `op`, its f64 reference for folding and
 * `unaryBackward` for the gradient; `parameters` reads alpha/beta from the node.
 */
function unaryMathOp(
  op: UnaryOp,
  parameters: (ctx: OpContext) => Pick<UnaryOptions, 'alpha' | 'beta'> = () => ({}),
): OperatorDef {
  return {
    infer(ctx) {
      parameters(ctx); // validates the attributes at plan time
      return [{ ...requireFloat(ctx) }];
    },
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const y = unaryReference(op, x.data, parameters(ctx)).map((v) => castValue(v, x.dtype));
      return [cpuTensor(x.dtype, [...x.shape], y)];
    },
    gpu: (ctx) => [unary(ctx.engine, op, input(ctx, 0), parameters(ctx))],
    flops: (_ctx, [out]) => count(out),
    backward(ctx) {
      using g = outputGrad(ctx);
      return [unaryBackward(ctx.engine, op, input(ctx, 0), g, parameters(ctx))];
    },
  };
}

/** IsNaN / IsInf: a float test by bit pattern, giving bool. */
function classifyOp(
  op: 'isNaN' | 'isInf',
  parameters: (ctx: OpContext) => Pick<UnaryOptions, 'alpha' | 'beta'> = () => ({}),
): OperatorDef {
  return {
    infer: (ctx) => [{ dtype: 'bool', shape: [...requireFloat(ctx).shape] }],
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      return [cpuTensor('bool', [...x.shape], unaryReference(op, x.data, parameters(ctx)))];
    },
    gpu(ctx) {
      using f = unary(ctx.engine, op, input(ctx, 0), parameters(ctx));
      return [cast(ctx.engine, f, 'i32')];
    },
    flops: (_ctx, [out]) => count(out),
  };
}

function celuAlpha(ctx: OpContext): number {
  const alpha = attrs(ctx).float('alpha', 1);
  if (alpha === 0) nodeError(ctx, 'alpha must be non-zero (Celu divides x by it)');
  return alpha;
}

/** Gradient `t` summed back to input `i`'s shape; destroys `t`. */
function reducedTo(ctx: BackwardContext, t: Tensor, i: number): Tensor {
  try {
    return unbroadcast(ctx.engine, t, ctx.infos[i]!.shape);
  } finally {
    t.destroy();
  }
}

/** A scalar of the GPU dtype of `t`. */
function scalarLike(engine: Engine, t: Tensor, v: number): Tensor {
  return t.dtype === 'f32'
    ? tensor(engine, [v], [])
    : tensor(engine, Int32Array.from([v]), [], { dtype: 'i32' });
}

const PRelu: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    const slope = info(ctx, 1);
    if (slope.dtype !== x.dtype) nodeError(ctx, `slope is ${slope.dtype}, X is ${x.dtype}`);
    const shape = broadcastShapes(x.shape, slope.shape, `PRelu node '${ctx.node.name}'`);
    if (shape.join() !== x.shape.join()) {
      nodeError(
        ctx,
        `slope ${formatShape(slope.shape)} must broadcast to X ${formatShape(x.shape)} ` +
          `(unidirectionally), not widen it to ${formatShape(shape)}`,
      );
    }
    return [{ ...x }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    const slope = value(ctx, 1);
    if (!x || !slope) return null;
    return [broadcastMap([x, slope], x.dtype, (v, s) => (v < 0 ? s * v : v), 'PRelu')];
  },
  gpu(ctx) {
    // where(x < 0, slope·x, x): exact, and a NaN x stays NaN (the comparison is false).
    const engine = ctx.engine;
    const [x, slope] = [input(ctx, 0), input(ctx, 1)];
    using zero = scalarLike(engine, x, 0);
    using negative = compare(engine, 'less', x, zero);
    using scaled = binary(engine, 'mul', x, slope);
    return [where(engine, negative, scaled, x)];
  },
  flops: (_ctx, [out]) => 2 * count(out),
  backward(ctx) {
    // PyTorch's prelu backward: dx = g for x > 0, slope·g otherwise (also at 0);
    // dslope = Σ g·x over x ≤ 0, summed over the axes slope was broadcast along.
    const engine = ctx.engine;
    const [x, slope] = [input(ctx, 0), input(ctx, 1)];
    using g = outputGrad(ctx);
    using zero = tensor(engine, [0], []);
    using positive = compare(engine, 'greater', x, zero);
    const grads: (Tensor | undefined)[] = [undefined, undefined];
    if (ctx.needs[0]) {
      using gs = binary(engine, 'mul', g, slope);
      grads[0] = where(engine, positive, g, gs);
    }
    if (ctx.needs[1]) {
      using gx = binary(engine, 'mul', g, x);
      grads[1] = reducedTo(ctx, where(engine, positive, zero, gx), 1);
    }
    return grads;
  },
};

const Mod: OperatorDef = {
  infer(ctx) {
    const [a, b] = [info(ctx, 0), info(ctx, 1)];
    if (a.dtype !== b.dtype) nodeError(ctx, `B is ${b.dtype}, A is ${a.dtype}`);
    const fmod = attrs(ctx).int('fmod', 0);
    if (fmod !== 0 && fmod !== 1) nodeError(ctx, `fmod must be 0 or 1, got ${fmod}`);
    return [{
      dtype: a.dtype,
      shape: broadcastShapes(a.shape, b.shape, `Mod node '${ctx.node.name}'`),
    }];
  },
  cpu(ctx) {
    const [a, b] = [value(ctx, 0), value(ctx, 1)];
    if (!a || !b) return null;
    const fmod = attrs(ctx).int('fmod', 0) === 1;
    const integer = !isFloat(a.dtype);
    return [broadcastMap([a, b], a.dtype, (u, v) => modScalar(u, v, fmod, integer), 'Mod')];
  },
  gpu(ctx) {
    // Floats with fmod = 0 (which ONNX disallows) follow numpy.mod, as the integers do.
    const fmod = attrs(ctx).int('fmod', 0) === 1;
    return [mod(ctx.engine, input(ctx, 0), input(ctx, 1), { fmod })];
  },
  flops: (_ctx, [out]) => count(out),
  backward(ctx) {
    // a mod b = a − k·b with k = trunc(a/b) (fmod) or floor(a/b): ∂/∂a = 1 and ∂/∂b = −k, as
    // torch.fmod and torch.remainder. k is recovered as round((a − y)/b).
    const engine = ctx.engine;
    const [a, b] = [input(ctx, 0), input(ctx, 1)];
    using g = outputGrad(ctx);
    const grads: (Tensor | undefined)[] = [undefined, undefined];
    if (ctx.needs[0]) grads[0] = unbroadcast(engine, g, a.shape);
    if (ctx.needs[1]) {
      using diff = binary(engine, 'sub', a, ctx.results[0]!);
      using q = binary(engine, 'div', diff, b);
      using k = unary(engine, 'round', q);
      using gk = binary(engine, 'mul', g, k);
      grads[1] = reducedTo(ctx, unary(engine, 'neg', gk), 1);
    }
    return grads;
  },
};

function argOp(op: 'argmax' | 'argmin'): OperatorDef {
  const options = (ctx: OpContext) => {
    const a = attrs(ctx);
    const rank = info(ctx, 0).shape.length;
    const axis = a.int('axis', 0);
    if (axis < -rank || axis >= rank) {
      nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
    }
    return {
      axis: axisOf(axis, rank),
      keepDims: a.int('keepdims', 1) === 1,
      selectLastIndex: a.int('select_last_index', 0) === 1,
    };
  };
  const shapeOf = (ctx: OpContext) => {
    const { axis, keepDims } = options(ctx);
    const shape = [...info(ctx, 0).shape];
    if (shape[axis] === 0) nodeError(ctx, `axis ${axis} is empty: there is no ${op}`);
    if (keepDims) shape[axis] = 1;
    else shape.splice(axis, 1);
    return shape;
  };
  return {
    infer: (ctx) => [{ dtype: 'int64', shape: shapeOf(ctx) }],
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const { axis, selectLastIndex } = options(ctx);
      const outer = elementCount(x.shape.slice(0, axis));
      const len = x.shape[axis];
      const inner = elementCount(x.shape.slice(axis + 1));
      const out = new Float64Array(outer * inner);
      const row = new Float64Array(len);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          for (let l = 0; l < len; l++) row[l] = x.data[(o * len + l) * inner + i];
          out[o * inner + i] = reduceRowReference(op, row, selectLastIndex)[0];
        }
      }
      return [cpuTensor('int64', shapeOf(ctx), out)];
    },
    gpu(ctx) {
      const x = input(ctx, 0);
      // Integers compare exactly in f32 below 2²⁴.
      using f = x.dtype === 'f32' ? x.reshape(x.shape) : cast(ctx.engine, x, 'f32');
      using r = reduce(ctx.engine, op, f, options(ctx));
      return [r.reshape(ctx.outputs[0].shape)];
    },
    flops: (ctx) => count(info(ctx, 0)),
  };
}

/** TopK's k, axis and order. */
function topKOptions(ctx: OpContext): { k: number; axis: number; largest: boolean } {
  const a = attrs(ctx);
  const x = info(ctx, 0);
  const rank = x.shape.length;
  if (rank === 0) nodeError(ctx, 'X must have at least one axis');
  const axisAttr = a.int('axis', -1);
  if (axisAttr < -rank || axisAttr >= rank) {
    nodeError(ctx, `axis ${axisAttr} is out of range for rank ${rank}`);
  }
  const axis = axisOf(axisAttr, rank);
  let k: number;
  if (ctx.opset < 10) {
    const attr = a.int('k');
    if (attr === undefined) nodeError(ctx, "attribute 'k' is required before opset 10");
    k = attr;
  } else {
    const ks = knownInts(ctx, 1, 'k');
    if (ks.length !== 1) nodeError(ctx, `K must hold one value, got ${ks.length}`);
    k = ks[0];
  }
  if (!Number.isInteger(k) || k < 0 || k > x.shape[axis]) {
    nodeError(ctx, `k = ${k} is not in [0, ${x.shape[axis]}] (the length of axis ${axis})`);
  }
  return { k, axis, largest: a.int('largest', 1) === 1 };
}

const TopK: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    const { k, axis } = topKOptions(ctx);
    const shape = [...x.shape];
    shape[axis] = k;
    return [{ dtype: x.dtype, shape }, { dtype: 'int64', shape: [...shape] }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    if (!x) return null;
    const options = topKOptions(ctx);
    const r = topKReference(x.data, x.shape, options);
    return [cpuTensor(x.dtype, r.shape, r.values), cpuTensor('int64', [...r.shape], r.indices)];
  },
  gpu(ctx) {
    const engine = ctx.engine;
    const x = input(ctx, 0);
    const options = topKOptions(ctx);
    if (x.dtype === 'f32') {
      const { values, indices } = topK(engine, x, options);
      return [values, indices];
    }
    // Integers select exactly in f32 below 2²⁴.
    using f = cast(engine, x, 'f32');
    const { values, indices } = topK(engine, f, options);
    using v = values;
    return [cast(engine, v, 'i32'), indices];
  },
  cpuInputs: [1],
  flops: (ctx) => count(info(ctx, 0)) * info(ctx, 0).shape[topKOptions(ctx).axis],
  backward(ctx) {
    // The values are a selection of x: their gradient goes back to where they came from.
    const engine = ctx.engine;
    const x = input(ctx, 0);
    const options = topKOptions(ctx);
    if (!ctx.grads[0] || !ctx.needs[0]) return [undefined, undefined];
    let indices = ctx.results[1];
    let recomputed: Tensor | undefined;
    if (!indices) {
      const r = topK(engine, x, options);
      r.values.destroy();
      indices = recomputed = r.indices;
    }
    try {
      return [
        topKBackward(engine, ctx.grads[0], indices, { axis: options.axis, xShape: x.shape }),
        undefined,
      ];
    } finally {
      recomputed?.destroy();
    }
  },
};

/** Hardmax's view: [outer, len, inner] around the axis it takes the maximum along. */
function hardmaxView(ctx: OpContext): { outer: number; len: number; inner: number } {
  const shape = requireFloat(ctx).shape;
  const rank = shape.length;
  if (ctx.opset >= 13) {
    const axis = attrs(ctx).int('axis', -1);
    if (axis < -rank || axis >= rank) {
      nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
    }
    const a = axisOf(axis, rank);
    return {
      outer: elementCount(shape.slice(0, a)),
      len: shape[a],
      inner: elementCount(shape.slice(a + 1)),
    };
  }
  // Before opset 13 the input is coerced to 2-D at `axis`: the maximum is over the whole tail.
  const axis = attrs(ctx).int('axis', 1);
  if (axis < -rank || axis >= rank) {
    nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
  }
  const a = axisOf(axis, rank);
  return { outer: elementCount(shape.slice(0, a)), len: elementCount(shape.slice(a)), inner: 1 };
}

const Hardmax: OperatorDef = {
  infer: (ctx) => {
    hardmaxView(ctx);
    return [{ ...info(ctx, 0) }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    if (!x) return null;
    const { outer, len, inner } = hardmaxView(ctx);
    const out = new Float64Array(x.data.length);
    const row = new Float64Array(len);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        for (let l = 0; l < len; l++) row[l] = x.data[(o * len + l) * inner + i];
        if (len > 0) out[(o * len + reduceRowReference('argmax', row)[0]) * inner + i] = 1;
      }
    }
    return [cpuTensor(x.dtype, [...x.shape], out)];
  },
  gpu(ctx) {
    // One-hot of the first maximum: argmax (kept), compared with the positions along the axis.
    const engine = ctx.engine;
    const x = input(ctx, 0);
    const { outer, len, inner } = hardmaxView(ctx);
    if (x.size === 0) return [x.reshape(x.shape)];
    using view = x.reshape([outer, len, inner]);
    using at = reduce(engine, 'argmax', view, { axis: 1, keepDims: true });
    using positions = tensor(engine, Int32Array.from({ length: len }, (_, l) => l), [1, len, 1], {
      dtype: 'i32',
    });
    using hit = compare(engine, 'equal', positions, at);
    using y = cast(engine, hit, 'f32');
    return [y.reshape(x.shape)];
  },
  flops: (ctx) => count(info(ctx, 0)),
  backward(ctx) {
    // Piecewise constant: the derivative is 0 wherever it exists (as floor's and sign's).
    return [ctx.needs[0] ? zeros(ctx.engine, input(ctx, 0).shape) : undefined];
  },
};

const seluParameters = (ctx: OpContext) => ({
  alpha: attrs(ctx).float('alpha', SELU_ALPHA),
  beta: attrs(ctx).float('gamma', SELU_GAMMA),
});

/** The math operators by name. */
export const MATH_OPS: Record<string, OperatorDef> = {
  PRelu,
  Selu: unaryMathOp('selu', seluParameters),
  Celu: unaryMathOp('celu', (ctx) => ({ alpha: celuAlpha(ctx) })),
  Mish: unaryMathOp('mish'),
  Softsign: unaryMathOp('softsign'),
  ThresholdedRelu: unaryMathOp(
    'thresholdedRelu',
    (ctx) => ({ alpha: attrs(ctx).float('alpha', 1) }),
  ),
  Tan: unaryMathOp('tan'),
  Atan: unaryMathOp('atan'),
  Asin: unaryMathOp('asin'),
  Acos: unaryMathOp('acos'),
  Sinh: unaryMathOp('sinh'),
  Cosh: unaryMathOp('cosh'),
  Asinh: unaryMathOp('asinh'),
  Acosh: unaryMathOp('acosh'),
  Atanh: unaryMathOp('atanh'),
  Mod,
  IsNaN: classifyOp('isNaN'),
  IsInf: classifyOp('isInf', (ctx) => ({
    alpha: attrs(ctx).int('detect_negative', 1) === 0 ? 0 : 1,
    beta: attrs(ctx).int('detect_positive', 1) === 0 ? 0 : 1,
  })),
  ...REDUCE_OPERATORS,
  ArgMax: argOp('argmax'),
  ArgMin: argOp('argmin'),
  TopK,
  Hardmax,
};
