import { assert, assertArrayEquals, assertEquals, assertThrows } from '../../test/assert.ts';
import { sharedEngine, test, testGpu } from '../../test/harness.ts';
import { uniform } from '../../test/random.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { tensor } from '../tensor.ts';
import {
  bfloat16Bits,
  bfloat16FromBits,
  float16Bits,
  float16FromBits,
  type HalfFormat,
  roundBfloat16,
  roundFloat,
  roundFloat16,
  roundFloatReference,
} from './round_float.ts';

const getEngine = sharedEngine();
const getFolding = sharedEngine({ maxWorkgroupsPerDimension: 4 });

// Rounding is exact on both sides: the GPU result must equal the f64 reference bit for bit.

/** Every finite float16 value, by enumerating the bit patterns. */
function allFloat16(): number[] {
  const out: number[] = [];
  for (let h = 0; h < 0x10000; h++) {
    const v = float16FromBits(h);
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

test('round float: the references fix every float16 value and round halfway cases to even', () => {
  for (const v of allFloat16()) assertEquals(roundFloat16(v), v, `float16 ${v}`);
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: to even (1); 1 + 3·2^-11 → 1 + 2^-9.
  assertEquals(roundFloat16(1 + 2 ** -11), 1);
  assertEquals(roundFloat16(1 + 3 * 2 ** -11), 1 + 2 ** -9);
  assertEquals(roundFloat16(1 + 2 ** -11 + 2 ** -30), 1 + 2 ** -10);
  // The subnormal grid (2^-24), its halfway points, and underflow to zero.
  assertEquals(roundFloat16(2 ** -25), 0);
  assertEquals(roundFloat16(2 ** -25 * 1.0001), 2 ** -24);
  assertEquals(roundFloat16(3 * 2 ** -25), 2 * 2 ** -24);
  assertEquals(roundFloat16(-(5 * 2 ** -25)), -2 * 2 ** -24);
  // Overflow: 65519.99 rounds down to 65504, 65520 (halfway to 2^16) rounds to Inf.
  assertEquals(roundFloat16(65519.99), 65504);
  assertEquals(roundFloat16(65520), Infinity);
  assertEquals(roundFloat16(-1e6), -Infinity);
  // bfloat16: 8 significant bits.
  assertEquals(roundBfloat16(1 + 2 ** -8), 1);
  assertEquals(roundBfloat16(1 + 3 * 2 ** -8), 1 + 2 ** -6);
  assertEquals(roundBfloat16(0.47892547), 0.478515625);
  assertEquals(roundBfloat16(3.4e38), Infinity);
  for (let b = 0; b < 0x10000; b += 7) {
    const v = bfloat16FromBits(b);
    if (Number.isFinite(v)) assertEquals(roundBfloat16(v), v, `bfloat16 0x${b.toString(16)}`);
  }
  assert(Number.isNaN(roundFloat16(NaN)) && Number.isNaN(roundBfloat16(NaN)), 'NaN stays NaN');
});

test('round float: decoding 16-bit patterns', () => {
  assertEquals(float16FromBits(0x3e00), 1.5);
  assertEquals(float16FromBits(0x0001), 2 ** -24);
  assertEquals(float16FromBits(0x7bff), 65504);
  assertEquals(float16FromBits(0xfc00), -Infinity);
  assert(Number.isNaN(float16FromBits(0x7e00)), 'NaN');
  assertEquals(bfloat16FromBits(0x3fc0), 1.5);
  assertEquals(bfloat16FromBits(0xc000), -2);
});

/** Values that probe every branch: halfway points, subnormals, overflow, specials. */
function edgeValues(format: HalfFormat): Float32Array<ArrayBuffer> {
  const fraction = format === 'float16' ? 10 : 7;
  const values = [0, -0, 1, -1, Infinity, -Infinity, 0.1, -0.3, 1e-3, 123.456, 3.0e38];
  for (const e of [-30, -25, -24, -20, -15, -14, -13, 0, 5, 15, 16, 100]) {
    for (const k of [0.5, 1, 1.5, 2.5, 3.5]) {
      values.push(2 ** e * (1 + k * 2 ** -fraction), -(2 ** e) * (1 + k * 2 ** -fraction));
    }
  }
  values.push(65504, 65519, 65520, 65535, 2 ** -25, 3 * 2 ** -25, 2 ** -24 * 1.5);
  return new Float32Array(values);
}

for (const format of ['float16', 'bfloat16'] as const) {
  testGpu(
    `round float: ${format} edge values match the reference exactly`,
    getEngine,
    async (e) => {
      const data = edgeValues(format);
      using x = tensor(e, data);
      using y = roundFloat(e, x, format);
      assertArrayEquals(await y.read(), roundFloatReference(data, format));
    },
  );

  testGpu(
    `round float: ${format} random values, sizes around the workgroup`,
    getEngine,
    async (e) => {
      for (const n of [1, 63, 64, 65, 1000]) {
        const data = uniform(n, n + 7, -70000, 70000);
        data.forEach((v, i) => (data[i] = v * 2 ** (-(i % 40))));
        using x = tensor(e, data);
        using y = roundFloat(e, x, format);
        assertArrayEquals(await y.read(), roundFloatReference(data, format), `n=${n}`);
      }
    },
  );
}

testGpu(
  'round float: NaN passes through; folded dispatch; empty tensors',
  getFolding,
  async (e) => {
    const data = new Float32Array(300).map((_, i) => (i === 7 ? NaN : i * 1.001));
    using x = tensor(e, data);
    using y = roundFloat(e, x, 'float16');
    const got = await y.read();
    assert(Number.isNaN(got[7]), `NaN became ${got[7]}`);
    const want = roundFloatReference(data, 'float16');
    for (let i = 0; i < got.length; i++) if (i !== 7) assertEquals(got[i], want[i], `element ${i}`);
    using z = tensor(e, new Float32Array(0), [0, 3]);
    using r = roundFloat(e, z, 'bfloat16');
    assertArrayEquals(r.shape, [0, 3]);
  },
);

testGpu('round float: rejects other formats and integer tensors', getEngine, async (e) => {
  using x = tensor(e, [1, 2]);
  assertThrows(() => roundFloat(e, x, 'float8' as HalfFormat), ArgumentError, "'float8'");
  using i = tensor(e, new Int32Array([1]), [1], { dtype: 'i32' });
  assertThrows(() => roundFloat(e, i, 'float16'), ArgumentError, 'must be f32');
  await Promise.resolve();
});

test('round float: encoding to bit patterns inverts decoding', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = float16FromBits(h);
    if (!Number.isNaN(v)) assertEquals(float16Bits(v), h, `float16 0x${h.toString(16)}`);
  }
  for (let b = 0; b < 0x10000; b += 3) {
    const v = bfloat16FromBits(b);
    if (!Number.isNaN(v)) assertEquals(bfloat16Bits(v), b, `bfloat16 0x${b.toString(16)}`);
  }
  assertEquals(float16Bits(1 + 2 ** -11), 0x3c00);
  assertEquals(bfloat16Bits(NaN), 0x7fc0);
});
