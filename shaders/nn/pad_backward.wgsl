// nn/pad_backward.wgsl — gradient of ONNX Pad along one axis (the host records one dispatch per
// padded axis, innermost state first; Pad is separable). With dy viewed as [outer, outLen,
// inner] and dx as [outer, inLen, inner],
//   dx[o, c, k] = Σ_{j : src(j) = c} dy[o, j, k],
// where src(j) maps padded position j to the input position it copies (pad.wgsl's rule with
// j − padBegin). The interior j = c + padBegin maps one to one; only the border positions
// j < padBegin and j ≥ padBegin + inLen (reflected, replicated or wrapped copies) are searched, so
// an invocation loops over at most the axis's total padding. Constant mode has no border term
// (padded positions hold the constant). No atomics: each dx element is its own invocation's.
//
// Bindings (group 0):
//   0  dy      storage, read        array<f32>  outer·outLen·inner
//   1  dx      storage, read_write  array<f32>  n = outer·inLen·inner
//   2  params  uniform              Params      { n, outLen, inLen, inner, padBegin (i32), 0, 0,
//                                                0 }; inLen ≥ 1
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64); MODE 0 constant, 1 reflect, 2 edge, 3 wrap.
// Numerics: the interior term first, then the border terms in position order, in f32:
//   |error| ≤ (terms − 1)·u·Σ|dy| (u = 2⁻²⁴); exact where nothing accumulates.

override WG: u32 = 64u;
override MODE: u32 = 0u;

struct Params {
  n: u32,
  outLen: u32,
  inLen: u32,
  inner: u32,
  padBegin: i32,
  unused0: u32,
  unused1: u32,
  unused2: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn source(c: i32, len: i32) -> i32 {
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
  if (i >= params.n) {
    return;
  }
  let inner = params.inner;
  let len = i32(params.inLen);
  let outLen = i32(params.outLen);
  let pad = params.padBegin;
  let k = i % inner;
  let c = i32((i / inner) % params.inLen);
  let o = i / (inner * params.inLen);
  let row = o * params.outLen;
  var acc = 0.0;
  let j0 = c + pad;
  if (j0 >= 0 && j0 < outLen) {
    acc = dy[(row + u32(j0)) * inner + k];
  }
  if (MODE != 0u) {
    for (var j = 0; j < min(pad, outLen); j++) {
      if (source(j - pad, len) == c) {
        acc += dy[(row + u32(j)) * inner + k];
      }
    }
    for (var j = max(pad + len, 0); j < outLen; j++) {
      if (source(j - pad, len) == c) {
        acc += dy[(row + u32(j)) * inner + k];
      }
    }
  }
  dx[i] = acc;
}
