/**
 * Colormaps as 256-entry lookup tables, built from published control points by linear
 * interpolation in sRGB. The GPU samples the same table (a 256×1 texture) that the CPU function
 * {@linkcode colormap} reads, so tests can compute the exact color a value should get.
 *
 * - `rdbu`: ColorBrewer RdBu, 11 classes (Brewer, Harrower 2003), reversed so that negative is
 *   blue and positive red. Diverging, colorblind-safe; the neutral center is #f7f7f7.
 * - `viridis`: matplotlib's viridis (van der Walt, Smith, CC0): every 16th of its 256 entries and
 *   the last. Sequential, perceptually uniform, colorblind-safe.
 * - `cividis`: Nuñez, Anderton, Renslow (2018), optimized for color-vision deficiency; six
 *   points of the published table at 0, 0.2, …, 1 (the map is nearly linear in lightness).
 * - `gray`: black to white.
 *
 * @module
 */

/** A colormap name. */
export type ColormapName = 'rdbu' | 'viridis' | 'cividis' | 'gray';

/** The names of the colormaps, diverging ones first. */
export const COLORMAPS: readonly ColormapName[] = ['rdbu', 'viridis', 'cividis', 'gray'];

/** Whether a colormap is diverging (centered on a neutral color) or sequential. */
export const DIVERGING: ReadonlySet<ColormapName> = new Set(['rdbu']);

/** Number of entries of every lookup table. */
export const COLORMAP_SIZE = 256;

type Stops = readonly (readonly [number, string | readonly [number, number, number]])[];

const hexes = (list: string[]): Stops => list.map((h, i) => [i / (list.length - 1), h]);

const CONTROL_POINTS: Record<ColormapName, Stops> = {
  // ColorBrewer RdBu-11, listed from blue (−) to red (+).
  rdbu: hexes([
    '#053061',
    '#2166ac',
    '#4393c3',
    '#92c5de',
    '#d1e5f0',
    '#f7f7f7',
    '#fddbc7',
    '#f4a582',
    '#d6604d',
    '#b2182b',
    '#67001f',
  ]),
  viridis: [
    [0 / 255, [0.267004, 0.004874, 0.329415]],
    [16 / 255, [0.282327, 0.094955, 0.417331]],
    [32 / 255, [0.278826, 0.17549, 0.483397]],
    [48 / 255, [0.258965, 0.251537, 0.524736]],
    [64 / 255, [0.229739, 0.322361, 0.545706]],
    [80 / 255, [0.19943, 0.387607, 0.554642]],
    [96 / 255, [0.172719, 0.448791, 0.557885]],
    [112 / 255, [0.149039, 0.508051, 0.55725]],
    [128 / 255, [0.127568, 0.566949, 0.550556]],
    [144 / 255, [0.120638, 0.625828, 0.533488]],
    [160 / 255, [0.157851, 0.683765, 0.501686]],
    [176 / 255, [0.24607, 0.73891, 0.452024]],
    [192 / 255, [0.369214, 0.788888, 0.382914]],
    [208 / 255, [0.515992, 0.831158, 0.294279]],
    [224 / 255, [0.678489, 0.863742, 0.189503]],
    [240 / 255, [0.845561, 0.887322, 0.099702]],
    [255 / 255, [0.993248, 0.906157, 0.143936]],
  ],
  cividis: [
    [0, [0, 0.1262, 0.3015]],
    [0.2, [0.2081, 0.2666, 0.4622]],
    [0.4, [0.339, 0.4306, 0.527]],
    [0.6, [0.4887, 0.5864, 0.5053]],
    [0.8, [0.6785, 0.7335, 0.3791]],
    [1, [0.9957, 0.9093, 0.2178]],
  ],
  gray: [[0, '#000000'], [1, '#ffffff']],
};

const rgbOf = (c: string | readonly [number, number, number]): [number, number, number] =>
  typeof c === 'string'
    ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16) / 255) as [number, number, number]
    : [c[0], c[1], c[2]];

const tables = new Map<ColormapName, Uint8Array<ArrayBuffer>>();

/** Whether `name` is a known colormap. */
export function isColormap(name: unknown): name is ColormapName {
  return typeof name === 'string' && (COLORMAPS as readonly string[]).includes(name);
}

/**
 * The lookup table of a colormap: 256 RGBA entries (alpha 255), entry `i` for `t = i / 255`.
 * Cached; do not mutate.
 */
export function colormapTable(name: ColormapName): Uint8Array<ArrayBuffer> {
  let table = tables.get(name);
  if (table) return table;
  const stops = CONTROL_POINTS[name].map(([t, c]) => [t, rgbOf(c)] as const);
  table = new Uint8Array(COLORMAP_SIZE * 4);
  for (let i = 0; i < COLORMAP_SIZE; i++) {
    const t = i / (COLORMAP_SIZE - 1);
    let k = 0;
    while (k < stops.length - 2 && t > stops[k + 1][0]) k++;
    const [t0, c0] = stops[k];
    const [t1, c1] = stops[k + 1];
    const f = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : 0;
    for (let ch = 0; ch < 3; ch++) {
      table[i * 4 + ch] = Math.round((c0[ch] + (c1[ch] - c0[ch]) * f) * 255);
    }
    table[i * 4 + 3] = 255;
  }
  tables.set(name, table);
  return table;
}

/** The table index a value `t` in [0, 1] maps to (clamped; NaN maps to 0). */
export function colormapIndex(t: number): number {
  if (!(t > 0)) return 0;
  return t >= 1 ? COLORMAP_SIZE - 1 : Math.round(t * (COLORMAP_SIZE - 1));
}

/**
 * The color of `t` in [0, 1] (clamped), as 0–255 `[r, g, b]`: exactly the table entry the GPU
 * draws for it.
 *
 * @example
 * ```ts
 * colormap('viridis', 0); // [68, 1, 84]
 * ```
 */
export function colormap(
  name: ColormapName,
  t: number,
  dst: [number, number, number] = [0, 0, 0],
): [number, number, number] {
  const table = colormapTable(name);
  const i = colormapIndex(t) * 4;
  dst[0] = table[i];
  dst[1] = table[i + 1];
  dst[2] = table[i + 2];
  return dst;
}

/** A CSS `linear-gradient` of a colormap (for legends), left to right, with `stops` stops. */
export function colormapGradient(name: ColormapName, stops = 17): string {
  const parts: string[] = [];
  for (let k = 0; k < stops; k++) {
    const t = k / (stops - 1);
    const [r, g, b] = colormap(name, t);
    parts.push(`rgb(${r} ${g} ${b}) ${(t * 100).toFixed(2)}%`);
  }
  return `linear-gradient(to right, ${parts.join(', ')})`;
}

/** Relative luminance (WCAG) of a 0–255 sRGB color: picks readable text on a colored ground. */
export function luminance([r, g, b]: readonly number[]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
