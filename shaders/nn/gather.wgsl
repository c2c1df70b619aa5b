// nn/gather.wgsl — ONNX Gather along one axis: with data viewed as [outer, axisLen, inner] and
// indices flattened to [count], the output viewed as [outer, count, inner] is
//   out[o, j, k] = data[o, idx(indices[j]), k]
// where idx adds axisLen to a negative index and then clamps into [0, axisLen − 1]. ONNX calls an
// out-of-range index an error; the kernel clamps instead, so it never reads outside `data`: the
// host validates indices it knows, and nn/index_check.wgsl the others before this runs (a
// failure rejects the next readback, see gather.ts).
//
// Bindings (group 0):
//   0  data     storage, read        array<u32>  f32 or i32 bits, outer·axisLen·inner, row-major
//   1  indices  storage, read        array<i32>  count indices (ONNX int64 held as i32)
//   2  out      storage, read_write  array<u32>  n = outer·count·inner elements, data's dtype
//   3  params   uniform              Params      { n, axisLen, inner, count }; axisLen ≥ 1
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64).
// Numerics: a copy; exact. Elements move as raw bits, so one pipeline serves f32 and i32.

override WG: u32 = 64u;

struct Params {
  n: u32,
  axisLen: u32,
  inner: u32,
  count: u32,
}

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
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
  let k = i % params.inner;
  let row = i / params.inner;
  let j = row % params.count;
  let o = row / params.count;
  let len = i32(params.axisLen);
  var index = indices[j];
  if (index < 0) {
    index += len;
  }
  index = clamp(index, 0, len - 1);
  out[i] = data[(o * params.axisLen + u32(index)) * params.inner + k];
}
