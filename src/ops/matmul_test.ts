import { assertArrayEquals, assertClose, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import type { Engine } from '../gpu/engine.ts';
import { ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { matmul, type MatmulOptions, matmulReference } from './matmul.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;

// f32 accumulation of K products: |error| ≤ (K + 1)·u·Σ|a·b| in any summation order (with or
// without fused multiply-add), plus the final rounding.
async function check(
  engine: Engine,
  aShape: number[],
  bShape: number[],
  options: MatmulOptions = {},
): Promise<void> {
  const a = uniform(sizeOf(aShape), 101 + sizeOf(aShape));
  const b = uniform(sizeOf(bShape), 202 + sizeOf(bShape));
  using ta = tensor(engine, a, aShape);
  using tb = tensor(engine, b, bShape);
  using c = matmul(engine, ta, tb, options);
  const ref = matmulReference(a, aShape, b, bShape, options);
  assertArrayEquals(c.shape, ref.shape, `shape ${aShape} × ${bShape}`);
  const K = aShape.length === 1 ? aShape[0] : aShape[aShape.length - (options.transposeA ? 2 : 1)];
  const bound = ref.magnitude.map((m) => (K + 2) * u * m);
  assertClose(
    await c.read(),
    ref.data,
    { atol: 1e-30, bound },
    `${aShape} × ${bShape} ${JSON.stringify(options)}`,
  );
}

// M, K, N triples: 1s, around the 32 tile and the 16 K-slab, non-multiples of anything.
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [1, 64, 5],
  [5, 3, 1],
  [31, 17, 33],
  [32, 16, 32],
  [33, 33, 33],
  [65, 130, 47],
  [100, 1, 100],
];

testGpu('matmul: general kernel, any M, K, N', getEngine, async (engine) => {
  for (const [M, K, N] of SIZES) await check(engine, [M, K], [K, N], { kernel: 'scalar' });
});

testGpu('matmul: vec4 kernel where K and N are multiples of 4', getEngine, async (engine) => {
  for (const [M, K, N] of [[1, 4, 4], [3, 8, 4], [31, 16, 36], [33, 64, 32], [70, 132, 68]]) {
    await check(engine, [M, K], [K, N]);
  }
});

testGpu('matmul: transposed operands', getEngine, async (engine) => {
  for (const [M, K, N] of [[1, 5, 3], [33, 17, 31], [64, 20, 8]]) {
    await check(engine, [K, M], [K, N], { transposeA: true });
    await check(engine, [M, K], [N, K], { transposeB: true });
    await check(engine, [K, M], [N, K], { transposeA: true, transposeB: true });
  }
});

testGpu('matmul: batched with numpy broadcasting and 1-D operands', getEngine, async (engine) => {
  await check(engine, [3, 5, 7], [3, 7, 4]);
  await check(engine, [3, 5, 7], [7, 4]);
  await check(engine, [5, 8], [2, 3, 8, 12]);
  await check(engine, [2, 1, 5, 6], [1, 3, 6, 2]);
  await check(engine, [4, 2, 9, 4], [4, 2, 4, 4], { transposeB: true });
  await check(engine, [7], [7, 3]); // vector × matrix → [3]
  await check(engine, [2, 5, 7], [7]); // batched matrix × vector → [2, 5]
  await check(engine, [9], [9]); // dot product → []
});

testGpu(
  'matmul: folded dispatch (tiles × batch past the per-dimension limit)',
  getFolding,
  async (engine) => {
    await check(engine, [5, 40, 9], [9, 70]); // 3 × 2 tiles × 5 batches = 30 workgroups
    await check(engine, [5, 40, 8], [8, 72]); // the vec4 kernel folded too
  },
);

testGpu('matmul: K = 0 gives zeros; mismatched shapes are named', getEngine, async (engine) => {
  using a = tensor(engine, [], [2, 0]);
  using b = tensor(engine, [], [0, 3]);
  using c = matmul(engine, a, b);
  assertArrayEquals(await c.read(), [0, 0, 0, 0, 0, 0]);
  using x = tensor(engine, uniform(6, 1), [2, 3]);
  using y = tensor(engine, uniform(8, 1), [4, 2]);
  assertThrows(() => matmul(engine, x, y), ShapeError, '[2, 3] × [4, 2] contracts 3 with 4');
  using z = tensor(engine, uniform(24, 1), [2, 3, 4]);
  using w = tensor(engine, uniform(48, 1), [3, 4, 4]);
  assertThrows(() => matmul(engine, z, w), ShapeError, 'do not broadcast');
});
