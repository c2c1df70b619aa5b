/**
 * `.npy` inputs, offered for every model: an array checked against the input's declared shape
 * and element type (one example is taken: a row of a batch, or the array itself when it lacks
 * the batch axis), and an image view of an image-shaped tensor for overlays. The pure parts are
 * tested in `input_npy_test.ts`; {@linkcode mountNpyInput} is the file picker.
 *
 * @module
 */

import { type InputData, type NpyArray, readNpy } from '../../src/mod.ts';
import type { ImageLayout, InputDecl } from './input_settings.ts';

const FLOAT = /^(float|bfloat)/;

/** Examples in an array for `decl`: its first dimension, or 1 when it lacks the batch axis. */
export function npyExamples(array: NpyArray, decl: InputDecl): number {
  const rank = decl.shape?.length ?? array.shape.length;
  return array.shape.length === rank ? array.shape[0] : 1;
}

/**
 * One example of `array` as the feed of `decl` (batch 1): `row` of its first axis, or the whole
 * array when it has one axis less than the input. Float inputs take float, uint8 or bool arrays;
 * integer inputs take integer arrays (int64 kept as BigInt64Array). Throws an Error with a
 * sentence naming the input, the expected and the given shape or type.
 */
export function npyToFeed(array: NpyArray, decl: InputDecl, row = 0): InputData {
  const declared = decl.shape ?? null;
  const given = `[${array.shape.join(', ')}]`;
  const want = declared ? `[${declared.map((d) => d ?? '?').join(', ')}]` : '';
  let shape = array.shape;
  let data = array.data;
  if (declared) {
    if (shape.length === declared.length - 1) shape = [1, ...shape];
    else if (shape.length !== declared.length) {
      throw new Error(
        `The array ${given} does not fit input '${decl.name}' ${want}: it needs rank ` +
          `${declared.length} (or ${declared.length - 1} without the batch axis).`,
      );
    }
    for (let i = 1; i < declared.length; i++) {
      const d = declared[i];
      if (typeof d === 'number' && d > 0 && d !== shape[i]) {
        throw new Error(
          `The array ${given} does not fit input '${decl.name}' ${want}: dimension ${i} must be ` +
            `${d}, got ${shape[i]}.`,
        );
      }
    }
  }
  const examples = shape[0];
  if (!Number.isInteger(row) || row < 0 || row >= examples) {
    throw new Error(
      `Example ${row} does not exist: the array holds ${examples} (0..${examples - 1}).`,
    );
  }
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  data = data.subarray(row * per, (row + 1) * per);
  shape = [1, ...shape.slice(1)];
  const float = FLOAT.test(decl.dtype ?? 'float32');
  if (float) {
    if (array.dtype === 'int64' || array.dtype === 'int32') {
      throw new Error(
        `Input '${decl.name}' is ${decl.dtype ?? 'float32'}; the array holds ${array.dtype} ` +
          'integers: save it as float32.',
      );
    }
    return { data: Float32Array.from(data as ArrayLike<number>), shape };
  }
  if (array.dtype === 'float32' || array.dtype === 'float64') {
    throw new Error(
      `Input '${decl.name}' is ${decl.dtype}; the array holds ${array.dtype} numbers: save it as ` +
        'int64 or int32.',
    );
  }
  if (array.dtype === 'int64') return { data: (data as BigInt64Array).slice(), shape };
  return { data: Int32Array.from(data as ArrayLike<number>), shape };
}

/**
 * The image of an image-shaped feed ([1, C, H, W] or [1, H, W, C], C 1 or 3) as RGBA for
 * overlays: values in [0, 1] or [0, 255] keep their range, others are stretched min–max.
 */
export function tensorImage(
  data: ArrayLike<number>,
  shape: readonly number[],
  layout: ImageLayout,
): { width: number; height: number; rgba: Uint8ClampedArray } {
  const [c, h, w] = layout === 'nchw'
    ? [shape[1], shape[2], shape[3]]
    : [shape[3], shape[1], shape[2]];
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) lo = Math.min(lo, data[i]), hi = Math.max(hi, data[i]);
  const [a, b] = lo >= 0 && hi <= 1 ? [0, 1] : lo >= 0 && hi <= 255 ? [0, 255] : [lo, hi];
  const k = b > a ? 255 / (b - a) : 0;
  const n = h * w;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const s = Math.min(ch, c - 1);
      const v = layout === 'nchw' ? data[s * n + p] : data[p * c + s];
      rgba[p * 4 + ch] = Math.round((v - a) * k);
    }
    rgba[p * 4 + 3] = 255;
  }
  return { width: w, height: h, rgba };
}

// ---------------------------------------------------------------------------------------------
// The editor.

/** The mounted `.npy` picker. */
export interface NpyEditor {
  readonly fileInput: HTMLInputElement;
  /** Which example of the array (a number input, shown for arrays of several). */
  readonly rowInput: HTMLInputElement;
  /** Uses an array (from a file or a bundled example's samples). */
  setArray(array: NpyArray, name: string, row?: number): void;
  showError(message: string): void;
}

/**
 * Mounts a `.npy` file picker for `decl`, with an example picker for arrays of several
 * examples. `onFeed` gets each valid example; bad files get a sentence instead.
 */
export function mountNpyInput(
  host: HTMLElement,
  decl: InputDecl,
  onFeed: (feed: InputData, summary: string, row: number) => void,
): NpyEditor {
  const fileInput = document.createElement('input');
  fileInput.type = 'file';
  fileInput.accept = '.npy';
  fileInput.setAttribute('aria-label', `.npy file for input ${decl.name}`);
  const rowInput = document.createElement('input');
  rowInput.type = 'number';
  rowInput.min = '0';
  rowInput.value = '0';
  rowInput.setAttribute('aria-label', 'Example');
  const rowLabel = document.createElement('label');
  rowLabel.append('Example ', rowInput);
  rowLabel.hidden = true;
  const error = document.createElement('p');
  error.className = 'error';
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const showError = (m: string) => {
    error.textContent = m;
    error.hidden = !m;
  };
  let current: { array: NpyArray; name: string } | null = null;
  const use = () => {
    if (!current) return;
    const row = Number(rowInput.value);
    try {
      const feed = npyToFeed(current.array, decl, row);
      const n = npyExamples(current.array, decl);
      showError('');
      onFeed(
        feed,
        `${current.name}${n > 1 ? ` #${row}` : ''}, ${feed.shape.join('×')}`,
        row,
      );
    } catch (e) {
      showError((e as Error).message);
    }
  };
  const setArray = (array: NpyArray, name: string, row = 0) => {
    current = { array, name };
    const n = npyExamples(array, decl);
    rowInput.max = String(Math.max(0, n - 1));
    rowInput.value = String(Math.min(row, Math.max(0, n - 1)));
    rowLabel.hidden = n <= 1;
    use();
  };
  fileInput.addEventListener('change', async () => {
    const f = fileInput.files?.[0];
    if (!f) return;
    try {
      setArray(readNpy(new Uint8Array(await f.arrayBuffer())), f.name);
    } catch (e) {
      current = null;
      showError(`Cannot read ${f.name}: ${(e as Error).message}`);
    }
  });
  rowInput.addEventListener('change', use);
  const label = document.createElement('label');
  label.append('.npy ', fileInput);
  host.append(label, rowLabel, error);
  return { fileInput, rowInput, setArray, showError };
}
