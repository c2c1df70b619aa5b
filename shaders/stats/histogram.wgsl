// stats/histogram.wgsl — histogram of the finite values of a tensor over [lo, hi) in `bins`
// equal bins (the last bin includes hi), with privatized workgroup counters: each workgroup
// counts into workgroup memory with atomics, then adds its counts to the global histogram once.
// Counts are exact (u32 atomics).
//
// Bindings (group 0):
//   0  x       storage, read        array<f32>          n elements
//   1  counts  storage, read_write  array<atomic<u32>>  from `base`: bins + 2 counters, [0, bins)
//                                                       the bins, then the number below lo and
//                                                       above hi (several tensors share one
//                                                       buffer at different bases)
//   2  params  uniform              Params              { n, bins, lo, scale, hi, base }
// Dispatch: ceil(n / (WG·PER_THREAD)) workgroups, linear, folded by the engine; surplus
//   workgroups return before any barrier.
// Bin of v: floor((v − lo) · scale), scale = bins / (hi − lo) computed on the host in f32, so that
//   the host's reference can repeat the same two correctly rounded f32 operations and agree on
//   every boundary value. NaN and ±Inf are detected by bit pattern and not counted.
// Overrides: WG (default 64), MAX_BINS (workgroup counters, default 4096 = 16 KiB).

override WG: u32 = 64u;
override MAX_BINS: u32 = 4096u;
const PER_THREAD: u32 = 16u;

struct Params {
  n: u32,
  bins: u32,
  lo: f32,
  scale: f32,
  hi: f32,
  base: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> local: array<atomic<u32>, MAX_BINS>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let g = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let perGroup = WG * PER_THREAD;
  if (g * perGroup >= params.n) {
    return;
  }
  for (var b = lid; b < params.bins; b += WG) {
    atomicStore(&local[b], 0u);
  }
  workgroupBarrier();
  var below = 0u;
  var above = 0u;
  let start = g * perGroup;
  let end = min(params.n, start + perGroup);
  for (var i = start + lid; i < end; i += WG) {
    let v = x[i];
    if ((bitcast<u32>(v) & 0x7fffffffu) >= 0x7f800000u) {
      continue;
    }
    if (v < params.lo) {
      below += 1u;
      continue;
    }
    if (v > params.hi) {
      above += 1u;
      continue;
    }
    let t = floor((v - params.lo) * params.scale);
    let bin = min(u32(max(t, 0.0)), params.bins - 1u);
    atomicAdd(&local[bin], 1u);
  }
  if (below > 0u) {
    atomicAdd(&counts[params.base + params.bins], below);
  }
  if (above > 0u) {
    atomicAdd(&counts[params.base + params.bins + 1u], above);
  }
  workgroupBarrier();
  for (var b = lid; b < params.bins; b += WG) {
    let c = atomicLoad(&local[b]);
    if (c > 0u) {
      atomicAdd(&counts[params.base + b], c);
    }
  }
}
