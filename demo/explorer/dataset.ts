/**
 * Datasets for the explorer's global view (surrogates and probes): a folder of images whose
 * subfolder names are the labels, or a `.npy` of inputs with a `.npy` / text / JSON file of
 * labels, or a bundled example's test samples. Everything is checked against the model's input
 * before any GPU work, with errors that say what is wrong ("12 inputs but 10 labels").
 *
 * The pure parts (folder grouping, label parsing, shape checks, RGBA → CHW) run anywhere; reading
 * files from a drop and decoding images need a browser.
 *
 * @module
 */

import { type NpyArray, readNpy } from '../../src/io/npy.ts';
import type { InputData } from '../../src/onnx/model.ts';

/** A dataset could not be read or does not fit the model. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** A file of a dropped or chosen dataset, with its path inside the dropped folder. */
export interface DatasetFile {
  /** `digits/3/img_001.png` for a folder, or the bare file name. */
  path: string;
  file: Blob;
}

/** What the model's (first) input takes, per example. */
export interface InputSpec {
  /** The model input's name. */
  name: string;
  /** Per-example dimensions (the batch axis removed), e.g. [1, 28, 28]. */
  shape: number[];
  /** `float32` for images and features; integer types for token ids. */
  dtype: string;
}

/** A dataset ready for `distill` and `probeLayers`. */
export interface Dataset {
  /** Inputs, batch axis first: [count, ...spec.shape]. */
  inputs: InputData & { shape: number[] };
  /** Class index per example, or null when the dataset has none. */
  labels: Int32Array | null;
  /** Names of the label classes (folder names, label strings), or null for bare indices. */
  classNames: string[] | null;
  /** Number of examples. */
  count: number;
  /** One line for people: "200 examples from mnist_test_x.npy, labels from mnist_test_y.npy". */
  summary: string;
}

/** Options of the image readers. */
export interface ImageOptions {
  /** Per-channel mean subtracted after scaling to [0, 1] (one value, or one per channel). */
  mean?: readonly number[];
  /** Per-channel standard deviation divided by after the mean (one value, or one per channel). */
  std?: readonly number[];
}

const IMAGE_EXT = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;
const LABEL_EXT = /\.(npy|txt|csv|json)$/i;

const compareNames = (a: string, b: string) =>
  a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });

/**
 * The per-example input of a model input declared as `shape` (batch axis first; symbolic or
 * unknown dimensions are not allowed past the batch axis).
 *
 * @throws {DatasetError} when a per-example dimension is unknown.
 */
export function inputSpec(
  input: { name: string; shape?: (number | string | null)[]; dtype?: string },
): InputSpec {
  const shape = input.shape ?? [];
  if (shape.length < 2) {
    throw new DatasetError(
      `Cannot build a dataset for input '${input.name}': its shape [${shape}] has no batch axis`,
    );
  }
  const rest = shape.slice(1);
  if (rest.some((d) => typeof d !== 'number' || !(d > 0))) {
    throw new DatasetError(
      `Cannot build a dataset for input '${input.name}': its per-example shape [${rest}] is not ` +
        'fixed',
    );
  }
  return { name: input.name, shape: rest as number[], dtype: input.dtype ?? 'float32' };
}

/** Folder grouping of image files (see {@linkcode groupByFolder}). */
export interface FolderGroups {
  /** Image files in order (by class, then by name), with their class index (or -1 without). */
  images: { path: string; label: number }[];
  /** Class names (subfolder names), or null when all images share one folder. */
  classNames: string[] | null;
  /** Paths that are not images (ignored), for the summary. */
  skipped: string[];
}

/**
 * Groups image paths by their parent folder: the label of `digits/3/a.png` is `3`. Class names
 * are the folder names in natural order ("2" before "10"), unless `knownLabels` (the model's
 * class names) contains every folder name: then each folder gets its index there, so that the
 * labels line up with the model's outputs. Images that all lie in one folder have no labels.
 * Hidden files (`.DS_Store`, `._x.png`) and non-images are skipped.
 *
 * @throws {DatasetError} when there is no image.
 */
export function groupByFolder(
  paths: readonly string[],
  knownLabels: readonly string[] | null = null,
): FolderGroups {
  const skipped: string[] = [];
  const found: { path: string; folder: string }[] = [];
  for (const path of paths) {
    const parts = path.split('/').filter((p) => p);
    const base = parts[parts.length - 1] ?? '';
    if (base.startsWith('.') || !IMAGE_EXT.test(base)) {
      skipped.push(path);
      continue;
    }
    found.push({ path, folder: parts.length > 1 ? parts[parts.length - 2] : '' });
  }
  if (found.length === 0) {
    throw new DatasetError(
      `Cannot read the dataset: none of the ${paths.length} files is an image ` +
        '(.png, .jpg, .gif, .webp, .bmp, .avif)',
    );
  }
  const folders = [...new Set(found.map((f) => f.folder))];
  if (folders.length === 1) {
    found.sort((a, b) => compareNames(a.path, b.path));
    return { images: found.map((f) => ({ path: f.path, label: -1 })), classNames: null, skipped };
  }
  let classNames: string[];
  let index: (folder: string) => number;
  if (knownLabels && folders.every((f) => knownLabels.includes(f))) {
    classNames = [...knownLabels];
    index = (f) => knownLabels.indexOf(f);
  } else {
    classNames = folders.sort(compareNames);
    index = (f) => classNames.indexOf(f);
  }
  const images = found.map((f) => ({ path: f.path, label: index(f.folder) }));
  images.sort((a, b) => a.label - b.label || compareNames(a.path, b.path));
  return { images, classNames, skipped };
}

/** Labels read from a file: class indices and, for string labels, their names. */
export interface ParsedLabels {
  labels: Int32Array;
  classNames: string[] | null;
}

function labelsFromValues(
  values: readonly (string | number)[],
  what: string,
  knownLabels: readonly string[] | null,
): ParsedLabels {
  const numeric = values.every((v) =>
    typeof v === 'number' ||
    (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))
  );
  if (numeric) {
    const labels = Int32Array.from(values, (v) => Number(v));
    const bad = values.findIndex((v, i) => !Number.isInteger(Number(v)) || labels[i] < 0);
    if (bad >= 0) {
      throw new DatasetError(
        `Cannot read labels from ${what}: label ${bad} is ${values[bad]}, not a class index ≥ 0`,
      );
    }
    return { labels, classNames: null };
  }
  const names = values.map((v) => String(v).trim());
  const classNames = knownLabels && names.every((n) => knownLabels.includes(n))
    ? [...knownLabels]
    : [...new Set(names)].sort(compareNames);
  return { labels: Int32Array.from(names, (n) => classNames.indexOf(n)), classNames };
}

/**
 * Parses a labels file: a JSON array (of class indices or class names), or text with one label
 * per line (or separated by commas or whitespace). Names become indices into the model's class
 * names when `knownLabels` has them all, else into their sorted unique list.
 *
 * @throws {DatasetError} for an empty file, nested JSON, negative or fractional indices.
 */
export function parseLabels(
  text: string,
  fileName = 'the labels file',
  knownLabels: readonly string[] | null = null,
): ParsedLabels {
  const trimmed = text.trim();
  if (!trimmed) throw new DatasetError(`Cannot read labels from ${fileName}: it is empty`);
  let values: (string | number)[];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new DatasetError(
        `Cannot read labels from ${fileName}: invalid JSON (${(e as Error).message})`,
      );
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { labels?: unknown }).labels;
    if (!Array.isArray(list) || list.some((v) => typeof v !== 'number' && typeof v !== 'string')) {
      throw new DatasetError(
        `Cannot read labels from ${fileName}: expected a JSON array of class indices or names ` +
          '(or {"labels": [...]})',
      );
    }
    values = list;
  } else {
    const lines = trimmed.split(/\r?\n/).map((l) => l.trim()).filter((l) => l);
    // One label per line; a single line of many values is split on commas or whitespace.
    values = lines.length === 1 ? lines[0].split(/[\s,;]+/).filter((v) => v) : lines;
  }
  return labelsFromValues(values, fileName, knownLabels);
}

/**
 * Class indices from a `.npy`: integers (or integral floats) of shape [n] or [n, 1], or one-hot /
 * score rows [n, C] (their argmax).
 *
 * @throws {DatasetError} for other shapes, negative or fractional values.
 */
export function labelsFromNpy(array: NpyArray, fileName = 'the labels file'): Int32Array {
  const { shape, data } = array;
  const n = shape[0] ?? 0;
  const values = Array.from(data as ArrayLike<number | bigint>, Number);
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) {
    const bad = values.findIndex((v) => !Number.isInteger(v) || v < 0);
    if (bad >= 0) {
      throw new DatasetError(
        `Cannot read labels from ${fileName}: label ${bad} is ${values[bad]}, not a class ` +
          'index ≥ 0',
      );
    }
    return Int32Array.from(values);
  }
  if (shape.length === 2) {
    const c = shape[1];
    return Int32Array.from({ length: n }, (_, r) => {
      let best = 0;
      for (let k = 1; k < c; k++) if (values[r * c + k] > values[r * c + best]) best = k;
      return best;
    });
  }
  throw new DatasetError(
    `Cannot read labels from ${fileName}: shape (${shape}) is neither [n] nor [n, classes]`,
  );
}

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Inputs from a `.npy` of shape [n, ...]: each example must hold as many values as the model's
 * per-example input (it is reshaped to it, so [n, 28, 28] fits [1, 28, 28] and [n, 784] does
 * too). Float inputs are converted to float32; uint8 images are scaled to [0, 1]; integer inputs
 * of a token model stay integers.
 *
 * @throws {DatasetError} for a size mismatch or an unusable dtype.
 */
export function inputsFromNpy(
  array: NpyArray,
  spec: InputSpec,
  fileName = 'the inputs file',
): InputData & { shape: number[] } {
  const per = product(spec.shape);
  const n = array.shape[0] ?? 0;
  const each = array.shape.slice(1);
  if (array.shape.length < 1 || product(each) !== per || array.data.length !== n * per) {
    throw new DatasetError(
      `Cannot use ${fileName}: each example has shape [${each}] (${product(each)} values); the ` +
        `model input '${spec.name}' takes [${spec.shape}] (${per} values) per example`,
    );
  }
  if (n === 0) throw new DatasetError(`Cannot use ${fileName}: it holds no examples`);
  const shape = [n, ...spec.shape];
  const integerInput = /int/.test(spec.dtype);
  if (integerInput) {
    if (array.dtype === 'int64') return { data: array.data as BigInt64Array, shape };
    if (array.dtype === 'int32') return { data: array.data as Int32Array, shape };
    const values = Array.from(array.data as ArrayLike<number>);
    const bad = values.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) {
      throw new DatasetError(
        `Cannot use ${fileName}: the model input '${spec.name}' takes integers (${spec.dtype}); ` +
          `value ${bad} is ${values[bad]}`,
      );
    }
    return { data: Int32Array.from(values), shape };
  }
  if (array.dtype === 'float32') return { data: array.data as Float32Array, shape };
  if (array.dtype === 'uint8') {
    return { data: Float32Array.from(array.data as Uint8Array, (v) => v / 255), shape };
  }
  if (array.dtype === 'bool') return { data: Float32Array.from(array.data as Uint8Array), shape };
  return { data: Float32Array.from(array.data as ArrayLike<number | bigint>, Number), shape };
}

/**
 * Checks a dataset against what the global view needs: at least `minimum` examples (distill
 * needs 8), one label per example, and labels within the class names.
 *
 * @throws {DatasetError} naming the mismatch.
 */
export function checkDataset(dataset: Dataset, minimum = 8): void {
  if (dataset.count < minimum) {
    throw new DatasetError(
      `The dataset has ${dataset.count} example${dataset.count === 1 ? '' : 's'}; the global ` +
        `view needs at least ${minimum}`,
    );
  }
  const labels = dataset.labels;
  if (!labels) return;
  if (labels.length !== dataset.count) {
    throw new DatasetError(
      `The dataset has ${dataset.count} inputs but ${labels.length} labels`,
    );
  }
  const names = dataset.classNames;
  if (names) {
    const bad = labels.findIndex((l) => l >= names.length);
    if (bad >= 0) {
      throw new DatasetError(
        `Label ${bad} is class ${labels[bad]}, but there are ${names.length} class names`,
      );
    }
  }
}

/**
 * Converts RGBA pixels (`width`×`height`, row-major) to a CHW float array for `channels` (1:
 * luminance, Rec. 601 weights; 3: RGB; 4: RGBA) scaled to [0, 1], then `(x − mean) / std` per
 * channel. Writes into `dst` when given (length channels·height·width) and returns it.
 */
export function rgbaToChw(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  options: ImageOptions = {},
  dst: Float32Array = new Float32Array(channels * width * height),
): Float32Array {
  if (![1, 3, 4].includes(channels)) {
    throw new DatasetError(`Cannot convert an image to ${channels} channels (1, 3 or 4)`);
  }
  const plane = width * height;
  const pick = (v: readonly number[] | undefined, c: number, fallback: number) =>
    v && v.length ? (v.length === 1 ? v[0] : v[c] ?? fallback) : fallback;
  for (let c = 0; c < channels; c++) {
    const mean = pick(options.mean, c, 0);
    const std = pick(options.std, c, 1);
    for (let q = 0; q < plane; q++) {
      const v = channels === 1
        ? (0.299 * rgba[q * 4] + 0.587 * rgba[q * 4 + 1] + 0.114 * rgba[q * 4 + 2]) / 255
        : rgba[q * 4 + c] / 255;
      dst[c * plane + q] = (v - mean) / std;
    }
  }
  return dst;
}

/** Channels, height and width of an image input's per-example shape [C, H, W] (or [H, W]). */
export function imageGeometry(
  spec: InputSpec,
): { channels: number; height: number; width: number } {
  const s = spec.shape;
  if (s.length === 2) return { channels: 1, height: s[0], width: s[1] };
  if (s.length === 3 && [1, 3, 4].includes(s[0])) {
    return { channels: s[0], height: s[1], width: s[2] };
  }
  throw new DatasetError(
    `Cannot feed images to the model input '${spec.name}': its per-example shape [${s}] is not ` +
      '[C, H, W] with 1, 3 or 4 channels',
  );
}

/**
 * Decodes an image file and converts it to the model's input (browser only): resized to the
 * input's H×W (stretched, smoothed), scaled to [0, 1], then mean/std per channel.
 *
 * @throws {DatasetError} when the image cannot be decoded.
 */
export async function imageToTensor(
  file: Blob,
  spec: InputSpec,
  options: ImageOptions = {},
  dst?: Float32Array,
): Promise<Float32Array> {
  const { channels, height, width } = imageGeometry(spec);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, {
      resizeWidth: width,
      resizeHeight: height,
      resizeQuality: 'high',
    });
  } catch (e) {
    throw new DatasetError(`Cannot decode the image: ${(e as Error).message ?? e}`);
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return rgbaToChw(rgba, width, height, channels, options, dst);
}

/** Options of {@linkcode readDataset}. */
export interface ReadOptions extends ImageOptions {
  /** The model's class names: folder names and label strings that match them use their index. */
  knownLabels?: readonly string[] | null;
  /** Reports progress while images are decoded. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between images. */
  signal?: AbortSignal;
}

const baseName = (path: string) => path.split('/').pop() ?? path;

async function readLabelsFile(
  f: DatasetFile,
  knownLabels: readonly string[] | null,
): Promise<ParsedLabels> {
  const name = baseName(f.path);
  if (/\.npy$/i.test(name)) {
    return {
      labels: labelsFromNpy(readNpy(new Uint8Array(await f.file.arrayBuffer())), name),
      classNames: null,
    };
  }
  return parseLabels(await f.file.text(), name, knownLabels);
}

/**
 * Reads a dropped or chosen dataset: either `.npy` inputs (the `.npy` whose examples fit the
 * model; a second `.npy`, `.txt`, `.csv` or `.json` file holds the labels), or image files
 * labeled by their subfolder (see {@linkcode groupByFolder}).
 *
 * @throws {DatasetError} with what does not fit: no files, no `.npy` that fits the input, a
 *   labels file with another count, an image that cannot be decoded.
 */
export async function readDataset(
  files: readonly DatasetFile[],
  spec: InputSpec,
  options: ReadOptions = {},
): Promise<Dataset> {
  const known = options.knownLabels ?? null;
  const visible = files.filter((f) => !baseName(f.path).startsWith('.'));
  if (visible.length === 0) throw new DatasetError('Cannot read the dataset: no files were given');
  const npys = visible.filter((f) => /\.npy$/i.test(f.path));
  const images = visible.filter((f) => IMAGE_EXT.test(f.path));
  let dataset: Dataset;
  if (npys.length > 0 && images.length === 0) {
    // The inputs are the .npy whose examples fit the model; try the largest first.
    const arrays = await Promise.all(npys.map(async (f) => {
      try {
        return { f, a: readNpy(new Uint8Array(await f.file.arrayBuffer())) as NpyArray | null };
      } catch (e) {
        throw new DatasetError(`Cannot read ${baseName(f.path)}: ${(e as Error).message}`);
      }
    }));
    arrays.sort((x, y) => (y.a?.data.length ?? 0) - (x.a?.data.length ?? 0));
    let inputs: (InputData & { shape: number[] }) | null = null;
    let inputFile: DatasetFile | null = null;
    let firstError: unknown = null;
    for (const { f, a } of arrays) {
      try {
        inputs = inputsFromNpy(a!, spec, baseName(f.path));
        inputFile = f;
        break;
      } catch (e) {
        firstError ??= e;
      }
    }
    if (!inputs || !inputFile) throw firstError;
    const rest = visible.filter((f) => f !== inputFile && LABEL_EXT.test(f.path));
    if (rest.length > 1) {
      throw new DatasetError(
        `Cannot tell which file holds the labels: ${rest.map((f) => baseName(f.path)).join(', ')}`,
      );
    }
    const parsed = rest.length ? await readLabelsFile(rest[0], known) : null;
    const count = inputs.shape[0];
    dataset = {
      inputs,
      labels: parsed?.labels ?? null,
      classNames: parsed?.classNames ?? null,
      count,
      summary: `${count} examples from ${baseName(inputFile.path)}` +
        (rest.length ? `, labels from ${baseName(rest[0].path)}` : ', no labels'),
    };
  } else if (images.length > 0) {
    const groups = groupByFolder(images.map((f) => f.path), known);
    const byPath = new Map(images.map((f) => [f.path, f.file]));
    const per = product(spec.shape);
    const n = groups.images.length;
    const data = new Float32Array(n * per);
    for (let i = 0; i < n; i++) {
      options.signal?.throwIfAborted();
      const { path } = groups.images[i];
      try {
        await imageToTensor(
          byPath.get(path)!,
          spec,
          options,
          data.subarray(i * per, i * per + per),
        );
      } catch (e) {
        throw new DatasetError(`Cannot read ${path}: ${(e as Error).message}`);
      }
      options.onProgress?.(i + 1, n);
    }
    const labels = groups.classNames ? Int32Array.from(groups.images, (g) => g.label) : null;
    dataset = {
      inputs: { data, shape: [n, ...spec.shape] },
      labels,
      classNames: groups.classNames,
      count: n,
      summary: `${n} images` +
        (groups.classNames
          ? ` in ${new Set(groups.images.map((g) => g.label)).size} labeled folders`
          : ', no labels (one folder)'),
    };
  } else {
    throw new DatasetError(
      `Cannot read the dataset: expected images or .npy files, got ` +
        visible.slice(0, 3).map((f) => baseName(f.path)).join(', ') +
        (visible.length > 3 ? ', …' : ''),
    );
  }
  checkDataset(dataset);
  return dataset;
}

/** The first `count` examples (and labels) of a dataset. */
export function takeFirst(dataset: Dataset, count: number): Dataset {
  if (count >= dataset.count) return dataset;
  const per = dataset.inputs.data.length / dataset.count;
  const data = dataset.inputs.data;
  return {
    ...dataset,
    inputs: {
      data: (data as Float32Array).slice(0, count * per) as InputData['data'],
      shape: [count, ...dataset.inputs.shape.slice(1)],
    },
    labels: dataset.labels?.slice(0, count) ?? null,
    count,
    summary: `first ${count} of ${dataset.summary}`,
  };
}

interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
}

/**
 * The files of a drop (browser only): folders are walked recursively through
 * `DataTransferItem.webkitGetAsEntry()`, keeping each file's path inside the dropped folder;
 * plain files (and items without entries, such as a `DataTransfer` made by a script) keep their
 * name.
 */
export async function filesFromDataTransfer(transfer: DataTransfer): Promise<DatasetFile[]> {
  const out: DatasetFile[] = [];
  const entries: EntryLike[] = [];
  const loose: File[] = [];
  // Entries must be taken synchronously, before the drop event handler returns.
  for (const item of Array.from(transfer.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.() as EntryLike | null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (!transfer.items?.length) loose.push(...Array.from(transfer.files ?? []));
  const walk = async (entry: EntryLike): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) =>
        (entry as unknown as FileSystemFileEntry).file(res, rej)
      );
      out.push({ path: entry.fullPath.replace(/^\//, ''), file });
    } else if (entry.isDirectory) {
      const reader = (entry as unknown as FileSystemDirectoryEntry).createReader();
      // readEntries returns at most 100 entries per call: read until it returns none.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) =>
          reader.readEntries(res, rej)
        );
        if (batch.length === 0) break;
        for (const e of batch) await walk(e as unknown as EntryLike);
      }
    }
  };
  for (const e of entries) await walk(e);
  for (const f of loose) out.push({ path: f.webkitRelativePath || f.name, file: f });
  return out;
}

/** The files of an `<input type=file>` (with `webkitdirectory`, their relative paths). */
export function filesFromInput(list: FileList | readonly File[]): DatasetFile[] {
  return Array.from(list, (f) => ({ path: f.webkitRelativePath || f.name, file: f }));
}
