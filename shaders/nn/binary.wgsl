// nn/binary.wgsl — elementwise binary functions with numpy broadcasting: y = f(a, b).
//
// Bindings (group 0):
//   0  a     storage, read        array<f32>   a's elements, row-major
//   1  b     storage, read        array<f32>   b's elements, row-major
//   2  y     storage, read_write  array<f32>   n = prod(outShape) elements, row-major
//   3  geom  storage, read        array<u32>   [n, rank, outShape[rank], aStrides[rank],
//                                               bStrides[rank]]; a stride is 0 on an axis
//                                               where that operand is broadcast
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG        workgroup size (default 64).
//            OP        0 add  1 sub  2 mul  3 div  4 max  5 min  6 pow
//            BROADCAST false when a, b and y have one shape: index all three by i directly.
// Numerics: one rounded operation per element. WGSL's pow is undefined for a negative base, so
//   pow takes |a| and restores the sign for integral exponents (odd: negative), and yields NaN
//   for a negative base with a fractional exponent, as C's pow does; pow(x, 0) = 1. It is
//   exp2(b·log2|a|) on most platforms: a few ulp, growing with |b·log2|a||.
//   max/min use WGSL's max/min, whose NaN behaviour is platform-defined.

override WG: u32 = 64u;
override OP: u32 = 0u;
override BROADCAST: bool = true;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> geom: array<u32>;

// Runtime bit casts: Tint rejects a constant expression whose value is NaN or ±inf.
fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
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

fn apply(u: f32, v: f32) -> f32 {
  switch OP {
    case 0u: { return u + v; }
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    case 3u: { return u / v; }
    case 4u: { return max(u, v); }
    case 5u: { return min(u, v); }
    case 6u: { return pow_signed(u, v); }
    default: { return u; }
  }
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
