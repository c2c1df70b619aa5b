// nn/softmax_backward.wgsl — vector-Jacobian product of softmax or log-softmax along one axis of
// a tensor viewed as [outer, len, inner], from the forward OUTPUT y and the output gradient dy:
//   softmax:     dx = y · (dy − Σ dy·y)
//   log-softmax: dx = dy − exp(y) · Σ dy
// with the sums over the row (the len elements of one (outer, inner) pair).
//
// Bindings (group 0):
//   0  y       storage, read        array<f32>  forward output, outer·len·inner
//   1  dy      storage, read        array<f32>  gradient of y, same layout
//   2  dx      storage, read_write  array<f32>  gradient of the forward input, same layout
//   3  params  uniform              Params      { outer, len, inner }
// Dispatch: outer·inner workgroups (one per row), linear, folded by the engine; surplus
//   workgroups return before any barrier (the test is uniform across the workgroup).
// Algorithm: one sweep over the row by the WG lanes accumulates the row sum, a tree reduction in
//   workgroup memory combines the lanes, a second sweep writes dx. Rows of any length: each lane
//   loops with stride WG.
// Overrides: WG (power of two, default 64); LOG selects log-softmax.
// NaN: a NaN y gives a NaN dx, and a NaN sum a NaN row (IEEE's and PyTorch's result).
// Numerics: the sum is sequential within a lane and pairwise across lanes: its error is about
//   k·u·Σ|terms| with k = len/WG + log2 WG. dx adds one subtraction and one product (softmax), or
//   exp of y ≤ 0 (a few ulp), a product and a subtraction (log-softmax). Cancellation in
//   dy − Σ dy·y is inherent to the formula, so the bound is absolute in Σ|dy·y|, not relative
//   to dx.

override WG: u32 = 64u;
override LOG: bool = false;

struct Params {
  outer: u32,
  len: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> part: array<f32, WG>;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  if (row >= params.outer * params.inner) {
    return;
  }
  let o = row / params.inner;
  let inner = row % params.inner;
  let base = o * params.len * params.inner + inner;
  let step = params.inner;

  var sum = 0.0;
  for (var l = lid; l < params.len; l += WG) {
    let at = base + l * step;
    if (LOG) {
      sum += dy[at];
    } else {
      sum += dy[at] * y[at];
    }
  }
  part[lid] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      part[lid] = part[lid] + part[lid + s];
    }
    workgroupBarrier();
  }
  let total = part[0];

  for (var l = lid; l < params.len; l += WG) {
    let at = base + l * step;
    let v = y[at];
    var r: f32;
    if (LOG) {
      r = dy[at] - exp(v) * total;
    } else {
      r = v * (dy[at] - total);
    }
    // A NaN y (or a NaN sum) gives NaN, tested by bit pattern: SwiftShader's exp(NaN) is not NaN.
    dx[at] = select(r, select(total, v, is_nan(v)), is_nan(v) || is_nan(total));
  }
}
