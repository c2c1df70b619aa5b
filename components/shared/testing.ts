/**
 * Helpers for the component tests (browser only): mount an element, read its canvas back.
 *
 * @module
 */

/** Waits for the next animation frame (twice: layout, ResizeObserver and a Lit update). */
export async function frames(n = 2): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => requestAnimationFrame(r));
}

/** Creates `tag`, assigns `props`, sizes it `width` CSS px wide, appends it, waits for it to draw. */
export async function mount<T extends HTMLElement>(
  tag: string,
  props: Record<string, unknown> = {},
  width = 280,
): Promise<T> {
  const el = document.createElement(tag) as T & { updateComplete: Promise<boolean> };
  Object.assign(el, props);
  el.style.width = `${width}px`;
  document.body.append(el);
  await el.updateComplete;
  await frames();
  await el.updateComplete;
  return el;
}

/** Removes every mounted element of the tests. */
export function cleanup(tag: string): void {
  for (const el of document.querySelectorAll(tag)) el.remove();
}

/** The canvas of an element's shadow root. */
export function canvasOf(el: HTMLElement): HTMLCanvasElement {
  const canvas = el.shadowRoot?.querySelector('canvas');
  if (!canvas) throw new Error(`${el.tagName} has no canvas`);
  return canvas;
}

/** The RGBA of the canvas pixel at CSS coordinates (x, y) from the top-left. */
export function pixel(el: HTMLElement, x: number, y: number): [number, number, number, number] {
  const canvas = canvasOf(el);
  const gl = canvas.getContext('webgl')!;
  const s = canvas.width / parseFloat(canvas.style.width);
  const px = Math.floor(x * s);
  const py = canvas.height - 1 - Math.floor(y * s);
  const out = new Uint8Array(4);
  gl.readPixels(px, py, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, out);
  return [out[0], out[1], out[2], out[3]];
}

/** Asserts two colors agree within `tol` per channel (RGB only). */
export function assertColor(
  actual: readonly number[],
  expected: readonly number[],
  tol = 1,
  what = 'color',
): void {
  for (let c = 0; c < 3; c++) {
    if (Math.abs(actual[c] - expected[c]) > tol) {
      throw new Error(
        `${what}: expected rgb(${expected.slice(0, 3)}) ±${tol}, got rgb(${actual.slice(0, 3)})`,
      );
    }
  }
}
