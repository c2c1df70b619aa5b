// nn/topk.wgsl — ONNX TopK along one axis of x viewed as [outer, len, inner], by ranking: each
// invocation takes one element x[o, l, i] and counts the elements of its row that come before
// it in the output order,
//   rank(l) = #{ j : x[o, j, i] before x[o, l, i] },
// where, for largest (smallest) first, a before b when a > b (a < b), or a = b and a's index is
// lower (ONNX's tie rule). The order is strict and total, so ranks are distinct: the element of
// rank r < k writes values[o, r, i] and indices[o, r, i] = l, and every output slot has exactly
// one writer (no atomics, deterministic). Sorted output, whatever `sorted` asks.
//
// Bindings (group 0):
//   0  x        storage, read        array<f32>  outer·len·inner, row-major
//   1  values   storage, read_write  array<f32>  outer·k·inner
//   2  indices  storage, read_write  array<i32>  outer·k·inner, positions along the axis
//   3  ranks    storage, read_write  array<i32>  outer·len·inner partial ranks (long rows)
//   4  params   uniform              Params      { n, len, inner, k, first, last, accumulate,
//                                                  write, largest }
// Dispatch: ceil(n / WG) workgroups (n = outer·len·inner), linear, folded by the engine; tail
//   bounds-checked. A row longer than the host's span is ranked over several dispatches, each
//   comparing against the positions [first, last) and adding to `ranks` (accumulate); the last
//   one (write) scatters. Each element's rank is read and written by the same invocation index
//   of successive dispatches: ordered, no race.
// Overrides: WG workgroup size (default 64).
// Loop bound: last − first comparisons per invocation (the host keeps spans in the thousands:
//   on lavapipe, invocations that loop ~10⁵ times have returned zeros). Work is n·len.
// Numerics: exact (selection). NaN, detected by bit pattern, is greater than every number (first
//   when largest, last when smallest, as torch.topk and numpy's sort order); NaNs tie by index.
//   −0 and +0 are equal.

override WG: u32 = 64u;

struct Params {
  n: u32,
  len: u32,
  inner: u32,
  k: u32,
  first: u32,
  last: u32,
  accumulate: u32,
  write: u32,
  largest: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> ranks: array<i32>;
@group(0) @binding(4) var<uniform> params: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// p is above q in descending order (NaN on top).
fn above(p: f32, q: f32) -> bool {
  let pn = is_nan(p);
  let qn = is_nan(q);
  if (pn || qn) {
    return pn && !qn;
  }
  return p > q;
}

fn tied(p: f32, q: f32) -> bool {
  let pn = is_nan(p);
  let qn = is_nan(q);
  return (pn && qn) || (!pn && !qn && p == q);
}

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
  let k_in = i % inner;
  let l = (i / inner) % params.len;
  let o = i / (inner * params.len);
  let row = o * params.len * inner + k_in;
  let v = x[i];
  let largest = params.largest != 0u;

  var rank = 0u;
  for (var j = params.first; j < params.last; j++) {
    let u = x[row + j * inner];
    let ahead = select(above(v, u), above(u, v), largest);
    if (ahead || (tied(u, v) && j < l)) {
      rank += 1u;
    }
  }
  if (params.accumulate != 0u) {
    rank += u32(ranks[i]);
  }
  if (params.write == 0u) {
    ranks[i] = i32(rank);
    return;
  }
  if (rank < params.k) {
    let at = (o * params.k + rank) * inner + k_in;
    values[at] = v;
    indices[at] = i32(l);
  }
}
