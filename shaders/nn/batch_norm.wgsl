// nn/batch_norm.wgsl — batch normalization in inference mode, ONNX `BatchNormalization` with
// per-channel statistics on axis 1:
//   y[n, c, s] = (x[n, c, s] − mean[c]) · scale[c] / sqrt(variance[c] + epsilon) + bias[c].
//
// Bindings (group 0):
//   0  x         storage, read        array<f32>  [N, C, inner], row-major (inner = the product
//                                                 of the axes after the channel axis, 1 if none)
//   1  scale     storage, read        array<f32>  [C]
//   2  bias      storage, read        array<f32>  [C]
//   3  mean      storage, read        array<f32>  [C]
//   4  variance  storage, read        array<f32>  [C]
//   5  y         storage, read_write  array<f32>  [N, C, inner], n = N·C·inner elements
//   6  geom      storage, read        array<u32>  [n, C, inner, bits of epsilon as f32]
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine past
//   maxComputeWorkgroupsPerDimension; one invocation per element; the tail and the fold's
//   surplus workgroups return early.
// Overrides: WG workgroup size (default 64).
// Numerics: the per-channel factor scale·inverseSqrt(variance + epsilon) is within about 6u
//   (the add u, inverseSqrt 2 ulp = 4u in WGSL, the product u); with the subtraction, the
//   product and the bias add, |error| ≤ ~9u·(|x − mean|·|scale| / sqrt(variance + epsilon) +
//   |bias|) (u = 2⁻²⁴).
//   A negative variance + epsilon gives NaN or garbage, as in any implementation.

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> geom: array<u32>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  if (i >= geom[0]) {
    return;
  }
  let c = (i / geom[2]) % geom[1];
  let epsilon = bitcast<f32>(geom[3]);
  let factor = scale[c] * inverseSqrt(variance[c] + epsilon);
  y[i] = (x[i] - mean[c]) * factor + bias[c];
}
