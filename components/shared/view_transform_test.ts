// The view matrices against the formulas they replaced (Deno and the browser): the shader's
// uniform exactly, screen positions and picking within f64 rounding.
import { mat3d, vec2d } from 'wgpu-matrix';
import { test } from '../../test/harness.ts';
import { assert, assertArrayEquals, assertClose } from '../../test/assert.ts';
import type { View } from '../view_helpers.ts';
import {
  clipFromWorld,
  glslMat3,
  screenFromWorld,
  type ViewSize,
  worldFromScreen,
} from './view_transform.ts';

interface Case {
  name: string;
  view: View;
  size: ViewSize;
}

// A control case, then one thing varied at a time.
const CONTROL: Case = { name: 'control', view: { cx: 0, cy: 0, scale: 1 }, size: sz(200, 150) };
const CASES: Case[] = [
  CONTROL,
  { ...CONTROL, name: 'off-center', view: { cx: 3.7, cy: -12.25, scale: 1 } },
  { ...CONTROL, name: 'zoomed in', view: { cx: 0, cy: 0, scale: 37.3 } },
  { ...CONTROL, name: 'zoomed out', view: { cx: 0, cy: 0, scale: 1e-4 } },
  { ...CONTROL, name: 'odd size', size: sz(201, 151) },
  {
    ...CONTROL,
    name: 'far away, deep zoom',
    view: { cx: 123456.789, cy: -98765.4321, scale: 2e3 },
  },
  { name: 'all varied', view: { cx: 10.5, cy: 4.25, scale: 13.7 }, size: sz(333, 97) },
];

function sz(width: number, height: number): ViewSize {
  return { width, height };
}

// The formulas of the elements before the matrices (graph.ts, weights.ts, projector.ts).
function oldUniforms(v: View, size: ViewSize, yUp: boolean) {
  const sx = (2 * v.scale) / size.width;
  const sy = (2 * v.scale) / size.height;
  return { scale: [sx, yUp ? sy : -sy], offset: [-sx * v.cx, sy * v.cy] };
}

function oldScreen(v: View, size: ViewSize, yUp: boolean, x: number, y: number) {
  const wy = yUp ? -y : y;
  return [(x - v.cx) * v.scale + size.width / 2, (wy - v.cy) * v.scale + size.height / 2];
}

function oldWorld(v: View, size: ViewSize, yUp: boolean, sx: number, sy: number) {
  const wx = v.cx + (sx - size.width / 2) / v.scale;
  const wy = v.cy + (sy - size.height / 2) / v.scale;
  return [wx, yUp ? -wy : wy];
}

// Sample points around the view's center, in world units and in CSS pixels.
function worldPoints(c: Case, yUp: boolean): number[][] {
  const r = c.size.width / c.view.scale;
  const y0 = yUp ? -c.view.cy : c.view.cy;
  return [[0, 0], [1, 1], [-0.3, 0.7], [r, -r / 3], [-r / 2, r / 4]].map(([dx, dy]) => [
    c.view.cx + dx,
    y0 + dy,
  ]);
}

const SCREEN_POINTS = [[0, 0], [100, 75], [0.5, 149.5], [12.25, 3.75], [200, 150], [-40, 310]];

for (const yUp of [false, true]) {
  const axis = yUp ? 'y up' : 'y down';

  test(`view transform (${axis}): the shader's mat3 equals the former scale/offset`, () => {
    for (const c of CASES) {
      const m = clipFromWorld(c.view, c.size, { yUp });
      const { scale, offset } = oldUniforms(c.view, c.size, yUp);
      // Exactly, in f64: the f32 uniform is then the same rounding of the same numbers.
      assertArrayEquals(
        [m[0], m[1], m[4], m[5], m[8], m[9], m[2], m[6], m[10]],
        [scale[0], 0, 0, scale[1], offset[0], offset[1], 0, 0, 1],
        `${c.name}: clipFromWorld`,
      );
      const u = glslMat3(m);
      assertArrayEquals(
        u,
        new Float32Array([scale[0], 0, 0, 0, scale[1], 0, offset[0], offset[1], 1]),
        `${c.name}: glslMat3`,
      );
    }
  });

  test(`view transform (${axis}): screen positions match (x − cx)·scale + size/2`, () => {
    for (const c of CASES) {
      const m = screenFromWorld(c.view, c.size, { yUp });
      for (const [x, y] of worldPoints(c, yUp)) {
        const got = vec2d.transformMat3([x, y], m);
        const want = oldScreen(c.view, c.size, yUp, x, y);
        // Rounding of |x·scale| and |cx·scale|, a few ulps of the larger.
        const atol = 8 * Number.EPSILON * (Math.abs(x * c.view.scale) + Math.abs(
          c.view.cx *
            c.view.scale,
        ) + Math.abs(y * c.view.scale) + Math.abs(c.view.cy * c.view.scale) +
          c.size.width);
        assertClose(got, want, { atol }, `${c.name}: screen of (${x}, ${y})`);
      }
      // The world origin and origin + (w, h) land exactly where the former formula put them
      // (the weights heatmap's viewport is truncated to whole pixels by WebGL).
      const origin = vec2d.transformMat3([0, 0], m);
      const o = oldScreen(c.view, c.size, yUp, 0, 0);
      assertArrayEquals(origin, o, `${c.name}: origin`);
      const w = 17, h = 9;
      const corner = vec2d.transformMat3([w, h], m);
      if (!yUp) {
        assertArrayEquals(
          corner,
          [o[0] + w * c.view.scale, o[1] + h * c.view.scale],
          `${c.name}: far corner`,
        );
      }
    }
  });

  test(`view transform (${axis}): picking inverts the screen transform in f64`, () => {
    for (const c of CASES) {
      const toWorld = worldFromScreen(c.view, c.size, { yUp });
      assert(toWorld instanceof Float64Array, 'worldFromScreen is f64');
      const toScreen = screenFromWorld(c.view, c.size, { yUp });
      const span = Math.abs(c.view.cx) + Math.abs(c.view.cy) + c.size.width / c.view.scale;
      for (const [sx, sy] of SCREEN_POINTS) {
        const got = vec2d.transformMat3([sx, sy], toWorld);
        const want = oldWorld(c.view, c.size, yUp, sx, sy);
        assertClose(got, want, { atol: 16 * Number.EPSILON * span }, `${c.name}: (${sx}, ${sy})`);
        // And back to the same pixel.
        const back = vec2d.transformMat3(got, toScreen);
        assertClose(back, [sx, sy], { atol: 1e-9 }, `${c.name}: round trip`);
      }
    }
  });

  test(`view transform (${axis}): clip = clipFromScreen · screenFromWorld`, () => {
    for (const c of CASES) {
      const { width: w, height: h } = c.size;
      const clipFromScreen = mat3d.translation([-1, 1]);
      mat3d.scale(clipFromScreen, [2 / w, -2 / h], clipFromScreen);
      const composed = mat3d.multiply(clipFromScreen, screenFromWorld(c.view, c.size, { yUp }));
      const direct = clipFromWorld(c.view, c.size, { yUp });
      const bound = [0, 1, 2, 4, 5, 6, 8, 9, 10].map((i) =>
        8 * Number.EPSILON * (1 + Math.abs(direct[i]))
      );
      assertClose(
        [0, 1, 2, 4, 5, 6, 8, 9, 10].map((i) => composed[i]),
        [0, 1, 2, 4, 5, 6, 8, 9, 10].map((i) => direct[i]),
        { bound },
        c.name,
      );
    }
  });
}

test('view transform: picking keeps f64 precision the f32 uniform cannot hold', () => {
  // A point 1e-6 world units from a far-away center, 2,000 px per unit: 0.002 px apart.
  const view = { cx: 123456.789, cy: 0, scale: 2000 };
  const size = sz(200, 150);
  const [x] = vec2d.transformMat3([100.002, 75], worldFromScreen(view, size));
  assertClose([x], [123456.789 + 1e-6], { atol: 1e-9 }, 'world x');
  assert(Math.fround(123456.789 + 1e-6) === Math.fround(123456.789), 'f32 could not tell');
});
