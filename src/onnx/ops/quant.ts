/**
 * ONNX quantization operators: QuantizeLinear, DequantizeLinear (per tensor, per axis and, from
 * opset 21, per block), DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul and
 * QLinearConv — what onnxruntime's `quantize_static` (QDQ and QOperator formats) and
 * `quantize_dynamic` write.
 *
 * Forward. Every operator has an f64 `cpu()`, so a DequantizeLinear of an int8 initializer folds
 * to float weights when the model is planned: that is "dequantize at load", and the GPU then
 * runs an ordinary float Conv/MatMul. On the GPU the operators compose the existing f32 kernels
 * (binary, unary round/clip, cast, matmul, conv, reduce, gather) on dequantized values; integer
 * tensors live in i32 as everywhere in the engine (`gpuType`).
 * - Rounding is half to even (WGSL's and numpy's `round`), after an f32 quotient `x / scale` as
 *   onnxruntime and onnx's reference compute it; the CPU takes the correctly rounded f32
 *   quotient, the GPU its division (WGSL allows 2.5 ulp), so a value within an ulp of a
 *   halfway point may round to the other neighbour there.
 * - Integer products are exact in f32 only while |Σ (a − a₀)(b − b₀)| stays below 2²⁴: with
 *   full-range uint8×int8 values that is K ≤ 258 terms of a MatMulInteger/QLinearMatMul row
 *   (C·kH·kW for a convolution). Beyond it the int32 accumulator is the f32 sum (relative error
 *   ≤ K·2⁻²⁴), far below one quantization step after requantization, but not bit-exact.
 * - DynamicQuantizeLinear of an all-zero tensor (max = min = 0) uses scale 1 and zero point 0,
 *   as onnxruntime does (onnx's formula divides by zero there).
 *
 * Backward (so that attributions work on quantized models):
 * - DequantizeLinear is linear: dx = g·scale, dscale = Σ g·(x − zero point) over the elements
 *   each scale covers.
 * - QuantizeLinear and DynamicQuantizeLinear use the straight-through estimator: rounding counts
 *   as the identity, so dx = g / scale where round(x / scale) + zero point lies inside the
 *   output type's range and 0 where it clips (QuantizeLinear: dscale = −Σ g·x / scale² on the
 *   same mask). DynamicQuantizeLinear treats its computed scale and zero point as constants:
 *   gradients arriving at those outputs are dropped, and none flows through min/max.
 * - MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv differentiate as their dequantized
 *   float equivalents: w.r.t. the quantized data as the real numbers they stand for, and (QLinear*)
 *   w.r.t. the float scales; requantization passes the gradient where the output did not clip.
 * A Q→DQ pair is thus the identity inside the representable range, and the gradient of a
 * quantized model is that of its dequantized float model where nothing clips. The integer
 * tensors between these operators carry f32 gradients (`straightThrough` in the operator
 * contract).
 *
 * Errors: float8 and int4/uint4 tensors are rejected when the file is read (`parse.ts`), so
 * QuantizeLinear's `saturate` (float8 only) never applies. A `block_size` whose scale shape does
 * not match, zero points shaped unlike their scale, and scales that are neither per tensor nor
 * per axis are `NodeError`s naming the node.
 *
 * @module
 */

import { type CpuTensor, cpuTensor, elementCount, type ElementType } from '../../graph/ir.ts';
import {
  attrs,
  type BackwardContext,
  type GpuContext,
  info,
  input,
  nodeError,
  type OpContext,
  type OperatorDef,
  present,
  value,
} from '../../graph/operator.ts';
import type { Engine } from '../../gpu/engine.ts';
import { outputGrad, unbroadcast } from '../../grad/util.ts';
import { binary, type BinaryOp } from '../../ops/binary.ts';
import { cast } from '../../ops/cast.ts';
import { compare, logical } from '../../ops/compare.ts';
import { type AutoPad, conv, convOutputShape, convReference } from '../../ops/conv.ts';
import { gather } from '../../ops/gather.ts';
import { gatherBackward } from '../../ops/gather_backward.ts';
import { matmul, planMatmul } from '../../ops/matmul.ts';
import { reduce } from '../../ops/reduce.ts';
import { unary } from '../../ops/unary.ts';
import { where } from '../../ops/where.ts';
import { type Tensor, tensor } from '../../tensor.ts';
import { elementType } from '../parse.ts';
import { axisOf, castValue } from './cpu.ts';
import { NN_OPS } from './nn.ts';

/** The representable range of each quantized type. */
const RANGES: Partial<Record<ElementType, readonly [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

function rangeOf(ctx: OpContext, dtype: ElementType, what: string): readonly [number, number] {
  const r = RANGES[dtype];
  if (!r) {
    nodeError(ctx, `${what} is ${dtype}; quantized types are uint8, int8, uint16, int16, int32`);
  }
  return r;
}

/** Round half to even (numpy's rint, WGSL's round). */
function rint(v: number): number {
  const f = Math.floor(v);
  const rest = v - f;
  return rest > 0.5 || (rest === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

const clamp = (v: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, v));

// ─── Quantization parameters: per tensor, per axis, per block ───────────────────────────────

/** How a scale (and its zero point) covers the elements of the data. */
type Layout =
  | { kind: 'tensor' }
  | { kind: 'axis'; axis: number }
  | { kind: 'block'; axis: number; block: number };

/** The layout of QuantizeLinear's/DequantizeLinear's scale (input 1) over input 0. */
function linearLayout(ctx: OpContext): Layout {
  const x = info(ctx, 0);
  const s = info(ctx, 1);
  const rank = x.shape.length;
  const a = attrs(ctx);
  if (present(ctx, 2) && info(ctx, 2).shape.join() !== s.shape.join()) {
    nodeError(ctx, `zero point [${info(ctx, 2).shape}] and scale [${s.shape}] differ in shape`);
  }
  const axisOfX = () => {
    const axis = a.int('axis', 1);
    if (axis < -rank || axis >= rank) {
      nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
    }
    return axisOf(axis, rank);
  };
  const block = ctx.opset >= 21 ? a.int('block_size', 0) : 0;
  const single = elementCount(s.shape) === 1 && s.shape.length <= 1;
  if (block < 0) nodeError(ctx, `block_size ${block} is negative`);
  if (block > 0) {
    const axis = axisOfX();
    const want = x.shape.map((d, i) => (i === axis ? Math.ceil(d / block) : d));
    if (s.shape.join() !== want.join()) {
      nodeError(
        ctx,
        `block_size ${block} on axis ${axis} of [${x.shape}] needs a scale of shape [${want}], ` +
          `got [${s.shape}]`,
      );
    }
    return { kind: 'block', axis, block };
  }
  if (single) return { kind: 'tensor' };
  if (s.shape.length === 1 && ctx.opset >= 13) {
    const axis = axisOfX();
    if (s.shape[0] !== x.shape[axis]) {
      nodeError(ctx, `scale of ${s.shape[0]} values does not match axis ${axis} of [${x.shape}]`);
    }
    return { kind: 'axis', axis };
  }
  return nodeError(
    ctx,
    `scale of shape [${s.shape}] is neither a scalar nor one value per element of an axis` +
      (ctx.opset < 13 ? ` (per-axis scales need opset 13, the model has ${ctx.opset})` : ''),
  );
}

/** For each element of data of `shape`, the index of its scale (CPU). */
function paramIndex(layout: Layout, shape: readonly number[]): (i: number) => number {
  if (layout.kind === 'tensor') return () => 0;
  const { axis } = layout;
  const inner = elementCount(shape.slice(axis + 1));
  const dim = shape[axis];
  if (layout.kind === 'axis') return (i) => Math.floor(i / inner) % dim;
  const blocks = Math.ceil(dim / layout.block);
  return (i) => {
    const outer = Math.floor(i / (inner * dim));
    const c = Math.floor(i / inner) % dim;
    return (outer * blocks + Math.floor(c / layout.block)) * inner + (i % inner);
  };
}

/** The block index of each position along the blocked axis, as an i32 tensor (GPU). */
function blockIndices(engine: Engine, dim: number, block: number): Tensor {
  const idx = Int32Array.from({ length: dim }, (_, d) => Math.floor(d / block));
  return tensor(engine, idx, [dim], { dtype: 'i32', label: 'quant.block_index' });
}

/** A scale or zero point as a tensor that broadcasts against data of `shape` (GPU; owned). */
function expandParam(engine: Engine, t: Tensor, layout: Layout, shape: readonly number[]): Tensor {
  if (layout.kind === 'tensor') return t.reshape([]);
  if (layout.kind === 'axis') {
    return t.reshape(shape.slice(layout.axis).map((d, i) => (i === 0 ? d : 1)));
  }
  using idx = blockIndices(engine, shape[layout.axis], layout.block);
  return gather(engine, t, idx, { axis: layout.axis });
}

/** Sums `term` (data-shaped) into the shape of a parameter of `layout` (GPU; owned). */
function reduceToParam(
  engine: Engine,
  term: Tensor,
  layout: Layout,
  paramShape: readonly number[],
): Tensor {
  if (layout.kind === 'block') {
    using idx = blockIndices(engine, term.shape[layout.axis], layout.block);
    return gatherBackward(engine, term, idx, { axis: layout.axis, dataShape: paramShape });
  }
  const target = layout.kind === 'tensor'
    ? []
    : term.shape.slice(layout.axis).map((d, i) => (i === 0 ? d : 1));
  using r = unbroadcast(engine, term, target);
  return r.reshape(paramShape);
}

// ─── GPU helpers ─────────────────────────────────────────────────────────────────────────────

/** `t` as f32 (a view when it already is; owned). */
function asF32(engine: Engine, t: Tensor): Tensor {
  return t.dtype === 'f32' ? t.reshape(t.shape) : cast(engine, t, 'f32');
}

/** `a op b` for owned temporaries, in one line. */
function op(engine: Engine, o: BinaryOp, a: Tensor, b: Tensor): Tensor {
  return binary(engine, o, a, b);
}

/** A scalar f32 tensor. */
function scalar(engine: Engine, v: number): Tensor {
  return tensor(engine, [v], [], { label: 'quant.scalar' });
}

/** 1 where lo ≤ v ≤ hi, else 0 (f32): where the straight-through gradient passes. */
function inRange(engine: Engine, v: Tensor, [lo, hi]: readonly [number, number]): Tensor {
  using low = scalar(engine, lo);
  using high = scalar(engine, hi);
  using above = compare(engine, 'greaterOrEqual', v, low);
  using below = compare(engine, 'lessOrEqual', v, high);
  using both = logical(engine, 'and', above, below);
  return cast(engine, both, 'f32');
}

/** round(v) + zero point, clipped to the type's range, as i32 (GPU). */
function saturate(engine: Engine, v: Tensor, range: readonly [number, number]): Tensor {
  using clipped = unary(engine, 'clip', v, { alpha: range[0], beta: range[1] });
  return cast(engine, clipped, 'i32');
}

/** `data − zero point` in f32, the zero point broadcast by `layout` (GPU; owned). */
function centered(
  ctx: GpuContext,
  data: number,
  zeroPoint: number,
  layout: Layout,
): Tensor {
  const engine = ctx.engine;
  const x = asF32(engine, input(ctx, data));
  if (!present(ctx, zeroPoint)) return x;
  using xf = x;
  using zp = asF32(engine, input(ctx, zeroPoint));
  using z = expandParam(engine, zp, layout, x.shape);
  return op(engine, 'sub', xf, z);
}

// ─── QuantizeLinear / DequantizeLinear ──────────────────────────────────────────────────────

/** QuantizeLinear's output type: its zero point's, else `output_dtype` (opset 21), else uint8. */
function quantizedType(ctx: OpContext): ElementType {
  if (present(ctx, 2)) return info(ctx, 2).dtype;
  const code = ctx.opset >= 21 ? attrs(ctx).int('output_dtype', 0) : 0;
  return code ? elementType(code, `QuantizeLinear node '${ctx.node.name}'`) : 'uint8';
}

/** x / scale rounded to f32, as onnxruntime computes it (f64 inputs stay f64). */
function quotient(x: number, s: number, dtype: ElementType): number {
  return dtype === 'float64' ? x / s : Math.fround(x / s);
}

/** round(x / scale) + zero point before saturation (GPU; owned). */
function quantizedValue(ctx: GpuContext, layout: Layout): Tensor {
  const engine = ctx.engine;
  using xf = asF32(engine, input(ctx, 0));
  using s = expandParam(engine, input(ctx, 1), layout, xf.shape);
  using q = op(engine, 'div', xf, s);
  const r = unary(engine, 'round', q);
  if (!present(ctx, 2)) return r;
  using rounded = r;
  using zp = asF32(engine, input(ctx, 2));
  using z = expandParam(engine, zp, layout, xf.shape);
  return op(engine, 'add', rounded, z);
}

const quantizeLinear: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    const dtype = quantizedType(ctx);
    rangeOf(ctx, dtype, 'the output type');
    linearLayout(ctx);
    return [{ dtype, shape: [...x.shape] }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    const s = value(ctx, 1);
    const zp = present(ctx, 2) ? value(ctx, 2) : undefined;
    if (!x || !s || (present(ctx, 2) && !zp)) return null;
    const dtype = quantizedType(ctx);
    const range = rangeOf(ctx, dtype, 'the output type');
    const at = paramIndex(linearLayout(ctx), x.shape);
    const out = new Float64Array(x.data.length);
    for (let i = 0; i < out.length; i++) {
      const j = at(i);
      out[i] = clamp(rint(quotient(x.data[i], s.data[j], x.dtype)) + (zp ? zp.data[j] : 0), range);
    }
    return [cpuTensor(dtype, x.shape, out)];
  },
  gpu(ctx) {
    const range = rangeOf(ctx, ctx.outputs[0].dtype, 'the output type');
    using v = quantizedValue(ctx, linearLayout(ctx));
    return [saturate(ctx.engine, v, range)];
  },
  flops: (_ctx, [out]) => 3 * elementCount(out.shape),
  backward(ctx) {
    const engine = ctx.engine;
    const layout = linearLayout(ctx);
    using g = outputGrad(ctx);
    using v = quantizedValue(ctx, layout);
    using mask = inRange(engine, v, rangeOf(ctx, ctx.outputs[0].dtype, 'the output type'));
    using gm = op(engine, 'mul', g, mask);
    using s = expandParam(engine, input(ctx, 1), layout, g.shape);
    const gx = op(engine, 'div', gm, s);
    let gs: Tensor | undefined;
    if (ctx.needs[1]) {
      // d(x/s)/ds = −x/s² = −(x/s)/s.
      using xf = asF32(engine, input(ctx, 0));
      using gxs = op(engine, 'mul', gx, xf);
      using t = op(engine, 'div', gxs, s);
      using neg = unary(engine, 'neg', t);
      gs = reduceToParam(engine, neg, layout, input(ctx, 1).shape);
    }
    if (!ctx.needs[0]) {
      gx.destroy();
      return [undefined, gs, undefined];
    }
    return [gx, gs, undefined];
  },
  straightThrough: true,
};

const dequantizeLinear: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    rangeOf(ctx, x.dtype, 'the input');
    linearLayout(ctx);
    return [{ dtype: info(ctx, 1).dtype, shape: [...x.shape] }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    const s = value(ctx, 1);
    const zp = present(ctx, 2) ? value(ctx, 2) : undefined;
    if (!x || !s || (present(ctx, 2) && !zp)) return null;
    rangeOf(ctx, x.dtype, 'the input');
    const at = paramIndex(linearLayout(ctx), x.shape);
    const out = new Float64Array(x.data.length);
    for (let i = 0; i < out.length; i++) {
      const j = at(i);
      out[i] = castValue((x.data[i] - (zp ? zp.data[j] : 0)) * s.data[j], s.dtype);
    }
    return [cpuTensor(s.dtype, x.shape, out)];
  },
  gpu(ctx) {
    const layout = linearLayout(ctx);
    using d = centered(ctx, 0, 2, layout);
    using s = expandParam(ctx.engine, input(ctx, 1), layout, d.shape);
    return [op(ctx.engine, 'mul', d, s)];
  },
  flops: (_ctx, [out]) => 2 * elementCount(out.shape),
  backward(ctx) {
    const engine = ctx.engine;
    const layout = linearLayout(ctx);
    using g = outputGrad(ctx);
    const grads: (Tensor | undefined)[] = [undefined, undefined, undefined];
    if (ctx.needs[0]) {
      using s = expandParam(engine, input(ctx, 1), layout, g.shape);
      grads[0] = op(engine, 'mul', g, s);
    }
    if (ctx.needs[1]) {
      using d = centered(ctx, 0, 2, layout);
      using t = op(engine, 'mul', g, d);
      grads[1] = reduceToParam(engine, t, layout, input(ctx, 1).shape);
    }
    return grads;
  },
};

// ─── DynamicQuantizeLinear ──────────────────────────────────────────────────────────────────

const UINT8 = RANGES.uint8!;

/** Scale and zero point from the data's range (f32 arithmetic, as onnx's reference). */
function dynamicParameters(data: ArrayLike<number>): { scale: number; zeroPoint: number } {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < data.length; i++) {
    lo = Math.min(lo, data[i]);
    hi = Math.max(hi, data[i]);
  }
  if (hi === lo) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround(Math.fround(hi - lo) / 255);
  const zeroPoint = rint(clamp(Math.fround(0 - Math.fround(lo / scale)), UINT8));
  return { scale, zeroPoint };
}

/** The scale [] and zero point [] (f32) of DynamicQuantizeLinear on the GPU (owned). */
function dynamicParametersGpu(engine: Engine, x: Tensor): { scale: Tensor; zeroPoint: Tensor } {
  using flat = x.reshape([1, x.size]);
  using zero = scalar(engine, 0);
  using mx = reduce(engine, 'max', flat, { axis: 1 });
  using mn = reduce(engine, 'min', flat, { axis: 1 });
  using hi0 = mx.reshape([]);
  using lo0 = mn.reshape([]);
  using hi = op(engine, 'max', hi0, zero);
  using lo = op(engine, 'min', lo0, zero);
  using span = op(engine, 'sub', hi, lo);
  using q = scalar(engine, 255);
  using s0 = op(engine, 'div', span, q);
  using one = scalar(engine, 1);
  using empty = compare(engine, 'equal', span, zero);
  const scale = where(engine, empty, one, s0);
  using ratio = op(engine, 'div', lo, scale);
  using izp = op(engine, 'sub', zero, ratio);
  using clipped = unary(engine, 'clip', izp, { alpha: 0, beta: 255 });
  const zeroPoint = unary(engine, 'round', clipped);
  return { scale, zeroPoint };
}

const dynamicQuantizeLinear: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    if (x.dtype !== 'float32') nodeError(ctx, `x must be float32, got ${x.dtype}`);
    return [
      { dtype: 'uint8', shape: [...x.shape] },
      { dtype: 'float32', shape: [] },
      { dtype: 'uint8', shape: [] },
    ];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    if (!x) return null;
    const { scale, zeroPoint } = dynamicParameters(x.data);
    const y = Array.from(
      x.data,
      (v) => clamp(rint(Math.fround(v / scale)) + zeroPoint, UINT8),
    );
    return [
      cpuTensor('uint8', x.shape, y),
      cpuTensor('float32', [], [scale]),
      cpuTensor('uint8', [], [zeroPoint]),
    ];
  },
  gpu(ctx) {
    const engine = ctx.engine;
    const x = input(ctx, 0);
    const { scale, zeroPoint } = dynamicParametersGpu(engine, x);
    using zp = zeroPoint;
    using q = op(engine, 'div', x, scale);
    using r = unary(engine, 'round', q);
    using v = op(engine, 'add', r, zp);
    return [saturate(engine, v, UINT8), scale, cast(engine, zp, 'i32')];
  },
  flops: (ctx) => 5 * elementCount(info(ctx, 0).shape),
  backward(ctx) {
    // Straight-through on y; the scale and zero point count as constants.
    const engine = ctx.engine;
    const x = input(ctx, 0);
    using g = outputGrad(ctx, 0);
    const { scale, zeroPoint } = dynamicParametersGpu(engine, x);
    using s = scale;
    using zp = zeroPoint;
    using q = op(engine, 'div', x, s);
    using r = unary(engine, 'round', q);
    using v = op(engine, 'add', r, zp);
    using mask = inRange(engine, v, UINT8);
    using gm = op(engine, 'mul', g, mask);
    return [op(engine, 'div', gm, s)];
  },
  straightThrough: true,
};

// ─── Integer matrix products ─────────────────────────────────────────────────────────────────

/**
 * Layout of a matrix operand's zero point or scale (input `p`) over the operand (input `data`):
 * a scalar, one value per row of A (`rows`) or one per column of B.
 */
function matrixLayout(ctx: OpContext, data: number, p: number, rows: boolean): Layout {
  if (!present(ctx, p)) return { kind: 'tensor' };
  const t = info(ctx, p).shape;
  const shape = info(ctx, data).shape;
  if (elementCount(t) === 1 && t.length <= 1) return { kind: 'tensor' };
  const rank = shape.length;
  const axis = rows ? rank - 2 : rank - 1;
  if (t.length === 1 && rank >= 2 && t[0] === shape[axis]) {
    // Per row: one value per row, broadcast over the columns; per column: the last axis.
    return { kind: 'axis', axis };
  }
  return nodeError(
    ctx,
    `input ${p} of shape [${t}] must be a scalar or hold one value per ${
      rows ? 'row' : 'column'
    } of input ${data} [${shape}]`,
  );
}

/** CPU: data − zero point per `layout`, in f64. */
function centeredCpu(x: CpuTensor, zp: CpuTensor | undefined, layout: Layout): Float64Array {
  const at = paramIndex(layout, x.shape);
  return Float64Array.from(x.data, (v, i) => v - (zp ? zp.data[at(i)] : 0));
}

/** CPU matrix product of row-major operands (numpy semantics, batch broadcast), f64. */
function matmulCpu(
  a: ArrayLike<number>,
  aShape: number[],
  b: ArrayLike<number>,
  bShape: number[],
): { data: Float64Array; shape: number[] } {
  const plan = planMatmul(aShape, bShape);
  const data = new Float64Array(plan.batch * plan.M * plan.N);
  for (let t = 0; t < plan.batch; t++) {
    for (let m = 0; m < plan.M; m++) {
      for (let n = 0; n < plan.N; n++) {
        let s = 0;
        for (let k = 0; k < plan.K; k++) {
          s += a[plan.offsets[2 * t] + m * plan.K + k] *
            b[plan.offsets[2 * t + 1] + k * plan.N + n];
        }
        data[(t * plan.M + m) * plan.N + n] = s;
      }
    }
  }
  return { data, shape: plan.shape };
}

/** Known values of inputs `indices` (present ones), or null when one is not known. */
function knownInputs(ctx: OpContext, indices: number[]): (CpuTensor | undefined)[] | null {
  const out: (CpuTensor | undefined)[] = [];
  for (const i of indices) {
    if (!present(ctx, i)) {
      out.push(undefined);
      continue;
    }
    const v = value(ctx, i);
    if (!v) return null;
    out.push(v);
  }
  return out;
}

/** Calls MatMul's backward on float operands `a`, `b` with gradient `g` (owned results). */
function matmulBackward(
  ctx: BackwardContext,
  a: Tensor,
  b: Tensor,
  g: Tensor,
  needs: [boolean, boolean],
): (Tensor | undefined)[] {
  return NN_OPS.MatMul.backward!({ ...ctx, inputs: [a, b], grads: [g], needs });
}

const matMulInteger: OperatorDef = {
  infer(ctx) {
    const a = info(ctx, 0);
    const b = info(ctx, 1);
    rangeOf(ctx, a.dtype, 'A');
    rangeOf(ctx, b.dtype, 'B');
    matrixLayout(ctx, 0, 2, true);
    matrixLayout(ctx, 1, 3, false);
    return [{ dtype: 'int32', shape: planMatmul(a.shape, b.shape).shape }];
  },
  cpu(ctx) {
    const v = knownInputs(ctx, [0, 1, 2, 3]);
    if (!v) return null;
    const [a, b, az, bz] = v;
    const ac = centeredCpu(a!, az, matrixLayout(ctx, 0, 2, true));
    const bc = centeredCpu(b!, bz, matrixLayout(ctx, 1, 3, false));
    const y = matmulCpu(ac, a!.shape, bc, b!.shape);
    return [cpuTensor('int32', y.shape, y.data)];
  },
  gpu(ctx) {
    const engine = ctx.engine;
    using a = centered(ctx, 0, 2, matrixLayout(ctx, 0, 2, true));
    using b = centered(ctx, 1, 3, matrixLayout(ctx, 1, 3, false));
    using y = matmul(engine, a, b);
    return [cast(engine, y, 'i32')];
  },
  flops(ctx) {
    const p = planMatmul(info(ctx, 0).shape, info(ctx, 1).shape);
    return 2 * p.batch * p.M * p.N * p.K;
  },
  backward(ctx) {
    using a = centered(ctx, 0, 2, matrixLayout(ctx, 0, 2, true));
    using b = centered(ctx, 1, 3, matrixLayout(ctx, 1, 3, false));
    using g = outputGrad(ctx);
    const [ga, gb] = matmulBackward(ctx, a, b, g, [ctx.needs[0], ctx.needs[1]]);
    return [ga, gb, undefined, undefined];
  },
};

/** A scale of A (per row) or B (per column) shaped to broadcast over the product (owned). */
function productScale(ctx: GpuContext, i: number, layout: Layout, rows: boolean): Tensor {
  return input(ctx, i).reshape(productParamShape(layout, rows, ctx.outputs[0].shape));
}

/** The requantization of an f32 accumulator: mult = sA·sB/sY (broadcast), v = round(acc·mult) + zY. */
function requantize(
  engine: Engine,
  acc: Tensor,
  mult: Tensor,
  yZero: Tensor | undefined,
): Tensor {
  using prod = op(engine, 'mul', acc, mult);
  const r = unary(engine, 'round', prod);
  if (!yZero) return r;
  using rounded = r;
  using z = asF32(engine, yZero);
  using zs = z.reshape([]);
  return op(engine, 'add', rounded, zs);
}

/** sA·sB/sY with sA, sB already broadcastable (owned). */
function multiplier(engine: Engine, sa: Tensor, sb: Tensor, sy: Tensor): Tensor {
  using ab = op(engine, 'mul', sa, sb);
  using y = sy.reshape([]);
  return op(engine, 'div', ab, y);
}

/** CPU requantization of accumulator values: f32 multiplier, round half to even, saturate. */
function requantizeCpu(
  acc: ArrayLike<number>,
  mult: (i: number) => number,
  yZero: number,
  range: readonly [number, number],
): number[] {
  return Array.from(acc, (v, i) => clamp(rint(Math.fround(v * mult(i))) + yZero, range));
}

function checkScalar(ctx: OpContext, i: number, what: string): void {
  if (present(ctx, i) && elementCount(info(ctx, i).shape) !== 1) {
    nodeError(ctx, `${what} (input ${i}) must be a scalar, got shape [${info(ctx, i).shape}]`);
  }
}

/**
 * Gradients of a QLinear operator's scales (inputs sA, sB, sY) from gm = g·mask and the f32
 * accumulator: y ≈ acc·sA·sB/sY, so dsA = Σ gm·acc·sB/sY, dsB = Σ gm·acc·sA/sY,
 * dsY = −Σ gm·acc·sA·sB/sY².
 */
function scaleGrads(
  ctx: BackwardContext,
  gm: Tensor,
  acc: Tensor,
  scales: { index: number; t: Tensor; reduceShape: number[] }[],
  sy: Tensor,
): (Tensor | undefined)[] {
  const engine = ctx.engine;
  using ys = sy.reshape([]);
  using ga = op(engine, 'mul', gm, acc);
  using t = op(engine, 'div', ga, ys);
  const out: (Tensor | undefined)[] = [];
  const [first, second] = scales;
  const reduceTo = (term: Tensor, target: number[], shape: readonly number[]) => {
    using r = unbroadcast(engine, term, target);
    return r.reshape(shape);
  };
  if (ctx.needs[first.index]) {
    using term = op(engine, 'mul', t, second.t);
    out[first.index] = reduceTo(term, first.reduceShape, input(ctx, first.index).shape);
  }
  if (ctx.needs[second.index]) {
    using term = op(engine, 'mul', t, first.t);
    out[second.index] = reduceTo(term, second.reduceShape, input(ctx, second.index).shape);
  }
  const yIndex = 6;
  if (ctx.needs[yIndex]) {
    using m = op(engine, 'mul', first.t, second.t);
    using tm = op(engine, 'mul', t, m);
    using y = op(engine, 'div', tm, ys);
    using neg = unary(engine, 'neg', y);
    out[yIndex] = reduceTo(neg, [], input(ctx, yIndex).shape);
  }
  return out;
}

/** The broadcast shape of a per-row (A) or per-column (B) parameter within the product. */
function productParamShape(layout: Layout, rows: boolean, outShape: readonly number[]): number[] {
  if (layout.kind === 'tensor') return [];
  return rows ? [outShape[outShape.length - 2], 1] : [outShape[outShape.length - 1]];
}

const qlinearMatMul: OperatorDef = {
  infer(ctx) {
    const a = info(ctx, 0);
    const b = info(ctx, 3);
    rangeOf(ctx, a.dtype, 'a');
    rangeOf(ctx, b.dtype, 'b');
    const dtype = info(ctx, 7).dtype;
    rangeOf(ctx, dtype, 'the output type');
    for (
      const [p, d, rows] of [[1, 0, true], [2, 0, true], [4, 3, false], [5, 3, false]] as const
    ) {
      matrixLayout(ctx, d, p, rows);
    }
    checkScalar(ctx, 6, 'y_scale');
    checkScalar(ctx, 7, 'y_zero_point');
    return [{ dtype, shape: planMatmul(a.shape, b.shape).shape }];
  },
  cpu(ctx) {
    const v = knownInputs(ctx, [0, 1, 2, 3, 4, 5, 6, 7]);
    if (!v) return null;
    const [a, sa, az, b, sb, bz, sy, yz] = v;
    const acc = matmulCpu(
      centeredCpu(a!, az, matrixLayout(ctx, 0, 2, true)),
      a!.shape,
      centeredCpu(b!, bz, matrixLayout(ctx, 3, 5, false)),
      b!.shape,
    );
    const rows = matrixLayout(ctx, 0, 1, true).kind === 'axis';
    const cols = matrixLayout(ctx, 3, 4, false).kind === 'axis';
    const [M, N] = acc.shape.slice(-2);
    const mult = (i: number) =>
      Math.fround(
        Math.fround(
          sa!.data[rows ? Math.floor(i / N) % M : 0] * sb!.data[cols ? i % N : 0],
        ) / sy!.data[0],
      );
    const range = rangeOf(ctx, yz!.dtype, 'the output type');
    return [cpuTensor(yz!.dtype, acc.shape, requantizeCpu(acc.data, mult, yz!.data[0], range))];
  },
  gpu(ctx) {
    const engine = ctx.engine;
    const { acc, mult } = qlinearMatMulParts(ctx);
    using a = acc;
    using m = mult;
    using v = requantize(engine, a, m, input(ctx, 7));
    return [saturate(engine, v, rangeOf(ctx, ctx.outputs[0].dtype, 'the output type'))];
  },
  flops(ctx) {
    const p = planMatmul(info(ctx, 0).shape, info(ctx, 3).shape);
    return 2 * p.batch * p.M * p.N * p.K + 3 * p.batch * p.M * p.N;
  },
  backward(ctx) {
    const engine = ctx.engine;
    const out = ctx.outputs[0].shape;
    const saLayout = matrixLayout(ctx, 0, 1, true);
    const sbLayout = matrixLayout(ctx, 3, 4, false);
    using a = centered(ctx, 0, 2, matrixLayout(ctx, 0, 2, true));
    using b = centered(ctx, 3, 5, matrixLayout(ctx, 3, 5, false));
    using acc = matmul(engine, a, b);
    using sa = productScale(ctx, 1, saLayout, true);
    using sb = productScale(ctx, 4, sbLayout, false);
    using mult = multiplier(engine, sa, sb, input(ctx, 6));
    using v = requantize(engine, acc, mult, input(ctx, 7));
    using mask = inRange(engine, v, rangeOf(ctx, ctx.outputs[0].dtype, 'the output type'));
    using g = outputGrad(ctx);
    using gm = op(engine, 'mul', g, mask);
    using gq = op(engine, 'mul', gm, mult);
    const [ga, gb] = matmulBackward(ctx, a, b, gq, [ctx.needs[0], ctx.needs[3]]);
    const grads = scaleGrads(ctx, gm, acc, [
      { index: 1, t: sa, reduceShape: productParamShape(saLayout, true, out) },
      { index: 4, t: sb, reduceShape: productParamShape(sbLayout, false, out) },
    ], input(ctx, 6));
    grads[0] = ga;
    grads[3] = gb;
    return Array.from({ length: ctx.node.inputs.length }, (_, i) => grads[i]);
  },
};

/** QLinearMatMul's f32 accumulator and multiplier (owned). */
function qlinearMatMulParts(ctx: GpuContext): { acc: Tensor; mult: Tensor } {
  const engine = ctx.engine;
  using a = centered(ctx, 0, 2, matrixLayout(ctx, 0, 2, true));
  using b = centered(ctx, 3, 5, matrixLayout(ctx, 3, 5, false));
  const acc = matmul(engine, a, b);
  using sa = productScale(ctx, 1, matrixLayout(ctx, 0, 1, true), true);
  using sb = productScale(ctx, 4, matrixLayout(ctx, 3, 4, false), false);
  return { acc, mult: multiplier(engine, sa, sb, input(ctx, 6)) };
}

// ─── Integer convolutions ────────────────────────────────────────────────────────────────────

function convAttributes(ctx: OpContext) {
  const a = attrs(ctx);
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad)) {
    nodeError(ctx, `auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  return {
    strides: a.ints('strides'),
    pads: a.ints('pads'),
    dilations: a.ints('dilations'),
    group: a.int('group', 1),
    kernelShape: a.ints('kernel_shape'),
    autoPad: autoPad as AutoPad,
  };
}

/** A weight zero point or scale: a scalar or one value per output channel (axis 0 of w). */
function channelLayout(ctx: OpContext, w: number, p: number): Layout {
  if (!present(ctx, p)) return { kind: 'tensor' };
  const t = info(ctx, p).shape;
  if (elementCount(t) === 1 && t.length <= 1) return { kind: 'tensor' };
  const m = info(ctx, w).shape[0];
  if (t.length === 1 && t[0] === m) return { kind: 'axis', axis: 0 };
  return nodeError(
    ctx,
    `input ${p} of shape [${t}] must be a scalar or hold one value per output channel (${m})`,
  );
}

/** Per-channel values as a tensor that broadcasts over [N, M, ...spatial] (owned). */
function overChannels(t: Tensor, layout: Layout, rank: number): Tensor {
  if (layout.kind === 'tensor') return t.reshape([]);
  return t.reshape([t.size, ...new Array(rank - 2).fill(1)]);
}

/** Calls Conv's backward on float x, w with gradient `g` (owned results). */
function convBackward(
  ctx: BackwardContext,
  x: Tensor,
  w: Tensor,
  g: Tensor,
  needs: [boolean, boolean],
): (Tensor | undefined)[] {
  const node = { ...ctx.node, op: 'Conv', inputs: ctx.node.inputs.slice(0, 2) };
  return NN_OPS.Conv.backward!({
    ...ctx,
    node,
    inputs: [x, w],
    grads: [g],
    needs: [...needs, false],
  });
}

const convInteger: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    const w = info(ctx, 1);
    rangeOf(ctx, x.dtype, 'x');
    rangeOf(ctx, w.dtype, 'w');
    checkScalar(ctx, 2, 'x_zero_point');
    channelLayout(ctx, 1, 3);
    return [{ dtype: 'int32', shape: convOutputShape(x.shape, w.shape, convAttributes(ctx)) }];
  },
  cpu(ctx) {
    const v = knownInputs(ctx, [0, 1, 2, 3]);
    if (!v) return null;
    const [x, w, xz, wz] = v;
    const y = convReference(
      centeredCpu(x!, xz, { kind: 'tensor' }),
      x!.shape,
      centeredCpu(w!, wz, channelLayout(ctx, 1, 3)),
      w!.shape,
      convAttributes(ctx),
    );
    return [cpuTensor('int32', y.shape, y.data)];
  },
  gpu(ctx) {
    const engine = ctx.engine;
    using x = centered(ctx, 0, 2, { kind: 'tensor' });
    using w = centered(ctx, 1, 3, channelLayout(ctx, 1, 3));
    using y = conv(engine, x, w, convAttributes(ctx));
    return [cast(engine, y, 'i32')];
  },
  flops(ctx, [out]) {
    return 2 * elementCount(out.shape) * elementCount(info(ctx, 1).shape.slice(1));
  },
  backward(ctx) {
    using x = centered(ctx, 0, 2, { kind: 'tensor' });
    using w = centered(ctx, 1, 3, channelLayout(ctx, 1, 3));
    using g = outputGrad(ctx);
    const [gx, gw] = convBackward(ctx, x, w, g, [ctx.needs[0], ctx.needs[1]]);
    return [gx, gw, undefined, undefined];
  },
};

/** QLinearConv's f32 accumulator (bias included), multiplier and centered operands (owned). */
function qlinearConvParts(ctx: GpuContext): {
  x: Tensor;
  w: Tensor;
  acc: Tensor;
  sx: Tensor;
  sw: Tensor;
  mult: Tensor;
} {
  const engine = ctx.engine;
  const rank = info(ctx, 0).shape.length;
  const x = centered(ctx, 0, 2, { kind: 'tensor' });
  const w = centered(ctx, 3, 5, channelLayout(ctx, 3, 5));
  const bias = present(ctx, 8) ? asF32(engine, input(ctx, 8)) : undefined;
  const acc = conv(engine, x, w, { ...convAttributes(ctx), bias });
  bias?.destroy();
  const sx = input(ctx, 1).reshape([]);
  const sw = overChannels(input(ctx, 4), channelLayout(ctx, 3, 4), rank);
  return { x, w, acc, sx, sw, mult: multiplier(engine, sx, sw, input(ctx, 6)) };
}

const qlinearConv: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    const w = info(ctx, 3);
    rangeOf(ctx, x.dtype, 'x');
    rangeOf(ctx, w.dtype, 'w');
    const dtype = info(ctx, 7).dtype;
    rangeOf(ctx, dtype, 'the output type');
    for (const [i, what] of [[1, 'x_scale'], [2, 'x_zero_point'], [6, 'y_scale']] as const) {
      checkScalar(ctx, i, what);
    }
    checkScalar(ctx, 7, 'y_zero_point');
    channelLayout(ctx, 3, 4);
    channelLayout(ctx, 3, 5);
    if (present(ctx, 8) && info(ctx, 8).dtype !== 'int32') {
      nodeError(ctx, `the bias must be int32, got ${info(ctx, 8).dtype}`);
    }
    return [{ dtype, shape: convOutputShape(x.shape, w.shape, convAttributes(ctx)) }];
  },
  cpu(ctx) {
    const v = knownInputs(ctx, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    if (!v) return null;
    const [x, sx, xz, w, sw, wz, sy, yz, bias] = v;
    const acc = convReference(
      centeredCpu(x!, xz, { kind: 'tensor' }),
      x!.shape,
      centeredCpu(w!, wz, channelLayout(ctx, 3, 5)),
      w!.shape,
      { ...convAttributes(ctx), bias: bias?.data },
    );
    const perChannel = channelLayout(ctx, 3, 4).kind === 'axis';
    const [M] = w!.shape;
    const inner = elementCount(acc.shape.slice(2));
    const mult = (i: number) =>
      Math.fround(
        Math.fround(sx!.data[0] * sw!.data[perChannel ? Math.floor(i / inner) % M : 0]) /
          sy!.data[0],
      );
    const range = rangeOf(ctx, yz!.dtype, 'the output type');
    return [cpuTensor(yz!.dtype, acc.shape, requantizeCpu(acc.data, mult, yz!.data[0], range))];
  },
  gpu(ctx) {
    const engine = ctx.engine;
    const parts = qlinearConvParts(ctx);
    using _x = parts.x;
    using _w = parts.w;
    using _sx = parts.sx;
    using _sw = parts.sw;
    using acc = parts.acc;
    using mult = parts.mult;
    using v = requantize(engine, acc, mult, input(ctx, 7));
    return [saturate(engine, v, rangeOf(ctx, ctx.outputs[0].dtype, 'the output type'))];
  },
  flops(ctx, [out]) {
    return 2 * elementCount(out.shape) * elementCount(info(ctx, 3).shape.slice(1)) +
      3 * elementCount(out.shape);
  },
  backward(ctx) {
    const engine = ctx.engine;
    const parts = qlinearConvParts(ctx);
    using x = parts.x;
    using w = parts.w;
    using sx = parts.sx;
    using sw = parts.sw;
    using acc = parts.acc;
    using mult = parts.mult;
    using v = requantize(engine, acc, mult, input(ctx, 7));
    using mask = inRange(engine, v, rangeOf(ctx, ctx.outputs[0].dtype, 'the output type'));
    using g = outputGrad(ctx);
    using gm = op(engine, 'mul', g, mask);
    using gq = op(engine, 'mul', gm, mult);
    const [gx, gw] = convBackward(ctx, x, w, gq, [ctx.needs[0], ctx.needs[3]]);
    const swShape = channelLayout(ctx, 3, 4).kind === 'axis' ? sw.shape.slice() : [];
    const grads = scaleGrads(ctx, gm, acc, [
      { index: 1, t: sx, reduceShape: [] },
      { index: 4, t: sw, reduceShape: swShape },
    ], input(ctx, 6));
    grads[0] = gx;
    grads[3] = gw;
    return Array.from({ length: ctx.node.inputs.length }, (_, i) => grads[i]);
  },
};

/** The quantization operators by name. */
export const QUANT_OPS: Record<string, OperatorDef> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  DynamicQuantizeLinear: dynamicQuantizeLinear,
  MatMulInteger: matMulInteger,
  ConvInteger: convInteger,
  QLinearMatMul: qlinearMatMul,
  QLinearConv: qlinearConv,
};
