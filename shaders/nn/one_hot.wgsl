// nn/one_hot.wgsl — ONNX OneHot: with indices viewed as [outer, inner] and the output as
// [outer, depth, inner] (the new axis at `axis`),
//   out[o, d, k] = values[1] if idx(indices[o, k]) = d else values[0],
// where idx truncates a float index toward zero and adds depth to a negative one; an index still
// outside [0, depth) matches no position (a row of values[0]), as ONNX specifies.
//
// Bindings (group 0):
//   0  indices  storage, read        array<u32>  outer·inner, i32 or f32 bits (FLOAT_INDICES)
//   1  values   storage, read        array<u32>  [off, on], the output's dtype
//   2  out      storage, read_write  array<u32>  n = outer·depth·inner
//   3  params   uniform              Params      { n, depth, inner, 0 }
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64); FLOAT_INDICES 1 when indices are f32.
// Numerics: a selection; exact.

override WG: u32 = 64u;
override FLOAT_INDICES: u32 = 0u;

struct Params {
  n: u32,
  depth: u32,
  inner: u32,
  unused: u32,
}

@group(0) @binding(0) var<storage, read> indices: array<u32>;
@group(0) @binding(1) var<storage, read> values: array<u32>;
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
  let inner = params.inner;
  let k = i % inner;
  let d = i32((i / inner) % params.depth);
  let o = i / (inner * params.depth);
  let raw = indices[o * inner + k];
  let depth = i32(params.depth);
  var index = bitcast<i32>(raw);
  if (FLOAT_INDICES == 1u) {
    // Clamp before converting (f32 → i32 of an out-of-range value is not portable); anything
    // clamped is out of range anyway.
    index = i32(clamp(trunc(bitcast<f32>(raw)), -2147483520.0, 2147483520.0));
  }
  if (index < 0) {
    index += depth;
  }
  if (index == d) {
    out[i] = values[1];
  } else {
    out[i] = values[0];
  }
}
