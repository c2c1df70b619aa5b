// nn/mod.wgsl — ONNX Mod with numpy broadcasting: y = a mod b, on f32 or i32 operands of one
// dtype, with either sign rule:
//   FLOOR = false (fmod = 1): the remainder of truncated division, sign of the dividend (C fmod);
//   FLOOR = true  (fmod = 0): the remainder of floored division, sign of the divisor (Python's
//                             %, numpy.mod).
//
// Bindings (group 0):
//   0  a     storage, read        array<u32>   a's elements (f32 or i32 bits), row-major
//   1  b     storage, read        array<u32>   b's elements, same dtype, row-major
//   2  y     storage, read_write  array<u32>   n = prod(outShape) elements, the operands' dtype
//   3  geom  storage, read        array<u32>   [n, rank, outShape[rank], aStrides[rank],
//                                               bStrides[rank]] (as nn/binary.wgsl); a stride
//                                               is 0 on an axis where that operand is broadcast
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64); INT (i32 operands); FLOOR (sign rule above);
//   BROADCAST false when a, b and y have one shape.
// Numerics (f32): the truncated remainder is exact — it is always representable — computed on
//   the integer significands by shift-and-subtract (as musl's fmodf: at most 277 steps), not as
//   a − b·trunc(a/b), which loses everything once |a/b| passes 2²⁴. Special values follow C:
//   fmod(±inf, b), fmod(a, ±0) and NaN operands give NaN; fmod(a, ±inf) = a; a zero remainder
//   keeps a's sign. Everything is decided on bit patterns (SwiftShader's NaN is not IEEE), and
//   values move as bits, so subnormals survive. The floored rule adds b to a non-zero remainder
//   whose sign differs from b's (one rounding, as numpy), and gives a zero b's sign.
// Numerics (i32): exact. WGSL's % truncates; x mod 0 is 0 (numpy's; ONNX leaves it undefined),
//   and i32min mod −1 is 0.

override WG: u32 = 64u;
override INT: bool = false;
override FLOOR: bool = false;
override BROADCAST: bool = true;

@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<storage, read> geom: array<u32>;

const SIGN: u32 = 0x80000000u;
const ABS: u32 = 0x7fffffffu;
const INF_BITS: u32 = 0x7f800000u;
const NAN_BITS: u32 = 0x7fc00000u;
const HIDDEN: u32 = 0x00800000u;

// Significand with the hidden bit (subnormals normalized) and unbiased-by-one exponent e such
// that |v| = m·2^(e − 150); v is finite and non-zero.
fn unpack(bits: u32) -> vec2<i32> {
  var e = i32(bits >> 23u);
  var m = bits & 0x007fffffu;
  if (e == 0) {
    e = 1;
    while ((m & HIDDEN) == 0u) {
      m = m << 1u;
      e -= 1;
    }
  } else {
    m = m | HIDDEN;
  }
  return vec2<i32>(e, i32(m));
}

// C fmod on bit patterns: the exact remainder of truncated division, sign of a.
fn fmod_bits(ab: u32, bb: u32) -> u32 {
  let ax = ab & ABS;
  let bx = bb & ABS;
  let sign = ab & SIGN;
  if (ax >= INF_BITS || bx > INF_BITS || bx == 0u) {
    return NAN_BITS;
  }
  if (bx == INF_BITS || ax < bx) {
    return ab;
  }
  if (ax == bx) {
    return sign;
  }
  let pa = unpack(ax);
  let pb = unpack(bx);
  var m = u32(pa.y);
  let mb = u32(pb.y);
  // Long division of the significands, one exponent step at a time (m < 2·mb < 2²⁵).
  for (var e = pa.x; e > pb.x; e--) {
    if (m >= mb) {
      m -= mb;
    }
    m = m << 1u;
  }
  if (m >= mb) {
    m -= mb;
  }
  if (m == 0u) {
    return sign;
  }
  // m·2^(eb − 150): normalize, then pack as a normal or (exactly) as a subnormal.
  var e = pb.x;
  while ((m & HIDDEN) == 0u) {
    m = m << 1u;
    e -= 1;
  }
  if (e >= 1) {
    return sign | (u32(e) << 23u) | (m & 0x007fffffu);
  }
  return sign | (m >> u32(1 - e));
}

fn mod_f32(ab: u32, bb: u32) -> u32 {
  let r = fmod_bits(ab, bb);
  if (!FLOOR || (r & ABS) > INF_BITS) {
    return r;
  }
  if ((r & ABS) == 0u) {
    return bb & SIGN; // a zero remainder takes the divisor's sign
  }
  if ((r & SIGN) != (bb & SIGN)) {
    return bitcast<u32>(bitcast<f32>(r) + bitcast<f32>(bb));
  }
  return r;
}

fn mod_i32(ub: u32, vb: u32) -> u32 {
  let u = bitcast<i32>(ub);
  let v = bitcast<i32>(vb);
  if (v == 0 || v == -1) {
    return 0u;
  }
  var r = u % v;
  if (FLOOR && r != 0 && ((r < 0) != (v < 0))) {
    r += v;
  }
  return bitcast<u32>(r);
}

fn apply(u: u32, v: u32) -> u32 {
  if (INT) {
    return mod_i32(u, v);
  }
  return mod_f32(u, v);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let n = geom[0];
  if (i >= n) {
    return;
  }
  if (!BROADCAST) {
    y[i] = apply(a[i], b[i]);
    return;
  }
  let rank = geom[1];
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  // Walk the axes innermost first, peeling off each coordinate of i.
  for (var d = rank; d > 0u; d--) {
    let axis = d - 1u;
    let dim = geom[2u + axis];
    let coord = rest % dim;
    rest = rest / dim;
    ia += coord * geom[2u + rank + axis];
    ib += coord * geom[2u + 2u * rank + axis];
  }
  y[i] = apply(a[ia], b[ib]);
}
