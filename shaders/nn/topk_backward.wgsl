// nn/topk_backward.wgsl — gradient of ONNX TopK's values with respect to x: the gradient of
// each selected value goes back to the position it came from, every other element gets 0.
// Gathered, not scattered: with x viewed as [outer, len, inner] and the forward's indices and
// dValues as [outer, k, inner], each invocation computes one element of dx over one span of
// output positions,
//   dx[o, l, i] (+)= Σ_{j in [first, last), indices[o, j, i] = l} dValues[o, j, i].
// The indices of a row are distinct, so at most one term is non-zero. No atomics.
//
// Bindings (group 0):
//   0  dy       storage, read        array<f32>  outer·k·inner, the gradient of the values
//   1  indices  storage, read        array<i32>  outer·k·inner, the forward's indices
//   2  dx       storage, read_write  array<f32>  n = outer·len·inner elements
//   3  params   uniform              Params      { n, len, inner, k, first, last, accumulate,
//                                                  unused }
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked. The host
//   records one dispatch per span of output positions; the later ones set `accumulate` and add
//   to dx (each element by the same invocation index of a later dispatch: ordered, no race).
// Overrides: WG workgroup size (default 64).
// Loop bound: last − first (the host keeps spans in the thousands).
// Numerics: exact (a copy or 0); an index outside [0, len) matches nothing.

override WG: u32 = 64u;

struct Params {
  n: u32,
  len: u32,
  inner: u32,
  k: u32,
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
  let inner = params.inner;
  let k_in = i % inner;
  let l = i32((i / inner) % params.len);
  let o = i / (inner * params.len);
  let row = o * params.k * inner + k_in;

  var acc = 0.0;
  for (var j = params.first; j < params.last; j++) {
    if (indices[row + j * inner] == l) {
      acc += dy[row + j * inner];
    }
  }
  if (params.accumulate != 0u) {
    acc += dx[i];
  }
  dx[i] = acc;
}
