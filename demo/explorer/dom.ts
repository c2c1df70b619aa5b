/**
 * The explorer panels' two DOM builders: {@linkcode el} sets attributes (markup-like:
 * `el('input', { type: 'file', 'aria-label': 'Image file' })`), {@linkcode make} assigns
 * properties (`make('button', { type: 'button', disabled: true })`).
 *
 * @module
 */

/** An element with `attrs` set as attributes and `children` appended. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** An element with `props` assigned as properties and `children` appended. */
export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
}
