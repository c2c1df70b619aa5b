// nn/layer_norm.wgsl — layer normalization of each row of a tensor viewed as [rows, len]:
//   y = (x − mean) / sqrt(var + epsilon) · scale + bias
// with the mean and the (biased) variance taken over the row's len elements (ONNX
// LayerNormalization: the row is x.shape[axis:], flattened), and scale and bias of length len
// (already broadcast to the normalized shape by the host).
//
// Bindings (group 0):
//   0  x       storage, read        array<f32>  rows·len, row-major
//   1  scale   storage, read        array<f32>  len
//   2  bias    storage, read        array<f32>  len (HAS_BIAS); otherwise any buffer, unread
//   3  y       storage, read_write  array<f32>  rows·len
//   4  params  uniform              Params      { rows, len, epsilon }
// Dispatch: rows workgroups (one per row), linear, folded by the engine; surplus workgroups
//   return before any barrier (the test is uniform across the workgroup).
// Algorithm: two passes over the row by the WG lanes, each followed by a tree reduction in
//   workgroup memory: Σx gives the mean, then Σ(x − mean)² the variance (stable: no
//   cancellation of E[x²] − E[x]²); a third sweep writes y.
// Overrides: WG (power of two, default 64); HAS_BIAS.
// Numerics: each sum is sequential within a lane and pairwise across lanes, so its error is
//   about k·u·Σ|terms| with k = len/WG + log2 WG. The mean's error, scaled by 1/σ, dominates for
//   rows far from zero relative to their spread: |error of y| ≲ k·u·(|x̂·scale| +
//   mean|x|/σ·|scale|) + 2u·|bias|, with x̂ the normalized value and σ = sqrt(var + epsilon).

override WG: u32 = 64u;
override HAS_BIAS: bool = true;

struct Params {
  rows: u32,
  len: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> part: array<f32, WG>;

// Sums `part` across the workgroup; every lane returns the total.
fn workgroup_sum(lid: u32, value: f32) -> f32 {
  part[lid] = value;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      part[lid] = part[lid] + part[lid + s];
    }
    workgroupBarrier();
  }
  let total = part[0];
  // Nobody may overwrite part[0] before every lane has read it.
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  if (row >= params.rows) {
    return;
  }
  let len = params.len;
  let base = row * len;

  var sum = 0.0;
  for (var l = lid; l < len; l += WG) {
    sum += x[base + l];
  }
  let mean = workgroup_sum(lid, sum) / f32(len);

  var squares = 0.0;
  for (var l = lid; l < len; l += WG) {
    let d = x[base + l] - mean;
    squares += d * d;
  }
  let variance = workgroup_sum(lid, squares) / f32(len);
  let rstd = inverseSqrt(variance + params.epsilon);

  for (var l = lid; l < len; l += WG) {
    var v = (x[base + l] - mean) * rstd * scale[l];
    if (HAS_BIAS) {
      v += bias[l];
    }
    y[base + l] = v;
  }
}
