/**
 * The base class of every `glass-*` element:
 *
 * - theme: light/dark from `prefers-color-scheme` or the reflected `theme` attribute, through
 *   CSS custom properties (see below);
 * - `glass-*` events that bubble out of the shadow root (`emit`), the `message` part for bad data
 *   (`renderMessage`, or `_message` with the public `message` getter), the host's background as a
 *   clear color, and engine tensors read back once per update (`resolveTensor`);
 * - for an element that draws on a `<canvas>` of its own template through the drawing hooks
 *   (it overrides `draw`; see {@link GlassElement.draw}): regl created on the first update (with
 *   `preserveDrawingBuffer: true`), destroyed on disconnect, its size followed with a
 *   ResizeObserver, WebGL context loss survived (a message, rebuilt on restore), and drawing
 *   failures shown as a message instead of thrown. Elements that keep their canvas in a
 *   `ReglController` (`shared/regl_controller.ts`) or draw SVG leave these hooks alone; for them
 *   `regl` stays null and `redraw()` / `requestDraw()` do nothing.
 *
 * Theming (every element): `--glass-bg`, `--glass-fg`, `--glass-muted`, `--glass-accent`,
 * `--glass-font`, `--glass-tooltip-bg`, `--glass-tooltip-fg`.
 *
 * @module
 */

import {
  css,
  type CSSResultGroup,
  html,
  LitElement,
  type PropertyDeclarations,
  type TemplateResult,
} from 'lit';
import type { Regl } from 'regl';
import { isTensorLike, type TensorLike } from './data.ts';
import { createGl, fitCanvas, type GlHandle } from '../view_helpers.ts';
import { ReglController } from './regl_controller.ts';

/** Base class: see the module doc. */
export class GlassElement extends LitElement {
  static override properties: PropertyDeclarations = {
    theme: { type: String, reflect: true },
    _message: { state: true },
  };

  /** `light` or `dark`; unset follows `prefers-color-scheme`. */
  declare theme: 'light' | 'dark' | undefined;

  static override styles: CSSResultGroup = css`
    :host {
      --_bg: var(--glass-bg, #ffffff);
      --_fg: var(--glass-fg, #1d1f24);
      --_muted: var(--glass-muted, #5f6570);
      --_accent: var(--glass-accent, #d97706);
      --_tip-bg: var(--glass-tooltip-bg, rgba(29, 31, 36, 0.92));
      --_tip-fg: var(--glass-tooltip-fg, #ffffff);
      display: block;
      position: relative;
      background: var(--_bg);
      color: var(--_fg);
      font: 13px/1.4 var(--glass-font, system-ui, -apple-system, 'Segoe UI', sans-serif);
    }
    @media (prefers-color-scheme: dark) {
      :host(:not([theme='light'])) {
        --_bg: var(--glass-bg, #16181d);
        --_fg: var(--glass-fg, #e6e8ec);
        --_muted: var(--glass-muted, #9aa1ad);
        --_accent: var(--glass-accent, #fbbf24);
        --_tip-bg: var(--glass-tooltip-bg, rgba(240, 242, 246, 0.95));
        --_tip-fg: var(--glass-tooltip-fg, #16181d);
      }
    }
    :host([theme='dark']) {
      --_bg: var(--glass-bg, #16181d);
      --_fg: var(--glass-fg, #e6e8ec);
      --_muted: var(--glass-muted, #9aa1ad);
      --_accent: var(--glass-accent, #fbbf24);
      --_tip-bg: var(--glass-tooltip-bg, rgba(240, 242, 246, 0.95));
      --_tip-fg: var(--glass-tooltip-fg, #16181d);
    }
    :host([hidden]) {
      display: none;
    }
    [part~='message'] {
      margin: 0;
      padding: 12px;
      border: 1px dashed var(--_muted);
      color: var(--_fg);
    }
    [part~='tooltip'] {
      position: absolute;
      pointer-events: none;
      z-index: 2;
      padding: 2px 6px;
      border-radius: 3px;
      background: var(--_tip-bg);
      color: var(--_tip-fg);
      white-space: nowrap;
      font-variant-numeric: tabular-nums;
    }
    [part~='legend'] {
      display: flex;
      flex-direction: column;
      gap: 2px;
      max-width: 280px;
      margin-top: 6px;
      font-size: 11px;
      color: var(--_muted);
    }
    .bar {
      height: 10px;
      border-radius: 2px;
    }
    .ticks {
      display: flex;
      justify-content: space-between;
      font-variant-numeric: tabular-nums;
    }
    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      padding: 0;
      margin: -1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
      border: 0;
    }
    :focus-visible {
      outline: 2px solid var(--_accent);
      outline-offset: 1px;
    }
    canvas {
      display: block;
    }
  `;

  /** The message shown over the canvas (bad data, lost context); empty when none. */
  declare protected _message: string;
  /** The regl handle while the element is connected and the context is alive (drawing hooks). */
  protected gl: GlHandle | null = null;
  /** Canvas CSS size, updated by the ResizeObserver (drawing hooks). */
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

  /**
   * The regl instance (the drawing hooks' or the element's `renderer` controller's), or null
   * before the first update, after disconnect or while the context is lost.
   */
  get regl(): Regl | null {
    return this.gl?.regl ?? this.#controller?.regl ?? null;
  }

  /** Whether the WebGL context is lost right now. */
  get contextLost(): boolean {
    return this.#lost || (this.#controller?.lost ?? false);
  }

  // Elements that draw in their own `updated` keep their canvas in a `renderer` controller.
  get #controller(): ReglController | null {
    const renderer = (this as { renderer?: unknown }).renderer;
    return renderer instanceof ReglController ? renderer : null;
  }

  /**
   * The message shown to the reader (bad data, lost context); empty when none. Elements that set
   * `_message` (or override this getter) report theirs here.
   */
  get message(): string {
    if (this._message || this.#glError || this.#drawsWithHooks) {
      return this._message || this.#glError;
    }
    // Elements that render their message from their own state: the text the reader sees.
    const shown = this.renderRoot?.querySelector?.('[part~="message"]');
    return shown?.textContent?.trim() ?? '';
  }

  // Whether this element draws through the hooks below (it overrides `draw`).
  get #drawsWithHooks(): boolean {
    return this.draw !== GlassElement.prototype.draw;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.#drawsWithHooks) return;
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
    if (!this.#drawsWithHooks) return;
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

  /** Optional WebGL extensions to enable (drawing hooks). */
  protected extensions(): string[] {
    return [];
  }

  /** Called once per regl instance: create draw commands and upload everything. */
  protected glCreated(_regl: Regl): void {}

  /** Called after every update with regl alive: upload what changed. */
  protected glSync(_regl: Regl, _changed: Map<PropertyKey, unknown>): void {}

  /** Drop references to GPU objects (they are destroyed with regl). */
  protected glReleased(): void {}

  /**
   * Draws one frame now. An element that overrides this draws through the hooks: the base makes
   * regl on the first `<canvas>` of its shadow root and calls `glCreated`, `glSync`, `draw` and
   * `glReleased`.
   */
  protected draw(_regl: Regl): void {}

  /** Called when the element's size changed (CSS pixels in `width`/`height`). */
  protected resized(): void {}

  /**
   * Schedules a frame on the next animation frame (coalesced); an element drawing through its
   * `renderer` controller gets an update instead.
   */
  requestDraw(): void {
    if (!this.gl) {
      // Elements drawing in their own `updated` redraw on an update.
      if (this.#controller) this.requestUpdate();
      return;
    }
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.redraw();
    });
  }

  /**
   * Draws immediately (tests and benchmarks read pixels right after); an element drawing through
   * its `renderer` controller gets an update (await `updateComplete`), and nothing happens without
   * regl.
   */
  redraw(): void {
    if (!this.gl && this.#controller) {
      this.requestUpdate();
      return;
    }
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

  // Fits the canvas to its CSS size. A change of size, whoever notices it first (the
  // ResizeObserver, or a draw in an animation frame, which runs before the observer in the same
  // frame), reaches `resized()` and re-renders the HTML layered over the canvas.
  #measure(canvas: HTMLCanvasElement): void {
    fitCanvas(canvas);
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (w === this.width && h === this.height) return;
    const first = this.width === 0 && this.height === 0;
    this.width = w;
    this.height = h;
    if (first) return;
    this.resized();
    this.requestUpdate();
  }

  #resized(): void {
    const canvas = this.canvas;
    if (canvas) this.#measure(canvas);
  }

  #release(): void {
    if (!this.gl) return;
    this.glReleased();
    this.gl.destroy();
    this.gl = null;
  }

  #readbacks = new Map<string, { source: TensorLike; data?: Float32Array; error?: string }>();

  /** Dispatches a `glass-*` event that bubbles and crosses shadow roots. */
  protected emit<T>(type: `glass-${string}`, detail: T): boolean {
    return this.dispatchEvent(
      new CustomEvent<T>(type, { detail, bubbles: true, composed: true }),
    );
  }

  /** The `message` part: a visible explanation instead of a picture. */
  protected renderMessage(message: string): TemplateResult {
    return html`<p part="message" role="alert">${message}</p>`;
  }

  /**
   * Resolves a property that may be an engine tensor: returns the value itself when it is not
   * tensor-like; for a tensor, starts one readback (per new tensor) and returns `pending` until
   * it lands (then the element updates), or `{error}`.
   */
  protected resolveTensor(
    name: string,
    value: unknown,
  ): unknown | { pending: true } | { error: string } {
    if (!isTensorLike(value)) {
      this.#readbacks.delete(name);
      return value;
    }
    const entry = this.#readbacks.get(name);
    if (entry?.source === value) {
      if (entry.error) return { error: entry.error };
      return entry.data ?? { pending: true };
    }
    const fresh: { source: TensorLike; data?: Float32Array; error?: string } = { source: value };
    this.#readbacks.set(name, fresh);
    value.readFloat32().then(
      (data) => (fresh.data = data),
      (e) => (fresh.error = `Cannot read ${name} back from the GPU: ${(e as Error).message ?? e}`),
    ).finally(() => {
      if (this.#readbacks.get(name) === fresh) this.requestUpdate();
    });
    return { pending: true };
  }

  /** The host's background as 0–1 RGBA (for clearing canvases). */
  protected backgroundColor(): [number, number, number, number] {
    const m = getComputedStyle(this).backgroundColor.match(/rgba?\(([^)]+)\)/);
    if (!m) return [1, 1, 1, 1];
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    if (p.length > 3 && p[3] === 0) return [1, 1, 1, 1];
    return [p[0] / 255, p[1] / 255, p[2] / 255, 1];
  }
}
