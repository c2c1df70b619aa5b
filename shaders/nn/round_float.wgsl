// nn/round_float.wgsl — rounds f32 values to the nearest float16 or bfloat16 value and returns
// them as f32 (ONNX Cast to FLOAT16 / BFLOAT16 on an engine that stores every float as f32).
//
// Bindings (group 0):
//   0  x       storage, read        array<u32>  n elements, f32 bits
//   1  y       storage, read_write  array<u32>  n elements, f32 bits of the rounded values
//   2  params  uniform              Params      { n }
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG    workgroup size (default 64).
//            MODE  0 float16 (IEEE binary16)  1 bfloat16
// Numerics: exact round-to-nearest, ties to even, done on the bit pattern with integer
//   arithmetic (WGSL leaves the rounding of quantizeToF16/pack2x16float to the platform).
//   float16: magnitudes that round above 65504 become ±Inf; below 2^-14 they round onto the
//   subnormal grid (multiples of 2^-24), and at most 2^-25 to ±0. bfloat16: the upper 16 bits
//   after adding 0x7fff plus the lowest kept bit; a carry into the exponent gives ±Inf.
//   NaN and ±Inf pass through unchanged (detected by bit pattern, not by comparison).

override WG: u32 = 64u;
override MODE: u32 = 0u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn round_bfloat16(bits: u32) -> u32 {
  if ((bits & 0x7f800000u) == 0x7f800000u) {
    return bits; // NaN or ±Inf
  }
  let rounded = bits + 0x7fffu + ((bits >> 16u) & 1u);
  return rounded & 0xffff0000u;
}

fn round_float16(bits: u32) -> u32 {
  let sign = bits & 0x80000000u;
  let magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {
    return bits; // NaN or ±Inf
  }
  let biased = i32(magnitude >> 23u);
  // f32 subnormals (biased exponent 0) are below 2^-126: float16 rounds them to zero.
  if (biased == 0) {
    return sign;
  }
  let e = biased - 127; // value = 1.m · 2^e
  if (e > 15) {
    return sign | 0x7f800000u; // ≥ 2^16: beyond float16's range
  }
  // Low significand bits dropped: 13 for normal float16 (10 kept fraction bits); more below
  // 2^-14, where the grid is a fixed 2^-24.
  let drop = u32(13 + max(-14 - e, 0));
  if (drop > 24u) {
    return sign; // < 2^-25: rounds to zero
  }
  let significand = (magnitude & 0x7fffffu) | 0x800000u;
  var kept = significand >> drop;
  let rest = significand & ((1u << drop) - 1u);
  let half = 1u << (drop - 1u);
  if (rest > half || (rest == half && (kept & 1u) == 1u)) {
    kept = kept + 1u;
  }
  // kept ≤ 2^11 is exact in f32; ldexp by a power of two is exact.
  let value = ldexp(f32(kept), e - 23 + i32(drop));
  if (value > 65504.0) {
    return sign | 0x7f800000u;
  }
  return sign | bitcast<u32>(value);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  if (i >= params.n) {
    return;
  }
  if (MODE == 1u) {
    y[i] = round_bfloat16(x[i]);
  } else {
    y[i] = round_float16(x[i]);
  }
}
