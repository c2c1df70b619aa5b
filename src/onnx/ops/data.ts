/**
 * ONNX data-movement operators: padding, tiling, depth/space rearrangement, triangular masks,
 * element and slice gathers and scatters, one-hot, non-zero, cumulative sums and Einsum.
 *
 * Each folds on the CPU in f64 when its inputs are known at plan time, runs on the GPU otherwise
 * (NonZero, whose output shape depends on its data, only folds), and has a reverse-mode rule
 * where its result depends differentiably on a float input.
 *
 * Indices (Gather, GatherElements, ScatterElements, Scatter, GatherND, ScatterND) are checked
 * against the axes they index: at plan time when known there, else on the GPU before the kernel
 * uses them, reported by the next readback as an `IndexError` naming the node
 * ({@linkcode indexOperand} says which input and which ranges; `src/onnx/index_feeds.ts` checks
 * host-fed indices with it). OneHot needs no check: ONNX gives an index out of range a row of
 * `off` values.
 *
 * @module
 */

import { GlassboxError } from '../../gpu/errors.ts';
import { type CpuTensor, cpuTensor, elementCount, isFloat } from '../../graph/ir.ts';
import {
  Attributes,
  attrs,
  type GpuContext,
  gpuType,
  info,
  input,
  knownInts,
  nodeError,
  type OpContext,
  type OperatorDef,
  present,
  type TensorInfo,
  value,
} from '../../graph/operator.ts';
import { outputGrad, unbroadcast, zeros } from '../../grad/util.ts';
import { binary } from '../../ops/binary.ts';
import { concat } from '../../ops/concat.ts';
import { cumSum, cumSumBackward, cumSumReference } from '../../ops/cum_sum.ts';
import {
  einsum,
  einsumBackward,
  einsumOutputShape,
  einsumReference,
  parseEinsum,
} from '../../ops/einsum.ts';
import { expand } from '../../ops/expand.ts';
import { gather, validateGatherIndices } from '../../ops/gather.ts';
import {
  checkElementsShapes,
  gatherElements,
  gatherElementsReference,
  SCATTER_REDUCTIONS,
  scatterElements,
  scatterElementsReference,
  type ScatterReduction,
  validateIndices,
} from '../../ops/gather_elements.ts';
import {
  gatherND,
  gatherNdReference,
  ndIndexRanges,
  planNd,
  scatterND,
  scatterNdReference,
  validateNdIndices,
} from '../../ops/gather_nd.ts';
import type { IndexCheckOptions, IndexRange } from '../../ops/index_check.ts';
import { oneHot, oneHotReference, oneHotShape } from '../../ops/one_hot.ts';
import {
  pad,
  PAD_MODES,
  padBackward,
  type PadMode,
  padOutputShape,
  padReference,
} from '../../ops/pad.ts';
import { reduce } from '../../ops/reduce.ts';
import { transpose } from '../../ops/transpose.ts';
import { where } from '../../ops/where.ts';
import { type DType, formatShape, type Tensor, tensor } from '../../tensor.ts';
import type { Engine } from '../../gpu/engine.ts';
import { castValue, remap } from './cpu.ts';
import { SHAPE_OPS } from './shape.ts';

/**
 * Runs `f`, turning the kernels' and references' argument and shape errors into a
 * {@linkcode NodeError} that names the node (the original is its `cause`).
 */
function named<T>(ctx: OpContext, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof GlassboxError && error.name !== 'NodeError') {
      return nodeError(ctx, error.message.replace(/^Cannot run [^:]*: /, ''));
    }
    throw error;
  }
}

/** A CPU tensor of `dtype` from f64 values, rounded to what the type holds. */
function cpuOf(dtype: CpuTensor['dtype'], shape: number[], data: ArrayLike<number>): CpuTensor {
  return cpuTensor(dtype, shape, Array.from(data, (v) => castValue(v, dtype)));
}

/** A scalar zero of a GPU dtype. */
function zeroScalar(engine: Engine, dtype: DType): Tensor {
  return tensor(engine, dtype === 'f32' ? new Float32Array(1) : new Int32Array(1), [], { dtype });
}

function checkAxis(ctx: OpContext, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

// ---------------------------------------------------------------------------------------------
// Index checks

/** The operators whose input 1 holds indices into input 0 (data), checked before use. */
const INDEXING_OPS: ReadonlySet<string> = new Set([
  'Gather',
  'GatherElements',
  'ScatterElements',
  'Scatter',
  'GatherND',
  'ScatterND',
]);

/** A node's runtime indices: which input holds them, the valid range per tuple position. */
export interface IndexOperand {
  /** Input index of the indices (1 for every indexing operator). */
  input: number;
  /** Valid range of element `i`: `ranges[i % ranges.length]`. */
  ranges: IndexRange[];
  /** The node, for messages: `Gather node 'embed'`. */
  caller: string;
}

/**
 * The indices of a planned node of an indexing operator (Gather, GatherElements,
 * ScatterElements, Scatter, GatherND, ScatterND) and the range ONNX allows each in, from the
 * node's input types; null for other operators (OneHot included: out-of-range indices are valid
 * there). Throws the node's own errors for a malformed node (it was planned, so it is not).
 */
export function indexOperand(
  step: { node: OpContext['node']; infos: OpContext['infos'] },
): IndexOperand | null {
  const { node, infos } = step;
  if (!INDEXING_OPS.has(node.op) || node.domain) return null;
  const data = infos[0];
  const indices = infos[1];
  if (!data || !indices) return null;
  const caller = `${node.op} node '${node.name}'`;
  const what = (axis: number) => `axis ${axis} of data ${formatShape(data.shape)}`;
  const a = new Attributes(node);
  if (node.op === 'GatherND' || node.op === 'ScatterND') {
    const batchDims = node.op === 'GatherND' ? a.int('batch_dims', 0) : 0;
    const plan = planNd(node.op, data.shape, indices.shape, batchDims);
    return { input: 1, ranges: ndIndexRanges(plan, data.shape), caller };
  }
  const rank = data.shape.length;
  const raw = a.int('axis', 0);
  if (rank === 0 || raw < -rank || raw >= rank) return null;
  const axis = raw < 0 ? raw + rank : raw;
  return { input: 1, ranges: [{ length: data.shape[axis], what: what(axis) }], caller };
}

/**
 * The index-check options of a GPU forward: checked on the GPU unless the indices were known at
 * plan time (and checked then), named after the node and its indices input.
 */
function indexCheck(ctx: OpContext): IndexCheckOptions {
  return {
    checkIndices: value(ctx, 1) === undefined,
    caller: `${ctx.node.op} node '${ctx.node.name}'`,
    indicesName: ctx.node.inputs[1],
  };
}

/** Gradients reuse the forward's indices, which the forward checked. */
const CHECKED: IndexCheckOptions = { checkIndices: false };

/**
 * ONNX Gather: the shape operators' (`shape.ts`, which folds it and checks indices known at plan
 * time) with a GPU forward that checks runtime indices naming the node. It replaces that entry
 * in the registry (`DATA_OPS` is spread after `SHAPE_OPS`).
 */
const Gather: OperatorDef = {
  ...SHAPE_OPS.Gather,
  gpu(ctx) {
    const data = info(ctx, 0);
    const axis = checkAxis(ctx, attrs(ctx).int('axis', 0), data.shape.length);
    const known = value(ctx, 1);
    if (known) named(ctx, () => validateGatherIndices(known.data, data.shape[axis]));
    const options = { axis, ...indexCheck(ctx) };
    return [named(ctx, () => gather(ctx.engine, input(ctx, 0), input(ctx, 1), options))];
  },
};

// ---------------------------------------------------------------------------------------------
// Pad

interface PadSpec {
  pads: number[];
  mode: PadMode;
  /** The constant when known on the CPU (or absent: 0); undefined when it is a runtime tensor. */
  value: number | undefined;
}

function padSpec(ctx: OpContext): PadSpec {
  const x = info(ctx, 0);
  const rank = x.shape.length;
  const a = attrs(ctx);
  const mode = a.string('mode', 'constant');
  if (!Object.hasOwn(PAD_MODES, mode) || (mode === 'wrap' && ctx.opset < 19)) {
    nodeError(
      ctx,
      `mode '${mode}' is not supported (constant, reflect, edge${ctx.opset >= 19 ? ', wrap' : ''})`,
    );
  }
  let pads: number[];
  let v: number | undefined = 0;
  if (ctx.opset < 11) {
    pads = a.ints(ctx.opset < 2 ? 'paddings' : 'pads') ??
      nodeError(ctx, "attribute 'pads' is required");
    v = a.float('value', 0);
  } else {
    const given = knownInts(ctx, 1, 'pads');
    if (present(ctx, 2)) {
      const c = value(ctx, 2);
      v = c ? c.data[0] : undefined;
      if (info(ctx, 2).shape.length > 1 || elementCount(info(ctx, 2).shape) !== 1) {
        nodeError(ctx, `constant_value must be a scalar, got [${info(ctx, 2).shape}]`);
      }
    }
    if (ctx.opset >= 18 && present(ctx, 3)) {
      const axes = knownInts(ctx, 3, 'axes').map((ax) => checkAxis(ctx, ax, rank));
      if (new Set(axes).size !== axes.length) nodeError(ctx, `axes [${axes}] repeat an axis`);
      if (given.length !== 2 * axes.length) {
        nodeError(ctx, `pads [${given}] must hold 2 × ${axes.length} values for axes [${axes}]`);
      }
      pads = new Array(2 * rank).fill(0);
      axes.forEach((ax, i) => {
        pads[ax] = given[i];
        pads[ax + rank] = given[i + axes.length];
      });
    } else {
      pads = given;
    }
  }
  if (pads.length !== 2 * rank) {
    nodeError(ctx, `pads [${pads}] must hold 2 × ${rank} values for input [${x.shape}]`);
  }
  return {
    pads,
    mode: mode as PadMode,
    value: v === undefined ? undefined : castValue(v, x.dtype),
  };
}

const Pad: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    const { pads, mode } = padSpec(ctx);
    return [{ dtype: x.dtype, shape: named(ctx, () => padOutputShape(x.shape, pads, mode)) }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    if (!x) return null;
    const { pads, mode, value: v } = padSpec(ctx);
    if (v === undefined) return null;
    const out = named(ctx, () => padReference(x.data, x.shape, { pads, mode, value: v }));
    return [cpuOf(x.dtype, out.shape, out.data)];
  },
  gpu(ctx) {
    const x = input(ctx, 0);
    const { pads, mode, value: v } = padSpec(ctx);
    // torch exports AvgPool2d as an all-zero Pad before AveragePool: a view, no copy.
    if (pads.every((p) => p === 0)) return [x.reshape(x.shape)];
    return [named(ctx, () => pad(ctx.engine, x, { pads, mode, value: v ?? input(ctx, 2) }))];
  },
  backward(ctx) {
    const { pads, mode } = padSpec(ctx);
    const xShape = info(ctx, 0).shape;
    using g = outputGrad(ctx);
    const dx = pads.every((p) => p === 0)
      ? g.reshape(xShape)
      : padBackward(ctx.engine, g, { xShape, pads, mode });
    let dValue: Tensor | undefined;
    if (ctx.needs[2] && mode === 'constant') {
      // The constant lands on every padded position: its gradient is Σ dy − Σ (interior of dy).
      using all = reduce(ctx.engine, 'sum', g);
      using interior = reduce(ctx.engine, 'sum', dx);
      using d = binary(ctx.engine, 'sub', all, interior);
      dValue = d.reshape(info(ctx, 2).shape);
    }
    if (!ctx.needs[0]) {
      dx.destroy();
      return [undefined, undefined, dValue];
    }
    return [dx, undefined, dValue];
  },
  cpuInputs: [1, 3],
};

// ---------------------------------------------------------------------------------------------
// Tile

function tileRepeats(ctx: OpContext): number[] {
  const rank = info(ctx, 0).shape.length;
  let repeats: number[];
  if (ctx.opset < 6) {
    const tiles = knownInts(ctx, 1, 'tiles')[0];
    const axis = checkAxis(ctx, knownInts(ctx, 2, 'axis')[0], rank);
    repeats = new Array(rank).fill(1);
    repeats[axis] = tiles;
  } else {
    repeats = knownInts(ctx, 1, 'repeats');
  }
  if (repeats.length !== rank || repeats.some((r) => !Number.isInteger(r) || r < 0)) {
    nodeError(ctx, `repeats [${repeats}] must be ${rank} non-negative integers`);
  }
  return repeats;
}

/** Tile as an expand: x viewed as [1, d0, 1, d1, ...] broadcast to [r0, d0, r1, d1, ...]. */
function tileViews(shape: readonly number[], repeats: readonly number[]) {
  return {
    unit: shape.flatMap((d) => [1, d]),
    spread: shape.flatMap((d, i) => [repeats[i], d]),
    out: shape.map((d, i) => d * repeats[i]),
  };
}

const Tile: OperatorDef = {
  infer(ctx) {
    const x = info(ctx, 0);
    return [{ dtype: x.dtype, shape: tileViews(x.shape, tileRepeats(ctx)).out }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    if (!x) return null;
    const repeats = tileRepeats(ctx);
    const { out } = tileViews(x.shape, repeats);
    const strides = x.shape.map((_, i) => elementCount(x.shape.slice(i + 1)));
    return [remap(x, out, (c) => c.reduce((o, v, d) => o + (v % x.shape[d]) * strides[d], 0))];
  },
  gpu(ctx) {
    const x = input(ctx, 0);
    const views = tileViews(x.shape, tileRepeats(ctx));
    using unit = x.reshape(views.unit);
    using spread = expand(ctx.engine, unit, views.spread, { label: `${ctx.node.name}.tile` });
    return [spread.reshape(views.out)];
  },
  backward(ctx) {
    const x = info(ctx, 0);
    const views = tileViews(x.shape, tileRepeats(ctx));
    using g = outputGrad(ctx);
    using spread = g.reshape(views.spread);
    using summed = unbroadcast(ctx.engine, spread, views.unit);
    return [summed.reshape(x.shape)];
  },
  cpuInputs: [1, 2],
};

// ---------------------------------------------------------------------------------------------
// DepthToSpace, SpaceToDepth

/** A rearrangement: x viewed as `view`, transposed by `perm`, viewed as `out`. */
interface Rearrangement {
  view: number[];
  perm: number[];
  out: number[];
}

function rearrangement(ctx: OpContext): Rearrangement {
  const x = info(ctx, 0);
  if (x.shape.length !== 4) nodeError(ctx, `input must be 4-D (NCHW), got [${x.shape}]`);
  const b = attrs(ctx).int('blocksize');
  if (b === undefined || b < 1) nodeError(ctx, "attribute 'blocksize' must be a positive integer");
  const [n, c, h, w] = x.shape;
  if (ctx.node.op === 'SpaceToDepth') {
    if (h % b !== 0 || w % b !== 0) {
      nodeError(ctx, `height ${h} and width ${w} must be multiples of blocksize ${b}`);
    }
    return {
      view: [n, c, h / b, b, w / b, b],
      perm: [0, 3, 5, 1, 2, 4],
      out: [n, c * b * b, h / b, w / b],
    };
  }
  if (c % (b * b) !== 0) nodeError(ctx, `channels ${c} must be a multiple of blocksize² ${b * b}`);
  const mode = attrs(ctx).string('mode', 'DCR');
  const out = [n, c / (b * b), h * b, w * b];
  if (mode === 'DCR') {
    return { view: [n, b, b, c / (b * b), h, w], perm: [0, 3, 4, 1, 5, 2], out };
  }
  if (mode === 'CRD') {
    return { view: [n, c / (b * b), b, b, h, w], perm: [0, 1, 4, 2, 5, 3], out };
  }
  return nodeError(ctx, `mode '${mode}' is not supported (DCR, CRD)`);
}

function rearrangeOp(): OperatorDef {
  return {
    infer: (ctx) => [{ dtype: info(ctx, 0).dtype, shape: rearrangement(ctx).out }],
    cpu(ctx) {
      const x = value(ctx, 0);
      if (!x) return null;
      const r = rearrangement(ctx);
      const permuted = r.perm.map((p) => r.view[p]);
      const strides = r.view.map((_, i) => elementCount(r.view.slice(i + 1)));
      const t = remap(
        x,
        permuted,
        (c) => c.reduce((o, v, d) => o + v * strides[r.perm[d]], 0),
      );
      return [{ ...t, shape: r.out }];
    },
    gpu(ctx) {
      const r = rearrangement(ctx);
      using v = input(ctx, 0).reshape(r.view);
      using t = transpose(ctx.engine, v, { perm: r.perm, label: `${ctx.node.name}.out` });
      return [t.reshape(r.out)];
    },
    backward(ctx) {
      const r = rearrangement(ctx);
      const inverse = new Array<number>(r.perm.length);
      r.perm.forEach((p, d) => (inverse[p] = d));
      using g = outputGrad(ctx);
      using v = g.reshape(r.perm.map((p) => r.view[p]));
      using t = transpose(ctx.engine, v, { perm: inverse });
      return [t.reshape(info(ctx, 0).shape)];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Trilu

function triluSpec(ctx: OpContext): { upper: boolean; k: number; rows: number; cols: number } {
  const x = info(ctx, 0);
  if (x.shape.length < 2) nodeError(ctx, `input must have rank ≥ 2, got [${x.shape}]`);
  const k = present(ctx, 1) ? knownInts(ctx, 1, 'k')[0] : 0;
  const upper = attrs(ctx).int('upper', 1);
  if (upper !== 0 && upper !== 1) nodeError(ctx, `attribute 'upper' must be 0 or 1, got ${upper}`);
  const [rows, cols] = x.shape.slice(-2);
  return { upper: upper === 1, k, rows, cols };
}

/** Whether Trilu keeps element (i, j) of each matrix. */
function triluKeeps(upper: boolean, k: number, i: number, j: number): boolean {
  return upper ? j - i >= k : j - i <= k;
}

/** The [rows, cols] keep-mask of a Trilu node as an i32 tensor. */
function triluMask(ctx: GpuContext): Tensor {
  const { upper, k, rows, cols } = triluSpec(ctx);
  const mask = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) mask[i * cols + j] = triluKeeps(upper, k, i, j) ? 1 : 0;
  }
  return tensor(ctx.engine, mask, [rows, cols], { label: `${ctx.node.name}.mask` });
}

const Trilu: OperatorDef = {
  infer(ctx) {
    triluSpec(ctx);
    return [{ ...info(ctx, 0) }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    if (!x) return null;
    const { upper, k, rows, cols } = triluSpec(ctx);
    const data = Array.from(x.data, (v, at) => {
      const j = at % cols;
      const i = Math.floor(at / cols) % rows;
      return triluKeeps(upper, k, i, j) ? v : 0;
    });
    return [cpuTensor(x.dtype, [...x.shape], data)];
  },
  gpu(ctx) {
    const x = input(ctx, 0);
    using mask = triluMask(ctx);
    using zero = zeroScalar(ctx.engine, x.dtype);
    return [where(ctx.engine, mask, x, zero, { label: `${ctx.node.name}.out` })];
  },
  backward(ctx) {
    using mask = triluMask(ctx);
    using zero = zeroScalar(ctx.engine, 'f32');
    using g = outputGrad(ctx);
    return [where(ctx.engine, mask, g, zero), undefined];
  },
  cpuInputs: [1],
};

// ---------------------------------------------------------------------------------------------
// GatherElements, ScatterElements, Scatter

function elementsAxis(ctx: OpContext): number {
  const data = info(ctx, 0);
  const indices = info(ctx, 1);
  return named(
    ctx,
    () => checkElementsShapes(ctx.node.op, data.shape, indices.shape, attrs(ctx).int('axis', 0)),
  );
}

/** Checks indices known on the CPU (a typed error naming the node; GPU kernels clamp). */
function checkKnownIndices(ctx: OpContext, axisLen: number): void {
  const indices = value(ctx, 1);
  if (indices) named(ctx, () => validateIndices(ctx.node.op, indices.data, axisLen));
}

function scatterReduction(ctx: OpContext): ScatterReduction {
  const r = attrs(ctx).string('reduction', 'none');
  const allowed = ctx.opset >= 18 ? ['none', 'add', 'mul', 'max', 'min'] : ['none', 'add', 'mul'];
  if (!Object.hasOwn(SCATTER_REDUCTIONS, r) || !allowed.includes(r)) {
    nodeError(
      ctx,
      `reduction '${r}' is not supported at opset ${ctx.opset} (${allowed.join(', ')})`,
    );
  }
  return r as ScatterReduction;
}

const GatherElements: OperatorDef = {
  infer(ctx) {
    checkKnownIndices(ctx, info(ctx, 0).shape[elementsAxis(ctx)]);
    return [{ dtype: info(ctx, 0).dtype, shape: [...info(ctx, 1).shape] }];
  },
  cpu(ctx) {
    const data = value(ctx, 0);
    const indices = value(ctx, 1);
    if (!data || !indices) return null;
    const axis = elementsAxis(ctx);
    checkKnownIndices(ctx, data.shape[axis]);
    const out = gatherElementsReference(data.data, data.shape, indices.data, indices.shape, {
      axis,
    });
    return [cpuTensor(data.dtype, [...indices.shape], out)];
  },
  gpu(ctx) {
    const options = { axis: elementsAxis(ctx), ...indexCheck(ctx) };
    return [named(ctx, () => gatherElements(ctx.engine, input(ctx, 0), input(ctx, 1), options))];
  },
  backward(ctx) {
    const axis = elementsAxis(ctx);
    using g = outputGrad(ctx);
    using base = zeros(ctx.engine, info(ctx, 0).shape);
    const dx = scatterElements(ctx.engine, base, input(ctx, 1), g, {
      axis,
      reduction: 'add',
      ...CHECKED,
    });
    return [dx, undefined];
  },
};

function scatterElementsOp(): OperatorDef {
  const reductionOf = (
    ctx: OpContext,
  ) => (ctx.node.op === 'Scatter' ? 'none' : scatterReduction(ctx));
  const def: OperatorDef = {
    infer(ctx) {
      checkKnownIndices(ctx, info(ctx, 0).shape[elementsAxis(ctx)]);
      reductionOf(ctx);
      const u = info(ctx, 2);
      if (u.shape.join() !== info(ctx, 1).shape.join()) {
        nodeError(ctx, `updates [${u.shape}] must have the indices' shape [${info(ctx, 1).shape}]`);
      }
      return [{ ...info(ctx, 0), shape: [...info(ctx, 0).shape] }];
    },
    cpu(ctx) {
      const [data, indices, updates] = [0, 1, 2].map((i) => value(ctx, i));
      if (!data || !indices || !updates) return null;
      def.infer(ctx);
      const axis = elementsAxis(ctx);
      checkKnownIndices(ctx, data.shape[axis]);
      const out = scatterElementsReference(
        data.data,
        data.shape,
        indices.data,
        indices.shape,
        updates.data,
        { axis, reduction: reductionOf(ctx) },
      );
      return [cpuOf(data.dtype, [...data.shape], out)];
    },
    gpu(ctx) {
      const axis = elementsAxis(ctx);
      return [
        named(ctx, () =>
          scatterElements(ctx.engine, input(ctx, 0), input(ctx, 1), input(ctx, 2), {
            axis,
            reduction: reductionOf(ctx),
            ...indexCheck(ctx),
          })),
      ];
    },
    backward(ctx) {
      const axis = elementsAxis(ctx);
      const reduction = reductionOf(ctx);
      if (reduction !== 'none' && reduction !== 'add') {
        nodeError(ctx, `no gradient for reduction '${reduction}' (only none and add)`);
      }
      using g = outputGrad(ctx);
      const indices = input(ctx, 1);
      let dData: Tensor | undefined;
      let dUpdates: Tensor | undefined;
      if (ctx.needs[0]) {
        if (reduction === 'add') {
          dData = g.reshape(g.shape);
        } else {
          // Overwritten positions do not depend on data.
          using blank = zeros(ctx.engine, info(ctx, 2).shape);
          dData = scatterElements(ctx.engine, g, indices, blank, { axis, ...CHECKED });
        }
      }
      if (ctx.needs[2]) {
        dUpdates = gatherElements(ctx.engine, g, indices, {
          axis,
          lastWriter: reduction === 'none',
          ...CHECKED,
        });
      }
      return [dData, undefined, dUpdates];
    },
  };
  return def;
}

// ---------------------------------------------------------------------------------------------
// GatherND, ScatterND

function gatherNdPlan(ctx: OpContext) {
  const batchDims = attrs(ctx).int('batch_dims', 0);
  return named(ctx, () => planNd(ctx.node.op, info(ctx, 0).shape, info(ctx, 1).shape, batchDims));
}

function checkKnownTuples(ctx: OpContext, plan: ReturnType<typeof planNd>): void {
  const indices = value(ctx, 1);
  if (indices) named(ctx, () => validateNdIndices(ctx.node.op, indices.data, plan));
}

const GatherND: OperatorDef = {
  infer(ctx) {
    const plan = gatherNdPlan(ctx);
    checkKnownTuples(ctx, plan);
    return [{ dtype: info(ctx, 0).dtype, shape: plan.sliceShape }];
  },
  cpu(ctx) {
    const data = value(ctx, 0);
    const indices = value(ctx, 1);
    if (!data || !indices) return null;
    const plan = gatherNdPlan(ctx);
    checkKnownTuples(ctx, plan);
    const out = gatherNdReference(data.data, data.shape, indices.data, indices.shape, {
      batchDims: attrs(ctx).int('batch_dims', 0),
    });
    return [cpuTensor(data.dtype, out.shape, out.data)];
  },
  gpu(ctx) {
    const options = { batchDims: attrs(ctx).int('batch_dims', 0), ...indexCheck(ctx) };
    return [named(ctx, () => gatherND(ctx.engine, input(ctx, 0), input(ctx, 1), options))];
  },
  backward(ctx) {
    const batchDims = attrs(ctx).int('batch_dims', 0);
    using g = outputGrad(ctx);
    using base = zeros(ctx.engine, info(ctx, 0).shape);
    const dx = scatterND(ctx.engine, base, input(ctx, 1), g, {
      reduction: 'add',
      batchDims,
      ...CHECKED,
    });
    return [dx, undefined];
  },
};

const ScatterND: OperatorDef = {
  infer(ctx) {
    const plan = gatherNdPlan(ctx);
    checkKnownTuples(ctx, plan);
    scatterReduction(ctx);
    if (info(ctx, 2).shape.join() !== plan.sliceShape.join()) {
      nodeError(ctx, `updates [${info(ctx, 2).shape}] must be [${plan.sliceShape}]`);
    }
    return [{ ...info(ctx, 0), shape: [...info(ctx, 0).shape] }];
  },
  cpu(ctx) {
    const [data, indices, updates] = [0, 1, 2].map((i) => value(ctx, i));
    if (!data || !indices || !updates) return null;
    const plan = gatherNdPlan(ctx);
    ScatterND.infer(ctx);
    checkKnownTuples(ctx, plan);
    const out = scatterNdReference(
      data.data,
      data.shape,
      indices.data,
      indices.shape,
      updates.data,
      { reduction: scatterReduction(ctx) },
    );
    return [cpuOf(data.dtype, [...data.shape], out)];
  },
  gpu(ctx) {
    return [named(ctx, () =>
      scatterND(ctx.engine, input(ctx, 0), input(ctx, 1), input(ctx, 2), {
        reduction: scatterReduction(ctx),
        ...indexCheck(ctx),
      }))];
  },
  backward(ctx) {
    const reduction = scatterReduction(ctx);
    if (reduction !== 'none' && reduction !== 'add') {
      nodeError(ctx, `no gradient for reduction '${reduction}' (only none and add)`);
    }
    using g = outputGrad(ctx);
    const indices = input(ctx, 1);
    let dData: Tensor | undefined;
    let dUpdates: Tensor | undefined;
    if (ctx.needs[0]) {
      if (reduction === 'add') {
        dData = g.reshape(g.shape);
      } else {
        using blank = zeros(ctx.engine, info(ctx, 2).shape);
        dData = scatterND(ctx.engine, g, indices, blank, CHECKED);
      }
    }
    if (ctx.needs[2]) {
      dUpdates = gatherND(ctx.engine, g, indices, {
        lastWriter: reduction === 'none',
        ...CHECKED,
      });
    }
    return [dData, undefined, dUpdates];
  },
};

// ---------------------------------------------------------------------------------------------
// OneHot

function oneHotSpec(ctx: OpContext): { depth: number; axis: number; shape: number[] } {
  const indices = info(ctx, 0);
  const depthValue = knownInts(ctx, 1, 'depth');
  if (depthValue.length !== 1) nodeError(ctx, 'depth must hold one value');
  const depth = Math.trunc(depthValue[0]);
  const values = info(ctx, 2);
  if (elementCount(values.shape) !== 2) {
    nodeError(ctx, `values must hold two elements [off, on], got [${values.shape}]`);
  }
  const axis = attrs(ctx).int('axis', -1);
  if (axis < -indices.shape.length - 1 || axis > indices.shape.length) {
    nodeError(
      ctx,
      `axis ${axis} is out of range for an output of rank ${indices.shape.length + 1}`,
    );
  }
  if (depth < 1) nodeError(ctx, `depth must be at least 1, got ${depthValue[0]}`);
  const { shape, axis: a } = oneHotShape(indices.shape, depth, axis);
  return { depth, axis: a, shape };
}

const OneHot: OperatorDef = {
  infer: (ctx) => [{ dtype: info(ctx, 2).dtype, shape: oneHotSpec(ctx).shape }],
  cpu(ctx) {
    const indices = value(ctx, 0);
    const values = value(ctx, 2);
    if (!indices || !values) return null;
    const { depth, axis } = oneHotSpec(ctx);
    const out = oneHotReference(indices.data, indices.shape, {
      depth,
      axis,
      values: [values.data[0], values.data[1]],
    });
    return [cpuTensor(values.dtype, out.shape, out.data)];
  },
  gpu(ctx) {
    const { depth, axis } = oneHotSpec(ctx);
    const known = value(ctx, 2);
    const dtype = gpuType(info(ctx, 2).dtype);
    return [oneHot(ctx.engine, input(ctx, 0), {
      depth,
      axis,
      values: known ? [known.data[0], known.data[1]] : input(ctx, 2),
      dtype,
    })];
  },
  backward(ctx) {
    // d on = Σ dy where hot; d off = Σ dy elsewhere. Indices and depth have none.
    if (!ctx.needs[2]) return [undefined, undefined, undefined];
    const { depth, axis } = oneHotSpec(ctx);
    using g = outputGrad(ctx);
    using mask = oneHot(ctx.engine, input(ctx, 0), { depth, axis, values: [0, 1] });
    using hot = binary(ctx.engine, 'mul', g, mask);
    using on = reduce(ctx.engine, 'sum', hot, { keepDims: false });
    using all = reduce(ctx.engine, 'sum', g);
    using off = binary(ctx.engine, 'sub', all, on);
    using on1 = on.reshape([1]);
    using off1 = off.reshape([1]);
    using both = concat(ctx.engine, [off1, on1], { axis: 0 });
    return [undefined, undefined, both.reshape(info(ctx, 2).shape)];
  },
  cpuInputs: [1],
};

// ---------------------------------------------------------------------------------------------
// NonZero

function nonZero(ctx: OpContext): CpuTensor {
  const x = value(ctx, 0);
  if (!x) {
    return nodeError(
      ctx,
      'its output shape depends on runtime data (the number of non-zero elements), so its input ' +
        'must be known when the model is planned',
    );
  }
  const rank = x.shape.length;
  const hits: number[] = [];
  for (let i = 0; i < x.data.length; i++) if (x.data[i] !== 0) hits.push(i);
  // ONNX: a scalar input gives [1, count] (numpy's nonzero of a 0-d array treats it as 1-D).
  const rows = Math.max(rank, 1);
  const data = new Float64Array(rows * hits.length);
  hits.forEach((flat, n) => {
    let rest = flat;
    for (let d = rank - 1; d >= 0; d--) {
      data[d * hits.length + n] = rest % x.shape[d];
      rest = Math.floor(rest / x.shape[d]);
    }
  });
  return cpuTensor('int64', [rows, hits.length], data);
}

const NonZero: OperatorDef = {
  infer(ctx) {
    const t = nonZero(ctx);
    return [{ dtype: t.dtype, shape: t.shape }];
  },
  cpu: (ctx) => [nonZero(ctx)],
  cpuInputs: [0],
};

// ---------------------------------------------------------------------------------------------
// CumSum

function cumSumSpec(ctx: OpContext) {
  const x = info(ctx, 0);
  const axisValue = knownInts(ctx, 1, 'axis');
  if (axisValue.length !== 1) nodeError(ctx, 'axis must hold one value');
  const axis = checkAxis(ctx, axisValue[0], x.shape.length);
  const a = attrs(ctx);
  return { axis, exclusive: a.int('exclusive', 0) !== 0, reverse: a.int('reverse', 0) !== 0 };
}

const CumSum: OperatorDef = {
  infer(ctx) {
    cumSumSpec(ctx);
    return [{ ...info(ctx, 0), shape: [...info(ctx, 0).shape] }];
  },
  cpu(ctx) {
    const x = value(ctx, 0);
    if (!x) return null;
    const out = cumSumReference(x.data, x.shape, cumSumSpec(ctx));
    return [cpuOf(x.dtype, [...x.shape], out.data)];
  },
  gpu: (ctx) => [cumSum(ctx.engine, input(ctx, 0), cumSumSpec(ctx))],
  backward(ctx) {
    using g = outputGrad(ctx);
    return [cumSumBackward(ctx.engine, g, cumSumSpec(ctx)), undefined];
  },
  flops: (ctx) => elementCount(info(ctx, 0).shape),
  cpuInputs: [1],
};

// ---------------------------------------------------------------------------------------------
// Einsum

function equationOf(ctx: OpContext): string {
  const eq = attrs(ctx).string('equation', '');
  if (!eq) nodeError(ctx, "attribute 'equation' is required");
  return eq;
}

function einsumInfos(ctx: OpContext): TensorInfo[] {
  return ctx.node.inputs.map((_, i) => info(ctx, i));
}

const Einsum: OperatorDef = {
  infer(ctx) {
    const infos = einsumInfos(ctx);
    const shape = named(ctx, () => einsumOutputShape(equationOf(ctx), infos.map((t) => t.shape)));
    return [{ dtype: infos[0].dtype, shape }];
  },
  cpu(ctx) {
    const operands = ctx.node.inputs.map((_, i) => value(ctx, i));
    if (operands.some((o) => !o)) return null;
    const known = operands as CpuTensor[];
    const out = named(ctx, () => einsumReference(equationOf(ctx), known));
    return [cpuOf(known[0].dtype, out.shape, out.data)];
  },
  gpu(ctx) {
    const infos = einsumInfos(ctx);
    if (infos.some((t) => !isFloat(t.dtype))) {
      nodeError(ctx, 'integer Einsum runs only when folded at plan time (the GPU path is f32)');
    }
    const operands = ctx.node.inputs.map((_, i) => input(ctx, i));
    return [named(ctx, () => einsum(ctx.engine, equationOf(ctx), operands))];
  },
  backward(ctx) {
    using g = outputGrad(ctx);
    const operands = ctx.node.inputs.map((_, i) => input(ctx, i));
    return einsumBackward(ctx.engine, equationOf(ctx), operands, g, ctx.needs);
  },
  flops(ctx) {
    const spec = parseEinsum(equationOf(ctx), einsumInfos(ctx).map((t) => t.shape));
    const all = new Set(spec.inputs.flat());
    const combos = [...all].reduce((p, l) => p * spec.sizes.get(l)!, 1);
    return 2 * combos * Math.max(1, spec.inputs.length - 1);
  },
};

/** The data-movement operators by name. */
export const DATA_OPS: Record<string, OperatorDef> = {
  Gather,
  Pad,
  Tile,
  DepthToSpace: rearrangeOp(),
  SpaceToDepth: rearrangeOp(),
  Trilu,
  GatherElements,
  GatherND,
  ScatterElements: scatterElementsOp(),
  Scatter: scatterElementsOp(),
  ScatterND,
  OneHot,
  NonZero,
  CumSum,
  Einsum,
};
