// Unit tests of the image preprocessing (pure): every setting against values worked out by hand.
import { assertClose, assertEquals, assertThrows } from '../../test/assert.ts';
import { axisWeights, imagePlanes, preprocessImage, type RgbaImage } from './input_image.ts';
import type { ImageSettings } from './input_settings.ts';

/** An RGBA image from [r, g, b, a] pixels, row-major. */
function rgba(width: number, height: number, pixels: number[][]): RgbaImage {
  return { width, height, data: Uint8ClampedArray.from(pixels.flat()) };
}

function settings(patch: Partial<ImageSettings>): ImageSettings {
  return {
    kind: 'image',
    layout: 'nchw',
    channels: 3,
    height: 2,
    width: 2,
    fit: 'stretch',
    scale: '0-255',
    mean: [0, 0, 0],
    std: [1, 1, 1],
    order: 'rgb',
    invert: false,
    ...patch,
  };
}

const TOL = { atol: 1e-5 };

Deno.test('axisWeights: identity, area average when shrinking, bilinear when growing', () => {
  assertEquals(JSON.stringify(axisWeights(3, 0, 3, 3).map((w) => w.index[0])), '[0,1,2]');
  // 4 → 2: each output averages two pixels.
  const down = axisWeights(4, 0, 4, 2);
  assertEquals(
    JSON.stringify(down),
    JSON.stringify([{ index: [0, 1], weight: [0.5, 0.5] }, {
      index: [2, 3],
      weight: [0.5, 0.5],
    }]),
  );
  // 3 → 2: 1.5 pixels each: [0] + half of [1]; half of [1] + [2], weights over 1.5.
  const odd = axisWeights(3, 0, 3, 2);
  assertClose(odd[0].weight, [1 / 1.5, 0.5 / 1.5], TOL);
  assertEquals(odd[1].index.join(), '1,2');
  // 2 → 4 bilinear at pixel centers: centers at −0.25, 0.25, 0.75, 1.25 (clamped at the edges).
  const up = axisWeights(2, 0, 2, 4);
  const apply = (a: number, b: number) =>
    up.map(({ index, weight }) => index.reduce((s, i, k) => s + weight[k] * [a, b][i], 0));
  assertClose(apply(0, 100), [0, 25, 75, 100], TOL);
  assertThrows(() => axisWeights(2, 1, 2, 2), RangeError, 'interval');
});

Deno.test('imagePlanes: alpha over black, or over white when inverting; gray by ITU-R 601', () => {
  const img = rgba(2, 1, [[200, 100, 0, 255], [100, 100, 100, 0]]);
  const [r, g, b] = imagePlanes(img, 3, false);
  assertClose([r[0], g[0], b[0], r[1]], [200, 100, 0, 0], TOL);
  const [gray] = imagePlanes(img, 1, false);
  assertClose(gray, [0.299 * 200 + 0.587 * 100, 0], TOL);
  // Inverted: the transparent pixel is paper (white), which inverts to 0; 200 → 55.
  const [ri] = imagePlanes(img, 3, true);
  assertClose(ri, [55, 0], TOL);
  assertThrows(
    () => imagePlanes({ width: 2, height: 2, data: new Uint8Array(4) }, 1, false),
    RangeError,
  );
});

Deno.test('preprocessImage: scale, mean/std per channel, NCHW', () => {
  const img = rgba(2, 2, [[10, 20, 30, 255], [40, 50, 60, 255], [70, 80, 90, 255], [
    100,
    110,
    120,
    255,
  ]]);
  const p = preprocessImage(
    img,
    settings({ scale: '0-1', mean: [0.1, 0.2, 0.3], std: [0.5, 1, 2] }),
  );
  assertEquals(p.shape.join(), '1,3,2,2');
  const r = [10, 40, 70, 100].map((v) => (v / 255 - 0.1) / 0.5);
  const g = [20, 50, 80, 110].map((v) => (v / 255 - 0.2) / 1);
  const b = [30, 60, 90, 120].map((v) => (v / 255 - 0.3) / 2);
  assertClose(p.data, [...r, ...g, ...b], TOL);
  assertEquals(Array.from(p.view.rgba.slice(0, 8)).join(), '10,20,30,255,40,50,60,255');
});

Deno.test('preprocessImage: BGR order and NHWC layout', () => {
  const img = rgba(2, 1, [[10, 20, 30, 255], [40, 50, 60, 255]]);
  const p = preprocessImage(
    img,
    settings({ width: 2, height: 1, order: 'bgr', layout: 'nhwc', mean: [1, 2, 3] }),
  );
  assertEquals(p.shape.join(), '1,1,2,3');
  // Channel 0 is blue (minus mean[0]), 1 green, 2 red.
  assertClose(p.data, [30 - 1, 20 - 2, 10 - 3, 60 - 1, 50 - 2, 40 - 3], TOL);
});

Deno.test('preprocessImage: center crop keeps the middle, stretch averages everything', () => {
  // 4×2 gray ramp 0, 60, 120, 180 per column; to 2×2 the crop takes columns 1 and 2.
  const col = [0, 60, 120, 180];
  const img = rgba(4, 2, [...col, ...col].map((v) => [v, v, v, 255]));
  const crop = preprocessImage(
    img,
    settings({ channels: 1, mean: [0], std: [1], fit: 'center-crop' }),
  );
  assertClose(crop.data, [60, 120, 60, 120], TOL);
  const stretch = preprocessImage(img, settings({ channels: 1, mean: [0], std: [1] }));
  assertClose(stretch.data, [30, 150, 30, 150], TOL);
  // A tall image: the crop takes the middle rows.
  const tall = rgba(1, 3, [[0, 0, 0, 255], [90, 90, 90, 255], [200, 200, 200, 255]]);
  const t = preprocessImage(
    tall,
    settings({ channels: 1, mean: [0], std: [1], width: 1, height: 1, fit: 'center-crop' }),
  );
  assertClose(t.data, [90], TOL);
});

Deno.test('preprocessImage: the MNIST digit fit puts a blob into 20×20, centered by mass', () => {
  // A 2×2 white square at (3, 5) in a 28×28 black image: its box grows ×10 to 20×20, the
  // center of mass (9.5 + 0.5 = 10) goes to 14, so the square covers rows and columns 4..23.
  const pixels = Array.from({ length: 28 * 28 }, (_, p) => {
    const x = p % 28, y = Math.floor(p / 28);
    const on = x >= 3 && x < 5 && y >= 5 && y < 7;
    return [on ? 255 : 0, on ? 255 : 0, on ? 255 : 0, 255];
  });
  const p = preprocessImage(
    rgba(28, 28, pixels),
    settings({
      channels: 1,
      mean: [0],
      std: [1],
      width: 28,
      height: 28,
      fit: 'digit',
      scale: '0-1',
    }),
  );
  const expected = Array.from({ length: 28 * 28 }, (_, i) => {
    const x = i % 28, y = Math.floor(i / 28);
    return x >= 4 && x < 24 && y >= 4 && y < 24 ? 1 : 0;
  });
  assertClose(p.data, expected, TOL);
  // No ink: zeros (no division by a zero mass).
  const empty = preprocessImage(
    rgba(28, 28, pixels.map(() => [0, 0, 0, 255])),
    settings({ channels: 1, mean: [0], std: [1], width: 28, height: 28, fit: 'digit' }),
  );
  assertEquals(empty.data.every((v) => v === 0), true);
});

Deno.test('preprocessImage: mean/std of the wrong length is refused with a sentence', () => {
  const img = rgba(1, 1, [[0, 0, 0, 255]]);
  assertThrows(
    () => preprocessImage(img, settings({ width: 1, height: 1, mean: [0] })),
    RangeError,
    'mean and std need 3 values',
  );
});
