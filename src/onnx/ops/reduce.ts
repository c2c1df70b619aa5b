/**
 * The ONNX reductions — ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
 * ReduceL2, ReduceLogSumExp, ReduceSumSquare — on one machinery: axes from the attribute (or,
 * from opset 18 and for ReduceSum from 13, the input), `keepdims`, `noop_with_empty_axes`; the
 * reduced axes brought together at the end (a transpose unless they already are) and reduced as
 * one by the `reduce` kernel; f64 folding on the CPU; and each reduction's gradient.
 *
 * @module
 */

import { cpuTensor, elementCount } from '../../graph/ir.ts';
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
import type { Engine } from '../../gpu/engine.ts';
import { outputGrad, scale, unbroadcast } from '../../grad/util.ts';
import { binary } from '../../ops/binary.ts';
import { cast } from '../../ops/cast.ts';
import { compare } from '../../ops/compare.ts';
import { expand } from '../../ops/expand.ts';
import { reduce, type ReduceOp, reduceRowReference } from '../../ops/reduce.ts';
import { transpose } from '../../ops/transpose.ts';
import { unary } from '../../ops/unary.ts';
import { where } from '../../ops/where.ts';
import { type Tensor, tensor } from '../../tensor.ts';
import { axisOf, castValue } from './cpu.ts';

/** The reductions an ONNX Reduce* operator can be (argmax/argmin are ArgMax/ArgMin's). */
export type ReduceKind = Exclude<ReduceOp, 'argmax' | 'argmin'>;

/**
 * Reductions whose value over a single element is that element: reducing over no axes
 * (`noop_with_empty_axes`) is then the identity. L1, L2 and SumSquare give |x|, |x| and x².
 */
const IDENTITY_ON_ONE: ReadonlySet<ReduceKind> = new Set([
  'sum',
  'mean',
  'max',
  'min',
  'prod',
  'logSumExp',
]);

/**
 * The reduced axes, sorted and distinct; `[]` when `noop_with_empty_axes` asks for no
 * reduction (then each element is reduced alone).
 */
export function reduceAxes(ctx: OpContext): number[] {
  const rank = info(ctx, 0).shape.length;
  const fromInput = (ctx.node.op === 'ReduceSum' && ctx.opset >= 13) || ctx.opset >= 18;
  const axes = fromInput
    ? (present(ctx, 1) ? knownInts(ctx, 1, 'axes') : [])
    : attrs(ctx).ints('axes', []);
  if (axes.length === 0) {
    return attrs(ctx).int('noop_with_empty_axes', 0) === 1 ? [] : [...Array(rank).keys()];
  }
  return [
    ...new Set(axes.map((a) => {
      if (a < -rank || a >= rank) nodeError(ctx, `axis ${a} is out of range for rank ${rank}`);
      return axisOf(a, rank);
    })),
  ].sort((p, q) => p - q);
}

/** `shape` with the reduced axes kept as 1. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** The output shape: reduced axes kept as 1 (`keepdims`) or dropped. */
function outputShape(ctx: OpContext): number[] {
  const x = info(ctx, 0);
  const axes = reduceAxes(ctx);
  return attrs(ctx).int('keepdims', 1) === 1
    ? keptShape(x.shape, axes)
    : x.shape.filter((_, i) => !axes.includes(i));
}

/**
 * Reduces f32 `x` over `axes` (sorted, distinct; `[]` reduces each element alone) with the
 * `reduce` kernel; the result has `x`'s rank with the reduced axes of size 1.
 */
export function reduceOver(
  engine: Engine,
  op: ReduceKind,
  x: Tensor,
  axes: readonly number[],
): Tensor {
  const kept = [...Array(x.rank).keys()].filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  // Bring the reduced axes together at the end (a transpose unless they already are), view
  // them as one axis, reduce it.
  using moved = perm.every((p, i) => p === i) ? x.reshape(x.shape) : transpose(engine, x, { perm });
  using merged = moved.reshape([
    ...kept.map((i) => x.shape[i]),
    elementCount(axes.map((i) => x.shape[i])),
  ]);
  using reduced = reduce(engine, op, merged, { axis: -1 });
  return reduced.reshape(keptShape(x.shape, axes));
}

/** The reduction's gradient with respect to x (f32), given the output gradient g. */
function reduceBackward(
  engine: Engine,
  op: ReduceKind,
  x: Tensor,
  y: Tensor,
  g: Tensor,
  axes: readonly number[],
): Tensor {
  const kept = keptShape(x.shape, axes);
  using gKept = g.reshape(kept);
  using spread = expand(engine, gKept, x.shape);
  using zero = tensor(engine, [0], []);
  switch (op) {
    case 'sum':
      return spread.reshape(x.shape);
    case 'mean':
      return scale(engine, spread, elementCount(kept) / Math.max(1, x.size));
    case 'max':
    case 'min': {
      // To the extrema, shared equally between ties.
      using yKept = y.reshape(kept);
      using yFull = expand(engine, yKept, x.shape);
      using hit = compare(engine, 'equal', x, yFull);
      using mask = cast(engine, hit, 'f32');
      using ties = unbroadcast(engine, mask, kept);
      using share = binary(engine, 'div', mask, ties);
      return binary(engine, 'mul', spread, share);
    }
    case 'prod': {
      // ∂/∂x_i Π x = Π_{j≠i} x_j: 0 when another element of the group is 0, else the product
      // of the group with x_i (or a zero x_i) left out, p / x_i with zeros counted as 1 in p.
      using one = tensor(engine, [1], []);
      using isZero = compare(engine, 'equal', x, zero);
      using zf = cast(engine, isZero, 'f32');
      using zeros = unbroadcast(engine, zf, kept);
      using others = binary(engine, 'sub', zeros, zf);
      using alone = compare(engine, 'equal', others, zero);
      using safe = where(engine, isZero, one, x);
      using p = reduceOver(engine, 'prod', safe, axes);
      using q = binary(engine, 'div', p, safe);
      using d = where(engine, alone, q, zero);
      return binary(engine, 'mul', spread, d);
    }
    case 'l1': {
      using s = unary(engine, 'sign', x); // sign(0) = 0, as PyTorch's abs backward
      return binary(engine, 'mul', spread, s);
    }
    case 'l2': {
      // x/‖x‖, and 0 where the norm is 0 (PyTorch's norm backward).
      using yKept = y.reshape(kept);
      using isZero = compare(engine, 'equal', yKept, zero);
      using ratio = binary(engine, 'div', gKept, yKept);
      using masked = where(engine, isZero, zero, ratio);
      return binary(engine, 'mul', x, masked);
    }
    case 'sumSquare': {
      using gx = binary(engine, 'mul', spread, x);
      return scale(engine, gx, 2);
    }
    case 'logSumExp': {
      // The softmax of the group: exp(x − y).
      using yKept = y.reshape(kept);
      using d = binary(engine, 'sub', x, yKept);
      using e = unary(engine, 'exp', d);
      return binary(engine, 'mul', spread, e);
    }
  }
}

/** An ONNX Reduce* operator. */
export function reduceOp(op: ReduceKind): OperatorDef {
  return {
    infer: (ctx) => [{ dtype: info(ctx, 0).dtype, shape: outputShape(ctx) }],
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const axes = reduceAxes(ctx);
      const shape = outputShape(ctx);
      if (axes.length === 0 && IDENTITY_ON_ONE.has(op)) return [{ ...x, shape }];
      const kept = keptShape(x.shape, axes);
      const groups: number[][] = Array.from({ length: elementCount(kept) }, () => []);
      for (let i = 0; i < x.data.length; i++) {
        let rest = i;
        let o = 0;
        let stride = 1;
        for (let d = x.shape.length - 1; d >= 0; d--) {
          const c = rest % x.shape[d];
          rest = Math.floor(rest / x.shape[d]);
          if (!axes.includes(d)) o += c * stride;
          stride *= kept[d];
        }
        groups[o].push(x.data[i]);
      }
      if (groups.some((g) => g.length === 0) && (op === 'mean' || op === 'max' || op === 'min')) {
        nodeError(ctx, `${ctx.node.op} of an empty set of elements is undefined`);
      }
      const out = groups.map((g) => castValue(reduceRowReference(op, g)[0], x.dtype));
      return [cpuTensor(x.dtype, shape, out)];
    },
    gpu(ctx) {
      const x = input(ctx, 0);
      const axes = reduceAxes(ctx);
      const [out] = ctx.outputs;
      if (axes.length === 0 && IDENTITY_ON_ONE.has(op)) return [x.reshape(out.shape)];
      if (x.dtype === 'f32') {
        using r = reduceOver(ctx.engine, op, x, axes);
        return [r.reshape(out.shape)];
      }
      // Integers reduce in f32: exact while every partial result stays below 2²⁴; the result
      // converts back by truncation (as numpy's astype).
      using f = cast(ctx.engine, x, 'f32');
      using r = reduceOver(ctx.engine, op, f, axes);
      using i = cast(ctx.engine, r, 'i32');
      return [i.reshape(out.shape)];
    },
    cpuInputs: [1],
    flops: (ctx) => (op === 'logSumExp' ? 4 : 1) * elementCount(info(ctx, 0).shape),
    backward(ctx) {
      const x = input(ctx, 0);
      const axes = reduceAxes(ctx);
      using g = outputGrad(ctx);
      if (axes.length === 0 && IDENTITY_ON_ONE.has(op)) return [g.reshape(x.shape)];
      return [reduceBackward(ctx.engine, op, x, ctx.results[0]!, g, axes)];
    },
  };
}

/** The reductions beyond ReduceSum, ReduceMean and ReduceMax (which `nn.ts` registers). */
export const REDUCE_OPERATORS: Record<string, OperatorDef> = {
  ReduceMin: reduceOp('min'),
  ReduceProd: reduceOp('prod'),
  ReduceL1: reduceOp('l1'),
  ReduceL2: reduceOp('l2'),
  ReduceLogSumExp: reduceOp('logSumExp'),
  ReduceSumSquare: reduceOp('sumSquare'),
};
