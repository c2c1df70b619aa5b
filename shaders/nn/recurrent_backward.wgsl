// nn/recurrent_backward.wgsl — one step of backpropagation through time for ONNX RNN / GRU /
// LSTM (nn/recurrent.wgsl is the forward; its saved pre-activations, cell states and h_prev are
// read here). Steps run from the last to the first; each step is two or three dispatches:
//   PHASE 0 (gates)  per unit j: the total gradient of h_t (the carried dH plus dY[t]) and of
//                    C_t (LSTM) through the cell: the gate pre-activation gradients dA (input
//                    side, dax; recurrent side for GRU with LBR = 1, aux), the carried dC_prev,
//                    the direct part of dh_prev (GRU: dh·z) and the LSTM peephole terms (aux).
//   PHASE 1 (reset)  GRU with LBR = 0 only, per unit k: d(r ⊙ h_prev)_k = Σ_j dA_h[j]·Rh[j, k],
//                    whence dA_r[k] and the part d(r ⊙ h_prev)_k·r_k of dh_prev.
//   PHASE 2 (carry)  per unit k: dh_prev[k] = direct[k] + Σ_m dA_rec[m]·R[m, k] over the gate
//                    rows m that multiply h_prev (all but GRU's h rows when LBR = 0).
// A row b past its sequence length L at step s passes dH and dC through unchanged (its outputs
// past L are constants). The weight, input and bias gradients are matrix products and sums of
// dax / aux over all steps, done by the host afterwards.
//
// Bindings (group 0):
//   0  saved   storage, read        array<f32>  the forward's pre-activations [D, T, B, GS·H],
//                                               then C [D, T, B, H] at p(C_OFF)
//   1  hin     storage, read        array<f32>  [NH, D, T, B, H]: h_prev per time (then r ⊙ h_prev)
//   2  consts  storage, read        array<f32>  packed as in nn/recurrent.wgsl (P, c0, lengths)
//   3  r       storage, read        array<f32>  [D, G·H, H]
//   4  gy      storage, read        array<f32>  [T, D, B, H] gradient of Y; unread when
//                                               p(HAS_GY) is 0 (bound to any buffer)
//   5  state   storage, read_write  array<f32>  [3, D, B, H]: dH (carried gradient of h), dC (of
//                                               C, LSTM), direct part of dh_prev (scratch)
//   6  dax     storage, read_write  array<f32>  [D, T, B, G·H] ∂L/∂(gate pre-activation), per
//                                               time; rows never visited stay 0 (zeroed by host)
//   7  aux     storage, read_write  array<f32>  GRU LBR = 1: [D, T, B, G·H], the gradient of the
//                                               recurrent term (h rows: dA_h ⊙ r); LSTM:
//                                               [D, T, B, 3·H] peephole terms (dA_i·C_prev,
//                                               dA_o·C, dA_f·C_prev); otherwise unread
//   8  params  uniform              array<vec4<u32>, 11>  words as in nn/recurrent.wgsl, plus
//                                               HAS_GY at 40
// Dispatch: ceil(D·B·H / WG) workgroups, linear, folded by the engine past
//   maxComputeWorkgroupsPerDimension; one invocation per (direction, batch row, unit); the tail
//   and the fold's surplus return early.
// Overrides: WG workgroup size (default 64).
// Numerics: the activation derivatives are evaluated from the saved pre-activations (a clipped
//   pre-activation outside [−clip, clip] has derivative 0); the carry is an f32 dot product of
//   length ≤ G·H (error ≤ G·H·u·Σ|dA·R|, u = 2⁻²⁴).

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> saved: array<f32>;
@group(0) @binding(1) var<storage, read> hin: array<f32>;
@group(0) @binding(2) var<storage, read> consts: array<f32>;
@group(0) @binding(3) var<storage, read> r: array<f32>;
@group(0) @binding(4) var<storage, read> gy: array<f32>;
@group(0) @binding(5) var<storage, read_write> state: array<f32>;
@group(0) @binding(6) var<storage, read_write> dax: array<f32>;
@group(0) @binding(7) var<storage, read_write> aux: array<f32>;
@group(0) @binding(8) var<uniform> params: array<vec4<u32>, 11>;

const T_: u32 = 0u;
const B_: u32 = 1u;
const H_: u32 = 2u;
const D_: u32 = 3u;
const STEP: u32 = 4u;
const CELL: u32 = 5u;
const LBR: u32 = 6u;
const PHASE: u32 = 7u;
const REVERSE: u32 = 8u;
const INPUT_FORGET: u32 = 9u;
const HAS_CLIP: u32 = 10u;
const CLIP: u32 = 11u;
const P_OFF: u32 = 13u;
const C0_OFF: u32 = 15u;
const LENS_OFF: u32 = 16u;
const HAS_LENS: u32 = 17u;
const N_: u32 = 18u;
const G_: u32 = 19u;
const ACTS: u32 = 20u;
const C_OFF: u32 = 38u;
const GS_: u32 = 39u;
const HAS_GY: u32 = 40u;

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

// Must agree with nn/recurrent.wgsl's `activate`.
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

// The derivative of `activate` (one-sided at kinks: the branch the forward's select takes).
fn derivative(kind: u32, alpha: f32, beta: f32, v: f32) -> f32 {
  switch kind {
    case 0u: { return select(0.0, 1.0, v > 0.0); }
    case 1u: {
      let t = tanh_stable(v);
      return 1.0 - t * t;
    }
    case 2u: {
      let s = sigmoid_stable(v);
      return s * (1.0 - s);
    }
    case 3u: { return alpha; }
    case 4u: { return select(alpha, 1.0, v >= 0.0); }
    case 5u: { return select(0.0, 1.0, v > alpha); }
    case 6u: {
      let t = tanh_stable(beta * v);
      return alpha * beta * (1.0 - t * t);
    }
    case 7u: {
      let u = alpha * v + beta;
      return select(0.0, alpha, u > 0.0 && u < 1.0);
    }
    case 8u: { return select(alpha * exp(v), 1.0, v >= 0.0); }
    case 9u: {
      let q = 1.0 + abs(v);
      return 1.0 / (q * q);
    }
    default: { return sigmoid_stable(v); }
  }
}

fn act(d: u32, slot: u32, v: f32) -> f32 {
  let at = ACTS + (d * 3u + slot) * 3u;
  return activate(p(at), pf(at + 1u), pf(at + 2u), v);
}

fn dact(d: u32, slot: u32, v: f32) -> f32 {
  let at = ACTS + (d * 3u + slot) * 3u;
  return derivative(p(at), pf(at + 1u), pf(at + 2u), v);
}

fn clipped(a: f32) -> f32 {
  if (p(HAS_CLIP) != 0u) {
    return clamp(a, -pf(CLIP), pf(CLIP));
  }
  return a;
}

fn gate(d: u32, slot: u32, a: f32) -> f32 {
  return act(d, slot, clipped(a));
}

// ∂gate/∂a: zero where the clip is active.
fn dgate(d: u32, slot: u32, a: f32) -> f32 {
  if (p(HAS_CLIP) != 0u && abs(a) > pf(CLIP)) {
    return 0.0;
  }
  return dact(d, slot, a);
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
  let phase = p(PHASE);
  let d = n / (B * H);
  let b = (n / H) % B;
  let j = n % H; // the unit (called k in the reset and carry phases)
  let unit = (d * B + b) * H;
  var L = T;
  if (p(HAS_LENS) != 0u) {
    L = min(u32(max(consts[p(LENS_OFF) + b], 0.0)), T);
  }
  let dH = unit + j;
  let dC = total + unit + j;
  let direct = 2u * total + unit + j;
  if (s >= L) {
    // Past the sequence: the state is carried through unchanged.
    if (phase == 0u) {
      state[direct] = state[dH];
    } else if (phase == 2u) {
      state[dH] = state[direct];
    }
    return;
  }
  let reverse = ((p(REVERSE) >> d) & 1u) == 1u;
  let t = select(s, L - 1u - s, reverse);
  let tp = select(t - 1u, t + 1u, reverse);
  let row = (d * T + t) * B + b;
  let pre = row * GS * H;
  let wrow = d * GH;
  let region = D * T * B * H;
  let lbr0 = cell == 1u && p(LBR) == 0u;

  if (phase == 1u) {
    // GRU, LBR = 0: d(r ⊙ h_prev)_j through Rh, then dA_r.
    var drh = 0.0;
    for (var m = 0u; m < H; m++) {
      drh += dax[row * GH + 2u * H + m] * r[(wrow + 2u * H + m) * H + j];
    }
    let ar = saved[pre + H + j];
    dax[row * GH + H + j] = drh * hin[row * H + j] * dgate(d, 0u, ar);
    state[direct] += drh * gate(d, 0u, ar);
    return;
  }

  if (phase == 2u) {
    var rows = GH;
    if (lbr0) {
      rows = 2u * H;
    }
    let gru1 = cell == 1u && !lbr0;
    var acc = 0.0;
    for (var m = 0u; m < rows; m++) {
      var da: f32;
      if (gru1) {
        da = aux[row * GH + m];
      } else {
        da = dax[row * GH + m];
      }
      acc += da * r[(wrow + m) * H + j];
    }
    state[dH] = state[direct] + acc;
    return;
  }

  // Phase 0: through the cell.
  var dh = state[dH];
  if (p(HAS_GY) != 0u) {
    dh += gy[(t * D + d) * B * H + b * H + j];
  }
  if (cell == 0u) {
    dax[row * GH + j] = dh * dgate(d, 0u, saved[pre + j]);
    state[direct] = 0.0;
  } else if (cell == 1u) {
    let az = saved[pre + j];
    let ar = saved[pre + H + j];
    let ah = saved[pre + 2u * H + j];
    let q = saved[pre + 3u * H + j];
    let hp = hin[row * H + j];
    let z = gate(d, 0u, az);
    let dz = dh * (hp - gate(d, 1u, ah));
    let dah = dh * (1.0 - z) * dgate(d, 1u, ah);
    let daz = dz * dgate(d, 0u, az);
    dax[row * GH + j] = daz;
    dax[row * GH + 2u * H + j] = dah;
    state[direct] = dh * z;
    if (!lbr0) {
      let rg = gate(d, 0u, ar);
      let dar = dah * q * dgate(d, 0u, ar);
      dax[row * GH + H + j] = dar;
      aux[row * GH + j] = daz;
      aux[row * GH + H + j] = dar;
      aux[row * GH + 2u * H + j] = dah * rg;
    }
  } else {
    let ai = saved[pre + j];
    let ao = saved[pre + H + j];
    let af = saved[pre + 2u * H + j];
    let ac = saved[pre + 3u * H + j];
    let c = saved[p(C_OFF) + row * H + j];
    var cp: f32;
    if (s == 0u) {
      cp = consts[p(C0_OFF) + unit + j];
    } else {
      cp = saved[p(C_OFF) + ((d * T + tp) * B + b) * H + j];
    }
    let peep = p(P_OFF) + d * 3u * H;
    let i = gate(d, 0u, ai);
    let o = gate(d, 0u, ao);
    let cc = gate(d, 1u, ac);
    let dao = dh * act(d, 2u, c) * dgate(d, 0u, ao);
    let dc = state[dC] + dh * o * dact(d, 2u, c) + dao * consts[peep + H + j];
    var di = dc * cc;
    let df = dc * cp;
    var f: f32;
    var daf: f32;
    if (p(INPUT_FORGET) != 0u) {
      f = 1.0 - i;
      di -= df;
      daf = 0.0;
    } else {
      f = gate(d, 0u, af);
      daf = df * dgate(d, 0u, af);
    }
    let dai = di * dgate(d, 0u, ai);
    let dac = dc * i * dgate(d, 1u, ac);
    state[dC] = dc * f + dai * consts[peep + j] + daf * consts[peep + 2u * H + j];
    state[direct] = 0.0;
    dax[row * GH + j] = dai;
    dax[row * GH + H + j] = dao;
    dax[row * GH + 2u * H + j] = daf;
    dax[row * GH + 3u * H + j] = dac;
    let pr = row * 3u * H;
    aux[pr + j] = dai * cp;
    aux[pr + H + j] = dao * c;
    aux[pr + 2u * H + j] = daf * cp;
  }
}
