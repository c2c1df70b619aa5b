/**
 * What editor a model input gets, and its settings: inferred from the input's declared shape and
 * element type (rank-4 float with 1 or 3 channels → an image, rank-2 integers → token ids,
 * anything else → a `.npy` file), merged with what a bundled example says, and remembered per
 * model in `localStorage` (keyed by the model's name and a hash of its inputs).
 *
 * Pure functions only; the editors live in `input_image.ts`, `input_tokens.ts`, `input_npy.ts`.
 *
 * @module
 */

import type { ExampleModel } from '../../models/index.d.ts';

/** A model input as declared (`ValueInfo`) or planned (`ModelStructure.inputs`). */
export interface InputDecl {
  name: string;
  dtype?: string;
  shape?: readonly (number | string | null)[];
}

/** Image tensor layout: channels first (PyTorch) or last (TensorFlow). */
export type ImageLayout = 'nchw' | 'nhwc';

/** How an image is brought to the model's H×W. */
export type ImageFit = 'stretch' | 'center-crop' | 'digit';

/** Settings of an image input. */
export interface ImageSettings {
  kind: 'image';
  layout: ImageLayout;
  /** 1 (gray) or 3 (color). */
  channels: 1 | 3;
  /** The model's image size (from the shape; editable when the shape leaves it open). */
  height: number;
  width: number;
  /**
   * `stretch` to H×W; `center-crop` the largest centered box of the model's aspect, then resize;
   * `digit`: MNIST-style, the ink's bounding box fit into 20/28 of the side, centered by its mass.
   */
  fit: ImageFit;
  /** Pixel values as `[0, 1]` (divided by 255) or `[0, 255]`. */
  scale: '0-1' | '0-255';
  /** Per channel, in the scaled unit: value = (pixel − mean) / std. */
  mean: number[];
  std: number[];
  /** Channel order of a color image. */
  order: 'rgb' | 'bgr';
  /** 255 − pixel before scaling (dark ink on white paper for a model trained on white on black). */
  invert: boolean;
}

/** Settings of a token-id input. */
export interface TokenSettings {
  kind: 'tokens';
  /** Ids per example (the shape's second dimension). */
  length: number;
  /** Type text (needs a vocabulary) or ids. */
  mode: 'text' | 'ids';
}

/** An input given only as a `.npy` file. */
export interface NpySettings {
  kind: 'npy';
}

/** The settings of the explained input's editor. */
export type InputSettings = ImageSettings | TokenSettings | NpySettings;

/** ImageNet's per-channel mean and standard deviation (RGB, in the [0, 1] unit). */
export const IMAGENET_MEAN: readonly number[] = Object.freeze([0.485, 0.456, 0.406]);
export const IMAGENET_STD: readonly number[] = Object.freeze([0.229, 0.224, 0.225]);

const FLOAT = /^(float|bfloat)/;
const INT = /^(int|uint)/;

/** A positive fixed dimension, or null for a symbolic/unknown one. */
function fixed(d: number | string | null | undefined): number | null {
  return typeof d === 'number' && d > 0 ? d : null;
}

/** Whether a declared input reads as an image, and its layout (null if not). */
export function imageLayoutOf(decl: InputDecl): ImageLayout | null {
  const s = decl.shape;
  if (!s || s.length !== 4 || !FLOAT.test(decl.dtype ?? 'float32')) return null;
  const c1 = fixed(s[1]), c3 = fixed(s[3]);
  if (c1 === 1 || c1 === 3) return 'nchw';
  if (c3 === 1 || c3 === 3) return 'nhwc';
  return null;
}

/** Whether a declared input reads as token ids (rank-2 integers). */
export function isTokenInput(decl: InputDecl): boolean {
  return !!decl.shape && decl.shape.length === 2 && INT.test(decl.dtype ?? '');
}

/**
 * The input to explain: the first image-like input, else the first token-id input whose name
 * does not say it is a mask or type ids, else the first input. Throws for a model without inputs.
 */
export function chooseExplainedInput(inputs: readonly InputDecl[]): string {
  if (inputs.length === 0) throw new Error('Cannot choose an input: the model declares none');
  const image = inputs.find((d) => imageLayoutOf(d));
  if (image) return image.name;
  const ids = inputs.find((d) => isTokenInput(d) && !/mask|type|position/i.test(d.name));
  return (ids ?? inputs[0]).name;
}

/**
 * The default settings for an input, from its declaration and, for a bundled example, what the
 * example says (its image range, the MNIST-style digit fit of 28×28 gray models).
 */
export function inferSettings(decl: InputDecl, example?: ExampleModel): InputSettings {
  const layout = imageLayoutOf(decl);
  if (layout) {
    const s = decl.shape!;
    const channels = (layout === 'nchw' ? s[1] : s[3]) as 1 | 3;
    const [h, w] = layout === 'nchw' ? [s[2], s[3]] : [s[1], s[2]];
    const height = fixed(h) ?? 224, width = fixed(w) ?? 224;
    const range = example?.input.kind === 'image' ? example.input.range : [0, 1];
    return {
      kind: 'image',
      layout,
      channels,
      height,
      width,
      fit: channels === 1 && height === 28 && width === 28 ? 'digit' : 'center-crop',
      scale: range[1] > 1 ? '0-255' : '0-1',
      mean: new Array(channels).fill(0),
      std: new Array(channels).fill(1),
      order: 'rgb',
      invert: false,
    };
  }
  if (isTokenInput(decl)) {
    return { kind: 'tokens', length: fixed(decl.shape![1]) ?? 64, mode: 'text' };
  }
  return { kind: 'npy' };
}

/** 32-bit FNV-1a of a string, as 8 hex digits. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The localStorage key of a model's input settings: its name and a hash of its inputs. */
export function settingsKey(modelName: string, inputs: readonly InputDecl[]): string {
  const sig = inputs.map((d) => `${d.name}:${d.dtype ?? '?'}:[${(d.shape ?? []).join(',')}]`);
  return `glassbox.explorer.input.${modelName}.${fnv1a(sig.join(';'))}`;
}

/**
 * Checks stored settings against the defaults: the same kind and every field of the right type
 * (and for an image the same channel count); anything else falls back to the default field.
 */
export function mergeSettings(defaults: InputSettings, stored: unknown): InputSettings {
  if (!stored || typeof stored !== 'object') return defaults;
  const s = stored as Record<string, unknown>;
  if (s.kind !== defaults.kind) return defaults;
  const out = { ...defaults } as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(defaults)) {
    const given = s[k];
    if (given === undefined || k === 'kind') continue;
    if (Array.isArray(v)) {
      if (
        Array.isArray(given) && given.length === v.length &&
        given.every((x) => typeof x === 'number' && Number.isFinite(x))
      ) out[k] = [...given];
    } else if (typeof given === typeof v) {
      if (typeof v === 'number' && !(Number.isInteger(given) && (given as number) > 0)) continue;
      out[k] = given;
    }
  }
  const merged = out as unknown as InputSettings;
  if (merged.kind === 'image') {
    const d = defaults as ImageSettings;
    merged.channels = d.channels;
    merged.layout = d.layout;
    if (!['stretch', 'center-crop', 'digit'].includes(merged.fit)) merged.fit = d.fit;
    if (!['0-1', '0-255'].includes(merged.scale)) merged.scale = d.scale;
    if (!['rgb', 'bgr'].includes(merged.order)) merged.order = d.order;
    if (merged.std.some((v) => v === 0)) merged.std = d.std;
  } else if (merged.kind === 'tokens') {
    if (!['text', 'ids'].includes(merged.mode)) merged.mode = 'text';
  }
  return merged;
}

/** Reads a model's remembered settings (defaults when none, or storage is unavailable). */
export function loadSettings(
  storage: Pick<Storage, 'getItem'> | null,
  key: string,
  defaults: InputSettings,
): InputSettings {
  try {
    const text = storage?.getItem(key);
    return text ? mergeSettings(defaults, JSON.parse(text)) : defaults;
  } catch {
    return defaults; // unreadable JSON or storage denied: start from the defaults
  }
}

/** Remembers a model's settings; false when storage refused (full, or disabled). */
export function saveSettings(
  storage: Pick<Storage, 'setItem'> | null,
  key: string,
  settings: InputSettings,
): boolean {
  try {
    storage?.setItem(key, JSON.stringify(settings));
    return !!storage;
  } catch {
    return false;
  }
}

/**
 * Parses `n` numbers separated by commas or spaces ("0.485, 0.456, 0.406"); one number is
 * repeated for every channel. Throws an Error with a sentence for anything else.
 */
export function parseNumberList(text: string, n: number, what: string): number[] {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  const values = parts.map(Number);
  const bad = parts.findIndex((p, i) => !Number.isFinite(values[i]) || p.trim() === '');
  if (bad >= 0) throw new Error(`The ${what} '${parts[bad]}' is not a number.`);
  if (values.length === 1) return new Array(n).fill(values[0]);
  if (values.length !== n) {
    throw new Error(`Give the ${what} as 1 or ${n} numbers, got ${values.length}.`);
  }
  return values;
}

/**
 * Class names from a labels file: a JSON array, a JSON object from index to name (`{"0": "cat"}`,
 * as Keras and Hugging Face `id2label` write them) or from name to index, or text with one name
 * per line (blank trailing lines dropped). Throws an Error naming what is wrong.
 */
export function parseLabels(text: string, fileName = ''): string[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error(`The labels file ${fileName} is empty.`.replace('  ', ' '));
  const looksJson = /\.json$/i.test(fileName) || /^[[{]/.test(trimmed);
  if (!looksJson) return text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    throw new Error(`The labels file is not valid JSON: ${(error as Error).message}`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (v.id2label && typeof v.id2label === 'object') value = v.id2label;
    else if (Array.isArray(v.labels)) value = v.labels;
    else if (Array.isArray(v.classes)) value = v.classes;
  }
  if (Array.isArray(value)) {
    const bad = value.findIndex((x) => typeof x !== 'string' && typeof x !== 'number');
    if (bad >= 0) throw new Error(`Label ${bad} in the labels file is not a string.`);
    return value.map(String);
  }
  if (!value || typeof value !== 'object') {
    throw new Error('The labels file must be a JSON array or object, or text with one per line.');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const isIndex = (s: unknown) => /^\d+$/.test(String(s));
  let pairs: [number, string][];
  if (entries.every(([k]) => isIndex(k))) {
    pairs = entries.map(([k, v]) => [Number(k), String(v)]);
  } else if (entries.every(([, v]) => Number.isInteger(v) && (v as number) >= 0)) {
    pairs = entries.map(([k, v]) => [v as number, k]);
  } else {
    throw new Error(
      'The labels object must map class indices to names ({"0": "cat"}) or names to indices.',
    );
  }
  const labels: string[] = [];
  for (const [i, name] of pairs) {
    if (labels[i] !== undefined) throw new Error(`Class ${i} is named twice in the labels file.`);
    labels[i] = name;
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === undefined) throw new Error(`Class ${i} has no name in the labels file.`);
  }
  return labels;
}
