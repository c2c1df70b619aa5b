/**
 * Export of any `glass-*` element: a PNG of what it shows, an SVG of the same (vector for what the
 * element draws as SVG and DOM — bars, curves, axis and label text, token chips, tree rows; the
 * WebGL canvases embedded as PNG images at their place), and its numbers (`.npy` for arrays,
 * JSON for structured data). One function per kind works on every element; the elements need no
 * export code of their own.
 *
 * The PNG is that SVG rasterized, so text and boxes drawn over a canvas (labels, legends) stay
 * on top of it; the canvases are embedded at their own resolution with `image-rendering:
 * pixelated`, so at the device pixel ratio their pixels come through unchanged (the elements
 * create regl with `preserveDrawingBuffer: true`, so the last frame can be read; elements with a
 * `redraw()` draw once more first). It has the element's size in device pixels.
 *
 * @example
 * ```ts ignore
 * import { exportData, exportImage } from 'glassbox/components/shared/export';
 * const png = await exportImage(document.querySelector('glass-saliency')!, 'png');
 * for (const { name, blob } of await exportData(document.querySelector('glass-weights')!)) {
 *   console.log(name, blob.size); // weights.npy 4096, stats.json 312
 * }
 * ```
 *
 * @module
 */

import { writeNpy } from '../../src/io/npy.ts';
import { isNumeric, isTensorLike, type TensorLike } from './data.ts';

/** Image formats of {@linkcode exportImage}. */
export type ImageFormat = 'png' | 'svg';

/** One exported file. */
export interface ExportFile {
  /** File name, e.g. `attribution.npy`. */
  name: string;
  blob: Blob;
}

/** Options of {@linkcode exportImage}. */
export interface ExportImageOptions {
  /** Device pixels per CSS pixel of the PNG (default: `devicePixelRatio`, at least 1). */
  scale?: number;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';

/** SVG presentation properties copied from computed styles onto cloned SVG content. */
const SVG_STYLE = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'stroke-linecap',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
  'visibility',
] as const;

const escapeXml = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

const transparent = (color: string) =>
  !color || color === 'transparent' || /rgba\([^)]*,\s*0\)$/.test(color) ||
  /\/\s*0\)$/.test(color);

/** The element's accessible title: its `label` property or `aria-label`, else its tag. */
function titleOf(el: HTMLElement): string {
  const label = (el as unknown as { label?: unknown }).label;
  if (typeof label === 'string' && label) return label;
  return el.getAttribute('aria-label') ?? el.tagName.toLowerCase();
}

function hidden(el: Element): boolean {
  const style = getComputedStyle(el);
  if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') {
    return true;
  }
  // Visually hidden text for screen readers (1×1 px, clipped).
  const r = el.getBoundingClientRect();
  return r.width <= 1 && r.height <= 1 && style.overflow === 'hidden';
}

/** Children in rendering order: a slot's assigned nodes, an element's shadow root, else its children. */
function childrenOf(node: Node): Node[] {
  if (node instanceof HTMLSlotElement) return node.assignedNodes({ flatten: true });
  if (node instanceof Element && node.shadowRoot) return [...node.shadowRoot.childNodes];
  return [...node.childNodes];
}

/** Clones an inline SVG with its computed presentation styles written out as attributes. */
function cloneSvg(source: SVGSVGElement, x: number, y: number, w: number, h: number): string {
  const clone = source.cloneNode(true) as SVGSVGElement;
  const from = [source, ...source.querySelectorAll('*')];
  const to = [clone, ...clone.querySelectorAll('*')];
  for (let i = 0; i < from.length; i++) {
    const style = getComputedStyle(from[i]);
    const target = to[i];
    for (const p of SVG_STYLE) {
      const v = style.getPropertyValue(p);
      if (v && !(p === 'visibility' && v === 'visible')) target.setAttribute(p, v);
    }
    target.removeAttribute('class');
    target.removeAttribute('part');
    target.removeAttribute('style');
    target.removeAttribute('tabindex');
  }
  clone.setAttribute('x', String(x));
  clone.setAttribute('y', String(y));
  clone.setAttribute('width', String(w));
  clone.setAttribute('height', String(h));
  clone.removeAttribute('role');
  clone.removeAttribute('aria-label');
  clone.removeAttribute('aria-hidden');
  if (!clone.hasAttribute('viewBox') && w > 0 && h > 0) {
    clone.setAttribute('viewBox', `0 0 ${w} ${h}`);
  }
  return new XMLSerializer().serializeToString(clone);
}

/**
 * An SVG `<linearGradient>` for a CSS `linear-gradient(...)` background (directions `to right`,
 * `to left`, `to top`, `to bottom` or an angle in degrees; color stops with optional percentages),
 * or null for anything else.
 */
export function linearGradient(css: string, id: string): string | null {
  const m = /^linear-gradient\((.*)\)$/.exec(css.trim());
  if (!m) return null;
  const body = m[1];
  const stops = [...body.matchAll(/(rgba?\([^)]*\)|#[0-9a-f]{3,8}\b)\s*([\d.]+%)?/gi)];
  if (stops.length < 2) return null;
  const head = body.slice(0, stops[0].index).replace(/,\s*$/, '').trim();
  let angle = 180; // CSS default: to bottom
  const named: Record<string, number> = {
    'to top': 0,
    'to right': 90,
    'to bottom': 180,
    'to left': 270,
  };
  if (head in named) angle = named[head];
  else if (/^-?[\d.]+deg$/.test(head)) angle = parseFloat(head);
  else if (head) return null;
  const rad = (angle * Math.PI) / 180;
  const dx = Math.sin(rad) / 2;
  const dy = -Math.cos(rad) / 2;
  const f = (v: number) => v.toFixed(4);
  const body2 = stops.map((s, i) => {
    const offset = s[2] ?? `${(i / (stops.length - 1)) * 100}%`;
    return `<stop offset="${offset}" stop-color="${s[1]}"/>`;
  }).join('');
  return `<linearGradient id="${id}" x1="${f(0.5 - dx)}" y1="${f(0.5 - dy)}" x2="${f(0.5 + dx)}" ` +
    `y2="${f(0.5 + dy)}">${body2}</linearGradient>`;
}

/** `<text>` elements for a text node, one per rendered line. */
function textLines(node: Text, ox: number, oy: number): string {
  const text = node.data;
  const parent = node.parentElement;
  if (!parent || !text.trim()) return '';
  const style = getComputedStyle(parent);
  const range = document.createRange();
  const words = [...text.matchAll(/\S+/g)];
  const lines: { left: number; top: number; height: number; words: string[] }[] = [];
  for (const m of words) {
    range.setStart(node, m.index!);
    range.setEnd(node, m.index! + m[0].length);
    const r = range.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const last = lines[lines.length - 1];
    if (last && Math.abs(last.top - r.top) < r.height / 2) last.words.push(m[0]);
    else lines.push({ left: r.left, top: r.top, height: r.height, words: [m[0]] });
  }
  const size = parseFloat(style.fontSize) || 13;
  const attrs = `font-family="${escapeXml(style.fontFamily)}" font-size="${size}" ` +
    `font-weight="${style.fontWeight}" fill="${style.color}"` +
    (style.fontStyle !== 'normal' ? ` font-style="${style.fontStyle}"` : '');
  return lines.map((l) => {
    // The alphabetic baseline sits about 0.35 em below the middle of the line box.
    const baseline = l.top - oy + l.height / 2 + size * 0.35;
    return `<text x="${(l.left - ox).toFixed(2)}" y="${baseline.toFixed(2)}" ${attrs} ` +
      `xml:space="preserve">${escapeXml(l.words.join(' '))}</text>`;
  }).join('');
}

/**
 * The element as an SVG document (a string): its background, every box with a background color
 * or a linear gradient as a `<rect>` (a uniform border as its outline), inline SVGs cloned with
 * their computed styles, text as `<text>` at its rendered place, and canvases as embedded PNG
 * `<image>`s, in document order. The root has the element's CSS size and a `<title>` with its
 * label. Works on any element (a whole panel too), descending into shadow roots and slots.
 */
export function svgSnapshot(el: HTMLElement): string {
  (el as unknown as { redraw?: () => void }).redraw?.();
  const host = el.getBoundingClientRect();
  const W = Math.max(1, Math.round(host.width));
  const H = Math.max(1, Math.round(host.height));
  const parts: string[] = [];
  const gradients: string[] = [];
  const hostStyle = getComputedStyle(el);
  const background = transparent(hostStyle.backgroundColor)
    ? 'rgb(255, 255, 255)'
    : hostStyle.backgroundColor;
  parts.push(`<rect class="background" width="${W}" height="${H}" fill="${background}"/>`);
  const visit = (node: Node) => {
    if (node instanceof Text) {
      parts.push(textLines(node, host.left, host.top));
      return;
    }
    if (!(node instanceof Element) && !(node instanceof ShadowRoot)) return;
    if (node instanceof Element) {
      if (node instanceof HTMLStyleElement || node instanceof HTMLTemplateElement) return;
      if (hidden(node)) return;
      const r = node.getBoundingClientRect();
      const x = r.left - host.left;
      const y = r.top - host.top;
      if (node instanceof HTMLCanvasElement) {
        if (r.width > 0 && r.height > 0 && node.width > 0 && node.height > 0) {
          parts.push(
            `<image class="canvas" x="${x}" y="${y}" width="${r.width}" height="${r.height}" ` +
              `preserveAspectRatio="none" style="image-rendering: pixelated" ` +
              `href="${node.toDataURL('image/png')}"/>`,
          );
        }
        return;
      }
      if (node instanceof SVGSVGElement) {
        parts.push(cloneSvg(node, x, y, r.width, r.height));
        return;
      }
      if (node instanceof SVGElement) return; // inside an SVG handled above
      if (node !== el) {
        const style = getComputedStyle(node);
        const radius = parseFloat(style.borderTopLeftRadius) || 0;
        const box = (fill: string) =>
          `<rect x="${x}" y="${y}" width="${r.width}" height="${r.height}"` +
          (radius ? ` rx="${Math.min(radius, r.height / 2)}"` : '') + ` fill="${fill}"/>`;
        if (r.width > 0 && r.height > 0) {
          if (!transparent(style.backgroundColor)) parts.push(box(style.backgroundColor));
          const gradient = linearGradient(style.backgroundImage, `g${gradients.length}`);
          if (gradient) {
            gradients.push(gradient);
            parts.push(box(`url(#g${gradients.length - 1})`));
          }
          // A border of the same width, style and color on every side (cards, drop zones).
          const bw = parseFloat(style.borderTopWidth) || 0;
          const sides = ['Top', 'Right', 'Bottom', 'Left'].map((k) =>
            `${style.getPropertyValue(`border-${k.toLowerCase()}-width`)} ` +
            `${style.getPropertyValue(`border-${k.toLowerCase()}-style`)} ` +
            style.getPropertyValue(`border-${k.toLowerCase()}-color`)
          );
          const line = style.borderTopStyle;
          if (
            bw > 0 && sides.every((v) => v === sides[0]) &&
            ['solid', 'dashed', 'dotted'].includes(line) &&
            !transparent(style.borderTopColor)
          ) {
            const dash = line === 'dashed'
              ? ` stroke-dasharray="${bw * 3} ${bw * 2}"`
              : line === 'dotted'
              ? ` stroke-dasharray="${bw} ${bw}"`
              : '';
            parts.push(
              `<rect x="${x + bw / 2}" y="${y + bw / 2}" width="${Math.max(0, r.width - bw)}" ` +
                `height="${Math.max(0, r.height - bw)}"` +
                (radius ? ` rx="${Math.min(radius, r.height / 2)}"` : '') +
                ` fill="none" stroke="${style.borderTopColor}" stroke-width="${bw}"${dash}/>`,
            );
          }
        }
        if (
          node instanceof HTMLInputElement || node instanceof HTMLSelectElement ||
          node instanceof HTMLTextAreaElement
        ) {
          const value = node instanceof HTMLSelectElement
            ? node.selectedOptions[0]?.text ?? ''
            : node.value;
          if (value && node.type !== 'checkbox' && node.type !== 'range') {
            parts.push(
              `<text x="${x + 4}" y="${y + r.height / 2 + 4}" font-size="${style.fontSize}" ` +
                `fill="${style.color}">${escapeXml(value)}</text>`,
            );
          }
          return;
        }
      }
    }
    for (const child of childrenOf(node)) visit(child);
  };
  visit(el);
  const title = titleOf(el);
  return `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}" width="${W}" height="${H}" ` +
    `viewBox="0 0 ${W} ${H}" font-family="${escapeXml(hostStyle.fontFamily)}">` +
    `<title>${escapeXml(title)}</title>` +
    (gradients.length ? `<defs>${gradients.join('')}</defs>` : '') + `${parts.join('')}</svg>`;
}

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('Cannot export: the SVG snapshot did not render'));
    img.src = url;
  });
}

/**
 * A picture of `el`: `svg` ({@linkcode svgSnapshot}, `image/svg+xml`) or `png` (that SVG
 * rasterized at `scale`).
 */
export async function exportImage(
  el: HTMLElement,
  format: ImageFormat,
  options: ExportImageOptions = {},
): Promise<Blob> {
  if (format !== 'png' && format !== 'svg') {
    throw new TypeError(`Cannot export ${el.tagName}: unknown format '${format}' (png, svg)`);
  }
  await (el as unknown as { updateComplete?: Promise<unknown> }).updateComplete;
  const text = svgSnapshot(el);
  const svgBlob = new Blob([text], { type: 'image/svg+xml' });
  if (format === 'svg') return svgBlob;
  const scale = options.scale ?? Math.max(1, globalThis.devicePixelRatio || 1);
  const host = el.getBoundingClientRect();
  const W = Math.max(1, Math.round(host.width));
  const H = Math.max(1, Math.round(host.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(W * scale);
  canvas.height = Math.round(H * scale);
  const ctx = canvas.getContext('2d')!;
  const url = URL.createObjectURL(svgBlob);
  try {
    const img = await loadImage(url);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  } finally {
    URL.revokeObjectURL(url);
  }
  return await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob(
      (b) => b ? resolve(b) : reject(new Error(`Cannot export ${el.tagName}: PNG encoding failed`)),
      'image/png',
    )
  );
}

// --- numbers ---

type Values = ArrayLike<number> | TensorLike;

async function floats(v: Values): Promise<Float32Array<ArrayBuffer>> {
  if (isTensorLike(v)) return Float32Array.from(await v.readFloat32());
  return Float32Array.from(v as ArrayLike<number>);
}

function shapeOf(v: Values, shape: unknown, length: number): number[] {
  if (Array.isArray(shape) && shape.reduce((a, b) => a * b, 1) === length) return [...shape];
  if (isTensorLike(v)) return [...v.shape];
  return [length];
}

async function npy(name: string, v: Values, shape?: unknown): Promise<ExportFile> {
  const data = await floats(v);
  return { name, blob: new Blob([writeNpy(data, shapeOf(v, shape, data.length))]) };
}

/** JSON with typed arrays written as plain arrays and bytes left out. */
function json(name: string, value: unknown): ExportFile {
  const text = JSON.stringify(value, (_k, v) => {
    if (v instanceof Uint8Array) return undefined;
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    return v;
  }, 2);
  return { name, blob: new Blob([text], { type: 'application/json' }) };
}

const has = (v: unknown): v is Values => isTensorLike(v) || (isNumeric(v) && v.length > 0);

type Props = Record<string, unknown>;

/** What each element's numbers are: file name → from its properties. */
const DATA: Record<string, (p: Props) => Promise<(ExportFile | null)[]>> = {
  'glass-saliency': async (p) => [
    has(p.attribution) ? await npy('attribution.npy', p.attribution, p.shape) : null,
    ...await Promise.all(
      ((p.maps as { label: string; data: Values; shape?: number[] }[] | null) ?? []).map((m, i) =>
        npy(`map_${i}_${m.label.replace(/[^\w-]+/g, '_')}.npy`, m.data, m.shape)
      ),
    ),
    p.curves ? json('curves.json', p.curves) : null,
  ],
  'glass-tokens': async (p) => [
    has(p.values) ? await npy('values.npy', p.values) : null,
    p.tokens
      ? json('tokens.json', {
        tokens: p.tokens,
        values: has(p.values) ? await floats(p.values) : null,
      })
      : null,
  ],
  'glass-weights': async (p) => [
    has(p.data) ? await npy(`${safe(p.name as string) || 'weights'}.npy`, p.data, p.shape) : null,
    p.stats ? json('stats.json', p.stats) : null,
  ],
  'glass-histogram': async (p) => [
    has(p.counts) ? await npy('counts.npy', p.counts) : null,
    has(p.edges) ? await npy('edges.npy', p.edges) : null,
  ],
  'glass-spectrum': async (p) => [has(p.values) ? await npy('values.npy', p.values) : null],
  'glass-activations': async (p) => [
    has(p.data) ? await npy('activations.npy', p.data, p.shape) : null,
  ],
  'glass-graph': (p) => Promise.resolve([p.structure ? json('structure.json', p.structure) : null]),
  'glass-surrogate': async (p) => {
    const s = p.surrogate as
      | { templates?: Float32Array; classes: number; inputShape: number[]; onnx?: Uint8Array }
      | null;
    if (!s) return [];
    return [
      json('surrogate.json', s),
      s.templates ? await npy('templates.npy', s.templates, [s.classes, ...s.inputShape]) : null,
      s.onnx instanceof Uint8Array
        ? { name: 'surrogate.onnx', blob: new Blob([s.onnx as Uint8Array<ArrayBuffer>]) }
        : null,
    ];
  },
  'glass-probes': (p) => Promise.resolve([p.report ? json('probes.json', p.report) : null]),
  'glass-projector': async (p) => {
    const pos = p.positions as Float32Array | null;
    if (!pos) return [];
    const labels = p.labels as ArrayLike<number> | null;
    return [
      await npy('positions.npy', pos, [pos.length / 2, 2]),
      labels
        ? {
          name: 'labels.npy',
          blob: new Blob([writeNpy(Int32Array.from(labels), [labels.length])]),
        }
        : null,
      has(p.values) ? await npy('values.npy', p.values) : null,
      p.texts || p.labelNames
        ? json('points.json', { texts: p.texts ?? null, labelNames: p.labelNames ?? null })
        : null,
    ];
  },
  'glass-attention': async (p) => [
    has(p.weights) ? await npy('attention.npy', p.weights, p.shape) : null,
    p.tokens ? json('tokens.json', p.tokens) : null,
  ],
};

const safe = (s: string | undefined) => (s ?? '').replace(/[^\w.-]+/g, '_');

/** The tags {@linkcode exportData} knows. */
export const EXPORTABLE_DATA: readonly string[] = Object.keys(DATA);

/**
 * The numbers an element shows, as files: arrays as `.npy` (float32, with the element's shape;
 * engine tensors are read back), structured data as JSON (typed arrays as plain arrays). Empty
 * when the element has no data yet.
 *
 * @throws {TypeError} for an element this module does not know (see {@linkcode EXPORTABLE_DATA}).
 */
export async function exportData(el: HTMLElement): Promise<ExportFile[]> {
  const tag = el.tagName.toLowerCase();
  const read = DATA[tag];
  if (!read) {
    throw new TypeError(
      `Cannot export the data of <${tag}>: known elements are ${EXPORTABLE_DATA.join(', ')}`,
    );
  }
  return (await read(el as unknown as Props)).filter((f): f is ExportFile => f !== null);
}
