// nn/gather_backward.wgsl — gradient of ONNX Gather with respect to `data`, gathered: with data
// viewed as [outer, axisLen, inner], indices flattened to [count] and dy as [outer, count,
// inner], each invocation computes one element of d(data) over one span of index positions,
//   dx[o, a, k] (+)= Σ_{j in [first, last), idx(indices[j]) = a} dy[o, j, k],
// where idx adds axisLen to a negative index and clamps into [0, axisLen − 1], as the forward
// kernel does. Repeated indices add up; rows no index picks get 0. No atomics: each element of
// dx is written by its own invocation.
//
// Bindings (group 0):
//   0  dy       storage, read        array<f32>  outer·count·inner, row-major
//   1  indices  storage, read        array<i32>  count indices
//   2  dx       storage, read_write  array<f32>  n = outer·axisLen·inner elements
//   3  params   uniform              Params      { n, axisLen, inner, count, first, last,
//                                                accumulate, unused }; axisLen ≥ 1
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked. The host
//   records one dispatch per span of index positions; the first writes dx, the later ones set
//   `accumulate` and add to it (each element by the same invocation index of a later dispatch:
//   ordered, no race).
// Overrides: WG workgroup size (default 64).
// Loop bound: last − first index positions per invocation (the host keeps spans in the
//   thousands: on lavapipe, invocations that loop ~10⁵ times have returned zeros).
// Numerics: f32 additions in index order: |error| ≤ (terms + 1)·u·Σ|dy| (u = 2⁻²⁴); exact when
//   each row is picked at most once.

override WG: u32 = 64u;

struct Params {
  n: u32,
  axisLen: u32,
  inner: u32,
  count: u32,
  first: u32,
  last: u32,
  accumulate: u32,
  unused: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

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
  let len = i32(params.axisLen);
  let inner = params.inner;
  // i = (o·axisLen + a)·inner + k; dy is [outer, count, inner] with count = indices' length.
  let k = i % inner;
  let a = i32((i / inner) % params.axisLen);
  let o = i / (inner * params.axisLen);
  let row = o * params.count;

  var acc = 0.0;
  for (var j = params.first; j < params.last; j++) {
    var at = indices[j];
    if (at < 0) {
      at += len;
    }
    if (clamp(at, 0, len - 1) == a) {
      acc += dy[(row + j) * inner + k];
    }
  }
  if (params.accumulate != 0u) {
    acc += dx[i];
  }
  dx[i] = acc;
}
