/**
 * ONNX shape and data-movement operators: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze,
 * Identity, Dropout, Constant, ConstantOfShape, Range, Concat, Split, Slice, Gather, Expand,
 * Transpose, Cast, CastLike. Each folds on the CPU when its inputs are known; those that move
 * runtime data run on the GPU (views for pure reshapes, kernels otherwise).
 *
 * @module
 */

import {
  type CpuTensor,
  cpuTensor,
  type CpuValue,
  elementCount,
  type ElementType,
} from '../../graph/ir.ts';
import {
  attrs,
  gpuType,
  info,
  input,
  known,
  knownInts,
  nodeError,
  type OpContext,
  type OperatorDef,
  present,
  type TensorInfo,
  value,
} from '../../graph/operator.ts';
import { elementType } from '../parse.ts';
import { broadcastShapes } from '../../ops/common.ts';
import { cast } from '../../ops/cast.ts';
import { concat } from '../../ops/concat.ts';
import { expand } from '../../ops/expand.ts';
import { gather } from '../../ops/gather.ts';
import { slice } from '../../ops/slice.ts';
import { split } from '../../ops/split.ts';
import { transpose } from '../../ops/transpose.ts';
import { stridesOf, type Tensor, tensor } from '../../tensor.ts';
import { stridedCopy } from '../../ops/strided_copy.ts';
import { roundFloat } from '../../ops/round_float.ts';
import { gatherBackward } from '../../ops/gather_backward.ts';
import { outputGrad, unbroadcast, zeros } from '../../grad/util.ts';
import { axisOf, castValue, concatCpu, offsetOf, remap } from './cpu.ts';

function checkAxis(ctx: OpContext, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
  }
  return axisOf(axis, rank);
}

/** A same-data operator: output = input 0 with a new shape (GPU: a view, no copy). */
function view(shapeOf: (ctx: OpContext) => number[]): OperatorDef {
  return {
    infer: (ctx) => [{ dtype: info(ctx, 0).dtype, shape: shapeOf(ctx) }],
    cpu(ctx) {
      const x = value(ctx, 0);
      return x ? [{ ...x, shape: shapeOf(ctx) }] : null;
    },
    gpu: (ctx) => [input(ctx, 0).reshape(ctx.outputs[0].shape)],
    backward(ctx) {
      using g = outputGrad(ctx);
      return [g.reshape(input(ctx, 0).shape)];
    },
    reusesData: true,
  };
}

function reshapeTarget(ctx: OpContext): number[] {
  const x = info(ctx, 0);
  const requested = ctx.opset < 5
    ? attrs(ctx).ints('shape', [])
    : knownInts(ctx, 1, 'target shape');
  const allowZero = attrs(ctx).int('allowzero', 0) === 1;
  const out = requested.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
  const inferred = out.indexOf(-1);
  if (out.some((d, i) => d < -1 || (d === -1 && i !== inferred))) {
    nodeError(ctx, `target shape [${requested}] is invalid`);
  }
  const total = elementCount(x.shape);
  if (inferred >= 0) {
    const rest = out.reduce((a, d, i) => (i === inferred ? a : a * d), 1);
    if (rest === 0 || total % rest !== 0) {
      nodeError(ctx, `cannot reshape [${x.shape}] to [${requested}]`);
    }
    out[inferred] = total / rest;
  }
  if (elementCount(out) !== total) {
    nodeError(ctx, `cannot reshape [${x.shape}] (${total} elements) to [${requested}]`);
  }
  return out;
}

function squeezeTarget(ctx: OpContext): number[] {
  const x = info(ctx, 0);
  const axes = ctx.opset < 13
    ? attrs(ctx).ints('axes')
    : present(ctx, 1)
    ? knownInts(ctx, 1, 'axes')
    : undefined;
  if (!axes) return x.shape.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => checkAxis(ctx, a, x.shape.length)));
  for (const a of drop) {
    if (x.shape[a] !== 1) nodeError(ctx, `cannot squeeze axis ${a} of size ${x.shape[a]}`);
  }
  return x.shape.filter((_, i) => !drop.has(i));
}

function unsqueezeTarget(ctx: OpContext): number[] {
  const x = info(ctx, 0);
  const axes = ctx.opset < 13 ? attrs(ctx).ints('axes', []) : knownInts(ctx, 1, 'axes');
  const rank = x.shape.length + axes.length;
  const at = new Set(axes.map((a) => checkAxis(ctx, a, rank)));
  if (at.size !== axes.length) nodeError(ctx, `axes [${axes}] repeat an axis`);
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : x.shape[j++]);
  return out;
}

function flattenTarget(ctx: OpContext): number[] {
  const x = info(ctx, 0);
  const rank = x.shape.length;
  const axis = attrs(ctx).int('axis', 1);
  if (axis < -rank || axis > rank) nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
  const a = axis < 0 ? axis + rank : axis;
  return [elementCount(x.shape.slice(0, a)), elementCount(x.shape.slice(a))];
}

/** ONNX Slice parameters resolved against a shape: per axis start, step and length. */
export interface SliceSpec {
  starts: number[];
  steps: number[];
  shape: number[];
}

function sliceSpec(ctx: OpContext): SliceSpec {
  const x = info(ctx, 0);
  const rank = x.shape.length;
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = attrs(ctx).ints('starts', []);
    ends = attrs(ctx).ints('ends', []);
    axes = attrs(ctx).ints('axes');
  } else {
    starts = knownInts(ctx, 1, 'starts');
    ends = knownInts(ctx, 2, 'ends');
    axes = present(ctx, 3) ? knownInts(ctx, 3, 'axes') : undefined;
    steps = present(ctx, 4) ? knownInts(ctx, 4, 'steps') : undefined;
  }
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length) {
    nodeError(ctx, 'starts, ends, axes and steps must have one entry per sliced axis');
  }
  const spec: SliceSpec = {
    starts: new Array(rank).fill(0),
    steps: new Array(rank).fill(1),
    shape: [...x.shape],
  };
  axes.forEach((a, i) => {
    const axis = checkAxis(ctx, a, rank);
    const dim = x.shape[axis];
    const step = steps![i];
    if (step === 0) nodeError(ctx, 'a step of 0 is invalid');
    let start = starts[i] < 0 ? starts[i] + dim : starts[i];
    let end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = Math.min(Math.max(start, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
    } else {
      start = Math.min(Math.max(start, 0), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
    }
    spec.starts[axis] = start;
    spec.steps[axis] = step;
    spec.shape[axis] = Math.max(0, Math.ceil((end - start) / step));
  });
  return spec;
}

function splitSizes(ctx: OpContext): { axis: number; sizes: number[] } {
  const x = info(ctx, 0);
  const axis = checkAxis(ctx, attrs(ctx).int('axis', 0), x.shape.length);
  const dim = x.shape[axis];
  const count = ctx.node.outputs.length;
  let sizes = ctx.opset < 13
    ? attrs(ctx).ints('split')
    : present(ctx, 1)
    ? knownInts(ctx, 1, 'split sizes')
    : undefined;
  if (!sizes) {
    const parts = attrs(ctx).int('num_outputs', count);
    const each = Math.ceil(dim / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== dim) {
    nodeError(ctx, `split sizes [${sizes}] do not add up to dimension ${dim}`);
  }
  return { axis, sizes };
}

function gatherShape(ctx: OpContext): { axis: number; shape: number[] } {
  const data = info(ctx, 0);
  const indices = info(ctx, 1);
  const axis = checkAxis(ctx, attrs(ctx).int('axis', 0), data.shape.length);
  return {
    axis,
    shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)],
  };
}

function transposePerm(ctx: OpContext): number[] {
  const rank = info(ctx, 0).shape.length;
  const perm = attrs(ctx).ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    nodeError(ctx, `perm [${perm}] is not a permutation of ${rank} axes`);
  }
  return perm;
}

function castTarget(ctx: OpContext): ElementType {
  if (ctx.node.op === 'CastLike') return info(ctx, 1).dtype;
  const to = attrs(ctx).int('to');
  if (to === undefined) nodeError(ctx, "attribute 'to' is required");
  return elementType(to, `Cast node '${ctx.node.name}'`);
}

function constantValue(ctx: OpContext): CpuTensor {
  const a = attrs(ctx);
  const t = a.tensor('value');
  if (t) return t;
  if (a.has('value_float')) return cpuTensor('float32', [], [a.float('value_float', 0)]);
  if (a.has('value_int')) return cpuTensor('int64', [], [a.int('value_int', 0)]);
  if (a.has('value_floats')) {
    const v = ctx.node.attributes.value_floats as number[];
    return cpuTensor('float32', [v.length], v);
  }
  if (a.has('value_ints')) {
    const v = a.ints('value_ints', []);
    return cpuTensor('int64', [v.length], v);
  }
  return nodeError(ctx, 'has no supported value attribute (value, value_float(s), value_int(s))');
}

/** Range's bounds and length, without making the values (the planner checks the size first). */
function rangeSpec(ctx: OpContext): { start: number; delta: number; n: number } {
  const [start, limit, delta] = [0, 1, 2].map((i) => {
    const t = known(ctx, i, 'range bound');
    if (t.data.length !== 1) nodeError(ctx, `input ${i} must be a scalar, got shape [${t.shape}]`);
    return t.data[0];
  });
  if (delta === 0) nodeError(ctx, 'delta must not be 0');
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  if (!Number.isSafeInteger(n)) {
    nodeError(ctx, `Range(${start}, ${limit}, ${delta}) has no finite length (${n})`);
  }
  return { start, delta, n };
}

function rangeValue(ctx: OpContext): CpuTensor {
  const { start, delta, n } = rangeSpec(ctx);
  const dtype = info(ctx, 0).dtype;
  const data = new (dtype === 'float32' ? Float32Array : Float64Array)(n);
  for (let i = 0; i < n; i++) data[i] = castValue(start + i * delta, dtype);
  return { dtype, shape: [n], data };
}

/** The shape/data-movement operators by name. */
export const SHAPE_OPS: Record<string, OperatorDef> = {
  Shape: {
    infer: (ctx) => [{ dtype: 'int64', shape: [info(ctx, 0).shape.length] }],
    cpu(ctx) {
      const shape = info(ctx, 0).shape;
      const rank = shape.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
      const start = clamp(attrs(ctx).int('start', 0));
      const end = clamp(attrs(ctx).int('end', rank));
      const dims = shape.slice(start, Math.max(start, end));
      return [cpuTensor('int64', [dims.length], dims)];
    },
  },
  Size: {
    infer: () => [{ dtype: 'int64', shape: [] }],
    cpu: (ctx) => [cpuTensor('int64', [], [elementCount(info(ctx, 0).shape)])],
  },
  Reshape: { ...view(reshapeTarget), cpuInputs: [1] },
  Flatten: view(flattenTarget),
  Squeeze: { ...view(squeezeTarget), cpuInputs: [1] },
  Unsqueeze: { ...view(unsqueezeTarget), cpuInputs: [1] },
  Identity: view((ctx) => info(ctx, 0).shape),
  Dropout: {
    // Inference: the identity, and a mask of all true. Training mode would be random.
    infer(ctx) {
      const training = ctx.opset >= 12 && present(ctx, 2)
        ? value(ctx, 2)?.data[0]
        : attrs(ctx).int('is_test', 1) === 0 && ctx.opset < 7
        ? 1
        : 0;
      if (training === undefined) nodeError(ctx, 'training_mode must be known when planning');
      // Training mode drops at random, except with ratio 0, where it is the identity too.
      const ratio = present(ctx, 1) ? value(ctx, 1)?.data[0] : attrs(ctx).float('ratio', 0.5);
      if (training && ratio !== 0) {
        nodeError(ctx, 'training mode is random and not supported (inference only)');
      }
      const x = info(ctx, 0);
      return [{ ...x }, { dtype: 'bool', shape: x.shape }];
    },
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      SHAPE_OPS.Dropout.infer(ctx);
      return [x, cpuTensor('bool', x.shape, new Float64Array(x.data.length).fill(1))];
    },
    gpu(ctx) {
      const x = input(ctx, 0);
      const outs: Tensor[] = [x.reshape(x.shape)];
      if (ctx.node.outputs[1]) {
        outs.push(tensor(ctx.engine, new Int32Array(x.size).fill(1), x.shape, { dtype: 'i32' }));
      }
      return outs;
    },
    backward(ctx) {
      using g = outputGrad(ctx);
      return [g.reshape(input(ctx, 0).shape)];
    },
    cpuInputs: [1, 2],
  },
  Constant: {
    infer: (ctx) => {
      const t = constantValue(ctx);
      return [{ dtype: t.dtype, shape: t.shape }];
    },
    cpu: (ctx) => [constantValue(ctx)],
    reusesData: true,
  },
  ConstantOfShape: {
    infer: (ctx) => {
      const fill = attrs(ctx).tensor('value');
      return [{ dtype: fill?.dtype ?? 'float32', shape: knownInts(ctx, 0, 'shape') }];
    },
    cpu(ctx) {
      const shape = knownInts(ctx, 0, 'shape');
      const fill = attrs(ctx).tensor('value');
      const dtype = fill?.dtype ?? 'float32';
      const data = new (dtype === 'float32' ? Float32Array : Float64Array)(elementCount(shape));
      data.fill(fill ? fill.data[0] : 0);
      return [{ dtype, shape, data }];
    },
    cpuInputs: [0],
  },
  Range: {
    infer: (ctx) => [{ dtype: info(ctx, 0).dtype, shape: [rangeSpec(ctx).n] }],
    cpu: (ctx) => [rangeValue(ctx)],
    cpuInputs: [0, 1, 2],
  },
  Concat: {
    infer(ctx) {
      const first = info(ctx, 0);
      const rank = first.shape.length;
      const axis = checkAxis(ctx, attrs(ctx).int('axis', 0), rank);
      const shape = [...first.shape];
      shape[axis] = 0;
      ctx.infos.forEach((t, i) => {
        if (!t) return;
        if (t.shape.length !== rank || t.shape.some((d, k) => k !== axis && d !== first.shape[k])) {
          nodeError(
            ctx,
            `input ${i} [${t.shape}] does not match [${first.shape}] off axis ${axis}`,
          );
        }
        shape[axis] += t.shape[axis];
      });
      return [{ dtype: first.dtype, shape }];
    },
    cpu(ctx) {
      const parts = ctx.node.inputs.map((_, i) => value(ctx, i));
      if (parts.some((p) => !p)) return null;
      const [out] = SHAPE_OPS.Concat.infer(ctx); // validates the shapes
      const axis = checkAxis(ctx, attrs(ctx).int('axis', 0), out.shape.length);
      return [concatCpu(parts as CpuTensor[], axis)];
    },
    gpu(ctx) {
      const [out] = ctx.outputs;
      const axis = checkAxis(ctx, attrs(ctx).int('axis', 0), out.shape.length);
      const parts = ctx.inputs.filter((t, i) => t && ctx.infos[i]!.shape[axis] > 0);
      return [concat(ctx.engine, parts as NonNullable<typeof parts[0]>[], { axis })];
    },
    backward(ctx) {
      const [out] = ctx.outputs;
      const axis = checkAxis(ctx, attrs(ctx).int('axis', 0), out.shape.length);
      using g = outputGrad(ctx);
      let begin = 0;
      return ctx.infos.map((t, i) => {
        if (!t) return undefined;
        const at = begin;
        begin += t.shape[axis];
        if (!ctx.needs[i]) return undefined;
        const starts = out.shape.map((_, d) => (d === axis ? at : 0));
        const ends = out.shape.map((dim, d) => (d === axis ? at + t.shape[axis] : dim));
        if (elementCount(t.shape) === 0) return zeros(ctx.engine, t.shape);
        return slice(ctx.engine, g, { starts, ends });
      });
    },
  },
  Split: {
    infer(ctx) {
      const x = info(ctx, 0);
      const { axis, sizes } = splitSizes(ctx);
      return sizes.map((s) => {
        const shape = [...x.shape];
        shape[axis] = s;
        return { dtype: x.dtype, shape };
      });
    },
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const { axis, sizes } = splitSizes(ctx);
      let begin = 0;
      return sizes.map((s) => {
        const shape = [...x.shape];
        shape[axis] = s;
        const at = begin;
        begin += s;
        return remap(x, shape, (c) => {
          const src = [...c];
          src[axis] += at;
          return offsetOf(src, x.shape);
        });
      });
    },
    gpu(ctx) {
      const { axis, sizes } = splitSizes(ctx);
      return split(ctx.engine, input(ctx, 0), { axis, sizes });
    },
    backward(ctx) {
      const { axis } = splitSizes(ctx);
      const parts = ctx.outputs.map((_, i) => outputGrad(ctx, i));
      try {
        const nonEmpty = parts.filter((p) => p.size > 0);
        return [concat(ctx.engine, nonEmpty, { axis })];
      } finally {
        for (const p of parts) p.destroy();
      }
    },
    cpuInputs: [1],
  },
  Slice: {
    infer: (ctx) => [{ dtype: info(ctx, 0).dtype, shape: sliceSpec(ctx).shape }],
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const spec = sliceSpec(ctx);
      return [
        remap(x, spec.shape, (c) =>
          offsetOf(
            c.map((v, d) => spec.starts[d] + v * spec.steps[d]),
            x.shape,
          )),
      ];
    },
    gpu(ctx) {
      const x = input(ctx, 0);
      const spec = sliceSpec(ctx);
      const axes = x.shape.map((_, i) => i);
      const ends = spec.starts.map((s, d) => {
        const e = s + spec.shape[d] * spec.steps[d];
        // An end of -1 for a backward slice would wrap: use a value below -dim instead.
        return spec.steps[d] < 0 && e < 0 ? -x.shape[d] - 1 : e;
      });
      return [slice(ctx.engine, x, { starts: spec.starts, ends, axes, steps: spec.steps })];
    },
    backward(ctx) {
      // The gradient lands on the sliced positions of a zero tensor of the input's shape.
      const x = input(ctx, 0);
      const spec = sliceSpec(ctx);
      const dx = zeros(ctx.engine, x.shape);
      using g = outputGrad(ctx);
      if (g.size === 0) return [dx];
      const strides = stridesOf(x.shape);
      stridedCopy(ctx.engine, g, dx, {
        shape: spec.shape,
        dstBase: spec.starts.reduce((o, s, d) => o + s * strides[d], 0),
        dstStrides: strides.map((st, d) => st * spec.steps[d]),
      }, `Slice gradient '${ctx.node.name}'`);
      return [dx];
    },
    cpuInputs: [1, 2, 3, 4],
  },
  Gather: {
    infer(ctx) {
      return [{ dtype: info(ctx, 0).dtype, shape: gatherShape(ctx).shape }];
    },
    cpu(ctx) {
      const data = value(ctx, 0);
      const indices = value(ctx, 1);
      if (!data || !indices) return null;
      const { axis, shape } = gatherShape(ctx);
      const dim = data.shape[axis];
      const q = indices.shape.length;
      return [remap(data, shape, (c) => {
        let index = indices.data[offsetOf(c.slice(axis, axis + q), indices.shape)];
        if (index < 0) index += dim;
        if (index < 0 || index >= dim) nodeError(ctx, `index ${index} is out of range for ${dim}`);
        return offsetOf([...c.slice(0, axis), index, ...c.slice(axis + q)], data.shape);
      })];
    },
    gpu(ctx) {
      const { axis } = gatherShape(ctx);
      const indices = value(ctx, 1);
      if (indices) {
        const dim = info(ctx, 0).shape[axis];
        for (const i of indices.data) {
          if (i < -dim || i >= dim) nodeError(ctx, `index ${i} is out of range for ${dim}`);
        }
      }
      return [gather(ctx.engine, input(ctx, 0), input(ctx, 1), { axis })];
    },
    backward(ctx) {
      const { axis } = gatherShape(ctx);
      using g = outputGrad(ctx);
      const data = info(ctx, 0);
      return [
        gatherBackward(ctx.engine, g, input(ctx, 1), { axis, dataShape: data.shape }),
        undefined,
      ];
    },
  },
  Expand: {
    infer(ctx) {
      const x = info(ctx, 0);
      const shape = broadcastShapes(x.shape, knownInts(ctx, 1, 'shape'), 'Expand');
      return [{ dtype: x.dtype, shape }];
    },
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const [out] = SHAPE_OPS.Expand.infer(ctx);
      const offset = out.shape.length - x.shape.length;
      const strides = stridesOf(x.shape);
      return [remap(x, out.shape, (c) => {
        let o = 0;
        for (let d = 0; d < x.shape.length; d++) {
          o += (x.shape[d] === 1 ? 0 : c[d + offset]) * strides[d];
        }
        return o;
      })];
    },
    gpu: (ctx) => [expand(ctx.engine, input(ctx, 0), ctx.outputs[0].shape)],
    backward(ctx) {
      using g = outputGrad(ctx);
      return [unbroadcast(ctx.engine, g, info(ctx, 0).shape)];
    },
    cpuInputs: [1],
  },
  Transpose: {
    infer(ctx) {
      const x = info(ctx, 0);
      return [{ dtype: x.dtype, shape: transposePerm(ctx).map((p) => x.shape[p]) }];
    },
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const perm = transposePerm(ctx);
      const shape = perm.map((p) => x.shape[p]);
      return [remap(x, shape, (c) => {
        const src = new Array<number>(c.length);
        perm.forEach((p, d) => (src[p] = c[d]));
        return offsetOf(src, x.shape);
      })];
    },
    gpu: (ctx) => [transpose(ctx.engine, input(ctx, 0), { perm: transposePerm(ctx) })],
    backward(ctx) {
      const perm = transposePerm(ctx);
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, d) => (inverse[p] = d));
      using g = outputGrad(ctx);
      return [transpose(ctx.engine, g, { perm: inverse })];
    },
  },
  Cast: castOp(),
  CastLike: castOp(),
};

function castOp(): OperatorDef {
  return {
    infer: (ctx) => [{ dtype: castTarget(ctx), shape: info(ctx, 0).shape }],
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const dtype = castTarget(ctx);
      return [cpuTensor(dtype, x.shape, Array.from(x.data, (v) => castValue(v, dtype)))];
    },
    gpu(ctx) {
      const x = input(ctx, 0);
      const to = castTarget(ctx);
      // To bool is "non-zero", not a truncation; int → int and float → float keep the data.
      if (to === 'bool') return [cast(ctx.engine, x, 'bool')];
      // To float16/bfloat16: values round to the format's grid (they stay f32 on the GPU).
      if ((to === 'float16' || to === 'bfloat16') && info(ctx, 0).dtype !== to) {
        using f = x.dtype === 'f32' ? x.reshape(x.shape) : cast(ctx.engine, x, 'f32');
        return [roundFloat(ctx.engine, f, to)];
      }
      return [gpuType(to) === x.dtype ? x.reshape(x.shape) : cast(ctx.engine, x, gpuType(to))];
    },
    backward(ctx) {
      // Only float → float casts carry a gradient (an integer result is piecewise constant).
      if (gpuType(castTarget(ctx)) !== 'f32') return [undefined];
      using g = outputGrad(ctx);
      return [g.reshape(input(ctx, 0).shape)];
    },
  };
}

/** The type of a CPU value, for ops that return whole values. */
export function infoOfValue(v: CpuValue): TensorInfo | undefined {
  return 'sequence' in v ? undefined : { dtype: v.dtype, shape: v.shape };
}
