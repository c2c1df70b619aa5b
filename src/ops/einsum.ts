/**
 * ONNX `Einsum` on the GPU as a composition of existing kernels: each operand is broadcast
 * (`expand`, for size-1 ellipsis dimensions), its repeated labels reduced to their diagonal (one
 * strided copy whose source strides add up), labels no one else needs summed (`reduce`); then
 * operands are contracted pairwise as batched matrix products (`transpose` + `matmul`), and the
 * result transposed to the output's order. The gradient with respect to each operand is the
 * einsum of the output gradient with the other operands, broadcast over the labels only that
 * operand had and written back onto its diagonals. With an f64 CPU reference that loops over
 * every label combination.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { checkOperand } from './common.ts';
import { expand } from './expand.ts';
import { matmul } from './matmul.ts';
import { reduce } from './reduce.ts';
import { stridedCopy } from './strided_copy.ts';
import { transpose } from './transpose.ts';
import { unbroadcast } from '../grad/util.ts';

/** A parsed einsum equation resolved against operand shapes. */
export interface EinsumSpec {
  /** Per operand, one label per dimension (ellipsis dimensions get labels `…0`, `…1`, ...). */
  inputs: string[][];
  /** The output's labels (distinct). */
  output: string[];
  /** The size of every label (broadcast over size-1 ellipsis dimensions). */
  sizes: Map<string, number>;
}

function fail(equation: string, message: string): never {
  throw new ArgumentError(`Cannot run einsum '${equation}': ${message}`);
}

/** Splits one term into letters and at most one ellipsis (as the token `...`). */
function tokens(term: string, equation: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < term.length;) {
    if (term.startsWith('...', i)) {
      if (out.includes('...')) fail(equation, `term '${term}' has two ellipses`);
      out.push('...');
      i += 3;
    } else if (/[A-Za-z]/.test(term[i])) {
      out.push(term[i++]);
    } else {
      fail(equation, `unexpected character '${term[i]}' in term '${term}'`);
    }
  }
  return out;
}

/**
 * Parses an einsum equation (numpy/ONNX syntax: letters, one `...` per term, `->` for an
 * explicit output; implicit output = ellipsis dimensions then the letters used once, sorted)
 * against the operand shapes.
 *
 * @throws {ArgumentError} for a malformed equation; {@linkcode ShapeError} when a term's rank
 *   or a label's sizes disagree with the shapes.
 */
export function parseEinsum(equation: string, shapes: readonly (readonly number[])[]): EinsumSpec {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs, extra] = eq.split('->');
  if (extra !== undefined) fail(equation, "more than one '->'");
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) {
    fail(equation, `${terms.length} input term(s) for ${shapes.length} operand(s)`);
  }
  const parsed = terms.map((t) => tokens(t, equation));
  let ellipsisRank = 0;
  parsed.forEach((toks, i) => {
    const letters = toks.filter((t) => t !== '...').length;
    const rank = shapes[i].length;
    if (toks.includes('...') ? rank < letters : rank !== letters) {
      throw new ShapeError(
        `Cannot run einsum '${equation}': term '${terms[i]}' does not fit operand ${i} ` +
          formatShape(shapes[i]),
      );
    }
    if (toks.includes('...')) ellipsisRank = Math.max(ellipsisRank, rank - letters);
  });
  const ellipsisLabels = Array.from({ length: ellipsisRank }, (_, j) => `…${j}`);
  const inputs = parsed.map((toks, i) => {
    const labels: string[] = [];
    const covered = shapes[i].length - toks.filter((t) => t !== '...').length;
    for (const t of toks) {
      if (t === '...') labels.push(...ellipsisLabels.slice(ellipsisRank - covered));
      else labels.push(t);
    }
    return labels;
  });
  const sizes = new Map<string, number>();
  inputs.forEach((labels, i) => {
    labels.forEach((l, d) => {
      const n = shapes[i][d];
      const seen = sizes.get(l);
      if (seen === undefined || seen === 1) sizes.set(l, n);
      else if (n !== seen && !(n === 1 && l.startsWith('…'))) {
        throw new ShapeError(
          `Cannot run einsum '${equation}': label '${l}' has size ${seen} and ${n} ` +
            `(operand ${i} ${formatShape(shapes[i])})`,
        );
      }
    });
  });
  let output: string[];
  if (rhs === undefined) {
    const counts = new Map<string, number>();
    for (const labels of inputs) for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    output = [
      ...ellipsisLabels,
      ...[...counts].filter(([l, c]) => c === 1 && !l.startsWith('…')).map(([l]) => l).sort(),
    ];
  } else {
    output = [];
    for (const t of tokens(rhs, equation)) {
      if (t === '...') output.push(...ellipsisLabels);
      else if (!sizes.has(t)) fail(equation, `output label '${t}' is in no input`);
      else if (output.includes(t)) fail(equation, `output label '${t}' repeats`);
      else output.push(t);
    }
  }
  return { inputs, output, sizes };
}

/** The output shape of an einsum. */
export function einsumOutputShape(
  equation: string,
  shapes: readonly (readonly number[])[],
): number[] {
  const spec = parseEinsum(equation, shapes);
  return spec.output.map((l) => spec.sizes.get(l)!);
}

/** A tensor with a label per dimension. */
interface Labeled {
  t: Tensor;
  labels: string[];
}

function unique(labels: readonly string[]): string[] {
  return [...new Set(labels)];
}

/** A view of `t` (a new reference the caller owns). */
function view(t: Tensor, shape: readonly number[] = t.shape): Tensor {
  return t.reshape(shape);
}

/** Permutes `x`'s labels into `order` (a view when already in order). */
function permute(engine: Engine, x: Labeled, order: readonly string[]): Labeled {
  const perm = order.map((l) => x.labels.indexOf(l));
  const t = perm.every((p, i) => p === i)
    ? view(x.t)
    : transpose(engine, x.t, { perm, label: 'einsum.transpose' });
  return { t, labels: [...order] };
}

/** Sums `x` over the labels in `drop` (a view when there are none). */
function sumOut(engine: Engine, x: Labeled, drop: ReadonlySet<string>): Labeled {
  let t = view(x.t);
  const labels = [...x.labels];
  for (let d = labels.length - 1; d >= 0; d--) {
    if (!drop.has(labels[d])) continue;
    const next = reduce(engine, 'sum', t, { axis: d, label: 'einsum.sum' });
    t.destroy();
    t = next;
    labels.splice(d, 1);
  }
  return { t, labels };
}

/**
 * Broadcasts an operand's size-1 dimensions to their label's size, then takes the diagonal of
 * repeated labels (one strided copy).
 */
function prepare(engine: Engine, x: Labeled, sizes: ReadonlyMap<string, number>): Labeled {
  const full = x.labels.map((l) => sizes.get(l)!);
  let t = full.some((n, d) => n !== x.t.shape[d])
    ? expand(engine, x.t, full, { label: 'einsum.broadcast' })
    : view(x.t);
  const labels = unique(x.labels);
  if (labels.length === x.labels.length) return { t, labels };
  const strides = stridesOf(full);
  const diagonal = labels.map((l) =>
    x.labels.reduce((s, m, d) => (m === l ? s + strides[d] : s), 0)
  );
  const shape = labels.map((l) => sizes.get(l)!);
  const out = empty(engine, shape, { label: 'einsum.diagonal' });
  stridedCopy(engine, t, out, { shape, srcStrides: diagonal }, 'einsum diagonal');
  t.destroy();
  t = out;
  return { t, labels };
}

/** Contracts two labeled tensors into one with the labels of either that `keep` holds. */
function contract(
  engine: Engine,
  a: Labeled,
  b: Labeled,
  keep: ReadonlySet<string>,
  sizes: ReadonlyMap<string, number>,
): Labeled {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  const size = (ls: string[]) => sizeOf(ls.map((l) => sizes.get(l)!));
  const B = size(batch);
  const M = size(aOnly);
  const K = size(summed);
  const N = size(bOnly);
  const pa = permute(engine, a, [...batch, ...aOnly, ...summed]);
  const pb = permute(engine, b, [...batch, ...summed, ...bOnly]);
  try {
    using ma = view(pa.t, [B, M, K]);
    using mb = view(pb.t, [B, K, N]);
    using c = matmul(engine, ma, mb, { label: 'einsum.matmul' });
    const labels = [...batch, ...aOnly, ...bOnly];
    return { t: view(c, labels.map((l) => sizes.get(l)!)), labels };
  } finally {
    pa.t.destroy();
    pb.t.destroy();
  }
}

/**
 * The labeled einsum: contracts `operands` into a tensor with labels `output` (distinct, each
 * in some operand). Operands are borrowed; the result is the caller's.
 */
function einsumLabeled(
  engine: Engine,
  operands: readonly Labeled[],
  output: readonly string[],
  sizes: ReadonlyMap<string, number>,
): Tensor {
  const owned: Tensor[] = [];
  try {
    const prepared = operands.map((operand, i) => {
      const p = prepare(engine, operand, sizes);
      owned.push(p.t);
      // Labels nothing else needs are summed right away (smaller operands for the products).
      const elsewhere = new Set([
        ...output,
        ...operands.flatMap((o, j) => (j === i ? [] : o.labels)),
      ]);
      const drop = new Set(p.labels.filter((l) => !elsewhere.has(l)));
      if (drop.size === 0) return p;
      const s = sumOut(engine, p, drop);
      owned.push(s.t);
      return s;
    });
    let current = prepared[0];
    for (let i = 1; i < prepared.length; i++) {
      const keep = new Set([...output, ...prepared.slice(i + 1).flatMap((o) => o.labels)]);
      current = contract(engine, current, prepared[i], keep, sizes);
      owned.push(current.t);
    }
    return permute(engine, current, output).t;
  } finally {
    for (const t of owned) t.destroy();
  }
}

/**
 * ONNX `Einsum` of f32 operands. See the module documentation for how it is composed.
 *
 * @example
 * ```ts ignore
 * using c = einsum(engine, 'bij,bjk->bik', [a, b]); // batched matmul
 * ```
 * @throws {ArgumentError} for a malformed equation or non-f32 operands; {@linkcode ShapeError}
 *   when shapes and equation disagree.
 */
export function einsum(engine: Engine, equation: string, operands: readonly Tensor[]): Tensor {
  if (!Array.isArray(operands) || operands.length === 0) {
    throw new ArgumentError(`Cannot run einsum '${equation}': at least one operand is required`);
  }
  operands.forEach((t, i) => checkOperand(engine, 'einsum', `operand ${i}`, t));
  const spec = parseEinsum(equation, operands.map((t) => t.shape));
  return einsumLabeled(
    engine,
    operands.map((t, i) => ({ t, labels: spec.inputs[i] })),
    spec.output,
    spec.sizes,
  );
}

/**
 * Gradients of {@linkcode einsum} with respect to the operands `needs` marks (others
 * `undefined`): for operand i, the einsum of `dy` with the other operands onto the labels of i
 * that appear elsewhere, broadcast over the labels only i has, summed back over its broadcast
 * size-1 dimensions, and written onto the diagonal of its repeated labels (zeros elsewhere).
 */
export function einsumBackward(
  engine: Engine,
  equation: string,
  operands: readonly Tensor[],
  dy: Tensor,
  needs: readonly boolean[] = operands.map(() => true),
): (Tensor | undefined)[] {
  checkOperand(engine, 'einsumBackward', 'dy', dy);
  const spec = parseEinsum(equation, operands.map((t) => t.shape));
  const outShape = spec.output.map((l) => spec.sizes.get(l)!);
  if (formatShape(outShape) !== formatShape(dy.shape)) {
    throw new ShapeError(
      `Cannot run einsumBackward '${equation}': dy ${formatShape(dy.shape)} must be ` +
        formatShape(outShape),
    );
  }
  const results: (Tensor | undefined)[] = [];
  try {
    for (let i = 0; i < operands.length; i++) {
      if (!needs[i]) {
        results.push(undefined);
        continue;
      }
      results.push(operandGradient(engine, spec, operands, dy, i));
    }
    return results;
  } catch (error) {
    for (const t of results) t?.destroy();
    throw error;
  }
}

function operandGradient(
  engine: Engine,
  spec: EinsumSpec,
  operands: readonly Tensor[],
  dy: Tensor,
  i: number,
): Tensor {
  const sizes = spec.sizes;
  const labels = spec.inputs[i];
  const distinct = unique(labels);
  const others: Labeled[] = [{ t: dy, labels: spec.output }];
  operands.forEach((t, j) => {
    if (j !== i) others.push({ t, labels: spec.inputs[j] });
  });
  const reachable = new Set(others.flatMap((o) => o.labels));
  const target = distinct.filter((l) => reachable.has(l));
  const full = distinct.map((l) => sizes.get(l)!);
  // dL/d(diagonal of operand i), over its distinct labels at their full (broadcast) sizes.
  const g = einsumLabeled(engine, others, target, sizes);
  let spread: Tensor;
  try {
    using withOnes = view(g, distinct.map((l) => (reachable.has(l) ? sizes.get(l)! : 1)));
    spread = target.length === distinct.length
      ? view(withOnes)
      : expand(engine, withOnes, full, { label: 'einsumBackward.broadcast' });
  } finally {
    g.destroy();
  }
  // Back onto the operand's own dimensions: diagonals written into zeros, then size-1
  // (broadcast) dimensions summed.
  const fullShape = labels.map((l) => sizes.get(l)!);
  let placed: Tensor;
  if (distinct.length === labels.length) {
    placed = spread;
  } else {
    try {
      const strides = stridesOf(fullShape);
      placed = empty(engine, fullShape, { label: 'einsumBackward.diagonal', zero: true });
      stridedCopy(engine, spread, placed, {
        shape: full,
        dstStrides: distinct.map((l) =>
          labels.reduce((s, m, d) => (m === l ? s + strides[d] : s), 0)
        ),
      }, 'einsumBackward diagonal');
    } finally {
      spread.destroy();
    }
  }
  const own = operands[i].shape;
  if (formatShape(own) === formatShape(fullShape)) return placed;
  try {
    return unbroadcast(engine, placed, own);
  } finally {
    placed.destroy();
  }
}

/**
 * f64 CPU reference of {@linkcode einsum}: loops over every combination of label values. Also
 * returns `magnitude`, the same sum of absolute products, and `terms`, the products summed per
 * output: the f32 composition's error is within (terms + operands)·u·magnitude for any order.
 */
export function einsumReference(
  equation: string,
  operands: readonly { data: ArrayLike<number>; shape: readonly number[] }[],
): { data: Float64Array; magnitude: Float64Array; shape: number[]; terms: number } {
  const spec = parseEinsum(equation, operands.map((o) => o.shape));
  const all = unique([...spec.output, ...spec.inputs.flat()]);
  const dims = all.map((l) => spec.sizes.get(l)!);
  const shape = spec.output.map((l) => spec.sizes.get(l)!);
  const data = new Float64Array(sizeOf(shape));
  const magnitude = new Float64Array(data.length);
  // Per operand and label position: the stride of each of `all`'s labels (0 when broadcast).
  const strideTables = operands.map((o, i) => {
    const st = stridesOf(o.shape);
    return all.map((l) =>
      spec.inputs[i].reduce((s, m, d) => (m === l && o.shape[d] !== 1 ? s + st[d] : s), 0)
    );
  });
  const outStrides = stridesOf(shape);
  const outTable = all.map((l) => {
    const d = spec.output.indexOf(l);
    return d < 0 ? 0 : outStrides[d];
  });
  const total = sizeOf(dims);
  const coords = new Array<number>(all.length).fill(0);
  for (let n = 0; n < total; n++) {
    let rest = n;
    for (let d = all.length - 1; d >= 0; d--) {
      coords[d] = rest % dims[d];
      rest = Math.floor(rest / dims[d]);
    }
    let p = 1;
    for (let i = 0; i < operands.length; i++) {
      let o = 0;
      for (let d = 0; d < all.length; d++) o += coords[d] * strideTables[i][d];
      p *= operands[i].data[o];
    }
    let at = 0;
    for (let d = 0; d < all.length; d++) at += coords[d] * outTable[d];
    data[at] += p;
    magnitude[at] += Math.abs(p);
  }
  const summed = all.filter((l) => !spec.output.includes(l));
  return { data, magnitude, shape, terms: sizeOf(summed.map((l) => spec.sizes.get(l)!)) };
}
