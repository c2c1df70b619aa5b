/**
 * The explain panel: attribution maps of the current input by any of the engine's methods, each
 * method a card with its options as form fields, several cards side by side ("Add method"). A
 * map is a `<glass-saliency>` over the image, or a `<glass-tokens>` for token inputs; beside it:
 * the explained class, integrated gradients' completeness check, deletion/insertion curves, and
 * on demand the model-randomization sanity check.
 *
 * All work goes through `session.queue` with a key per card and kind, so a newer request cancels
 * the stale one; every job shows its progress, ETA and a Cancel button. Results are cached per
 * (input version, method, options), so switching back to a method is instant. A map is drawn only
 * while its input version is current (`session.isCurrent`); on a new input the old maps are
 * hidden until the new ones arrive. Counters for a bench are in {@linkcode liveStats}.
 *
 * The panel's shareable state (methods and options) is {@linkcode ExplainPanel.state}; it calls
 * `session.stateChanged()` when it changes.
 *
 * @module
 */

import '../../components/saliency.ts';
import '../../components/tokens.ts';
import type { GlassSaliency } from '../../components/saliency.ts';
import type { GlassTokens } from '../../components/tokens.ts';
import {
  type Completeness,
  deletionInsertion,
  type DeletionResult,
  explain,
  type ExplainOptions,
  type InputData,
  INTEGRATION_RULES,
  type Method,
  METHODS,
  type Model,
  parameterLayers,
  sanityCheck,
  type SanityResult,
} from '../../src/mod.ts';
import { formatEta, type Job } from './scheduler.ts';
import { getViewState, setViewState } from './url_state.ts';
import type { ExplorerInput, Session } from './session.ts';
import { shownTokenCount } from './input_tokens.ts';
import { mountExportButtons } from './export.ts';
import { el } from './dom.ts';

// ---------------------------------------------------------------------------------------------
// Live counters.

/** Counters of the real-time path, for a bench (updates per second, cancellations). */
export interface LiveStats {
  /** Requests submitted (predictions and maps). */
  submitted: number;
  /** Results drawn (predictions and maps). */
  drawn: number;
  /** Requests cancelled (replaced by a newer one, or by the user). */
  cancelled: number;
  /** Results that finished for an input that was no longer current (dropped, not drawn). */
  stale: number;
  /** Requests that failed. */
  failed: number;
  /** Maps drawn from the cache without work. */
  cacheHits: number;
}

const stats: LiveStats = {
  submitted: 0,
  drawn: 0,
  cancelled: 0,
  stale: 0,
  failed: 0,
  cacheHits: 0,
};

/** A copy of the live counters since the page loaded (or the last reset). */
export function liveStats(): LiveStats {
  return { ...stats };
}

/** Sets the live counters to zero. */
export function resetLiveStats(): void {
  for (const k of Object.keys(stats) as (keyof LiveStats)[]) stats[k] = 0;
}

/** Counts one event of the real-time path (used by the predictions panel too). */
export function recordLive(kind: keyof LiveStats): void {
  stats[kind]++;
}

// ---------------------------------------------------------------------------------------------
// Methods and their options.

/** A card's options: the form's values (undefined: the engine's default). */
export interface CardOptions {
  target?: number;
  steps?: number;
  rule?: string;
  baseline?: 'zeros' | 'blur' | 'uniform';
  samples?: number;
  noise?: number;
  seed?: number;
  layer?: string;
  upsample?: 'none' | 'bilinear' | 'nearest';
  relu?: boolean;
  window?: string;
  stride?: string;
  fill?: number;
  border?: 'clip' | 'skip';
  lrpRule?: 'epsilon' | 'zplus' | 'epsilon-plus';
  epsilon?: number;
  batchSize?: number;
}

/** The shareable state of the panel. */
export interface ExplainState {
  cards: { method: Method; options: CardOptions }[];
  /** Whether deletion/insertion curves are computed after each map. */
  curves: boolean;
}

type Field = {
  label: string;
  kind: 'int' | 'float' | 'select' | 'bool' | 'text';
  choices?: readonly string[];
  methods: readonly Method[];
  /** The form's default (the engine's is used when absent). */
  value?: string | number | boolean;
  hint?: string;
};

const IG: Method[] = ['integrated-gradients'];
const NOISE: Method[] = ['smoothgrad', 'smoothgrad-sq', 'vargrad'];
const CAM: Method[] = ['grad-cam', 'hires-cam'];

/** The option fields, in form order. */
export const FIELDS: Readonly<Record<Exclude<keyof CardOptions, 'target' | 'layer'>, Field>> = {
  steps: { label: 'Steps', kind: 'int', methods: IG, value: 16 },
  rule: { label: 'Rule', kind: 'select', choices: INTEGRATION_RULES, methods: IG },
  baseline: {
    label: 'Baseline',
    kind: 'select',
    choices: ['zeros', 'blur', 'uniform'],
    methods: IG,
  },
  samples: { label: 'Samples', kind: 'int', methods: NOISE, value: 16 },
  noise: { label: 'Noise σ', kind: 'float', methods: NOISE, value: 0.15 },
  seed: { label: 'Seed', kind: 'int', methods: [...NOISE, ...IG], value: 0 },
  upsample: {
    label: 'Upsample',
    kind: 'select',
    choices: ['bilinear', 'nearest', 'none'],
    methods: CAM,
    hint: 'none: the layer’s own grid',
  },
  relu: { label: 'ReLU', kind: 'bool', methods: CAM, value: true },
  window: { label: 'Window', kind: 'text', methods: ['occlusion'], hint: 'e.g. 4 or 4,4' },
  stride: { label: 'Stride', kind: 'text', methods: ['occlusion'], hint: 'default: the window' },
  fill: { label: 'Fill', kind: 'float', methods: ['occlusion'], value: 0 },
  border: { label: 'Border', kind: 'select', choices: ['clip', 'skip'], methods: ['occlusion'] },
  lrpRule: {
    label: 'LRP rule',
    kind: 'select',
    choices: ['epsilon', 'zplus', 'epsilon-plus'],
    methods: ['lrp'],
  },
  epsilon: { label: 'ε', kind: 'float', methods: ['lrp'], value: 1e-6 },
  batchSize: {
    label: 'Batch',
    kind: 'int',
    methods: [...IG, ...NOISE, 'occlusion'],
    hint: 'points per GPU pass (default: what fits)',
  },
};

/** People's names of the methods. */
export const METHOD_NAMES: Readonly<Record<Method, string>> = {
  'gradient': 'Gradient',
  'saliency': 'Saliency (|gradient|)',
  'input-x-gradient': 'Input × gradient',
  'integrated-gradients': 'Integrated gradients',
  'smoothgrad': 'SmoothGrad',
  'smoothgrad-sq': 'SmoothGrad²',
  'vargrad': 'VarGrad',
  'grad-cam': 'Grad-CAM',
  'hires-cam': 'HiResCAM',
  'guided-backprop': 'Guided backprop',
  'lrp': 'LRP',
  'occlusion': 'Occlusion',
};

function numberList(text: string | undefined, what: string): number[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const parts = text.split(/[\s,×x]+/).filter(Boolean);
  const values = parts.map(Number);
  const bad = values.findIndex((v) => !Number.isInteger(v) || v < 1);
  if (bad >= 0) throw new Error(`The ${what} '${parts[bad]}' is not a positive whole number.`);
  return values;
}

/**
 * The engine options of a card: the form's values with the method's defaults, only the fields
 * the method reads (so that the cache key does not split on unused fields). Throws an Error with
 * a sentence for a bad field.
 */
export function engineOptions(method: Method, o: CardOptions): ExplainOptions {
  if (!METHODS.includes(method)) throw new Error(`Unknown method '${method}'.`);
  const out: ExplainOptions = { method };
  if (o.target !== undefined) out.target = o.target;
  for (const [name, f] of Object.entries(FIELDS) as [keyof typeof FIELDS, Field][]) {
    if (!f.methods.includes(method)) continue;
    const v = o[name] ?? f.value;
    if (v === undefined || v === '') continue;
    if (f.kind === 'int' && !(Number.isInteger(v) && (v as number) >= (name === 'seed' ? 0 : 1))) {
      throw new Error(
        `${f.label} must be a whole number${name === 'seed' ? '' : ' ≥ 1'}, got ${v}.`,
      );
    }
    if (f.kind === 'float' && !Number.isFinite(v)) {
      throw new Error(`${f.label} must be a number, got ${v}.`);
    }
    switch (name) {
      case 'window':
      case 'stride': {
        const list = numberList(v as string, f.label.toLowerCase());
        if (list) out[name] = list.length === 1 ? list[0] : list;
        break;
      }
      case 'upsample':
        out.upsample = v === 'none' ? false : v as 'bilinear' | 'nearest';
        break;
      default:
        (out as unknown as Record<string, unknown>)[name] = v;
    }
  }
  if (CAM.includes(method) && o.layer) out.layer = o.layer;
  if (CAM.includes(method) && out.upsample === undefined) out.upsample = 'bilinear';
  return out;
}

/** A short description of a method and its main option, for job labels and map titles. */
export function methodLabel(options: ExplainOptions): string {
  const name = METHOD_NAMES[options.method];
  if (options.method === 'integrated-gradients') return `${name}, ${options.steps ?? 50} steps`;
  if (NOISE.includes(options.method)) return `${name}, ${options.samples ?? 50} samples`;
  if (CAM.includes(options.method) && options.upsample === false) return `${name} (layer grid)`;
  return name;
}

/** Key of a result in the cache: input version, method and options (sorted). */
export function cacheKey(version: number, options: ExplainOptions): string {
  const sorted = Object.keys(options).sort().map((k) => [
    k,
    (options as unknown as Record<string, unknown>)[k],
  ]);
  return `${version}|${JSON.stringify(sorted)}`;
}

/**
 * A map as drawn: image inputs' input-shaped maps summed over channels to [H, W] (NCHW or NHWC
 * as the input is laid out), a Grad-CAM grid [1, h, w] drawn at its own size. Token maps stay
 * [1, T]. Throws an Error for a shape that is neither.
 */
export function mapView(
  data: Float32Array,
  shape: readonly number[],
  inputShape: readonly number[],
): { data: Float32Array; shape: [number, number] } {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new Error(`The map has ${data.length} values for shape [${shape.join(', ')}].`);
  }
  if (shape.length === 4 && shape.join() === inputShape.join()) {
    const nchw = inputShape[1] === 1 || inputShape[1] === 3;
    const [c, h, w] = nchw ? [shape[1], shape[2], shape[3]] : [shape[3], shape[1], shape[2]];
    const out = new Float32Array(h * w);
    for (let p = 0; p < h * w; p++) {
      for (let k = 0; k < c; k++) out[p] += nchw ? data[k * h * w + p] : data[p * c + k];
    }
    return { data: out, shape: [h, w] };
  }
  if (shape.length === 3 && shape[0] === 1) return { data, shape: [shape[1], shape[2]] };
  if (shape.length === 2 && shape[0] === 1) return { data, shape: [1, shape[1]] };
  throw new Error(
    `Cannot draw a map of shape [${shape.join(', ')}] over an input of shape ` +
      `[${inputShape.join(', ')}].`,
  );
}

// ---------------------------------------------------------------------------------------------
// The panel.

/** A computed map. */
export interface MapResult {
  /** The attribution as the engine returned it, and its shape. */
  data: Float32Array;
  shape: number[];
  /** The resolved options (JSON-friendly), from the engine. */
  resolved: Record<string, unknown>;
  target: number;
  predicted: number;
  probabilities: Float32Array;
  completeness?: Completeness;
  curves?: DeletionResult | string;
  timeMs: number;
}

/** One method's card. */
export interface MethodCard {
  readonly id: number;
  readonly root: HTMLElement;
  method: Method;
  options: CardOptions;
  /** The map element now in the card (saliency or tokens), or null before any map. */
  readonly element: GlassSaliency | GlassTokens | null;
  /** What is drawn: the input version and the result (null while nothing current is shown). */
  readonly shown: { version: number; key: string; result: MapResult } | null;
  /** The explain job of this card, while it runs. */
  readonly job: Job<MapResult> | null;
  /** The last sanity check's result. */
  readonly sanity: SanityResult | null;
  /** (Re)computes the map for the current input; null when there is nothing to explain. */
  run(): Job<MapResult> | null;
  /** Runs the randomization sanity check with this card's method and options. */
  runSanity(): Job<SanityResult> | null;
}

/** The mounted panel. */
export interface ExplainPanel {
  readonly cards: readonly MethodCard[];
  /** Adds a card (computed at once when there is an input). */
  addMethod(method: Method, options?: CardOptions): MethodCard;
  removeMethod(card: MethodCard): void;
  /** Methods and options, for the URL. */
  readonly state: ExplainState;
  /** Settles when no job of this panel is queued or running. */
  idle(): Promise<void>;
  destroy(): void;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(4);

/** The explained feed of an input, alone (curves and the sanity check take one input). */
function singleFeed(input: ExplorerInput, model: Model): InputData | string {
  if (Object.keys(input.feeds).length !== 1 || model.inputs[0].name !== input.explained) {
    return 'needs a model with a single input';
  }
  return input.feeds[input.explained];
}

const CACHE_SIZE = 48;

/** The panel's state as the URL keeps it (view-state key `explain`), or null if unreadable. */
export function decodeExplainState(text: string | null): ExplainState | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as ExplainState;
    if (!Array.isArray(v.cards)) return null;
    const cards = v.cards.filter((c) =>
      c && METHODS.includes(c.method) && typeof c.options === 'object' && c.options !== null
    );
    return cards.length ? { cards, curves: v.curves !== false } : null;
  } catch {
    return null; // a hand-edited URL: start from the default
  }
}

/** Mounts the explain panel in `host`; it follows the session's `model`, `input` and `labels`. */
export function mountExplain(
  host: HTMLElement,
  session: Session,
  options: { initial?: ExplainState } = {},
): ExplainPanel {
  host.classList.add('explorer-explain');
  const cache = new Map<string, MapResult>();
  const cards: (MethodCard & {
    update(): void;
    showCurves(): void;
    hide(): void;
    renderJobs(): void;
    rebuild(): void;
  })[] = [];
  const initialState = options.initial ?? decodeExplainState(getViewState('explain'));
  let curves = initialState?.curves ?? true;
  let nextId = 1;
  // Work sizes for the adapter: a hardware GPU starts from the methods' usual sizes (50 IG steps
  // as Captum, 50 SmoothGrad samples as the paper); a software adapter from the form's smaller
  // defaults (16), which the page's header says.
  const sized: CardOptions = session.engine && !session.engine.info.isFallbackAdapter
    ? { steps: 50, samples: 50 }
    : {};

  const grid = el('div', { class: 'cards', style: 'display:flex;flex-wrap:wrap;gap:12px' });
  const addSelect = el('select', { 'aria-label': 'Method to add' });
  for (const m of METHODS) addSelect.append(el('option', { value: m }, METHOD_NAMES[m]));
  const addButton = el('button', { type: 'button' }, 'Add method');
  addButton.addEventListener('click', () => addMethod(addSelect.value as Method));
  const curvesBox = el('input', { type: 'checkbox', 'aria-label': 'Deletion/insertion curves' });
  curvesBox.checked = curves;
  curvesBox.addEventListener('change', () => {
    curves = curvesBox.checked;
    stateChanged();
    for (const c of cards) c.showCurves();
  });
  const note = el('p', { class: 'muted', role: 'status' });
  // Appended: the host keeps what it holds (the page's heading).
  const controls = el(
    'div',
    { class: 'row' },
    addSelect,
    addButton,
    el('label', {}, curvesBox, ' curves'),
  );
  host.append(controls, note, grid);

  const remember = (key: string, r: MapResult) => {
    cache.delete(key);
    cache.set(key, r);
    while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  };
  const stateChanged = () => {
    setViewState('explain', JSON.stringify(panelState()));
    session.stateChanged();
  };
  const panelState = (): ExplainState => ({
    cards: cards.map((c) => ({ method: c.method, options: { ...c.options } })),
    curves,
  });
  const isTokens = () => !!session.input?.tokens && !session.input.image;

  function layerChoices(): string[] {
    const s = session.opened?.structure;
    if (!s) return [];
    const inputs = new Set(s.inputs.map((i) => i.name));
    const out: string[] = [];
    for (const n of s.nodes) {
      if (n.folded) continue;
      for (const o of n.outputs) {
        const shape = n.shapes[o];
        if (shape && shape.length >= 3 && !inputs.has(o)) out.push(o);
      }
    }
    return out;
  }

  function addMethod(method: Method, given: CardOptions = {}): MethodCard {
    if (!METHODS.includes(method)) throw new Error(`Unknown method '${method}'.`);
    const initial = { ...sized, ...given };
    const id = nextId++;
    const root = el('section', {
      class: 'card',
      'data-card': String(id),
      style: 'flex:1 1 260px;min-width:240px;max-width:600px',
    });
    const methodSelect = el('select', { 'aria-label': 'Method' });
    for (const m of METHODS) methodSelect.append(el('option', { value: m }, METHOD_NAMES[m]));
    methodSelect.value = method;
    const remove = el('button', { type: 'button', 'aria-label': 'Remove method' }, '×');
    const form = el('div', { class: 'options' });
    const formError = el('p', { class: 'error', role: 'alert' });
    formError.hidden = true;
    const status = el('p', { class: 'status', role: 'status' });
    const figure = el('div', { class: 'figure' });
    figure.hidden = true;
    const info = el('p', { class: 'info' });
    const curvesInfo = el('p', { class: 'curves' });
    const jobs = el('div', { class: 'jobs' });
    const sanityButton = el('button', { type: 'button' }, 'Sanity check');
    const sanityOut = el('div', { class: 'sanity' });
    root.append(
      el('header', {}, methodSelect, remove),
      form,
      formError,
      jobs,
      status,
      figure,
      info,
      curvesInfo,
      el('div', {}, sanityButton),
      sanityOut,
    );
    grid.append(root);

    let element: GlassSaliency | GlassTokens | null = null;
    let shown: MethodCard['shown'] = null;
    let job: Job<MapResult> | null = null;
    let sanity: SanityResult | null = null;
    const myJobs = new Set<Job<unknown>>();

    const card = {
      id,
      root,
      method,
      options: { ...initial },
      get element() {
        return element;
      },
      get shown() {
        return shown;
      },
      get job() {
        return job;
      },
      get sanity() {
        return sanity;
      },
      run,
      runSanity,
      update: () => draw(),
      // Curves turned on for a map computed without them: computed now (draw alone shows none).
      showCurves: () => {
        draw();
        if (
          curves && shown && shown.result.curves === undefined && session.isCurrent(shown.version)
        ) {
          runCurves(shown.key, shown.result);
        }
      },
      rebuild: () => buildForm(),
      hide,
      renderJobs,
    };

    const buildForm = () => {
      form.replaceChildren();
      const m = card.method;
      const labels = session.labels;
      const target = el('select', { 'aria-label': 'Target class' });
      target.append(el('option', { value: '' }, 'predicted class'));
      const classes = session.input && shown
        ? shown.result.probabilities.length
        : labels?.length ?? 0;
      for (let i = 0; i < classes; i++) {
        target.append(el('option', { value: String(i) }, labels?.[i] ?? `class ${i}`));
      }
      target.value = card.options.target === undefined ? '' : String(card.options.target);
      target.addEventListener('change', () => {
        card.options.target = target.value === '' ? undefined : Number(target.value);
        changed();
      });
      form.append(el('label', {}, 'Target ', target));
      if (CAM.includes(m)) {
        const layer = el('select', { 'aria-label': 'Layer' });
        layer.append(el('option', { value: '' }, 'last feature map (auto)'));
        for (const l of layerChoices()) layer.append(el('option', { value: l }, l));
        layer.value = card.options.layer ?? '';
        layer.addEventListener('change', () => {
          card.options.layer = layer.value || undefined;
          changed();
        });
        form.append(el('label', {}, 'Layer ', layer));
      }
      for (const [name, f] of Object.entries(FIELDS) as [keyof typeof FIELDS, Field][]) {
        if (!f.methods.includes(m)) continue;
        const current = card.options[name] ?? f.value;
        let input: HTMLInputElement | HTMLSelectElement;
        if (f.kind === 'select') {
          input = el('select', { 'aria-label': f.label, name });
          for (const c of f.choices!) input.append(el('option', { value: c }, c));
          input.value = String(current ?? f.choices![0]);
        } else if (f.kind === 'bool') {
          input = el('input', { type: 'checkbox', 'aria-label': f.label, name });
          input.checked = current !== false;
        } else {
          input = el('input', {
            type: f.kind === 'text' ? 'text' : 'number',
            'aria-label': f.label,
            name,
            size: '6',
            ...(f.kind === 'float' ? { step: 'any' } : {}),
            ...(f.hint ? { placeholder: f.hint } : {}),
          });
          input.value = current === undefined ? '' : String(current);
        }
        const read = () => {
          const t = input as HTMLInputElement;
          if (f.kind === 'bool') return t.checked;
          if (f.kind === 'select' || f.kind === 'text') return t.value || undefined;
          return t.value === '' ? undefined : Number(t.value);
        };
        input.addEventListener('change', () => {
          (card.options as Record<string, unknown>)[name] = read();
          changed();
        });
        form.append(el('label', { title: f.hint ?? '' }, `${f.label} `, input));
      }
    };

    const changed = () => {
      stateChanged();
      run();
    };
    methodSelect.addEventListener('change', () => {
      card.method = methodSelect.value as Method;
      buildForm();
      changed();
    });
    remove.addEventListener('click', () => removeMethod(card));
    sanityButton.addEventListener('click', () => runSanity());

    function hide() {
      shown = null;
      figure.hidden = true;
      info.textContent = '';
      curvesInfo.textContent = '';
    }

    function ensureElement(): GlassSaliency | GlassTokens {
      const want = isTokens() ? 'glass-tokens' : 'glass-saliency';
      if (element?.localName !== want) {
        element = document.createElement(want) as GlassSaliency | GlassTokens;
        element.style.display = 'block';
        element.style.width = '100%';
        figure.replaceChildren(element);
        mountExportButtons(figure, element, `${want.slice(6)} map ${card.id}`);
      }
      return element;
    }

    /** Draws `shown` (only when its version is current). */
    function draw() {
      const input = session.input;
      if (!shown || !input || !session.isCurrent(shown.version)) return hide();
      const r = shown.result;
      let view: ReturnType<typeof mapView>;
      try {
        view = mapView(r.data, r.shape, input.feeds[input.explained].shape);
      } catch (e) {
        status.textContent = (e as Error).message;
        return hide();
      }
      // A map with NaN or ±Infinity (a non-finite input or weight propagates): said, not colored.
      let bad = 0;
      for (let i = 0; i < view.data.length; i++) if (!Number.isFinite(view.data[i])) bad++;
      if (bad > 0) {
        hide();
        status.textContent = `The map holds ${bad} NaN or infinite value${bad === 1 ? '' : 's'} ` +
          `of ${view.data.length}: the input or a weight is not finite, so it is not drawn.`;
        return;
      }
      if (!Number.isFinite(r.probabilities[r.target])) {
        hide();
        status.textContent = 'The output explained is NaN or infinite (the input or a weight is ' +
          'not finite): a map of it would mislead, so it is not drawn.';
        return;
      }
      const e = ensureElement();
      if (e.localName === 'glass-tokens') {
        const t = e as GlassTokens;
        const tokens = input.tokens ?? Array.from(view.data, (_, i) => String(i));
        const n = Math.min(shownTokenCount(tokens), view.data.length);
        t.tokens = tokens.slice(0, n);
        t.values = view.data.slice(0, n);
      } else {
        const s = e as GlassSaliency;
        s.image = input.image
          ? new ImageData(
            Uint8ClampedArray.from(input.image.rgba),
            input.image.width,
            input.image.height,
          )
          : null;
        s.label = methodLabel({ method: card.method, ...r.resolved } as ExplainOptions);
        s.maps = [{ label: s.label, data: view.data, shape: view.shape }];
        s.curves = curves && r.curves && typeof r.curves !== 'string'
          ? { deletion: r.curves.deletion, insertion: r.curves.insertion }
          : null;
      }
      figure.hidden = false;
      const labels = session.labels;
      const name = (i: number) => labels?.[i] ?? `class ${i}`;
      const parts = [
        `Explains ${name(r.target)} (p = ${(100 * r.probabilities[r.target]).toFixed(1)}%)` +
        (r.target !== r.predicted ? `; predicted ${name(r.predicted)}.` : '.'),
      ];
      if (r.completeness) {
        const c = r.completeness;
        parts.push(
          `Completeness: Σ attributions ${fmt(c.sum[0])}, f(x) − f(baseline) ` +
            `${fmt(c.fx[0] - c.fBaseline[0])}, δ = ${fmt(c.delta[0])}.`,
        );
      }
      if (
        view.shape[0] * view.shape[1] !==
          (input.image ? input.image.width * input.image.height : view.data.length)
      ) {
        parts.push(`Drawn at the layer's ${view.shape[0]}×${view.shape[1]} grid.`);
      }
      info.textContent = parts.join(' ');
      curvesInfo.textContent = !curves || r.curves === undefined
        ? ''
        : typeof r.curves === 'string'
        ? `Curves: ${r.curves}`
        : `Deletion AUC ${r.curves.deletion.auc.toFixed(3)} (lower is better), insertion AUC ` +
          `${r.curves.insertion.auc.toFixed(3)} (higher is better).`;
      host.dispatchEvent(
        new CustomEvent('explorer-drawn', {
          detail: { card: id, version: shown.version, method: card.method },
        }),
      );
    }

    function track<T>(j: Job<T>) {
      myJobs.add(j as Job<unknown>);
      j.promise.catch(() => {}).finally(() => {
        myJobs.delete(j as Job<unknown>);
        renderJobs();
      });
      renderJobs();
    }

    function renderJobs() {
      jobs.replaceChildren();
      for (const j of myJobs) {
        if (j.state !== 'queued' && j.state !== 'running') continue;
        const bar = el('progress', { max: '1' });
        bar.value = j.fraction;
        const cancel = el('button', { type: 'button', class: 'cancel' }, 'Cancel');
        cancel.addEventListener('click', () => j.cancel('cancelled by the user'));
        const eta = formatEta(j.eta);
        jobs.append(el(
          'div',
          { class: 'job', 'data-state': j.state },
          `${j.label}: ${j.state === 'queued' ? 'queued' : `${Math.round(100 * j.fraction)}%`}` +
            (eta ? ` · ${eta}` : '') + ' ',
          bar,
          ' ',
          cancel,
        ));
      }
    }

    function run(): Job<MapResult> | null {
      const input = session.input;
      const model = session.opened?.model;
      if (!input || !model) {
        hide();
        status.textContent = !session.opened
          ? ''
          : !model
          ? 'The model cannot run here.'
          : 'Give an input to explain.';
        return null;
      }
      let eo: ExplainOptions;
      try {
        eo = engineOptions(card.method, card.options);
        formError.hidden = true;
      } catch (e) {
        formError.textContent = (e as Error).message;
        formError.hidden = false;
        return null;
      }
      const version = input.version;
      const key = cacheKey(version, eo);
      if (shown?.key === key && session.isCurrent(shown.version)) return null;
      const cached = cache.get(key);
      if (cached) {
        job?.cancel('replaced by a cached result');
        shown = { version, key, result: cached };
        status.textContent = '';
        recordLive('cacheHits');
        draw();
        recordLive('drawn');
        if (curves && cached.curves === undefined) runCurves(key, cached);
        return null;
      }
      if (!shown || !session.isCurrent(shown.version) || shown.key !== key) hide();
      status.textContent = 'Computing…';
      recordLive('submitted');
      const label = methodLabel(eo);
      const j = session.queue.submit(label, async ({ signal, progress }) => {
        const e = await explain(model, input.feeds, {
          ...eo,
          input: input.explained,
          signal,
          onProgress: progress,
          tokens: input.tokens ? [input.tokens] : undefined,
        });
        try {
          const data = await e.attribution.readFloat32();
          return {
            data,
            shape: [...e.attribution.shape],
            resolved: e.options,
            target: e.targets[0],
            predicted: e.predicted[0],
            probabilities: e.probabilities[0],
            completeness: e.completeness,
            timeMs: e.timeMs,
          } satisfies MapResult;
        } finally {
          e.attribution.destroy();
        }
      }, { priority: 'interactive', key: `explain:${id}` });
      job = j;
      track(j);
      j.promise.then(
        (result) => {
          if (job === j) job = null;
          if (!session.isCurrent(version)) return void recordLive('stale');
          remember(key, result);
          shown = { version, key, result };
          status.textContent = '';
          draw();
          recordLive('drawn');
          const targets = form.querySelector('select[aria-label="Target class"]');
          if (targets && targets.childElementCount !== result.probabilities.length + 1) {
            buildForm(); // the class choices are known now
          }
          if (curves) runCurves(key, result);
        },
        (error) => {
          if (job === j) job = null;
          if ((error as Error).name === 'AbortError') {
            recordLive('cancelled');
            if (job === null && session.isCurrent(version)) {
              status.textContent = `Cancelled: ${label}.`;
            }
            return;
          }
          recordLive('failed');
          if (session.isCurrent(version)) {
            status.textContent = `Cannot explain: ${(error as Error).message}`;
          }
        },
      );
      return j;
    }

    function runCurves(key: string, result: MapResult) {
      const input = session.input, model = session.opened?.model;
      if (!input || !model) return;
      const version = input.version;
      const feed = singleFeed(input, model);
      if (typeof feed === 'string') {
        result.curves = feed;
        return draw();
      }
      const n = feed.data.length,
        plane = feed.shape.length === 4 ? feed.shape[2] * feed.shape[3] : -1;
      if (result.data.length !== n && result.data.length !== plane) {
        result.curves = 'they need a map at the input’s size (choose an upsample for Grad-CAM).';
        return draw();
      }
      const j = session.queue.submit('Deletion/insertion curves', async ({ progress }) => {
        progress(0, 1);
        const r = await deletionInsertion(model, feed, result.data, {
          target: result.target,
          steps: 10,
        });
        progress(1, 1);
        return r;
      }, { priority: 'background', key: `curves:${id}` });
      track(j);
      j.promise.then((r) => {
        result.curves = r;
        remember(key, result);
        if (shown?.key === key && session.isCurrent(version)) draw();
      }, (error) => {
        if ((error as Error).name === 'AbortError') return;
        result.curves = `cannot compute them: ${(error as Error).message}`;
        if (shown?.key === key && session.isCurrent(version)) draw();
      });
    }

    function runSanity(): Job<SanityResult> | null {
      const input = session.input, model = session.opened?.model;
      if (!input || !model) return null;
      const feed = singleFeed(input, model);
      if (typeof feed === 'string') {
        sanityOut.textContent = `The sanity check ${feed}.`;
        return null;
      }
      let eo: ExplainOptions;
      try {
        eo = engineOptions(card.method, card.options);
      } catch (e) {
        sanityOut.textContent = (e as Error).message;
        return null;
      }
      const version = input.version;
      const layers = parameterLayers(model).length;
      sanityOut.textContent = 'Randomizing layers from the output down…';
      const j = session.queue.submit(
        `Sanity check: ${methodLabel(eo)}`,
        async ({ signal, progress }) => {
          let phase = 0, last = 0;
          return await sanityCheck(model, feed, {
            ...eo,
            input: input.explained,
            signal,
            onProgress: (done, total) => {
              if (done < last) phase++;
              last = done;
              progress(phase + done / total, layers + 1);
            },
          });
        },
        { priority: 'normal', key: `sanity:${id}` },
      );
      track(j);
      j.promise.then((r) => {
        if (!session.isCurrent(version)) return;
        sanity = r;
        const table = el(
          'table',
          {},
          el(
            'tr',
            {},
            el('th', {}, 'randomized down to'),
            el('th', {}, 'Spearman'),
            el('th', {}, '|Spearman|'),
          ),
        );
        for (const s of r.steps) {
          table.append(
            el(
              'tr',
              {},
              el('td', {}, s.layer),
              el('td', {}, s.spearman.toFixed(3)),
              el('td', {}, s.spearmanAbs.toFixed(3)),
            ),
          );
        }
        const lastStep = r.steps[r.steps.length - 1];
        sanityOut.replaceChildren(
          el(
            'p',
            {},
            `With all ${r.steps.length} layers randomized the map's rank correlation with the ` +
              `original is ${lastStep.spearmanAbs.toFixed(2)} (absolute values): ` +
              (Math.abs(lastStep.spearmanAbs) < 0.5
                ? 'the map depends on the weights, as it should.'
                : 'the map barely depends on the weights: it may be showing the input, not the model.'),
          ),
          table,
        );
      }, (error) => {
        sanityOut.textContent = (error as Error).name === 'AbortError'
          ? 'Sanity check cancelled.'
          : `Cannot run the sanity check: ${(error as Error).message}`;
      });
      return j;
    }

    buildForm();
    cards.push(card);
    stateChanged();
    run();
    return card;
  }

  function removeMethod(card: MethodCard) {
    const i = cards.indexOf(card as typeof cards[number]);
    if (i < 0) return;
    for (const j of session.queue.jobs) {
      if (j.key?.endsWith(`:${card.id}`)) j.cancel('the method was removed');
    }
    cards.splice(i, 1);
    card.root.remove();
    stateChanged();
  }

  const onInput = () => {
    for (const c of cards) {
      c.hide();
      c.run();
    }
  };
  const onModel = () => {
    cache.clear();
    const o = session.opened;
    note.textContent = !o
      ? 'Open a model to explain it.'
      : !o.model
      ? `This model cannot run here: ${o.problems.join(' ')}`
      : !session.engine
      ? session.engineProblem
      : '';
    for (const c of cards) {
      c.hide();
      c.rebuild();
    }
  };
  const onLabels = () => {
    for (const c of cards) c.update();
  };
  const onQueue = () => {
    for (const c of cards) c.renderJobs();
  };
  session.addEventListener('input', onInput);
  session.addEventListener('model', onModel);
  session.addEventListener('labels', onLabels);
  session.queue.addEventListener('change', onQueue);
  onModel();
  const initial = initialState?.cards ?? [{ method: 'saliency' as Method, options: {} }];
  for (const c of initial) addMethod(c.method, c.options);

  return {
    get cards() {
      return [...cards];
    },
    addMethod,
    removeMethod,
    get state(): ExplainState {
      return panelState();
    },
    async idle() {
      const mine = () =>
        session.queue.jobs.filter((j) => /^(explain|curves|sanity):/.test(j.key ?? ''));
      while (mine().length > 0) await Promise.allSettled(mine().map((j) => j.promise));
    },
    destroy() {
      for (const c of [...cards]) removeMethod(c);
      session.removeEventListener('input', onInput);
      session.removeEventListener('model', onModel);
      session.removeEventListener('labels', onLabels);
      session.queue.removeEventListener('change', onQueue);
      controls.remove();
      note.remove();
      grid.remove();
    },
  };
}
