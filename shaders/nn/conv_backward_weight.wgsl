// nn/conv_backward_weight.wgsl — gradient of ONNX `Conv` with respect to its weight, gathered:
// each invocation computes one element of dW over one span of the (batch, output position)
// pairs,
//   partial[s, m, c, k] = Σ_{(n, o) in span s} dy[n, m, o] · x[n, g·Cg + c, o·stride − padBegin
//                                                                      + k·dilation],
// g = m / Mg, positions outside x counting as 0; the host sums the partials over s (nothing to
// sum when there is one span). The pairs (n, o) are numbered p = n·outD·outH·outW + o, and span
// s holds p in [(first + s)·span, (first + s + 1)·span) ∩ [0, P). One and two spatial axes are
// computed as three, with leading unit axes. No atomics.
//
// Bindings (group 0):
//   0  x        storage, read        array<f32>  [N, C, inD, inH, inW], row-major
//   1  dy       storage, read        array<f32>  [N, M, outD, outH, outW], row-major
//   2  partial  storage, read_write  array<f32>  [S, M, Cg, kD, kH, kW]: S partial sums of dW
//   3  geom     storage, read        array<i32>  [wSize, C, M, Cg, Mg, S, P, span, first,
//                                                 accumulate, in[3], out[3], kernel[3],
//                                                 stride[3], padBegin[3], dilation[3]];
//                                                 wSize = M·Cg·kD·kH·kW, P = N·outD·outH·outW,
//                                                 triples are (D, H, W)
// Dispatch: ceil(wSize·S / WG) workgroups, linear, folded by the engine; invocation
//   i = s·wSize + (element of dW); the tail and the fold's surplus workgroups return early. The
//   host records rounds (first = 0, S, 2S, …) until the spans cover P; rounds after the first
//   set `accumulate` and add to the partial they wrote before (the same invocation, a later
//   dispatch: ordered, no race).
// Overrides: WG workgroup size (default 64).
// Loop bound: at most `span` positions per invocation (the host keeps it in the thousands: on
//   lavapipe, invocations that loop hundreds of thousands of times have returned zeros).
// Numerics: plain f32 accumulation in position order: |error| ≤ (terms + 1)·u·Σ|dy·x| per
//   partial (u = 2⁻²⁴), and the host's sum of the partials adds at most S more roundings.

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<storage, read> geom: array<i32>;

// Offsets of the spatial triples in geom.
const IN: u32 = 10u;
const OUT: u32 = 13u;
const KERNEL: u32 = 16u;
const STRIDE: u32 = 19u;
const PAD: u32 = 22u;
const DILATION: u32 = 25u;

fn triple(at: u32) -> vec3<i32> {
  return vec3<i32>(geom[at], geom[at + 1u], geom[at + 2u]);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let wSize = geom[0];
  if (i >= u32(wSize * geom[5])) {
    return;
  }
  let C = geom[1];
  let M = geom[2];
  let Cg = geom[3];
  let Mg = geom[4];
  let P = geom[6];
  let span = geom[7];
  let inSize = triple(IN);
  let outSize = triple(OUT);
  let kernel = triple(KERNEL);
  let stride = triple(STRIDE);
  let dilation = triple(DILATION);

  // i = s·wSize + (((m·Cg + c)·kD + kd)·kH + kh)·kW + kw
  let s = i32(i) / wSize;
  var rest = i32(i) % wSize;
  let kw = rest % kernel.z;
  rest = rest / kernel.z;
  let kh = rest % kernel.y;
  rest = rest / kernel.y;
  let kd = rest % kernel.x;
  rest = rest / kernel.x;
  let c = rest % Cg;
  let m = rest / Cg;
  let g = m / Mg;
  // The input coordinate of output position o is o·stride + shift.
  let shift = vec3<i32>(kd, kh, kw) * dilation - triple(PAD);
  let outPlane = outSize.x * outSize.y * outSize.z;
  let inPlane = inSize.x * inSize.y * inSize.z;

  let start = (geom[8] + s) * span;
  let end = min(P, start + span);
  var acc = 0.0;
  for (var p = start; p < end; p++) {
    let n = p / outPlane;
    var o = p % outPlane;
    let ow = o % outSize.z;
    o = o / outSize.z;
    let oh = o % outSize.y;
    let od = o / outSize.y;
    let at = vec3<i32>(od, oh, ow) * stride + shift;
    if (any(at < vec3<i32>(0)) || any(at >= inSize)) {
      continue;
    }
    let xv = x[(n * C + g * Cg + c) * inPlane + (at.x * inSize.y + at.y) * inSize.z + at.z];
    acc += dy[(n * M + m) * outPlane + p % outPlane] * xv;
  }
  if (geom[9] != 0) {
    acc += partial[i];
  }
  partial[i] = acc;
}
