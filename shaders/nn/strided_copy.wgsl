// nn/strided_copy.wgsl — general strided copy between two affine views:
//   y[dstBase + Σ c_d · dstStride[d]] = x[srcBase + Σ c_d · srcStride[d]]
// for every coordinate c of the copy shape. Serves slice (src strides scaled by the step, which
// may be negative, src base at the starts), expand (src stride 0 on broadcast axes), split (src
// base at the part's offset) and concat (dst base and strides place a part in the output).
//
// Bindings (group 0):
//   0  x     storage, read        array<u32>  source, row-major
//   1  y     storage, read_write  array<u32>  destination, row-major
//   2  geom  storage, read        array<i32>  [n, rank, srcBase, dstBase, shape[rank],
//                                             srcStride[rank], dstStride[rank]]; n = prod(shape)
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked. The host
//   checks that both views stay inside their buffers; the kernel also skips any element whose
//   source or destination offset falls outside them, rather than touch memory it does not own.
// Overrides: WG workgroup size (default 64).
// Numerics: a copy; exact. Elements are u32, so f32 and i32 tensors move bit for bit (NaN
//   payloads too).

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<storage, read> geom: array<i32>;

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
  var src = geom[2];
  var dst = geom[3];
  // Walk the axes innermost first, peeling off each coordinate of i.
  for (var d = rank; d > 0u; d--) {
    let axis = d - 1u;
    let dim = u32(geom[4u + axis]);
    let coord = i32(rest % dim);
    rest = rest / dim;
    src += coord * geom[4u + rank + axis];
    dst += coord * geom[4u + 2u * rank + axis];
  }
  if (src < 0 || u32(src) >= arrayLength(&x) || dst < 0 || u32(dst) >= arrayLength(&y)) {
    return;
  }
  y[u32(dst)] = x[u32(src)];
}
