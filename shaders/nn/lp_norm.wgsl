// nn/lp_norm.wgsl — ONNX LpNormalization (p = 1 or 2) along one axis, forward and backward.
// The tensor is viewed as [outer, len, inner]; a row is x[o, :, i] (stride inner), and
//   forward:   y = x / ‖x‖ₚ                              (y = 0 where ‖x‖ₚ = 0)
//   backward:  p = 2: dx = g/‖x‖ − x·(Σ g·x)/‖x‖³
//              p = 1: dx = g/‖x‖ − sign(x)·(Σ g·x)/‖x‖²  (dx = 0 where ‖x‖ₚ = 0)
// with ‖x‖₁ = Σ|x|, ‖x‖₂ = sqrt(Σ x²) over the row.
//
// Bindings (group 0), entry point `forward`:
//   0  params  uniform              Params      { rows = outer·inner, len, inner }
//   1  x       storage, read        array<f32>  outer·len·inner, row-major
//   2  out     storage, read_write  array<f32>  y, x's shape
// Entry point `backward`: the same, with out = dx, and
//   3  g       storage, read        array<f32>  dL/dy, x's shape
// Dispatch: rows workgroups (one per row), linear, folded by the engine; surplus workgroups
//   return before any barrier (the test is uniform across the workgroup).
// Overrides: WG (power of two, default 64); P (1 or 2, default 2).
// Numerics: each row sum is sequential within a lane and pairwise across lanes, relative error
//   ≲ k·u with k = len/WG + log2 WG (all terms of Σ|x|ᵖ are ≥ 0); sqrt and the division add
//   1–2 ulp: |error of y| ≲ (k + 3)·u·|y|. The backward's Σ g·x has terms of both signs:
//   its error is k·u·Σ|g·x|. Σ x² overflows f32 past |x| ≈ 1.8e19.
//   A zero row gives 0 (forward and backward); a NaN norm (a NaN in the row) gives a NaN row, an
//   infinite one NaN where x is infinite: the zero test is by bit pattern, since SwiftShader's
//   norm > 0 holds no promise for NaN.

override WG: u32 = 64u;
override P: u32 = 2u;

// Whether a norm (≥ 0 or NaN) is not ±0.
fn nonzero(norm: f32) -> bool {
  return (bitcast<u32>(norm) & 0x7fffffffu) != 0u;
}

struct Params {
  rows: u32,
  len: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;

var<workgroup> part: array<vec2<f32>, WG>;

// Sums `value` across the workgroup; every lane returns the total.
fn workgroup_sum(lid: u32, value: vec2<f32>) -> vec2<f32> {
  part[lid] = value;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      part[lid] = part[lid] + part[lid + s];
    }
    workgroupBarrier();
  }
  let total = part[0];
  workgroupBarrier();
  return total;
}

// |x|ᵖ.
fn power(v: f32) -> f32 {
  if (P == 1u) {
    return abs(v);
  }
  return v * v;
}

// The first element of row `row` (offset) and the stride between its elements.
fn row_start(row: u32) -> u32 {
  let inner = params.inner;
  return (row / inner) * params.len * inner + row % inner;
}

fn norm_of(total: f32) -> f32 {
  if (P == 1u) {
    return total;
  }
  return sqrt(total);
}

@compute @workgroup_size(WG)
fn forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  if (row >= params.rows) {
    return;
  }
  let start = row_start(row);
  let step = params.inner;
  var s = 0.0;
  for (var l = lid; l < params.len; l += WG) {
    s += power(x[start + l * step]);
  }
  let norm = norm_of(workgroup_sum(lid, vec2<f32>(s, 0.0)).x);
  for (var l = lid; l < params.len; l += WG) {
    let at = start + l * step;
    out[at] = select(0.0, x[at] / norm, nonzero(norm));
  }
}

@compute @workgroup_size(WG)
fn backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  if (row >= params.rows) {
    return;
  }
  let start = row_start(row);
  let step = params.inner;
  var sums = vec2<f32>(0.0, 0.0);
  for (var l = lid; l < params.len; l += WG) {
    let at = start + l * step;
    sums += vec2<f32>(power(x[at]), g[at] * x[at]);
  }
  let total = workgroup_sum(lid, sums);
  let norm = norm_of(total.x);
  let inv = select(0.0, 1.0 / norm, nonzero(norm));
  // p = 2: x·(Σ g·x)/‖x‖³; p = 1: sign(x)·(Σ g·x)/‖x‖².
  var k = total.y * inv * inv;
  if (P == 2u) {
    k = k * inv;
  }
  for (var l = lid; l < params.len; l += WG) {
    let at = start + l * step;
    var d = x[at];
    if (P == 1u) {
      d = sign(d);
    }
    out[at] = g[at] * inv - d * k;
  }
}
