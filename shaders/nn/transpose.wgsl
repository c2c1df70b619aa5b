// nn/transpose.wgsl — permutation of axes: y[c] = x[Σ c_d · inStride[perm[d]]], where c is the
// output coordinate. Also serves as a general strided gather (copies any strided view).
//
// Bindings (group 0):
//   0  x     storage, read        array<T>    input, row-major
//   1  y     storage, read_write  array<T>    output, n = prod(outShape), row-major
//   2  geom  storage, read        array<u32>  [n, rank, outShape[rank], srcStride[rank]];
//                                             srcStride[d] is the input stride of the input axis
//                                             that becomes output axis d
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64).
// Numerics: a copy; exact. T is u32, so f32 and i32 tensors move bit for bit (NaN payloads too).

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<storage, read> geom: array<u32>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let n = geom[0];
  if (i >= n) {
    return;
  }
  let rank = geom[1];
  var rest = i;
  var src = 0u;
  for (var d = rank; d > 0u; d--) {
    let axis = d - 1u;
    let dim = geom[2u + axis];
    src += (rest % dim) * geom[2u + rank + axis];
    rest = rest / dim;
  }
  y[i] = x[src];
}
