/**
 * ONNX control flow and sequences — Loop, If, SequenceEmpty, SequenceConstruct, SequenceInsert,
 * SequenceAt, SequenceLength, ConcatFromSequence — evaluated on the CPU. Exporters use them for
 * shape and index arithmetic (e.g. a Loop that builds the index table of a flatten), which the
 * planner folds at load time; they do not run on the GPU.
 *
 * @module
 */

import {
  type CpuTensor,
  cpuTensor,
  type CpuValue,
  elementCount,
  isSequence,
} from '../../graph/ir.ts';
import {
  attrs,
  nodeError,
  type OpContext,
  type OperatorDef,
  present,
  type TensorInfo,
  value,
} from '../../graph/operator.ts';
import { elementType } from '../parse.ts';
import { axisOf, concatCpu } from './cpu.ts';

function scalar(ctx: OpContext, i: number): number | undefined {
  if (!present(ctx, i)) return undefined;
  const v = value(ctx, i);
  if (!v) nodeError(ctx, `input ${i} must be known on the CPU`);
  return v.data[0];
}

function stack(items: CpuTensor[], ctx: OpContext): CpuTensor {
  if (items.length === 0) nodeError(ctx, 'a scan output of zero iterations has no element type');
  const shape = items[0].shape;
  for (const t of items) {
    if (t.shape.join() !== shape.join()) {
      nodeError(ctx, 'scan outputs change shape across iterations');
    }
  }
  // The planner's size checks see no output type of a Loop: check before allocating.
  ctx.checkFold?.([{ dtype: items[0].dtype, shape: [items.length, ...shape] }]);
  const data = new Float64Array(items.length * elementCount(shape));
  items.forEach((t, i) => data.set(t.data, i * t.data.length));
  return cpuTensor(items[0].dtype, [items.length, ...shape], data);
}

function sequenceOf(ctx: OpContext, i: number) {
  const s = ctx.values[i];
  if (!isSequence(s)) nodeError(ctx, `input ${i} must be a sequence known on the CPU`);
  return s;
}

const noGpuType = (): TensorInfo[] => [];

/** The control-flow and sequence operators by name. */
export const CONTROL_OPS: Record<string, OperatorDef> = {
  Loop: {
    infer: noGpuType,
    cpu(ctx) {
      if (ctx.node.inputs.slice(2).some((n, i) => n && !ctx.values[i + 2])) return null;
      const body = attrs(ctx).graph('body');
      const maxTrips = scalar(ctx, 0) ?? Infinity;
      let cond = present(ctx, 1) ? scalar(ctx, 1)! !== 0 : true;
      let carried = ctx.values.slice(2) as CpuValue[];
      const scans: CpuTensor[][] = [];
      let i = 0;
      for (; i < maxTrips && cond; i++) {
        if (i > 1_000_000) nodeError(ctx, 'more than a million iterations while folding');
        const outs = ctx.runSubgraph(body, [
          cpuTensor('int64', [], [i]),
          cpuTensor('bool', [], [cond ? 1 : 0]),
          ...carried,
        ]);
        const c = outs[0];
        if (isSequence(c)) nodeError(ctx, 'the body condition must be a tensor');
        cond = c.data[0] !== 0;
        carried = outs.slice(1, 1 + carried.length);
        outs.slice(1 + carried.length).forEach((s, k) => {
          if (isSequence(s)) nodeError(ctx, 'scan outputs must be tensors');
          (scans[k] ??= []).push(s);
        });
      }
      const scanCount = body.outputs.length - 1 - carried.length;
      return [
        ...carried,
        ...Array.from({ length: scanCount }, (_, k) => stack(scans[k] ?? [], ctx)),
      ];
    },
    // Loops run on the CPU: inputs given at run time are taken there, like shape inputs.
    cpuInputs: Array.from({ length: 64 }, (_, i) => i),
  },
  If: {
    infer: noGpuType,
    cpu(ctx) {
      const c = value(ctx, 0);
      if (!c) return null;
      const branch = attrs(ctx).graph(c.data[0] ? 'then_branch' : 'else_branch');
      return ctx.runSubgraph(branch, []);
    },
    cpuInputs: [0],
  },
  SequenceEmpty: {
    infer: noGpuType,
    cpu: (ctx) => [{
      sequence: true,
      dtype: elementType(attrs(ctx).int('dtype', 1), `SequenceEmpty node '${ctx.node.name}'`),
      items: [],
    }],
  },
  SequenceConstruct: {
    infer: noGpuType,
    cpu(ctx) {
      const items = ctx.node.inputs.map((_, i) => value(ctx, i));
      if (items.some((t) => !t)) return null;
      return [{ sequence: true, dtype: items[0]!.dtype, items: items as CpuTensor[] }];
    },
  },
  SequenceInsert: {
    infer: noGpuType,
    cpu(ctx) {
      const s = sequenceOf(ctx, 0);
      const t = value(ctx, 1);
      if (!t) return null;
      const at = scalar(ctx, 2);
      const items = [...s.items];
      const pos = at === undefined ? items.length : at < 0 ? at + items.length : at;
      if (pos < 0 || pos > items.length) nodeError(ctx, `position ${at} is out of range`);
      items.splice(pos, 0, t);
      return [{ sequence: true, dtype: t.dtype, items }];
    },
  },
  SequenceAt: {
    infer: noGpuType,
    cpu(ctx) {
      const s = sequenceOf(ctx, 0);
      const at = scalar(ctx, 1)!;
      const pos = at < 0 ? at + s.items.length : at;
      if (pos < 0 || pos >= s.items.length) nodeError(ctx, `position ${at} is out of range`);
      return [s.items[pos]];
    },
  },
  SequenceLength: {
    infer: () => [{ dtype: 'int64', shape: [] }],
    cpu: (ctx) => [cpuTensor('int64', [], [sequenceOf(ctx, 0).items.length])],
  },
  ConcatFromSequence: {
    infer: noGpuType,
    cpu(ctx) {
      const s = sequenceOf(ctx, 0);
      if (s.items.length === 0) nodeError(ctx, 'the sequence is empty');
      const newAxis = attrs(ctx).int('new_axis', 0) === 1;
      const rank = s.items[0].shape.length + (newAxis ? 1 : 0);
      const axis = axisOf(attrs(ctx).int('axis', 0), rank);
      const parts = newAxis
        ? s.items.map((t) => ({
          ...t,
          shape: [...t.shape.slice(0, axis), 1, ...t.shape.slice(axis)],
        }))
        : s.items;
      const shape = [...parts[0].shape];
      if (axis < 0 || axis >= shape.length) nodeError(ctx, `axis ${axis} is out of range`);
      for (const p of parts) {
        if (
          p.shape.length !== shape.length || p.shape.some((d, k) => k !== axis && d !== shape[k])
        ) {
          nodeError(ctx, `sequence item [${p.shape}] does not match [${shape}] off axis ${axis}`);
        }
      }
      shape[axis] = parts.reduce((a, t) => a + t.shape[axis], 0);
      ctx.checkFold?.([{ dtype: s.items[0].dtype, shape }]);
      return [concatCpu(parts, axis)];
    },
  },
};
