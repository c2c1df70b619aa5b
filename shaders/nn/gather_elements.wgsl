// nn/gather_elements.wgsl — ONNX GatherElements: the output has the indices' shape and
//   out[c] = data[c with c[axis] replaced by idx(indices[c])],
// where idx adds axisLen to a negative index and clamps into [0, axisLen − 1] (ONNX calls an
// out-of-range index an error; the host validates indices it knows on the CPU, nn/index_check.wgsl
// the others before this runs, and the kernel never reads outside data).
// With LAST_WRITER = 1 it computes the gradient of ScatterElements (reduction none) with respect
// to `updates`: position c gets data[...] (here: dy) only if no later position along the axis
// (same other coordinates) carries the same index, since the last write wins; else 0.
//
// Bindings (group 0):
//   0  data     storage, read        array<u32>  f32 or i32 bits, row-major
//   1  indices  storage, read        array<i32>  n indices, row-major (ONNX int64 held as i32)
//   2  out      storage, read_write  array<u32>  n elements, data's dtype
//   3  geom     storage, read        array<i32>  [n, rank, axis, axisLen, idxShape[rank],
//                                                dataStrides[rank], idxStrides[rank]];
//                                                axisLen ≥ 1
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64); LAST_WRITER 0 or 1 (then data must be f32).
// Loop bound: with LAST_WRITER, the positions after c along the axis.
// Numerics: a copy; exact (raw bits: one pipeline serves f32 and i32).

override WG: u32 = 64u;
override LAST_WRITER: u32 = 0u;

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<storage, read> geom: array<i32>;

fn wrapIndex(v: i32, len: i32) -> i32 {
  var t = v;
  if (t < 0) {
    t += len;
  }
  return clamp(t, 0, len - 1);
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
  let axis = u32(geom[2]);
  let len = geom[3];
  let index = wrapIndex(indices[i], len);
  var rest = i;
  var src = 0;
  var along = 0;
  for (var d = rank; d > 0u; d--) {
    let a = d - 1u;
    let dim = u32(geom[4u + a]);
    let c = i32(rest % dim);
    rest = rest / dim;
    if (a == axis) {
      along = c;
      src += index * geom[4u + rank + a];
    } else {
      src += c * geom[4u + rank + a];
    }
  }
  if (src < 0 || u32(src) >= arrayLength(&data)) {
    out[i] = 0u;
    return;
  }
  if (LAST_WRITER == 1u) {
    let count = geom[4u + axis];
    let step = geom[4u + 2u * rank + axis];
    for (var j = along + 1; j < count; j++) {
      if (wrapIndex(indices[i32(i) + (j - along) * step], len) == index) {
        out[i] = 0u;
        return;
      }
    }
  }
  out[i] = data[u32(src)];
}
