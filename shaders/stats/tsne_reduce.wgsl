// stats/tsne_reduce.wgsl — the two global reductions of a t-SNE iteration, in one workgroup:
//   MODE 0 (grid): the bounding box of the embedding → the grid geometry for `tsne_grid.wgsl`:
//     h = max(span_x, span_y, 1e-3) / (G − 3), origin = min − h (one empty cell of margin), so
//     all points fall in the interior and the node grid covers them with the same h on both axes.
//   MODE 1 (Z): Z = Σ_i S_i, the normalization of q_ij = w_ij / Z, from the gradient sums.
//
// Bindings (group 0):
//   0  src      storage, read        array<f32>  MODE 0: [N, 2] embedding; MODE 1: [N, 5] stats
//   1  scalars  storage, read_write  array<f32>  [8] ox, oy, h (MODE 0 writes), Z (MODE 1)
//   2  params   uniform              Params      { n, g }
// Dispatch: 1 workgroup. Each invocation strides over ceil(N / WG) points (at N = 1M: 4096
//   steps, bounded), then a tree reduction in workgroup memory.
// Overrides: WG (power of two, default 256), MODE.
// Numerics: f32 partial sums over N / WG points, then a pairwise tree: relative error
//   O((N / WG + log WG)·u).

override WG: u32 = 256u;
override MODE: u32 = 0u;

struct Params {
  n: u32,
  g: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> scalars: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> lo: array<vec2<f32>, WG>;
var<workgroup> hi: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let n = params.n;
  if (MODE == 0u) {
    var a = vec2<f32>(src[0], src[1]);
    var b = a;
    for (var i = lid; i < n; i += WG) {
      let p = vec2<f32>(src[2u * i], src[2u * i + 1u]);
      a = min(a, p);
      b = max(b, p);
    }
    lo[lid] = a;
    hi[lid] = b;
  } else {
    var s = 0.0;
    for (var i = lid; i < n; i += WG) {
      s += src[5u * i + 4u];
    }
    lo[lid] = vec2<f32>(s, 0.0);
  }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      if (MODE == 0u) {
        lo[lid] = min(lo[lid], lo[lid + stride]);
        hi[lid] = max(hi[lid], hi[lid + stride]);
      } else {
        lo[lid] += lo[lid + stride];
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    if (MODE == 0u) {
      let span = hi[0] - lo[0];
      let h = max(max(span.x, span.y), 1e-3) / f32(params.g - 3u);
      scalars[0] = lo[0].x - h;
      scalars[1] = lo[0].y - h;
      scalars[2] = h;
    } else {
      scalars[3] = lo[0].x;
    }
  }
}
