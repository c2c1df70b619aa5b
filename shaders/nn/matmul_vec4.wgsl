// nn/matmul_vec4.wgsl — batched matrix product C[b] = A[b] · B[b] with vec4 loads and stores,
// for K % 4 == 0 and N % 4 == 0, neither operand transposed (nn/matmul.wgsl covers the rest); as
// there, the operands are M×K, K×N and M×N blocks of larger row-major matrices (leading
// dimensions lda, ldb, ldc, multiples of 4), written to C or added to it.
//
// Bindings (group 0):
//   0  a        storage, read        array<vec4<f32>>  A: per batch an M×K block, row m at m·lda
//   1  b        storage, read        array<vec4<f32>>  B: per batch a K×N block, row k at k·ldb
//   2  c        storage, read_write  array<vec4<f32>>  C: per batch an M×N block, row m at m·ldc
//   3  dims     uniform              Dims              { M, N, K, batch, tilesX, tilesY, lda,
//                                                      ldb, ldc, accumulate }, leading
//                                                      dimensions in f32 elements
//   4  offsets  storage, read        array<u32>        [aOffset, bOffset, cOffset] per batch, in
//                                                      f32 elements from the start of each
//                                                      binding (multiples of 4: the host keeps
//                                                      blocks and bound ranges on vec4 bounds)
// Dispatch: as nn/matmul.wgsl: tilesX·tilesY·batch workgroups, linear, folded by the engine.
// Tiling: a 32×32 tile of C per workgroup of 64 invocations; each computes 4 rows × one vec4 of
//   columns; K in slabs of 16 staged in workgroup memory (A as scalars [BK][BM], B as vec4
//   [BK][BN/4]). Rows past M load 0 and are not stored; K and N need no column checks beyond the
//   vec4 granularity, which the preconditions make exact.
// Numerics: as nn/matmul.wgsl (f32 accumulation in k order, error ≤ K·u·Σ|a·b|).

const BM: u32 = 32u;
const BN4: u32 = 8u; // BN = 32 columns = 8 vec4
const BK: u32 = 16u;
const THREADS: u32 = 64u;

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  batch: u32,
  tilesX: u32,
  tilesY: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> offsets: array<u32>;

var<workgroup> tileA: array<f32, 512>; // [BK][BM]
var<workgroup> tileB: array<vec4<f32>, 128>; // [BK][BN4]

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let tile = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let tilesPerBatch = dims.tilesX * dims.tilesY;
  if (tile >= tilesPerBatch * dims.batch) {
    return;
  }
  let batch = tile / tilesPerBatch;
  let t = tile % tilesPerBatch;
  let row0 = (t / dims.tilesX) * BM;
  let col4 = (t % dims.tilesX) * BN4;
  let aBase = offsets[3u * batch] / 4u;
  let bBase = offsets[3u * batch + 1u] / 4u;
  let K4 = dims.K / 4u;
  let N4 = dims.N / 4u;
  let lda4 = dims.lda / 4u;
  let ldb4 = dims.ldb / 4u;
  let ldc4 = dims.ldc / 4u;
  let tx = li % 8u;
  let ty = li / 8u;

  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < dims.K; k0 += BK) {
    // A slab: BM rows × BK/4 vec4 = 128 vec4, two per invocation.
    for (var i = li; i < BM * (BK / 4u); i += THREADS) {
      let m = i / (BK / 4u);
      let kq = i % (BK / 4u);
      let row = row0 + m;
      let kv = k0 / 4u + kq;
      var v = vec4<f32>(0.0);
      if (row < dims.M && kv < K4) {
        v = a[aBase + row * lda4 + kv];
      }
      let k = kq * 4u;
      tileA[(k + 0u) * BM + m] = v.x;
      tileA[(k + 1u) * BM + m] = v.y;
      tileA[(k + 2u) * BM + m] = v.z;
      tileA[(k + 3u) * BM + m] = v.w;
    }
    // B slab: BK rows × BN4 vec4 = 128 vec4, two per invocation.
    for (var i = li; i < BK * BN4; i += THREADS) {
      let k = i / BN4;
      let nq = i % BN4;
      var v = vec4<f32>(0.0);
      if (k0 + k < dims.K && col4 + nq < N4) {
        v = b[bBase + (k0 + k) * ldb4 + col4 + nq];
      }
      tileB[k * BN4 + nq] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      let bv = tileB[k * BN4 + tx];
      for (var r = 0u; r < 4u; r++) {
        acc[r] += tileA[k * BM + ty * 4u + r] * bv;
      }
    }
    workgroupBarrier();
  }

  let cBase = offsets[3u * batch + 2u] / 4u;
  let n4 = col4 + tx;
  if (n4 < N4) {
    for (var r = 0u; r < 4u; r++) {
      let m = row0 + ty * 4u + r;
      if (m < dims.M) {
        let i = cBase + m * ldc4 + n4;
        if (dims.accumulate != 0u) {
          c[i] += acc[r];
        } else {
          c[i] = acc[r];
        }
      }
    }
  }
}
