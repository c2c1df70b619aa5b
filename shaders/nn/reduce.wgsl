// nn/reduce.wgsl — reduction along one axis of a tensor viewed as [outer, len, inner]:
// y[o, i] = R over l of pre(x[o, l, i]), for R in sum, max, min, argmax, argmin, product and
// log-sum-exp, with an optional elementwise map `pre` (|x|, x²) on the input and `post` (√) on
// the result, so that L1 = Σ|x|, L2 = √Σx² and Σx² need no separate elementwise pass. A
// reduction over all elements is the view [1, n, 1].
//
// Long axes are split into `spans` segments of `spanLen` elements, one workgroup per
// (output, span), each writing a partial; the host then reduces the partials with the same
// kernel (USE_INDICES carries the second component of a partial through), until one span is
// left. Every pass is recorded in the same command encoder: no readback between passes.
//
// Bindings (group 0):
//   0  x       storage, read        array<f32>  input, or the previous pass's partial values
//   1  xi      storage, read        array<i32>  previous pass's partial indices (USE_INDICES);
//                                               otherwise bound to any buffer and unread
//   2  y       storage, read_write  array<f32>  outer·inner·spans values, span fastest
//   3  yi      storage, read_write  array<i32>  the matching indices (argmax/argmin), or the
//                                               bits of the partial sum s (log-sum-exp);
//                                               unused by the others but always written
//   4  params  uniform              Params      { outer, len, inner, spans, spanLen, scale,
//                                                 pre, post, last }
// Dispatch: outer·inner·spans workgroups, linear, folded by the engine; surplus workgroups of a
//   folded grid return before any barrier.
// Overrides: WG (power of two, default 64); OP 0 sum, 1 max, 2 min, 3 argmax, 4 argmin,
//   5 product, 6 log-sum-exp; USE_INDICES.
// Runtime parameters: pre 0 none, 1 |x|, 2 x² (the host sets it on the first pass only);
//   post 0 none, 1 √ (L2), 2 finish log-sum-exp as m + log(s) (last pass only); last ≠ 0 sends
//   argmax/argmin ties (and NaNs) to the highest index instead of the lowest.
// Numerics: sums are pairwise across the WG lanes and sequential within a lane, so the error is
//   about (len/WG + log2 WG)·u·Σ|x|; products likewise (len + log2 WG)·u relative. NaN is
//   detected by bit pattern (not IEEE comparison, which SwiftShader does not honour):
//   max/min/argmax/argmin propagate the first NaN (the last with `last`), as numpy does; a NaN
//   makes log-sum-exp NaN. Ties resolve to the lowest index (highest with `last`). `scale`
//   multiplies the final value (1/len for a mean).
//   Log-sum-exp is online: each partial is (m, s) with value m + log(s), m the largest element
//   seen and s = Σ exp(x − m) ≥ 1; two partials merge as (M, s₁·exp(m₁ − M) + s₂·exp(m₂ − M)).
//   exp is only called on non-positive arguments (no overflow), equal m (±inf included) add
//   their s without exp, and exp(−inf) is not relied on: such terms are 0 by bit test. An empty
//   partial has s = 0. Errors: exp within 3 + 2|x − m| ulp per term, weighted by the term, plus
//   the sum's; log within 2⁻²¹ absolute for s ∈ [1, 2], 3 ulp beyond.

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
  pre: u32,
  post: u32,
  last: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> xi: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> yi: array<i32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> partVal: array<f32, WG>;
var<workgroup> partIdx: array<i32, WG>;

const NO_INDEX: i32 = 0x7fffffff;
const NEG_INF_BITS: u32 = 0xff800000u;
const POS_INF_BITS: u32 = 0x7f800000u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Runtime bit casts: Tint rejects a constant expression whose value is NaN or ±inf.
fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}

fn identity() -> f32 {
  switch OP {
    case 1u, 3u, 6u: { return from_bits(NEG_INF_BITS); }
    case 2u, 4u: { return from_bits(POS_INF_BITS); }
    case 5u: { return 1.0; }
    default: { return 0.0; }
  }
}

// Whether index a comes before index b in tie-breaking order.
fn earlier(a: i32, b: i32) -> bool {
  return select((a < b), (a > b), params.last != 0u);
}

// True when candidate (v, vi) should replace the current (u, ui) for max/min-like ops. An
// empty candidate (NO_INDEX) never does; anything replaces an empty current.
fn better(u: f32, ui: i32, v: f32, vi: i32) -> bool {
  if (vi == NO_INDEX) {
    return false;
  }
  if (ui == NO_INDEX) {
    return true;
  }
  let un = is_nan(u);
  let vn = is_nan(v);
  if (un || vn) {
    // A NaN wins over any number; between NaNs the earlier index wins.
    return vn && (!un || earlier(vi, ui));
  }
  if (v == u) {
    return earlier(vi, ui);
  }
  if (OP == 1u || OP == 3u) {
    return v > u;
  }
  return v < u;
}

// exp(a − b) for a < b; 0 when a is −inf or b is +inf (not left to the platform's exp(−inf)).
fn exp_below(a: f32, b: f32) -> f32 {
  if (bitcast<u32>(a) == NEG_INF_BITS || bitcast<u32>(b) == POS_INF_BITS) {
    return 0.0;
  }
  return exp(a - b);
}

// Merges two log-sum-exp partials (m, s); s = 0 is empty.
fn lse_merge(m1: f32, s1: f32, m2: f32, s2: f32) -> vec2<f32> {
  if (s2 == 0.0) {
    return vec2<f32>(m1, s1);
  }
  if (s1 == 0.0) {
    return vec2<f32>(m2, s2);
  }
  if (is_nan(m1) || is_nan(m2)) {
    return vec2<f32>(from_bits(0x7fc00000u), 1.0);
  }
  if (m1 == m2) {
    return vec2<f32>(m1, s1 + s2);
  }
  if (m2 > m1) {
    return vec2<f32>(m2, s2 + s1 * exp_below(m1, m2));
  }
  return vec2<f32>(m1, s1 + s2 * exp_below(m2, m1));
}

// Folds candidate (v, vi) into the partial (acc, accIdx).
fn fold(acc: ptr<function, f32>, accIdx: ptr<function, i32>, v: f32, vi: i32) {
  switch OP {
    case 0u: { *acc += v; }
    case 5u: { *acc *= v; }
    case 6u: {
      let merged = lse_merge(*acc, bitcast<f32>(*accIdx), v, bitcast<f32>(vi));
      *acc = merged.x;
      *accIdx = bitcast<i32>(merged.y);
    }
    default: {
      if (better(*acc, *accIdx, v, vi)) {
        *acc = v;
        *accIdx = vi;
      }
    }
  }
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
  // Log-sum-exp keeps the bits of s here: 0 (s = 0.0) is the empty partial.
  var accIdx = select(NO_INDEX, 0, OP == 6u);
  for (var l = start + lid; l < end; l += WG) {
    let at = (o * params.len + l) * params.inner + inner;
    var v = x[at];
    if (params.pre == 1u) {
      v = abs(v);
    } else if (params.pre == 2u) {
      v = v * v;
    }
    // The candidate's index, or (log-sum-exp) its s: 1 for an element.
    var vi = select(i32(l), bitcast<i32>(1.0), OP == 6u);
    if (USE_INDICES) {
      vi = xi[at];
    }
    fold(&acc, &accIdx, v, vi);
  }
  partVal[lid] = acc;
  partIdx[lid] = accIdx;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      var a = partVal[lid];
      var ai = partIdx[lid];
      fold(&a, &ai, partVal[lid + stride], partIdx[lid + stride]);
      partVal[lid] = a;
      partIdx[lid] = ai;
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    var r = partVal[0];
    if (params.post == 1u) {
      r = sqrt(r);
    } else if (params.post == 2u) {
      r = r + log(bitcast<f32>(partIdx[0]));
    }
    y[g] = r * params.scale;
    yi[g] = partIdx[0];
  }
}
