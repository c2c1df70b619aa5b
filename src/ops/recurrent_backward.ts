/**
 * Backpropagation through time for ONNX RNN / GRU / LSTM on the GPU
 * (`shaders/nn/recurrent_backward.wgsl`), and its f64 CPU reference. The forward pass is run
 * again to keep its per-step pre-activations, cell states and h_prev (an operator's backward sees
 * only the forward's inputs and outputs); then each step, last to first, is two or three
 * dispatches that leave the gate pre-activation gradients of every time in one tensor, and the
 * weight, input and bias gradients are matrix products and sums of it.
 *
 * @module
 */

import backwardSource from '../../shaders/nn/recurrent_backward.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, type Tensor } from '../tensor.ts';
import { WORKGROUP_SIZE } from './common.ts';
import { concat } from './concat.ts';
import { matmul } from './matmul.ts';
import {
  activationDerivative,
  activationReference,
  gateDerivative,
  gateReference,
  type RecurrentData,
  type RecurrentInputs,
  type RecurrentOptions,
  recurrentParams,
  recurrentReference,
  recurrentState,
} from './recurrent.ts';
import { reduce } from './reduce.ts';
import { slice } from './slice.ts';
import { stridedCopy } from './strided_copy.ts';

/** Gradients of the objective with respect to a recurrent layer's outputs (absent: zero). */
export interface RecurrentGrads {
  /** [T, D, B, H]. */
  y?: Tensor;
  /** [D, B, H]. */
  yH?: Tensor;
  /** [D, B, H] (LSTM). */
  yC?: Tensor;
}

/** Which input gradients to compute (default all that apply). */
export interface RecurrentNeeds {
  /** ∂/∂x. */
  x?: boolean;
  /** ∂/∂w. */
  w?: boolean;
  /** ∂/∂r. */
  r?: boolean;
  /** ∂/∂bias. */
  bias?: boolean;
  /** ∂/∂initialH. */
  initialH?: boolean;
  /** ∂/∂initialC. */
  initialC?: boolean;
  /** ∂/∂peepholes. */
  peepholes?: boolean;
}

/** The input gradients; the caller owns them. Shapes are the inputs' (layout 0). */
export interface RecurrentInputGrads {
  /** [T, B, I]. */
  x?: Tensor;
  /** [D, G·H, I]. */
  w?: Tensor;
  /** [D, G·H, H]. */
  r?: Tensor;
  /** [D, 2·G·H]. */
  bias?: Tensor;
  /** [D, B, H]. */
  initialH?: Tensor;
  /** [D, B, H]. */
  initialC?: Tensor;
  /** [D, 3·H]. */
  peepholes?: Tensor;
}

/**
 * The gradients of a recurrent layer's inputs from the gradients of its outputs. Recomputes the
 * forward pass on the GPU; records everything into the engine's encoder.
 *
 * @example
 * ```ts ignore
 * const g = recurrentBackward(engine, { x, w, r }, { y: dy }, { cell: 'gru' });
 * ```
 * @throws {ShapeError} when a gradient's shape differs from its output's.
 */
export function recurrentBackward(
  engine: Engine,
  inputs: RecurrentInputs,
  grads: RecurrentGrads,
  options: RecurrentOptions,
  needs: RecurrentNeeds = {},
): RecurrentInputGrads {
  const all = Object.keys(needs).length === 0;
  const want = (k: keyof RecurrentNeeds) => all || needs[k] === true;
  const state = recurrentState(engine, inputs, options);
  const { plan, layout } = state;
  const { T, B, I, H, D, G } = plan;
  const GH = G * H;
  const lstm = options.cell === 'lstm';
  const gru1 = options.cell === 'gru' && options.linearBeforeReset === true;
  const lbr0 = options.cell === 'gru' && !options.linearBeforeReset;
  const check = (name: string, t: Tensor | undefined, shape: number[]) => {
    if (t && t.shape.join() !== shape.join()) {
      throw new ShapeError(
        `Cannot run recurrent backward: the gradient of ${name} must be ${formatShape(shape)}, ` +
          `got ${formatShape(t.shape)}`,
      );
    }
  };
  const out: RecurrentInputGrads = {};
  const temporaries: Tensor[] = [state.y, state.yH, state.consts, state.saved, state.hin];
  if (state.yC) temporaries.push(state.yC);
  const temp = <T extends Tensor>(t: T): T => (temporaries.push(t), t);
  try {
    check('Y', grads.y, [T, D, B, H]);
    check('Y_h', grads.yH, [D, B, H]);
    check('Y_c', grads.yC, [D, B, H]);
    const n = D * B * H;
    const stateGrad = temp(empty(engine, [3, D, B, H], { zero: true, label: 'recurrent.dstate' }));
    if (grads.yH) {
      stridedCopy(engine, grads.yH, stateGrad, { shape: [n] }, 'recurrent dY_h');
    }
    if (grads.yC && lstm) {
      stridedCopy(engine, grads.yC, stateGrad, { shape: [n], dstBase: n }, 'recurrent dY_c');
    }
    const dax = temp(empty(engine, [D, T * B, GH], { zero: true, label: 'recurrent.dA' }));
    const aux = temp(
      empty(engine, gru1 ? [D, T * B, GH] : lstm ? [D, T * B, 3 * H] : [1], {
        zero: true,
        label: 'recurrent.aux',
      }),
    );
    // Unread when HAS_GY is 0; a read-only buffer (a writable one may not be bound twice).
    const gy = grads.y ?? state.consts;
    const phases = lbr0 ? [0, 1, 2] : [0, 2];
    const groups = Math.ceil(n / WORKGROUP_SIZE);
    for (let s = T - 1; s >= 0; s--) {
      for (const phase of phases) {
        const params = recurrentParams(plan, options, layout, {
          step: s,
          phase,
          hasLens: inputs.sequenceLens !== undefined,
          hasGy: grads.y !== undefined,
        });
        engine.dispatch({
          code: backwardSource,
          label: `nn/recurrent_backward.wgsl ${options.cell} step ${s} phase ${phase}`,
          constants: { WG: WORKGROUP_SIZE },
          bindings: [
            state.saved.buffer,
            state.hin.buffer,
            state.consts.buffer,
            inputs.r.buffer,
            gy.buffer,
            stateGrad.buffer,
            dax.buffer,
            aux.buffer,
            engine.constants('recurrent_backward.params', params),
          ],
          workgroups: groups,
        });
      }
    }
    const drec = gru1 ? aux : dax;
    if (want('x')) {
      using dxd = matmul(engine, dax, inputs.w, { label: 'recurrent.dx' });
      if (D === 1) out.x = dxd.reshape([T, B, I]);
      else {
        using summed = reduce(engine, 'sum', dxd, { axis: 0 });
        out.x = summed.reshape([T, B, I]);
      }
    }
    if (want('w')) {
      using x2 = inputs.x.reshape([T * B, I]);
      out.w = matmul(engine, dax, x2, { transposeA: true, label: 'recurrent.dw' });
    }
    if (want('r')) {
      if (!lbr0) {
        using h = state.hin.reshape([D, T * B, H]);
        out.r = matmul(engine, drec, h, { transposeA: true, label: 'recurrent.dr' });
      } else {
        // Rows of z and r multiply h_prev; rows of h multiply r ⊙ h_prev.
        using both = matmul(engine, dax, state.hin, { transposeA: true, label: 'recurrent.dr2' });
        const dr = empty(engine, [D, GH, H], { label: 'recurrent.dr' });
        out.r = dr;
        const strides = [GH * H, H, 1];
        stridedCopy(engine, both, dr, {
          shape: [D, 2 * H, H],
          srcStrides: strides,
          dstStrides: strides,
        }, 'recurrent dR z, r');
        stridedCopy(engine, both, dr, {
          shape: [D, H, H],
          srcBase: D * GH * H + 2 * H * H,
          srcStrides: strides,
          dstBase: 2 * H * H,
          dstStrides: strides,
        }, 'recurrent dR h');
      }
    }
    if (want('bias')) {
      using dwb = reduce(engine, 'sum', dax, { axis: 1 });
      using drb = reduce(engine, 'sum', drec, { axis: 1 });
      out.bias = concat(engine, [dwb, drb], { axis: 1, label: 'recurrent.db' });
    }
    if (want('peepholes') && lstm) {
      out.peepholes = reduce(engine, 'sum', aux, { axis: 1 });
    }
    if (want('initialH')) {
      using dh = slice(engine, stateGrad, { starts: [0], ends: [1], axes: [0] });
      out.initialH = dh.reshape([D, B, H]);
    }
    if (want('initialC') && lstm) {
      using dc = slice(engine, stateGrad, { starts: [1], ends: [2], axes: [0] });
      out.initialC = dc.reshape([D, B, H]);
    }
    return out;
  } catch (error) {
    for (const t of Object.values(out)) t?.destroy();
    throw error;
  } finally {
    for (const t of temporaries) t.destroy();
  }
}

/** What {@linkcode recurrentBackwardReference} returns (f64, layout 0). */
export interface RecurrentGradsReference {
  /** [T, B, I]. */
  x: Float64Array;
  /** [D, G·H, I]. */
  w: Float64Array;
  /** [D, G·H, H]. */
  r: Float64Array;
  /** [D, 2·G·H]. */
  bias: Float64Array;
  /** [D, B, H]. */
  initialH: Float64Array;
  /** [D, B, H]. */
  initialC: Float64Array;
  /** [D, 3·H]. */
  peepholes: Float64Array;
}

/**
 * f64 CPU reference of {@linkcode recurrentBackward}: replays the forward reference's tape
 * backwards, one (direction, batch row) at a time, with the chain rule written out per cell.
 */
export function recurrentBackwardReference(
  data: RecurrentData,
  grads: { y?: ArrayLike<number>; yH?: ArrayLike<number>; yC?: ArrayLike<number> },
  options: RecurrentOptions,
): RecurrentGradsReference {
  const fwd = recurrentReference(data, options);
  const { T, B, I, H, D, G } = fwd.plan;
  const GH = G * H;
  const clip = options.clip;
  const out: RecurrentGradsReference = {
    x: new Float64Array(T * B * I),
    w: new Float64Array(D * GH * I),
    r: new Float64Array(D * GH * H),
    bias: new Float64Array(D * 2 * GH),
    initialH: new Float64Array(D * B * H),
    initialC: new Float64Array(D * B * H),
    peepholes: new Float64Array(D * 3 * H),
  };
  const R = (d: number, m: number, k: number) => data.r[(d * GH + m) * H + k];
  const P = (d: number, k: number, j: number) => data.peepholes?.[d * 3 * H + k * H + j] ?? 0;
  for (let d = 0; d < D; d++) {
    const [f, g, hAct] = fwd.plan.activations[d];
    for (let b = 0; b < B; b++) {
      const steps = fwd.tape[d * B + b];
      const unit = (d * B + b) * H;
      let dh = Float64Array.from({ length: H }, (_, j) => grads.yH?.[unit + j] ?? 0);
      let dc = Float64Array.from(
        { length: H },
        (_, j) => options.cell === 'lstm' ? grads.yC?.[unit + j] ?? 0 : 0,
      );
      for (let s = steps.length - 1; s >= 0; s--) {
        const st = steps[s];
        const t = st.t;
        for (let j = 0; j < H; j++) dh[j] += grads.y?.[((t * D + d) * B + b) * H + j] ?? 0;
        // ∂L/∂(pre-activation) per gate row: input side (dAx), recurrent side (dAh), and the
        // vector the recurrent rows multiply (h_prev, or r ⊙ h_prev for GRU's h rows).
        const dAx = new Float64Array(GH);
        const dAh = new Float64Array(GH);
        const dhPrev = new Float64Array(H);
        const dcPrev = new Float64Array(H);
        let recurrentRows = GH;
        if (options.cell === 'rnn') {
          for (let j = 0; j < H; j++) dAx[j] = dh[j] * gateDerivative(f, st.pre[0][j], clip);
          dAh.set(dAx);
        } else if (options.cell === 'gru') {
          const [az, ar, ah] = st.pre;
          const dah = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            const z = gateReference(f, az[j], clip);
            dAx[j] = dh[j] * (st.hPrev[j] - gateReference(g, ah[j], clip)) *
              gateDerivative(f, az[j], clip);
            dah[j] = dh[j] * (1 - z) * gateDerivative(g, ah[j], clip);
            dAx[2 * H + j] = dah[j];
            dhPrev[j] += dh[j] * z;
          }
          if (options.linearBeforeReset) {
            for (let j = 0; j < H; j++) {
              dAx[H + j] = dah[j] * st.q[j] * gateDerivative(f, ar[j], clip);
              dAh[j] = dAx[j];
              dAh[H + j] = dAx[H + j];
              dAh[2 * H + j] = dah[j] * gateReference(f, ar[j], clip);
            }
          } else {
            for (let k = 0; k < H; k++) {
              let drh = 0;
              for (let j = 0; j < H; j++) drh += dah[j] * R(d, 2 * H + j, k);
              dAx[H + k] = drh * st.hPrev[k] * gateDerivative(f, ar[k], clip);
              dhPrev[k] += drh * gateReference(f, ar[k], clip);
            }
            dAh.set(dAx);
            // The h rows of R multiply r ⊙ h_prev: their gradient, here; not carried to h_prev.
            for (let j = 0; j < H; j++) {
              for (let k = 0; k < H; k++) {
                out.r[(d * GH + 2 * H + j) * H + k] += dah[j] * st.rh[k];
              }
            }
            recurrentRows = 2 * H;
          }
        } else {
          const [ai, ao, af, ac] = st.pre;
          for (let j = 0; j < H; j++) {
            const i = gateReference(f, ai[j], clip);
            const o = gateReference(f, ao[j], clip);
            const cc = gateReference(g, ac[j], clip);
            const c = st.c[j];
            const dao = dh[j] * activationReference(hAct, c) * gateDerivative(f, ao[j], clip);
            const dC = dc[j] + dh[j] * o * activationDerivative(hAct, c) + dao * P(d, 1, j);
            let di = dC * cc;
            const df = dC * st.cPrev[j];
            let fg: number;
            let daf = 0;
            if (options.inputForget) {
              fg = 1 - i;
              di -= df;
            } else {
              fg = gateReference(f, af[j], clip);
              daf = df * gateDerivative(f, af[j], clip);
            }
            const dai = di * gateDerivative(f, ai[j], clip);
            const dac = dC * i * gateDerivative(g, ac[j], clip);
            dcPrev[j] = dC * fg + dai * P(d, 0, j) + daf * P(d, 2, j);
            dAx[j] = dai;
            dAx[H + j] = dao;
            dAx[2 * H + j] = daf;
            dAx[3 * H + j] = dac;
            out.peepholes[d * 3 * H + j] += dai * st.cPrev[j];
            out.peepholes[d * 3 * H + H + j] += dao * c;
            out.peepholes[d * 3 * H + 2 * H + j] += daf * st.cPrev[j];
          }
          dAh.set(dAx);
        }
        for (let m = 0; m < GH; m++) {
          out.bias[d * 2 * GH + m] += dAx[m];
          out.bias[d * 2 * GH + GH + m] += dAh[m];
          for (let i = 0; i < I; i++) {
            const xv = data.x[(t * B + b) * I + i];
            out.w[(d * GH + m) * I + i] += dAx[m] * xv;
            out.x[(t * B + b) * I + i] += dAx[m] * data.w[(d * GH + m) * I + i];
          }
        }
        for (let m = 0; m < recurrentRows; m++) {
          for (let k = 0; k < H; k++) {
            out.r[(d * GH + m) * H + k] += dAh[m] * st.hPrev[k];
            dhPrev[k] += dAh[m] * R(d, m, k);
          }
        }
        dh = dhPrev;
        if (options.cell === 'lstm') dc = dcPrev;
      }
      out.initialH.set(dh, unit);
      out.initialC.set(dc, unit);
    }
  }
  return out;
}
