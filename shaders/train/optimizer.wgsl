// train/optimizer.wgsl — one optimizer step on a parameter tensor, elementwise, with PyTorch's
// update rules (torch.optim.SGD, Adam, AdamW; no dampening, no Nesterov, no AMSGrad):
//
//   KIND 0  SGD with momentum  g' = g + λ·p;  m = μ·m + g';  p −= lr·m
//                              (μ = 0 gives plain SGD: m = g')
//   KIND 1  Adam (L2 decay)    g' = g + λ·p;  m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²
//                              p −= (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
//   KIND 2  AdamW (decoupled)  p ·= 1 − lr·λ;  then Adam with g' = g
//
// Bindings (group 0):
//   0  p       storage, read_write  array<f32>  parameters, n
//   1  g       storage, read        array<f32>  gradient, n
//   2  m       storage, read_write  array<f32>  first moment / momentum buffer, n (zeros at t=0)
//   3  v       storage, read_write  array<f32>  second moment, n (Adam; unused by SGD)
//   4  params  uniform              Params
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; the tail returns early.
// Numerics: the bias corrections are computed on the CPU in f64 (stepSize = lr/(1−β1ᵗ),
//   rootC2 = √(1−β2ᵗ)) and passed as f32, the order PyTorch uses; ε is added after the root.

override WG: u32 = 64u;
override KIND: u32 = 0u;

struct Params {
  n: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  lr: f32,
  momentum: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  decay: f32,
  stepSize: f32,
  rootC2: f32,
}

@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  if (i >= params.n) {
    return;
  }
  var w = p[i];
  var grad = g[i];
  if (KIND == 0u) {
    grad += params.decay * w;
    let mom = params.momentum * m[i] + grad;
    m[i] = mom;
    p[i] = w - params.lr * mom;
    return;
  }
  if (KIND == 2u) {
    w = w * (1.0 - params.lr * params.decay);
  } else {
    grad += params.decay * w;
  }
  let m1 = params.beta1 * m[i] + (1.0 - params.beta1) * grad;
  let v1 = params.beta2 * v[i] + (1.0 - params.beta2) * grad * grad;
  m[i] = m1;
  v[i] = v1;
  p[i] = w - params.stepSize * m1 / (sqrt(v1) / params.rootC2 + params.eps);
}
