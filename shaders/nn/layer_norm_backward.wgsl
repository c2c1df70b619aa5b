// nn/layer_norm_backward.wgsl — vector-Jacobian product of layer normalization (ONNX
// LayerNormalization) of a tensor viewed as [rows, len], y = x̂·scale + bias with
// x̂ = (x − mean)·rstd, rstd = 1/sqrt(var + epsilon), given dy = ∂L/∂y. Two passes, chosen by
// the COLUMNS override (one entry point, so both pipelines share one binding layout):
//   rows     (COLUMNS = false) dx = rstd · (g − mean(g) − x̂ · mean(g·x̂)), g = dy·scale, means
//            over the row; also stores each row's mean and rstd in `stats`.
//   columns  (COLUMNS = true) d_scale[l] = Σ_rows dy·x̂, d_bias[l] = Σ_rows dy, per element l of
//            the row, from `stats` (the host then sums over scale's and bias's broadcast axes).
//
// Bindings (group 0), the same for both passes (a pass leaves the others' outputs unwritten):
//   0  x        storage, read        array<f32>  rows·len, row-major
//   1  scale    storage, read        array<f32>  len (already broadcast to the row by the host)
//   2  dy       storage, read        array<f32>  rows·len
//   3  dx       storage, read_write  array<f32>  rows·len (written by rows)
//   4  stats    storage, read_write  array<f32>  2·rows: (mean, rstd) per row (written by rows,
//                                                read by columns)
//   5  d_scale  storage, read_write  array<f32>  len (written by columns)
//   6  d_bias   storage, read_write  array<f32>  len (written by columns)
//   7  params   uniform              Params      { rows, len, epsilon }
// Dispatch: rows: `rows` workgroups (one per row); columns: ceil(len / WG) workgroups, one thread
//   per element l, each looping over the rows (reads are coalesced across threads). Both linear,
//   folded by the engine; the rows pass's surplus workgroups return before any barrier (the test
//   is uniform across the workgroup), the columns pass bounds-checks its tail.
// Algorithm (rows): as the forward, Σx gives the mean, then Σ(x − mean)² the variance (two
//   passes: no E[x²] − E[x]² cancellation); a third sweep sums g and g·x̂ (one vec2 tree
//   reduction in workgroup memory), a fourth writes dx.
// Overrides: WG (power of two, default 64); COLUMNS selects the pass.
// Numerics: each row sum errs by about k·u·Σ|terms| with k = len/WG + log2 WG; the mean's error
//   reaches x̂ amplified by mean|x|·rstd (rows far from zero relative to their spread). dx's
//   terms can cancel (Σ dx = 0 exactly), so its bound is absolute in the row's Σ|g| and
//   Σ|g·x̂|, not relative to dx. The column sums are sequential over the rows: rows·u·Σ|terms|.

override WG: u32 = 64u;
override COLUMNS: bool = false;

struct Params {
  rows: u32,
  len: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> d_scale: array<f32>;
@group(0) @binding(6) var<storage, read_write> d_bias: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

var<workgroup> part: array<vec2<f32>, WG>;

// Sums `value` across the workgroup, componentwise; every lane returns the total.
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
  // Nobody may overwrite part[0] before every lane has read it.
  workgroupBarrier();
  return total;
}

// dx of one row (one workgroup).
fn rows_pass(row: u32, lid: u32) {
  let len = params.len;
  let base = row * len;
  let n = f32(len);

  var sum = 0.0;
  for (var l = lid; l < len; l += WG) {
    sum += x[base + l];
  }
  let mean = workgroup_sum(lid, vec2<f32>(sum, 0.0)).x / n;

  var squares = 0.0;
  for (var l = lid; l < len; l += WG) {
    let d = x[base + l] - mean;
    squares += d * d;
  }
  let variance = workgroup_sum(lid, vec2<f32>(squares, 0.0)).x / n;
  let rstd = inverseSqrt(variance + params.epsilon);

  // (Σ g, Σ g·x̂) over the row.
  var acc = vec2<f32>(0.0, 0.0);
  for (var l = lid; l < len; l += WG) {
    let g = dy[base + l] * scale[l];
    let xhat = (x[base + l] - mean) * rstd;
    acc += vec2<f32>(g, g * xhat);
  }
  let means = workgroup_sum(lid, acc) / n;

  for (var l = lid; l < len; l += WG) {
    let g = dy[base + l] * scale[l];
    let xhat = (x[base + l] - mean) * rstd;
    dx[base + l] = rstd * (g - means.x - xhat * means.y);
  }
  if (lid == 0u) {
    stats[2u * row] = mean;
    stats[2u * row + 1u] = rstd;
  }
}

// d_scale and d_bias of element l of the row (one thread).
fn columns_pass(l: u32) {
  let len = params.len;
  var ds = 0.0;
  var db = 0.0;
  for (var r = 0u; r < params.rows; r++) {
    let g = dy[r * len + l];
    let xhat = (x[r * len + l] - stats[2u * r]) * stats[2u * r + 1u];
    ds += g * xhat;
    db += g;
  }
  d_scale[l] = ds;
  d_bias[l] = db;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let group = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  if (COLUMNS) {
    let l = group * WG + lid;
    if (l < params.len) {
      columns_pass(l);
    }
  } else if (group < params.rows) {
    rows_pass(group, lid);
  }
}
