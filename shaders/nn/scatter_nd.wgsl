// nn/scatter_nd.wgsl — ONNX ScatterND (with an optional leading batch, for GatherND's
// gradient): data [B..., D_0..D_{q−1}, R...], indices [B..., I..., q], updates [B..., I..., R...].
// The output has data's shape and starts as data; with batch = ∏B, count = ∏I and inner = ∏R,
// each update slice updates[b, t, :] is written or combined into the data slice its index
// tuple names:
//   reduction none: replace (the last tuple wins, as a sequential loop does);
//   add / mul / max / min: out = out ⊕ update, in tuple order.
// idx adds D_r to a negative index; a tuple with an index still out of range is skipped (ONNX
// calls it an error; the host validates indices it knows, nn/index_check.wgsl the others).
// Gathered formulation, no atomics: each output element is one invocation's, which scans the
// tuples of its batch.
//
// Bindings (group 0):
//   0  data     storage, read        array<u32>  f32 or i32 bits, n = batch·dataBatchStride
//   1  indices  storage, read        array<i32>  batch·count·q
//   2  updates  storage, read        array<u32>  batch·count·inner, data's dtype
//   3  out      storage, read_write  array<u32>  n elements
//   4  geom     storage, read        array<i32>  [n, count, q, inner, dataBatchStride, first,
//                                                last, accumulate, dims[q], dimStrides[q]]
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked. The host
//   records one dispatch per span [first, last) of tuples (spans of 1024: lavapipe has returned
//   zeros for ~10⁵-step loops); dispatches after the first set `accumulate` and start from out
//   (the same invocation index of a later dispatch: ordered, no race).
// Overrides: WG workgroup size (default 64); REDUCTION 0 none, 1 add, 2 mul, 3 max, 4 min;
//   INT 1 for i32 data, 0 for f32.
// Loop bound: (last − first)·q per element.
// Numerics: f32 operations in tuple order (a sequential reference's order): add has
//   |error| ≤ terms·u·Σ|terms| (u = 2⁻²⁴); none, max and min are exact.

override WG: u32 = 64u;
override REDUCTION: u32 = 0u;
override INT: u32 = 0u;

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read> updates: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<storage, read> geom: array<i32>;

fn combine(a: u32, b: u32) -> u32 {
  if (REDUCTION == 0u) {
    return b;
  }
  if (INT == 1u) {
    let x = bitcast<i32>(a);
    let y = bitcast<i32>(b);
    var r = x + y;
    if (REDUCTION == 2u) {
      r = x * y;
    } else if (REDUCTION == 3u) {
      r = max(x, y);
    } else if (REDUCTION == 4u) {
      r = min(x, y);
    }
    return bitcast<u32>(r);
  }
  let x = bitcast<f32>(a);
  let y = bitcast<f32>(b);
  var r = x + y;
  if (REDUCTION == 2u) {
    r = x * y;
  } else if (REDUCTION == 3u) {
    r = max(x, y);
  } else if (REDUCTION == 4u) {
    r = min(x, y);
  }
  return bitcast<u32>(r);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let n = u32(geom[0]);
  if (i >= n) {
    return;
  }
  let count = u32(geom[1]);
  let q = u32(geom[2]);
  let inner = u32(geom[3]);
  let batchStride = u32(geom[4]);
  let first = u32(geom[5]);
  let last = u32(geom[6]);
  var acc = data[i];
  if (geom[7] != 0) {
    acc = out[i];
  }
  let b = i / batchStride;
  let within = i32(i % batchStride);
  let k = u32(within) % inner;
  let slot = within - i32(k);
  for (var t = first; t < last; t++) {
    let tuple = (b * count + t) * q;
    var offset = 0;
    var valid = true;
    for (var r = 0u; r < q; r++) {
      let len = geom[8u + r];
      var index = indices[tuple + r];
      if (index < 0) {
        index += len;
      }
      if (index < 0 || index >= len) {
        valid = false;
      }
      offset += index * geom[8u + q + r];
    }
    if (valid && offset == slot) {
      acc = combine(acc, updates[(b * count + t) * inner + k]);
    }
  }
  out[i] = acc;
}
