/**
 * ONNX neural-network operators: Conv, ConvTranspose, Gemm, MatMul, pooling, normalization,
 * softmax and reductions, on the GPU kernels of `src/ops/`.
 *
 * @module
 */

import { cpuTensor, elementCount } from '../../graph/ir.ts';
import {
  attrs,
  info,
  input,
  nodeError,
  type OpContext,
  type OperatorDef,
  present,
  type TensorInfo,
  value,
} from '../../graph/operator.ts';
import { batchNormalization } from '../../ops/batch_norm.ts';
import { binary } from '../../ops/binary.ts';
import { type AutoPad, conv, convOutputShape } from '../../ops/conv.ts';
import { convTranspose, convTransposeOutputShape } from '../../ops/conv_transpose.ts';
import { layerNormalization } from '../../ops/layer_norm.ts';
import { matmul, planMatmul } from '../../ops/matmul.ts';
import { unary } from '../../ops/unary.ts';
import { cast } from '../../ops/cast.ts';
import {
  averagePool,
  globalAveragePool,
  globalMaxPool,
  globalPoolOutputShape,
  maxPool,
  poolOutputShape,
} from '../../ops/pool.ts';
import { reduce } from '../../ops/reduce.ts';
import { logSoftmax, softmax } from '../../ops/softmax.ts';
import { type Tensor, tensor } from '../../tensor.ts';
import { convBackwardBias, convBackwardData, convBackwardWeight } from '../../ops/conv_backward.ts';
import { planConvTranspose } from '../../ops/conv_transpose.ts';
import { layerNormalizationBackward } from '../../ops/layer_norm_backward.ts';
import {
  averagePoolBackward,
  globalAveragePoolBackward,
  globalMaxPoolBackward,
  maxPoolBackward,
} from '../../ops/pool_backward.ts';
import { softmaxBackward } from '../../ops/softmax_backward.ts';
import { outputGrad, scale, unbroadcast } from '../../grad/util.ts';
import { axisOf } from './cpu.ts';
import { reduceOp } from './reduce.ts';

function autoPad(ctx: OpContext): AutoPad {
  const v = attrs(ctx).string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(v)) {
    nodeError(ctx, `auto_pad '${v}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  return v as AutoPad;
}

function convAttributes(ctx: OpContext) {
  const a = attrs(ctx);
  return {
    strides: a.ints('strides'),
    pads: a.ints('pads'),
    dilations: a.ints('dilations'),
    group: a.int('group', 1),
    kernelShape: a.ints('kernel_shape'),
    autoPad: autoPad(ctx),
  };
}

function poolAttributes(ctx: OpContext) {
  const a = attrs(ctx);
  const kernelShape = a.ints('kernel_shape');
  if (!kernelShape) nodeError(ctx, "attribute 'kernel_shape' is required");
  if (a.int('storage_order', 0) !== 0) nodeError(ctx, 'storage_order 1 is not supported');
  if (ctx.node.outputs[1]) nodeError(ctx, 'the Indices output is not supported');
  return {
    kernelShape,
    strides: a.ints('strides'),
    pads: a.ints('pads'),
    dilations: a.ints('dilations'),
    ceilMode: a.int('ceil_mode', 0) === 1,
    autoPad: autoPad(ctx),
    countIncludePad: a.int('count_include_pad', 0) === 1,
  };
}

const count = (t: TensorInfo) => elementCount(t.shape);

/** Multiplies `t` by a scalar (a new tensor); destroys `t`. */
function scaled(
  ctx: { engine: import('../../gpu/engine.ts').Engine },
  t: Tensor,
  s: number,
): Tensor {
  if (s === 1) return t;
  try {
    return scale(ctx.engine, t, s);
  } finally {
    t.destroy();
  }
}

function softmaxOp(log: boolean): OperatorDef {
  return {
    infer: (ctx) => [{ ...info(ctx, 0) }],
    gpu(ctx) {
      const x = input(ctx, 0);
      const rank = x.rank;
      const fn = log ? logSoftmax : softmax;
      if (ctx.opset >= 13) {
        const axis = attrs(ctx).int('axis', -1);
        if (axis < -rank || axis >= rank) nodeError(ctx, `axis ${axis} is out of range`);
        return [fn(ctx.engine, x, { axis })];
      }
      // Before opset 13 the input is coerced to 2-D at `axis` and normalized over the rest.
      const axis = axisOf(attrs(ctx).int('axis', 1), rank);
      using flat = x.reshape([
        elementCount(x.shape.slice(0, axis)),
        elementCount(x.shape.slice(axis)),
      ]);
      using y = fn(ctx.engine, flat);
      return [y.reshape(x.shape)];
    },
    flops: (ctx) => 5 * count(info(ctx, 0)),
    backward(ctx) {
      const y = ctx.results[0]!;
      using g = outputGrad(ctx);
      const rank = y.rank;
      if (ctx.opset >= 13) {
        return [softmaxBackward(ctx.engine, y, g, { axis: attrs(ctx).int('axis', -1), log })];
      }
      const axis = axisOf(attrs(ctx).int('axis', 1), rank);
      const flat = [elementCount(y.shape.slice(0, axis)), elementCount(y.shape.slice(axis))];
      using y2 = y.reshape(flat);
      using g2 = g.reshape(flat);
      using dx = softmaxBackward(ctx.engine, y2, g2, { axis: -1, log });
      return [dx.reshape(y.shape)];
    },
  };
}

/** The neural-network operators by name. */
export const NN_OPS: Record<string, OperatorDef> = {
  Conv: {
    infer(ctx) {
      const x = info(ctx, 0);
      const w = info(ctx, 1);
      return [{ dtype: x.dtype, shape: convOutputShape(x.shape, w.shape, convAttributes(ctx)) }];
    },
    gpu(ctx) {
      const bias = present(ctx, 2) ? input(ctx, 2) : undefined;
      return [conv(ctx.engine, input(ctx, 0), input(ctx, 1), { ...convAttributes(ctx), bias })];
    },
    flops(ctx, [out]) {
      const w = info(ctx, 1);
      return 2 * count(out) * elementCount(w.shape.slice(1)) + (present(ctx, 2) ? count(out) : 0);
    },
    backward(ctx) {
      const [x, w] = [input(ctx, 0), input(ctx, 1)];
      const attributes = convAttributes(ctx);
      using g = outputGrad(ctx);
      return [
        ctx.needs[0]
          ? convBackwardData(ctx.engine, g, w, { ...attributes, xShape: x.shape })
          : undefined,
        ctx.needs[1]
          ? convBackwardWeight(ctx.engine, x, g, { ...attributes, wShape: w.shape })
          : undefined,
        ctx.needs[2] ? convBackwardBias(ctx.engine, g) : undefined,
      ];
    },
  },
  ConvTranspose: {
    infer(ctx) {
      const x = info(ctx, 0);
      const w = info(ctx, 1);
      const a = attrs(ctx);
      const options = {
        ...convAttributes(ctx),
        outputPadding: a.ints('output_padding'),
        outputShape: a.ints('output_shape'),
      };
      return [{ dtype: x.dtype, shape: convTransposeOutputShape(x.shape, w.shape, options) }];
    },
    gpu(ctx) {
      const a = attrs(ctx);
      const bias = present(ctx, 2) ? input(ctx, 2) : undefined;
      return [convTranspose(ctx.engine, input(ctx, 0), input(ctx, 1), {
        ...convAttributes(ctx),
        outputPadding: a.ints('output_padding'),
        outputShape: a.ints('output_shape'),
        bias,
      })];
    },
    flops(ctx) {
      const x = info(ctx, 0);
      const w = info(ctx, 1);
      return 2 * count(x) * elementCount(w.shape.slice(1));
    },
    backward(ctx) {
      // The adjoint of a transposed convolution is the convolution with the same weight,
      // strides, dilations, groups and (resolved) pads.
      const [x, w] = [input(ctx, 0), input(ctx, 1)];
      const a = attrs(ctx);
      const plan = planConvTranspose(x.shape, w.shape, {
        ...convAttributes(ctx),
        outputPadding: a.ints('output_padding'),
        outputShape: a.ints('output_shape'),
      });
      if (plan.axes.some((ax) => ax.padBegin < 0 || ax.padEnd < 0)) {
        nodeError(ctx, 'its gradient is not supported when output_shape makes the pads negative');
      }
      const geometry = {
        strides: plan.axes.map((ax) => ax.stride),
        dilations: plan.axes.map((ax) => ax.dilation),
        pads: [...plan.axes.map((ax) => ax.padBegin), ...plan.axes.map((ax) => ax.padEnd)],
        group: plan.group,
      };
      using g = outputGrad(ctx);
      return [
        ctx.needs[0] ? conv(ctx.engine, g, w, geometry) : undefined,
        ctx.needs[1]
          ? convBackwardWeight(ctx.engine, g, x, { ...geometry, wShape: w.shape })
          : undefined,
        ctx.needs[2] ? convBackwardBias(ctx.engine, g) : undefined,
      ];
    },
  },
  MatMul: {
    infer(ctx) {
      const a = info(ctx, 0);
      const b = info(ctx, 1);
      return [{ dtype: a.dtype, shape: planMatmul(a.shape, b.shape).shape }];
    },
    cpu(ctx) {
      const a = value(ctx, 0);
      const b = value(ctx, 1);
      if (!a || !b) return null;
      const plan = planMatmul(a.shape, b.shape);
      const out = new Float64Array(plan.batch * plan.M * plan.N);
      for (let t = 0; t < plan.batch; t++) {
        for (let m = 0; m < plan.M; m++) {
          for (let n = 0; n < plan.N; n++) {
            let s = 0;
            for (let k = 0; k < plan.K; k++) {
              s += a.data[plan.offsets[2 * t] + m * plan.K + k] *
                b.data[plan.offsets[2 * t + 1] + k * plan.N + n];
            }
            out[(t * plan.M + m) * plan.N + n] = s;
          }
        }
      }
      return [cpuTensor(a.dtype, plan.shape, out)];
    },
    gpu: (ctx) => [matmul(ctx.engine, input(ctx, 0), input(ctx, 1))],
    backward(ctx) {
      const engine = ctx.engine;
      const [a, b] = [input(ctx, 0), input(ctx, 1)];
      // 1-D operands as matrices ([1, K] and [K, 1]); the gradient then takes their shape.
      using a2 = a.rank === 1 ? a.reshape([1, a.shape[0]]) : a.reshape(a.shape);
      using b2 = b.rank === 1 ? b.reshape([b.shape[0], 1]) : b.reshape(b.shape);
      const plan = planMatmul(a2.shape, b2.shape);
      using g0 = outputGrad(ctx);
      using g = g0.reshape(plan.shape);
      const grads: (Tensor | undefined)[] = [undefined, undefined];
      if (ctx.needs[0]) {
        using ga = matmul(engine, g, b2, { transposeB: true });
        using reduced = unbroadcast(engine, ga, a2.shape);
        grads[0] = reduced.reshape(a.shape);
      }
      if (ctx.needs[1]) {
        using gb = matmul(engine, a2, g, { transposeA: true });
        using reduced = unbroadcast(engine, gb, b2.shape);
        grads[1] = reduced.reshape(b.shape);
      }
      return grads;
    },
    flops(ctx) {
      const p = planMatmul(info(ctx, 0).shape, info(ctx, 1).shape);
      return 2 * p.batch * p.M * p.N * p.K;
    },
  },
  Gemm: {
    infer(ctx) {
      const a = info(ctx, 0);
      const b = info(ctx, 1);
      if (a.shape.length !== 2 || b.shape.length !== 2) nodeError(ctx, 'A and B must be 2-D');
      const at = attrs(ctx);
      const p = planMatmul(a.shape, b.shape, {
        transposeA: at.int('transA', 0) === 1,
        transposeB: at.int('transB', 0) === 1,
      });
      return [{ dtype: a.dtype, shape: p.shape }];
    },
    gpu(ctx) {
      const at = attrs(ctx);
      const alpha = at.float('alpha', 1);
      const beta = at.float('beta', 1);
      let y = matmul(ctx.engine, input(ctx, 0), input(ctx, 1), {
        transposeA: at.int('transA', 0) === 1,
        transposeB: at.int('transB', 0) === 1,
      });
      y = scaled(ctx, y, alpha);
      if (present(ctx, 2) && beta !== 0) {
        const c = beta === 1
          ? input(ctx, 2)
          : scaled(ctx, input(ctx, 2).reshape(input(ctx, 2).shape), beta);
        const sum = binary(ctx.engine, 'add', y, c);
        y.destroy();
        if (beta !== 1) c.destroy();
        y = sum;
      }
      return [y];
    },
    flops(ctx, [out]) {
      const a = info(ctx, 0);
      const k = attrs(ctx).int('transA', 0) === 1 ? a.shape[0] : a.shape[1];
      return 2 * count(out) * k + (present(ctx, 2) ? count(out) : 0);
    },
    backward(ctx) {
      // Y = α·op(A)·op(B) + β·C: dop(A) = α·G·op(B)ᵀ, dop(B) = α·op(A)ᵀ·G, dC = β·Σ G.
      const engine = ctx.engine;
      const at = attrs(ctx);
      const alpha = at.float('alpha', 1);
      const beta = at.float('beta', 1);
      const transA = at.int('transA', 0) === 1;
      const transB = at.int('transB', 0) === 1;
      const [a, b] = [input(ctx, 0), input(ctx, 1)];
      using g = outputGrad(ctx);
      const grads: (Tensor | undefined)[] = [undefined, undefined, undefined];
      if (ctx.needs[0]) {
        using ga = transA
          ? matmul(engine, b, g, { transposeA: transB, transposeB: true })
          : matmul(engine, g, b, { transposeB: !transB });
        grads[0] = scale(engine, ga, alpha);
      }
      if (ctx.needs[1]) {
        using gb = transB
          ? matmul(engine, g, a, { transposeA: true, transposeB: transA })
          : matmul(engine, a, g, { transposeA: !transA });
        grads[1] = scale(engine, gb, alpha);
      }
      if (ctx.needs[2]) {
        using gc = unbroadcast(engine, g, input(ctx, 2).shape);
        grads[2] = scale(engine, gc, beta);
      }
      return grads;
    },
  },
  MaxPool: {
    infer: (
      ctx,
    ) => [{ ...info(ctx, 0), shape: poolOutputShape(info(ctx, 0).shape, poolAttributes(ctx)) }],
    gpu(ctx) {
      const { countIncludePad: _, ...options } = poolAttributes(ctx);
      const x = input(ctx, 0);
      if (x.dtype === 'f32') return [maxPool(ctx.engine, x, options)];
      // Integer inputs (uint8, int8, ...) pool exactly in f32 below 2²⁴.
      using f = cast(ctx.engine, x, 'f32');
      using y = maxPool(ctx.engine, f, options);
      return [cast(ctx.engine, y, 'i32')];
    },
    flops: (ctx, [out]) => count(out) * elementCount(poolAttributes(ctx).kernelShape),
    backward(ctx) {
      const { countIncludePad: _, ...options } = poolAttributes(ctx);
      using g = outputGrad(ctx);
      return [maxPoolBackward(ctx.engine, input(ctx, 0), g, options)];
    },
  },
  AveragePool: {
    infer: (
      ctx,
    ) => [{ ...info(ctx, 0), shape: poolOutputShape(info(ctx, 0).shape, poolAttributes(ctx)) }],
    gpu(ctx) {
      const { dilations: _, ...options } = poolAttributes(ctx);
      return [averagePool(ctx.engine, input(ctx, 0), options)];
    },
    flops: (ctx, [out]) => count(out) * elementCount(poolAttributes(ctx).kernelShape),
    backward(ctx) {
      const { dilations: _, ...options } = poolAttributes(ctx);
      using g = outputGrad(ctx);
      return [averagePoolBackward(ctx.engine, g, { ...options, xShape: input(ctx, 0).shape })];
    },
  },
  GlobalAveragePool: {
    infer: (ctx) => [{ ...info(ctx, 0), shape: globalPoolOutputShape(info(ctx, 0).shape) }],
    gpu: (ctx) => [globalAveragePool(ctx.engine, input(ctx, 0))],
    flops: (ctx) => count(info(ctx, 0)),
    backward(ctx) {
      using g = outputGrad(ctx);
      return [globalAveragePoolBackward(ctx.engine, g, { xShape: input(ctx, 0).shape })];
    },
  },
  GlobalMaxPool: {
    infer: (ctx) => [{ ...info(ctx, 0), shape: globalPoolOutputShape(info(ctx, 0).shape) }],
    gpu: (ctx) => [globalMaxPool(ctx.engine, input(ctx, 0))],
    flops: (ctx) => count(info(ctx, 0)),
    backward(ctx) {
      using g = outputGrad(ctx);
      return [globalMaxPoolBackward(ctx.engine, input(ctx, 0), g)];
    },
  },
  BatchNormalization: {
    infer(ctx) {
      if (attrs(ctx).int('training_mode', 0) !== 0) {
        nodeError(ctx, 'training mode is not supported');
      }
      if (ctx.node.outputs.slice(1).some((o) => o)) {
        nodeError(ctx, 'only the first output (inference) is supported');
      }
      return [{ ...info(ctx, 0) }];
    },
    gpu: (ctx) => [batchNormalization(
      ctx.engine,
      input(ctx, 0),
      input(ctx, 1),
      input(ctx, 2),
      input(ctx, 3),
      input(ctx, 4),
      { epsilon: attrs(ctx).float('epsilon', 1e-5) },
    )],
    flops: (ctx) => 2 * count(info(ctx, 0)),
    backward(ctx) {
      // Inference mode is per channel affine: y = (x − mean)·k + B with k = scale/√(var + ε).
      // dx = g·k, dscale = Σ g·(x − mean)/√(var + ε), dB = Σ g, dmean = −Σ g·k,
      // dvar = −½ Σ g·(x − mean)·scale·(var + ε)^(−3/2).
      const engine = ctx.engine;
      const x = input(ctx, 0);
      const [sc, bias, mean, variance] = [1, 2, 3, 4].map((i) => input(ctx, i));
      const epsilon = attrs(ctx).float('epsilon', 1e-5);
      const channelShape = x.shape.map((d, i) => (i === 1 ? d : 1));
      using g = outputGrad(ctx);
      using eps = tensor(engine, [epsilon], []);
      using v = variance.reshape(channelShape);
      using shifted = binary(engine, 'add', v, eps);
      using std = unary(engine, 'sqrt', shifted);
      using inv = unary(engine, 'reciprocal', std);
      using s = sc.reshape(channelShape);
      using k = binary(engine, 'mul', s, inv);
      using m = mean.reshape(channelShape);
      using centered = binary(engine, 'sub', x, m);
      using normalized = binary(engine, 'mul', centered, inv);
      const perChannel = (t: Tensor, factor = 1): Tensor => {
        using r = unbroadcast(engine, t, channelShape);
        using f = scale(engine, r, factor);
        return f.reshape([x.shape[1]]);
      };
      const grads: (Tensor | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
      if (ctx.needs[0]) grads[0] = binary(engine, 'mul', g, k);
      if (ctx.needs[1]) {
        using gn = binary(engine, 'mul', g, normalized);
        grads[1] = perChannel(gn);
      }
      if (ctx.needs[2]) grads[2] = perChannel(g);
      if (ctx.needs[3]) {
        using gk = binary(engine, 'mul', g, k);
        grads[3] = perChannel(gk, -1);
      }
      if (ctx.needs[4]) {
        using gn = binary(engine, 'mul', g, normalized);
        using t1 = binary(engine, 'mul', gn, k);
        using t2 = binary(engine, 'mul', t1, inv);
        grads[4] = perChannel(t2, -0.5);
      }
      void bias;
      return grads;
    },
  },
  LayerNormalization: {
    infer(ctx) {
      const x = info(ctx, 0);
      const rank = x.shape.length;
      const axis = attrs(ctx).int('axis', -1);
      if (axis < -rank || axis >= rank) nodeError(ctx, `axis ${axis} is out of range`);
      const a = axisOf(axis, rank);
      const stats = { dtype: x.dtype, shape: x.shape.map((d, i) => (i < a ? d : 1)) };
      return [{ ...x }, stats, stats];
    },
    gpu(ctx) {
      const x = input(ctx, 0);
      const axis = attrs(ctx).int('axis', -1);
      const epsilon = attrs(ctx).float('epsilon', 1e-5);
      const y = layerNormalization(
        ctx.engine,
        x,
        input(ctx, 1),
        present(ctx, 2) ? input(ctx, 2) : undefined,
        { axis, epsilon },
      );
      if (!ctx.node.outputs[1] && !ctx.node.outputs[2]) return [y];
      // The optional Mean and InvStdDev outputs, from the same rows as the kernel normalizes.
      const engine = ctx.engine;
      const a = axisOf(axis, x.rank);
      using rows = x.reshape([elementCount(x.shape.slice(0, a)), elementCount(x.shape.slice(a))]);
      const mean = reduce(engine, 'mean', rows, { axis: 1, keepDims: true });
      using centered = binary(engine, 'sub', rows, mean);
      using squared = binary(engine, 'mul', centered, centered);
      using variance = reduce(engine, 'mean', squared, { axis: 1, keepDims: true });
      using eps = tensor(engine, [epsilon], []);
      using shifted = binary(engine, 'add', variance, eps);
      using std = unary(engine, 'sqrt', shifted);
      const inv = unary(engine, 'reciprocal', std);
      const shape = ctx.outputs[1].shape;
      const outs = [y, mean.reshape(shape), inv.reshape(shape)];
      mean.destroy();
      inv.destroy();
      return outs;
    },
    flops: (ctx) => 8 * count(info(ctx, 0)),
    backward(ctx) {
      if (ctx.grads[1] || ctx.grads[2]) {
        nodeError(ctx, 'gradients through its Mean and InvStdDev outputs are not supported');
      }
      using g = outputGrad(ctx);
      const { dx, dScale, dBias } = layerNormalizationBackward(
        ctx.engine,
        input(ctx, 0),
        input(ctx, 1),
        g,
        {
          axis: attrs(ctx).int('axis', -1),
          epsilon: attrs(ctx).float('epsilon', 1e-5),
          biasShape: present(ctx, 2) ? input(ctx, 2).shape : undefined,
        },
      );
      return [dx, dScale, dBias].map((t, i) => {
        if (ctx.needs[i] && t) {
          const shaped = t.reshape(input(ctx, i).shape);
          t.destroy();
          return shaped;
        }
        t?.destroy();
        return undefined;
      });
    },
  },
  Softmax: softmaxOp(false),
  LogSoftmax: softmaxOp(true),
  ReduceMean: reduceOp('mean'),
  ReduceSum: reduceOp('sum'),
  ReduceMax: reduceOp('max'),
};
