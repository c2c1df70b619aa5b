import { assertArrayEquals, assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, testGpu } from '../../test/harness.ts';
import { integers, uniform } from '../../test/random.ts';
import { ArgumentError, ShapeError } from '../gpu/errors.ts';
import { sizeOf, tensor } from '../tensor.ts';
import { binary, type BinaryOp, binaryReference } from './binary.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

const u = 2 ** -24;
// One correctly rounded f32 operation per element: within half an ulp of the f64 result of the
// same f32 inputs (add, sub, mul; div within 2.5 ulp per WGSL). max/min select an input: exact.
// pow is exp2(b·log2|a|): the error grows with |b·log2|a||, bounded here by 64 ulp for |b| ≤ 3.
const TOLERANCE: Record<BinaryOp, { rtol: number; atol: number }> = {
  add: { rtol: u, atol: 0 },
  sub: { rtol: u, atol: 0 },
  mul: { rtol: u, atol: 0 },
  div: { rtol: 3 * u, atol: 0 },
  max: { rtol: 0, atol: 0 },
  min: { rtol: 0, atol: 0 },
  pow: { rtol: 64 * u, atol: 1e-30 },
};

// Shape pairs: same shape, scalar, trailing and leading broadcasts, both sides broadcasting,
// rank mismatch, sizes around the workgroup (63/64/65) and one not a multiple of anything.
const SHAPES: [number[], number[]][] = [
  [[1], [1]],
  [[63], [63]],
  [[64], [64]],
  [[65], [65]],
  [[7, 143], [7, 143]],
  [[5, 13], []],
  [[], [5, 13]],
  [[4, 1, 3], [5, 1]],
  [[2, 3, 65], [65]],
  [[3, 1], [1, 64]],
  [[2, 1, 4, 1], [3, 1, 5]],
];

function operands(op: BinaryOp, aShape: number[], bShape: number[]) {
  const a = uniform(sizeOf(aShape), 17 + aShape.length, op === 'pow' ? -3 : -4, 4);
  // Keep divisors away from zero, and pow's exponents integral where the base is negative.
  const b = op === 'pow'
    ? uniform(sizeOf(bShape), 5, -3, 3).map((v) => Math.round(v))
    : uniform(sizeOf(bShape), 29 + bShape.length, 0.5, 4).map((v, i) => (i % 2 ? v : -v));
  return { a, b };
}

for (const op of Object.keys(TOLERANCE) as BinaryOp[]) {
  testGpu(`binary ${op}: broadcasting cases against f64`, getEngine, async (engine) => {
    for (const [aShape, bShape] of SHAPES) {
      const { a, b } = operands(op, aShape, bShape);
      using ta = tensor(engine, a, aShape);
      using tb = tensor(engine, b, bShape);
      using y = binary(engine, op, ta, tb);
      const ref = binaryReference(op, a, aShape, b, bShape);
      assertArrayEquals(y.shape, ref.shape, `${op} shape`);
      assertClose(await y.read(), ref.data, TOLERANCE[op], `${op} ${aShape} × ${bShape}`);
    }
  });
}

testGpu(
  'binary: pow of negative bases keeps the sign for integral exponents',
  getEngine,
  async (engine) => {
    using a = tensor(engine, [-2, -2, -2, 2, 0, -8]);
    using b = tensor(engine, [2, 3, 0, 0.5, 2, 1 / 3]);
    using y = binary(engine, 'pow', a, b);
    const out = await y.read();
    assertClose(out.slice(0, 5), [4, -8, 1, Math.SQRT2, 0], { rtol: 64 * u });
    assertEquals(Number.isNaN(out[5]), true, 'negative base, fractional exponent gives NaN');
  },
);

testGpu('binary: folded dispatch with broadcasting', getFolding, async (engine) => {
  const aShape = [10, 1, 50];
  const bShape = [3, 1];
  const { a, b } = operands('sub', aShape, bShape);
  using ta = tensor(engine, a, aShape);
  using tb = tensor(engine, b, bShape);
  using y = binary(engine, 'sub', ta, tb); // 1500 elements, 24 workgroups, 4×4×2
  assertClose(await y.read(), binaryReference('sub', a, aShape, b, bShape).data, TOLERANCE.sub);
});

testGpu('binary: past the real maxComputeWorkgroupsPerDimension', getEngine, async (engine) => {
  const n = engine.device.limits.maxComputeWorkgroupsPerDimension * 64 + 65;
  const a = uniform(n, 1);
  using ta = tensor(engine, a, [n]);
  using tb = tensor(engine, [0.5], []);
  using y = binary(engine, 'mul', ta, tb);
  const out = await y.read();
  assertClose(out, binaryReference('mul', a, [n], [0.5], []).data, { atol: 0 });
});

testGpu('binary: shapes that do not broadcast name both shapes', getEngine, async (engine) => {
  using a = tensor(engine, uniform(6, 1), [2, 3]);
  using b = tensor(engine, uniform(4, 1), [4]);
  assertThrows(
    () => binary(engine, 'add', a, b),
    ShapeError,
    'shapes [2, 3] and [4] do not broadcast',
  );
  await Promise.resolve();
});

// Integer operands: exact against the CPU's integer semantics (wrapping, truncating division).
function intOperands(op: BinaryOp, aShape: number[], bShape: number[]) {
  const a = Int32Array.from(integers(sizeOf(aShape), 41 + aShape.length, -1000, 1000));
  const b = op === 'pow'
    ? Int32Array.from(integers(sizeOf(bShape), 43, -2, 4))
    : Int32Array.from(integers(sizeOf(bShape), 47 + bShape.length, -50, 50));
  return { a, b };
}

for (const op of Object.keys(TOLERANCE) as BinaryOp[]) {
  testGpu(`binary ${op} on i32: broadcasting cases, exact`, getEngine, async (engine) => {
    for (const [aShape, bShape] of SHAPES) {
      const { a, b } = intOperands(op, aShape, bShape);
      using ta = tensor(engine, a, aShape);
      using tb = tensor(engine, b, bShape);
      using y = binary(engine, op, ta, tb);
      assertEquals(y.dtype, 'i32', `${op} dtype`);
      const ref = binaryReference(op, a, aShape, b, bShape, 'i32');
      assertArrayEquals(y.shape, ref.shape, `${op} shape`);
      assertArrayEquals(await y.read(), ref.data, `${op} i32 ${aShape} × ${bShape}`);
    }
  });
}

testGpu('binary on i32: division truncates toward zero; edge cases', getEngine, async (engine) => {
  const min = -2147483648;
  const a = new Int32Array([7, -7, 7, -7, 1, -1, 0, 5, min, min, 2147483647, 3, -2, 1]);
  const b = new Int32Array([2, 2, -2, -2, 3, 3, 5, 0, -1, 1, 1, 7, 3, -3]);
  using ta = tensor(engine, a);
  using tb = tensor(engine, b);
  using q = binary(engine, 'div', ta, tb);
  const expected = [3, -3, -3, 3, 0, 0, 0, 5, min, min, 2147483647, 0, 0, 0];
  assertArrayEquals(await q.read(), expected, 'div');
  assertArrayEquals(expected, binaryReference('div', a, [14], b, [14], 'i32').data, 'reference');
  using s = binary(engine, 'add', ta, tb); // 2147483647 + 1 wraps
  assertArrayEquals(await s.read(), binaryReference('add', a, [14], b, [14], 'i32').data, 'add');
  using m = binary(engine, 'mul', ta, ta); // wraps
  assertArrayEquals(await m.read(), binaryReference('mul', a, [14], a, [14], 'i32').data, 'mul');
  using p = binary(engine, 'pow', ta, tb);
  assertArrayEquals(await p.read(), binaryReference('pow', a, [14], b, [14], 'i32').data, 'pow');
  const powRef = binaryReference('pow', [-2, 3, 1, -1, -1, 0, 2], [7], [3, 4, -5, -3, -4, -1, 31], [
    7,
  ], 'i32');
  assertArrayEquals(powRef.data, [-8, 81, 1, -1, 1, 0, -2147483648], 'pow reference');
});

testGpu('binary: i32 with a folded dispatch', getFolding, async (engine) => {
  const { a, b } = intOperands('sub', [10, 1, 50], [3, 1]);
  using ta = tensor(engine, a, [10, 1, 50]);
  using tb = tensor(engine, b, [3, 1]);
  using y = binary(engine, 'sub', ta, tb);
  assertArrayEquals(await y.read(), binaryReference('sub', a, [10, 1, 50], b, [3, 1], 'i32').data);
});

testGpu('binary: mixed dtypes are rejected, naming both', getEngine, async (engine) => {
  using a = tensor(engine, [1, 2]);
  using b = tensor(engine, new Int32Array([1, 2]));
  assertThrows(
    () => binary(engine, 'add', a, b),
    ArgumentError,
    'a [2] is f32 but b [2] is i32',
  );
  await Promise.resolve();
});
