// nn/where.wgsl — elementwise selection with numpy broadcasting of all three operands:
//   out = condition != 0 ? x : y      (ONNX Where)
//
// Bindings (group 0):
//   0  condition  storage, read        array<i32>  ONNX bool as i32; any non-zero is true
//   1  x          storage, read        array<u32>  f32 or i32 bits, row-major
//   2  y          storage, read        array<u32>  same dtype as x, row-major
//   3  out        storage, read_write  array<u32>  n = prod(outShape) elements, x's dtype
//   4  geom       storage, read        array<u32>  [n, rank, outShape[rank], cStrides[rank],
//                                                   xStrides[rank], yStrides[rank]]; a stride is
//                                                   0 on an axis where that operand broadcasts
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64).
// Numerics: a selection; exact. x and y move as raw bits, so one pipeline serves f32 and i32.

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> condition: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> y: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<storage, read> geom: array<u32>;

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
  var ic = 0u;
  var ix = 0u;
  var iy = 0u;
  // Walk the axes innermost first, peeling off each coordinate of i.
  for (var d = rank; d > 0u; d--) {
    let axis = d - 1u;
    let dim = geom[2u + axis];
    let coord = rest % dim;
    rest = rest / dim;
    ic += coord * geom[2u + rank + axis];
    ix += coord * geom[2u + 2u * rank + axis];
    iy += coord * geom[2u + 3u * rank + axis];
  }
  out[i] = select(y[iy], x[ix], condition[ic] != 0);
}
