/**
 * Class activation maps from gradients at a layer: Grad-CAM (Selvaraju et al. 2017: channel
 * weights are the spatial mean of the target's gradient; the weighted sum of the activations)
 * and HiResCAM (Draelos & Carin 2020: Σ_c gradient ⊙ activation), each followed by a ReLU
 * unless `relu: false` (Captum's `LayerGradCam` default, `relu_attributions=False`), and
 * optionally resampled to the input's size (`nearest` or `bilinear`, as Captum's
 * `LayerAttribution.interpolate` and PyTorch's `F.interpolate` with `align_corners=False`).
 *
 * Which layers have a map, found from the graph rather than from a tensor's rank:
 * - a convolutional feature map [N, C, ...spatial]: the output of a Conv or pooling layer, or
 *   of elementwise layers on one (ReLU, BatchNorm, residual Add, ...). The default is the last
 *   one with more than one position.
 * - a vision transformer's patch tokens [N, k + h·w, D] (after a patchifying Conv — kernel =
 *   stride — with D channels on an h×w grid, and k ≤ 2 leading class/distillation tokens): the k
 *   leading tokens are dropped and the h·w tokens laid out on the patch grid, D as channels
 *   (pytorch-grad-cam's `reshape_transform`). With a class token the default is the last token
 *   grid that feeds the last attention (the last block's first LayerNorm in torchvision and timm):
 *   after that attention only the class token reaches the output, so the patch tokens' gradients
 *   are zero. Without one (mean-pooled tokens) it is the last token grid.
 * Anything else — a token sequence of a text model, a flattened feature vector — is refused with
 * a sentence that names the methods that fit.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import { Attributes } from '../graph/operator.ts';
import type { Plan } from '../graph/plan.ts';
import { binary } from '../ops/binary.ts';
import { expand } from '../ops/expand.ts';
import { matmul } from '../ops/matmul.ts';
import { reduce } from '../ops/reduce.ts';
import { slice } from '../ops/slice.ts';
import { transpose } from '../ops/transpose.ts';
import { unary } from '../ops/unary.ts';
import { formatShape, sizeOf, type Tensor, tensor } from '../tensor.ts';
import { batchGradients, type Subject, subjectPlan } from './subject.ts';

/** The CAM methods. */
export type CamMethod = 'grad-cam' | 'hires-cam';

/** How a CAM map is resampled to the input's size. */
export type CamInterpolation = 'nearest' | 'bilinear';

/** Options of {@linkcode gradCam}. */
export interface GradCamOptions {
  /**
   * The layer's tensor name (default: the last convolutional feature map, or a vision
   * transformer's patch tokens before its last attention; see the module doc).
   */
  layer?: string;
  /**
   * Resample to the input's spatial size and repeat over its channels (the input's shape):
   * `true` or `'bilinear'` (linear for 1-D maps), or `'nearest'` (Captum's
   * `LayerAttribution.interpolate` default). Default: no resampling.
   */
  upsample?: boolean | CamInterpolation;
  /** Apply a ReLU to the map (default true, as the papers; Captum's default is false). */
  relu?: boolean;
}

/** A layer Grad-CAM can read, and how its axes are laid out. */
export type CamLayout =
  | { kind: 'spatial'; name: string; shape: number[] }
  | {
    kind: 'tokens';
    name: string;
    shape: number[];
    /** Leading non-patch tokens (class, distillation) dropped from the map. */
    skip: number;
    /** The patch grid [h, w]. */
    grid: [number, number];
  };

/** Operators whose outputs are [N, C, ...spatial] by the ONNX definition (rank ≥ 3). */
const SPATIAL_OPS = new Set([
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'LpPool',
  'BatchNormalization',
  'InstanceNormalization',
  'LRN',
  'DepthToSpace',
  'SpaceToDepth',
]);

/** Operators that keep an [N, C, ...spatial] layout when their output keeps the rank. */
const LAYOUT_KEEPING = new Set(['Concat', 'Pad', 'Resize', 'Upsample', 'Slice', 'Split']);

/** Operators that never keep the layout, even when the shape happens to stay the same. */
const LAYOUT_BREAKING = new Set(['Transpose', 'Reshape', 'Flatten', 'MatMul', 'Gemm', 'Einsum']);

/** The analysis of a model's plan: which tensors are feature maps or patch-token grids. */
export interface CamCandidates {
  /** Layers with a map, in execution order. */
  layers: CamLayout[];
  /** The default layer, if any. */
  default?: CamLayout;
  /** The patch grid of a vision transformer, if the model has one. */
  vit?: { conv: string; grid: [number, number]; dim: number };
}

/** Finds the layers Grad-CAM can read in a subject's plan (see the module doc). */
export function camCandidates(subject: Subject): CamCandidates {
  const plan = subjectPlan(subject);
  return analyze(plan, subject.batch);
}

function analyze(plan: Plan, batch: number): CamCandidates {
  const spatial = new Set<string>();
  const layers: CamLayout[] = [];
  let vit: CamCandidates['vit'];
  let vitStep = -1;
  const gridSteps: { index: number; layout: CamLayout }[] = [];
  let lastMixing = -1;
  plan.steps.forEach((step, index) => {
    const { node } = step;
    if (node.op === 'MatMul' && node.inputs.every((n) => !plan.known.has(n))) lastMixing = index;
    node.outputs.forEach((name, i) => {
      const shape = step.outputs[i]?.shape;
      if (!name || !shape) return;
      const fromSpatial = node.inputs.some((n) => {
        const s = plan.infos.get(n)?.shape;
        return spatial.has(n) && s !== undefined &&
          (s.join() === shape.join() || (LAYOUT_KEEPING.has(node.op) && s.length === shape.length));
      });
      const isSpatial = shape.length >= 3 && !LAYOUT_BREAKING.has(node.op) &&
        (SPATIAL_OPS.has(node.op) || fromSpatial);
      if (isSpatial) {
        spatial.add(name);
        if (sizeOf(shape.slice(2)) > 1) layers.push({ kind: 'spatial', name, shape: [...shape] });
      }
      if (node.op === 'Conv' && !vit && shape.length === 4 && step.infos[1]) {
        const kernel = step.infos[1].shape.slice(2);
        const strides = new Attributes(node).ints('strides', [1, 1]);
        if (kernel.every((k, d) => k > 1 && k === strides[d])) {
          vit = { conv: name, grid: [shape[2], shape[3]], dim: shape[1] };
          vitStep = index;
        }
      }
      if (vit && index > vitStep && shape.length === 3 && shape[0] === batch) {
        const patches = vit.grid[0] * vit.grid[1];
        const skip = shape[1] - patches;
        if (shape[2] === vit.dim && skip >= 0 && skip <= 2) {
          const layout: CamLayout = {
            kind: 'tokens',
            name,
            shape: [...shape],
            skip,
            grid: vit.grid,
          };
          layers.push(layout);
          gridSteps.push({ index, layout });
        }
      }
    });
  });
  let chosen: CamLayout | undefined;
  if (gridSteps.length > 0) {
    const withClassToken = gridSteps.some((g) => g.layout.kind === 'tokens' && g.layout.skip > 0);
    const before = gridSteps.filter((g) => g.index < lastMixing);
    chosen = (withClassToken && before.length > 0 ? before : gridSteps).at(-1)!.layout;
  } else {
    chosen = layers.filter((l) => l.kind === 'spatial').at(-1);
  }
  return { layers, default: chosen, vit };
}

/** What to use instead when a model has no layer with a map. */
function alternatives(subject: Subject): string {
  if (subject.embedding) {
    return 'for token inputs use integrated-gradients, gradient or occlusion, which attribute to ' +
      'each token at the embedding';
  }
  return 'use integrated-gradients, gradient or occlusion, which attribute to the input itself';
}

/**
 * The layer a CAM method reads: the given one, checked, or the default for the architecture.
 *
 * @throws {ArgumentError} when the model has no feature map or patch grid, or the given layer
 *   is neither.
 */
export function resolveCamLayer(subject: Subject, method: CamMethod, layer?: string): CamLayout {
  const found = camCandidates(subject);
  if (layer === undefined) {
    if (!found.default) {
      throw new ArgumentError(
        `Cannot run ${method}: the model has no convolutional feature map ([N, C, ...spatial] ` +
          "from a Conv or pooling layer) and no vision transformer's patch-token grid, so there " +
          `is no spatial layer to weigh; ${alternatives(subject)}`,
      );
    }
    return found.default;
  }
  const known = found.layers.find((l) => l.name === layer);
  if (known) return known;
  const info = subjectPlan(subject).infos.get(layer);
  if (!info) {
    throw new ArgumentError(`Cannot run ${method}: the model has no tensor '${layer}'`);
  }
  const suggestion = found.default
    ? `; the default layer is '${found.default.name}' ${formatShape(found.default.shape)}`
    : `; ${alternatives(subject)}`;
  throw new ArgumentError(
    `Cannot run ${method} at '${layer}' ${formatShape(info.shape)}: it is neither a ` +
      'convolutional feature map [N, C, ...spatial] with more than one position nor a vision ' +
      "transformer's patch-token grid, so its axes have no spatial reading" + suggestion,
  );
}

/** PyTorch's `F.interpolate` (align_corners=False) along one axis as an [out, in] matrix. */
export function interpolationMatrix(
  size: number,
  to: number,
  mode: CamInterpolation,
): Float32Array {
  const m = new Float32Array(to * size);
  const scale = size / to;
  for (let o = 0; o < to; o++) {
    if (mode === 'nearest') {
      m[o * size + Math.min(Math.floor(o * scale), size - 1)] = 1;
      continue;
    }
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    const t = src - i0;
    m[o * size + i0] += 1 - t;
    m[o * size + i1] += t;
  }
  return m;
}

/** Resamples maps [n, ...spatial] (1-D or 2-D) to `size` by separable matrix products. */
function resample(
  maps: Tensor,
  size: readonly number[],
  mode: CamInterpolation,
): Tensor {
  const engine = maps.engine;
  const [n, ...spatial] = maps.shape;
  if (spatial.length === 1) {
    using m = tensor(engine, interpolationMatrix(spatial[0], size[0], mode), [size[0], spatial[0]]);
    using rows = maps.reshape([n, 1, spatial[0]]);
    using out = matmul(engine, rows, m, { transposeB: true });
    return out.reshape([n, size[0]]);
  }
  const [h, w] = spatial;
  using mh = tensor(engine, interpolationMatrix(h, size[0], mode), [size[0], h]);
  using mw = tensor(engine, interpolationMatrix(w, size[1], mode), [size[1], w]);
  using tall = matmul(engine, mh, maps);
  return matmul(engine, tall, mw, { transposeB: true });
}

/**
 * CAM maps [batch, ...layer spatial] (token grids: [batch, h, w]), or with `upsample` the
 * input's shape. The caller owns the tensor. Returns the layer used.
 *
 * @throws {ArgumentError} for a layer without a spatial reading (see
 *   {@linkcode resolveCamLayer}), or `upsample` when the map's and the input's spatial ranks
 *   differ or are not 1 or 2.
 */
export function gradCam(
  subject: Subject,
  method: CamMethod,
  targets: readonly number[],
  options: GradCamOptions,
): { attribution: Tensor; layer: string } {
  const engine = subject.model.engine;
  const layout = resolveCamLayer(subject, method, options.layer);
  const layer = layout.name;
  const mode: CamInterpolation | undefined = options.upsample === true
    ? 'bilinear'
    : options.upsample === false || options.upsample === undefined
    ? undefined
    : options.upsample;
  if (mode !== undefined && mode !== 'nearest' && mode !== 'bilinear') {
    throw new ArgumentError(
      `Cannot upsample ${method}: upsample must be true, false, 'nearest' or 'bilinear', got ` +
        `'${options.upsample}'`,
    );
  }
  const inputShape = subject.feeds[subject.inputName].shape;
  const spatial = layout.kind === 'tokens' ? layout.grid : layout.shape.slice(2);
  if (
    mode && (spatial.length !== inputShape.length - 2 || spatial.length > 2 || subject.embedding)
  ) {
    throw new ArgumentError(
      `Cannot upsample ${method}: the map of '${layer}' has ${spatial.length} spatial axes ` +
        `[${spatial}] and the input ${formatShape(inputShape)} has ${
          Math.max(0, inputShape.length - 2)
        }; resampling needs 1 or 2 of each, the same number`,
    );
  }
  const result = batchGradients(subject, targets, { wrt: layer, keep: [layer] });
  try {
    const g = result.grads[layer];
    const a = result.values[layer];
    const n = a.shape[0];
    const hw = sizeOf(spatial);
    // Both as [n, C, positions].
    let a3: Tensor;
    let g3: Tensor;
    if (layout.kind === 'spatial') {
      a3 = a.reshape([n, a.shape[1], hw]);
      g3 = g.reshape([n, g.shape[1], hw]);
    } else {
      // [n, k + hw, D] → patch tokens [n, hw, D] → channels first [n, D, hw].
      using ap = slice(engine, a, { starts: [layout.skip], ends: [a.shape[1]], axes: [1] });
      using gp = slice(engine, g, { starts: [layout.skip], ends: [g.shape[1]], axes: [1] });
      a3 = transpose(engine, ap, { perm: [0, 2, 1] });
      g3 = transpose(engine, gp, { perm: [0, 2, 1] });
    }
    using aa = a3;
    using gg = g3;
    let weighted: Tensor;
    if (method === 'grad-cam') {
      using alpha = reduce(engine, 'mean', gg, { axis: 2, keepDims: true });
      weighted = binary(engine, 'mul', aa, alpha);
    } else {
      weighted = binary(engine, 'mul', aa, gg);
    }
    using w = weighted;
    using summed = reduce(engine, 'sum', w, { axis: 1 });
    using cam = options.relu === false
      ? summed.reshape(summed.shape)
      : unary(engine, 'relu', summed);
    using maps = cam.reshape([n, ...spatial]);
    if (!mode) return { attribution: maps.reshape(maps.shape), layer };
    using big = resample(maps, inputShape.slice(2), mode);
    using one = big.reshape([n, 1, ...inputShape.slice(2)]);
    return { attribution: expand(engine, one, [n, ...inputShape.slice(1)]), layer };
  } finally {
    for (const t of [...Object.values(result.grads), ...Object.values(result.values)]) t.destroy();
  }
}
