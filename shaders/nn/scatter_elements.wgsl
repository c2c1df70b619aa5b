// nn/scatter_elements.wgsl — ONNX ScatterElements (and Scatter): the output has data's shape,
// starts as data, and every update position c (of the indices' shape) writes or combines
// updates[c] into out[c with c[axis] replaced by idx(indices[c])]:
//   reduction none: replace (the last position along the axis wins, as a sequential loop does);
//   add / mul / max / min: out = out ⊕ update, in position order.
// idx adds axisLen to a negative index; an index still outside [0, axisLen) is skipped (ONNX calls
// it an error; the host validates indices it knows, nn/index_check.wgsl the others). Gathered
// formulation, no atomics: each output element is computed by one invocation that scans the
// update positions along the axis that share its other coordinates (positions outside the
// indices' shape have none).
// Also the gradient of GatherElements (add into zeros).
//
// Bindings (group 0):
//   0  data     storage, read        array<u32>  f32 or i32 bits, row-major, n elements
//   1  indices  storage, read        array<i32>  indices, row-major
//   2  updates  storage, read        array<u32>  same shape as indices, data's dtype
//   3  out      storage, read_write  array<u32>  n elements
//   4  geom     storage, read        array<i32>  [n, rank, axis, first, last, accumulate,
//                                                dataShape[rank], idxShape[rank],
//                                                idxStrides[rank]]
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked. The host
//   records one dispatch per span [first, last) of axis positions (spans of 4096: lavapipe has
//   returned zeros for ~10⁵-step loops); dispatches after the first set `accumulate` and start
//   from out instead of data (the same invocation index of a later dispatch: ordered, no race).
// Overrides: WG workgroup size (default 64); REDUCTION 0 none, 1 add, 2 mul, 3 max, 4 min;
//   INT 1 for i32 data (integer arithmetic, wrapping), 0 for f32.
// Numerics: f32 operations in position order (a sequential reference's order): add has
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
  let rank = u32(geom[1]);
  let axis = u32(geom[2]);
  let first = geom[3];
  let last = geom[4];
  var acc = data[i];
  if (geom[5] != 0) {
    acc = out[i];
  }
  // The update positions sharing this element's other coordinates start at `base`.
  var rest = i;
  var base = 0;
  var along = 0;
  var covered = true;
  for (var d = rank; d > 0u; d--) {
    let a = d - 1u;
    let dim = u32(geom[6u + a]);
    let c = i32(rest % dim);
    rest = rest / dim;
    if (a == axis) {
      along = c;
    } else if (c >= geom[6u + rank + a]) {
      covered = false;
    } else {
      base += c * geom[6u + 2u * rank + a];
    }
  }
  if (covered) {
    let len = geom[6u + axis];
    let step = geom[6u + 2u * rank + axis];
    for (var j = first; j < last; j++) {
      let at = base + j * step;
      var index = indices[at];
      if (index < 0) {
        index += len;
      }
      if (index == along) {
        acc = combine(acc, updates[at]);
      }
    }
  }
  out[i] = acc;
}
