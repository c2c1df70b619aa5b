/**
 * Image inputs: the preprocessing of an RGBA image into the model's tensor (pure, tested in
 * `input_image_test.ts`) and the editor that gets the image — a file, the clipboard, a file
 * dropped on the image area, a drawing pad, or a webcam frame.
 *
 * Preprocessing, in order: alpha composited over black (over white when `invert` is on, so dark
 * ink on a transparent background reads as paper), inverted if asked (255 − v), reduced to gray
 * (ITU-R 601 luma 0.299 R + 0.587 G + 0.114 B) for 1-channel models, brought to H×W (`stretch`,
 * `center-crop`, or `digit`: MNIST's fit of the ink's bounding box into 20/28 of the side with its
 * center of mass at the center), resampled by area averaging when shrinking and bilinearly (pixel
 * centers, edges clamped) when growing; then scaled to [0, 1] or [0, 255], normalized per channel
 * by (v − mean) / std, put in RGB or BGR order and laid out NCHW or NHWC.
 *
 * @module
 */

import type { ImageSettings } from './input_settings.ts';
import { el } from './dom.ts';

/** An RGBA image (as `ImageData` is). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** The preprocessed image. */
export interface PreparedImage {
  /** The model's tensor, batch 1. */
  data: Float32Array;
  shape: number[];
  /** The image as the model sees it (after fit and invert, before normalization), for overlays. */
  view: { width: number; height: number; rgba: Uint8ClampedArray };
}

/** Per output index, the source pixels and their weights along one axis. */
export type AxisWeights = { index: number[]; weight: number[] }[];

/**
 * Resampling weights along one axis: `outSize` outputs from the source interval
 * [start, start + length) of an axis of `inSize` pixels. Shrinking averages the covered area
 * (partial pixels weighted by their overlap); otherwise bilinear at pixel centers, clamped to the
 * interval's pixels.
 */
export function axisWeights(
  inSize: number,
  start: number,
  length: number,
  outSize: number,
): AxisWeights {
  if (!(length > 0) || !(outSize > 0) || start < 0 || start + length > inSize + 1e-9) {
    throw new RangeError(
      `Cannot resample: interval [${start}, ${start + length}) of an axis of ${inSize} pixels ` +
        `to ${outSize}`,
    );
  }
  const r = length / outSize;
  const lo = Math.floor(start), hi = Math.min(inSize - 1, Math.ceil(start + length) - 1);
  const out: AxisWeights = [];
  for (let o = 0; o < outSize; o++) {
    const index: number[] = [], weight: number[] = [];
    if (r > 1) {
      const a = start + o * r, b = a + r;
      for (let i = Math.floor(a); i < Math.ceil(b - 1e-12); i++) {
        const w = Math.min(b, i + 1) - Math.max(a, i);
        if (w > 0) {
          index.push(i);
          weight.push(w / r);
        }
      }
    } else {
      const c = start + (o + 0.5) * r - 0.5;
      const i0 = Math.floor(c), t = c - i0;
      const clamp = (i: number) => Math.min(hi, Math.max(lo, i));
      index.push(clamp(i0), clamp(i0 + 1));
      weight.push(1 - t, t);
    }
    out.push({ index, weight });
  }
  return out;
}

/** Resamples one plane (row-major, `w`×`h`) with per-axis weights to rows.length × cols.length. */
function resample(plane: Float64Array, w: number, rows: AxisWeights, cols: AxisWeights) {
  const tmp = new Float64Array(rows.length * w);
  rows.forEach(({ index, weight }, y) => {
    for (let k = 0; k < index.length; k++) {
      const src = index[k] * w, wt = weight[k];
      for (let x = 0; x < w; x++) tmp[y * w + x] += wt * plane[src + x];
    }
  });
  const out = new Float64Array(rows.length * cols.length);
  for (let y = 0; y < rows.length; y++) {
    cols.forEach(({ index, weight }, x) => {
      let s = 0;
      for (let k = 0; k < index.length; k++) s += weight[k] * tmp[y * w + index[k]];
      out[y * cols.length + x] = s;
    });
  }
  return out;
}

/** The image's planes in [0, 255]: gray, or R, G, B; alpha composited, inverted if asked. */
export function imagePlanes(image: RgbaImage, channels: 1 | 3, invert: boolean): Float64Array[] {
  const { width, height, data } = image;
  if (width < 1 || height < 1 || data.length !== width * height * 4) {
    throw new RangeError(
      `Cannot read the image: ${data.length} bytes for ${width}×${height} RGBA pixels`,
    );
  }
  const n = width * height;
  const bg = invert ? 255 : 0;
  const rgb = [0, 1, 2].map(() => new Float64Array(n));
  for (let p = 0; p < n; p++) {
    const a = data[p * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) {
      const v = data[p * 4 + c] * a + bg * (1 - a);
      rgb[c][p] = invert ? 255 - v : v;
    }
  }
  if (channels === 3) return rgb;
  const gray = new Float64Array(n);
  for (let p = 0; p < n; p++) gray[p] = 0.299 * rgb[0][p] + 0.587 * rgb[1][p] + 0.114 * rgb[2][p];
  return [gray];
}

/** Ink threshold of the digit fit, as the gallery's drawing pad uses it. */
const INK = 12;

/**
 * MNIST's fit: the bounding box of the ink (gray > 12) scaled, aspect kept, to fit a box of
 * round(20/28 of the side), placed so that its center of mass lands on the image center. An
 * image without ink gives all zeros.
 */
function digitFit(planes: Float64Array[], w: number, h: number, H: number, W: number) {
  const gray = planes.length === 1
    ? planes[0]
    : planes[0].map((_, p) => 0.299 * planes[0][p] + 0.587 * planes[1][p] + 0.114 * planes[2][p]);
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (gray[y * w + x] > INK) {
        x0 = Math.min(x0, x), x1 = Math.max(x1, x), y0 = Math.min(y0, y), y1 = Math.max(y1, y);
      }
    }
  }
  const out = planes.map(() => new Float64Array(H * W));
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const box = Math.round(Math.min(H, W) * 20 / 28);
  const scale = box / Math.max(bw, bh);
  const ow = Math.max(1, Math.round(bw * scale)), oh = Math.max(1, Math.round(bh * scale));
  const rows = axisWeights(h, y0, bh, oh), cols = axisWeights(w, x0, bw, ow);
  const small = planes.map((p) => resample(p, w, rows, cols));
  const g = small.length === 1
    ? small[0]
    : small[0].map((_, p) => 0.299 * small[0][p] + 0.587 * small[1][p] + 0.114 * small[2][p]);
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const v = g[y * ow + x];
      mass += v, mx += v * x, my += v * y;
    }
  }
  // Pixel centers: the box's center of mass (+0.5) lands on the image's center.
  const ox = Math.round(W / 2 - (mx / mass + 0.5)), oy = Math.round(H / 2 - (my / mass + 0.5));
  small.forEach((s, c) => {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const tx = x + ox, ty = y + oy;
        if (tx >= 0 && tx < W && ty >= 0 && ty < H) out[c][ty * W + tx] = s[y * ow + x];
      }
    }
  });
  return out;
}

/** Preprocesses an RGBA image into the model's tensor with `settings` (see the module doc). */
export function preprocessImage(image: RgbaImage, settings: ImageSettings): PreparedImage {
  const { channels, height: H, width: W, fit } = settings;
  const planes = imagePlanes(image, channels, settings.invert);
  const { width: w, height: h } = image;
  let fitted: Float64Array[];
  if (fit === 'digit') fitted = digitFit(planes, w, h, H, W);
  else {
    let cx = 0, cy = 0, cw = w, ch = h;
    if (fit === 'center-crop') {
      if (w * H > h * W) cw = h * W / H, cx = (w - cw) / 2;
      else ch = w * H / W, cy = (h - ch) / 2;
    } else if (fit !== 'stretch') {
      throw new RangeError(`Unknown fit '${fit}' (stretch, center-crop, digit)`);
    }
    const rows = axisWeights(h, cy, ch, H), cols = axisWeights(w, cx, cw, W);
    fitted = planes.map((p) => resample(p, w, rows, cols));
  }
  const n = H * W;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = Math.round(fitted[Math.min(c, channels - 1)][p]);
    rgba[p * 4 + 3] = 255;
  }
  if (settings.mean.length !== channels || settings.std.length !== channels) {
    throw new RangeError(
      `Cannot normalize: mean and std need ${channels} values each, got ${settings.mean.length} ` +
        `and ${settings.std.length}`,
    );
  }
  const k = settings.scale === '0-1' ? 1 / 255 : 1;
  const data = new Float32Array(n * channels);
  for (let c = 0; c < channels; c++) {
    // BGR: tensor channel c holds image channel 2 − c (and its mean and std are the tensor's).
    const src = fitted[channels === 3 && settings.order === 'bgr' ? 2 - c : c];
    const mean = settings.mean[c], std = settings.std[c];
    for (let p = 0; p < n; p++) {
      const v = (src[p] * k - mean) / std;
      data[settings.layout === 'nchw' ? c * n + p : p * channels + c] = v;
    }
  }
  const shape = settings.layout === 'nchw' ? [1, channels, H, W] : [1, H, W, channels];
  return { data, shape, view: { width: W, height: H, rgba } };
}

// ---------------------------------------------------------------------------------------------
// The editor.

/** What the image editor reports: a new source image and a phrase for the summary. */
export type ImageSourceHandler = (image: RgbaImage, what: string) => void;

/** The mounted image editor. */
export interface ImageEditor {
  /** The file `<input>`. */
  readonly fileInput: HTMLInputElement;
  /** The drawing pad. */
  readonly pad: HTMLCanvasElement;
  /** Shows an error sentence (empty clears it). */
  showError(message: string): void;
  /** Loads an image file (as the file input, paste and drop do). */
  loadFile(file: Blob, name: string): Promise<void>;
  /** Removes listeners (paste) and stops the webcam. */
  destroy(): void;
}

/** Decodes an image file into RGBA pixels. */
export async function decodeImage(file: Blob, name: string): Promise<RgbaImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (error) {
    throw new Error(
      `Cannot read '${name}' as an image (${(error as Error).message || 'unknown format'}).`,
    );
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/**
 * Mounts the image editor: a drop area with a file input (and paste), a drawing pad (white ink
 * on black by default, as MNIST-style models want; while a stroke is drawn it reports at most once
 * per `intervalMs`, the last report after the last change, so a model can follow the pen)
 * and, where `navigator.mediaDevices` exists, a webcam with a capture button.
 */
export function mountImageInput(
  host: HTMLElement,
  onSource: ImageSourceHandler,
  options: { intervalMs?: number; padSize?: number } = {},
): ImageEditor {
  const interval = options.intervalMs ?? 40;
  const size = options.padSize ?? 224;
  const error = el('p', { class: 'error', role: 'alert' });
  const showError = (m: string) => {
    error.textContent = m;
    error.hidden = !m;
  };
  showError('');
  const fileInput = el('input', { type: 'file', accept: 'image/*', 'aria-label': 'Image file' });
  const loadFile = async (file: Blob, name: string) => {
    try {
      const image = await decodeImage(file, name);
      showError('');
      onSource(image, `image ${name} (${image.width}×${image.height})`);
    } catch (e) {
      showError((e as Error).message);
    }
  };
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) loadFile(f, f.name);
  });
  const drop = el(
    'div',
    { class: 'drop', tabindex: '0', 'aria-label': 'Image: drop or paste an image here' },
    el('span', {}, 'Drop or paste an image, or '),
    fileInput,
  );
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = [...(e.dataTransfer?.files ?? [])].find((x) => x.type.startsWith('image/'));
    if (f) loadFile(f, f.name);
    else showError('The dropped item is not an image file.');
  });
  const onPaste = (e: ClipboardEvent) => {
    const target = e.target as HTMLElement | null;
    if (!host.isConnected || target?.closest?.('textarea, input[type=text]')) return;
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
    const f = item?.getAsFile();
    if (!f) return;
    e.preventDefault();
    loadFile(f, 'from the clipboard');
  };
  document.addEventListener('paste', onPaste);

  // The drawing pad.
  const pad = el('canvas', {
    width: String(size),
    height: String(size),
    class: 'pad',
    'aria-label': 'Drawing pad',
  });
  const ctx = pad.getContext('2d', { willReadFrequently: true })!;
  let ink = '#fff', paper = '#000';
  const clear = () => {
    ctx.fillStyle = paper;
    ctx.fillRect(0, 0, size, size);
  };
  clear();
  // Throttled, not debounced: a continuous stroke reports as it goes (the pixels are read when
  // the report fires, so the last report always has the last change).
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sent = -Infinity;
  const report = () => {
    if (timer !== undefined) return;
    const wait = Math.max(0, sent + interval - performance.now());
    timer = setTimeout(() => {
      timer = undefined;
      sent = performance.now();
      onSource(ctx.getImageData(0, 0, size, size), 'drawing');
    }, wait);
  };
  let last: [number, number] | null = null;
  const at = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * size / r.width, (e.clientY - r.top) * size / r.height];
  };
  const line = size / 14;
  pad.addEventListener('pointerdown', (e) => {
    pad.setPointerCapture?.(e.pointerId);
    last = at(e);
    ctx.fillStyle = ink;
    ctx.beginPath();
    ctx.arc(last[0], last[1], line / 2, 0, 2 * Math.PI);
    ctx.fill();
    report();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    Object.assign(ctx, { strokeStyle: ink, lineWidth: line, lineCap: 'round', lineJoin: 'round' });
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
    report();
  });
  const end = () => void (last = null);
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  const clearButton = el('button', { type: 'button' }, 'Clear pad');
  clearButton.addEventListener('click', () => {
    clear();
    report();
  });
  const inkSelect = el(
    'select',
    { 'aria-label': 'Ink' },
    el('option', { value: 'white' }, 'white ink on black'),
    el('option', { value: 'black' }, 'black ink on white'),
  );
  inkSelect.addEventListener('change', () => {
    [ink, paper] = inkSelect.value === 'white' ? ['#fff', '#000'] : ['#000', '#fff'];
    clear();
    report();
  });

  // The webcam, where the page may ask for one.
  let stream: MediaStream | null = null;
  const camera = el('div', { class: 'camera' });
  const stopCamera = () => {
    if (!stream) return;
    stream.getTracks().forEach((t) => t.stop());
    stream = null;
    camera.replaceChildren(camButton);
  };
  const camButton = el('button', { type: 'button' }, 'Webcam');
  camButton.addEventListener('click', async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: true });
    } catch (e) {
      showError(`Cannot open the webcam: ${(e as Error).message}`);
      return;
    }
    const video = el('video', { autoplay: '', playsinline: '', muted: '', class: 'video' });
    video.srcObject = stream;
    // Until the first frame arrives a capture would be an empty 1×1 image.
    const capture = el('button', { type: 'button', disabled: '' }, 'Capture frame');
    video.addEventListener('loadeddata', () => (capture.disabled = false), { once: true });
    capture.addEventListener('click', () => {
      const c = new OffscreenCanvas(video.videoWidth, video.videoHeight);
      const g = c.getContext('2d', { willReadFrequently: true })!;
      g.drawImage(video, 0, 0);
      onSource(g.getImageData(0, 0, c.width, c.height), 'webcam frame');
    });
    const stop = el('button', { type: 'button' }, 'Stop webcam');
    stop.addEventListener('click', stopCamera);
    camera.replaceChildren(video, capture, stop);
  });
  if (typeof navigator !== 'undefined' && 'mediaDevices' in navigator) {
    camera.append(camButton);
  }

  host.append(
    drop,
    el('div', { class: 'pad-box' }, pad, el('div', {}, clearButton, inkSelect)),
    camera,
    error,
  );
  return {
    fileInput,
    pad,
    showError,
    loadFile,
    destroy() {
      clearTimeout(timer);
      document.removeEventListener('paste', onPaste);
      stopCamera();
    },
  };
}
