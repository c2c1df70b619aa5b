// nn/pool.wgsl — N-D max and average pooling, ONNX `MaxPool` / `AveragePool` (and the global
// forms, a window that covers the whole input) in NCHW:
//   y[p, o] = max or mean over the taps k of x[p, o·stride − padBegin + k·dilation],
// p = n·C + c, o and k running over the spatial axes. Padded positions never take part in a max
// and add nothing to a sum; the mean divides by the number of taps inside the input, or with
// countIncludePad by the number of taps inside the padded input [−padBegin, in + padEnd). One
// and two spatial axes are computed as three, with leading unit axes.
//
// Bindings (group 0):
//   0  x     storage, read        array<f32>  [N·C, inD, inH, inW], row-major
//   1  y     storage, read_write  array<f32>  [N·C, outD, outH, outW], n = N·C·outD·outH·outW
//   2  geom  storage, read        array<i32>  [n, countIncludePad, in[3], out[3], kernel[3],
//                                             stride[3], padBegin[3], dilation[3], padEnd[3]];
//                                             triples are (D, H, W)
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine past
//   maxComputeWorkgroupsPerDimension; one invocation per output element; the tail and the fold's
//   surplus workgroups return early.
// Overrides: WG  workgroup size (default 64).
//            OP  0 max, 1 average.
// Numerics: max is exact; it starts from the first tap inside the input (no −inf constant), and
//   a NaN in the window wins (the first one, detected by bit pattern: SwiftShader's comparisons
//   are not IEEE). The host rejects windows with no tap inside the input (for max, and average
//   without countIncludePad). The average sums in f32 in row-major tap order and divides once:
//   |error| ≤ (taps + 5)·u·Σ|x| / divisor (u = 2⁻²⁴; WGSL's f32 division is within 2.5 ulp).

override WG: u32 = 64u;
override OP: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> geom: array<i32>;

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
  let inSize = triple(IN);
  let outSize = triple(OUT);
  let kernel = triple(KERNEL);
  let stride = triple(STRIDE);
  let pad = triple(PAD);
  let dilation = triple(DILATION);

  // i = ((p·outD + od)·outH + oh)·outW + ow
  var rest = i32(i);
  let ow = rest % outSize.z;
  rest = rest / outSize.z;
  let oh = rest % outSize.y;
  rest = rest / outSize.y;
  let od = rest % outSize.x;
  let p = rest / outSize.x;
  let origin = vec3<i32>(od, oh, ow) * stride - pad;

  var acc = 0.0;
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
      let row = ((p * inSize.x + id) * inSize.y + ih) * inSize.z;
      for (var kw = 0; kw < kernel.z; kw++) {
        let iw = origin.z + kw * dilation.z;
        if (iw < 0 || iw >= inSize.z) {
          continue;
        }
        let v = x[row + iw];
        if (OP == 0u) {
          if (is_nan(v)) {
            if (!sawNan) {
              acc = v;
              sawNan = true;
            }
          } else if (!sawNan && (count == 0 || v > acc)) {
            acc = v;
          }
        } else {
          acc += v;
        }
        count++;
      }
    }
  }
  if (OP == 1u) {
    var divisor = count;
    if (geom[1] != 0) {
      let hi = inSize + triple(PAD_END);
      divisor = taps_within(origin.x, kernel.x, dilation.x, -pad.x, hi.x) *
        taps_within(origin.y, kernel.y, dilation.y, -pad.y, hi.y) *
        taps_within(origin.z, kernel.z, dilation.z, -pad.z, hi.z);
    }
    acc = acc / f32(divisor);
  }
  y[i] = acc;
}
