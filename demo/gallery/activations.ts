/**
 * Feature maps of a conv layer of the digit CNN. The layer picker's labels carry the shapes of
 * the tensors the model gives (captured), never hand-written ones.
 *
 * @module
 */

import type { GlassActivations } from '../../components/mod.ts';
import { captureActivations, type Tensor } from '../../src/mod.ts';
import type { JobContext } from '../explorer/scheduler.ts';
import type { Section } from './section.ts';
import { glass, h, image, MNIST, model, select } from './dom.ts';

/** The layers offered: tensor name and what it is. */
export const ACTIVATION_LAYERS: [string, string][] = [
  ['/relu1/Relu_output_0', 'conv1 + ReLU'],
  ['/relu2/Relu_output_0', 'conv2 + ReLU'],
];

/** "conv1 + ReLU (8 × 28 × 28)" from a captured [1, C, H, W] tensor's shape. */
export function layerLabel(what: string, shape: readonly number[]): string {
  return `${what} (${shape.slice(1).join(' × ')})`;
}

export const activationsSection: Section = {
  id: 'activations',
  title: 'Feature maps of the digit CNN',
  intro: 'The ReLU outputs of a convolution layer for one test digit, each map over its own ' +
    'range; hover (or focus and use the arrow keys) to enlarge a map.',
  async run(context) {
    const { engine, body, status } = context;
    const m = await model(engine, MNIST);
    const el = glass<GlassActivations>('glass-activations', '');
    el.columns = 8;
    let current = { i: 0, layer: ACTIVATION_LAYERS[0][0] };
    const capture = async (names: string[], job: JobContext) => {
      const input = await image('/models/data/mnist_test_x.npy', current.i);
      return captureActivations(m, input, names, { signal: job.signal });
    };
    const draw = async (t: Tensor) => {
      const data = await t.readFloat32();
      el.shape = t.shape.slice(1);
      el.data = data;
      // Enlarge the first map with any activation (a dead ReLU channel is one flat color).
      const [C, per] = [t.shape[1], data.length / t.shape[1]];
      let live = 0;
      while (live < C - 1 && !data.subarray(live * per, (live + 1) * per).some((v) => v > 0)) {
        live++;
      }
      el.selected = live;
    };
    const show = async (job: JobContext) => {
      status('Capturing activations…');
      const captured = await capture([current.layer], job);
      try {
        await draw(captured[current.layer]);
      } finally {
        captured[current.layer].destroy();
      }
      status('');
    };
    // The first capture takes every offered layer: their shapes label the picker.
    status('Capturing activations…');
    const all = await capture(ACTIVATION_LAYERS.map(([name]) => name), context);
    const labels: [string, string][] = [];
    try {
      for (const [name, what] of ACTIVATION_LAYERS) {
        labels.push([name, layerLabel(what, all[name].shape)]);
      }
      await draw(all[current.layer]);
    } finally {
      for (const t of Object.values(all)) t.destroy();
    }
    status('');
    const again = () =>
      context.submit(`Feature maps of digit #${current.i}, ${current.layer}`, show);
    body.append(
      h(
        'div',
        { class: 'controls' },
        select('Layer', labels, (v) => {
          current = { ...current, layer: v };
          again();
        }),
        select('Digit', [0, 1, 2, 3, 4].map((i) => [String(i), `test #${i}`]), (v) => {
          current = { ...current, i: Number(v) };
          again();
        }),
      ),
      el,
    );
  },
};
