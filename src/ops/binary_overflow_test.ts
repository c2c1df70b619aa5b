// The int64-as-i32 overflow check (src/ops/binary_overflow.ts, shaders/nn/binary_overflow.wgsl)
// against its CPU reference `overflowsI32` (exact, BigInt): both sides of every boundary of add,
// sub, mul and div; a seeded batch that must pass, then the same batch with one overflowing pair
// at a known element, broadcast and blocked (operands past the binding limit). Exact.
import { assert, assertEquals, assertRejects } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { mulberry32 } from '../../test/random.ts';
import { IntegerOverflowError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import { binary } from './binary.ts';
import {
  checkIntOverflow,
  exactIntResult,
  type OverflowOp,
  overflowsI32,
} from './binary_overflow.ts';
import { resolveChecks } from './deferred_check.ts';

const getEngine = sharedEngine();
// 512 bytes per binding (twice the usual 256-byte offset alignment): 128 elements per block.
const getBlocked = sharedEngine({ maxBindingBytes: 512 });

const MAX = 2147483647;
const MIN = -2147483648;

// Pairs on both sides of each op's boundaries (and the control cases inside).
const EDGES: Record<OverflowOp, [number, number][]> = {
  add: [[MAX, 0], [MAX, 1], [MIN, 0], [MIN, -1], [2e9, 147483647], [2e9, 147483648], [-1, MIN]],
  sub: [[MAX, 0], [MAX, -1], [MIN, 0], [MIN, 1], [0, MIN], [-1, MIN], [0, MAX], [-2, MAX]],
  mul: [
    [46340, 46341], // 2147441940
    [46341, 46341], // 2147488281
    [65536, 32767],
    [65536, 32768], // 2³¹
    [-65536, 32768], // −2³¹ fits
    [65536, -32769],
    [MIN, 1],
    [MIN, -1],
    [MAX, -1],
    [0, MIN],
    [MAX, MAX],
    [MIN, MIN],
    [-1, -1],
  ],
  div: [[MIN, -1], [MIN, 1], [MAX, -1], [MIN, 2], [7, 0]],
};

testGpu(
  'binary overflow: both sides of every boundary match the reference',
  getEngine,
  async (e) => {
    for (const op of Object.keys(EDGES) as OverflowOp[]) {
      for (const [x, y] of EDGES[op]) {
        using a = tensor(e, new Int32Array([x]));
        using b = tensor(e, new Int32Array([y]));
        checkIntOverflow(e, op, a, b, { caller: `${op} node 'n'` });
        const want = overflowsI32(op, x, y);
        if (!want) {
          await resolveChecks(e);
          continue;
        }
        const error = await assertRejects(() => resolveChecks(e), IntegerOverflowError);
        assertEquals(
          error.message,
          `Cannot run ${op} node 'n': int64 result ${x} ${
            { add: '+', sub: '−', mul: '×', div: '/' }[op]
          } ${y} = ${exactIntResult(op, x, y)} (element 0 of the output [1]) does not fit in the ` +
            '32-bit integers that hold int64 on the GPU (valid: -2147483648..2147483647)',
        );
      }
    }
    // The reference itself, on the documented example: 2e9 + 2e9 wraps to −294,967,296.
    assert(overflowsI32('add', 2e9, 2e9) && exactIntResult('add', 2e9, 2e9) === 4000000000n);
    assertEquals(exactIntResult('div', 7, 0), null);
  },
);

/** `n` i32 pairs that do not overflow `op` (nor divide by zero), seeded. */
function safePairs(op: OverflowOp, n: number, seed: number): [Int32Array, Int32Array] {
  const next = mulberry32(seed);
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    do {
      // Magnitudes spread over every bit length, so that near-misses occur.
      const bits = 1 + Math.floor(next() * 31);
      a[i] = Math.floor((next() * 2 - 1) * 2 ** bits);
      b[i] = Math.floor((next() * 2 - 1) * 2 ** (op === 'mul' ? 31 - bits : bits));
    } while (overflowsI32(op, a[i], b[i]) || (op === 'div' && b[i] === 0));
  }
  return [a, b];
}

testGpu(
  'binary overflow: seeded batches, one overflow at a known element',
  getEngine,
  async (e) => {
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      for (const n of [1, 63, 64, 65, 1000]) {
        const [x, y] = safePairs(op, n, n + 7);
        using a = tensor(e, x);
        using b = tensor(e, y);
        checkIntOverflow(e, op, a, b);
        await resolveChecks(e);
        // The wrapped GPU result is then exact: the check passing means `binary` is right.
        using r = binary(e, op, a, b);
        const got = await r.read();
        for (let i = 0; i < n; i++) {
          if (BigInt(got[i]) !== exactIntResult(op, x[i], y[i])) {
            throw new Error(`${op} element ${i}: ${x[i]}, ${y[i]} gave ${got[i]}`);
          }
        }
        const at = n - 1 - Math.floor(n / 3);
        x[at] = op === 'sub' ? MIN : op === 'div' ? MIN : MAX;
        y[at] = op === 'sub' ? 1 : op === 'div' ? -1 : 2;
        using a2 = tensor(e, x);
        using b2 = tensor(e, y);
        checkIntOverflow(e, op, a2, b2);
        await assertRejects(() => resolveChecks(e), IntegerOverflowError, `(element ${at} of`);
      }
    }
  },
);

testGpu('binary overflow: broadcast operands', getEngine, async (e) => {
  // a [3, 1] by b [1, 4]: element (2, 3) = 11 overflows.
  using a = tensor(e, new Int32Array([1, -5, 2 ** 30]), [3, 1]);
  using b = tensor(e, new Int32Array([0, 1, 2 ** 29, 2 ** 30]), [1, 4]);
  checkIntOverflow(e, 'add', a, b);
  await assertRejects(
    () => resolveChecks(e),
    IntegerOverflowError,
    `1073741824 + 1073741824 = 2147483648 (element 11 of the output [3, 4])`,
  );
  // A scalar against a vector, fine and not.
  using s = tensor(e, new Int32Array([3]), []);
  using v = tensor(e, new Int32Array([1, 2, 715827882]), [3]);
  checkIntOverflow(e, 'mul', v, s);
  await resolveChecks(e);
  using w = tensor(e, new Int32Array([1, 715827883, 2]), [3]);
  checkIntOverflow(e, 'mul', s, w);
  await assertRejects(() => resolveChecks(e), IntegerOverflowError, '(element 1 of');
});

testGpu('binary overflow: operands past the binding limit run in blocks', getBlocked, async (e) => {
  const n = 1000;
  for (const at of [0, 127, 128, 700, n - 1]) {
    const x = new Int32Array(n).fill(1);
    x[at] = MAX;
    using a = tensor(e, x);
    using one = tensor(e, new Int32Array([1]));
    using b = tensor(e, new Int32Array(n).fill(-1));
    checkIntOverflow(e, 'add', a, b);
    await resolveChecks(e);
    checkIntOverflow(e, 'add', a, one);
    await assertRejects(() => resolveChecks(e), IntegerOverflowError, `(element ${at} of`);
    checkIntOverflow(e, 'sub', b, a);
    await resolveChecks(e);
  }
});
