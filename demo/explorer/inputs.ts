/**
 * The input panel: for the opened model's explained input, the editor its shape and type call
 * for (an image, token ids, or a `.npy` file — always offered too), its settings (remembered per
 * model in localStorage), a labels file, and for a bundled example its first test sample. Every
 * edit calls `session.setInput`.
 *
 * @module
 */

import { type InputData, readNpy } from '../../src/mod.ts';
import type { ExplorerInput, Session } from './session.ts';
import {
  chooseExplainedInput,
  imageLayoutOf,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type ImageSettings,
  inferSettings,
  type InputDecl,
  type InputSettings,
  loadSettings,
  parseLabels,
  parseNumberList,
  saveSettings,
  settingsKey,
} from './input_settings.ts';
import {
  type ImageEditor,
  mountImageInput,
  preprocessImage,
  type RgbaImage,
} from './input_image.ts';
import {
  embeddingRows,
  idsOutOfRange,
  mountTokenInput,
  parseVocabulary,
  shownTokenCount,
  type TokenEditor,
  type Vocabulary,
} from './input_tokens.ts';
import { mountNpyInput, type NpyEditor, tensorImage } from './input_npy.ts';
import { el } from './dom.ts';

/** Options of {@linkcode mountInputs}. */
export interface InputsOptions {
  /** Folder of the bundled examples' files (default `/models/`). */
  modelsBase?: string;
  /** Where settings are remembered (default `localStorage`; null: nowhere). */
  storage?: Storage | null;
  /** Debounce of keystrokes in ms (default 150). */
  debounceMs?: number;
  /**
   * While a stroke is drawn, the pad reports at most once per this many ms, and once when the
   * stroke ends (default 40: 25 updates a second, above the 20 a drawing needs to feel live).
   */
  strokeIntervalMs?: number;
}

/** The mounted input panel (its parts, for tests and the shell). */
export interface InputsPanel {
  /** The explained input's name, once a model is open. */
  readonly explained: string | null;
  /** The explained input's settings. */
  readonly settings: InputSettings | null;
  readonly image: ImageEditor | null;
  readonly tokens: TokenEditor | null;
  readonly npy: NpyEditor | null;
  /** The labels file `<input>`. */
  readonly labelsInput: HTMLInputElement;
  /** Settles when the current model's example sample (if any) has been loaded. */
  readonly ready: Promise<void>;
  /** Replaces the settings (as the form does: saved, and the input recomputed). */
  setSettings(settings: InputSettings): void;
  destroy(): void;
}

function select(label: string, options: [string, string][], value: string): HTMLSelectElement {
  const s = el('select', { 'aria-label': label });
  for (const [v, text] of options) s.append(el('option', { value: v }, text));
  s.value = value;
  return s;
}

/** A feed for an input nobody edits: ones for masks, zeros otherwise, at its default shape. */
function defaultFeed(decl: InputDecl): InputData {
  const shape = (decl.shape ?? [1]).map((d) => typeof d === 'number' && d > 0 ? d : 1);
  const n = shape.reduce((a, b) => a * b, 1);
  const fill = /mask/i.test(decl.name) ? 1 : 0;
  const dtype = decl.dtype ?? 'float32';
  if (dtype === 'int64') return { data: new BigInt64Array(n).fill(BigInt(fill)), shape };
  if (/^(int|uint|bool)/.test(dtype)) return { data: new Int32Array(n).fill(fill), shape };
  return { data: new Float32Array(n).fill(fill), shape };
}

function storageOf(options: InputsOptions): Storage | null {
  if (options.storage !== undefined) return options.storage;
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage denied (file://, privacy settings)
  }
}

/** Mounts the input panel in `host`; it follows the session's `model` events. */
export function mountInputs(
  host: HTMLElement,
  session: Session,
  options: InputsOptions = {},
): InputsPanel {
  const base = options.modelsBase ?? '/models/';
  const storage = storageOf(options);
  host.classList.add('explorer-inputs');
  const labelsInput = el('input', {
    type: 'file',
    accept: '.txt,.json,text/plain,application/json',
    'aria-label': 'Labels file',
  });
  const labelsStatus = el('span', { class: 'muted' });
  const labelsError = el('p', { class: 'error', role: 'alert' });
  labelsError.hidden = true;
  labelsInput.addEventListener('change', async () => {
    const f = labelsInput.files?.[0];
    if (!f) return;
    try {
      const labels = parseLabels(await f.text(), f.name);
      labelsError.hidden = true;
      session.setLabels(labels);
    } catch (e) {
      labelsError.textContent = (e as Error).message;
      labelsError.hidden = false;
    }
  });
  const describeLabels = () => {
    const l = session.labels;
    labelsStatus.textContent = l ? `${l.length} classes (${l.slice(0, 3).join(', ')}…)` : 'none';
  };

  let explained: string | null = null;
  let settings: InputSettings | null = null;
  let image: ImageEditor | null = null;
  let tokens: TokenEditor | null = null;
  let npy: NpyEditor | null = null;
  let ready: Promise<void> = Promise.resolve();
  let applySettings: (() => void) | null = null;
  let key = '';

  const body = el('div', { class: 'body' });
  const summary = el('p', { class: 'summary', role: 'status' });
  // Appended: the host keeps what it holds (the page's heading).
  const parts = [
    body,
    el('div', { class: 'row' }, el('label', {}, 'Labels ', labelsInput), labelsStatus),
    labelsError,
    summary,
  ];
  host.append(...parts);

  const onInput = () => {
    summary.textContent = session.input ? `Input: ${session.input.summary}` : '';
  };

  const build = () => {
    image?.destroy();
    tokens?.destroy();
    image = tokens = npy = null;
    settings = null;
    explained = null;
    applySettings = null;
    body.replaceChildren();
    const opened = session.opened;
    if (!opened) {
      body.append(el('p', { class: 'muted' }, 'Open a model to give it an input.'));
      ready = Promise.resolve();
      return;
    }
    const decls: InputDecl[] = opened.ir.graph.inputs;
    if (decls.length === 0) {
      body.append(el('p', { class: 'muted' }, 'The model has no inputs to give.'));
      return;
    }
    const name = chooseExplainedInput(decls);
    explained = name;
    const decl = decls.find((d) => d.name === name)!;
    const others = Object.fromEntries(
      decls.filter((d) => d !== decl).map((d) => [d.name, defaultFeed(d)]),
    );
    key = settingsKey(opened.name, decls);
    const s = loadSettings(storage, key, inferSettings(decl, opened.example));
    settings = s;
    const shapeText = `[${(decl.shape ?? []).map((d) => d ?? '?').join(', ')}]`;
    body.append(el(
      'p',
      {},
      `Input '${name}' (${decl.dtype ?? 'float32'} ${shapeText}): `,
      s.kind === 'image'
        ? `an image, ${s.channels === 1 ? 'gray' : 'color'}`
        : s.kind === 'tokens'
        ? 'token ids'
        : 'give a .npy array',
      Object.keys(others).length
        ? `. Other inputs (${Object.keys(others).join(', ')}) get ${'zeros (masks: ones)'}.`
        : '.',
    ));
    const set = (
      feed: InputData,
      what: string,
      extra: Pick<ExplorerInput, 'image' | 'tokens'> = {},
    ) => {
      session.setInput({
        feeds: { ...others, [name]: feed },
        explained: name,
        summary: what,
        ...extra,
      });
    };
    const save = () => saveSettings(storage, key, settings!);

    if (s.kind === 'image') {
      const form = el('fieldset', { class: 'settings' }, el('legend', {}, 'Preprocessing'));
      const formError = el('p', { class: 'error', role: 'alert' });
      formError.hidden = true;
      let source: { image: RgbaImage; what: string } | null = null;
      const apply = () => {
        if (!source) return;
        try {
          const p = preprocessImage(source.image, settings as ImageSettings);
          formError.hidden = true;
          set({ data: p.data, shape: p.shape }, `${source.what} → ${p.shape.join('×')}`, {
            image: p.view,
          });
        } catch (e) {
          formError.textContent = (e as Error).message;
          formError.hidden = false;
        }
      };
      applySettings = apply;
      const editorHost = el('div', { class: 'image-editor' });
      image = mountImageInput(editorHost, (img, what) => {
        source = { image: img, what };
        apply();
      }, { intervalMs: options.strokeIntervalMs ?? 40 });
      const cur = () => settings as ImageSettings;
      const update = (patch: Partial<ImageSettings>) => {
        settings = { ...cur(), ...patch };
        save();
        apply();
      };
      const fit = select('Fit', [
        ['center-crop', 'center crop'],
        ['stretch', 'stretch'],
        ['digit', 'center the digit (MNIST)'],
      ], s.fit);
      fit.addEventListener('change', () => update({ fit: fit.value as ImageSettings['fit'] }));
      const scale = select('Scale', [['0-1', '[0, 1]'], ['0-255', '[0, 255]']], s.scale);
      scale.addEventListener(
        'change',
        () => update({ scale: scale.value as ImageSettings['scale'] }),
      );
      const mean = el('input', { type: 'text', 'aria-label': 'Mean', size: '18' });
      const std = el('input', { type: 'text', 'aria-label': 'Std', size: '18' });
      const showNorm = () => {
        mean.value = cur().mean.join(', ');
        std.value = cur().std.join(', ');
      };
      showNorm();
      const onNorm = () => {
        try {
          const m = parseNumberList(mean.value, cur().channels, 'mean');
          const d = parseNumberList(std.value, cur().channels, 'std');
          if (d.some((v) => v === 0)) throw new Error('The std must not be 0.');
          formError.hidden = true;
          update({ mean: m, std: d });
        } catch (e) {
          formError.textContent = (e as Error).message;
          formError.hidden = false;
        }
      };
      mean.addEventListener('change', onNorm);
      std.addEventListener('change', onNorm);
      const preset = select('Normalization preset', [
        ['', 'preset…'],
        ['none', 'none (mean 0, std 1)'],
        ['imagenet', 'ImageNet'],
      ], '');
      preset.addEventListener('change', () => {
        const c = cur().channels;
        const k = cur().scale === '0-255' ? 255 : 1;
        const pick = (v: readonly number[]) =>
          c === 3
            ? v.map((x) => +(x * k).toFixed(6))
            : [+(v.reduce((a, b) => a + b) / 3 * k).toFixed(6)];
        if (preset.value === 'imagenet') {
          update({ mean: pick(IMAGENET_MEAN), std: pick(IMAGENET_STD) });
        } else if (preset.value === 'none') {
          update({ mean: new Array(c).fill(0), std: new Array(c).fill(1) });
        }
        preset.value = '';
        showNorm();
      });
      const order = select('Channel order', [['rgb', 'RGB'], ['bgr', 'BGR']], s.order);
      order.addEventListener('change', () => update({ order: order.value as 'rgb' | 'bgr' }));
      order.disabled = s.channels !== 3;
      const layout = select('Layout', [['nchw', 'NCHW'], ['nhwc', 'NHWC']], s.layout);
      layout.addEventListener('change', () => {
        const l = layout.value as ImageSettings['layout'];
        const probe = { ...decl, shape: decl.shape } as InputDecl;
        const ds = probe.shape!;
        const c = l === 'nchw' ? ds[1] : ds[3];
        if (c !== 1 && c !== 3) {
          formError.textContent = `As ${l.toUpperCase()} the shape [${ds.join(', ')}] has ${c} ` +
            'channels; images need 1 or 3.';
          formError.hidden = false;
          layout.value = cur().layout;
          return;
        }
        const hw = l === 'nchw' ? [ds[2], ds[3]] : [ds[1], ds[2]];
        const dim = (d: unknown, old: number) => typeof d === 'number' && d > 0 ? d : old;
        update({
          layout: l,
          channels: c,
          height: dim(hw[0], cur().height),
          width: dim(hw[1], cur().width),
          mean: new Array(c).fill(0),
          std: new Array(c).fill(1),
        });
        showNorm();
      });
      layout.disabled = imageLayoutOf(decl) === null;
      const invert = el('input', { type: 'checkbox', 'aria-label': 'Invert' });
      invert.checked = s.invert;
      invert.addEventListener('change', () => update({ invert: invert.checked }));
      const symbolic = (decl.shape ?? []).some((d) => !(typeof d === 'number' && d > 0)) &&
        !(decl.shape ?? []).slice(1).every((d) => typeof d === 'number' && d > 0);
      const height = el('input', { type: 'number', min: '1', 'aria-label': 'Height' });
      const width = el('input', { type: 'number', min: '1', 'aria-label': 'Width' });
      height.value = String(s.height);
      width.value = String(s.width);
      height.disabled = width.disabled = !symbolic;
      const onSize = () => {
        const h = Number(height.value), w = Number(width.value);
        if (!(Number.isInteger(h) && h > 0 && Number.isInteger(w) && w > 0)) {
          formError.textContent = 'The image size must be positive whole numbers.';
          formError.hidden = false;
          return;
        }
        update({ height: h, width: w });
      };
      height.addEventListener('change', onSize);
      width.addEventListener('change', onSize);
      form.append(
        el('label', {}, 'Fit ', fit),
        el('label', {}, 'Size ', height, '×', width),
        el('label', {}, 'Scale ', scale),
        el('label', {}, 'Mean ', mean),
        el('label', {}, 'Std ', std),
        preset,
        el('label', {}, 'Order ', order),
        el('label', {}, 'Layout ', layout),
        el('label', {}, invert, ' invert (dark ink on light paper)'),
        formError,
      );
      body.append(editorHost, form);
    } else if (s.kind === 'tokens') {
      const rows = embeddingRows(opened.ir, name);
      const int64 = decl.dtype === 'int64';
      let vocab: Vocabulary | null = null;
      const vocabKey = `${key}.vocabulary`;
      const editorHost = el('div', { class: 'token-editor' });
      tokens = mountTokenInput(editorHost, {
        length: s.length,
        rows,
        mode: s.mode,
        debounceMs: options.debounceMs ?? 150,
        onEdit: (edit) => {
          const data = int64
            ? BigInt64Array.from(edit.ids, (v) => BigInt(v))
            : Int32Array.from(edit.ids);
          set({ data, shape: [1, s.length] }, edit.summary, { tokens: edit.tokens });
        },
        onMode: (mode) => {
          settings = { ...(settings as InputSettings & { kind: 'tokens' }), mode };
          save();
        },
        onVocabularyText: (text, file) => {
          vocab = parseVocabulary(text);
          try {
            if (text.length < 2 ** 20) storage?.setItem(vocabKey, JSON.stringify({ file, text }));
          } catch {
            // Storage full: the vocabulary stays for this page only.
          }
        },
      });
      try {
        const stored = storage?.getItem(vocabKey);
        if (stored) {
          const { file, text } = JSON.parse(stored);
          vocab = parseVocabulary(text);
          tokens.setVocabulary(vocab, file);
        }
      } catch {
        // A stored vocabulary that no longer parses is ignored.
      }
      body.append(editorHost);
      const example = opened.example;
      if (example?.input.kind === 'tokens' && !vocab) {
        const file = example.input.vocabulary;
        ready = fetch(base + file).then((r) => {
          if (!r.ok) throw new Error(`Cannot load the vocabulary ${file}: HTTP ${r.status}`);
          return r.text();
        }).then((text) => {
          vocab = parseVocabulary(text);
          tokens?.setVocabulary(vocab, file);
        }).catch((e) => tokens?.showError((e as Error).message));
      }
      applySettings = null;
      // .npy for tokens: the ids shown through the vocabulary.
      const npyHost = el('div', { class: 'npy' });
      npy = mountNpyInput(npyHost, decl, (feed, what) => {
        const ids = Array.from(feed.data as ArrayLike<number | bigint>, Number);
        const bad = rows === null ? null : idsOutOfRange(ids, rows);
        if (bad) return npy!.showError(bad);
        const strings = ids.map((id) => vocab?.tokens[id] ?? String(id));
        if (tokens && vocab) {
          tokens.textarea.value = strings.slice(0, shownTokenCount(strings)).join(' ');
        }
        set(feed, what, { tokens: strings });
      });
      body.append(npyHost);
    }
    if (s.kind !== 'tokens') {
      const layout = imageLayoutOf(decl);
      const npyHost = el('div', { class: 'npy' });
      npy = mountNpyInput(npyHost, decl, (feed, what) => {
        const extra = layout && s.kind === 'image'
          ? { image: tensorImage(feed.data as ArrayLike<number>, feed.shape, layout) }
          : {};
        set(feed, what, extra);
      });
      body.append(npyHost);
    }
    const example = opened.example;
    if (example) {
      const previous = ready;
      ready = previous.then(async () => {
        const r = await fetch(base + example.samples.inputs);
        if (!r.ok) {
          throw new Error(
            `Cannot load the example samples ${example.samples.inputs}: HTTP ${r.status}`,
          );
        }
        const array = readNpy(new Uint8Array(await r.arrayBuffer()));
        if (session.opened === opened) npy?.setArray(array, `test sample`, 0);
      }).catch((e) => npy?.showError((e as Error).message));
    }
  };

  const onModel = () => build();
  session.addEventListener('model', onModel);
  session.addEventListener('input', onInput);
  session.addEventListener('labels', describeLabels);
  build();
  describeLabels();
  onInput();
  return {
    get explained() {
      return explained;
    },
    get settings() {
      return settings;
    },
    get image() {
      return image;
    },
    get tokens() {
      return tokens;
    },
    get npy() {
      return npy;
    },
    labelsInput,
    get ready() {
      return ready;
    },
    setSettings(next: InputSettings) {
      settings = next;
      saveSettings(storage, key, next);
      applySettings?.();
    },
    destroy() {
      image?.destroy();
      tokens?.destroy();
      session.removeEventListener('model', onModel);
      session.removeEventListener('input', onInput);
      session.removeEventListener('labels', describeLabels);
      for (const p of parts) p.remove();
    },
  };
}
