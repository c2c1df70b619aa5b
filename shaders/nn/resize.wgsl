// nn/resize.wgsl — separable resampling as a gather through per-axis tap tables: ONNX Resize
// and Upsample (nearest, linear, cubic; every coordinate transformation), forward and backward.
//
// Every output element p (coordinates p_d) is
//   dst[p] = Σ over tap combinations (t_0, ..., t_m−1) of Π_k w_k(p_dk, t_k) · src[off(p, t)]
// where the host builds, for each non-identity axis k, a list of (source index, weight) taps per
// output coordinate (CSR), and off(p, t) = Σ_identity axes p_d·stride_d + Σ_k index_k·stride_k.
// An empty list on any axis makes dst[p] = fill (tf_crop_and_resize's extrapolation_value).
// The forward uses the interpolation's taps (1 for nearest, 2 for linear, 4 for cubic per axis;
// clamped to the edge, exclude_outside renormalized, zero weights dropped); the backward is the
// same kernel on the transposed tables: for each input coordinate the list of (output index,
// summed weight) pairs that read it — a gather over the contributing output positions, with no
// atomics, and exactly the transpose because the interpolation is separable. Identity axes
// (batch, channel, unresized) skip the tables.
//
// Bindings (group 0):
//   0  src    storage, read        array<f32>  the tensor gathered from (x, or dy backward)
//   1  dst    storage, read_write  array<f32>  n elements, row-major
//   2  table  storage, read        array<u32>  per table axis: offsets[dim + 1] (absolute word
//             positions of each coordinate's first tap), then taps as (index, bitcast weight)
//   3  geom   storage, read        array<u32>  [n, rank, bitcast fill, 0, then per axis d
//             (outermost first): dim_d (of dst), stride_d (in src), base_d (word position of
//             the axis's offsets in table, or IDENTITY)]
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked; source
//   offsets are checked against src's length.
// Overrides: WG workgroup size (default 64).
// Numerics: a sum of T = Π_k len_k products of m + 1 factors (the weights are f64 values rounded
//   to f32 on the host): |error| ≲ (T + 2m + 2)·u·Σ |Π w|·|src|, u = 2⁻²⁴.

override WG: u32 = 64u;

const MAX_AXES: u32 = 8u;
const IDENTITY: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read> geom: array<u32>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let n = geom[0];
  if (i >= n) {
    return;
  }
  let rank = geom[1];
  // Tap lists of the table axes (at most MAX_AXES; the host checks).
  var begin: array<u32, MAX_AXES>;
  var count: array<u32, MAX_AXES>;
  var stride: array<u32, MAX_AXES>;
  var m = 0u;
  var base = 0u;
  var combos = 1u;
  var rest = i;
  for (var d = rank; d > 0u; d--) {
    let g = 4u + 3u * (d - 1u);
    let dim = geom[g];
    let coord = rest % dim;
    rest = rest / dim;
    let at = geom[g + 2u];
    if (at == IDENTITY) {
      base += coord * geom[g + 1u];
    } else if (m < MAX_AXES) {
      let first = table[at + coord];
      begin[m] = first;
      count[m] = (table[at + coord + 1u] - first) / 2u;
      stride[m] = geom[g + 1u];
      combos *= count[m];
      m++;
    }
  }
  if (combos == 0u) {
    dst[i] = bitcast<f32>(geom[2]);
    return;
  }
  let limit = arrayLength(&src);
  var acc = 0.0;
  for (var c = 0u; c < combos; c++) {
    var r = c;
    var offset = base;
    var w = 1.0;
    for (var k = 0u; k < m; k++) {
      let e = begin[k] + 2u * (r % count[k]);
      r = r / count[k];
      offset += table[e] * stride[k];
      w *= bitcast<f32>(table[e + 1u]);
    }
    if (offset < limit) {
      acc += w * src[offset];
    }
  }
  dst[i] = acc;
}
