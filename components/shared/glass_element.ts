/**
 * The base class of the `glass-*` elements: theme (light/dark from `prefers-color-scheme` or the
 * `theme` attribute) through CSS custom properties, `glass-*` events that bubble out of the shadow
 * root, the `message` part for bad data, a visually hidden text summary, and engine tensors read
 * back once per update.
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
import { isTensorLike, type TensorLike } from './data.ts';

/** Base class: see the module doc. */
export class GlassElement extends LitElement {
  static override properties: PropertyDeclarations = {
    theme: { reflect: true },
  };

  /** `light`, `dark`, or unset to follow `prefers-color-scheme`. */
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
