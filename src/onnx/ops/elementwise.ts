/**
 * ONNX elementwise operators: activations and math functions (unary), arithmetic with
 * broadcasting (binary, variadic Max/Min/Sum), comparisons, logic, Where. Each folds on the CPU
 * for known inputs and runs on the GPU otherwise.
 *
 * @module
 */

import { type ElementType, isFloat } from '../../graph/ir.ts';
import {
  attrs,
  type BackwardContext,
  type GpuContext,
  gpuType,
  info,
  input,
  nodeError,
  type OpContext,
  type OperatorDef,
  present,
  type TensorInfo,
  value,
} from '../../graph/operator.ts';
import { binary, type BinaryOp } from '../../ops/binary.ts';
import { checkIntOverflow, OVERFLOW_OPS, type OverflowOp } from '../../ops/binary_overflow.ts';
import { broadcastShapes } from '../../ops/common.ts';
import { compare, type CompareOp, logical, logicalNot, type LogicalOp } from '../../ops/compare.ts';
import { erf64, unary, type UnaryOp, type UnaryOptions } from '../../ops/unary.ts';
import { where } from '../../ops/where.ts';
import { cast } from '../../ops/cast.ts';
import type { Engine } from '../../gpu/engine.ts';
import { type Tensor, tensor } from '../../tensor.ts';
import { unaryBackward } from '../../ops/unary_backward.ts';
import { outputGrad, unbroadcast } from '../../grad/util.ts';
import { broadcastMap } from './cpu.ts';

function broadcastInfo(ctx: OpContext, dtype?: ElementType): TensorInfo {
  let shape: number[] = [];
  let first: ElementType | undefined;
  ctx.infos.forEach((t, i) => {
    if (!t) return;
    first ??= t.dtype;
    if (dtype === undefined && t.dtype !== first && ctx.node.op !== 'Where') {
      nodeError(ctx, `input ${i} is ${t.dtype}, input 0 is ${first}`);
    }
    shape = broadcastShapes(shape, t.shape, `${ctx.node.op} node '${ctx.node.name}'`);
  });
  return { dtype: dtype ?? first!, shape };
}

function elementCountOf(t: TensorInfo): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/** A unary operator: `f` on the CPU, `op` (with parameters from the node) on the GPU. */
function unaryOp(
  op: UnaryOp,
  f: (v: number, ctx: OpContext) => number,
  parameters: (ctx: OpContext) => UnaryOptions = () => ({}),
): OperatorDef {
  return {
    infer: (ctx) => [{ ...info(ctx, 0) }],
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      return [broadcastMap([x], x.dtype, (v) => f(v, ctx))];
    },
    gpu(ctx) {
      if (!isFloat(info(ctx, 0).dtype)) {
        nodeError(ctx, `integer inputs (${info(ctx, 0).dtype}) are only supported on the CPU`);
      }
      return [unary(ctx.engine, op, input(ctx, 0), parameters(ctx))];
    },
    flops: (_ctx, [out]) => elementCountOf(out),
    backward(ctx) {
      using g = outputGrad(ctx);
      return [unaryBackward(ctx.engine, op, input(ctx, 0), g, parameters(ctx))];
    },
  };
}

/** `a op b` (a new tensor). */
function apply(ctx: OpContext & { engine: Engine }, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  return binary(ctx.engine, op, a, b);
}

/** 1 where `a` is the maximum (minimum) of the inputs, shared equally between ties, else 0. */
function extremumShare(ctx: BackwardContext, i: number): Tensor {
  const engine = ctx.engine;
  const y = ctx.results[0]!;
  const inputs = ctx.inputs.filter((t): t is Tensor => t !== undefined);
  let ties: Tensor | undefined;
  for (const x of inputs) {
    using hit = compare(engine, 'equal', x, y);
    const f = cast(engine, hit, 'f32');
    if (!ties) ties = f;
    else {
      const sum = binary(engine, 'add', ties, f);
      ties.destroy();
      f.destroy();
      ties = sum;
    }
  }
  using mine = compare(engine, 'equal', inputs[i], y);
  using f = cast(engine, mine, 'f32');
  try {
    return binary(engine, 'div', f, ties!);
  } finally {
    ties!.destroy();
  }
}

/** The gradients of a broadcasting arithmetic operator's inputs. */
function binaryBackward(op: BinaryOp, ctx: BackwardContext): (Tensor | undefined)[] {
  const engine = ctx.engine;
  using g = outputGrad(ctx);
  const shapeOf = (i: number) => ctx.infos[i]!.shape;
  const reduceTo = (t: Tensor, i: number): Tensor => {
    try {
      return unbroadcast(engine, t, shapeOf(i));
    } finally {
      t.destroy();
    }
  };
  const [a, b] = [ctx.inputs[0]!, ctx.inputs[1]];
  return ctx.node.inputs.map((_, i) => {
    if (!ctx.needs[i]) return undefined;
    switch (op) {
      case 'add':
        return unbroadcast(engine, g, shapeOf(i));
      case 'sub':
        return i === 0 ? unbroadcast(engine, g, shapeOf(0)) : reduceTo(unary(engine, 'neg', g), 1);
      case 'mul':
        return reduceTo(apply(ctx, 'mul', g, i === 0 ? b! : a), i);
      case 'div': {
        if (i === 0) return reduceTo(apply(ctx, 'div', g, b!), 0);
        // d(a/b)/db = −(a/b)/b.
        using gy = apply(ctx, 'mul', g, ctx.results[0]!);
        using q = apply(ctx, 'div', gy, b!);
        return reduceTo(unary(engine, 'neg', q), 1);
      }
      case 'pow': {
        if (i === 0) {
          // d(aᵇ)/da = b·aᵇ⁻¹.
          using one = tensor(engine, [1], []);
          using bf = b!.dtype === 'f32' ? b!.reshape(b!.shape) : cast(engine, b!, 'f32');
          using bm1 = apply(ctx, 'sub', bf, one);
          using p = apply(ctx, 'pow', a, bm1);
          using bp = apply(ctx, 'mul', bf, p);
          return reduceTo(apply(ctx, 'mul', g, bp), 0);
        }
        // d(aᵇ)/db = aᵇ·ln a.
        using ln = unary(engine, 'log', a);
        using yl = apply(ctx, 'mul', ctx.results[0]!, ln);
        return reduceTo(apply(ctx, 'mul', g, yl), 1);
      }
      case 'max':
      case 'min': {
        using share = extremumShare(ctx, i);
        return reduceTo(apply(ctx, 'mul', g, share), i);
      }
    }
  });
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * For int64 add, sub, mul and div on the GPU: records the check that each result fits in the
 * i32 that holds it there (`binary` wraps; an overflow rejects the next readback with an
 * `IntegerOverflowError` naming the node). A no-op for other types and operations. (Narrower
 * integer types are held exactly; their ONNX wrap-around is not modelled.)
 */
function overflowCheck(ctx: GpuContext, op: BinaryOp): (a: Tensor, b: Tensor) => void {
  const dtype = info(ctx, 0).dtype;
  if (dtype !== 'int64' || !Object.hasOwn(OVERFLOW_OPS, op)) return () => {};
  const caller = `${ctx.node.op} node '${ctx.node.name}'`;
  return (a, b) => checkIntOverflow(ctx.engine, op as OverflowOp, a, b, { caller, dtype });
}

/** A binary arithmetic operator with broadcasting, variadic for Max/Min/Sum/Mean. */
function binaryOp(op: BinaryOp, f: (a: number, b: number) => number): OperatorDef {
  return {
    infer: (ctx) => [broadcastInfo(ctx)],
    cpu(ctx) {
      const xs = ctx.node.inputs.map((_, i) => value(ctx, i));
      if (xs.some((x) => !x)) return null;
      const dtype = xs[0]!.dtype;
      const integral = !isFloat(dtype);
      // Integer division truncates toward zero, as ONNX (and C) define it.
      const g = integral && op === 'div' ? (a: number, b: number) => Math.trunc(a / b) : f;
      let acc = xs[0]!;
      for (const x of xs.slice(1)) acc = broadcastMap([acc, x!], dtype, g, ctx.node.op);
      return [acc];
    },
    gpu(ctx) {
      const xs = ctx.inputs.filter((t): t is Tensor => t !== undefined);
      // Variadic Max/Min/Sum of one input is that input.
      if (xs.length === 1) return [xs[0].reshape(xs[0].shape)];
      const check = overflowCheck(ctx, op);
      check(xs[0], xs[1]);
      let acc = binary(ctx.engine, op, xs[0], xs[1]);
      for (const x of xs.slice(2)) {
        // Sum's partial sums are checked too: stricter than int64, which only needs the total.
        check(acc, x);
        const next = binary(ctx.engine, op, acc, x);
        acc.destroy();
        acc = next;
      }
      return [acc];
    },
    flops: (ctx, [out]) => elementCountOf(out) * Math.max(1, ctx.node.inputs.length - 1),
    backward: (ctx) => binaryBackward(op, ctx),
  };
}

function compareOp(op: CompareOp, f: (a: number, b: number) => boolean): OperatorDef {
  return {
    infer: (ctx) => [broadcastInfo(ctx, 'bool')],
    cpu(ctx) {
      const a = value(ctx, 0);
      const b = value(ctx, 1);
      if (!a || !b) return null;
      return [broadcastMap([a, b], 'bool', (u, v) => (f(u, v) ? 1 : 0), ctx.node.op)];
    },
    gpu: (ctx) => [compare(ctx.engine, op, input(ctx, 0), input(ctx, 1))],
    flops: (_ctx, [out]) => elementCountOf(out),
  };
}

function logicalOp(op: LogicalOp, f: (a: boolean, b: boolean) => boolean): OperatorDef {
  return {
    infer: (ctx) => [broadcastInfo(ctx, 'bool')],
    cpu(ctx) {
      const a = value(ctx, 0);
      const b = value(ctx, 1);
      if (!a || !b) return null;
      return [broadcastMap([a, b], 'bool', (u, v) => (f(u !== 0, v !== 0) ? 1 : 0), ctx.node.op)];
    },
    gpu: (ctx) => [logical(ctx.engine, op, input(ctx, 0), input(ctx, 1))],
  };
}

function clipBounds(ctx: OpContext): { min?: number; max?: number } {
  if (ctx.opset < 11) {
    return { min: attrs(ctx).float('min'), max: attrs(ctx).float('max') };
  }
  const bound = (i: number) => {
    if (!present(ctx, i)) return undefined;
    const v = value(ctx, i);
    if (!v) nodeError(ctx, `bound input ${i} must be computable when the model is planned`);
    return v.data[0];
  };
  return { min: bound(1), max: bound(2) };
}

function gelu(v: number, ctx: OpContext): number {
  return attrs(ctx).string('approximate', 'none') === 'tanh'
    ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))
    : 0.5 * v * (1 + erf64(v / Math.SQRT2));
}

/** The elementwise operators by name. */
export const ELEMENTWISE_OPS: Record<string, OperatorDef> = {
  Relu: unaryOp('relu', (v) => Math.max(v, 0)),
  Sigmoid: unaryOp('sigmoid', sigmoid),
  Tanh: unaryOp('tanh', Math.tanh),
  Exp: unaryOp('exp', Math.exp),
  Log: unaryOp('log', Math.log),
  Abs: unaryOp('abs', Math.abs),
  Neg: unaryOp('neg', (v) => -v),
  Sqrt: unaryOp('sqrt', Math.sqrt),
  Erf: unaryOp('erf', erf64),
  Reciprocal: unaryOp('reciprocal', (v) => 1 / v),
  Floor: unaryOp('floor', Math.floor),
  Ceil: unaryOp('ceil', Math.ceil),
  Sin: unaryOp('sin', Math.sin),
  Cos: unaryOp('cos', Math.cos),
  Softplus: unaryOp('softplus', (v) => Math.log1p(Math.exp(v))),
  Sign: unaryOp('sign', Math.sign),
  Gelu: {
    ...unaryOp('gelu', gelu),
    gpu(ctx) {
      const tanh = attrs(ctx).string('approximate', 'none') === 'tanh';
      return [unary(ctx.engine, tanh ? 'gelu_tanh' : 'gelu', input(ctx, 0))];
    },
    backward(ctx) {
      const tanh = attrs(ctx).string('approximate', 'none') === 'tanh';
      using g = outputGrad(ctx);
      return [unaryBackward(ctx.engine, tanh ? 'gelu_tanh' : 'gelu', input(ctx, 0), g)];
    },
  },
  LeakyRelu: unaryOp(
    'leakyRelu',
    (v, ctx) => (v >= 0 ? v : attrs(ctx).float('alpha', 0.01) * v),
    (ctx) => ({ alpha: attrs(ctx).float('alpha', 0.01) }),
  ),
  Elu: unaryOp(
    'elu',
    (v, ctx) => (v >= 0 ? v : attrs(ctx).float('alpha', 1) * Math.expm1(v)),
    (ctx) => ({ alpha: attrs(ctx).float('alpha', 1) }),
  ),
  HardSigmoid: unaryOp(
    'hardSigmoid',
    (v, ctx) =>
      Math.max(0, Math.min(1, attrs(ctx).float('alpha', 0.2) * v + attrs(ctx).float('beta', 0.5))),
    (ctx) => ({ alpha: attrs(ctx).float('alpha', 0.2), beta: attrs(ctx).float('beta', 0.5) }),
  ),
  HardSwish: unaryOp('hardSwish', (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5))),
  Clip: {
    ...unaryOp('clip', (v, ctx) => {
      const { min, max } = clipBounds(ctx);
      return Math.min(max ?? Infinity, Math.max(min ?? -Infinity, v));
    }),
    gpu(ctx) {
      const { min, max } = clipBounds(ctx);
      const x = input(ctx, 0);
      if (x.dtype === 'f32') return [unary(ctx.engine, 'clip', x, { alpha: min, beta: max })];
      // Integer inputs clip exactly in f32 below 2²⁴.
      using f = cast(ctx.engine, x, 'f32');
      using y = unary(ctx.engine, 'clip', f, { alpha: min, beta: max });
      return [cast(ctx.engine, y, 'i32')];
    },
    backward(ctx) {
      const { min, max } = clipBounds(ctx);
      using g = outputGrad(ctx);
      return [unaryBackward(ctx.engine, 'clip', input(ctx, 0), g, { alpha: min, beta: max })];
    },
    cpuInputs: [1, 2],
  },
  Add: binaryOp('add', (a, b) => a + b),
  Sub: binaryOp('sub', (a, b) => a - b),
  Mul: binaryOp('mul', (a, b) => a * b),
  Div: binaryOp('div', (a, b) => a / b),
  Pow: {
    ...binaryOp('pow', Math.pow),
    // The exponent may have another type than the base; the result has the base's.
    infer: (
      ctx,
    ) => [{ dtype: info(ctx, 0).dtype, shape: broadcastInfo(ctx, info(ctx, 0).dtype).shape }],
    cpu(ctx) {
      const a = value(ctx, 0);
      const b = value(ctx, 1);
      if (!a || !b) return null;
      return [broadcastMap([a, b], a.dtype, Math.pow, 'Pow')];
    },
    gpu(ctx) {
      const [a, b] = [input(ctx, 0), input(ctx, 1)];
      if (a.dtype === 'f32' && b.dtype === 'f32') return [binary(ctx.engine, 'pow', a, b)];
      // Mixed or integer types: compute in f32 (exact for integers below 2²⁴), round back to
      // the base's integers.
      using fa = a.dtype === 'f32' ? a.reshape(a.shape) : cast(ctx.engine, a, 'f32');
      using fb = b.dtype === 'f32' ? b.reshape(b.shape) : cast(ctx.engine, b, 'f32');
      const y = binary(ctx.engine, 'pow', fa, fb);
      if (a.dtype === 'f32') return [y];
      using rounded = unary(ctx.engine, 'round', y);
      y.destroy();
      return [cast(ctx.engine, rounded, 'i32')];
    },
  },
  Max: binaryOp('max', Math.max),
  Min: binaryOp('min', Math.min),
  Sum: binaryOp('add', (a, b) => a + b),
  Equal: compareOp('equal', (a, b) => a === b),
  Less: compareOp('less', (a, b) => a < b),
  LessOrEqual: compareOp('lessOrEqual', (a, b) => a <= b),
  Greater: compareOp('greater', (a, b) => a > b),
  GreaterOrEqual: compareOp('greaterOrEqual', (a, b) => a >= b),
  And: logicalOp('and', (a, b) => a && b),
  Or: logicalOp('or', (a, b) => a || b),
  Xor: logicalOp('xor', (a, b) => a !== b),
  Not: {
    infer: (ctx) => [{ dtype: 'bool', shape: info(ctx, 0).shape }],
    cpu(ctx) {
      const x = value(ctx, 0);
      return x ? [broadcastMap([x], 'bool', (v) => (v ? 0 : 1))] : null;
    },
    gpu: (ctx) => [logicalNot(ctx.engine, input(ctx, 0))],
  },
  Where: {
    infer(ctx) {
      const x = info(ctx, 1);
      if (info(ctx, 2).dtype !== x.dtype) {
        nodeError(ctx, `x is ${x.dtype} but y is ${info(ctx, 2).dtype}`);
      }
      return [{ dtype: x.dtype, shape: broadcastInfo(ctx, x.dtype).shape }];
    },
    cpu(ctx) {
      const [c, x, y] = [0, 1, 2].map((i) => value(ctx, i));
      if (!c || !x || !y) return null;
      return [broadcastMap([c, x, y], x.dtype, (k, a, b) => (k ? a : b), 'Where')];
    },
    gpu(ctx) {
      if (gpuType(info(ctx, 0).dtype) !== 'i32') nodeError(ctx, 'the condition must be bool');
      return [where(ctx.engine, input(ctx, 0), input(ctx, 1), input(ctx, 2))];
    },
    backward(ctx) {
      const engine = ctx.engine;
      using g = outputGrad(ctx);
      using zero = tensor(engine, [0], []);
      const c = input(ctx, 0);
      return [
        undefined,
        ctx.needs[1] ? reduced(where(engine, c, g, zero), ctx.infos[1]!.shape) : undefined,
        ctx.needs[2] ? reduced(where(engine, c, zero, g), ctx.infos[2]!.shape) : undefined,
      ];
      function reduced(t: Tensor, shape: number[]): Tensor {
        try {
          return unbroadcast(engine, t, shape);
        } finally {
          t.destroy();
        }
      }
    },
  },
};
