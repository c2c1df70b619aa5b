// nn/lrn.wgsl — ONNX LRN (local response normalization across channels), forward and
// backward. For x [N, C, ...] (viewed as [N, C, inner]) and each element at channel c:
//   s_c = bias + (alpha / size)·Σ_{j ∈ W(c)} x_j²,  W(c) = [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] ∩ [0, C)
//   y_c = x_c · s_c^(−beta)
// Backward, with t_c = g_c·x_c·s_c^(−beta−1) (pass `backward_terms`):
//   dx_k = g_k·s_k^(−beta) − (2·alpha·beta / size)·x_k·Σ_{c : k ∈ W(c)} t_c
// where {c : k ∈ W(c)} = [k − ⌈(size−1)/2⌉, k + ⌊(size−1)/2⌋] ∩ [0, C) (pass `backward_dx`).
//
// Bindings (group 0):
//   0  params  uniform              Params      { n, channels, inner, size, alpha, beta, bias }
//   1  x       storage, read        array<f32>  n = N·C·inner, row-major
//   2  out     storage, read_write  array<f32>  y (forward), t (backward_terms), dx (backward_dx)
//   3  g       storage, read        array<f32>  dL/dy (backward passes only)
//   4  t       storage, read        array<f32>  the terms (backward_dx only)
// Entry points: forward (0–2), backward_terms (0–3), backward_dx (0–4).
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64).
// Numerics: the window sum has `size` non-negative terms, relative error ≲ size·u; pow is
//   exp2(e·log2 s) in WGSL (log2 absolute error 2⁻²¹ near 1, exp2 3 + 2|e·log2 s| ulp), so
//   |error of y| ≲ (size + 8·|beta| + 2|beta·log2 s| + 6)·u·|y|.

override WG: u32 = 64u;

struct Params {
  n: u32,
  channels: u32,
  inner: u32,
  size: u32,
  alpha: f32,
  beta: f32,
  bias: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read> t: array<f32>;

fn linear_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
}

// bias + alpha/size · Σ x² over the window W(c) of element i.
fn window_scale(i: u32) -> f32 {
  let inner = params.inner;
  let c = (i / inner) % params.channels;
  let base = i - c * inner;
  let before = (params.size - 1u) / 2u;
  let after = params.size / 2u; // ⌈(size − 1)/2⌉
  let first = select(0u, c - before, c >= before);
  let last = min(params.channels - 1u, c + after);
  var s = 0.0;
  for (var j = first; j <= last; j++) {
    let v = x[base + j * inner];
    s += v * v;
  }
  return params.bias + params.alpha / f32(params.size) * s;
}

@compute @workgroup_size(WG)
fn forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = linear_index(wid, nwg, lid);
  if (i >= params.n) {
    return;
  }
  out[i] = x[i] * pow(window_scale(i), -params.beta);
}

@compute @workgroup_size(WG)
fn backward_terms(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = linear_index(wid, nwg, lid);
  if (i >= params.n) {
    return;
  }
  out[i] = g[i] * x[i] * pow(window_scale(i), -params.beta - 1.0);
}

@compute @workgroup_size(WG)
fn backward_dx(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = linear_index(wid, nwg, lid);
  if (i >= params.n) {
    return;
  }
  let inner = params.inner;
  let k = (i / inner) % params.channels;
  let base = i - k * inner;
  // The channels whose window holds k.
  let before = params.size / 2u;
  let after = (params.size - 1u) / 2u;
  let first = select(0u, k - before, k >= before);
  let last = min(params.channels - 1u, k + after);
  var s = 0.0;
  for (var c = first; c <= last; c++) {
    s += t[base + c * inner];
  }
  let factor = 2.0 * params.alpha * params.beta / f32(params.size);
  out[i] = g[i] * pow(window_scale(i), -params.beta) - factor * x[i] * s;
}
