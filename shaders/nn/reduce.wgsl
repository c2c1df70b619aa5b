// nn/reduce.wgsl — reduction along one axis of a tensor viewed as [outer, len, inner]:
// y[o, i] = R over l of x[o, l, i], for R in sum, max, min, argmax, argmin. A reduction over all
// elements is the view [1, n, 1].
//
// Long axes are split into `spans` segments of `spanLen` elements, one workgroup per
// (output, span), each writing a partial; the host then reduces the partials with the same
// kernel (USE_INDICES carries argmax/argmin positions through), until one span is left. Every
// pass is recorded in the same command encoder: no readback between passes.
//
// Bindings (group 0):
//   0  x       storage, read        array<f32>  input, or the previous pass's partial values
//   1  xi      storage, read        array<i32>  previous pass's partial indices (USE_INDICES);
//                                               otherwise bound to any buffer and unread
//   2  y       storage, read_write  array<f32>  outer·inner·spans values, span fastest
//   3  yi      storage, read_write  array<i32>  the matching indices (argmax/argmin; unused
//                                               by sum but always written)
//   4  params  uniform              Params      { outer, len, inner, spans, spanLen, scale }
// Dispatch: outer·inner·spans workgroups, linear, folded by the engine; surplus workgroups of a
//   folded grid return before any barrier.
// Overrides: WG (power of two, default 64); OP 0 sum, 1 max, 2 min, 3 argmax, 4 argmin;
//   USE_INDICES.
// Numerics: sums are pairwise across the WG lanes and sequential within a lane, so the error is
//   about (len/WG + log2 WG)·u·Σ|x|. NaN is detected by bit pattern (not IEEE comparison, which
//   SwiftShader does not honour): max/min/argmax/argmin propagate the first NaN, as numpy does.
//   Ties resolve to the lowest index. `scale` multiplies the final value (1/len for a mean).

override WG: u32 = 64u;
override OP: u32 = 0u;
override USE_INDICES: bool = false;

struct Params {
  outer: u32,
  len: u32,
  inner: u32,
  spans: u32,
  spanLen: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> xi: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> yi: array<i32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> partVal: array<f32, WG>;
var<workgroup> partIdx: array<i32, WG>;

const NO_INDEX: i32 = 0x7fffffff;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Runtime bit casts: Tint rejects a constant expression whose value is NaN or ±inf.
fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}

fn identity() -> f32 {
  switch OP {
    case 1u, 3u: { return from_bits(0xff800000u); } // -inf
    case 2u, 4u: { return from_bits(0x7f800000u); } // +inf
    default: { return 0.0; }
  }
}

// True when candidate (v, vi) should replace the current (u, ui) for max/min-like ops.
fn better(u: f32, ui: i32, v: f32, vi: i32) -> bool {
  let un = is_nan(u);
  let vn = is_nan(v);
  if (un || vn) {
    // A NaN wins over any number; between NaNs the lower index wins.
    return vn && (!un || vi < ui);
  }
  if (v == u) {
    return vi < ui;
  }
  if (OP == 1u || OP == 3u) {
    return v > u;
  }
  return v < u;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let g = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let outputs = params.outer * params.inner;
  if (g >= outputs * params.spans) {
    return;
  }
  let out = g / params.spans;
  let span = g % params.spans;
  let o = out / params.inner;
  let inner = out % params.inner;
  let start = span * params.spanLen;
  let end = min(params.len, start + params.spanLen);

  var acc = identity();
  var accIdx = NO_INDEX;
  for (var l = start + lid; l < end; l += WG) {
    let at = (o * params.len + l) * params.inner + inner;
    let v = x[at];
    var vi = i32(l);
    if (USE_INDICES) {
      vi = xi[at];
    }
    if (OP == 0u) {
      acc += v;
    } else if (better(acc, accIdx, v, vi)) {
      acc = v;
      accIdx = vi;
    }
  }
  partVal[lid] = acc;
  partIdx[lid] = accIdx;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      let v = partVal[lid + stride];
      let vi = partIdx[lid + stride];
      if (OP == 0u) {
        partVal[lid] = partVal[lid] + v;
      } else if (better(partVal[lid], partIdx[lid], v, vi)) {
        partVal[lid] = v;
        partIdx[lid] = vi;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    y[g] = partVal[0] * params.scale;
    yi[g] = partIdx[0];
  }
}
