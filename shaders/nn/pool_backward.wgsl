// nn/pool_backward.wgsl — gradients of ONNX `MaxPool` / `AveragePool` (and the global forms, one
// window the size of the input) with respect to x, in NCHW, gathered: each element of dx sums
// over the windows that contain it, so no atomics are needed. Three entry points:
//   argmax            idx[p, o] = the spatial index in x's plane p of the tap that wins window o:
//                     the first maximum in row-major tap order (PyTorch's tie rule), or the first
//                     NaN, as the forward kernel picks it; padding never wins.
//   max_backward      dx[p, i] = Σ_{windows o ∋ i, idx[p, o] = i} dy[p, o].
//   average_backward  dx[p, i] = Σ_{windows o ∋ i} dy[p, o] / divisor(o), the divisor being the
//                     number of taps of window o inside x, or with countIncludePad inside the
//                     padded input [−padBegin, in + padEnd), as in the forward.
// p = n·C + c; o, i and the taps k run over the spatial axes; window o holds the positions
// o·stride − padBegin + k·dilation. One and two spatial axes are computed as three, with leading
// unit axes. Overlapping windows add up; positions no window contains get 0.
//
// Bindings (group 0), all elements as 32-bit words (f32 moved by bitcast) so that the three entry
// points share declarations:
//   0  src   storage, read        array<u32>  argmax: x [N·C, inD, inH, inW] (f32);
//                                             backward: dy [N·C, outD, outH, outW] (f32)
//   1  geom  storage, read        array<i32>  [n, countIncludePad, in[3], out[3], kernel[3],
//                                             stride[3], padBegin[3], dilation[3], padEnd[3]];
//                                             n = outputs (argmax) or elements of dx (backward);
//                                             triples are (D, H, W)
//   2  dst   storage, read_write  array<u32>  argmax: idx [N·C, outD, outH, outW] (i32 ≥ 0);
//                                             backward: dx [N·C, inD, inH, inW] (f32)
//   3  idx   storage, read        array<u32>  max_backward: argmax's idx; average_backward
//                                             statically uses it too (the shared loop) and is
//                                             bound to any buffer, unread; argmax: absent
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine past
//   maxComputeWorkgroupsPerDimension; one invocation per output (argmax) or element of dx; the
//   tail and the fold's surplus workgroups return early.
// Overrides: WG workgroup size (default 64).
// Loop bound: argmax visits the kD·kH·kW taps of one window, like the forward. The backward
//   entry points visit, per axis, only the taps k whose window (i + padBegin − k·dilation) /
//   stride lies in [0, out), skipping non-multiples of the stride before any read: at most the
//   window's taps, and one for a global pool (whatever the input's size).
// Numerics: argmax and the routing of max_backward are exact; max_backward sums at most
//   kD·kH·kW values of dy in f32: |error| ≤ (terms + 1)·u·Σ|dy| (u = 2⁻²⁴). average_backward
//   adds quotients dy / divisor (each within 2.5 ulp): |error| ≤ (terms + 4)·u·Σ|dy / divisor|.

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> geom: array<i32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read> idx: array<u32>;

// Offsets of the spatial triples in geom.
const IN: u32 = 2u;
const OUT: u32 = 5u;
const KERNEL: u32 = 8u;
const STRIDE: u32 = 11u;
const PAD: u32 = 14u;
const DILATION: u32 = 17u;
const PAD_END: u32 = 20u;

fn triple(at: u32) -> vec3<i32> {
  return vec3<i32>(geom[at], geom[at + 1u], geom[at + 2u]);
}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn linear_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
}

// Splits a linear index into (plane, d, h, w) of a [planes, size.x, size.y, size.z] tensor.
fn split_index(i: u32, size: vec3<i32>) -> vec4<i32> {
  var rest = i32(i);
  let w = rest % size.z;
  rest = rest / size.z;
  let h = rest % size.y;
  rest = rest / size.y;
  let d = rest % size.x;
  return vec4<i32>(rest / size.x, d, h, w);
}

// Taps origin + j·dilation (0 ≤ j < kernel) that fall in [lo, hi).
fn taps_within(origin: i32, kernel: i32, dilation: i32, lo: i32, hi: i32) -> i32 {
  var count = 0;
  for (var j = 0; j < kernel; j++) {
    let at = origin + j * dilation;
    if (at >= lo && at < hi) {
      count++;
    }
  }
  return count;
}

// The taps [lo, hi] (hi < lo when none) of one axis whose window o = (r − k·dilation) / stride
// would lie in [0, out), for the padded coordinate r = i + padBegin ≥ 0.
fn tap_range(r: i32, out: i32, kernel: i32, dilation: i32, stride: i32) -> vec2<i32> {
  let far = r - (out - 1) * stride;
  var lo = 0;
  if (far > 0) {
    lo = (far + dilation - 1) / dilation;
  }
  return vec2<i32>(lo, min(kernel - 1, r / dilation));
}

@compute @workgroup_size(WG)
fn argmax(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = linear_index(wid, nwg, lid);
  if (i >= u32(geom[0])) {
    return;
  }
  let inSize = triple(IN);
  let kernel = triple(KERNEL);
  let dilation = triple(DILATION);
  let at = split_index(i, triple(OUT));
  let p = at.x;
  let origin = at.yzw * triple(STRIDE) - triple(PAD);

  var best = 0.0;
  var bestAt = 0;
  var count = 0;
  var sawNan = false;
  for (var kd = 0; kd < kernel.x; kd++) {
    let id = origin.x + kd * dilation.x;
    if (id < 0 || id >= inSize.x) {
      continue;
    }
    for (var kh = 0; kh < kernel.y; kh++) {
      let ih = origin.y + kh * dilation.y;
      if (ih < 0 || ih >= inSize.y) {
        continue;
      }
      let row = (id * inSize.y + ih) * inSize.z;
      let plane = p * inSize.x * inSize.y * inSize.z;
      for (var kw = 0; kw < kernel.z; kw++) {
        let iw = origin.z + kw * dilation.z;
        if (iw < 0 || iw >= inSize.z) {
          continue;
        }
        let v = bitcast<f32>(src[plane + row + iw]);
        if (is_nan(v)) {
          if (!sawNan) {
            bestAt = row + iw;
            sawNan = true;
          }
        } else if (!sawNan && (count == 0 || v > best)) {
          best = v;
          bestAt = row + iw;
        }
        count++;
      }
    }
  }
  dst[i] = u32(bestAt);
}

// The shared loop of the two backward entry points: the windows o that contain dx element i.
// `average` selects average_backward's term, else max_backward's.
fn gather_windows(i: u32, average: bool) -> f32 {
  let inSize = triple(IN);
  let outSize = triple(OUT);
  let kernel = triple(KERNEL);
  let stride = triple(STRIDE);
  let pad = triple(PAD);
  let dilation = triple(DILATION);
  let at = split_index(i, inSize);
  let p = at.x;
  let own = (at.y * inSize.y + at.z) * inSize.z + at.w;
  let r = at.yzw + pad;
  let rd = tap_range(r.x, outSize.x, kernel.x, dilation.x, stride.x);
  let rh = tap_range(r.y, outSize.y, kernel.y, dilation.y, stride.y);
  let rw = tap_range(r.z, outSize.z, kernel.z, dilation.z, stride.z);
  let hi = inSize + triple(PAD_END);
  let countPad = geom[1] != 0;
  let outPlane = p * outSize.x * outSize.y * outSize.z;

  var acc = 0.0;
  for (var kd = rd.x; kd <= rd.y; kd++) {
    let qd = r.x - kd * dilation.x;
    if (qd % stride.x != 0) {
      continue;
    }
    let od = qd / stride.x;
    for (var kh = rh.x; kh <= rh.y; kh++) {
      let qh = r.y - kh * dilation.y;
      if (qh % stride.y != 0) {
        continue;
      }
      let oh = qh / stride.y;
      for (var kw = rw.x; kw <= rw.y; kw++) {
        let qw = r.z - kw * dilation.z;
        if (qw % stride.z != 0) {
          continue;
        }
        let ow = qw / stride.z;
        let o = u32(outPlane + (od * outSize.y + oh) * outSize.z + ow);
        if (average) {
          let origin = vec3<i32>(od, oh, ow) * stride - pad;
          var lo = vec3<i32>(0);
          var top = inSize;
          if (countPad) {
            lo = -pad;
            top = hi;
          }
          let divisor = taps_within(origin.x, kernel.x, dilation.x, lo.x, top.x) *
            taps_within(origin.y, kernel.y, dilation.y, lo.y, top.y) *
            taps_within(origin.z, kernel.z, dilation.z, lo.z, top.z);
          acc += bitcast<f32>(src[o]) / f32(divisor);
        } else if (i32(idx[o]) == own) {
          acc += bitcast<f32>(src[o]);
        }
      }
    }
  }
  return acc;
}

@compute @workgroup_size(WG)
fn max_backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = linear_index(wid, nwg, lid);
  if (i >= u32(geom[0])) {
    return;
  }
  dst[i] = bitcast<u32>(gather_windows(i, false));
}

@compute @workgroup_size(WG)
fn average_backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = linear_index(wid, nwg, lid);
  if (i >= u32(geom[0])) {
    return;
  }
  dst[i] = bitcast<u32>(gather_windows(i, true));
}
