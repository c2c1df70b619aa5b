/**
 * `<glass-tokens>`: text with each token's background colored by its attribution.
 *
 * @example
 * ```html
 * <glass-tokens dir="auto"></glass-tokens>
 * <script type="module">
 *   import './components/tokens.ts';
 *   const el = document.querySelector('glass-tokens');
 *   el.tokens = ['a', ' great', ' film'];
 *   el.values = new Float32Array([0.01, 0.8, -0.1]);
 * </script>
 * ```
 *
 * @module
 */

import { html, nothing, type PropertyDeclarations, type TemplateResult } from 'lit';
import { GlassElement } from './shared/glass_element.ts';
import {
  colormap,
  colormapGradient,
  type ColormapName,
  isColormap,
  luminance,
} from './shared/colormaps.ts';
import {
  checkValues,
  formatValue,
  type NumericArray,
  percentile,
  type TensorLike,
  topK,
} from './shared/data.ts';

/** Detail of `glass-hover` (null when the pointer leaves the text). */
export interface TokensHoverDetail {
  /** Index of the token. */
  index: number;
  token: string;
  /** Its attribution, as given. */
  value: number;
}

interface Prepared {
  tokens: string[];
  values: ArrayLike<number>;
  scale: number;
  backgrounds: string[];
  foregrounds: string[];
}

/**
 * Shows tokens with backgrounds from a diverging colormap centered on zero (blue negative, red
 * positive), scaled to a percentile of |value| (`clip`, default 100 = the largest). Each token
 * is bidi-isolated, so right-to-left text and mixed scripts keep their order; text wraps
 * anywhere, and thousands of tokens render as plain DOM. Arrays are replaced, not mutated.
 *
 * Keyboard: focus the text, then ← → (logical order follows `dir`), Home, End, Escape.
 *
 * @fires glass-hover - `detail`: {@linkcode TokensHoverDetail}, or null when the pointer leaves.
 * @csspart text - the container of the tokens.
 * @csspart token - one token (`token active` while hovered or under the keyboard cursor).
 * @csspart legend - the colorbar with its values.
 * @csspart tooltip - the hover read-out.
 * @csspart message - shown instead of the text when the data cannot be drawn.
 * @cssprop --glass-bg - background.
 * @cssprop --glass-fg - text color.
 * @cssprop --glass-muted - legend text.
 * @cssprop --glass-accent - outline of the active token and focus ring.
 * @cssprop --glass-tooltip-bg - tooltip background.
 * @cssprop --glass-tooltip-fg - tooltip text.
 * @cssprop --glass-token-radius - corner radius of token backgrounds (default 2px).
 */
export class GlassTokens extends GlassElement {
  static override properties: PropertyDeclarations = {
    ...GlassElement.properties,
    tokens: { attribute: false },
    values: { attribute: false },
    colormap: {},
    clip: { type: Number },
    label: {},
    textDir: { attribute: 'dir' },
    active: { type: Number },
  };

  /** The tokens, in logical order. */
  declare tokens: string[] | null;
  /** One attribution per token (may be an engine tensor). */
  declare values: NumericArray | TensorLike | null;
  /** A diverging colormap (default `rdbu`). */
  declare colormap: ColormapName | undefined;
  /** Percentile of |value| that maps to the colormap's ends (default 100). */
  declare clip: number;
  /** Accessible name; default "Token attributions". */
  declare label: string;
  /** The token under the pointer or keyboard cursor (-1: none). */
  declare active: number;
  /** The `dir` attribute (`ltr`, `rtl`, `auto`): the text's base direction; default `auto`. */
  declare textDir: string | null;

  #error: string | null = null;
  #pending = false;
  #prepared: Prepared | null = null;
  #built: Prepared | null = null;
  #shownActive = -1;

  constructor() {
    super();
    this.tokens = null;
    this.values = null;
    this.colormap = undefined;
    this.clip = 100;
    this.label = 'Token attributions';
    this.active = -1;
    this.textDir = null;
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (
      !this.#prepared || this.#pending ||
      ['tokens', 'values', 'colormap', 'clip'].some((k) => changed.has(k))
    ) {
      this.#prepare();
    }
  }

  #prepare(): void {
    this.#error = null;
    this.#pending = false;
    this.#prepared = null;
    const tokens = this.tokens;
    if (!Array.isArray(tokens)) return void (this.#error = 'No tokens given');
    if (tokens.length === 0) {
      return void (this.#error = 'Cannot draw the tokens: `tokens` is empty');
    }
    const v = this.resolveTensor('values', this.values);
    if ((v as { pending?: true })?.pending) return void (this.#pending = true);
    if ((v as { error?: string })?.error) {
      return void (this.#error = (v as { error: string }).error);
    }
    const values = v as NumericArray;
    const bad = checkValues(values, tokens.length, 'the token attributions');
    if (bad) {
      this.#error = bad.replace(/expected (\d+) values/, 'expected $1 values (one per token)');
      return;
    }
    const cmap = this.colormap ?? 'rdbu';
    if (!isColormap(cmap)) return void (this.#error = `Unknown colormap "${cmap}"`);
    const clip = this.clip ?? 100;
    if (!(clip > 0 && clip <= 100)) {
      return void (this.#error = `clip must be a percentile in (0, 100], got ${clip}`);
    }
    const mags = Array.from(values, Math.abs);
    let scale = percentile(mags, clip);
    if (!(scale > 0)) scale = Math.max(...mags) || 1;
    const backgrounds: string[] = [];
    const foregrounds: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = 0.5 + 0.5 * Math.max(-1, Math.min(1, values[i] / scale));
      const c = colormap(cmap, t);
      backgrounds.push(`rgb(${c[0]}, ${c[1]}, ${c[2]})`);
      foregrounds.push(luminance(c) > 0.25 ? '#111' : '#fff');
    }
    this.#prepared = { tokens: tokens.map(String), values, scale, backgrounds, foregrounds };
  }

  override render(): TemplateResult {
    if (this.#error) return this.renderMessage(this.#error);
    const p = this.#prepared;
    if (this.#pending || !p) {
      return html`<p part="message" role="status">Reading the values back from the GPU…</p>`;
    }
    const cmap = this.colormap ?? 'rdbu';
    const active = this.active >= 0 && this.active < p.tokens.length ? this.active : -1;
    const fmt = (i: number) => `“${p.tokens[i]}” ${formatValue(p.values[i])}`;
    const pos = topK(p.values.length, 5, (i) => p.values[i]).map(fmt);
    const neg = topK(p.values.length, 5, (i) => -p.values[i]).map(fmt);
    const summary = `${p.tokens.length} tokens. Most positive: ${pos.join(', ') || 'none'}. ` +
      `Most negative: ${neg.join(', ') || 'none'}.`;
    return html`
      <style>
        [part~='text'] {
          position: relative;
          line-height: 1.9;
          white-space: pre-wrap;
          overflow-wrap: anywhere;
          word-break: normal;
          outline: none;
        }
        [part~='text']:focus-visible {
          outline: 2px solid var(--_accent);
        }
        [part~='token'] {
          unicode-bidi: isolate;
          padding: 1px 0;
          margin: 0 1px;
          border-radius: var(--glass-token-radius, 2px);
          box-decoration-break: clone;
          -webkit-box-decoration-break: clone;
        }
        [part~='active'] {
          outline: 2px solid var(--_accent);
        }
      </style>
      <div
        part="text"
        dir=${this.textDir || 'auto'}
        role="group"
        tabindex="0"
        aria-label=${this.label}
        aria-describedby="summary"
        aria-activedescendant=${active >= 0 ? `t${active}` : nothing}
        @pointerover=${this.#onOver}
        @pointerleave=${this.#onLeave}
        @keydown=${this.#onKey}
        @blur=${this.#onLeave}
      ></div>
      ${active >= 0 ? this.#tooltip(active) : nothing}
      <div part="legend" aria-hidden="true">
        <div class="bar" style="background: ${colormapGradient(cmap)}"></div>
        <div class="ticks">
          <span>${formatValue(-p.scale)}</span><span>0</span><span>${formatValue(p.scale)}</span>
        </div>
      </div>
      <p id="summary" class="sr-only">${summary}</p>
    `;
  }

  override updated(): void {
    const p = this.#prepared;
    const text = this.shadowRoot?.querySelector('[part~="text"]');
    if (!p || !text) return;
    // Thousands of tokens: built once per new data as plain DOM (a Lit template per token costs
    // far more), then only the active token's part changes.
    if (this.#built !== p || text.childElementCount !== p.tokens.length) {
      const fragment = document.createDocumentFragment();
      for (let i = 0; i < p.tokens.length; i++) {
        const span = document.createElement('span');
        span.setAttribute('part', 'token');
        span.id = `t${i}`;
        span.dataset.i = String(i);
        span.style.backgroundColor = p.backgrounds[i];
        span.style.color = p.foregrounds[i];
        span.textContent = p.tokens[i];
        fragment.append(span);
      }
      text.replaceChildren(fragment);
      this.#built = p;
      this.#shownActive = -1;
    }
    const active = this.active >= 0 && this.active < p.tokens.length ? this.active : -1;
    if (active !== this.#shownActive) {
      text.children[this.#shownActive]?.setAttribute('part', 'token');
      text.children[active]?.setAttribute('part', 'token active');
      this.#shownActive = active;
    }
  }

  #tooltip(i: number): TemplateResult {
    const span = this.shadowRoot?.getElementById(`t${i}`);
    const top = span ? span.offsetTop + span.offsetHeight + 2 : 0;
    const left = span ? Math.max(0, Math.min(span.offsetLeft, this.clientWidth - 160)) : 0;
    return html`<div part="tooltip" role="status" style="left:${left}px;top:${top}px">
      <bdi>${this.#prepared!.tokens[i]}</bdi> ${formatValue(this.#prepared!.values[i])}
    </div>`;
  }

  #setActive(i: number): void {
    if (i === this.active) return;
    this.active = i;
    const p = this.#prepared;
    if (!p || i < 0) {
      this.emit('glass-hover', null);
      return;
    }
    this.emit<TokensHoverDetail>('glass-hover', {
      index: i,
      token: p.tokens[i],
      value: p.values[i],
    });
  }

  #onOver = (e: PointerEvent) => {
    const span = (e.target as HTMLElement).closest?.('[data-i]') as HTMLElement | null;
    if (span) this.#setActive(Number(span.dataset.i));
  };

  #onLeave = () => this.#setActive(-1);

  #onKey = (e: KeyboardEvent) => {
    const p = this.#prepared;
    if (!p) return;
    const n = p.tokens.length;
    const text = this.shadowRoot?.querySelector('[part~="text"]');
    const rtl = text ? getComputedStyle(text).direction === 'rtl' : false;
    const cur = this.active;
    let next = cur;
    if (e.key === 'ArrowRight') next = rtl ? cur - 1 : cur + 1;
    else if (e.key === 'ArrowLeft') next = rtl ? cur + 1 : cur - 1;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else if (e.key === 'Escape') next = -1;
    else return;
    e.preventDefault();
    if (cur < 0 && e.key.startsWith('Arrow')) next = 0;
    this.#setActive(Math.max(e.key === 'Escape' ? -1 : 0, Math.min(n - 1, next)));
  };
}

if (!customElements.get('glass-tokens')) customElements.define('glass-tokens', GlassTokens);
