// nn/softmax.wgsl — softmax or log-softmax along one axis of a tensor viewed as
// [outer, len, inner]:
//   softmax:     y = exp(x − max) / Σ exp(x − max)
//   log-softmax: y = (x − max) − log Σ exp(x − max)
// Subtracting the row maximum keeps every exp argument ≤ 0: no overflow for any finite input.
//
// Bindings (group 0):
//   0  x       storage, read        array<f32>  input, outer·len·inner
//   1  y       storage, read_write  array<f32>  output, same layout
//   2  params  uniform              Params      { outer, len, inner }
// Dispatch: outer·inner workgroups (one per row), linear, folded by the engine; surplus
//   workgroups return before any barrier.
// Algorithm: three sweeps over the row by the WG lanes — max, Σexp, write — each followed by a
//   tree reduction in workgroup memory.
// Overrides: WG (power of two, default 64); LOG selects log-softmax.
// Numerics: exp is accurate to a few ulp for arguments ≤ 0; the sum is pairwise across lanes.
//   A row holding NaN or +inf, or only −inf, comes out all NaN (PyTorch's and onnxruntime's
//   result); −inf elements of other rows give 0 (log-softmax −inf).
//   The result is within ~(len/WG + 8)·u relative of the exact value.

override WG: u32 = 64u;
override LOG: bool = false;

struct Params {
  outer: u32,
  len: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> part: array<f32, WG>;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// max that keeps a NaN operand (lavapipe's max(NaN, x) is x).
fn max_nan(a: f32, b: f32) -> f32 {
  return select(max(a, b), select(b, a, is_nan(a)), is_nan(a) || is_nan(b));
}

// Runtime bit cast: Tint rejects a constant expression whose value is NaN.
fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
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

  // Start from the row's first element (a constant -inf is rejected by Tint).
  var m = x[base];
  for (var l = lid; l < params.len; l += WG) {
    m = max_nan(m, x[base + l * step]);
  }
  part[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      part[lid] = max_nan(part[lid], part[lid + s]);
    }
    workgroupBarrier();
  }
  let rowMax = part[0];
  workgroupBarrier();

  var sum = 0.0;
  for (var l = lid; l < params.len; l += WG) {
    sum += exp(x[base + l * step] - rowMax);
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

  let logTotal = log(total);
  let inverse = 1.0 / total;
  // A NaN, a +inf (inf − inf) or only −inf (−inf + inf) in the row makes the whole row NaN, as
  // in IEEE arithmetic and PyTorch; decided from the max's bits, not from exp(NaN), which
  // SwiftShader evaluates to 0.
  let nanRow = (bitcast<u32>(rowMax) & 0x7fffffffu) >= 0x7f800000u;
  for (var l = lid; l < params.len; l += WG) {
    let at = base + l * step;
    let shifted = x[at] - rowMax;
    var r: f32;
    if (LOG) {
      r = shifted - logTotal;
    } else {
      r = exp(shifted) * inverse;
    }
    y[at] = select(r, from_bits(0x7fc00000u), nanRow);
  }
}
