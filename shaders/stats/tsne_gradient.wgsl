// stats/tsne_gradient.wgsl — the per-point sums of the t-SNE gradient (van der Maaten & Hinton
// 2008), one invocation per point i, with w_ij = 1 / (1 + ‖y_i − y_j‖²):
//   attraction A_i = Σ_j p_ij·w_ij·(y_i − y_j) over the CSR row i of the symmetric P,
//   repulsion  R_i = Σ_{j≠i} w_ij²·(y_i − y_j),   S_i = Σ_{j≠i} w_ij   (Z = Σ_i S_i).
// The host-side update (`tsne_update.wgsl`) forms ∂C/∂y_i = 4·(α·A_i − R_i / Z).
//   MODE 0 (exact): R_i and S_i by a loop over all N points.
//   MODE 1 (grid): R_i and S_i interpolated bilinearly from the node fields S, Rx, Ry of
//     `tsne_grid.wgsl` (after the inverse FFTs), with the point's own contribution to S,
//     Σ_a Σ_b W_a·W_b·K(a − b) over its cell's 4 nodes, subtracted (its own contribution to R
//     is antisymmetric in a, b and cancels).
//
// Bindings (group 0):
//   0  pos      storage, read        array<f32>        [N, 2] embedding
//   1  rowPtr   storage, read        array<u32>        [N + 1] CSR offsets of P
//   2  cols     storage, read        array<u32>        [E] j of each entry
//   3  pval     storage, read        array<f32>        [E] p_ij (Σ over all entries = 1)
//   4  stats    storage, read_write  array<f32>        [N, 5] A_x, A_y, R_x, R_y, S per point
//   5  kA       storage, read        array<vec2<f32>>  [L·L] (S, Rx) at nodes (MODE 1)
//   6  kB       storage, read        array<vec2<f32>>  [L·L] (Ry, ·) at nodes (MODE 1)
//   7  scalars  storage, read        array<f32>        [8] ox, oy, h, Z, …
//   8  params   uniform              Params            { n, g, len }
// Dispatch: ceil(N / WG) workgroups, linear, folded by the engine; surplus invocations return.
// Overrides: WG (default 64), MODE.
// Numerics: f32. MODE 0 loops N points per invocation (the host uses it only for N ≤ 4096,
//   bounded work per dispatch); the CSR rows are at most N − 1 (exact) or a few hundred (kNN).

override WG: u32 = 64u;
override MODE: u32 = 0u;

struct Params {
  n: u32,
  g: u32,
  len: u32,
  pad0: u32,
}

@group(0) @binding(0) var<storage, read> pos: array<f32>;
@group(0) @binding(1) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> cols: array<u32>;
@group(0) @binding(3) var<storage, read> pval: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
@group(0) @binding(5) var<storage, read> kA: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> kB: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read> scalars: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let n = params.n;
  if (i >= n) {
    return;
  }
  let yi = vec2<f32>(pos[2u * i], pos[2u * i + 1u]);
  var attr = vec2<f32>(0.0, 0.0);
  for (var e = rowPtr[i]; e < rowPtr[i + 1u]; e++) {
    let j = cols[e];
    let diff = yi - vec2<f32>(pos[2u * j], pos[2u * j + 1u]);
    let w = 1.0 / (1.0 + dot(diff, diff));
    attr += (pval[e] * w) * diff;
  }
  var rep = vec2<f32>(0.0, 0.0);
  var s = 0.0;
  if (MODE == 0u) {
    for (var j = 0u; j < n; j++) {
      if (j == i) {
        continue;
      }
      let diff = yi - vec2<f32>(pos[2u * j], pos[2u * j + 1u]);
      let w = 1.0 / (1.0 + dot(diff, diff));
      s += w;
      rep += (w * w) * diff;
    }
  } else {
    let g = params.g;
    let len = params.len;
    let h = scalars[2];
    let u = clamp((yi.x - scalars[0]) / h, 0.0, f32(g - 1u));
    let v = clamp((yi.y - scalars[1]) / h, 0.0, f32(g - 1u));
    let cx = min(u32(u), g - 2u);
    let cy = min(u32(v), g - 2u);
    let fx = u - f32(cx);
    let fy = v - f32(cy);
    let wts = array<f32, 4>((1.0 - fx) * (1.0 - fy), fx * (1.0 - fy), (1.0 - fx) * fy, fx * fy);
    let ox = array<u32, 4>(0u, 1u, 0u, 1u);
    let oy = array<u32, 4>(0u, 0u, 1u, 1u);
    var selfS = 0.0;
    for (var a = 0u; a < 4u; a++) {
      let node = (cy + oy[a]) * len + cx + ox[a];
      let fa = kA[node];
      s += wts[a] * fa.x;
      rep += wts[a] * vec2<f32>(fa.y, kB[node].x);
      for (var b = 0u; b < 4u; b++) {
        let dx = h * (f32(ox[a]) - f32(ox[b]));
        let dy = h * (f32(oy[a]) - f32(oy[b]));
        selfS += wts[a] * wts[b] / (1.0 + dx * dx + dy * dy);
      }
    }
    s = max(s - selfS, 0.0);
  }
  stats[5u * i] = attr.x;
  stats[5u * i + 1u] = attr.y;
  stats[5u * i + 2u] = rep.x;
  stats[5u * i + 3u] = rep.y;
  stats[5u * i + 4u] = s;
}
