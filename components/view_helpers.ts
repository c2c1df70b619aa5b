/**
 * Small helpers shared by the graph, weights, histogram, spectrum and projector elements: regl
 * creation with context-loss handling (for the drawing hooks of `shared/glass_element.ts`), event
 * dispatch, a categorical palette, CSS color parsing and a pan/zoom view. Colormaps come from
 * `shared/colormaps.ts`.
 *
 * @module
 */

import createREGL from 'regl';
import type { Regl } from 'regl';

/** An RGBA color, channels 0–255. */
export type Rgba = [number, number, number, number];

/**
 * Dispatches a `glass-*` CustomEvent that bubbles out of the shadow root.
 *
 * @returns whether the event was not cancelled.
 */
export function emit<T>(target: EventTarget, name: string, detail: T): boolean {
  return target.dispatchEvent(
    new CustomEvent<T>(name, { detail, bubbles: true, composed: true, cancelable: true }),
  );
}

/** What `createGl` returns: the regl instance and a function that detaches its listeners. */
export interface GlHandle {
  /** The regl instance. */
  regl: Regl;
  /** Destroys regl (idempotent) and removes the context-loss listeners. */
  destroy(): void;
}

/**
 * Creates regl on `canvas` with `preserveDrawingBuffer: true` (pixels can be read back) and
 * wires `webglcontextlost` / `webglcontextrestored` to the callbacks. Returns null (and calls
 * `onError`) when WebGL is unavailable; never throws.
 */
export function createGl(
  canvas: HTMLCanvasElement,
  options: {
    onLost: () => void;
    onRestored: () => void;
    onError: (message: string) => void;
    extensions?: string[];
  },
): GlHandle | null {
  const lost = (e: Event) => {
    e.preventDefault(); // allows the context to be restored
    options.onLost();
  };
  const restored = () => options.onRestored();
  let regl: Regl;
  try {
    regl = createREGL({
      canvas,
      attributes: { preserveDrawingBuffer: true, antialias: false, premultipliedAlpha: false },
      optionalExtensions: options.extensions ?? [],
    });
  } catch (e) {
    options.onError(`WebGL is unavailable: ${(e as Error).message}`);
    return null;
  }
  canvas.addEventListener('webglcontextlost', lost);
  canvas.addEventListener('webglcontextrestored', restored);
  let destroyed = false;
  return {
    regl,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      canvas.removeEventListener('webglcontextlost', lost);
      canvas.removeEventListener('webglcontextrestored', restored);
      try {
        regl.destroy();
      } catch {
        // A lost context may refuse to delete its objects; they are gone with it.
      }
    },
  };
}

/** Keeps the canvas backing store at its CSS size times the device pixel ratio. */
export function fitCanvas(canvas: HTMLCanvasElement): boolean {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width === w && canvas.height === h) return false;
  canvas.width = w;
  canvas.height = h;
  return true;
}

/** Okabe–Ito and Tableau-derived categorical palette (colorblind-safe first eight). */
export const CATEGORICAL: readonly Rgba[] = [
  [0, 114, 178, 255],
  [230, 159, 0, 255],
  [0, 158, 115, 255],
  [204, 121, 167, 255],
  [86, 180, 233, 255],
  [213, 94, 0, 255],
  [240, 228, 66, 255],
  [0, 0, 0, 255],
  [148, 103, 189, 255],
  [140, 86, 75, 255],
  [127, 127, 127, 255],
  [188, 189, 34, 255],
];

/** The categorical color for class `i` (cycles). */
export function categorical(i: number): Rgba {
  const n = CATEGORICAL.length;
  return CATEGORICAL[((i % n) + n) % n];
}

let probe: CanvasRenderingContext2D | null = null;

/** Parses any CSS color into RGBA (0–255); `fallback` when it cannot be parsed. */
export function parseColor(css: string, fallback: Rgba): Rgba {
  const text = css.trim();
  if (!text) return fallback;
  probe ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  if (!probe) return fallback;
  probe.clearRect(0, 0, 1, 1);
  probe.fillStyle = '#000';
  probe.fillStyle = text;
  probe.fillRect(0, 0, 1, 1);
  const d = probe.getImageData(0, 0, 1, 1).data;
  return [d[0], d[1], d[2], d[3]];
}

/** Reads a CSS custom property of `el` as a color. */
export function cssColor(el: Element, name: string, fallback: Rgba): Rgba {
  return parseColor(getComputedStyle(el).getPropertyValue(name), fallback);
}

/** The element's opaque background color (white when it is transparent). */
export function hostBackground(el: Element): Rgba {
  const c = parseColor(getComputedStyle(el).backgroundColor, [255, 255, 255, 255]);
  return c[3] === 0 ? [255, 255, 255, 255] : [c[0], c[1], c[2], 255];
}

/** `rgba` as a CSS string. */
export function cssOf(c: Rgba): string {
  return `rgb(${c[0]} ${c[1]} ${c[2]} / ${(c[3] / 255).toFixed(3)})`;
}

/**
 * A 2-D pan/zoom: screen = (world − center) · scale + size / 2 (CSS pixels, y down). The
 * matrices of a view (for shaders and picking) come from `shared/view_transform.ts`.
 */
export interface View {
  /** World x at the canvas center. */
  cx: number;
  /** World y at the canvas center. */
  cy: number;
  /** CSS pixels per world unit. */
  scale: number;
}

/** A pan in progress: where the pointer went down (canvas pixels) and the view then. */
export interface Drag {
  /** Pointer x at the start. */
  x: number;
  /** Pointer y at the start. */
  y: number;
  /** The view at the start. */
  view: View;
  /** Whether the pointer has moved more than 3 px (then it is a pan, not a click). */
  moved: boolean;
}

/** The pointer's position in `el`'s box (CSS pixels from its top left). */
export function localPoint(el: Element, e: MouseEvent): [number, number] {
  const r = el.getBoundingClientRect();
  return [e.clientX - r.left, e.clientY - r.top];
}

/**
 * The view a pan to (x, y) gives, or null while the pointer has moved 3 px or less (a click).
 * Marks the drag as moved once it passes that.
 */
export function draggedView(d: Drag, x: number, y: number): View | null {
  if (Math.abs(x - d.x) + Math.abs(y - d.y) > 3) d.moved = true;
  if (!d.moved) return null;
  return {
    ...d.view,
    cx: d.view.cx - (x - d.x) / d.view.scale,
    cy: d.view.cy - (y - d.y) / d.view.scale,
  };
}

/** The view that fits the box `[x0, y0, x1, y1]` into `width × height` with a margin. */
export function fitView(
  box: [number, number, number, number],
  width: number,
  height: number,
  margin = 12,
): View {
  const w = Math.max(box[2] - box[0], 1e-9);
  const h = Math.max(box[3] - box[1], 1e-9);
  const scale = Math.max(
    1e-9,
    Math.min((width - 2 * margin) / w, (height - 2 * margin) / h),
  );
  return { cx: (box[0] + box[2]) / 2, cy: (box[1] + box[3]) / 2, scale };
}

/** Zooms `view` by `factor` about the screen point (px, py). */
export function zoomAt(
  view: View,
  factor: number,
  px: number,
  py: number,
  width: number,
  height: number,
): View {
  const wx = view.cx + (px - width / 2) / view.scale;
  const wy = view.cy + (py - height / 2) / view.scale;
  const scale = view.scale * factor;
  return { cx: wx - (px - width / 2) / scale, cy: wy - (py - height / 2) / scale, scale };
}

/**
 * Handles the keys every pannable view shares: arrows pan, `+`/`=` and `-` zoom, `0` refits.
 * Returns the new view, `'fit'`, or null when the key is not one of these.
 */
export function keyView(
  key: string,
  view: View,
  width: number,
  height: number,
): View | 'fit' | null {
  const step = 40 / view.scale;
  switch (key) {
    case 'ArrowLeft':
      return { ...view, cx: view.cx - step };
    case 'ArrowRight':
      return { ...view, cx: view.cx + step };
    case 'ArrowUp':
      return { ...view, cy: view.cy - step };
    case 'ArrowDown':
      return { ...view, cy: view.cy + step };
    case '+':
    case '=':
      return zoomAt(view, 1.25, width / 2, height / 2, width, height);
    case '-':
    case '_':
      return zoomAt(view, 0.8, width / 2, height / 2, width, height);
    case '0':
      return 'fit';
  }
  return null;
}

/** Formats a count compactly: 1234 → "1.23k", 1.5e6 → "1.5M". */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${+(n / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
  return String(+n.toPrecision(4));
}

/** Formats a value for read-outs (4 significant digits, exponent when tiny or huge). */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e5 ? v.toExponential(3) : String(+v.toPrecision(4));
}

/** Shared host styles: light/dark through custom properties. */
export const BASE_CSS = `
:host {
  display: block;
  position: relative;
  box-sizing: border-box;
  min-height: 120px;
  color: var(--glass-fg, #1b1b1f);
  background: var(--glass-bg, #ffffff);
  font: var(--glass-font, 12px system-ui, sans-serif);
}
@media (prefers-color-scheme: dark) {
  :host {
    color: var(--glass-fg, #e8e8ec);
    background: var(--glass-bg, #16161a);
  }
}
:host([theme='dark']) { color: var(--glass-fg, #e8e8ec); background: var(--glass-bg, #16161a); }
:host([theme='light']) { color: var(--glass-fg, #1b1b1f); background: var(--glass-bg, #ffffff); }
.frame { position: relative; width: 100%; height: 100%; outline: none; }
.frame:focus-visible { box-shadow: inset 0 0 0 2px var(--glass-accent, #0072b2); }
canvas { display: block; width: 100%; height: 100%; touch-action: none; }
.message {
  position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  padding: 12px; text-align: center; color: var(--glass-error-color, #b00020);
  background: var(--glass-bg, transparent); pointer-events: none;
}
.message[hidden] { display: none; }
.summary {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
  white-space: nowrap;
}
`;
