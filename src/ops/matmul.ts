/**
 * Batched matrix multiplication with numpy `matmul` semantics on the GPU
 * (`shaders/nn/matmul.wgsl`, `shaders/nn/matmul_vec4.wgsl`) and its f64 CPU reference.
 *
 * @module
 */

import matmulSource from '../../shaders/nn/matmul.wgsl' with { type: 'text' };
import matmulVec4Source from '../../shaders/nn/matmul_vec4.wgsl' with { type: 'text' };
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
  const vec4 = (options.kernel ?? 'auto') === 'auto' && !options.transposeA &&
    !options.transposeB && K % 4 === 0 && N % 4 === 0;
  const tilesX = Math.ceil(N / TILE);
  const tilesY = Math.ceil(M / TILE);
  // Dims is a uniform struct of six u32; uniform buffers round up to 16 bytes.
  const dims = new Uint32Array([M, N, K, batch, tilesX, tilesY, 0, 0]);
  engine.dispatch({
    code: vec4 ? matmulVec4Source : matmulSource,
    label: vec4 ? 'nn/matmul_vec4.wgsl' : 'nn/matmul.wgsl',
    constants: vec4 ? undefined : {
      TRANS_A: options.transposeA ? 1 : 0,
      TRANS_B: options.transposeB ? 1 : 0,
    },
    bindings: [
      a.buffer,
      b.buffer,
      c.buffer,
      engine.constants('matmul.dims', dims),
      engine.constants('matmul.offsets', plan.offsets),
    ],
    workgroups: tilesX * tilesY * batch,
  });
  return c;
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
