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
//                23 sign  24 selu (alpha, beta = gamma)  25 celu (alpha)  26 mish  27 softsign
//                28 thresholded_relu (alpha)  29 tan  30 atan  31 asin  32 acos  33 sinh
//                34 cosh  35 asinh  36 acosh  37 atanh  38 is_nan  39 is_inf (alpha ≠ 0:
//                detect −inf, beta ≠ 0: detect +inf); is_nan and is_inf write 1.0 or 0.0
// Numerics: sigmoid and tanh only ever call exp on a non-positive argument, so they cannot
//   overflow to inf/inf = NaN for large |x|. erf is Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7
//   in exact arithmetic, about 2.5e-7 in f32), which bounds gelu's absolute error by ~2e-7·|x|.
//   log gives −inf at ±0 and NaN below 0 by bit pattern (SwiftShader's log(0) is −88);
//   sqrt(<0) follows the platform (NaN on lavapipe and SwiftShader).
//   clip is min(max(x, lo), hi): an absent bound arrives as ±inf in params (a runtime value;
//   Tint rejects infinite constants), lo > hi gives hi everywhere (as ONNX says), and a NaN
//   input stays NaN (see NaN below).
//   softplus is max(x, 0) + log1p(exp(-|x|)): no overflow; log1p is a 6-term series below 1/16
//   (relative error < 1e-8), else log(1 + e) (absolute error 2^-21 per WGSL).
//   sin/cos: WGSL promises 2^-11 absolute error on [-π, π] only. round is half-to-even (WGSL's
//   round, ONNX's Round). elu uses exp(x) - 1: absolute, not relative, accuracy near 0.
//   selu and celu use expm1 (an 8-term series for |t| < 1/2, relative error < 2e-8; else
//   exp(t) − 1), so they keep relative accuracy near 0. mish is x·tanh(softplus(x)) rewritten
//   with t = exp(−|x|) as x·n/(n + 2), n = t(t + 2) for x ≤ 0 and x·(1 + 2t)/(1 + 2t + 2t²) for
//   x > 0: no overflow, no cancellation.
//   The inverse trigonometric and hyperbolic functions do not use WGSL's builtins, whose
//   accuracy is loose (atan 4096 ulp; asinh inherits log(x + sqrt(x² + 1)), which cancels for
//   negative x): they are Cephes' single-precision algorithms (range reduction + minimax
//   polynomials, a few ulp). tan reduces by π/4 in three parts (Cody–Waite; exact products for
//   |x| < 8192, beyond which WGSL's tan is used). sinh and cosh use exp(|x|/2)² so that they
//   overflow only where the result does. asin, acos, acosh and atanh outside their domain give
//   NaN, atanh(±1) ±inf (bit patterns, not IEEE arithmetic).
//   is_nan/is_inf test bit patterns (SwiftShader's NaN comparisons are not IEEE).
//   NaN: every function but is_nan/is_inf returns a NaN input unchanged (bit-pattern test in
//   main), as IEEE arithmetic and PyTorch do: relu, hard_sigmoid, sign, thresholded_relu and
//   clip included (PyTorch 1.13's sign(NaN) is 0; numpy's, onnxruntime's and ours are NaN).

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

// Runtime bit casts: Tint rejects a constant expression whose value is NaN or ±inf.
fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}

const NAN_BITS: u32 = 0x7fc00000u;
const INF_BITS: u32 = 0x7f800000u;
const PI: f32 = 3.14159265358979324;
const PIO2: f32 = 1.57079632679489662;
const PIO4: f32 = 0.78539816339744831;
const LN2: f32 = 0.69314718055994531;

// exp(t) − 1 with relative accuracy near 0.
fn expm1_small(t: f32) -> f32 {
  if (abs(t) < 0.5) {
    return t * (1.0 + t * (0.5 + t * (1.0 / 6.0 + t * (1.0 / 24.0 + t * (1.0 / 120.0 +
      t * (1.0 / 720.0 + t * (1.0 / 5040.0 + t / 40320.0)))))));
  }
  return exp(t) - 1.0;
}

// x·tanh(softplus(x)), overflow- and cancellation-free.
fn mish(v: f32) -> f32 {
  let t = exp(-abs(v));
  if (v <= 0.0) {
    let n = t * (t + 2.0);
    return v * n / (n + 2.0);
  }
  let p = 1.0 + 2.0 * t;
  return v * p / (p + 2.0 * t * t);
}

// Cephes tanf: reduce by multiples of π/4 (three-part Cody–Waite), polynomial on [−π/4, π/4].
fn tan_c(v: f32) -> f32 {
  let a = abs(v);
  if (!(a < 8192.0)) {
    return tan(v); // huge, inf or NaN: the platform's
  }
  var j = u32(a * 1.27323954473516);
  var y = f32(j);
  if ((j & 1u) == 1u) {
    j += 1u;
    y += 1.0;
  }
  let z = ((a - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let zz = z * z;
  var r = ((((((9.38540185543e-3 * zz + 3.11992232697e-3) * zz + 2.44301354525e-2) * zz +
    5.34112807005e-2) * zz + 1.33387994085e-1) * zz + 3.33331568548e-1) * zz * z) + z;
  if ((j & 2u) != 0u) {
    r = -1.0 / r;
  }
  return select(r, -r, v < 0.0);
}

// Cephes atanf.
fn atan_c(v: f32) -> f32 {
  let a = abs(v);
  var y = 0.0;
  var x = a;
  if (a > 2.414213562373095) {
    y = PIO2;
    x = -1.0 / a;
  } else if (a > 0.4142135623730950) {
    y = PIO4;
    x = (a - 1.0) / (a + 1.0);
  }
  let z = x * x;
  y += (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z -
    3.33329491539e-1) * z * x + x;
  return select(y, -y, v < 0.0);
}

// Cephes asinf; NaN outside [−1, 1].
fn asin_c(v: f32) -> f32 {
  let a = abs(v);
  if (!(a <= 1.0)) {
    return from_bits(NAN_BITS);
  }
  var x = a;
  var z = a * a;
  let far = a > 0.5;
  if (far) {
    z = 0.5 * (1.0 - a);
    x = sqrt(z);
  }
  var r = ((((4.2163199048e-2 * z + 2.4181311049e-2) * z + 4.5470025998e-2) * z +
    7.4953002686e-2) * z + 1.6666752422e-1) * z * x + x;
  if (far) {
    r = PIO2 - (r + r);
  }
  return select(r, -r, v < 0.0);
}

// Cephes acosf; NaN outside [−1, 1].
fn acos_c(v: f32) -> f32 {
  if (!(abs(v) <= 1.0)) {
    return from_bits(NAN_BITS);
  }
  if (v < -0.5) {
    return PI - 2.0 * asin_c(sqrt(0.5 * (1.0 + v)));
  }
  if (v > 0.5) {
    return 2.0 * asin_c(sqrt(0.5 * (1.0 - v)));
  }
  return PIO2 - asin_c(v);
}

// Cephes sinhf, with exp(|x|/2)² so that it overflows only where sinh does.
fn sinh_c(v: f32) -> f32 {
  let a = abs(v);
  var r: f32;
  if (a > 1.0) {
    let e = exp(0.5 * a);
    r = (0.5 * e) * e - 0.5 / (e * e);
  } else {
    let z = a * a;
    r = ((2.03721912945e-4 * z + 8.33028376239e-3) * z + 1.66667160211e-1) * z * a + a;
  }
  return select(r, -r, v < 0.0);
}

fn cosh_c(v: f32) -> f32 {
  let e = exp(0.5 * abs(v));
  return (0.5 * e) * e + 0.5 / (e * e);
}

// Cephes asinhf.
fn asinh_c(v: f32) -> f32 {
  let a = abs(v);
  var r: f32;
  if (a > 1500.0) {
    r = log(a) + LN2;
  } else if (a < 0.5) {
    let z = a * a;
    r = (((2.0122003309e-2 * z - 4.2699340972e-2) * z + 7.4847586088e-2) * z -
      1.6666288134e-1) * z * a + a;
  } else {
    r = log(a + sqrt(a * a + 1.0));
  }
  return select(r, -r, v < 0.0);
}

// Cephes acoshf; NaN below 1.
fn acosh_c(v: f32) -> f32 {
  if (!(v >= 1.0)) {
    return from_bits(NAN_BITS);
  }
  if (v > 1500.0) {
    return log(v) + LN2;
  }
  let z = v - 1.0;
  if (z < 0.5) {
    return ((((1.7596881071e-3 * z - 7.5272886713e-3) * z + 2.6454905019e-2) * z -
      1.1784741703e-1) * z + 1.4142135263) * sqrt(z);
  }
  return log(v + sqrt(z * (v + 1.0)));
}

// Cephes atanhf; ±inf at ±1, NaN beyond.
fn atanh_c(v: f32) -> f32 {
  let a = abs(v);
  if (!(a < 1.0)) {
    if (a == 1.0) {
      return select(from_bits(INF_BITS), -from_bits(INF_BITS), v < 0.0);
    }
    return from_bits(NAN_BITS);
  }
  if (a < 0.5) {
    let z = v * v;
    return ((((1.81740078349e-1 * z + 8.24370301058e-2) * z + 1.46691431730e-1) * z +
      1.99782164500e-1) * z + 3.33337300303e-1) * z * v + v;
  }
  return 0.5 * log((1.0 + v) / (1.0 - v));
}

// log with IEEE's edges (SwiftShader's log(0) is −88): −inf at ±0, NaN below 0.
fn log_ieee(v: f32) -> f32 {
  let bits = bitcast<u32>(v);
  let r = select(log(v), from_bits(NAN_BITS), bits > 0x80000000u);
  return select(r, -from_bits(INF_BITS), (bits & 0x7fffffffu) == 0u);
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
    case 5u: { return log_ieee(v); }
    case 6u: { return abs(v); }
    case 7u: { return -v; }
    case 8u: { return sqrt(v); }
    case 9u: { return 0.5 * v * (1.0 + tanh_stable(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))); }
    case 10u: { return erf_as(v); }
    case 11u: { return select(params.alpha * v, v, v >= 0.0); }
    case 12u: { return hard_sigmoid(v); }
    case 13u: { return v * hard_sigmoid(v); }
    case 14u: { return min(max(v, params.alpha), params.beta); }
    case 15u: { return select(params.alpha * (exp(v) - 1.0), v, v > 0.0); }
    case 16u: { return 1.0 / v; }
    case 17u: { return floor(v); }
    case 18u: { return ceil(v); }
    case 19u: { return max(v, 0.0) + log1p_unit(exp(-abs(v))); }
    case 20u: { return sin(v); }
    case 21u: { return cos(v); }
    case 22u: { return round(v); }
    case 23u: { return sign(v); }
    case 24u: { return params.beta * select(params.alpha * expm1_small(v), v, v > 0.0); }
    case 25u: { return select(params.alpha * expm1_small(v / params.alpha), v, v > 0.0); }
    case 26u: { return mish(v); }
    case 27u: { return v / (1.0 + abs(v)); }
    case 28u: { return select(0.0, v, v > params.alpha); }
    case 29u: { return tan_c(v); }
    case 30u: { return atan_c(v); }
    case 31u: { return asin_c(v); }
    case 32u: { return acos_c(v); }
    case 33u: { return sinh_c(v); }
    case 34u: { return cosh_c(v); }
    case 35u: { return asinh_c(v); }
    case 36u: { return acosh_c(v); }
    case 37u: { return atanh_c(v); }
    case 38u: { return select(0.0, 1.0, is_nan(v)); }
    case 39u: {
      let bits = bitcast<u32>(v);
      let hit = (bits == INF_BITS && params.beta != 0.0) ||
        (bits == (INF_BITS | 0x80000000u) && params.alpha != 0.0);
      return select(0.0, 1.0, hit);
    }
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
  let v = x[i];
  // NaN in, NaN out (the input's own bits), for every function but is_nan/is_inf: max, min,
  // clamp, sign and comparisons may drop a NaN on some platforms (lavapipe's max(NaN, 0) is 0),
  // so the input is tested by bit pattern instead of trusting IEEE arithmetic.
  y[i] = select(apply(v), v, OP < 38u && is_nan(v));
}
