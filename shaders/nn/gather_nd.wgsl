// nn/gather_nd.wgsl — ONNX GatherND with batch_dims b: data [B..., D_0..D_{q−1}, R...], indices
// [B..., I..., q], output [B..., I..., R...]. With batch = ∏B, count = ∏I index tuples per batch
// and inner = ∏R, the output viewed as [batch, count, inner] is
//   out[b, t, k] = data[b, idx(indices[b, t, 0]), …, idx(indices[b, t, q−1]), k],
// where idx adds D_r to a negative index and clamps into [0, D_r − 1] (ONNX calls an out-of-range
// index an error; the host validates indices it knows on the CPU, nn/index_check.wgsl the others
// before this runs; the kernel never reads outside data).
// With LAST_WRITER = 1 it computes the gradient of ScatterND (reduction none) with respect to
// `updates`: tuple t of batch b gets its slice only if no later tuple of that batch names the
// same position (the last write wins); else 0.
//
// Bindings (group 0):
//   0  data     storage, read        array<u32>  f32 or i32 bits, batch·dataBatchStride
//   1  indices  storage, read        array<i32>  batch·count·q
//   2  out      storage, read_write  array<u32>  n = batch·count·inner
//   3  geom     storage, read        array<i32>  [n, count, q, inner, dataBatchStride,
//                                                dims[q], dimStrides[q]]; every dim ≥ 1
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64); LAST_WRITER 0 or 1.
// Loop bound: q per element; with LAST_WRITER also (count − t)·q.
// Numerics: a copy; exact (raw bits: one pipeline serves f32 and i32).

override WG: u32 = 64u;
override LAST_WRITER: u32 = 0u;

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<storage, read> geom: array<i32>;

fn wrapIndex(v: i32, len: i32) -> i32 {
  var t = v;
  if (t < 0) {
    t += len;
  }
  return clamp(t, 0, len - 1);
}

// The offset of tuple `tuple` (its first index's position in `indices`) inside one batch.
fn tupleOffset(tuple: u32, q: u32) -> i32 {
  var offset = 0;
  for (var r = 0u; r < q; r++) {
    offset += wrapIndex(indices[tuple + r], geom[5u + r]) * geom[5u + q + r];
  }
  return offset;
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
  let k = i % inner;
  let row = i / inner;
  let t = row % count;
  let b = row / count;
  let offset = tupleOffset(row * q, q);
  let src = i32(b) * geom[4] + offset + i32(k);
  if (src < 0 || u32(src) >= arrayLength(&data)) {
    out[i] = 0u;
    return;
  }
  if (LAST_WRITER == 1u) {
    for (var later = t + 1u; later < count; later++) {
      if (tupleOffset((b * count + later) * q, q) == offset) {
        out[i] = 0u;
        return;
      }
    }
  }
  out[i] = data[u32(src)];
}
