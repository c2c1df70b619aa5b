/**
 * Batched matrix multiplication with numpy `matmul` semantics on the GPU
 * (`shaders/nn/matmul.wgsl`, `shaders/nn/matmul_vec4.wgsl`) and its f64 CPU reference.
 *
 * @module
 */

import matmulSource from '../../shaders/nn/matmul.wgsl' with { type: 'text' };
import matmulVec4Source from '../../shaders/nn/matmul_vec4.wgsl' with { type: 'text' };
import { elementRange, fitsBinding, maxRangeElements } from '../gpu/binding.ts';
import type { Engine } from '../gpu/engine.ts';
import { ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, sizeOf, type Tensor } from '../tensor.ts';
import { broadcastShapes, broadcastStrides, checkOperand } from './common.ts';

const TILE = 32;

/** Options for {@linkcode matmul}. */
export interface MatmulOptions {
  /** Use the transpose of `a`'s last two axes. */
  transposeA?: boolean;
  /** Use the transpose of `b`'s last two axes. */
  transposeB?: boolean;
  /** Label of the output buffer. */
  label?: string;
  /**
   * Kernel choice: `auto` (vec4 when K and N are multiples of 4 and nothing is transposed),
   * or force `scalar`. For tests and benchmarks.
   */
  kernel?: 'auto' | 'scalar';
}

/** The resolved geometry of a matmul: shapes, batch broadcast and per-batch offsets. */
export interface MatmulPlan {
  /** Rows of op(A) and of the result. */
  M: number;
  /** Columns of op(B) and of the result. */
  N: number;
  /** The contracted dimension. */
  K: number;
  /** Number of matrix products (product of the broadcast batch shape). */
  batch: number;
  /** Result shape (numpy rules: a 1-D operand's added axis is removed). */
  shape: number[];
  /** Per batch: the element offset of its A and of its B matrix. */
  offsets: Uint32Array<ArrayBuffer>;
}

/**
 * Resolves shapes by numpy's `matmul` rules: a 1-D `a` is a row vector, a 1-D `b` a column
 * vector (that axis is dropped from the result); leading axes broadcast.
 *
 * @throws {ShapeError} when the inner dimensions or the batch axes disagree.
 */
export function planMatmul(
  aShape: readonly number[],
  bShape: readonly number[],
  options: Pick<MatmulOptions, 'transposeA' | 'transposeB'> = {},
): MatmulPlan {
  if (aShape.length === 0 || bShape.length === 0) {
    throw new ShapeError(
      `Cannot run matmul: operands must have rank >= 1, got ${formatShape(aShape)} and ` +
        `${formatShape(bShape)}`,
    );
  }
  const a2 = aShape.length === 1 ? [1, aShape[0]] : aShape;
  const b2 = bShape.length === 1 ? [bShape[0], 1] : bShape;
  const [aRows, aCols] = a2.slice(-2);
  const [bRows, bCols] = b2.slice(-2);
  const M = options.transposeA ? aCols : aRows;
  const K = options.transposeA ? aRows : aCols;
  const Kb = options.transposeB ? bCols : bRows;
  const N = options.transposeB ? bRows : bCols;
  if (K !== Kb) {
    throw new ShapeError(
      `Cannot run matmul: inner dimensions differ: ${formatShape(aShape)}` +
        `${options.transposeA ? 'ᵀ' : ''} × ${formatShape(bShape)}${
          options.transposeB ? 'ᵀ' : ''
        } contracts ${K} with ${Kb}`,
    );
  }
  const aBatch = a2.slice(0, -2);
  const bBatch = b2.slice(0, -2);
  const batchShape = broadcastShapes(aBatch, bBatch, 'matmul (batch axes)');
  const batch = sizeOf(batchShape);
  const rank = batchShape.length;
  const aStrides = broadcastStrides(aBatch, rank);
  const bStrides = broadcastStrides(bBatch, rank);
  const offsets = new Uint32Array(2 * batch);
  for (let i = 0; i < batch; i++) {
    let rest = i;
    let ia = 0;
    let ib = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % batchShape[d];
      rest = Math.floor(rest / batchShape[d]);
      ia += c * aStrides[d];
      ib += c * bStrides[d];
    }
    offsets[2 * i] = ia * M * K;
    offsets[2 * i + 1] = ib * K * N;
  }
  const shape = [...batchShape];
  if (aShape.length > 1) shape.push(M);
  if (bShape.length > 1) shape.push(N);
  return { M, N, K, batch, shape, offsets };
}

/**
 * `op(a) · op(b)` over the last two axes, batched over the broadcast leading axes (numpy
 * `matmul`). Any M, N, K ≥ 1; K = 0 yields zeros.
 *
 * Operands larger than the binding limit ({@linkcode Engine.maxBindingBytes}, the device's
 * `maxStorageBufferBindingSize`: 128 MiB by default) are processed in blocks, each binding a
 * sub-range of the big buffer: the dimension that indexes its rows is cut into bands (K for B,
 * where the slabs' products are added into C; N for a transposed B; M for A and C), down to
 * parts of single rows when one row is too long. A big operand with its own batch axes is taken
 * one batch at a time.
 *
 * @example
 * ```ts ignore
 * using c = matmul(engine, a, b, { transposeB: true }); // a · bᵀ
 * ```
 */
export function matmul(engine: Engine, a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  checkOperand(engine, 'matmul', 'a', a);
  checkOperand(engine, 'matmul', 'b', b);
  const plan = planMatmul(a.shape, b.shape, options);
  const { M, N, K, batch } = plan;
  const c = empty(engine, plan.shape, { label: options.label ?? 'matmul.out', zero: K === 0 });
  if (c.size === 0 || K === 0) return c;
  const transA = options.transposeA ?? false;
  const transB = options.transposeB ?? false;
  let vec4 = (options.kernel ?? 'auto') === 'auto' && !transA && !transB && K % 4 === 0 &&
    N % 4 === 0;
  const full: Block = [M, N, K];
  const operands: Operand[] = [
    {
      tensor: a,
      offsets: (t) => plan.offsets[2 * t],
      rows: transA ? DIM_K : DIM_M,
      cols: transA ? DIM_M : DIM_K,
      ld: transA ? M : K,
      ranged: !fitsBinding(engine, a.buffer),
      shared: sharedOffsets(plan.offsets, 0, batch),
    },
    {
      tensor: b,
      offsets: (t) => plan.offsets[2 * t + 1],
      rows: transB ? DIM_N : DIM_K,
      cols: transB ? DIM_K : DIM_N,
      ld: transB ? K : N,
      ranged: !fitsBinding(engine, b.buffer),
      shared: sharedOffsets(plan.offsets, 1, batch),
    },
    {
      tensor: c,
      offsets: (t) => t * M * N,
      rows: DIM_M,
      cols: DIM_N,
      ld: N,
      ranged: !fitsBinding(engine, c.buffer),
      shared: batch === 1,
    },
  ];
  // Block lengths: each operand bound in ranges gets bands of whole rows that fit a binding, or
  // single rows cut into parts where one row does not fit.
  let lengths: Block = [M, N, K];
  const most = maxRangeElements(engine);
  for (const op of operands) {
    if (!op.ranged) continue;
    const rows = Math.floor(most / op.ld);
    if (rows >= 1) lengths[op.rows] = Math.min(lengths[op.rows], rows);
    else {
      lengths[op.rows] = 1;
      lengths[op.cols] = Math.min(lengths[op.cols], most);
    }
  }
  if (vec4) {
    // The vec4 kernel needs N and K blocks (hence every offset) on multiples of 4.
    const rounded = lengths.map((l, d) => d === DIM_M || l === full[d] ? l : l - l % 4) as Block;
    if (rounded.some((l) => l === 0)) vec4 = false;
    else lengths = rounded;
  }
  // A big operand with distinct matrices per batch is bound one batch at a time.
  const perBatch = batch > 1 && operands.some((op) => op.ranged && !op.shared);
  const groups = perBatch ? batch : 1;
  const count = perBatch ? 1 : batch;
  for (let g = 0; g < groups; g++) {
    for (let m0 = 0; m0 < M; m0 += lengths[DIM_M]) {
      for (let n0 = 0; n0 < N; n0 += lengths[DIM_N]) {
        for (let k0 = 0; k0 < K; k0 += lengths[DIM_K]) {
          const start: Block = [m0, n0, k0];
          const size = start.map((s, d) => Math.min(lengths[d], full[d] - s)) as Block;
          const block = { first: g * count, count, start, size };
          recordBlock(engine, operands, block, { vec4, transA, transB });
        }
      }
    }
  }
  return c;
}

/** Block dimensions: M, N, K. */
type Block = [m: number, n: number, k: number];
const DIM_M = 0;
const DIM_N = 1;
const DIM_K = 2;

/** One operand of a product, as the blocked recording sees it. */
interface Operand {
  tensor: Tensor;
  /** The element offset of batch t's matrix in the buffer. */
  offsets: (t: number) => number;
  /** The block dimension that indexes its rows, and the one that indexes its columns. */
  rows: number;
  cols: number;
  /** Row stride in elements (the full length of its column dimension). */
  ld: number;
  /** Whether its buffer exceeds the binding limit, so that each block binds a sub-range. */
  ranged: boolean;
  /** Whether every batch uses one matrix (a broadcast operand, or a single batch). */
  shared: boolean;
}

/** Whether the operand at `column` of the `[a, b]` offset pairs is one matrix for every batch. */
function sharedOffsets(offsets: Uint32Array, column: number, batch: number): boolean {
  for (let t = 1; t < batch; t++) if (offsets[2 * t + column] !== offsets[column]) return false;
  return true;
}

/**
 * Records the product of one block — batches `[first, first + count)`, rows `start[0]` (M),
 * columns `start[1]` (N), contraction `start[2]` (K), `size` of each — adding into C after the
 * first K block. Each operand is bound whole, or, when it is past the binding limit, as the range
 * from its first to its last element in the block (over the batches); the offsets table gives
 * each batch's corner from the start of its binding.
 */
function recordBlock(
  engine: Engine,
  operands: Operand[],
  block: { first: number; count: number; start: Block; size: Block },
  kernel: { vec4: boolean; transA: boolean; transB: boolean },
): void {
  const { first, count, start, size } = block;
  const { vec4, transA, transB } = kernel;
  const table = new Uint32Array(3 * count);
  const bindings = operands.map((op, j) => {
    const corner = start[op.rows] * op.ld + start[op.cols];
    if (!op.ranged) {
      for (let i = 0; i < count; i++) table[3 * i + j] = op.offsets(first + i) + corner;
      return op.tensor.buffer;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < count; i++) {
      lo = Math.min(lo, op.offsets(first + i));
      hi = Math.max(hi, op.offsets(first + i));
    }
    const end = (start[op.rows] + size[op.rows] - 1) * op.ld + start[op.cols] + size[op.cols];
    const { range, skip } = elementRange(engine, op.tensor.buffer, lo + corner, hi + end);
    for (let i = 0; i < count; i++) table[3 * i + j] = op.offsets(first + i) - lo + skip;
    return range;
  });
  const [m, n, k] = size;
  const tilesX = Math.ceil(n / TILE);
  const tilesY = Math.ceil(m / TILE);
  // Dims is a uniform struct of ten u32; uniform buffers round up to 16 bytes.
  const dims = new Uint32Array([
    m,
    n,
    k,
    count,
    tilesX,
    tilesY,
    operands[0].ld,
    operands[1].ld,
    operands[2].ld,
    start[DIM_K] > 0 ? 1 : 0,
    0,
    0,
  ]);
  engine.dispatch({
    code: vec4 ? matmulVec4Source : matmulSource,
    label: vec4 ? 'nn/matmul_vec4.wgsl' : 'nn/matmul.wgsl',
    constants: vec4 ? undefined : { TRANS_A: transA ? 1 : 0, TRANS_B: transB ? 1 : 0 },
    bindings: [
      ...bindings,
      engine.constants('matmul.dims', dims),
      engine.constants('matmul.offsets', table),
    ],
    workgroups: tilesX * tilesY * count,
  });
}

/**
 * f64 CPU reference of {@linkcode matmul}. Also returns `magnitude`, Σₖ|a·b| per output, which
 * bounds the f32 rounding error of any summation order: |error| ≤ K·u·magnitude (u = 2⁻²⁴).
 */
export function matmulReference(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  options: Pick<MatmulOptions, 'transposeA' | 'transposeB'> = {},
): { data: Float64Array; magnitude: Float64Array; shape: number[] } {
  const { M, N, K, batch, shape, offsets } = planMatmul(aShape, bShape, options);
  const data = new Float64Array(batch * M * N);
  const magnitude = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    const ao = offsets[2 * t];
    const bo = offsets[2 * t + 1];
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        let mag = 0;
        for (let k = 0; k < K; k++) {
          const av = options.transposeA ? a[ao + k * M + m] : a[ao + m * K + k];
          const bv = options.transposeB ? b[bo + n * K + k] : b[bo + k * N + n];
          s += av * bv;
          mag += Math.abs(av * bv);
        }
        data[(t * M + m) * N + n] = s;
        magnitude[(t * M + m) * N + n] = mag;
      }
    }
  }
  return { data, magnitude, shape };
}
