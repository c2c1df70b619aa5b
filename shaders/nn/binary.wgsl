// nn/binary.wgsl — elementwise binary functions with numpy broadcasting: y = f(a, b), on f32 or
// i32 operands; arithmetic keeps the operands' dtype, comparisons and logical ops give i32 0/1.
//
// Bindings (group 0):
//   0  a     storage, read        array<u32>   a's elements (f32 or i32 bits), row-major
//   1  b     storage, read        array<u32>   b's elements, same dtype as a, row-major
//   2  y     storage, read_write  array<u32>   n = prod(outShape) elements, row-major: the
//                                               operands' dtype, or i32 0/1 (OP ≥ 7)
//   3  geom  storage, read        array<u32>   [n, rank, outShape[rank], aStrides[rank],
//                                               bStrides[rank]]; a stride is 0 on an axis
//                                               where that operand is broadcast
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG        workgroup size (default 64).
//            OP        0 add  1 sub  2 mul  3 div  4 max  5 min  6 pow
//                      7 equal  8 less  9 less_equal  10 greater  11 greater_equal
//                      12 and  13 or  14 xor  15 not (of a; b is ignored)
//            INT       false: operands are f32; true: operands are i32.
//            BROADCAST false when a, b and y have one shape: index all three by i directly.
// Numerics (f32): one rounded operation per element. WGSL's pow is undefined for a negative
//   base, so pow takes |a| and restores the sign for integral exponents (odd: negative), and
//   yields NaN for a negative base with a fractional exponent, as C's pow does; pow(x, 0) = 1.
//   It is exp2(b·log2|a|) on most platforms: a few ulp, growing with |b·log2|a||. On NaN, pow
//   is C's (pow(x, 0) = pow(1, y) = 1, else NaN). max/min return the NaN operand when there is
//   one (PyTorch's maximum/minimum, onnxruntime's Max/Min), else WGSL's max/min. Comparisons
//   with a NaN operand are false. NaN is found by bit pattern, since lavapipe's max(NaN, x) is x
//   and SwiftShader's comparisons are not IEEE; -0 == +0.
// Numerics (i32): WGSL's two's-complement wrapping for add/sub/mul; div truncates toward zero,
//   and by WGSL's rule x / 0 = x and i32min / -1 = i32min (ONNX leaves both undefined). pow
//   is exact repeated squaring (wrapping); a negative exponent gives the truncated 1/a^|b|:
//   1 for a = 1, ±1 for a = -1, else 0 (also for a = 0, where C would divide by zero).
// Logical ops treat any non-zero element as true.

override WG: u32 = 64u;
override OP: u32 = 0u;
override INT: bool = false;
override BROADCAST: bool = true;

@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<storage, read> geom: array<u32>;

// Runtime bit casts: Tint rejects a constant expression whose value is NaN or ±inf.
fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}

fn is_nan_bits(bits: u32) -> bool {
  return (bits & 0x7fffffffu) > 0x7f800000u;
}

// The NaN among two operands of which at least one is NaN (a's if both are).
fn nan_of(ub: u32, vb: u32) -> u32 {
  return select(vb, ub, is_nan_bits(ub));
}

// C's pow on NaN and infinite exponents (which onnxruntime and PyTorch follow): pow(x, ±0) = 1
// and pow(1, y) = 1 for any x, y, NaN included; otherwise a NaN operand gives NaN;
// pow(±1, ±inf) = 1, pow(x, ±inf) is 0 or inf whatever x's sign; pow(±0 or ±inf, y) is
// 0 or inf, signed for odd integer y.
fn pow_bits(ub: u32, vb: u32) -> u32 {
  if ((vb & 0x7fffffffu) == 0u || ub == 0x3f800000u) {
    return 0x3f800000u;
  }
  if (is_nan_bits(ub) || is_nan_bits(vb)) {
    return nan_of(ub, vb);
  }
  if ((vb & 0x7fffffffu) == 0x7f800000u) {
    // y = ±inf: 1 for |x| = 1, else 0 or inf by whether |x|^y shrinks (the sign of x drops).
    let ua = ub & 0x7fffffffu;
    if (ua == 0x3f800000u) {
      return 0x3f800000u;
    }
    return select(0u, 0x7f800000u, (ua > 0x3f800000u) == (vb == 0x7f800000u));
  }
  let xa = ub & 0x7fffffffu;
  if (xa == 0x7f800000u || xa == 0u) {
    // x = ±inf or ±0 (WGSL's pow leaves them undefined): |x|^y is inf or 0 by the signs, and an
    // odd integer y keeps x's sign.
    let v = bitcast<f32>(vb);
    let mag = select(0u, 0x7f800000u, (xa != 0u) == (v > 0.0));
    let odd = fract(v) == 0.0 && fract(v * 0.5) != 0.0;
    return mag | select(0u, ub & 0x80000000u, odd);
  }
  return bitcast<u32>(pow_signed(bitcast<f32>(ub), bitcast<f32>(vb)));
}

fn pow_signed(u: f32, v: f32) -> f32 {
  if (v == 0.0) {
    return 1.0;
  }
  let r = pow(abs(u), v);
  if (u >= 0.0) {
    return r;
  }
  if (fract(v) != 0.0) {
    return from_bits(0x7fc00000u); // NaN
  }
  let odd = fract(v * 0.5) != 0.0;
  return select(r, -r, odd);
}

fn pow_int(u: i32, v: i32) -> i32 {
  if (v < 0) {
    if (u == 1) {
      return 1;
    }
    if (u == -1) {
      return select(1, -1, (v & 1) != 0);
    }
    return 0;
  }
  var r = 1;
  var base = u;
  for (var k = u32(v); k != 0u; k = k >> 1u) {
    if ((k & 1u) != 0u) {
      r = r * base;
    }
    base = base * base;
  }
  return r;
}

fn apply_f32(ub: u32, vb: u32) -> u32 {
  let u = bitcast<f32>(ub);
  let v = bitcast<f32>(vb);
  let ordered = !is_nan_bits(ub) && !is_nan_bits(vb);
  switch OP {
    case 0u: { return bitcast<u32>(u + v); }
    case 1u: { return bitcast<u32>(u - v); }
    case 2u: { return bitcast<u32>(u * v); }
    case 3u: { return bitcast<u32>(u / v); }
    case 4u: { return select(nan_of(ub, vb), bitcast<u32>(max(u, v)), ordered); }
    case 5u: { return select(nan_of(ub, vb), bitcast<u32>(min(u, v)), ordered); }
    case 6u: { return pow_bits(ub, vb); }
    case 7u: { return u32(ordered && u == v); }
    case 8u: { return u32(ordered && u < v); }
    case 9u: { return u32(ordered && u <= v); }
    case 10u: { return u32(ordered && u > v); }
    case 11u: { return u32(ordered && u >= v); }
    default: { return ub; }
  }
}

fn apply_i32(ub: u32, vb: u32) -> u32 {
  let u = bitcast<i32>(ub);
  let v = bitcast<i32>(vb);
  switch OP {
    case 0u: { return bitcast<u32>(u + v); }
    case 1u: { return bitcast<u32>(u - v); }
    case 2u: { return bitcast<u32>(u * v); }
    case 3u: { return bitcast<u32>(u / v); }
    case 4u: { return bitcast<u32>(max(u, v)); }
    case 5u: { return bitcast<u32>(min(u, v)); }
    case 6u: { return bitcast<u32>(pow_int(u, v)); }
    case 7u: { return u32(u == v); }
    case 8u: { return u32(u < v); }
    case 9u: { return u32(u <= v); }
    case 10u: { return u32(u > v); }
    case 11u: { return u32(u >= v); }
    case 12u: { return u32(u != 0 && v != 0); }
    case 13u: { return u32(u != 0 || v != 0); }
    case 14u: { return u32((u != 0) != (v != 0)); }
    case 15u: { return u32(u == 0); }
    default: { return ub; }
  }
}

fn apply(u: u32, v: u32) -> u32 {
  if (INT) {
    return apply_i32(u, v);
  }
  return apply_f32(u, v);
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
