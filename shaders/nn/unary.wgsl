// nn/unary.wgsl — elementwise unary functions: y[i] = f(x[i]; alpha, beta).
//
// Bindings (group 0):
//   0  x       storage, read        array<f32>   n elements, row-major (shape irrelevant)
//   1  y       storage, read_write  array<f32>   n elements
//   2  params  uniform              Params       { n, alpha, beta }; alpha and beta are runtime
//                                                values, so one pipeline serves every setting
// Dispatch: ceil(n / WG) workgroups as a linear count, folded into 2-D/3-D by the engine past
//   maxComputeWorkgroupsPerDimension; the linear index is rebuilt from workgroup_id and
//   num_workgroups, and the tail (and the fold's surplus workgroups) is bounds-checked.
// Overrides: WG  workgroup size (default 64).
//            OP  which function; constant-folded by the compiler, so each OP is its own pipeline:
//                0 relu  1 sigmoid  2 tanh  3 gelu (erf)  4 exp  5 log  6 abs  7 neg  8 sqrt
//                9 gelu_tanh  10 erf  11 leaky_relu (alpha)  12 hard_sigmoid (alpha, beta)
//                13 hard_swish (alpha, beta)  14 clip (alpha = min, beta = max)  15 elu (alpha)
//                16 reciprocal  17 floor  18 ceil  19 softplus  20 sin  21 cos  22 round
//                23 sign
// Numerics: sigmoid and tanh only ever call exp on a non-positive argument, so they cannot
//   overflow to inf/inf = NaN for large |x|. erf is Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7
//   in exact arithmetic, about 2.5e-7 in f32), which bounds gelu's absolute error by ~2e-7·|x|.
//   log(0) and sqrt(<0) follow the platform: do not rely on -inf/NaN there (SwiftShader returns
//   -88 for log(0)).
//   clip is min(max(x, lo), hi): an absent bound arrives as ±inf in params (a runtime value;
//   Tint rejects infinite constants), lo > hi gives hi everywhere (as ONNX says), and a NaN
//   input stays NaN (detected by bit pattern: SwiftShader's max(NaN, lo) is lo).
//   softplus is max(x, 0) + log1p(exp(-|x|)): no overflow; log1p is a 6-term series below 1/16
//   (relative error < 1e-8), else log(1 + e) (absolute error 2^-21 per WGSL).
//   sin/cos: WGSL promises 2^-11 absolute error on [-π, π] only. round is half-to-even (WGSL's
//   round, ONNX's Round). elu uses exp(x) - 1: absolute, not relative, accuracy near 0.

override WG: u32 = 64u;
override OP: u32 = 0u;

struct Params {
  n: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const SQRT1_2: f32 = 0.70710678118654752;
const SQRT_2_OVER_PI: f32 = 0.79788456080286536;

fn erf_as(v: f32) -> f32 {
  // Abramowitz & Stegun 7.1.26.
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 +
    t * 1.061405429))));
  let r = 1.0 - poly * exp(-a * a);
  return select(r, -r, v < 0.0);
}

fn sigmoid_stable(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

fn tanh_stable(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  let r = (1.0 - e) / (1.0 + e);
  return select(-r, r, v >= 0.0);
}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// log(1 + e) for e in [0, 1].
fn log1p_unit(e: f32) -> f32 {
  if (e < 0.0625) {
    return e * (1.0 - e * (0.5 - e * (1.0 / 3.0 - e * (0.25 - e * (0.2 - e / 6.0)))));
  }
  return log(1.0 + e);
}

fn hard_sigmoid(v: f32) -> f32 {
  return clamp(params.alpha * v + params.beta, 0.0, 1.0);
}

fn apply(v: f32) -> f32 {
  switch OP {
    case 0u: { return max(v, 0.0); }
    case 1u: { return sigmoid_stable(v); }
    case 2u: { return tanh_stable(v); }
    case 3u: { return 0.5 * v * (1.0 + erf_as(v * SQRT1_2)); }
    case 4u: { return exp(v); }
    case 5u: { return log(v); }
    case 6u: { return abs(v); }
    case 7u: { return -v; }
    case 8u: { return sqrt(v); }
    case 9u: { return 0.5 * v * (1.0 + tanh_stable(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))); }
    case 10u: { return erf_as(v); }
    case 11u: { return select(params.alpha * v, v, v >= 0.0); }
    case 12u: { return hard_sigmoid(v); }
    case 13u: { return v * hard_sigmoid(v); }
    case 14u: { return select(min(max(v, params.alpha), params.beta), v, is_nan(v)); }
    case 15u: { return select(params.alpha * (exp(v) - 1.0), v, v > 0.0); }
    case 16u: { return 1.0 / v; }
    case 17u: { return floor(v); }
    case 18u: { return ceil(v); }
    case 19u: { return max(v, 0.0) + log1p_unit(exp(-abs(v))); }
    case 20u: { return sin(v); }
    case 21u: { return cos(v); }
    case 22u: { return round(v); }
    case 23u: { return sign(v); }
    default: { return v; }
  }
}

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
  y[i] = apply(x[i]);
}
