/**
 * Bilinear resampling of the last two axes (half-pixel centers, as PyTorch's
 * `interpolate(mode='bilinear', align_corners=False)`): Grad-CAM maps up to the input's size.
 *
 * @module
 */

import resizeSource from '../../shaders/attr/resize_bilinear.wgsl' with { type: 'text' };
import type { Engine } from '../gpu/engine.ts';
import { ShapeError } from '../gpu/errors.ts';
import { empty, formatShape, type Tensor } from '../tensor.ts';
import { checkOperand, WORKGROUP_SIZE } from './common.ts';

/**
 * Resamples the last two axes of `x` (rank ≥ 2, f32) to `size` = [H, W]; leading axes are
 * kept. Returns a new tensor.
 *
 * @throws {ShapeError} for a rank below 2, an empty input or a size that is not two positive
 *   integers.
 */
export function resizeBilinear(
  engine: Engine,
  x: Tensor,
  size: readonly [number, number],
  options: { label?: string } = {},
): Tensor {
  checkOperand(engine, 'resizeBilinear', 'x', x, ['f32']);
  if (x.rank < 2 || x.size === 0) {
    throw new ShapeError(
      `Cannot run resizeBilinear: x must have rank ≥ 2 and elements, got ${formatShape(x.shape)}`,
    );
  }
  if (size.length !== 2 || size.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(
      `Cannot run resizeBilinear: size must be two positive integers, got [${size}]`,
    );
  }
  const [h, w] = x.shape.slice(-2);
  const [H, W] = size;
  const planes = x.size / (h * w);
  const y = empty(engine, [...x.shape.slice(0, -2), H, W], {
    label: options.label ?? 'resizeBilinear.out',
  });
  const n = planes * H * W;
  engine.dispatch({
    code: resizeSource,
    label: 'attr/resize_bilinear.wgsl',
    constants: { WG: WORKGROUP_SIZE },
    bindings: [
      x.buffer,
      y.buffer,
      engine.constants('resizeBilinear.geometry', new Uint32Array([n, h, w, H, W])),
    ],
    workgroups: Math.ceil(n / WORKGROUP_SIZE),
  });
  return y;
}

/** f64 CPU reference of {@linkcode resizeBilinear} (the same half-pixel rule). */
export function resizeBilinearReference(
  x: ArrayLike<number>,
  shape: readonly number[],
  size: readonly [number, number],
): Float64Array {
  const [h, w] = shape.slice(-2);
  const [H, W] = size;
  const planes = x.length / (h * w);
  const out = new Float64Array(planes * H * W);
  const src = (d: number, inSize: number, outSize: number) => {
    const s = Math.max((d + 0.5) * (inSize / outSize) - 0.5, 0);
    const i0 = Math.min(Math.floor(s), inSize - 1);
    return [i0, Math.min(i0 + 1, inSize - 1), s - i0];
  };
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < H; oy++) {
      const [y0, y1, ly] = src(oy, h, H);
      for (let ox = 0; ox < W; ox++) {
        const [x0, x1, lx] = src(ox, w, W);
        const at = (r: number, c: number) => x[p * h * w + r * w + c];
        const top = at(y0, x0) * (1 - lx) + at(y0, x1) * lx;
        const bottom = at(y1, x0) * (1 - lx) + at(y1, x1) * lx;
        out[(p * H + oy) * W + ox] = top * (1 - ly) + bottom * ly;
      }
    }
  }
  return out;
}
