// stats/umap_sgd.wgsl — one epoch of UMAP's layout optimization (McInnes, Healy & Melville 2018;
// umap-learn's `optimize_layout_euclidean`), one invocation per vertex i ("owner computes").
// The fuzzy graph is symmetric and stored as CSR rows, so every pair {i, j} appears as (i, j) in
// row i and as (j, i) in row j with the same weight and sampling schedule. umap-learn moves both
// ends of each sampled edge, so when the pair is due, i is pulled towards j twice (as head of
// (i, j) and as tail of (j, i)); here row i's owner applies those two attractive steps to i, and
// then the negative samples of edge (i, j), which move only i, exactly as umap-learn does. Each
// invocation writes only its own vertex: it reads the epoch-start layout `embIn` and writes
// `embOut` (the host swaps them every epoch). So there are no write races and the result is
// deterministic, where umap-learn's Hogwild threads race on shared coordinates; the price is
// that other vertices are seen as they were at the start of the epoch.
//
// Bindings (group 0):
//   0  embIn   storage, read        array<f32>  [N, dims] layout at the start of the epoch
//   1  embOut  storage, read_write  array<f32>  [N, dims] layout after the epoch
//   2  rowPtr  storage, read        array<u32>  [N + 1] CSR row offsets into the edge arrays
//   3  cols    storage, read        array<u32>  [E] neighbour j of each edge (i, j)
//   4  eps     storage, read        array<f32>  [E] epochs per sample of each edge
//   5  state   storage, read_write  array<f32>  [E, 2] epoch of the next sample, epoch of the
//                                               next negative sample (row i's owner only)
//   6  params  uniform              Params      { n, dims, epoch, alpha, a, b, gamma,
//                                               negRate, seed }
// Dispatch: ceil(N / WG) workgroups, linear, folded by the engine; surplus invocations return.
// Overrides: WG (vertices per workgroup, default 64). dims ≤ MAX_DIMS (16).
// Numerics: all f32. d² = Σ(yᵢ − yⱼ)². Attraction coefficient −2ab·d^(2(b−1)) / (1 + a·d^(2b)),
//   only for d² > 0; repulsion 2γb / ((0.001 + d²)(1 + a·d^(2b))), only for d² > 0 (a sample
//   landing on i itself is skipped; a coincident other point gives no move). Every gradient
//   component is clipped to ±4 before scaling by the learning rate α. Negative samples k are
//   drawn as PCG-hash(seed, epoch, edge, p) mod N (bias < N / 2³² — negligible).

override WG: u32 = 64u;
const MAX_DIMS: u32 = 16u;

struct Params {
  n: u32,
  dims: u32,
  epoch: f32,
  alpha: f32,
  a: f32,
  b: f32,
  gamma: f32,
  negRate: f32,
  seed: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<storage, read> embIn: array<f32>;
@group(0) @binding(1) var<storage, read_write> embOut: array<f32>;
@group(0) @binding(2) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(3) var<storage, read> cols: array<u32>;
@group(0) @binding(4) var<storage, read> eps: array<f32>;
@group(0) @binding(5) var<storage, read_write> state: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

fn clip4(v: f32) -> f32 {
  return clamp(v, -4.0, 4.0);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let g = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let i = g * WG + lid;
  if (i >= params.n) {
    return;
  }
  let dims = params.dims;
  let a = params.a;
  let b = params.b;
  let alpha = params.alpha;
  var cur: array<f32, MAX_DIMS>;
  var other: array<f32, MAX_DIMS>;
  for (var d = 0u; d < dims; d++) {
    cur[d] = embIn[i * dims + d];
  }
  let epoch = params.epoch;
  let epochSeed = pcg(params.seed ^ pcg(u32(epoch)));
  for (var e = rowPtr[i]; e < rowPtr[i + 1u]; e++) {
    let next = state[2u * e];
    if (next > epoch) {
      continue;
    }
    let j = cols[e];
    for (var d = 0u; d < dims; d++) {
      other[d] = embIn[j * dims + d];
    }
    // Two attractive steps: i as head of (i, j), then as tail of (j, i).
    for (var rep = 0u; rep < 2u; rep++) {
      var d2 = 0.0;
      for (var d = 0u; d < dims; d++) {
        let t = cur[d] - other[d];
        d2 += t * t;
      }
      if (d2 > 0.0) {
        let coeff = -2.0 * a * b * pow(d2, b - 1.0) / (a * pow(d2, b) + 1.0);
        for (var d = 0u; d < dims; d++) {
          cur[d] += clip4(coeff * (cur[d] - other[d])) * alpha;
        }
      }
    }
    let e1 = eps[e];
    state[2u * e] = next + e1;
    if (params.negRate <= 0.0) {
      continue;
    }
    let epsNeg = e1 / params.negRate;
    let nextNeg = state[2u * e + 1u];
    let count = i32(floor((epoch - nextNeg) / epsNeg));
    let edgeSeed = pcg(epochSeed ^ pcg(e));
    for (var p = 0; p < count; p++) {
      let k = pcg(edgeSeed + u32(p)) % params.n;
      if (k == i) {
        continue;
      }
      var d2 = 0.0;
      for (var d = 0u; d < dims; d++) {
        other[d] = embIn[k * dims + d];
        let t = cur[d] - other[d];
        d2 += t * t;
      }
      if (d2 > 0.0) {
        let coeff = 2.0 * params.gamma * b / ((0.001 + d2) * (a * pow(d2, b) + 1.0));
        for (var d = 0u; d < dims; d++) {
          cur[d] += clip4(coeff * (cur[d] - other[d])) * alpha;
        }
      }
    }
    if (count > 0) {
      state[2u * e + 1u] = nextNeg + f32(count) * epsNeg;
    }
  }
  for (var d = 0u; d < dims; d++) {
    embOut[i * dims + d] = cur[d];
  }
}
