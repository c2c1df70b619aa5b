// attr/resize_bilinear.wgsl — bilinear resampling of P planes from h×w to H×W with half-pixel
// centers (PyTorch's `interpolate(mode='bilinear', align_corners=False)`, ONNX Resize's
// `half_pixel` with clamping): a source coordinate s = (d + 0.5)·(in / out) − 0.5, clamped at 0,
// blends the two neighbours floor(s) and min(floor(s) + 1, in − 1).
//
// Bindings (group 0):
//   0  x     storage, read        array<f32>  [P, h, w], row-major
//   1  y     storage, read_write  array<f32>  [P, H, W], row-major
//   2  geom  storage, read        array<u32>  [n = P·H·W, h, w, H, W]
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64).
// Numerics: two lerps per output, each a few ulp; the scale in/out is computed in f32 as
// PyTorch does.

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> geom: array<u32>;

// Source index pair and blend weight along one axis.
fn source(d: u32, size_in: u32, size_out: u32) -> vec3<f32> {
  let scale = f32(size_in) / f32(size_out);
  let s = max((f32(d) + 0.5) * scale - 0.5, 0.0);
  let i0 = min(u32(floor(s)), size_in - 1u);
  let i1 = min(i0 + 1u, size_in - 1u);
  return vec3<f32>(f32(i0), f32(i1), s - f32(i0));
}

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
  let h = geom[1];
  let w = geom[2];
  let H = geom[3];
  let W = geom[4];
  let ox = i % W;
  let oy = (i / W) % H;
  let p = i / (W * H);
  let sy = source(oy, h, H);
  let sx = source(ox, w, W);
  let base = p * h * w;
  let r0 = base + u32(sy.x) * w;
  let r1 = base + u32(sy.y) * w;
  let top = mix(x[r0 + u32(sx.x)], x[r0 + u32(sx.y)], sx.z);
  let bottom = mix(x[r1 + u32(sx.x)], x[r1 + u32(sx.y)], sx.z);
  y[i] = mix(top, bottom, sy.z);
}
