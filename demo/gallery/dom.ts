/**
 * Small DOM helpers of the gallery, and the fetches it caches (each file, model and decoded array
 * is fetched once per page).
 *
 * @module
 */

import { type Engine, loadModel, type Model, type NpyArray, readNpy } from '../../src/mod.ts';

/** An element with properties (or attributes, for names the element lacks) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = String(v);
    else if (k === 'style') e.setAttribute('style', String(v));
    else if (k in e) (e as unknown as Record<string, unknown>)[k] = v;
    else e.setAttribute(k, String(v));
  }
  e.append(...children);
  return e;
}

/** A `glass-*` element with an inline style. */
export function glass<T extends HTMLElement>(tag: string, style: string): T {
  const e = document.createElement(tag) as T;
  e.setAttribute('style', style);
  return e;
}

/** A labelled `<select>` calling `onChange` with the chosen value. */
export function select(
  label: string,
  options: [string, string][],
  onChange: (value: string) => void,
): HTMLLabelElement {
  const s = h('select');
  for (const [value, text] of options) s.append(h('option', { value }, text));
  s.addEventListener('change', () => onChange(s.value));
  return h('label', { class: 'control' }, `${label} `, s);
}

/**
 * Text with `code spans` in backticks as nodes: the spans become `<code>` elements, so a status
 * line never shows raw Markdown.
 */
export function withCode(text: string): (Node | string)[] {
  return text.split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));
}

const cache = new Map<string, Promise<unknown>>();

/** `make()`'s promise, made once per `key` (a failed one is forgotten, so it can be retried). */
export function once<T>(key: string, make: () => Promise<T>): Promise<T> {
  if (!cache.has(key)) {
    const p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return cache.get(key) as Promise<T>;
}

/** The bytes at `path` (not cached). */
export async function fetchBytes(path: string, signal?: AbortSignal): Promise<Uint8Array> {
  const response = await fetch(path, { signal });
  if (!response.ok) throw new Error(`Cannot fetch ${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The JSON at `path`, parsed once. */
export function fetchJson<T>(path: string): Promise<T> {
  return once(path, async () => JSON.parse(new TextDecoder().decode(await fetchBytes(path))));
}

/** The `.npy` array at `path`, decoded once. */
export function fetchNpy(path: string): Promise<NpyArray> {
  return once(path, async () => readNpy(await fetchBytes(path)));
}

/** The ONNX model at `path`, loaded once on `engine`. */
export function model(engine: Engine, path: string): Promise<Model> {
  return once(path, async () => loadModel(engine, await fetchBytes(path)));
}

/** Example `i` of an [N, 1, 28, 28] float image set, as one-example input data. */
export async function image(
  path: string,
  i: number,
): Promise<{ data: Float32Array; shape: number[] }> {
  const x = await fetchNpy(path);
  const per = 28 * 28;
  return { data: (x.data as Float32Array).slice(i * per, (i + 1) * per), shape: [1, 1, 28, 28] };
}

/** Index of the largest value. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** "12.3%". */
export function percent(p: number): string {
  return `${(100 * p).toFixed(1)}%`;
}

/** The bundled models and their classes. */
export const MNIST = '/models/mnist_cnn.onnx';
export const FASHION = '/models/fashion_cnn.onnx';
export const TEXT = '/models/text_transformer.onnx';
export const DETYPIFY = '/node_modules/detypify-service/train/model.onnx';
export const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
