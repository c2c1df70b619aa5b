// stats/tsne_grid.wgsl — the gridded repulsion field of t-SNE (in the manner of FIt-SNE, Linderman
// et al. 2019, with linear rather than Lagrange interpolation), three steps selected by MODE:
//   MODE 0 (splat): each point adds its bilinear (cloud-in-cell) weights to the 4 nodes of its
//     cell of the G×G node grid, in fixed point (u32 atomics; WGSL has no float atomics).
//   MODE 1 (build): for every entry t of the zero-padded L×L arrays (L = 2G): the charge grid
//     ρ (nodes' counts / scale, zero outside the first G×G block; the counts are reset to 0 for
//     the next iteration), and the kernel grids at node offset (dx, dy)·h, dx, dy ∈ [−G, G)
//     (wrapped): kA = (K, K²·dx·h), kB = (K²·dy·h, 0) with K = 1 / (1 + r²).
//   MODE 2 (multiply): after the forward FFTs of ρ, kA, kB: kA ← ρ̂·kA, kB ← ρ̂·kB. The inverse
//     FFTs then hold, at node a, S = Σ_b ρ_b K(a − b) and Rx (real and imaginary parts of kA),
//     Ry (real part of kB), read by `tsne_gradient.wgsl` (MODE 1).
// The grid geometry (origin ox, oy and spacing h) comes from `tsne_reduce.wgsl` (MODE 0) in
// `scalars`, on the GPU, so iterations need no readback.
//
// Bindings (group 0):
//   0  pos      storage, read        array<f32>          [N, 2] embedding
//   1  counts   storage, read_write  array<atomic<u32>>  [G·G] fixed-point charges
//   2  scalars  storage, read        array<f32>          [8] ox, oy, h, Z, …
//   3  rho      storage, read_write  array<vec2<f32>>    [L·L]
//   4  kA       storage, read_write  array<vec2<f32>>    [L·L]
//   5  kB       storage, read_write  array<vec2<f32>>    [L·L]
//   6  params   uniform              Params              { n, g, len, scale }
// Dispatch: MODE 0 ceil(N / WG), MODE 1 and 2 ceil(L² / WG) workgroups, linear, folded by the
//   engine; surplus invocations return.
// Overrides: WG (default 64), MODE.
// Numerics: charges are rounded to 1/scale (scale = 2^16 or less, chosen by the host so that
//   N·scale < 2^32): absolute error ≤ N / (2·scale) per node sum. Points are clamped into the
//   grid's interior cells.

override WG: u32 = 64u;
override MODE: u32 = 0u;

struct Params {
  n: u32,
  g: u32,
  len: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> pos: array<f32>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> scalars: array<f32>;
@group(0) @binding(3) var<storage, read_write> rho: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> kA: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> kB: array<vec2<f32>>;
@group(0) @binding(6) var<uniform> params: Params;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let t = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let g = params.g;
  let len = params.len;
  if (MODE == 0u) {
    if (t >= params.n) {
      return;
    }
    let h = scalars[2];
    let u = clamp((pos[2u * t] - scalars[0]) / h, 0.0, f32(g - 1u));
    let v = clamp((pos[2u * t + 1u] - scalars[1]) / h, 0.0, f32(g - 1u));
    let cx = min(u32(u), g - 2u);
    let cy = min(u32(v), g - 2u);
    let fx = u - f32(cx);
    let fy = v - f32(cy);
    let s = params.scale;
    atomicAdd(&counts[cy * g + cx], u32(round((1.0 - fx) * (1.0 - fy) * s)));
    atomicAdd(&counts[cy * g + cx + 1u], u32(round(fx * (1.0 - fy) * s)));
    atomicAdd(&counts[(cy + 1u) * g + cx], u32(round((1.0 - fx) * fy * s)));
    atomicAdd(&counts[(cy + 1u) * g + cx + 1u], u32(round(fx * fy * s)));
    return;
  }
  if (t >= len * len) {
    return;
  }
  if (MODE == 1u) {
    let r = t / len;
    let c = t % len;
    var q = 0.0;
    if (r < g && c < g) {
      q = f32(atomicLoad(&counts[r * g + c])) / params.scale;
      atomicStore(&counts[r * g + c], 0u);
    }
    rho[t] = vec2<f32>(q, 0.0);
    let h = scalars[2];
    let dx = h * (f32(c) - select(0.0, f32(len), c >= g));
    let dy = h * (f32(r) - select(0.0, f32(len), r >= g));
    let k = 1.0 / (1.0 + dx * dx + dy * dy);
    kA[t] = vec2<f32>(k, k * k * dx);
    kB[t] = vec2<f32>(k * k * dy, 0.0);
    return;
  }
  let p = rho[t];
  kA[t] = cmul(p, kA[t]);
  kB[t] = cmul(p, kB[t]);
}
