// nn/conv_backward_data.wgsl — gradient of ONNX `Conv` with respect to its input x (the
// vector-Jacobian product dx = Jᵀ·dy), gathered: each invocation computes one element of dx,
//   dx[n, c, i] = Σ_{m in group g} Σ_{k, o : o·stride − padBegin + k·dilation = i}
//                   dy[n, m, o] · w[m, c − g·Cg, k],        g = c / Cg,
// o and k running over the spatial axes. An input position that no window reaches (a stride
// larger than the kernel's extent, or the tail a floor-rounded output never covers) gets 0. One
// and two spatial axes are computed as three, with leading unit axes. No atomics: each element
// of dx is written once, by its own invocation.
//
// Bindings (group 0):
//   0  dy    storage, read        array<f32>  [N, M, outD, outH, outW], row-major
//   1  w     storage, read        array<f32>  [M, Cg, kD, kH, kW], row-major (Cg = C / group)
//   2  dx    storage, read_write  array<f32>  [N, C, inD, inH, inW], n = N·C·inD·inH·inW
//   3  geom  storage, read        array<i32>  [n, C, M, Cg, Mg, in[3], out[3], kernel[3],
//                                             stride[3], padBegin[3], dilation[3]]; spatial
//                                             triples are (D, H, W); padBegin ≥ 0
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine past
//   maxComputeWorkgroupsPerDimension; one invocation per element of dx; the tail and the fold's
//   surplus workgroups return early.
// Overrides: WG workgroup size (default 64).
// Loop bound: per axis only the taps k whose window o lies in [0, out) are visited (k from
//   ceil((i + pad − (out − 1)·stride) / dilation) to min(kernel − 1, (i + pad) / dilation)), and
//   those with (i + pad − k·dilation) not a multiple of the stride are skipped before any read:
//   at most Mg·kD·kH·kW products per invocation, the forward's Cg·kD·kH·kW with M for C.
// Numerics: plain f32 accumulation, taps in row-major order, then m: at most Mg·kD·kH·kW rounded
//   additions, so |error| ≤ (terms + 1)·u·Σ|dy·w| (u = 2⁻²⁴), with or without fused multiply-add.

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<storage, read> geom: array<i32>;

// Offsets of the spatial triples in geom.
const IN: u32 = 5u;
const OUT: u32 = 8u;
const KERNEL: u32 = 11u;
const STRIDE: u32 = 14u;
const PAD: u32 = 17u;
const DILATION: u32 = 20u;

fn triple(at: u32) -> vec3<i32> {
  return vec3<i32>(geom[at], geom[at + 1u], geom[at + 2u]);
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
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  if (i >= u32(geom[0])) {
    return;
  }
  let C = geom[1];
  let M = geom[2];
  let Cg = geom[3];
  let Mg = geom[4];
  let inSize = triple(IN);
  let outSize = triple(OUT);
  let kernel = triple(KERNEL);
  let stride = triple(STRIDE);
  let dilation = triple(DILATION);

  // i = (((n·C + c)·inD + id)·inH + ih)·inW + iw
  var rest = i32(i);
  let iw = rest % inSize.z;
  rest = rest / inSize.z;
  let ih = rest % inSize.y;
  rest = rest / inSize.y;
  let id = rest % inSize.x;
  rest = rest / inSize.x;
  let c = rest % C;
  let n = rest / C;
  let g = c / Cg;
  let r = vec3<i32>(id, ih, iw) + triple(PAD);
  let rd = tap_range(r.x, outSize.x, kernel.x, dilation.x, stride.x);
  let rh = tap_range(r.y, outSize.y, kernel.y, dilation.y, stride.y);
  let rw = tap_range(r.z, outSize.z, kernel.z, dilation.z, stride.z);
  let outPlane = outSize.x * outSize.y * outSize.z;
  let taps = kernel.x * kernel.y * kernel.z;
  // dy[n, g·Mg, 0] and w[g·Mg, c − g·Cg, 0]; each further m adds outPlane and Cg·taps.
  let dyBase = (n * M + g * Mg) * outPlane;
  let wBase = ((g * Mg) * Cg + (c - g * Cg)) * taps;

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
        let o = (od * outSize.y + oh) * outSize.z + ow;
        let k = (kd * kernel.y + kh) * kernel.z + kw;
        for (var m = 0; m < Mg; m++) {
          acc += dy[dyBase + m * outPlane + o] * w[wBase + m * Cg * taps + k];
        }
      }
    }
  }
  dx[i] = acc;
}
