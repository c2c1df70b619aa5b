// nn/index_check.wgsl — validates indices that only the GPU holds (computed by the model, or
// passed as a GPU tensor) for a gather or scatter: element i must lie in [lo, hi] of the pair
// p = i % period of `bounds` (one pair per position of an index tuple for GatherND/ScatterND, a
// single pair for Gather, GatherElements, ScatterElements; ONNX allows [−len, len − 1]). The
// first element out of range is recorded in the engine's check flag, which the host copies out
// with the next readback and turns into an IndexError naming the node (src/ops/deferred_check.ts).
//
// Bindings (group 0):
//   0  indices  storage, read        array<i32>          n indices (ONNX int64 held as i32)
//   1  bounds   storage, read        array<i32>          2·period: [lo, hi] per tuple position
//   2  flag     storage, read_write  array<atomic<u32>>  [hits, check, position, value, aux, ...]
//   3  params   uniform              Params              { n, period, check, _ }; period ≥ 1
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64).
// Numerics: integer comparisons; exact. The invocation whose atomicAdd on `hits` returns 0
//   writes the record, so exactly one failure is recorded until the host clears the flag: the
//   first dispatch (in recording order) that finds one, and in it any failing element. Once a
//   failure is recorded, later invocations skip the atomic.

override WG: u32 = 64u;

struct Params {
  n: u32,
  period: u32,
  check: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> indices: array<i32>;
@group(0) @binding(1) var<storage, read> bounds: array<i32>;
@group(0) @binding(2) var<storage, read_write> flag: array<atomic<u32>>;
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
  let p = i % params.period;
  let v = indices[i];
  if (v >= bounds[2u * p] && v <= bounds[2u * p + 1u]) {
    return;
  }
  if (atomicLoad(&flag[0]) != 0u) {
    return;
  }
  if (atomicAdd(&flag[0], 1u) == 0u) {
    atomicStore(&flag[1], params.check);
    atomicStore(&flag[2], i);
    atomicStore(&flag[3], bitcast<u32>(v));
    atomicStore(&flag[4], 0u);
  }
}
