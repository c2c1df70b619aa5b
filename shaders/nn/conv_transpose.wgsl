// nn/conv_transpose.wgsl — direct N-D transposed convolution, ONNX `ConvTranspose` in NCHW with
// groups, computed as a gather (one output element per invocation, no atomics):
//   y[n, m, o] = bias[m] + Σ_{c < Cg} Σ_{k} x[n, g·Cg + c, i] · w[g·Cg + c, m − g·Mg, k]
//   over the taps k with o + padBegin − k·dilation = i·stride for an input position i,
// g = m / Mg. This is the scatter y[i·stride − padBegin + k·dilation] += x[i]·w[k] read
// backwards. One and two spatial axes are computed as three, with leading unit axes, so one
// pipeline serves 1-D, 2-D and 3-D.
//
// Bindings (group 0):
//   0  x     storage, read        array<f32>  [N, C, inD, inH, inW], row-major
//   1  w     storage, read        array<f32>  [C, Mg, kD, kH, kW], row-major (Mg = M / group)
//   2  bias  storage, read        array<f32>  [M]; bound to any buffer and unread when
//                                             geom[5] (hasBias) is 0
//   3  y     storage, read_write  array<f32>  [N, M, outD, outH, outW], n = N·M·outD·outH·outW
//   4  geom  storage, read        array<i32>  [n, C, M, Cg, Mg, hasBias, in[3], out[3], kernel[3],
//                                             stride[3], padBegin[3], dilation[3]]; spatial
//                                             triples are (D, H, W). padBegin may be negative
//                                             (an output_shape larger than the full result).
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine past
//   maxComputeWorkgroupsPerDimension; the tail and the fold's surplus workgroups return early.
// Overrides: WG workgroup size (default 64).
// Numerics: plain f32 accumulation over c, then the taps in row-major order, then the bias: at
//   most Cg·kD·kH·kW + 1 rounded additions, so |error| ≤ (terms + 1)·u·(Σ|x·w| + |bias|)
//   (u = 2⁻²⁴). Coordinates are i32; a tap whose input position is fractional (not a multiple
//   of the stride) or outside the input contributes nothing and is never read.

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> geom: array<i32>;

// Offsets of the spatial triples in geom.
const IN: u32 = 6u;
const OUT: u32 = 9u;
const KERNEL: u32 = 12u;
const STRIDE: u32 = 15u;
const PAD: u32 = 18u;
const DILATION: u32 = 21u;

fn triple(at: u32) -> vec3<i32> {
  return vec3<i32>(geom[at], geom[at + 1u], geom[at + 2u]);
}

// The input position that tap offset t (= o + padBegin − k·dilation) reads along an axis of
// size len with this stride, or −1 when there is none.
fn source(t: i32, stride: i32, len: i32) -> i32 {
  if (t < 0 || t % stride != 0) {
    return -1;
  }
  let i = t / stride;
  return select(-1, i, i < len);
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
  let pad = triple(PAD);
  let dilation = triple(DILATION);

  // i = (((n·M + m)·outD + od)·outH + oh)·outW + ow
  var rest = i32(i);
  let ow = rest % outSize.z;
  rest = rest / outSize.z;
  let oh = rest % outSize.y;
  rest = rest / outSize.y;
  let od = rest % outSize.x;
  rest = rest / outSize.x;
  let m = rest % M;
  let n = rest / M;
  let g = m / Mg;
  let mg = m - g * Mg;
  let shifted = vec3<i32>(od, oh, ow) + pad;

  var acc = 0.0;
  for (var c = 0; c < Cg; c++) {
    let ci = g * Cg + c;
    let xChannel = (n * C + ci) * inSize.x;
    let wChannel = (ci * Mg + mg) * kernel.x;
    for (var kd = 0; kd < kernel.x; kd++) {
      let id = source(shifted.x - kd * dilation.x, stride.x, inSize.x);
      if (id < 0) {
        continue;
      }
      for (var kh = 0; kh < kernel.y; kh++) {
        let ih = source(shifted.y - kh * dilation.y, stride.y, inSize.y);
        if (ih < 0) {
          continue;
        }
        let xRow = ((xChannel + id) * inSize.y + ih) * inSize.z;
        let wRow = ((wChannel + kd) * kernel.y + kh) * kernel.z;
        for (var kw = 0; kw < kernel.z; kw++) {
          let iw = source(shifted.z - kw * dilation.z, stride.z, inSize.z);
          if (iw < 0) {
            continue;
          }
          acc += x[xRow + iw] * w[wRow + kw];
        }
      }
    }
  }
  if (geom[5] != 0) {
    acc += bias[m];
  }
  y[i] = acc;
}
