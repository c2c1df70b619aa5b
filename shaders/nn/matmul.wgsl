// nn/matmul.wgsl — batched matrix product C[b] = op(A[b]) · op(B[b]), op = identity or transpose,
// of M×K and K×N blocks of larger row-major matrices (leading dimensions lda, ldb, ldc), written
// to C or added to it. The general kernel: any M, N, K (including 1 and non-multiples of the
// tile), either operand transposed. nn/matmul_vec4.wgsl is used instead when K and N are
// multiples of 4 and nothing is transposed.
//
// Bindings (group 0):
//   0  a        storage, read        array<f32>  A: per batch an M×K block, row m at m·lda (a K×M
//                                                block, row k at k·lda, if TRANS_A)
//   1  b        storage, read        array<f32>  B: per batch a K×N block, row k at k·ldb (N×K,
//                                                row n at n·ldb, if TRANS_B)
//   2  c        storage, read_write  array<f32>  C: per batch an M×N block, row m at m·ldc
//   3  dims     uniform              Dims        { M, N, K, batch, tilesX, tilesY, lda, ldb, ldc,
//                                                accumulate }
//   4  offsets  storage, read        array<u32>  [aOffset, bOffset, cOffset] per batch, in
//                                                elements from the start of each binding: how
//                                                broadcast batch dimensions and blocks of a
//                                                bigger matrix (or of a bound sub-range of its
//                                                buffer) are expressed
// Blocks: an operand over the binding limit is bound as a sub-range of its buffer, and the host
//   splits the product (src/ops/matmul.ts): K into slabs whose rows of B are contiguous, adding
//   each slab's product into C (accumulate = 1 after the first), M or N into bands.
// Dispatch: tilesX·tilesY·batch workgroups (tilesX = ceil(N/32), tilesY = ceil(M/32)) as a
//   linear count folded by the engine; workgroup w handles batch w / (tilesX·tilesY). Surplus
//   workgroups of a folded grid return before any barrier (uniform control flow).
// Tiling: a 32×32 tile of C per workgroup of 64 invocations (8×8), 4×4 outputs per invocation;
//   K is walked in slabs of 16 staged in workgroup memory (2 × 2 KiB). Loads past M, N or K
//   store 0, so partial tiles need no special case.
// Overrides: TRANS_A, TRANS_B.
// Numerics: plain f32 accumulation in k order (per K block, then block sums added in order); the
//   error is bounded by K·u·Σ|a·b| (u = 2^-24).

override TRANS_A: bool = false;
override TRANS_B: bool = false;

const BM: u32 = 32u;
const BN: u32 = 32u;
const BK: u32 = 16u;
const TM: u32 = 4u;
const TN: u32 = 4u;
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

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> offsets: array<u32>;

var<workgroup> tileA: array<f32, 512>; // [BK][BM]
var<workgroup> tileB: array<f32, 512>; // [BK][BN]

fn loadA(base: u32, m: u32, k: u32) -> f32 {
  if (m >= dims.M || k >= dims.K) {
    return 0.0;
  }
  if (TRANS_A) {
    return a[base + k * dims.lda + m];
  }
  return a[base + m * dims.lda + k];
}

fn loadB(base: u32, k: u32, n: u32) -> f32 {
  if (k >= dims.K || n >= dims.N) {
    return 0.0;
  }
  if (TRANS_B) {
    return b[base + n * dims.ldb + k];
  }
  return b[base + k * dims.ldb + n];
}

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
  let col0 = (t % dims.tilesX) * BN;
  let aBase = offsets[3u * batch];
  let bBase = offsets[3u * batch + 1u];
  let tx = li % 8u;
  let ty = li / 8u;

  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < dims.K; k0 += BK) {
    // Stage the A and B slabs; consecutive invocations read consecutive addresses.
    for (var i = li; i < BM * BK; i += THREADS) {
      var m: u32;
      var k: u32;
      if (TRANS_A) {
        k = i / BM;
        m = i % BM;
      } else {
        m = i / BK;
        k = i % BK;
      }
      tileA[k * BM + m] = loadA(aBase, row0 + m, k0 + k);
    }
    for (var i = li; i < BK * BN; i += THREADS) {
      var k: u32;
      var n: u32;
      if (TRANS_B) {
        n = i / BK;
        k = i % BK;
      } else {
        k = i / BN;
        n = i % BN;
      }
      tileB[k * BN + n] = loadB(bBase, k0 + k, col0 + n);
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var r = 0u; r < TM; r++) {
        av[r] = tileA[k * BM + ty * TM + r];
      }
      for (var s = 0u; s < TN; s++) {
        bv[s] = tileB[k * BN + tx * TN + s];
      }
      for (var r = 0u; r < TM; r++) {
        for (var s = 0u; s < TN; s++) {
          acc[r * TN + s] += av[r] * bv[s];
        }
      }
    }
    workgroupBarrier();
  }

  let cBase = offsets[3u * batch + 2u];
  for (var r = 0u; r < TM; r++) {
    let m = row0 + ty * TM + r;
    for (var s = 0u; s < TN; s++) {
      let n = col0 + tx * TN + s;
      if (m < dims.M && n < dims.N) {
        let i = cBase + m * dims.ldc + n;
        if (dims.accumulate != 0u) {
          c[i] += acc[r * TN + s];
        } else {
          c[i] = acc[r * TN + s];
        }
      }
    }
  }
}
