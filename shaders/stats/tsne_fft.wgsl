// stats/tsne_fft.wgsl — in-place complex FFT of the L lines (rows or columns) of an L×L array,
// one workgroup per line: the line is loaded into workgroup memory in bit-reversed order and
// transformed by log2(L) radix-2 decimation-in-time stages separated by barriers (Cooley–Tukey),
// then written back, times `scale`. Two dispatches (rows, then columns) make a 2-D FFT; t-SNE's
// gridded repulsion (`tsne_grid.wgsl`) uses it for the circular convolution of the zero-padded
// charge grid with the kernel grids.
//
// Bindings (group 0):
//   0  data    storage, read_write  array<vec2<f32>>  [L·L] complex (re, im), row-major
//   1  params  uniform              Params            { len, logLen, lineStride, elemStride,
//                                                     sign, scale }: element e of line l is
//                                                     data[l·lineStride + e·elemStride];
//                                                     sign −1 forward, +1 inverse
// Dispatch: L workgroups (L ≤ 1024 < the per-dimension limit, so never folded); every
//   invocation reaches every barrier (the loops depend only on uniform values).
// Overrides: WG (invocations per workgroup, default 256).
// Numerics: f32; twiddles cos/sin(2π·pos/m) computed per butterfly (argument error ≤ π·u), so
//   the transform's error is O(log2(L)·u) relative to the line's L2 norm. Each invocation
//   does at most L / (2·WG) butterflies per stage: bounded work.

override WG: u32 = 256u;
const MAX_LEN: u32 = 1024u;
const TWO_PI: f32 = 6.283185307179586;

struct Params {
  len: u32,
  logLen: u32,
  lineStride: u32,
  elemStride: u32,
  sign: f32,
  scale: f32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> data: array<vec2<f32>>;
@group(0) @binding(1) var<uniform> params: Params;

var<workgroup> line: array<vec2<f32>, MAX_LEN>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let len = params.len;
  let base = wid.x * params.lineStride;
  let shift = 32u - params.logLen;
  for (var e = lid; e < len; e += WG) {
    line[reverseBits(e) >> shift] = data[base + e * params.elemStride];
  }
  workgroupBarrier();
  for (var s = 1u; s <= params.logLen; s++) {
    let halfM = 1u << (s - 1u);
    for (var t = lid; t < len / 2u; t += WG) {
      let pos = t & (halfM - 1u);
      let i0 = (t >> (s - 1u)) * (2u * halfM) + pos;
      let i1 = i0 + halfM;
      let angle = params.sign * TWO_PI * f32(pos) / f32(2u * halfM);
      let w = vec2<f32>(cos(angle), sin(angle));
      let a = line[i0];
      let b = line[i1];
      let wb = vec2<f32>(w.x * b.x - w.y * b.y, w.x * b.y + w.y * b.x);
      line[i0] = a + wb;
      line[i1] = a - wb;
    }
    workgroupBarrier();
  }
  for (var e = lid; e < len; e += WG) {
    data[base + e * params.elemStride] = line[e] * params.scale;
  }
}
