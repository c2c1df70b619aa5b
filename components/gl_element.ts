/**
 * The base of the regl-drawn elements of this folder: creates regl on the shadow canvas on the
 * first update (with `preserveDrawingBuffer: true`), destroys it on disconnect, follows the
 * element's size with a ResizeObserver, survives WebGL context loss (shows a message, rebuilds on
 * restore), and shows bad-data messages instead of throwing.
 *
 * @module
 */

import { LitElement, type PropertyDeclarations } from 'lit';
import type { Regl } from 'regl';
import { createGl, fitCanvas, type GlHandle } from './view_helpers.ts';

/** A Lit element that draws with regl on a `<canvas>` in its shadow root. */
export abstract class GlElement extends LitElement {
  static override properties: PropertyDeclarations = {
    theme: { type: String, reflect: true },
    _message: { state: true },
  };

  /** `light` or `dark`; unset follows `prefers-color-scheme`. */
  declare theme: 'light' | 'dark' | undefined;

  /** The message shown over the canvas (bad data, lost context); empty when none. */
  declare protected _message: string;
  /** The regl handle while the element is connected and the context is alive. */
  protected gl: GlHandle | null = null;
  /** Canvas CSS size, updated by the ResizeObserver. */
  protected width = 0;
  protected height = 0;
  #observer: ResizeObserver | null = null;
  #frame = 0;
  #lost = false;
  #glError = '';

  constructor() {
    super();
    this._message = '';
  }

  /** The regl instance, or null before the first update, after disconnect or context loss. */
  get regl(): Regl | null {
    return this.gl?.regl ?? null;
  }

  /** Whether the WebGL context is lost right now. */
  get contextLost(): boolean {
    return this.#lost;
  }

  /** The message shown to the reader (bad data, lost context); empty when none. */
  get message(): string {
    return this._message || this.#glError;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#observer = new ResizeObserver(() => this.#resized());
    this.#observer.observe(this);
    if (this.hasUpdated) this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#observer?.disconnect();
    this.#observer = null;
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#release();
  }

  /** The shadow canvas (present after the first render). */
  protected get canvas(): HTMLCanvasElement | null {
    return this.renderRoot?.querySelector('canvas') ?? null;
  }

  override updated(changed: Map<PropertyKey, unknown>): void {
    super.updated(changed);
    const canvas = this.canvas;
    if (!canvas || !this.isConnected || this.#lost || this.#glError) return;
    if (!this.gl) {
      this.#measure(canvas);
      this.gl = createGl(canvas, {
        extensions: this.extensions(),
        onLost: () => {
          this.#lost = true;
          this.glReleased();
          this._message = 'The WebGL context was lost; waiting for the browser to restore it.';
        },
        onRestored: () => {
          this.#lost = false;
          this.#release();
          this._message = '';
          this.requestUpdate();
        },
        onError: (m) => {
          this.#glError = m;
          this.requestUpdate();
        },
      });
      if (!this.gl) return;
      if (!this.#guard(() => this.glCreated(this.gl!.regl))) return;
    }
    if (this.#guard(() => this.glSync(this.gl!.regl, changed))) this.requestDraw();
  }

  /** Optional WebGL extensions to enable. */
  protected extensions(): string[] {
    return [];
  }

  /** Called once per regl instance: create draw commands and upload everything. */
  protected abstract glCreated(regl: Regl): void;

  /** Called after every update with regl alive: upload what changed. */
  protected abstract glSync(regl: Regl, changed: Map<PropertyKey, unknown>): void;

  /** Drop references to GPU objects (they are destroyed with regl). */
  protected abstract glReleased(): void;

  /** Draws one frame now. */
  protected abstract draw(regl: Regl): void;

  /** Called when the element's size changed (CSS pixels in `width`/`height`). */
  protected resized(): void {}

  /** Schedules a frame on the next animation frame (coalesced). */
  requestDraw(): void {
    if (this.#frame || !this.gl) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.redraw();
    });
  }

  /** Draws immediately (tests and benchmarks read pixels right after). */
  redraw(): void {
    const gl = this.gl;
    const canvas = this.canvas;
    if (!gl || !canvas || this.#lost) return;
    this.#measure(canvas);
    this.#guard(() => {
      gl.regl.poll();
      this.draw(gl.regl);
    });
  }

  // WebGL failures become a visible message, never an exception out of a Lit update.
  #guard(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      if (!this.#glError) {
        this.#glError = `Drawing failed: ${(e as Error).message}`;
        console.error(e);
        this.requestUpdate();
      }
      return false;
    }
  }

  #measure(canvas: HTMLCanvasElement): boolean {
    const changed = fitCanvas(canvas);
    this.width = canvas.clientWidth;
    this.height = canvas.clientHeight;
    return changed;
  }

  #resized(): void {
    const canvas = this.canvas;
    if (!canvas) return;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (w === this.width && h === this.height) return;
    this.#measure(canvas);
    this.resized();
    this.requestUpdate();
  }

  #release(): void {
    if (!this.gl) return;
    this.glReleased();
    this.gl.destroy();
    this.gl = null;
  }
}
