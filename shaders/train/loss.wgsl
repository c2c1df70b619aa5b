// train/loss.wgsl — per-row loss and its gradient with respect to the logits, for minibatch
// training of small heads and surrogates. One invocation per row (rows are short: a class
// count), looping over the columns.
//
//   MODE 0  softmax cross-entropy   loss = −log softmax(z)[y]          raw = softmax(z) − onehot(y)
//   MODE 1  KL to soft labels at    loss = T²·Σ p·(log p − log q)       raw = q − p
//           temperature T           p = softmax(t/T) (teacher logits t), q = softmax(z/T)
//   MODE 2  mean squared error      loss = Σ (z − y)² / cols           raw = 2·(z − y)
//   dz = scale · raw, with scale chosen by the caller (1/B, T/B, 1/(B·cols)) so that dz is the
//   gradient of the batch mean as PyTorch defines it (`reduction='batchmean'` for KL).
//
// Bindings (group 0):
//   0  z       storage, read        array<f32>  logits, rows·cols
//   1  tgt     storage, read        array<f32>  MODE 0: class index per row (as f32), rows;
//                                                MODE 1: teacher logits, MODE 2: targets, rows·cols
//   2  index   storage, read        array<u32>  example index of each row, rows
//   3  dz      storage, read_write  array<f32>  gradient, rows·cols
//   4  losses  storage, read_write  array<f32>  per-example loss, written at index[row]
//   5  params  uniform              Params      { rows, cols, temperature, scale }
// Dispatch: ceil(rows / WG) workgroups, linear, folded by the engine; the tail returns early.
// Numerics: logits are shifted by their row maximum before exp (no overflow); a soft label of
//   exactly 0 contributes 0 to the KL (0·log 0 = 0), tested by p > 0 rather than via NaN.

override WG: u32 = 64u;
override MODE: u32 = 0u;

struct Params {
  rows: u32,
  cols: u32,
  temperature: f32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> tgt: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> dz: array<f32>;
@group(0) @binding(4) var<storage, read_write> losses: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  if (row >= params.rows) {
    return;
  }
  let cols = params.cols;
  let base = row * cols;
  var loss = 0.0;
  if (MODE == 2u) {
    for (var c = 0u; c < cols; c++) {
      let d = z[base + c] - tgt[base + c];
      loss += d * d;
      dz[base + c] = params.scale * 2.0 * d;
    }
    losses[index[row]] = loss / f32(cols);
    return;
  }
  let inv = 1.0 / params.temperature;
  // log-sum-exp of the (tempered) logits
  var m = z[base] * inv;
  for (var c = 1u; c < cols; c++) {
    m = max(m, z[base + c] * inv);
  }
  var s = 0.0;
  for (var c = 0u; c < cols; c++) {
    s += exp(z[base + c] * inv - m);
  }
  let lse = m + log(s);
  if (MODE == 0u) {
    let y = u32(tgt[row]);
    for (var c = 0u; c < cols; c++) {
      let lq = z[base + c] - lse;
      let hot = select(0.0, 1.0, c == y);
      loss -= hot * lq;
      dz[base + c] = params.scale * (exp(lq) - hot);
    }
    losses[index[row]] = loss;
    return;
  }
  // MODE 1: teacher log-sum-exp at the same temperature
  var mt = tgt[base] * inv;
  for (var c = 1u; c < cols; c++) {
    mt = max(mt, tgt[base + c] * inv);
  }
  var st = 0.0;
  for (var c = 0u; c < cols; c++) {
    st += exp(tgt[base + c] * inv - mt);
  }
  let lset = mt + log(st);
  for (var c = 0u; c < cols; c++) {
    let lq = z[base + c] * inv - lse;
    let lp = tgt[base + c] * inv - lset;
    let p = exp(lp);
    if (p > 0.0) {
      loss += p * (lp - lq);
    }
    dz[base + c] = params.scale * (exp(lq) - p);
  }
  losses[index[row]] = loss * params.temperature * params.temperature;
}
