/**
 * A Lit reactive controller that owns an element's canvas and its regl instance: regl is created
 * on first use (with `preserveDrawingBuffer: true`, so the picture can be read back), destroyed
 * on disconnect (the WebGL context is released at once), rebuilt after a lost context is
 * restored; a ResizeObserver asks the host to update when its width changes.
 *
 * @module
 */

import createREGL from 'regl';
import type { Regl } from 'regl';
import type { ReactiveController, ReactiveControllerHost } from 'lit';

type Host = ReactiveControllerHost & HTMLElement;

/** Owns one canvas and the regl bound to it. */
export class ReglController implements ReactiveController {
  /** The canvas (`part="canvas"`); replaced by a fresh one after a disconnect. */
  canvas: HTMLCanvasElement;
  /** The current regl, or null before first use, after a disconnect or while the context is lost. */
  regl: Regl | null = null;
  /** Why WebGL could not be had, or null. */
  error: string | null = null;
  /** Whether the WebGL context is lost and not yet restored. */
  lost = false;
  /** Counts regl instances made: resources made with an older one must be remade. */
  generation = 0;
  /** The host's content width in CSS pixels, as last observed. */
  width = 0;
  #host: Host;
  #observer: ResizeObserver | null = null;
  #frame = 0;

  constructor(host: Host) {
    this.#host = host;
    this.canvas = this.#makeCanvas();
    host.addController(this);
  }

  #makeCanvas(): HTMLCanvasElement {
    const canvas = document.createElement('canvas');
    canvas.setAttribute('part', 'canvas');
    canvas.addEventListener('webglcontextlost', this.#onLost);
    canvas.addEventListener('webglcontextrestored', this.#onRestored);
    return canvas;
  }

  #onLost = (event: Event) => {
    event.preventDefault(); // lets the browser restore it
    this.lost = true;
    this.#dropRegl();
    this.#host.requestUpdate();
  };

  #onRestored = () => {
    this.lost = false;
    this.#host.requestUpdate();
  };

  hostConnected(): void {
    this.width = this.#host.clientWidth;
    this.#host.requestUpdate(); // draws again (on a fresh canvas) after a reconnect
    if (typeof ResizeObserver === 'undefined') return;
    this.#observer = new ResizeObserver((entries) => {
      const w = entries[entries.length - 1].contentRect.width;
      if (Math.abs(w - this.width) < 0.5) return;
      this.width = w;
      // Next frame: resizing the canvas inside this callback would resize the host again
      // within the same frame ("ResizeObserver loop completed with undelivered notifications").
      cancelAnimationFrame(this.#frame);
      this.#frame = requestAnimationFrame(() => this.#host.requestUpdate());
    });
    this.#observer.observe(this.#host);
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#observer = null;
    cancelAnimationFrame(this.#frame);
    this.destroy();
  }

  /**
   * The regl of the canvas, made on first call; null when WebGL is unavailable (see `error`) or
   * the context is lost.
   */
  use(): Regl | null {
    if (this.regl || this.lost || this.error) return this.regl;
    try {
      this.regl = createREGL({
        canvas: this.canvas,
        attributes: { preserveDrawingBuffer: true, antialias: false, alpha: true },
      });
      this.generation++;
      this.error = null;
    } catch (e) {
      this.error = `WebGL is not available: ${(e as Error).message ?? e}`;
      this.regl = null;
    }
    return this.regl;
  }

  /** Sizes the canvas to `width`×`height` CSS pixels (device pixels for its buffer). */
  resize(width: number, height: number): void {
    const dpr = globalThis.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(width * dpr));
    const h = Math.max(1, Math.round(height * dpr));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
  }

  /** Device pixels per CSS pixel of the canvas. */
  get scale(): number {
    const w = parseFloat(this.canvas.style.width);
    return w > 0 ? this.canvas.width / w : globalThis.devicePixelRatio || 1;
  }

  #dropRegl(): void {
    try {
      this.regl?.destroy();
    } catch {
      // a lost context may refuse deletes; its resources are gone with it
    }
    this.regl = null;
  }

  /**
   * Destroys regl and releases the WebGL context now (browsers cap live contexts); the next
   * update draws on a fresh canvas. Idempotent.
   */
  destroy(): void {
    if (!this.regl) return;
    const gl = this.regl._gl;
    this.#dropRegl();
    const old = this.canvas;
    old.removeEventListener('webglcontextlost', this.#onLost);
    old.removeEventListener('webglcontextrestored', this.#onRestored);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    this.canvas = this.#makeCanvas();
    this.canvas.style.cssText = old.style.cssText;
    this.lost = false;
  }
}
