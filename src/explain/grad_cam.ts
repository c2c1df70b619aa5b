/**
 * Class activation maps from gradients at a convolutional layer: Grad-CAM (Selvaraju et al.
 * 2017: channel weights are the spatial mean of the target's gradient; ReLU of the weighted sum
 * of the activations) and HiResCAM (Draelos & Carin 2020: ReLU of Σ_c gradient ⊙ activation),
 * optionally resampled to the input's size (bilinear, half-pixel centers).
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import { binary } from '../ops/binary.ts';
import { expand } from '../ops/expand.ts';
import { reduce } from '../ops/reduce.ts';
import { resizeBilinear } from '../ops/resize_bilinear.ts';
import { unary } from '../ops/unary.ts';
import { sizeOf, type Tensor } from '../tensor.ts';
import { batchGradients, type Subject, subjectPlan } from './subject.ts';

/** The CAM methods. */
export type CamMethod = 'grad-cam' | 'hires-cam';

/** Options of {@linkcode gradCam}. */
export interface GradCamOptions {
  /** The layer's tensor name (default: the last rank-4 activation that feeds no other). */
  layer?: string;
  /** Resample to the input's spatial size and repeat over its channels (the input's shape). */
  upsample?: boolean;
}

/**
 * The default Grad-CAM layer: the last computed tensor of rank ≥ 3 with spatial extent (after
 * the final convolution block, before flattening).
 */
export function defaultCamLayer(subject: Subject): string {
  const plan = subjectPlan(subject);
  let best: string | undefined;
  for (const step of plan.steps) {
    step.node.outputs.forEach((name, i) => {
      const shape = step.outputs[i]?.shape;
      if (name && shape && shape.length >= 3 && sizeOf(shape.slice(2)) > 1) best = name;
    });
  }
  if (!best) {
    throw new ArgumentError(
      'Cannot run Grad-CAM: the model has no activation with spatial axes ([N, C, ...spatial]); ' +
        'name a layer with --layer',
    );
  }
  return best;
}

/**
 * CAM maps [batch, ...layer spatial], or with `upsample` the input's shape. The caller owns
 * the tensor. Returns the layer used.
 */
export function gradCam(
  subject: Subject,
  method: CamMethod,
  targets: readonly number[],
  options: GradCamOptions,
): { attribution: Tensor; layer: string } {
  const engine = subject.model.engine;
  const layer = options.layer ?? defaultCamLayer(subject);
  const result = batchGradients(subject, targets, { wrt: layer, keep: [layer] });
  try {
    const g = result.grads[layer];
    const a = result.values[layer];
    if (a.rank < 3) {
      throw new ArgumentError(
        `Cannot run ${method} at '${layer}': it has shape [${a.shape}], not [N, C, ...spatial]`,
      );
    }
    const [n, c] = a.shape;
    const spatial = a.shape.slice(2);
    const hw = sizeOf(spatial);
    using g3 = g.reshape([n, c, hw]);
    using a3 = a.reshape([n, c, hw]);
    let weighted: Tensor;
    if (method === 'grad-cam') {
      using alpha = reduce(engine, 'mean', g3, { axis: 2, keepDims: true });
      weighted = binary(engine, 'mul', a3, alpha);
    } else {
      weighted = binary(engine, 'mul', a3, g3);
    }
    using w = weighted;
    using summed = reduce(engine, 'sum', w, { axis: 1 });
    using cam = unary(engine, 'relu', summed);
    if (!options.upsample) return { attribution: cam.reshape([n, ...spatial]), layer };
    const inputShape = subject.feeds[subject.inputName].shape;
    if (spatial.length !== 2 || inputShape.length !== 4) {
      throw new ArgumentError(
        `Cannot upsample ${method}: it needs a 2-D layer and an [N, C, H, W] input; layer ` +
          `'${layer}' is [${a.shape}], the input [${inputShape}]`,
      );
    }
    using maps = cam.reshape([n, 1, ...spatial]);
    using big = resizeBilinear(engine, maps, [inputShape[2], inputShape[3]]);
    return {
      attribution: expand(engine, big, [n, inputShape[1], inputShape[2], inputShape[3]]),
      layer,
    };
  } finally {
    for (const t of [...Object.values(result.grads), ...Object.values(result.values)]) t.destroy();
  }
}
