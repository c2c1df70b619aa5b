// stats/tsne_update.wgsl — one step of t-SNE's optimizer (as scikit-learn's `_gradient_descent`),
// one invocation per point: the gradient g = 4·(α·A_i − R_i / Z) from the sums of
// `tsne_gradient.wgsl` and Z from `tsne_reduce.wgsl`; per-coordinate gains (+0.2 where the
// gradient's sign differs from the previous update's, ×0.8 otherwise, at least 0.01); then
// update ← momentum·update − η·gain·g and y ← y + update.
//
// Bindings (group 0):
//   0  pos      storage, read_write  array<f32>  [N, 2] embedding
//   1  update   storage, read_write  array<f32>  [N, 2] previous update (velocity)
//   2  gains    storage, read_write  array<f32>  [N, 2]
//   3  stats    storage, read        array<f32>  [N, 5] A_x, A_y, R_x, R_y, S
//   4  scalars  storage, read        array<f32>  [8] …, Z at 3
//   5  params   uniform              Params      { n, exaggeration α, momentum, learningRate η }
// Dispatch: ceil(N / WG) workgroups, linear, folded by the engine; surplus invocations return.
// Overrides: WG (default 64).
// Numerics: f32. Z > 0 whenever N ≥ 2 (every w_ij > 0); a zero Z (all points at infinity from
//   each other, impossible in f32 range) would drop the repulsion rather than divide by zero.

override WG: u32 = 64u;

struct Params {
  n: u32,
  exaggeration: f32,
  momentum: f32,
  learningRate: f32,
}

@group(0) @binding(0) var<storage, read_write> pos: array<f32>;
@group(0) @binding(1) var<storage, read_write> update: array<f32>;
@group(0) @binding(2) var<storage, read_write> gains: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> scalars: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

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
  let z = scalars[3];
  let invZ = select(0.0, 1.0 / z, z > 0.0);
  for (var c = 0u; c < 2u; c++) {
    let grad = 4.0 * (params.exaggeration * stats[5u * i + c] - stats[5u * i + 2u + c] * invZ);
    let t = 2u * i + c;
    let prev = update[t];
    var gain = gains[t];
    if (prev * grad < 0.0) {
      gain += 0.2;
    } else {
      gain *= 0.8;
    }
    gain = max(gain, 0.01);
    gains[t] = gain;
    let delta = params.momentum * prev - params.learningRate * gain * grad;
    update[t] = delta;
    pos[t] += delta;
  }
}
