// nn/recurrent.wgsl — one time step of ONNX RNN / GRU / LSTM, every direction and batch row at
// once: the recurrent product h_prev · Rᵀ (a dot product of length H per gate and unit, done by
// the invocation that owns the unit) fused with the bias, peepholes, clip, gate activations and
// the state update. The input projection X · Wᵀ of every step was one matmul beforehand (xw).
// Layout is ONNX's layout 0 (time first); the host transposes for layout 1.
//
// Gate order per cell (rows of W and R, G gates of H rows each):
//   RNN  G = 1: i                 h = f(a_i)
//   GRU  G = 3: z, r, h           h = (1 − z)·g(a_h) + z·h_prev,
//                                 a_h = x·Whᵀ + Wbh + (r ⊙ h_prev)·Rhᵀ + Rbh      (LBR = 0)
//                                 a_h = x·Whᵀ + Wbh + r ⊙ (h_prev·Rhᵀ + Rbh)      (LBR = 1)
//   LSTM G = 4: i, o, f, c        C = f·C_prev + i·g(a_c), h = o·h(C); peepholes P = [Pi, Po, Pf]
//                                 add Pi⊙C_prev, Pf⊙C_prev and Po⊙C to a_i, a_f, a_o;
//                                 input_forget couples f = 1 − i.
// clip (when set) bounds every gate pre-activation to [−clip, clip] before its activation (as
// onnxruntime: after bias and peepholes; the cell state C is not clipped).
//
// Sequence lengths: row b with length L runs steps s < L only. The forward direction reads time
// t = s, the reverse one t = L − 1 − s (each sequence is reversed within its own length, as
// onnxruntime and PyTorch's packed sequences do). Outputs past L stay 0 (y is zeroed by the
// host); the final state is the one at step L − 1 (h0/c0 when L = 0).
//
// Bindings (group 0):
//   0  xw      storage, read        array<f32>  [D, T, B, G·H]  X·Wᵀ per direction (no bias)
//   1  consts  storage, read        array<f32>  packed: bias [D, 2·G·H] (Wb then Rb) at
//                                               p(BIAS_OFF), peepholes [D, 3·H] at p(P_OFF),
//                                               h0 [D, B, H] at p(H0_OFF), c0 at p(C0_OFF),
//                                               lengths [B] (as f32, exact) at p(LENS_OFF)
//   2  r       storage, read        array<f32>  [D, G·H, H]  recurrence weights
//   3  y       storage, read_write  array<f32>  [T, D, B, H]  hidden state per time (the Y
//                                               output); the next step reads h_prev from here
//   4  fin     storage, read_write  array<f32>  [2, D, B, H]  final h (Y_h), then final C (Y_c)
//   5  saved   storage, read_write  array<f32>  pre-activations [D, T, B, GS·H] (GS = 4 for GRU
//                                               and LSTM, 1 for RNN), then C [D, T, B, H] at
//                                               p(C_OFF): what the backward pass reads
//   6  hin     storage, read_write  array<f32>  [NH, D, T, B, H]: h_prev per time (the operand
//                                               of dR), then for GRU with LBR = 0 r ⊙ h_prev
//   7  params  uniform              array<vec4<u32>, 10>  words listed at the constants below
// Dispatch: ceil(D·B·H / WG) workgroups, linear, folded by the engine past
//   maxComputeWorkgroupsPerDimension; one invocation per (direction, batch row, unit); the tail
//   and the fold's surplus return early. One dispatch per step (two for GRU with LBR = 0: PHASE 0
//   computes z, r and r ⊙ h_prev, PHASE 1 the rest), recorded in order; each dispatch is its own
//   compute pass, so a step sees the previous step's writes.
// Overrides: WG workgroup size (default 64).
// Numerics: each gate's recurrent term is an f32 dot product of length H in k order (error ≤
//   H·u·Σ|h·R|, u = 2⁻²⁴); sigmoid and tanh call exp only on non-positive arguments (no
//   overflow); softplus is max(v, 0) + log(1 + exp(−|v|)); elu uses exp(v) − 1 (absolute error
//   near 0).

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> xw: array<f32>;
@group(0) @binding(1) var<storage, read> consts: array<f32>;
@group(0) @binding(2) var<storage, read> r: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> fin: array<f32>;
@group(0) @binding(5) var<storage, read_write> saved: array<f32>;
@group(0) @binding(6) var<storage, read_write> hin: array<f32>;
@group(0) @binding(7) var<uniform> params: array<vec4<u32>, 10>;

// Words of params.
const T_: u32 = 0u;
const B_: u32 = 1u;
const H_: u32 = 2u;
const D_: u32 = 3u;
const STEP: u32 = 4u;
const CELL: u32 = 5u;        // 0 RNN, 1 GRU, 2 LSTM
const LBR: u32 = 6u;
const PHASE: u32 = 7u;
const REVERSE: u32 = 8u;     // bit d set: direction d runs backwards in time
const INPUT_FORGET: u32 = 9u;
const HAS_CLIP: u32 = 10u;
const CLIP: u32 = 11u;       // f32 bits
const BIAS_OFF: u32 = 12u;
const P_OFF: u32 = 13u;
const H0_OFF: u32 = 14u;
const C0_OFF: u32 = 15u;
const LENS_OFF: u32 = 16u;
const HAS_LENS: u32 = 17u;
const N_: u32 = 18u;         // D·B·H
const G_: u32 = 19u;
const ACTS: u32 = 20u;       // (d·3 + slot)·3 + {kind, alpha bits, beta bits}; slots f, g, h
const C_OFF: u32 = 38u;      // start of C in saved
const GS_: u32 = 39u;        // pre-activation slots per unit

fn p(i: u32) -> u32 {
  return params[i / 4u][i % 4u];
}

fn pf(i: u32) -> f32 {
  return bitcast<f32>(p(i));
}

fn sigmoid_stable(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

fn tanh_stable(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  let t = (1.0 - e) / (1.0 + e);
  return select(-t, t, v >= 0.0);
}

// The ONNX activation `kind` (0 Relu, 1 Tanh, 2 Sigmoid, 3 Affine, 4 LeakyRelu,
// 5 ThresholdedRelu, 6 ScaledTanh, 7 HardSigmoid, 8 Elu, 9 Softsign, 10 Softplus).
fn activate(kind: u32, alpha: f32, beta: f32, v: f32) -> f32 {
  switch kind {
    case 0u: { return max(v, 0.0); }
    case 1u: { return tanh_stable(v); }
    case 2u: { return sigmoid_stable(v); }
    case 3u: { return alpha * v + beta; }
    case 4u: { return select(alpha * v, v, v >= 0.0); }
    case 5u: { return select(0.0, v, v > alpha); }
    case 6u: { return alpha * tanh_stable(beta * v); }
    case 7u: { return clamp(alpha * v + beta, 0.0, 1.0); }
    case 8u: { return select(alpha * (exp(v) - 1.0), v, v >= 0.0); }
    case 9u: { return v / (1.0 + abs(v)); }
    default: { return max(v, 0.0) + log(1.0 + exp(-abs(v))); }
  }
}

// Activation `slot` (0 f, 1 g, 2 h) of direction d.
fn act(d: u32, slot: u32, v: f32) -> f32 {
  let at = ACTS + (d * 3u + slot) * 3u;
  return activate(p(at), pf(at + 1u), pf(at + 2u), v);
}

// A gate: the activation of the clipped pre-activation.
fn gate(d: u32, slot: u32, a: f32) -> f32 {
  var v = a;
  if (p(HAS_CLIP) != 0u) {
    v = clamp(a, -pf(CLIP), pf(CLIP));
  }
  return act(d, slot, v);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let n = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let total = p(N_);
  if (n >= total) {
    return;
  }
  let T = p(T_);
  let B = p(B_);
  let H = p(H_);
  let D = p(D_);
  let G = p(G_);
  let GS = p(GS_);
  let GH = G * H;
  let s = p(STEP);
  let cell = p(CELL);
  let d = n / (B * H);
  let b = (n / H) % B;
  let j = n % H;
  let unit = (d * B + b) * H; // start of this (d, b) row in [D, B, H] arrays
  var L = T;
  if (p(HAS_LENS) != 0u) {
    L = min(u32(max(consts[p(LENS_OFF) + b], 0.0)), T);
  }
  if (s >= L) {
    if (s == 0u && p(PHASE) == 1u) {
      // An empty sequence: the final state is the initial one.
      fin[unit + j] = consts[p(H0_OFF) + unit + j];
      fin[total + unit + j] = consts[p(C0_OFF) + unit + j];
    }
    return;
  }
  let reverse = ((p(REVERSE) >> d) & 1u) == 1u;
  let t = select(s, L - 1u - s, reverse);
  let tp = select(t - 1u, t + 1u, reverse); // the previous step's time (used when s > 0)
  let row = (d * T + t) * B + b;            // this step's row in [D, T, B, ·] arrays
  let prevRow = (tp * D + d) * B + b;       // the previous step's row in y
  let wrow = d * GH;                        // first row of this direction's R
  let bias = p(BIAS_OFF) + d * 2u * GH;
  let pre = row * GS * H;
  let region = D * T * B * H;               // size of one hin region

  // Dot products with h_prev for gates [g0, g1).
  var g0 = 0u;
  var g1 = G;
  let lbr0 = cell == 1u && p(LBR) == 0u;
  if (lbr0) {
    g1 = select(0u, 2u, p(PHASE) == 0u); // z and r in phase 0; none in phase 1
  }
  var acc = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  for (var k = 0u; k < H; k++) {
    var hk: f32;
    if (s == 0u) {
      hk = consts[p(H0_OFF) + unit + k];
    } else {
      hk = y[prevRow * H + k];
    }
    for (var g = g0; g < g1; g++) {
      acc[g] += hk * r[(wrow + g * H + j) * H + k];
    }
  }
  var hp: f32;
  if (s == 0u) {
    hp = consts[p(H0_OFF) + unit + j];
  } else {
    hp = y[prevRow * H + j];
  }
  // Pre-activation of gate g before the recurrent term: x·Wᵀ + Wb + Rb.
  var base = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  for (var g = 0u; g < G; g++) {
    base[g] = xw[row * GH + g * H + j] + consts[bias + g * H + j] +
      consts[bias + GH + g * H + j];
  }

  if (lbr0 && p(PHASE) == 0u) {
    let az = base[0] + acc[0];
    let ar = base[1] + acc[1];
    saved[pre + j] = az;
    saved[pre + H + j] = ar;
    hin[region + row * H + j] = gate(d, 0u, ar) * hp;
    return;
  }

  hin[row * H + j] = hp;
  var h: f32;
  if (cell == 0u) {
    let a = base[0] + acc[0];
    saved[pre + j] = a;
    h = gate(d, 0u, a);
  } else if (cell == 1u) {
    var az: f32;
    var ar: f32;
    var ah: f32;
    var q = 0.0;
    if (lbr0) {
      az = saved[pre + j];
      ar = saved[pre + H + j];
      var dot = 0.0;
      for (var k = 0u; k < H; k++) {
        dot += hin[region + row * H + k] * r[(wrow + 2u * H + j) * H + k];
      }
      ah = base[2] + dot;
    } else {
      az = base[0] + acc[0];
      ar = base[1] + acc[1];
      // h_prev·Rhᵀ + Rbh, kept for the backward pass (∂a_h/∂r).
      q = acc[2] + consts[bias + GH + 2u * H + j];
      ah = xw[row * GH + 2u * H + j] + consts[bias + 2u * H + j] + gate(d, 0u, ar) * q;
    }
    saved[pre + j] = az;
    saved[pre + H + j] = ar;
    saved[pre + 2u * H + j] = ah;
    saved[pre + 3u * H + j] = q;
    let z = gate(d, 0u, az);
    h = (1.0 - z) * gate(d, 1u, ah) + z * hp;
  } else {
    var cp: f32;
    if (s == 0u) {
      cp = consts[p(C0_OFF) + unit + j];
    } else {
      cp = saved[p(C_OFF) + ((d * T + tp) * B + b) * H + j];
    }
    let peep = p(P_OFF) + d * 3u * H;
    let ai = base[0] + acc[0] + consts[peep + j] * cp;
    let af = base[2] + acc[2] + consts[peep + 2u * H + j] * cp;
    let ac = base[3] + acc[3];
    let i = gate(d, 0u, ai);
    var f: f32;
    if (p(INPUT_FORGET) != 0u) {
      f = 1.0 - i;
    } else {
      f = gate(d, 0u, af);
    }
    let c = f * cp + i * gate(d, 1u, ac);
    let ao = base[1] + acc[1] + consts[peep + H + j] * c;
    saved[pre + j] = ai;
    saved[pre + H + j] = ao;
    saved[pre + 2u * H + j] = af;
    saved[pre + 3u * H + j] = ac;
    saved[p(C_OFF) + row * H + j] = c;
    h = gate(d, 0u, ao) * act(d, 2u, c);
    if (s == L - 1u) {
      fin[total + unit + j] = c;
    }
  }
  y[(t * D + d) * B * H + b * H + j] = h;
  if (s == L - 1u) {
    fin[unit + j] = h;
  }
}
