// nn/pad.wgsl — ONNX Pad, every mode, any rank: each output element reads the input element its
// coordinates map to, axis by axis,
//   c = out_d − padBegin[d]   (padBegin may be negative: cropping)
//   constant: c outside [0, inDim) → the whole element is `fill[0]`
//   reflect:  c mirrored about the ends without repeating them (period 2·(inDim − 1); numpy's
//             'reflect', which keeps reflecting for pads longer than the axis)
//   edge:     c clamped into [0, inDim − 1]
//   wrap:     c modulo inDim
//
// Bindings (group 0):
//   0  x     storage, read        array<u32>  input, f32 or i32 bits, row-major
//   1  fill  storage, read        array<u32>  [1]: the constant (x's dtype); read in mode 0 only
//   2  y     storage, read_write  array<u32>  output, n elements
//   3  geom  storage, read        array<i32>  [n, rank, outShape[rank], inShape[rank],
//                                             padBegin[rank]]
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked. The host
//   refuses reflect/edge/wrap on an empty padded axis; the kernel also never reads outside x.
// Overrides: WG workgroup size (default 64); MODE 0 constant, 1 reflect, 2 edge, 3 wrap.
// Numerics: a copy; exact. Elements move as raw bits, so one pipeline serves f32 and i32.

override WG: u32 = 64u;
override MODE: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> fill: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<storage, read> geom: array<i32>;

// The input coordinate that padded coordinate c (already shifted by padBegin) reads along an
// axis of length len ≥ 1; in constant mode the caller handles c outside the axis.
fn source(c: i32, len: i32) -> i32 {
  if (c >= 0 && c < len) {
    return c;
  }
  if (MODE == 1u) {
    if (len == 1) {
      return 0;
    }
    let period = 2 * (len - 1);
    var t = c % period;
    if (t < 0) {
      t += period;
    }
    if (t >= len) {
      t = period - t;
    }
    return t;
  }
  if (MODE == 2u) {
    return clamp(c, 0, len - 1);
  }
  var t = c % len;
  if (t < 0) {
    t += len;
  }
  return t;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let n = u32(geom[0]);
  if (i >= n) {
    return;
  }
  let rank = u32(geom[1]);
  var rest = i;
  var src = 0;
  var stride = 1;
  var inside = true;
  // Walk the axes innermost first, peeling off each coordinate of i.
  for (var d = rank; d > 0u; d--) {
    let axis = d - 1u;
    let outDim = u32(geom[2u + axis]);
    let len = geom[2u + rank + axis];
    let c = i32(rest % outDim) - geom[2u + 2u * rank + axis];
    rest = rest / outDim;
    if (MODE == 0u && (c < 0 || c >= len)) {
      inside = false;
    } else if (len > 0) {
      src += source(c, len) * stride;
    } else {
      inside = false;
    }
    stride *= len;
  }
  if (!inside || src < 0 || u32(src) >= arrayLength(&x)) {
    y[i] = fill[0];
    return;
  }
  y[i] = x[u32(src)];
}
