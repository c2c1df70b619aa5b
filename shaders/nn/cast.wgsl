// nn/cast.wgsl — elementwise type conversion between f32 and i32 (ONNX Cast; bool is i32 0/1).
//
// Bindings (group 0):
//   0  x       storage, read        array<u32>  n elements, f32 or i32 bits
//   1  y       storage, read_write  array<u32>  n elements, the target dtype's bits
//   2  params  uniform              Params      { n }
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG    workgroup size (default 64).
//            MODE  0 copy (f32→f32, i32→i32: bit for bit)  1 f32→i32  2 i32→f32
//                  3 f32→bool  4 i32→bool
// Numerics: f32→i32 truncates toward zero, as C does; values at or beyond ±2^31 saturate to
//   i32's min/max and NaN becomes 0 (C leaves all three undefined; detected here by comparison
//   with ±2^31 and by bit pattern, not by the platform's conversion). i32→f32 rounds |v| > 2^24
//   to a neighbouring f32 (WGSL lets the platform pick either neighbour). f32→bool is 1 unless
//   the value is ±0 (NaN gives 1, as numpy's bool(nan) does); i32→bool is 1 unless 0.

override WG: u32 = 64u;
override MODE: u32 = 0u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

const I32_MAX: i32 = 2147483647;
const I32_MIN: i32 = -2147483647 - 1;

fn is_nan_bits(bits: u32) -> bool {
  return (bits & 0x7fffffffu) > 0x7f800000u;
}

fn f32_to_i32(bits: u32) -> i32 {
  if (is_nan_bits(bits)) {
    return 0;
  }
  let v = bitcast<f32>(bits);
  if (v >= 2147483648.0) {
    return I32_MAX;
  }
  if (v <= -2147483648.0) {
    return I32_MIN;
  }
  return i32(v); // WGSL rounds toward zero
}

fn convert(bits: u32) -> u32 {
  switch MODE {
    case 1u: { return bitcast<u32>(f32_to_i32(bits)); }
    case 2u: { return bitcast<u32>(f32(bitcast<i32>(bits))); }
    case 3u: { return u32((bits & 0x7fffffffu) != 0u); }
    case 4u: { return u32(bits != 0u); }
    default: { return bits; }
  }
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
  y[i] = convert(x[i]);
}
