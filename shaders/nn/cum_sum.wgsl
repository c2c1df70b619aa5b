// nn/cum_sum.wgsl — ONNX CumSum along one axis: with x viewed as [outer, len, inner], one
// invocation per line (o, k) walks the axis in order (or in reverse) and writes the running sum,
// including (or, exclusive, excluding) the current element:
//   y[o, j, k] = Σ_{i ≤ j} x[o, i, k]   (exclusive: i < j; reverse: i ≥ j, exclusive i > j).
// Also the gradient of CumSum (the reverse cumulative sum of dy).
//
// Bindings (group 0):
//   0  x       storage, read        array<u32>  outer·len·inner, f32 or i32 bits
//   1  y       storage, read_write  array<u32>  same shape and dtype
//   2  params  uniform              Params      { lines, len, inner, flags }; flags bit 0
//                                               exclusive, bit 1 reverse
// Dispatch: ceil(lines / WG) workgroups (lines = outer·inner), linear, folded by the engine; tail
//   bounds-checked.
// Overrides: WG workgroup size (default 64); INT 1 for i32 (wrapping), 0 for f32.
// Loop bound: len steps per invocation (a very long axis with few lines is slow, not wrong).
// Numerics: sequential f32 sums: |error| of element j ≤ j·u·Σ_{i ≤ j}|x_i| (u = 2⁻²⁴); i32 exact.

override WG: u32 = 64u;
override INT: u32 = 0u;

struct Params {
  lines: u32,
  len: u32,
  inner: u32,
  flags: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let line = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  if (line >= params.lines) {
    return;
  }
  let inner = params.inner;
  let len = params.len;
  let base = (line / inner) * len * inner + line % inner;
  let exclusive = (params.flags & 1u) != 0u;
  let reverse = (params.flags & 2u) != 0u;
  var sumF = 0.0;
  var sumI = 0;
  for (var step = 0u; step < len; step++) {
    var j = step;
    if (reverse) {
      j = len - 1u - step;
    }
    let at = base + j * inner;
    let v = x[at];
    if (INT == 1u) {
      if (exclusive) {
        y[at] = bitcast<u32>(sumI);
        sumI += bitcast<i32>(v);
      } else {
        sumI += bitcast<i32>(v);
        y[at] = bitcast<u32>(sumI);
      }
    } else {
      if (exclusive) {
        y[at] = bitcast<u32>(sumF);
        sumF += bitcast<f32>(v);
      } else {
        sumF += bitcast<f32>(v);
        y[at] = bitcast<u32>(sumF);
      }
    }
  }
}
