/**
 * The live panel: draw a digit; the CNN's prediction and saliency map update as you draw. Each
 * update is an 'interactive' job keyed `live`, so a newer stroke cancels the stale one, and the
 * panel shows it is busy from the first stroke on.
 *
 * @module
 */

import type { GlassSaliency } from '../../components/mod.ts';
import { explain, type ExplainOptions } from '../../src/mod.ts';
import type { JobContext } from '../explorer/scheduler.ts';
import { CancelledError } from '../explorer/scheduler.ts';
import type { Defaults, Section } from './section.ts';
import { argmax, DIGITS, glass, h, MNIST, model, percent, select } from './dom.ts';

/**
 * MNIST-style preprocessing of a drawing (white ink on black, values in [0, 1]): the ink's
 * bounding box scaled to fit 20×20 (aspect kept, antialiased), placed in 28×28 with its centre of
 * mass at the centre. Returns null for an empty drawing.
 */
export function mnistFromCanvas(source: HTMLCanvasElement): Float32Array | null {
  const { width, height } = source;
  const pixels = source.getContext('2d')!.getImageData(0, 0, width, height).data;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[(y * width + x) * 4] > 12) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale)), hh = Math.max(1, Math.round(bh * scale));
  const box = document.createElement('canvas');
  box.width = w;
  box.height = hh;
  const ctx = box.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, x0, y0, bw, bh, 0, 0, w, hh);
  const small = ctx.getImageData(0, 0, w, hh).data;
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < hh; y++) {
    for (let x = 0; x < w; x++) {
      const v = small[(y * w + x) * 4] / 255;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  // Pixel centres: the box's centre of mass (+0.5) lands on the image's centre (14).
  const ox = Math.round(14 - (mx / mass + 0.5)), oy = Math.round(14 - (my / mass + 0.5));
  const out = new Float32Array(28 * 28);
  for (let y = 0; y < hh; y++) {
    for (let x = 0; x < w; x++) {
      const tx = x + ox, ty = y + oy;
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) {
        out[ty * 28 + tx] = small[(y * w + x) * 4] / 255;
      }
    }
  }
  return out;
}

/**
 * The explain options of the live panel's methods. Grad-CAM is upsampled to the input's 28×28,
 * where the panel draws it (its own map is the 7×7 of the last conv layer).
 */
export function liveOptions(method: ExplainOptions['method'], d: Defaults): ExplainOptions {
  switch (method) {
    case 'integrated-gradients':
      return { method, steps: d.liveSteps };
    case 'smoothgrad':
      return { method, samples: d.liveSteps };
    case 'grad-cam':
      return { method, upsample: true };
    default:
      return { method };
  }
}

export const liveSection: Section = {
  id: 'live',
  title: 'Live: draw a digit',
  intro: 'Draw a digit with the mouse, a pen or a finger. The drawing is reduced like MNIST ' +
    '(fit into 20×20, centre of mass at the centre of 28×28), and the CNN’s prediction and ' +
    'saliency map update as you draw.',
  async run(context) {
    const { engine, body, status, defaults } = context;
    const m = await model(engine, MNIST);
    const pad = h('canvas', { width: 280, height: 280, class: 'pad' });
    pad.setAttribute('aria-label', 'Drawing pad: draw a digit');
    const ctx = pad.getContext('2d', { willReadFrequently: true })!;
    const clear = () => {
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, pad.width, pad.height);
    };
    clear();
    const el = glass<GlassSaliency>('glass-saliency', 'width: 300px');
    el.label = 'Saliency of the drawn digit';
    const bars = h('div', { class: 'bars' });
    const panel = h('div', { class: 'live' }, pad, bars, el);
    let method: ExplainOptions['method'] = 'integrated-gradients';
    const draw = (probabilities: Float32Array | null) => {
      bars.replaceChildren(
        ...DIGITS.map((d, k) => {
          const p = probabilities?.[k] ?? 0;
          const best = probabilities !== null && k === argmax(probabilities);
          return h(
            'div',
            { class: best ? 'bar best' : 'bar' },
            h('span', {}, d),
            h('span', { class: 'fill', style: `width: ${(100 * p).toFixed(1)}%` }),
            h('span', { class: 'value' }, probabilities ? percent(p) : ''),
          );
        }),
      );
    };
    draw(null);
    let answered = false;
    /** Shows at once that an answer is coming (the first one compiles the GPU pipelines). */
    const busy = () => {
      panel.dataset.busy = 'true';
      panel.setAttribute('aria-busy', 'true');
      status(
        answered ? 'Predicting…' : 'Predicting… (the first answer compiles the GPU pipelines)',
      );
    };
    const update = async (job: JobContext) => {
      const x = mnistFromCanvas(pad);
      if (!x) {
        draw(null);
        el.maps = null;
        el.image = null;
        status('Draw a digit.');
        return;
      }
      const t0 = performance.now();
      const e = await explain(m, { data: x, shape: [1, 1, 28, 28] }, {
        ...liveOptions(method, defaults),
        signal: job.signal,
        onProgress: job.progress,
      });
      const map = await e.attribution.readFloat32();
      e.attribution.destroy();
      job.signal.throwIfAborted();
      const p = e.probabilities[0];
      draw(p);
      el.image = { data: x, shape: [28, 28] };
      el.attribution = map;
      el.shape = [28, 28];
      answered = true;
      status(
        `Predicted ${argmax(p)} (${percent(p[argmax(p)])}) in ${
          (performance.now() - t0).toFixed(0)
        } ms.`,
      );
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      busy();
      clearTimeout(timer);
      timer = setTimeout(() => {
        const job = context.submit('Live prediction', update, { key: 'live' });
        job.promise.then(
          () => {
            delete panel.dataset.busy;
            panel.removeAttribute('aria-busy');
          },
          (error) => {
            // A newer stroke replaced this one: its job owns the busy state.
            if (error instanceof CancelledError) return;
            delete panel.dataset.busy;
            panel.removeAttribute('aria-busy');
          },
        );
      }, 120);
    };
    let last: [number, number] | null = null;
    const at = (e: PointerEvent): [number, number] => {
      const r = pad.getBoundingClientRect();
      return [
        (e.clientX - r.left) * pad.width / r.width,
        (e.clientY - r.top) * pad.height / r.height,
      ];
    };
    pad.addEventListener('pointerdown', (e) => {
      pad.setPointerCapture(e.pointerId);
      last = at(e);
      ctx.fillStyle = '#fff';
      ctx.beginPath();
      ctx.arc(last[0], last[1], 10, 0, 2 * Math.PI);
      ctx.fill();
      schedule();
    });
    pad.addEventListener('pointermove', (e) => {
      if (!last) return;
      const p = at(e);
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 20;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      last = p;
      schedule();
    });
    const end = () => {
      last = null;
    };
    pad.addEventListener('pointerup', end);
    pad.addEventListener('pointercancel', end);
    const clearButton = h('button', { type: 'button' }, 'Clear');
    clearButton.addEventListener('click', () => {
      clear();
      schedule();
    });
    const methodPicker = select('Method', [
      ['integrated-gradients', `Integrated gradients (${defaults.liveSteps} steps)`],
      ['gradient', 'Gradient'],
      ['smoothgrad', `SmoothGrad (${defaults.liveSteps} samples)`],
      ['lrp', 'LRP-ε'],
      ['grad-cam', 'Grad-CAM (upsampled)'],
    ], (v) => {
      method = v as ExplainOptions['method'];
      schedule();
    });
    body.append(h('div', { class: 'controls' }, clearButton, methodPicker), panel);
    status('Draw a digit.');
  },
};
