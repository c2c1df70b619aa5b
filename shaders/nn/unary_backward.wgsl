// nn/unary_backward.wgsl — vector-Jacobian product of the elementwise unary functions of
// nn/unary.wgsl: dx[i] = dy[i] · f'(x[i]; alpha, beta).
//
// Bindings (group 0):
//   0  x       storage, read        array<f32>   n elements, the forward input
//   1  dy      storage, read        array<f32>   n elements, the gradient of the forward output
//   2  dx      storage, read_write  array<f32>   n elements, the gradient of x
//   3  params  uniform              Params       { n, alpha, beta }; runtime values, as in the
//                                                forward (one pipeline per OP)
// Dispatch: ceil(n / WG) workgroups as a linear count, folded into 2-D/3-D by the engine past
//   maxComputeWorkgroupsPerDimension; the linear index is rebuilt from workgroup_id and
//   num_workgroups, and the tail (and the fold's surplus workgroups) is bounds-checked.
// Overrides: WG  workgroup size (default 64).
//            OP  the forward's op code (see nn/unary.wgsl), constant-folded.
// Derivatives follow PyTorch autograd at the kinks: relu' and abs' are 0 at 0, leakyRelu' is
//   alpha at 0 (1 only for x > 0), clip' is 1 on the closed [min, max] (0 for NaN x and for
//   crossed bounds), hardSigmoid' is alpha strictly inside 0 < alpha·x + beta < 1, hardSwish'
//   is 2·alpha·x + beta on the closed interval 0 <= alpha·x + beta <= 1 (PyTorch's hardswish
//   backward), elu' is alpha·exp(x) for x <= 0, selu' gamma·alpha·exp(x) and celu' exp(x/alpha)
//   for x <= 0 (PyTorch's elu_backward), thresholdedRelu' is 1 only for x > alpha (PyTorch's
//   threshold_backward); floor, ceil, round, sign, is_nan and is_inf have derivative 0.
//   Where the derivative is 0 the result is 0 by select, not 0·dy: an infinite dy gives 0, not
//   NaN (PyTorch's threshold_backward does the same for relu).
// NaN x (tested by bit pattern; comparisons with NaN are not IEEE on SwiftShader): the smooth
//   functions give NaN; the piecewise ones take the branch PyTorch 1.13's comparisons give, all
//   false for NaN: relu' 1 (threshold_backward: result <= 0 is false), leakyRelu' alpha,
//   hardSigmoid' 0, hardSwish' 1, clip' 0, elu'/celu' 1 and selu' gamma (elu_backward:
//   x <= 0 is false), thresholdedRelu' 1, abs' 0 (sgn(NaN) = 0); a NaN dy passes through
//   wherever the derivative is not a selected 0.
// Numerics: sigmoid' = e/(1+e)² and tanh' = 4e/(1+e)² with e = exp(−|x|) or exp(−2|x|): exp is
//   only called on non-positive arguments (no overflow) and no 1 − s² cancellation, so both keep
//   their relative accuracy in the tails. softplus' is the same stable sigmoid. gelu' =
//   Φ(x) + x·φ(x) uses the forward's A&S erf (absolute error ≤ 1.5e-7, halved by Φ).
//   sqrt' is 0.5·inverseSqrt(x) (2 ulp); log' and reciprocal' use one division. sin'/cos' are
//   cos/sin (2^-11 absolute on [−π, π]). log'(0), sqrt'(0) and reciprocal'(0) follow the
//   platform's 1/0; do not rely on inf there.
//   mish' = T + x·σ(x)·(1 − T²), T = tanh(softplus(x)), in the forward's exp(−|x|) form:
//   4x·t(1 + t)/(n + 2)² for x ≤ 0 (n = t(t + 2)) and 4x·t²(1 + t)/d² for x > 0
//   (d = 1 + 2t + 2t²); no overflow. softsign' = 1/(1 + |x|)². tan' = 1 + tan² with the forward's
//   Cephes tan; atan' = 1/(1 + x²); asin' = ±inverseSqrt((1 − x)(1 + x)) and atanh' =
//   1/((1 − x)(1 + x)) (factored: no cancellation near ±1); sinh' and cosh' are the forward's
//   cosh and sinh; asinh' = inverseSqrt(x² + 1), acosh' = inverseSqrt((x − 1)(x + 1)).

override WG: u32 = 64u;
override OP: u32 = 0u;

// Whether f is smooth (its derivative a formula in x, NaN at NaN) rather than piecewise:
// relu, abs, neg, leaky_relu, hard_sigmoid, hard_swish, clip, elu, floor, ceil, round, sign,
// selu, celu, thresholded_relu, is_nan and is_inf are not.
const PIECEWISE_MASK: u32 = (1u << 0u) | (1u << 6u) | (1u << 7u) | (1u << 11u) | (1u << 12u) |
  (1u << 13u) | (1u << 14u) | (1u << 15u) | (1u << 17u) | (1u << 18u) | (1u << 22u) |
  (1u << 23u) | (1u << 24u) | (1u << 25u) | (1u << 28u);
fn is_smooth() -> bool {
  return OP < 38u && ((PIECEWISE_MASK >> min(OP, 31u)) & 1u) == 0u; // ops 29–37 are smooth
}

struct Params {
  n: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const SQRT1_2: f32 = 0.70710678118654752;
const SQRT_2_OVER_PI: f32 = 0.79788456080286536;
const INV_SQRT_2PI: f32 = 0.39894228040143268;
const TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;
const GELU_CUBIC: f32 = 0.044715;

fn erf_as(v: f32) -> f32 {
  // Abramowitz & Stegun 7.1.26, as in nn/unary.wgsl.
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 +
    t * 1.061405429))));
  let r = 1.0 - poly * exp(-a * a);
  return select(r, -r, v < 0.0);
}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// sigmoid(v), overflow-free.
fn sigmoid_stable(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

// sigmoid'(v) = sigmoid(v)·(1 − sigmoid(v)) = e / (1 + e)² with e = exp(−|v|).
fn sigmoid_grad(v: f32) -> f32 {
  let e = exp(-abs(v));
  let d = 1.0 + e;
  return e / (d * d);
}

// tanh(v), overflow-free.
fn tanh_stable(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  let r = (1.0 - e) / (1.0 + e);
  return select(-r, r, v >= 0.0);
}

// tanh'(v) = 1 − tanh²(v) = 4e / (1 + e)² with e = exp(−2|v|).
fn tanh_grad(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  let d = 1.0 + e;
  return 4.0 * e / (d * d);
}

// d/dv of v·Φ(v) with the exact (erf) normal CDF: Φ(v) + v·φ(v).
fn gelu_grad(v: f32) -> f32 {
  return 0.5 * (1.0 + erf_as(v * SQRT1_2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v);
}

// d/dv of 0.5·v·(1 + tanh(k)), k = c·(v + 0.044715·v³).
fn gelu_tanh_grad(v: f32) -> f32 {
  let k = SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v);
  let dk = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * v * v);
  return 0.5 * (1.0 + tanh_stable(k)) + 0.5 * v * tanh_grad(k) * dk;
}

const INF_BITS: u32 = 0x7f800000u;

// Runtime bit casts: Tint rejects a constant expression whose value is NaN or ±inf.
fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}

// d/dv of v·tanh(softplus(v)) (see the forward's mish).
fn mish_grad(v: f32) -> f32 {
  let t = exp(-abs(v));
  if (v <= 0.0) {
    let n = t * (t + 2.0);
    let tanh_sp = n / (n + 2.0);
    let d = n + 2.0;
    return tanh_sp + 4.0 * v * t * (1.0 + t) / (d * d);
  }
  let p = 1.0 + 2.0 * t;
  let d = p + 2.0 * t * t;
  return p / d + 4.0 * v * t * t * (1.0 + t) / (d * d);
}

// Cephes tanf, as in nn/unary.wgsl.
fn tan_c(v: f32) -> f32 {
  let a = abs(v);
  if (!(a < 8192.0)) {
    return tan(v);
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

// sinh and cosh as in nn/unary.wgsl.
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

// dy·f'(v). Piecewise-zero derivatives select 0 rather than multiply by it.
fn grad(v: f32, g: f32) -> f32 {
  switch OP {
    case 0u: { return select(0.0, g, v > 0.0 || is_nan(v)); }
    case 1u: { return g * sigmoid_grad(v); }
    case 2u: { return g * tanh_grad(v); }
    case 3u: { return g * gelu_grad(v); }
    case 4u: { return g * exp(v); }
    case 5u: { return g / v; }
    case 6u: { return select(select(select(0.0, -g, v < 0.0), g, v > 0.0), 0.0, is_nan(v)); }
    case 7u: { return -g; }
    case 8u: { return g * (0.5 * inverseSqrt(v)); }
    case 9u: { return g * gelu_tanh_grad(v); }
    case 10u: { return g * (TWO_OVER_SQRT_PI * exp(-v * v)); }
    case 11u: { return select(g * params.alpha, g, v > 0.0 && !is_nan(v)); }
    case 12u: {
      let h = params.alpha * v + params.beta;
      return select(0.0, g * params.alpha, h > 0.0 && h < 1.0 && !is_nan(h));
    }
    case 13u: {
      let h = params.alpha * v + params.beta;
      let inside = g * (h + params.alpha * v);
      let nan = is_nan(h);
      return select(select(0.0, g, h > 1.0 || nan), inside, h >= 0.0 && h <= 1.0 && !nan);
    }
    case 14u: {
      let inside = v >= params.alpha && v <= params.beta && !is_nan(v);
      return select(0.0, g, inside);
    }
    case 15u: { return select(g * (params.alpha * exp(v)), g, v > 0.0 || is_nan(v)); }
    case 16u: {
      let r = 1.0 / v;
      return -g * (r * r);
    }
    case 19u: { return g * sigmoid_stable(v); }
    case 20u: { return g * cos(v); }
    case 21u: { return -g * sin(v); }
    case 24u: {
      let pos = v > 0.0 || is_nan(v);
      return select(g * (params.beta * params.alpha * exp(v)), g * params.beta, pos);
    }
    case 25u: { return select(g * exp(v / params.alpha), g, v > 0.0 || is_nan(v)); }
    case 26u: { return g * mish_grad(v); }
    case 27u: {
      let d = 1.0 + abs(v);
      return g / (d * d);
    }
    case 28u: { return select(0.0, g, v > params.alpha || is_nan(v)); }
    case 29u: {
      let t = tan_c(v);
      return g * (1.0 + t * t);
    }
    case 30u: { return g / (1.0 + v * v); }
    case 31u: { return g * inverseSqrt((1.0 - v) * (1.0 + v)); }
    case 32u: { return -g * inverseSqrt((1.0 - v) * (1.0 + v)); }
    case 33u: { return g * cosh_c(v); }
    case 34u: { return g * sinh_c(v); }
    case 35u: { return g * inverseSqrt(v * v + 1.0); }
    case 36u: { return g * inverseSqrt((v - 1.0) * (v + 1.0)); }
    case 37u: { return g / ((1.0 - v) * (1.0 + v)); }
    // 17 floor, 18 ceil, 22 round, 23 sign, 38 is_nan, 39 is_inf: piecewise constant.
    default: { return 0.0; }
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
  // A NaN x makes a smooth function's derivative NaN (by bit pattern: the platform's arithmetic
  // on NaN is not to be trusted), as PyTorch's formulas do; the piecewise ones pick their branch
  // in grad() as PyTorch's comparisons do.
  dx[i] = select(grad(v, dy[i]), v, is_smooth() && is_nan(v));
}
