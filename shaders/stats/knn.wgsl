// stats/knn.wgsl — exact k-nearest neighbours (k ≤ 64) of Q query rows among N point rows of
// dimension D, by brute force: every workgroup takes WG queries (one per invocation), streams all
// N points through workgroup memory in tiles of TP points × DC dimensions, accumulates the TP
// distances of its query in registers, and folds each finished tile into a private sorted list
// of its k best (distance, index) pairs. Each invocation sees every point, so no merge is
// needed; the points are split over several dispatches (recorded in one submission), each
// resuming the lists the previous one left in outVal/outIdx, so that no dispatch runs more than a
// bounded number of tile steps (lavapipe silently returned zeros past ~500 barrier-separated
// steps per invocation).
//
// MODE 1 (used first for the cosine metric) instead writes each row of `points` scaled to unit
// L2 norm into `outVal` (zero rows stay zero), one invocation per row.
//
// Bindings (group 0):
//   0  queries  storage, read        array<f32>  [Q, D] row-major (MODE 0; bound but unread in
//                                                MODE 1)
//   1  points   storage, read        array<f32>  [N, D] row-major
//   2  outVal   storage, read_write  array<f32>  MODE 0: [Q, k] distances, ascending per row
//                                                (squared sums between passes, the reported
//                                                distance after the last); MODE 1: [N, D] the
//                                                normalized rows
//   3  outIdx   storage, read_write  array<i32>  [Q, k] point indices (MODE 0; unwritten in 1)
//   4  params   uniform              Params      { q, n, d, k, exclude, pStart, pEnd, flags }:
//                                                this pass scans points [pStart, pEnd); flags
//                                                bit 0: first pass (start from empty lists),
//                                                bit 1: last pass (write final distances)
// Dispatch: ceil(Q / WG) workgroups (MODE 1: ceil(N / WG)), linear, folded by the engine;
//   surplus workgroups of a folded grid return before any barrier (the return depends only on
//   the workgroup index, so barriers stay in uniform control flow).
// Overrides: WG (queries per workgroup, default 64); MODE 0 search, 1 normalize rows;
//   METRIC 0 euclidean, 1 cosine (on rows normalized by MODE 1).
// Numerics: distances are Σ(q − p)² accumulated in f32 in dimension order — not the expansion
//   ‖q‖² − 2q·p + ‖p‖², which cancels catastrophically for near neighbours — so the relative
//   error is about D·u. Euclidean reports √Σ(q − p)²; cosine reports ½Σ(q̂ − p̂)² = 1 − cos(q, p)
//   on unit rows q̂, p̂ (a zero row stays zero, so its distance to a unit row is ½). A candidate
//   enters the list only when strictly closer than the current k-th; points arrive in index
//   order, so equal distances keep the lower index first. With `exclude` (queries are the points
//   themselves), point i is skipped for query i. NaN inputs give unspecified neighbours.

override WG: u32 = 64u;
override MODE: u32 = 0u;
override METRIC: u32 = 0u;

const MAX_K: u32 = 64u;
const TP: u32 = 32u;
const DC: u32 = 64u;

struct Params {
  q: u32,
  n: u32,
  d: u32,
  k: u32,
  exclude: u32,
  pStart: u32,
  pEnd: u32,
  flags: u32,
}

@group(0) @binding(0) var<storage, read> queries: array<f32>;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read_write> outVal: array<f32>;
@group(0) @binding(3) var<storage, read_write> outIdx: array<i32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> tile: array<f32, 2048>; // TP · DC

// Runtime bit casts: Tint rejects a constant expression whose value is NaN or ±inf.
fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}

fn normalize_row(row: u32) {
  let dim = params.d;
  let start = row * dim;
  var sumSq = 0.0;
  for (var j = 0u; j < dim; j++) {
    let v = points[start + j];
    sumSq += v * v;
  }
  // Divide by the norm rather than multiply by its reciprocal: one rounding fewer, and a 1-D row
  // becomes exactly ±1 (√(x²) = |x|), so its distances tie exactly, as in the f64 reference.
  let norm = sqrt(sumSq);
  for (var j = 0u; j < dim; j++) {
    var v = 0.0;
    if (sumSq > 0.0) {
      v = points[start + j] / norm;
    }
    outVal[start + j] = v;
  }
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let g = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  if (MODE == 1u) {
    let row = g * WG + lid;
    if (row < params.n) {
      normalize_row(row);
    }
    return;
  }
  if (g * WG >= params.q) {
    return;
  }
  let qi = g * WG + lid;
  let inRange = qi < params.q;
  let n = params.n;
  let dim = params.d;
  let k = params.k;
  let qStart = qi * dim;

  var bestVal: array<f32, MAX_K>;
  var bestIdx: array<i32, MAX_K>;
  let inf = from_bits(0x7f800000u);
  for (var j = 0u; j < MAX_K; j++) {
    bestVal[j] = inf;
    bestIdx[j] = -1;
  }
  let first = (params.flags & 1u) != 0u;
  let last = (params.flags & 2u) != 0u;
  if (!first && inRange) {
    for (var j = 0u; j < k; j++) {
      bestVal[j] = outVal[qi * k + j];
      bestIdx[j] = outIdx[qi * k + j];
    }
  }
  var acc: array<f32, TP>;

  for (var base = params.pStart; base < params.pEnd; base += TP) {
    let count = min(TP, params.pEnd - base);
    for (var p = 0u; p < TP; p++) {
      acc[p] = 0.0;
    }
    for (var d0 = 0u; d0 < dim; d0 += DC) {
      let dc = min(DC, dim - d0);
      workgroupBarrier();
      for (var t = lid; t < TP * DC; t += WG) {
        let p = t / DC;
        let j = t % DC;
        var v = 0.0;
        if (p < count && j < dc) {
          v = points[(base + p) * dim + d0 + j];
        }
        tile[t] = v;
      }
      workgroupBarrier();
      if (inRange) {
        for (var j = 0u; j < dc; j++) {
          let qv = queries[qStart + d0 + j];
          for (var p = 0u; p < TP; p++) {
            let diff = qv - tile[p * DC + j];
            acc[p] += diff * diff;
          }
        }
      }
    }
    if (inRange) {
      for (var p = 0u; p < count; p++) {
        let idx = base + p;
        if (params.exclude != 0u && idx == qi) {
          continue;
        }
        let dist = acc[p];
        if (!(dist < bestVal[k - 1u])) {
          continue;
        }
        // Insertion: shift the strictly larger entries right (equal ones keep their place).
        var at = k - 1u;
        while (at > 0u && bestVal[at - 1u] > dist) {
          bestVal[at] = bestVal[at - 1u];
          bestIdx[at] = bestIdx[at - 1u];
          at--;
        }
        bestVal[at] = dist;
        bestIdx[at] = i32(idx);
      }
    }
  }
  if (inRange) {
    for (var j = 0u; j < k; j++) {
      var v = bestVal[j];
      if (last && METRIC == 0u) {
        v = sqrt(v);
      } else if (last) {
        v = 0.5 * v;
      }
      outVal[qi * k + j] = v;
      outIdx[qi * k + j] = bestIdx[j];
    }
  }
}
