/**
 * The gallery: every `glass-*` element on real outputs of the bundled models, computed live in
 * the page with the engine (WebGPU). Sections start when they scroll near the viewport (or all at
 * once with `?eager`) and run one at a time, each showing its progress; without WebGPU the page
 * says so and draws nothing.
 *
 * URL parameters: `eager` (start every section at once, in page order), `words=N` (GloVe words in
 * the projector, default 2000), `projection=umap|tsne`.
 *
 * @module
 */

import '../components/mod.ts';
import type {
  GlassActivations,
  GlassAttention,
  GlassGraph,
  GlassHistogram,
  GlassProbes,
  GlassProjector,
  GlassSaliency,
  GlassSpectrum,
  GlassSurrogate,
  GlassTokens,
  GlassWeights,
  SaliencyMap,
} from '../components/mod.ts';
import {
  captureActivations,
  createEngine,
  deletionInsertion,
  distill,
  type Engine,
  explain,
  type ExplainOptions,
  loadModel,
  type Model,
  modelStructure,
  type NpyArray,
  probeLayers,
  randomizedOnnx,
  readNpy,
  taskLabels,
  tensor,
  tensorStats,
  topSingularValues,
  tsne,
  umap,
} from '../src/mod.ts';

const params = new URLSearchParams(location.search);
const EAGER = params.has('eager');

const MNIST = '/models/mnist_cnn.onnx';
const FASHION = '/models/fashion_cnn.onnx';
const TEXT = '/models/text_transformer.onnx';
const DETYPIFY = '/node_modules/detypify-service/train/model.onnx';
const FASHION_CLASSES = [
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
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

// ---------------------------------------------------------------------------------------------
// Small DOM and fetch helpers

function h<K extends keyof HTMLElementTagNameMap>(
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

function glass<T extends HTMLElement>(tag: string, style: string): T {
  const e = document.createElement(tag) as T;
  e.setAttribute('style', style);
  return e;
}

function select(
  label: string,
  options: [string, string][],
  onChange: (value: string) => void,
): HTMLLabelElement {
  const s = h('select');
  for (const [value, text] of options) s.append(h('option', { value }, text));
  s.addEventListener('change', () => onChange(s.value));
  return h('label', { class: 'control' }, `${label} `, s);
}

const cache = new Map<string, Promise<unknown>>();

function once<T>(key: string, make: () => Promise<T>): Promise<T> {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as Promise<T>;
}

async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`Cannot fetch ${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function fetchJson<T>(path: string): Promise<T> {
  return once(path, async () => JSON.parse(new TextDecoder().decode(await fetchBytes(path))));
}

function fetchNpy(path: string): Promise<NpyArray> {
  return once(path, async () => readNpy(await fetchBytes(path)));
}

function model(engine: Engine, path: string): Promise<Model> {
  return once(path, async () => loadModel(engine, await fetchBytes(path)));
}

/** Example `i` of an [N, 1, 28, 28] float image set, as one-example input data. */
async function image(path: string, i: number): Promise<{ data: Float32Array; shape: number[] }> {
  const x = await fetchNpy(path);
  const per = 28 * 28;
  return { data: (x.data as Float32Array).slice(i * per, (i + 1) * per), shape: [1, 1, 28, 28] };
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

function percent(p: number): string {
  return `${(100 * p).toFixed(1)}%`;
}

// ---------------------------------------------------------------------------------------------
// Sections: each runs once when it comes near the viewport, one at a time.

interface Section {
  id: string;
  title: string;
  intro: string;
  /** Fills `body`; `status` reports progress. */
  run(engine: Engine, body: HTMLElement, status: (text: string) => void): Promise<void>;
}

let queue: Promise<void> = Promise.resolve();

/** Runs `work` after everything queued before it (the GPU does one thing at a time here). */
function enqueue<T>(work: () => Promise<T>): Promise<T> {
  const result = queue.then(work);
  queue = result.then(() => {}, () => {});
  return result;
}

function mountSection(section: Section, engine: Engine | null, reason: string): void {
  const status = h('p', { class: 'status' }, 'Waiting to come into view…');
  const body = h('div', { class: 'body' });
  const el = h(
    'section',
    { id: section.id, class: 'card' },
    h('h2', {}, h('a', { href: `#${section.id}` }, section.title)),
    h('p', { class: 'intro' }, section.intro),
    status,
    body,
  );
  el.dataset.state = 'waiting';
  document.getElementById('sections')!.append(el);
  if (!engine) {
    el.dataset.state = 'unsupported';
    status.textContent = reason;
    status.className = 'status bad';
    return;
  }
  const start = () =>
    enqueue(async () => {
      el.dataset.state = 'running';
      status.textContent = 'Running…';
      const t0 = performance.now();
      try {
        await section.run(engine, body, (text) => (status.textContent = text));
        el.dataset.state = 'done';
        if (status.textContent === 'Running…' || status.textContent === '') {
          status.textContent = `Computed in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
        }
      } catch (error) {
        console.error(error);
        el.dataset.state = 'error';
        status.textContent = `Failed: ${error instanceof Error ? error.message : error}`;
        status.className = 'status bad';
      }
    });
  if (EAGER) {
    start();
    return;
  }
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) {
      observer.disconnect();
      start();
    }
  }, { rootMargin: '300px' });
  observer.observe(el);
}

// ---------------------------------------------------------------------------------------------
// Saliency: six methods side by side, with the deletion/insertion curve of integrated gradients.

const SALIENCY_METHODS: { label: string; options: ExplainOptions }[] = [
  { label: 'Gradient', options: { method: 'gradient' } },
  { label: 'Integrated gradients', options: { method: 'integrated-gradients', steps: 32 } },
  { label: 'SmoothGrad', options: { method: 'smoothgrad', samples: 16 } },
  { label: 'Grad-CAM (upsampled)', options: { method: 'grad-cam', upsample: true } },
  { label: 'Occlusion 4×4', options: { method: 'occlusion', window: 4, stride: 2 } },
  { label: 'LRP-ε', options: { method: 'lrp' } },
];

function saliencySection(
  id: string,
  title: string,
  path: string,
  data: string,
  labels: string,
  classes: string[],
  examples: number[],
): Section {
  return {
    id,
    title,
    intro: 'The same test image explained by six attribution methods (red: evidence for the ' +
      'predicted class, blue: against), and the deletion/insertion curves of the integrated-' +
      'gradients map: delete the most important pixels first and the probability should fall ' +
      'fast; insert them into a black image and it should rise fast.',
    async run(engine, body, status) {
      const m = await model(engine, path);
      const y = (await fetchNpy(labels)).data as BigInt64Array;
      const el = glass<GlassSaliency>('glass-saliency', '');
      el.label = `${title}: attribution maps`;
      const caption = h('p', { class: 'caption' });
      const show = async (i: number) => {
        const input = await image(data, i);
        const maps: SaliencyMap[] = [];
        let ig: Float32Array | null = null;
        let predicted = 0;
        let probability = 0;
        for (const [k, { label, options }] of SALIENCY_METHODS.entries()) {
          status(`Explaining example ${i}: ${label} (${k + 1}/${SALIENCY_METHODS.length})…`);
          const e = await explain(m, input, options);
          const map = await e.attribution.readFloat32();
          e.attribution.destroy();
          predicted = e.predicted[0];
          probability = e.probabilities[0][predicted];
          if (options.method === 'integrated-gradients') ig = map;
          maps.push({ label, data: map, shape: [28, 28] });
        }
        status('Deletion and insertion curves…');
        const curves = await deletionInsertion(m, input, ig!, { steps: 20 });
        el.image = { data: input.data, shape: [28, 28] };
        el.maps = maps;
        el.curves = { deletion: curves.deletion, insertion: curves.insertion };
        caption.textContent = `Example ${i}: true class ${classes[Number(y[i])]}, predicted ` +
          `${classes[predicted]} (${percent(probability)}). Integrated gradients: deletion AUC ` +
          `${curves.deletion.auc.toFixed(3)}, insertion AUC ${curves.insertion.auc.toFixed(3)}.`;
        status('');
      };
      const picker = select(
        'Example',
        examples.map((i) => [String(i), `#${i} (${classes[Number(y[i])]})`]),
        (v) => enqueue(() => show(Number(v))),
      );
      body.append(h('div', { class: 'controls' }, picker), el, caption);
      await show(examples[0]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The text classifier: token attributions and attention.

interface Vocab {
  tokens: string[];
  classes: string[];
  seq_len: number;
}

async function textExample(i: number) {
  const ids = await fetchNpy('/models/data/text_test_ids.npy');
  const vocab = await fetchJson<Vocab>('/models/text_vocab.json');
  const T = vocab.seq_len;
  const row = (ids.data as BigInt64Array).slice(i * T, (i + 1) * T);
  let n = T;
  while (n > 0 && row[n - 1] === 0n) n--;
  const tokens = Array.from(row.slice(0, n), (id) => vocab.tokens[Number(id)]);
  return { input: { data: row, shape: [1, T] }, tokens, n, vocab };
}

// Test messages offered (the first is shown first): spam and ham, short and long.
const TEXT_EXAMPLES = [18, 2, 6, 8, 19, 0, 4];

async function textPicker(
  examples: number[],
  onPick: (i: number) => void,
): Promise<HTMLLabelElement> {
  const y = (await fetchNpy('/models/data/text_test_y.npy')).data as BigInt64Array;
  const texts = await fetchJson<{ text: string }[]>('/models/data/text_test_texts.json');
  return select(
    'Message',
    examples.map((i) => [
      String(i),
      `#${i} ${Number(y[i]) ? 'spam' : 'ham'}: ${texts[i].text.split('\n')[0].slice(0, 50)}`,
    ]),
    (v) => onPick(Number(v)),
  );
}

const tokensSection: Section = {
  id: 'tokens',
  title: 'Token attributions: spam or ham',
  intro: 'The spam/ham transformer explained by integrated gradients (32 steps) at the token ' +
    'embedding: each token colored by its contribution to the predicted class (red for, blue ' +
    'against). Only the first 64 tokens (lower-cased words and numbers) reach the model.',
  async run(engine, body, status) {
    const m = await model(engine, TEXT);
    const el = glass<GlassTokens>('glass-tokens', '');
    const caption = h('p', { class: 'caption' });
    const show = async (i: number) => {
      status(`Integrated gradients on message #${i}…`);
      const { input, tokens, n, vocab } = await textExample(i);
      const e = await explain(m, input, { method: 'integrated-gradients', steps: 32 });
      const values = await e.attribution.readFloat32();
      e.attribution.destroy();
      el.tokens = tokens;
      el.values = values.slice(0, n);
      const p = e.predicted[0];
      caption.textContent = `Predicted ${vocab.classes[p]} (${percent(e.probabilities[0][p])}); ` +
        `Σ attributions ${e.completeness!.sum[0].toFixed(3)} vs f(x) − f(baseline) ` +
        `${(e.completeness!.fx[0] - e.completeness!.fBaseline[0]).toFixed(3)}.`;
      status('');
    };
    body.append(
      h(
        'div',
        { class: 'controls' },
        await textPicker(TEXT_EXAMPLES, (i) => enqueue(() => show(i))),
      ),
      el,
      caption,
    );
    await show(TEXT_EXAMPLES[0]);
  },
};

const attentionSection: Section = {
  id: 'attention',
  title: 'Attention of the text classifier',
  intro: 'The softmax attention of each layer and head over the non-padding tokens: the matrix ' +
    '(row = query, column = key) and the same weights as lines from each query token to the keys ' +
    'it attends to. Hover a token or a row to follow it.',
  async run(engine, body, status) {
    const m = await model(engine, TEXT);
    const el = glass<GlassAttention>('glass-attention', '');
    // A shorter message first: the line view takes 18 px per token.
    const examples = [2, ...TEXT_EXAMPLES.filter((i) => i !== 2)];
    let current = { i: examples[0], layer: 0 };
    const show = async () => {
      status('Capturing the attention probabilities…');
      const { input, tokens, n } = await textExample(current.i);
      const name = `/layers.${current.layer}/attn/softmax/Softmax_output_0`;
      const captured = await captureActivations(m, input, [name]);
      const all = await captured[name].readFloat32();
      captured[name].destroy();
      const T = input.shape[1];
      const heads = all.length / (T * T);
      const w = new Float32Array(heads * n * n);
      for (let hd = 0; hd < heads; hd++) {
        for (let q = 0; q < n; q++) {
          for (let k = 0; k < n; k++) w[(hd * n + q) * n + k] = all[(hd * T + q) * T + k];
        }
      }
      el.tokens = tokens;
      el.shape = [heads, n, n];
      el.weights = w;
      status('');
    };
    body.append(
      h(
        'div',
        { class: 'controls' },
        await textPicker(examples, (i) => {
          current = { ...current, i };
          enqueue(show);
        }),
        select('Layer', [['0', '0'], ['1', '1']], (v) => {
          current = { ...current, layer: Number(v) };
          enqueue(show);
        }),
        select('Head', [['0', '0'], ['1', '1'], ['-1', 'mean']], (v) => (el.head = Number(v))),
      ),
      el,
    );
    await show();
  },
};

// ---------------------------------------------------------------------------------------------
// Activations of a conv layer.

const activationsSection: Section = {
  id: 'activations',
  title: 'Feature maps of the digit CNN',
  intro: 'The ReLU outputs of a convolution layer for one test digit, each map over its own ' +
    'range; hover (or focus and use the arrow keys) to enlarge a map.',
  async run(engine, body, status) {
    const m = await model(engine, MNIST);
    const el = glass<GlassActivations>('glass-activations', '');
    el.columns = 8;
    let current = { i: 0, layer: '/relu1/Relu_output_0' };
    const show = async () => {
      status('Capturing activations…');
      const input = await image('/models/data/mnist_test_x.npy', current.i);
      const captured = await captureActivations(m, input, [current.layer]);
      const t = captured[current.layer];
      const data = await t.readFloat32();
      el.shape = t.shape.slice(1);
      el.data = data;
      // Enlarge the first map with any activation (a dead ReLU channel is one flat color).
      const [C, per] = [t.shape[1], data.length / t.shape[1]];
      let live = 0;
      while (live < C - 1 && !data.subarray(live * per, (live + 1) * per).some((v) => v > 0)) {
        live++;
      }
      el.selected = live;
      t.destroy();
      status('');
    };
    body.append(
      h(
        'div',
        { class: 'controls' },
        select('Layer', [
          ['/relu1/Relu_output_0', 'conv1 + ReLU (8 × 28 × 28)'],
          ['/relu2/Relu_output_0', 'conv2 + ReLU (16 × 14 × 14)'],
        ], (v) => {
          current = { ...current, layer: v };
          enqueue(show);
        }),
        select('Digit', [0, 1, 2, 3, 4].map((i) => [String(i), `test #${i}`]), (v) => {
          current = { ...current, i: Number(v) };
          enqueue(show);
        }),
      ),
      el,
    );
    await show();
  },
};

// ---------------------------------------------------------------------------------------------
// detypify-service's model: graph, weights, histogram, spectrum.

const PREFIX = 'model_opt._orig_mod.';

const graphSection: Section = {
  id: 'graph',
  title: 'Graph of detypify’s symbol classifier',
  intro: 'The structure of the ONNX CNN that ships with the npm package detypify-service ' +
    '(1.15 M parameters, 411 handwritten symbols): nodes colored by operator, with output shapes ' +
    'and parameter counts. Drag to pan, wheel to zoom, click a node to select it.',
  async run(engine, body, status) {
    status('Loading the model…');
    const m = await model(engine, DETYPIFY);
    const s = modelStructure(m);
    const el = glass<GlassGraph>('glass-graph', 'height: 700px');
    const detail = h('p', { class: 'caption' }, 'Click a node for its details.');
    el.addEventListener('glass-select', (e) => {
      const d = (e as CustomEvent).detail;
      const n = d?.node ?? d;
      detail.textContent = n
        ? `${n.name ?? n.key}: ${n.op ?? 'block'}${
          n.params ? `, ${Number(n.params).toLocaleString()} parameters` : ''
        }`
        : 'Click a node for its details.';
    });
    body.append(el, detail);
    status('Laying out…');
    el.structure = s;
    await el.layoutComplete;
    status(
      `${s.nodes.length} nodes, ${s.totals.params.toLocaleString()} parameters, ` +
        `${(s.totals.flops / 1e6).toFixed(0)} MFLOPs per 224×224 image.`,
    );
  },
};

const weightsSection: Section = {
  id: 'weights',
  title: 'Weights of detypify’s symbol classifier',
  intro: 'Weight tensors of the same model: a block’s 32 × 16 convolution filters (3×3) as a ' +
    'grid (rows: output channels), the 411 × 1280 classifier matrix as a zoomable heatmap (wheel ' +
    'to zoom, drag to pan; colors clipped at ±3σ) and its bias as bars; then the histogram of ' +
    'the classifier weights (computed on the GPU) and its singular values.',
  async run(engine, body, status) {
    const m = await model(engine, DETYPIFY);
    const init = m.ir.graph.initializers;
    const get = (name: string) => {
      const t = init.get(PREFIX + name);
      if (!t) throw new Error(`detypify's model has no initializer ${PREFIX + name}`);
      return { data: Float32Array.from(t.data), shape: t.shape };
    };
    const panels: [string, string][] = [
      ['blocks.1.0.conv.weight', 'height: 440px'],
      ['classifier.weight', 'height: 420px'],
      ['classifier.bias', 'height: 200px'],
    ];
    for (const [name, style] of panels) {
      const w = glass<GlassWeights>('glass-weights', style);
      const t = get(name);
      w.name = name;
      w.shape = t.shape;
      if (name === 'classifier.weight') {
        // ±3σ: the few large negative weights would otherwise wash the matrix out.
        let m = 0, q = 0;
        for (const v of t.data) (m += v, q += v * v);
        m /= t.data.length;
        const sd = Math.sqrt(q / t.data.length - m * m);
        w.range = [-3 * sd, 3 * sd];
      }
      w.data = t.data;
      w.dataset.part = name;
      body.append(w);
    }
    status('Histogram and spectrum of the classifier weights (GPU)…');
    const c = get('classifier.weight');
    const gpu = tensor(engine, c.data, c.shape);
    const stats = await tensorStats(engine, gpu, { bins: 80 });
    const hist = glass<GlassHistogram>('glass-histogram', 'height: 220px');
    const { lo, hi, counts } = stats.histogram;
    hist.counts = counts;
    hist.edges = Array.from(
      { length: counts.length + 1 },
      (_, i) => lo + (hi - lo) * i / counts.length,
    );
    hist.label = 'classifier.weight histogram';
    // 1280 columns are over singularValues' 1024 limit; a randomized sketch as wide as the
    // shorter side (411) spans the whole row space, so these are all 411 values, not estimates.
    const { values } = await topSingularValues(engine, gpu, { k: c.shape[0], iterations: 1 });
    const spectrum = glass<GlassSpectrum>('glass-spectrum', 'height: 260px');
    gpu.destroy();
    spectrum.values = values;
    spectrum.label = 'classifier.weight singular values';
    body.append(
      h('h3', {}, 'Histogram of classifier.weight'),
      hist,
      h(
        'p',
        { class: 'caption' },
        `${stats.count.toLocaleString()} values, mean ${stats.mean.toExponential(2)}, std ` +
          `${stats.std.toFixed(4)}, range [${stats.min.toFixed(3)}, ${stats.max.toFixed(3)}].`,
      ),
      h('h3', {}, 'Singular values of classifier.weight (411 × 1280)'),
      spectrum,
    );
    status('');
  },
};

// ---------------------------------------------------------------------------------------------
// GloVe projector.

const projectorSection: Section = {
  id: 'projector',
  title: 'GloVe word vectors, projected on the GPU',
  intro: 'The most frequent GloVe 6B words (100-d vectors) laid out in 2-D by UMAP or t-SNE ' +
    'running on the GPU; the points move as the optimizer iterates. Color: frequency rank ' +
    '(log). Search a word, click a point to see its nearest neighbours, cancel a run with ✕.',
  async run(engine, body, status) {
    const N = Math.min(10_000, Math.max(50, Number(params.get('words') ?? 2000)));
    status('Loading vectors…');
    const all = new Float32Array(
      (await fetchBytes('/data/glove/glove_10k_100d.f32')).slice(0, N * 100 * 4).buffer,
    );
    const words = (await fetchJson<string[]>('/data/glove/words.json')).slice(0, N);
    const el = glass<GlassProjector>('glass-projector', 'height: 520px');
    el.texts = words;
    el.values = Float32Array.from(words, (_, i) => Math.log10(i + 1));
    el.label = `GloVe: ${N} words`;
    let controller: AbortController | null = null;
    el.addEventListener('glass-cancel', () => controller?.abort(new Error('cancelled')));
    const x = tensor(engine, all, [N, 100]);
    const project = async (method: string) => {
      controller = new AbortController();
      const signal = controller.signal;
      el.progress = 0;
      const started = performance.now();
      try {
        if (method === 'tsne') {
          const iterations = 500;
          const r = await tsne(engine, x, {
            iterations,
            signal,
            snapshotEvery: 10,
            onIteration: (i, positions) => {
              el.progress = (i + 1) / iterations;
              if (positions) el.positions = positions;
              status(`t-SNE: iteration ${i + 1} / ${iterations}`);
            },
          });
          el.positions = await r.embedding.readFloat32();
          r.embedding.destroy();
        } else {
          const epochs = 300;
          const r = await umap(engine, x, {
            epochs,
            signal,
            metric: 'cosine',
            onEpoch: (i, embedding) => {
              el.progress = (i + 1) / epochs;
              if (embedding) el.positions = embedding;
              status(`UMAP: epoch ${i + 1} / ${epochs}`);
            },
          });
          el.positions = await r.embedding.readFloat32();
          r.embedding.destroy();
        }
        status(
          `${method === 'tsne' ? 't-SNE' : 'UMAP'} of ${N} words in ${
            ((performance.now() - started) / 1000).toFixed(1)
          } s.`,
        );
      } catch (error) {
        if (!signal.aborted) throw error;
        status('Cancelled; the layout stays where it was.');
      } finally {
        el.progress = null;
        controller = null;
      }
    };
    const first = params.get('projection') === 'tsne' ? 'tsne' : 'umap';
    const method = select(
      'Method',
      first === 'tsne'
        ? [['tsne', 't-SNE'], ['umap', 'UMAP']]
        : [['umap', 'UMAP'], ['tsne', 't-SNE']],
      (v) => {
        controller?.abort(new Error('restarted'));
        enqueue(() => project(v));
      },
    );
    body.append(h('div', { class: 'controls' }, method), el);
    await project(first);
  },
};

// ---------------------------------------------------------------------------------------------
// Global explanations: surrogate and probes (elements by the global-explanations issue).

async function heldOut(n: number) {
  const x = await fetchNpy('/test/fixtures/train/mnist_heldout_x.npy');
  const y = await fetchNpy('/test/fixtures/train/mnist_heldout_y.npy');
  const bytes = x.data as Uint8Array;
  const data = new Float32Array(n * 784);
  for (let i = 0; i < data.length; i++) data[i] = bytes[i] / 255;
  const labels = Array.from(y.data as ArrayLike<number | bigint>, Number).slice(0, n);
  return { input: { data, shape: [n, 1, 28, 28] }, labels };
}

const surrogateSection: Section = {
  id: 'surrogate',
  title: 'A linear surrogate of the digit CNN',
  intro: 'A multinomial logistic model distilled from the CNN’s outputs (not the labels) on ' +
    '500 held-out digits, trained on the GPU in this page. Its per-class weights are templates ' +
    'to look at; fidelity is its agreement with the CNN on the digits it did not train on.',
  async run(engine, body, status) {
    const m = await model(engine, MNIST);
    const { input, labels } = await heldOut(500);
    const s = await distill(m, input, {
      kind: 'linear',
      labels,
      onProgress: (phase, done, total) =>
        status(`${phase === 'teacher' ? 'Teacher outputs' : 'Training'}: ${done} / ${total}`),
    });
    const el = glass<GlassSurrogate>('glass-surrogate', '');
    el.label = 'Linear surrogate of the digit CNN';
    el.surrogate = s;
    el.classNames = DIGITS;
    body.append(el);
    status(
      `Fidelity ${percent(s.fidelity.agreement)} on ${s.fidelity.count} held-out digits ` +
        `(trained in ${(s.timeMs / 1000).toFixed(1)} s).`,
    );
  },
};

/** Where the probe report made at dev time lives (see `demo/data/README.md`). */
const PRECOMPUTED_PROBES = '/demo/data/probes_mnist_parity.json';

const probesSection: Section = {
  id: 'probes',
  title: 'Probes: where does the digit CNN know parity?',
  intro:
    'A linear probe per layer trained to tell odd digits from even ones — a task the CNN was ' +
    'never trained for — on 500 held-out digits, with a control task (random labels per digit ' +
    'class, as Hewitt & Liang recommend) and the same probe on a randomly initialized copy of ' +
    'the CNN.',
  async run(engine, body, status) {
    const el = glass<GlassProbes>('glass-probes', 'height: 420px');
    el.label = 'Parity probe accuracy by layer of the digit CNN';
    const live = async () => {
      const m = await model(engine, MNIST);
      const random = loadModel(engine, randomizedOnnx(await fetchBytes(MNIST), 0));
      try {
        const { input, labels } = await heldOut(500);
        const report = await probeLayers(m, input, taskLabels('parity', { classes: labels }), {
          classes: labels,
          randomModel: random,
          onProgress: (phase, done, total) =>
            status(`Training probes (${phase}): ${done} / ${total}`),
        });
        el.report = report;
        status(`Probed ${report.layers.length} layers in ${(report.timeMs / 1000).toFixed(1)} s.`);
      } finally {
        random.destroy();
      }
    };
    body.append(el);
    // 21 probes (task, control task, random model) × 7 layers take minutes on a software
    // adapter: there the page shows the report computed at dev time, and offers the live run.
    if (engine.info.isFallbackAdapter) {
      const report = await fetchJson<Record<string, unknown>>(PRECOMPUTED_PROBES);
      el.report = report as unknown as GlassProbes['report'];
      const button = h('button', { type: 'button' }, 'Run live (minutes here)');
      button.addEventListener('click', () => {
        button.disabled = true;
        enqueue(live).catch((e) => status(`Failed: ${e instanceof Error ? e.message : e}`));
      });
      body.prepend(h('div', { class: 'controls' }, button));
      status(
        `This adapter (${engine.adapterName}) is a software one, so this chart is the report ` +
          `precomputed at dev time with \`glassbox probe\` (${report.adapter}, ` +
          `${((report.timeMs as number) / 1000).toFixed(0)} s) from ${PRECOMPUTED_PROBES}.`,
      );
      return;
    }
    await live();
  },
};

// ---------------------------------------------------------------------------------------------
// Live panel: draw a digit.

/**
 * MNIST-style preprocessing of a drawing (white ink on black, values in [0, 1]): the ink's
 * bounding box scaled to fit 20×20 (aspect kept, antialiased), placed in 28×28 with its centre of
 * mass at the centre. Returns null for an empty drawing.
 */
export function mnistFromCanvas(source: HTMLCanvasElement): Float32Array | null {
  const { width, height } = source;
  const pixels = source.getContext('2d')!.getImageData(0, 0, width, height).data;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[(y * width + x) * 4] > 12) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale)), hh = Math.max(1, Math.round(bh * scale));
  const box = document.createElement('canvas');
  box.width = w;
  box.height = hh;
  const ctx = box.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, x0, y0, bw, bh, 0, 0, w, hh);
  const small = ctx.getImageData(0, 0, w, hh).data;
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < hh; y++) {
    for (let x = 0; x < w; x++) {
      const v = small[(y * w + x) * 4] / 255;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  // Pixel centres: the box's centre of mass (+0.5) lands on the image's centre (14).
  const ox = Math.round(14 - (mx / mass + 0.5)), oy = Math.round(14 - (my / mass + 0.5));
  const out = new Float32Array(28 * 28);
  for (let y = 0; y < hh; y++) {
    for (let x = 0; x < w; x++) {
      const tx = x + ox, ty = y + oy;
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) {
        out[ty * 28 + tx] = small[(y * w + x) * 4] / 255;
      }
    }
  }
  return out;
}

const liveSection: Section = {
  id: 'live',
  title: 'Live: draw a digit',
  intro: 'Draw a digit with the mouse, a pen or a finger. The drawing is reduced like MNIST ' +
    '(fit into 20×20, centre of mass at the centre of 28×28), and the CNN’s prediction and ' +
    'saliency map update as you draw.',
  async run(engine, body, status) {
    const m = await model(engine, MNIST);
    const pad = h('canvas', { width: 280, height: 280, class: 'pad' });
    pad.setAttribute('aria-label', 'Drawing pad: draw a digit');
    const ctx = pad.getContext('2d', { willReadFrequently: true })!;
    const clear = () => {
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, pad.width, pad.height);
    };
    clear();
    const el = glass<GlassSaliency>('glass-saliency', 'width: 300px');
    el.label = 'Saliency of the drawn digit';
    const bars = h('div', { class: 'bars' });
    let method: ExplainOptions['method'] = 'integrated-gradients';
    const draw = (probabilities: Float32Array | null) => {
      bars.replaceChildren(
        ...DIGITS.map((d, k) => {
          const p = probabilities?.[k] ?? 0;
          const best = probabilities !== null && k === argmax(probabilities);
          return h(
            'div',
            { class: best ? 'bar best' : 'bar' },
            h('span', {}, d),
            h('span', { class: 'fill', style: `width: ${(100 * p).toFixed(1)}%` }),
            h('span', { class: 'value' }, probabilities ? percent(p) : ''),
          );
        }),
      );
    };
    draw(null);
    let busy = false, again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = async () => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        const x = mnistFromCanvas(pad);
        if (!x) {
          draw(null);
          el.maps = null;
          el.image = null;
          status('Draw a digit.');
          return;
        }
        const t0 = performance.now();
        const options: ExplainOptions = method === 'integrated-gradients'
          ? { method, steps: 16 }
          : method === 'smoothgrad'
          ? { method, samples: 16 }
          : { method };
        // Not queued behind the other sections: the drawing answers at once.
        const e = await explain(m, { data: x, shape: [1, 1, 28, 28] }, options);
        const map = await e.attribution.readFloat32();
        e.attribution.destroy();
        const p = e.probabilities[0];
        draw(p);
        el.image = { data: x, shape: [28, 28] };
        el.attribution = map;
        el.shape = [28, 28];
        status(
          `Predicted ${argmax(p)} (${percent(p[argmax(p)])}) in ${
            (performance.now() - t0).toFixed(0)
          } ms.`,
        );
      } finally {
        busy = false;
        if (again) {
          again = false;
          update();
        }
      }
    };
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(update, 120);
    };
    let last: [number, number] | null = null;
    const at = (e: PointerEvent): [number, number] => {
      const r = pad.getBoundingClientRect();
      return [
        (e.clientX - r.left) * pad.width / r.width,
        (e.clientY - r.top) * pad.height / r.height,
      ];
    };
    pad.addEventListener('pointerdown', (e) => {
      pad.setPointerCapture(e.pointerId);
      last = at(e);
      ctx.fillStyle = '#fff';
      ctx.beginPath();
      ctx.arc(last[0], last[1], 10, 0, 2 * Math.PI);
      ctx.fill();
      schedule();
    });
    pad.addEventListener('pointermove', (e) => {
      if (!last) return;
      const p = at(e);
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 20;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      last = p;
      schedule();
    });
    const end = () => {
      last = null;
    };
    pad.addEventListener('pointerup', end);
    pad.addEventListener('pointercancel', end);
    const clearButton = h('button', { type: 'button' }, 'Clear');
    clearButton.addEventListener('click', () => {
      clear();
      schedule();
    });
    body.append(
      h(
        'div',
        { class: 'controls' },
        clearButton,
        select('Method', [
          ['integrated-gradients', 'Integrated gradients (16 steps)'],
          ['gradient', 'Gradient'],
          ['smoothgrad', 'SmoothGrad (16 samples)'],
          ['lrp', 'LRP-ε'],
          ['grad-cam', 'Grad-CAM'],
        ], (v) => {
          method = v as ExplainOptions['method'];
          schedule();
        }),
      ),
      h('div', { class: 'live' }, pad, bars, el),
    );
    status('Draw a digit.');
  },
};

// ---------------------------------------------------------------------------------------------

const SECTIONS: Section[] = [
  liveSection,
  saliencySection(
    'saliency-mnist',
    'Saliency: MNIST digits',
    '/models/mnist_cnn.onnx',
    '/models/data/mnist_test_x.npy',
    '/models/data/mnist_test_y.npy',
    DIGITS,
    [0, 1, 2, 3, 4, 5],
  ),
  saliencySection(
    'saliency-fashion',
    'Saliency: Fashion-MNIST',
    FASHION,
    '/models/data/fashion_test_x.npy',
    '/models/data/fashion_test_y.npy',
    FASHION_CLASSES,
    [0, 1, 2, 3, 4, 5],
  ),
  tokensSection,
  attentionSection,
  activationsSection,
  graphSection,
  weightsSection,
  projectorSection,
  surrogateSection,
  probesSection,
];

async function main(): Promise<void> {
  const adapterLine = document.getElementById('adapter')!;
  const nav = document.getElementById('toc')!;
  for (const s of SECTIONS) nav.append(h('li', {}, h('a', { href: `#${s.id}` }, s.title)));
  let engine: Engine | null = null;
  let reason = '';
  try {
    engine = await createEngine();
    const fallback = engine.info?.isFallbackAdapter ? ' (a software adapter: expect minutes)' : '';
    adapterLine.textContent = `WebGPU adapter: ${engine.adapterName}${fallback}.`;
  } catch (error) {
    reason = 'Not computed: this browser gives the page no WebGPU device ' +
      `(${error instanceof Error ? error.message : error}).`;
    adapterLine.textContent = 'This gallery computes every view with WebGPU, which this browser ' +
      'does not provide. Use Chrome or Edge 113+, Safari 26+, or Firefox 141+ on Windows; on ' +
      `Linux start Chromium with --enable-unsafe-webgpu. (${
        error instanceof Error ? error.message : error
      })`;
    adapterLine.className = 'bad';
  }
  for (const s of SECTIONS) mountSection(s, engine, reason);
  document.body.dataset.ready = 'true';
}

main();
