// stats/moments.wgsl — one pass of summary statistics over a tensor (or over each of its
// channels: equal contiguous slices), per workgroup span:
// count of finite values, their mean and M2 (Welford/Chan), min, max, Σ|x|, Σx², max |x|,
// the number of values with |x| ≤ epsilon, and NaN / +Inf / −Inf counts. The host combines the
// spans' partials in f64 (Chan's parallel formula), so the result is one GPU pass plus a small
// CPU reduction.
//
// Bindings (group 0):
//   0  x         storage, read        array<f32>  n elements
//   1  partials  storage, read_write  array<f32>  (base + spans) × 12 values, see PARTIAL below;
//                                                several tensors share one buffer at different
//                                                bases, so one readback serves a whole batch
//   2  params    uniform              Params      { n, spanLen, spans, epsilon, channelLen,
//                                                spansPerChannel, base }
// Dispatch: `spans` = channels × spansPerChannel workgroups, linear, folded by the engine;
//   workgroup g reduces span g % spansPerChannel of channel g / spansPerChannel: elements
//   [c·channelLen + s·spanLen, min((c+1)·channelLen, … + spanLen)); spans never cross channels.
//   Surplus workgroups return before any barrier.
// PARTIAL layout (f32 each): count, mean, M2, min, max, sumAbs, sumSq, maxAbs, small, nan, posInf,
//   negInf. Counts are exact in f32 up to 2^24 per span (spanLen is at most 2^20).
// Overrides: WG (power of two, default 64).
// Numerics: non-finite values are found by bit pattern, never by IEEE comparison (SwiftShader
//   does not honour NaN semantics) and are excluded from the moments. Welford's update per lane
//   and Chan's combination across lanes keep the variance free of the cancellation of Σx² −
//   n·mean²; the relative error of mean and variance is O((len/WG + log WG)·u).

override WG: u32 = 64u;

struct Params {
  n: u32,
  spanLen: u32,
  spans: u32,
  epsilon: f32,
  channelLen: u32,
  spansPerChannel: u32,
  base: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const FIELDS: u32 = 12u;

struct Acc {
  count: f32,
  mean: f32,
  m2: f32,
  lo: f32,
  hi: f32,
  sumAbs: f32,
  sumSq: f32,
  maxAbs: f32,
  small: f32,
  nan: f32,
  posInf: f32,
  negInf: f32,
}

var<workgroup> lanes: array<Acc, WG>;

fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}

fn empty_acc() -> Acc {
  // lo/hi start at ±FLT_MAX; `count` says whether they are meaningful.
  let big = from_bits(0x7f7fffffu);
  return Acc(0.0, 0.0, 0.0, big, -big, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
}

// Chan et al.'s combination of two partial (count, mean, M2) summaries.
fn combine(a: Acc, b: Acc) -> Acc {
  var r = a;
  let n = a.count + b.count;
  if (b.count > 0.0) {
    let delta = b.mean - a.mean;
    let wb = b.count / n;
    r.mean = a.mean + delta * wb;
    r.m2 = a.m2 + b.m2 + delta * delta * a.count * wb;
    r.lo = min(a.lo, b.lo);
    r.hi = max(a.hi, b.hi);
  }
  r.count = n;
  r.sumAbs = a.sumAbs + b.sumAbs;
  r.sumSq = a.sumSq + b.sumSq;
  r.maxAbs = max(a.maxAbs, b.maxAbs);
  r.small = a.small + b.small;
  r.nan = a.nan + b.nan;
  r.posInf = a.posInf + b.posInf;
  r.negInf = a.negInf + b.negInf;
  return r;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let g = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  if (g >= params.spans) {
    return;
  }
  let channel = g / params.spansPerChannel;
  let span = g % params.spansPerChannel;
  let channelEnd = min(params.n, (channel + 1u) * params.channelLen);
  let start = channel * params.channelLen + span * params.spanLen;
  let end = min(channelEnd, start + params.spanLen);
  var acc = empty_acc();
  for (var i = start + lid; i < end; i += WG) {
    let v = x[i];
    let bits = bitcast<u32>(v);
    let magnitude = bits & 0x7fffffffu;
    if (magnitude > 0x7f800000u) {
      acc.nan += 1.0;
      continue;
    }
    if (magnitude == 0x7f800000u) {
      if ((bits & 0x80000000u) != 0u) {
        acc.negInf += 1.0;
      } else {
        acc.posInf += 1.0;
      }
      continue;
    }
    acc.count += 1.0;
    let delta = v - acc.mean;
    acc.mean += delta / acc.count;
    acc.m2 += delta * (v - acc.mean);
    acc.lo = min(acc.lo, v);
    acc.hi = max(acc.hi, v);
    let a = abs(v);
    acc.sumAbs += a;
    acc.sumSq += v * v;
    acc.maxAbs = max(acc.maxAbs, a);
    if (a <= params.epsilon) {
      acc.small += 1.0;
    }
  }
  lanes[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      lanes[lid] = combine(lanes[lid], lanes[lid + s]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let r = lanes[0];
    let o = (params.base + g) * FIELDS;
    partials[o + 0u] = r.count;
    partials[o + 1u] = r.mean;
    partials[o + 2u] = r.m2;
    partials[o + 3u] = r.lo;
    partials[o + 4u] = r.hi;
    partials[o + 5u] = r.sumAbs;
    partials[o + 6u] = r.sumSq;
    partials[o + 7u] = r.maxAbs;
    partials[o + 8u] = r.small;
    partials[o + 9u] = r.nan;
    partials[o + 10u] = r.posInf;
    partials[o + 11u] = r.negInf;
  }
}
