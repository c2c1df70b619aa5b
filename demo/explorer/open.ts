/**
 * Opening a model: from a file (picker or drag-and-drop anywhere on the page), from a URL (typed,
 * or `?model=` in the page's address), or one of the bundled examples. The bytes are read with
 * a progress bar, parsed with `parseOnnx`, and planned when the page has an engine; a model with
 * unsupported operators, or that fails to plan, still opens (its graph and weights can be
 * explored) with its problems listed. Nothing leaves the page.
 *
 * @module
 */

import {
  type Engine,
  GlassboxError,
  Model,
  ModelFormatError,
  type ModelIR,
  modelStructure,
  type NodeStructure,
  ONNX_OPERATORS,
  parseOnnx,
  UnsupportedOperatorError,
} from '../../src/mod.ts';
import { checkSupport } from '../../src/graph/plan.ts';
import { elementCount, isFloat } from '../../src/graph/ir.ts';
import type { ExampleModel } from '../../models/index.d.ts';
// @ts-types="../../models/index.d.ts"
import { MODELS } from '../../models/index.js';
import type { OpenedModel, Session } from './session.ts';
import { make as el } from './dom.ts';

/** Where an opened model came from. */
export interface ModelSource {
  /** File name, or the last part of the URL. */
  name: string;
  /** The address it was read from (shareable), if any. */
  url?: string;
  /** The bundled example it is, if any. */
  example?: ExampleModel;
}

/** Ends `text` with a period unless it ends with one (or ? or !). */
function sentence(text: string): string {
  const t = text.trim();
  return /[.?!]$/.test(t) ? t : `${t}.`;
}

/** An error message without the engine's "Cannot load model: " prefix. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Cannot load model: /, '');
}

/**
 * Parses `bytes` as an ONNX model and, when there is an engine and every operator is supported,
 * makes it runnable and plans it at its declared input shapes (symbolic dimensions as 1).
 *
 * @throws {Error} with one plain sentence when the bytes are not an ONNX model.
 */
export async function openModel(
  engine: Engine | null,
  bytes: Uint8Array,
  source: ModelSource,
): Promise<OpenedModel> {
  const { name } = source;
  // Let the page paint its "Opening…" state before the (synchronous) parse.
  await Promise.resolve();
  let ir: ModelIR;
  try {
    ir = parseOnnx(bytes);
  } catch (error) {
    if (!(error instanceof ModelFormatError)) throw error;
    const why = reason(error);
    if (bytes.length === 0) throw new Error(`${name} is empty.`, { cause: error });
    if (/^not (a valid ONNX file|an ONNX model)/.test(why)) {
      throw new Error(`${name} is not an ONNX model (it does not parse as an ONNX protobuf).`, {
        cause: error,
      });
    }
    throw new Error(sentence(`${name} cannot be read as an ONNX model: ${why}`), { cause: error });
  }
  const problems: string[] = [];
  let supported = true;
  try {
    checkSupport(ir, ONNX_OPERATORS);
  } catch (error) {
    if (!(error instanceof UnsupportedOperatorError)) throw error;
    supported = false;
    const ops = Object.entries(error.operators);
    if (ops.length === 0) problems.push(sentence(reason(error)));
    for (const [op, nodes] of ops) {
      const shown = nodes.slice(0, 5).join(', ') +
        (nodes.length > 5 ? `, and ${nodes.length - 5} more` : '');
      problems.push(
        `The operator ${op} is not implemented here (used by ${nodes.length} ` +
          `node${nodes.length === 1 ? '' : 's'}: ${shown}).`,
      );
    }
  }
  let model: Model | null = null;
  let structure = null;
  if (!engine) {
    problems.push(
      'This page has no WebGPU device, so the model cannot run here; its graph and weights ' +
        'come from the file alone.',
    );
  } else if (supported) {
    model = new Model(engine, ir);
    try {
      structure = modelStructure(model);
    } catch (error) {
      if (!(error instanceof GlassboxError)) {
        model.destroy();
        throw error;
      }
      problems.push(
        sentence(`It does not plan at its declared input shapes: ${reason(error)}`),
      );
      // With every input dimension fixed the model can never run; with guessed (symbolic)
      // dimensions it may still run on real inputs.
      const fixed = ir.graph.inputs.every((v) =>
        v.shape?.every((d) => typeof d === 'number' && d > 0)
      );
      if (fixed) {
        model.destroy();
        model = null;
      }
    }
  }
  return { ...source, bytes, ir, model, structure, problems };
}

/**
 * The structure to draw for an opened model: its planned structure, or, when it has none
 * (unsupported operators, no engine, failed planning), one built from the parsed graph alone
 * (declared shapes and initializer shapes only; FLOPs 0). Cached per opened model.
 */
export function drawnStructure(
  opened: OpenedModel,
): Pick<OpenedModel['structure'] & object, 'nodes' | 'inputs' | 'outputs'> {
  if (opened.structure) return opened.structure;
  let s = fromIr.get(opened);
  if (!s) fromIr.set(opened, s = structureFromIr(opened.ir));
  return s;
}

const fromIr = new WeakMap<OpenedModel, ReturnType<typeof structureFromIr>>();

/**
 * A structure-like description of a parsed graph without planning it: nodes in file order with
 * their attributes, the shapes the file declares (inputs, outputs, initializers), and parameters
 * (float initializer elements, counted at their first reader).
 */
export function structureFromIr(ir: ModelIR): {
  nodes: NodeStructure[];
  inputs: { name: string; dtype?: string; shape: (number | string | null)[]; planned: number[] }[];
  outputs: { name: string; dtype?: string; shape: number[] | null }[];
} {
  const g = ir.graph;
  const declared = new Map<string, number[] | null>();
  const fixed = (shape?: (number | string | null)[]) =>
    shape && shape.every((d) => typeof d === 'number') ? shape as number[] : null;
  for (const v of [...g.inputs, ...g.outputs]) declared.set(v.name, fixed(v.shape));
  for (const [name, t] of g.initializers) declared.set(name, t.shape);
  const counted = new Set<string>();
  const nodes = g.nodes.map((n): NodeStructure => {
    let params = 0;
    for (const name of n.inputs) {
      const t = g.initializers.get(name);
      if (t && isFloat(t.dtype) && !counted.has(name)) {
        counted.add(name);
        params += elementCount(t.shape);
      }
    }
    const shapes: Record<string, number[] | null> = {};
    for (const t of [...n.inputs, ...n.outputs]) if (t) shapes[t] = declared.get(t) ?? null;
    const attributes: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n.attributes)) {
      if (typeof v === 'number' || typeof v === 'string') attributes[k] = v;
      else if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) attributes[k] = v;
      else if (!Array.isArray(v) && 'data' in v) {
        attributes[k] = { tensor: v.dtype, shape: v.shape };
      } else if (!Array.isArray(v) && 'nodes' in v) {
        attributes[k] = `graph(${v.nodes.length} nodes)`;
      } else attributes[k] = `${(v as unknown[]).length} values`;
    }
    return {
      name: n.name,
      op: n.op,
      attributes,
      inputs: n.inputs,
      outputs: n.outputs,
      shapes,
      params,
      flops: 0,
      folded: false,
    };
  });
  return {
    nodes,
    inputs: g.inputs.map((v) => ({
      name: v.name,
      dtype: v.dtype,
      shape: v.shape ?? [],
      planned: (v.shape ?? []).map((d) => typeof d === 'number' && d > 0 ? d : 1),
    })),
    outputs: g.outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: fixed(v.shape) })),
  };
}

/**
 * Reads a file or a URL to the end, reporting bytes read (and the total, when known) as it
 * goes.
 *
 * @throws {Error} with one sentence when the URL cannot be fetched; the signal's reason when
 *   aborted.
 */
export async function readWithProgress(
  source: File | string,
  onProgress: (loaded: number, total: number | null) => void,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  let total: number | null;
  if (typeof source === 'string') {
    let response: Response;
    try {
      response = await fetch(source, { signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new Error(
        sentence(`Cannot read ${source}: ${(error as Error).message || 'the network failed'}`),
        { cause: error },
      );
    }
    if (!response.ok) {
      throw new Error(
        `Cannot read ${source}: the server answered ${response.status}` +
          `${response.statusText ? ` ${response.statusText}` : ''}.`,
      );
    }
    const length = Number(response.headers.get('content-length'));
    // A compressed response's length is the compressed size: then the total is unknown.
    total = length > 0 && !response.headers.get('content-encoding') ? length : null;
    if (!response.body) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      onProgress(bytes.length, bytes.length);
      return bytes;
    }
    reader = response.body.getReader();
  } else {
    total = source.size;
    reader = source.stream().getReader() as ReadableStreamDefaultReader<Uint8Array>;
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress(0, total);
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      onProgress(loaded, total);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    if (signal?.aborted) throw signal.reason;
    const name = typeof source === 'string' ? source : source.name;
    throw new Error(sentence(`Reading ${name} failed: ${(error as Error).message}`), {
      cause: error,
    });
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/** The last part of a URL's path (its file name). */
export function nameOfUrl(url: string): string {
  const path = url.split(/[?#]/)[0].replace(/\/+$/, '');
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last) || url;
  } catch {
    return last || url;
  }
}

/** The bundled example whose file a URL names (by file name), if any. */
export function exampleOf(
  url: string,
  examples: readonly ExampleModel[] = MODELS,
): ExampleModel | undefined {
  const name = nameOfUrl(url);
  return examples.find((m) => m.file === name || m.id === name);
}

/** "1.2 MB", "340 kB", "12 bytes". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** The open function of the panel mounted for a session (see {@linkcode openUrl}). */
const openers = new WeakMap<
  Session,
  (source: File | string, example?: ExampleModel) => Promise<OpenedModel | null>
>();

/**
 * Opens the model at `address` for `session`: through its open panel when one is mounted
 * (progress bar, error shown there), else directly. An example's id (`mnist_cnn`) stands for its
 * file under `modelBase`. Resolves with the opened model, or null when it failed (the panel shows
 * why).
 *
 * @throws {Error} (one sentence) when it fails and no panel is mounted to show it.
 */
export async function openUrl(
  session: Session,
  address: string,
  options: Pick<OpenOptions, 'modelBase' | 'examples'> = {},
): Promise<OpenedModel | null> {
  const examples = options.examples ?? MODELS;
  const byId = examples.find((m) => m.id === address);
  const example = byId ?? exampleOf(address, examples);
  const href = byId
    ? new URL(byId.file, new URL(options.modelBase ?? '/models/', location.href)).href
    : new URL(address, location.href).href;
  const open = openers.get(session);
  if (open) return open(href, example);
  const bytes = await readWithProgress(href, () => {});
  const opened = await openModel(session.engine, bytes, {
    name: nameOfUrl(href),
    url: byId ? href : address,
    ...(example ? { example } : {}),
  });
  session.setModel(opened);
  return opened;
}

/** Options of {@linkcode mountOpen}. */
export interface OpenOptions {
  /** Folder the bundled models are served from (with its trailing slash). Default `/models/`. */
  modelBase?: string;
  /** The examples offered (default: `MODELS` of models/index.js). */
  examples?: readonly ExampleModel[];
  /** The query string `bindUrlState` (url_state.ts) reads; default the page's. */
  search?: string;
  /** Where document-level drag-and-drop listens (default `document`). */
  dropTarget?: Document | HTMLElement;
}

/** What {@linkcode mountOpen} returns. */
export interface OpenPanel {
  /** Opens a file or a URL (as the controls do); resolves with the model, or null on failure. */
  open(source: File | string, example?: ExampleModel): Promise<OpenedModel | null>;
  /** The latest open, however it was started (picker, drop, URL, example, `open`). */
  readonly latest: Promise<OpenedModel | null>;
  /** Removes the panel and its document listeners. */
  destroy(): void;
}

const CSS = `
.glass-open { display: grid; gap: 8px; }
.glass-open .row { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
.glass-open form { display: flex; gap: 6px; align-items: center; flex: 1 1 320px; }
.glass-open input[type=url] { flex: 1; min-width: 12em; }
.glass-open .examples { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.glass-open .error { color: #b00020; margin: 0; }
.glass-open .privacy { margin: 0; opacity: 0.8; }
.glass-open .status { margin: 0; }
.glass-open .status:empty { display: none; }
.glass-open .progress { display: flex; gap: 8px; align-items: center; }
.glass-open [hidden] { display: none !important; }
.glass-drop { position: fixed; inset: 0; z-index: 1000; display: grid; place-items: center;
  background: rgb(0 114 178 / 0.18); border: 4px dashed #0072b2; font: 600 1.4rem system-ui;
  color: #00466e; pointer-events: none; }
.glass-drop[hidden] { display: none; }
`;

/**
 * The "open a model" panel: file picker, drop anywhere on the page, URL field, example buttons,
 * a progress bar while reading and the error sentence. On success it calls
 * `session.setModel(opened)`. Others open through it with {@linkcode openUrl} (the `?model=`
 * of the page's URL does, see url_state.ts).
 */
export function mountOpen(
  host: HTMLElement,
  session: Session,
  options: OpenOptions = {},
): OpenPanel {
  const modelBase = options.modelBase ?? '/models/';
  const examples = options.examples ?? MODELS;
  const dropTarget = options.dropTarget ?? document;
  const style = el('style', { textContent: CSS });
  const file = el('input', { type: 'file', accept: '.onnx' });
  file.setAttribute('aria-label', 'Open an ONNX file');
  const url = el('input', { type: 'url', placeholder: 'https://example.org/model.onnx' });
  url.setAttribute('aria-label', 'Address of an ONNX model');
  // No browser validation: a relative address (`/models/x.onnx`) is valid here, not to type=url.
  const form = el('form', { noValidate: true }, url, el('button', { type: 'submit' }, 'Open URL'));
  const exampleButtons = examples.map((m) => {
    const b = el('button', { type: 'button', title: m.data }, m.title);
    b.dataset.example = m.id;
    b.addEventListener('click', () => void open(new URL(m.file, resolveBase()).href, m));
    return b;
  });
  const bar = el('progress', { max: 1 });
  bar.setAttribute('aria-label', 'Reading the model');
  const barText = el('span');
  const cancel = el('button', { type: 'button' }, 'Cancel');
  const progress = el('div', { className: 'progress', hidden: true }, bar, barText, cancel);
  const error = el('p', { className: 'error', hidden: true });
  error.setAttribute('role', 'alert');
  const status = el('p', { className: 'status' });
  status.setAttribute('aria-live', 'polite');
  const overlay = el(
    'div',
    { className: 'glass-drop', hidden: true },
    'Drop an ONNX file to open it',
  );
  const root = el(
    'section',
    { className: 'glass-open' },
    el(
      'div',
      { className: 'row' },
      el('label', {}, 'ONNX file ', file),
      form,
    ),
    el('div', { className: 'examples' }, 'Examples: ', ...exampleButtons),
    progress,
    error,
    status,
    el(
      'p',
      { className: 'privacy' },
      'Nothing leaves this machine: the model is read and run in this page, on your GPU.',
    ),
  );
  host.append(style, root, overlay);

  function resolveBase(): URL {
    return new URL(modelBase, location.href);
  }

  /** A same-origin address as its path (shorter to share), any other as it is. */
  function shareable(address: string): string {
    const u = new URL(address, location.href);
    return u.origin === location.origin ? `${u.pathname}${u.search}` : u.href;
  }

  let current: AbortController | null = null;
  let token = 0;
  let latest: Promise<OpenedModel | null> = Promise.resolve(null);

  function open(source: File | string, example?: ExampleModel): Promise<OpenedModel | null> {
    latest = openNow(source, example);
    return latest;
  }

  async function openNow(
    source: File | string,
    example?: ExampleModel,
  ): Promise<OpenedModel | null> {
    current?.abort(new DOMException('another model was opened', 'AbortError'));
    const controller = new AbortController();
    current = controller;
    const mine = ++token;
    const isUrl = typeof source === 'string';
    const name = isUrl ? nameOfUrl(source) : source.name;
    error.hidden = true;
    error.textContent = '';
    progress.hidden = false;
    bar.removeAttribute('value');
    barText.textContent = `Reading ${name}…`;
    status.textContent = '';
    cancel.onclick = () => controller.abort(new DOMException('cancelled', 'AbortError'));
    try {
      const bytes = await readWithProgress(source, (loaded, total) => {
        if (mine !== token) return;
        if (total) bar.value = loaded / total;
        barText.textContent = `Reading ${name}: ${formatBytes(loaded)}` +
          (total ? ` of ${formatBytes(total)}` : '');
      }, controller.signal);
      if (mine !== token) return null;
      barText.textContent = `Opening ${name}…`;
      const opened = await openModel(session.engine, bytes, {
        name,
        ...(isUrl ? { url: shareable(source) } : {}),
        ...(isUrl ? { example: example ?? exampleOf(source, examples) } : {}),
      });
      if (mine !== token) {
        opened.model?.destroy();
        return null;
      }
      session.setModel(opened);
      status.textContent = `Opened ${name} (${formatBytes(bytes.length)}, ` +
        `${opened.ir.graph.nodes.length} nodes)` +
        (opened.problems.length
          ? `; ${opened.problems.length} problem` +
            `${opened.problems.length === 1 ? '' : 's'} listed in the overview.`
          : '.');
      return opened;
    } catch (e) {
      if (mine !== token) return null;
      if (controller.signal.aborted) {
        status.textContent = `Stopped reading ${name}.`;
        return null;
      }
      error.textContent = e instanceof Error ? sentence(e.message) : sentence(String(e));
      error.hidden = false;
      return null;
    } finally {
      if (mine === token) {
        progress.hidden = true;
        current = null;
      }
    }
  }

  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) void open(f);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const address = url.value.trim();
    if (!address) {
      error.textContent = 'Type the address of an ONNX model first.';
      error.hidden = false;
      return;
    }
    void open(new URL(address, location.href).href);
  });

  // Drag-and-drop anywhere: the overlay shows while something droppable is over the page, except
  // over a drop zone of its own (the image and dataset areas prevent the default: theirs).
  let depth = 0;
  const droppable = (e: DragEvent) =>
    !!e.dataTransfer &&
    [...e.dataTransfer.types].some((t) => t === 'Files' || t === 'text/uri-list');
  const onEnter = (e: Event) => {
    if (!droppable(e as DragEvent)) return;
    e.preventDefault();
    depth++;
    overlay.hidden = false;
  };
  const onOver = (e: Event) => {
    if (!droppable(e as DragEvent)) return;
    // A drop zone inside the page (the image area, the dataset area) took it: not a model.
    if (e.defaultPrevented) {
      overlay.hidden = true;
      return;
    }
    e.preventDefault();
    (e as DragEvent).dataTransfer!.dropEffect = 'copy';
    overlay.hidden = false;
  };
  const onLeave = (e: Event) => {
    if (!droppable(e as DragEvent)) return;
    depth = Math.max(0, depth - 1);
    // Leaving the window has no related target.
    if (depth === 0 || !(e as DragEvent).relatedTarget) overlay.hidden = true;
  };
  const onDrop = (e: Event) => {
    const dt = (e as DragEvent).dataTransfer;
    if (!dt) return;
    depth = 0;
    overlay.hidden = true;
    if (e.defaultPrevented) return; // an inner drop zone took it (see onOver)
    e.preventDefault();
    const f = dt.files[0];
    if (f) {
      void open(f);
      return;
    }
    const link = dt.getData('text/uri-list').split('\n').find((l) => l && !l.startsWith('#'));
    if (link) void open(link.trim());
  };
  dropTarget.addEventListener('dragenter', onEnter);
  dropTarget.addEventListener('dragover', onOver);
  dropTarget.addEventListener('dragleave', onLeave);
  dropTarget.addEventListener('drop', onDrop);

  openers.set(session, open);

  return {
    open,
    get latest() {
      return latest;
    },
    destroy() {
      if (openers.get(session) === open) openers.delete(session);
      current?.abort(new DOMException('the panel was removed', 'AbortError'));
      dropTarget.removeEventListener('dragenter', onEnter);
      dropTarget.removeEventListener('dragover', onOver);
      dropTarget.removeEventListener('dragleave', onLeave);
      dropTarget.removeEventListener('drop', onDrop);
      style.remove();
      root.remove();
      overlay.remove();
    },
  };
}
