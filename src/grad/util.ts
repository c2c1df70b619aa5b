/**
 * Small tensor helpers that backward rules share: summing a broadcast gradient back to an
 * operand's shape, scaling, zeros, masks. Each returns a new tensor that the caller owns.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { binary } from '../ops/binary.ts';
import { reduce } from '../ops/reduce.ts';
import { empty, type Tensor, tensor } from '../tensor.ts';

/**
 * Sums `g` (of a broadcast result's shape) over the axes that broadcasting stretched, giving a
 * tensor of `shape` — the gradient of a broadcast operand.
 */
export function unbroadcast(engine: Engine, g: Tensor, shape: readonly number[]): Tensor {
  const offset = g.rank - shape.length;
  let acc = g.reshape(g.shape);
  for (let d = 0; d < g.rank; d++) {
    const target = d < offset ? 1 : shape[d - offset];
    if (target === 1 && acc.shape[d] !== 1) {
      const next = reduce(engine, 'sum', acc, { axis: d, keepDims: true });
      acc.destroy();
      acc = next;
    }
  }
  const out = acc.reshape(shape);
  acc.destroy();
  return out;
}

/** `t · s` as a new tensor (a view of `t` when `s` is 1). */
export function scale(engine: Engine, t: Tensor, s: number): Tensor {
  if (s === 1) return t.reshape(t.shape);
  using k = tensor(engine, [s], []);
  return binary(engine, 'mul', t, k);
}

/** A tensor of zeros. */
export function zeros(engine: Engine, shape: readonly number[]): Tensor {
  return empty(engine, shape, { zero: true });
}

/** Adds `b` into the gradient `a` (same shape), destroying both; returns the sum. */
export function accumulate(engine: Engine, a: Tensor | undefined, b: Tensor): Tensor {
  if (!a) return b;
  const sum = binary(engine, 'add', a, b);
  a.destroy();
  b.destroy();
  return sum;
}

/**
 * The gradient of output `i` of a backward context as a tensor the caller owns: a view of the
 * given gradient, or zeros when that output has none.
 */
export function outputGrad(
  ctx: { engine: Engine; grads: (Tensor | undefined)[]; outputs: { shape: number[] }[] },
  i = 0,
): Tensor {
  const g = ctx.grads[i];
  return g ? g.reshape(g.shape) : zeros(ctx.engine, ctx.outputs[i].shape);
}
