/**
 * The side panel of the selected node: its operator, attributes and tensors; each constant float
 * input (weight) as `<glass-weights>` with its statistics, histogram and, for 2-D and larger
 * weights, singular values; and, for the current input, the node's output activations and the
 * size of the gradient of the top class score flowing through it.
 *
 * GPU work goes through `session.queue` at priority `interactive`, keyed `node-panel:weights`
 * and `node-panel:activations` (a newer selection or input cancels the stale job); results for
 * an input that is no longer current, or a node no longer selected, are dropped.
 *
 * @module
 */

import '../../components/weights.ts';
import '../../components/histogram.ts';
import '../../components/spectrum.ts';
import '../../components/activations.ts';
import type { GlassWeights } from '../../components/weights.ts';
import type { GlassHistogram } from '../../components/histogram.ts';
import type { GlassSpectrum } from '../../components/spectrum.ts';
import type { GlassActivations } from '../../components/activations.ts';
import {
  backward,
  type CpuTensor,
  type Engine,
  MAX_FULL_SPECTRUM_SIDE,
  type Model,
  type NodeStructure,
  run,
  singularValues,
  type Tensor,
  tensor,
  type TensorStatistics,
  tensorStats,
  tensorStatsReference,
  topSingularValues,
} from '../../src/mod.ts';
import { isFloat } from '../../src/graph/ir.ts';
import type { ExplorerInput, OpenedModel, Session } from './session.ts';
import { drawnStructure } from './open.ts';
import { exportable } from './export.ts';
import { el as h } from './dom.ts';

const CSS = `
.glass-node { display: grid; gap: 8px; }
.glass-node h3 { margin: 4px 0 0; font-size: 1.05rem; }
.glass-node h4 { margin: 6px 0 2px; font-size: 0.95rem; }
.glass-node table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.glass-node th, .glass-node td { text-align: left; padding: 1px 10px 1px 0; vertical-align: top; }
.glass-node figure { margin: 0; display: grid; gap: 4px; }
.glass-node glass-weights { height: 220px; }
.glass-node glass-histogram { height: 120px; }
.glass-node glass-spectrum { height: 140px; }
.glass-node dl.stats { display: flex; flex-wrap: wrap; gap: 2px 12px; margin: 0; }
.glass-node dl.stats div { display: flex; gap: 4px; }
.glass-node dl.stats dt { opacity: 0.7; }
.glass-node dl.stats dd { margin: 0; font-variant-numeric: tabular-nums; }
.glass-node .note { margin: 0; opacity: 0.8; }
.glass-node [role=alert] { color: #b00020; margin: 0; }
`;

const num = (x: number) =>
  Number.isFinite(x)
    ? (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3)
      ? x.toExponential(3)
      : Number(x.toPrecision(4)).toString())
    : String(x);

const shapeText = (s: readonly number[] | null | undefined) => s ? `[${s.join('×')}]` : 'unknown';

/** The weight (constant) tensors a node reads: initializers and Constant node values, by name. */
export function nodeWeights(opened: OpenedModel, node: Pick<NodeStructure, 'inputs'>) {
  const out: { name: string; tensor: CpuTensor; initializer: boolean }[] = [];
  const g = opened.ir.graph;
  for (const name of node.inputs) {
    if (!name) continue;
    const init = g.initializers.get(name);
    if (init) {
      out.push({ name, tensor: init, initializer: true });
      continue;
    }
    const c = g.nodes.find((n) => n.op === 'Constant' && n.outputs[0] === name);
    const v = c?.attributes.value;
    if (v && typeof v === 'object' && 'data' in v) {
      out.push({ name, tensor: v as CpuTensor, initializer: false });
    }
  }
  return out.filter((w) => isFloat(w.tensor.dtype) && w.tensor.data.length > 0);
}

/** The statistics list shown beside a weight or an activation. */
function statsList(s: TensorStatistics, extra: [string, string][] = []): HTMLElement {
  const rms = s.count ? s.l2 / Math.sqrt(s.count) : 0;
  const items: [string, string][] = [
    ['values', s.count.toLocaleString('en')],
    ['mean', num(s.mean)],
    ['std', num(s.std)],
    ['min', num(s.min)],
    ['max', num(s.max)],
    ['RMS', num(rms)],
    ['‖·‖₂', num(s.l2)],
    ['zeros', `${(100 * s.sparsity).toFixed(1)}%`],
    ['NaN', String(s.nan)],
    ['±Inf', String(s.posInf + s.negInf)],
    ...extra,
  ];
  return h(
    'dl',
    { class: 'stats' },
    ...items.map(([k, v]) => h('div', { 'data-stat': k }, h('dt', {}, k), h('dd', {}, v))),
  );
}

function histogramOf(s: TensorStatistics, label: string): GlassHistogram {
  const el = document.createElement('glass-histogram') as GlassHistogram;
  const { lo, hi, counts } = s.histogram;
  const edges = new Float64Array(counts.length + 1);
  for (let i = 0; i <= counts.length; i++) edges[i] = lo + (hi - lo) * i / counts.length;
  // A constant tensor has lo = hi: widen by a hair so that the edges increase.
  if (!(hi > lo)) {
    for (let i = 0; i <= counts.length; i++) {
      edges[i] = lo - 0.5 + i / counts.length;
    }
  }
  el.counts = counts;
  el.edges = edges;
  el.label = label;
  el.log = true;
  return el;
}

/** [rows, columns] a weight is read as for its spectrum: axis 0 against the rest. */
function matrixShape(shape: readonly number[]): [number, number] {
  return [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];
}

async function weightStatistics(
  engine: Engine,
  model: Model | null,
  w: { name: string; tensor: CpuTensor; initializer: boolean },
  signal: AbortSignal,
): Promise<{ stats: TensorStatistics; spectrum: Float64Array | null; partial: boolean }> {
  const owned: Tensor[] = [];
  try {
    const t = model && w.initializer
      ? model.initializerTensor(w.name)
      : (owned[owned.length] = tensor(engine, Float32Array.from(w.tensor.data), w.tensor.shape, {
        label: `node-panel.${w.name}`,
      }));
    const stats = await tensorStats(engine, t, { bins: 48 });
    signal.throwIfAborted();
    let spectrum: Float64Array | null = null;
    let partial = false;
    if (w.tensor.shape.length >= 2) {
      const [m, n] = matrixShape(w.tensor.shape);
      if (Math.min(m, n) >= 2 && stats.finite === stats.count) {
        const a = owned[owned.length] = t.reshape([m, n]);
        if (m <= MAX_FULL_SPECTRUM_SIDE && n <= MAX_FULL_SPECTRUM_SIDE) {
          spectrum = await singularValues(engine, a);
        } else {
          spectrum = (await topSingularValues(engine, a, { k: Math.min(64, m, n) })).values;
          partial = true;
        }
      }
    }
    return { stats, spectrum, partial };
  } finally {
    for (const t of owned) t.destroy();
  }
}

/** Index of the largest finite value of `row`. */
function argmax(row: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < row.length; i++) {
    if (Number.isFinite(row[i]) && (best < 0 || row[i] > row[best])) best = i;
  }
  return best;
}

/** What the activations job finds for one node and input. */
export interface NodeActivations {
  /** The node's first output name and shape. */
  output: string;
  shape: number[];
  /** First example's values of the output. */
  values: Float32Array;
  stats: TensorStatistics;
  /** The top class of the model's first output for the first example, and its score. */
  top: { index: number; score: number };
  /** d(top score)/d(output) for the first example: L2 norm and mean |g|; or why there is none. */
  gradient: { l2: number; meanAbs: number; values: Float32Array } | { problem: string };
}

/**
 * Runs the model on the input, keeping `output`, and differentiates the top class score (of the
 * model's first output, first example) with respect to it.
 */
export async function nodeActivations(
  model: Model,
  input: Pick<ExplorerInput, 'feeds'>,
  output: string,
  signal?: AbortSignal,
): Promise<NodeActivations> {
  const engine = model.engine;
  const logitsName = model.outputs[0].name;
  const isOutput = model.outputs.some((o) => o.name === output);
  const result = run(model, input.feeds, { keep: isOutput ? [] : [output] });
  const owned = [...Object.values(result.outputs), ...Object.values(result.intermediates)];
  try {
    const t = result.intermediates[output] ?? result.outputs[output];
    if (!t) {
      throw new Error(
        `${output} is a constant computed when the model was planned, so no input changes it.`,
      );
    }
    const shape = [...t.shape];
    const per = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : t.size;
    const all = await t.readFloat32();
    signal?.throwIfAborted();
    const values = shape.length > 1 ? all.slice(0, per) : all;
    const stats = tensorStatsReference(values, { bins: 48 });
    const logits = await result.outputs[logitsName].readFloat32();
    const lshape = result.outputs[logitsName].shape;
    const classes = lshape.length > 1 ? lshape.slice(1).reduce((a, b) => a * b, 1) : logits.length;
    const index = argmax(logits.subarray(0, classes));
    const top = { index, score: logits[index] };
    let gradient: NodeActivations['gradient'];
    if (t.dtype !== 'f32') {
      gradient = { problem: `${output} holds integers, which have no gradient.` };
    } else if (index < 0) {
      gradient = { problem: 'The model output has no finite score to differentiate.' };
    } else {
      signal?.throwIfAborted();
      try {
        const seed = new Float32Array(logits.length);
        seed[index] = 1;
        const { grads, values: forward } = backward(model, input.feeds, {
          wrt: [output],
          seed: () => ({
            [logitsName]: tensor(engine, seed, lshape, { label: 'node-panel.seed' }),
          }),
        });
        try {
          const g = await grads[output].readFloat32();
          const row = shape.length > 1 ? g.subarray(0, per) : g;
          let ss = 0, sa = 0;
          for (const x of row) {
            ss += x * x;
            sa += Math.abs(x);
          }
          gradient = { l2: Math.sqrt(ss), meanAbs: row.length ? sa / row.length : 0, values: row };
        } finally {
          for (const x of [...Object.values(grads), ...Object.values(forward)]) x.destroy();
        }
      } catch (error) {
        if (signal?.aborted) throw error;
        gradient = {
          problem: `No gradient reaches ${output}: ${
            (error as Error).message.replace(/^Cannot differentiate: /, '')
          }.`.replace(/\.\.$/, '.'),
        };
      }
    }
    return { output, shape, values, stats, top, gradient };
  } finally {
    for (const t of owned) t.destroy();
  }
}

/** Mounts the node panel in `host`; it follows `select`, `model` and `input` events. */
export function mountNodePanel(host: HTMLElement, session: Session): { destroy(): void } {
  const root = h('section', { class: 'glass-node', 'aria-label': 'Selected node' });
  host.append(h('style', {}, CSS), root);
  const weightsBox = h('div', { class: 'weights' });
  const activationsBox = h('div', { class: 'activations', 'aria-live': 'polite' });

  const render = () => {
    root.replaceChildren();
    weightsBox.replaceChildren();
    activationsBox.replaceChildren();
    const opened = session.opened;
    const name = session.selected;
    if (!opened || name === null) {
      root.append(h('p', { class: 'note' }, 'Select a node in the graph to see it here.'));
      return;
    }
    const node = drawnStructure(opened).nodes.find((n) => n.name === name);
    if (!node) {
      const input = opened.ir.graph.inputs.find((v) => v.name === name);
      root.append(
        h('h3', {}, input ? `Model input ${name}` : name),
        h(
          'p',
          { class: 'note' },
          input
            ? `${input.dtype ?? 'unknown type'} [${
              (input.shape ?? []).map((d) => d ?? '?')
                .join('×')
            }]: what the model is given.`
            : `The model has no node named ${name}.`,
        ),
      );
      return;
    }
    root.append(h('h3', {}, h('code', {}, node.op), ' ', node.name));
    if (node.folded) {
      root.append(h(
        'p',
        { class: 'note' },
        'Computed once when the model was planned (it depends on constants only).',
      ));
    }
    const attrs = Object.entries(node.attributes);
    root.append(
      h('h4', {}, 'Attributes'),
      attrs.length
        ? h(
          'table',
          { class: 'attributes' },
          ...attrs.map(([k, v]) =>
            h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, JSON.stringify(v)))
          ),
        )
        : h('p', { class: 'note' }, 'None.'),
    );
    const weights = nodeWeights(opened, node);
    const weightNames = new Set(weights.map((w) => w.name));
    root.append(
      h('h4', {}, 'Tensors'),
      h(
        'table',
        { class: 'tensors' },
        h('tr', {}, ...['', 'name', 'shape', 'kind'].map((c) => h('th', { scope: 'col' }, c))),
        ...node.inputs.filter(Boolean).map((t) =>
          h(
            'tr',
            {},
            h('td', {}, 'in'),
            h('td', {}, t),
            h('td', {}, shapeText(node.shapes[t])),
            h(
              'td',
              {},
              weightNames.has(t)
                ? 'weight'
                : opened.ir.graph.initializers.has(t)
                ? 'constant'
                : opened.ir.graph.inputs.some((v) => v.name === t)
                ? 'model input'
                : 'computed',
            ),
          )
        ),
        ...node.outputs.filter(Boolean).map((t) =>
          h(
            'tr',
            {},
            h('td', {}, 'out'),
            h('td', {}, t),
            h('td', {}, shapeText(node.shapes[t])),
            h('td', {}, opened.ir.graph.outputs.some((o) => o.name === t) ? 'model output' : ''),
          )
        ),
      ),
    );
    root.append(h('h4', {}, `Weights (${weights.length})`), weightsBox);
    if (weights.length === 0) weightsBox.append(h('p', { class: 'note' }, 'None.'));
    else showWeights(opened, name, weights);
    root.append(h('h4', {}, 'Activations and gradient'), activationsBox);
    showActivations(opened, node);
  };

  const showWeights = (
    opened: OpenedModel,
    name: string,
    weights: ReturnType<typeof nodeWeights>,
  ) => {
    const slots = weights.map((w) => {
      const el = document.createElement('glass-weights') as GlassWeights;
      el.name = w.name;
      el.shape = [...w.tensor.shape];
      el.data = Float32Array.from(w.tensor.data);
      const stats = h('div', { class: 'weight-stats' }, h('p', { class: 'note' }, 'Statistics…'));
      const fig = h(
        'figure',
        { class: 'weight', 'data-name': w.name },
        h('figcaption', {}, `${w.name} ${shapeText(w.tensor.shape)} ${w.tensor.dtype}`),
        exportable(el, `weights ${w.name}`),
        stats,
      );
      weightsBox.append(fig);
      return { w, stats };
    });
    const engine = session.engine;
    if (!engine) {
      for (const { w, stats } of slots) {
        const s = tensorStatsReference(w.tensor.data, { bins: 48 });
        stats.replaceChildren(
          statsList(s),
          exportable(histogramOf(s, `Values of ${w.name}`), `histogram ${w.name}`),
          h('p', { class: 'note' }, 'Singular values need WebGPU, which this page does not have.'),
        );
      }
      return;
    }
    const job = session.queue.submit(`Weights of ${name}`, async ({ signal, progress }) => {
      const out = [];
      for (let i = 0; i < slots.length; i++) {
        signal.throwIfAborted();
        out.push(await weightStatistics(engine, opened.model, slots[i].w, signal));
        progress(i + 1, slots.length);
      }
      return out;
    }, { priority: 'interactive', key: 'node-panel:weights' });
    job.promise.then((results) => {
      if (session.opened !== opened || session.selected !== name) return;
      results.forEach(({ stats: s, spectrum, partial }, i) => {
        const { w, stats } = slots[i];
        const parts: Node[] = [
          statsList(s),
          exportable(histogramOf(s, `Values of ${w.name}`), `histogram ${w.name}`),
        ];
        if (spectrum) {
          const sp = document.createElement('glass-spectrum') as GlassSpectrum;
          sp.values = spectrum;
          const [m, n] = matrixShape(w.tensor.shape);
          sp.label = `Singular values of ${w.name} as ${m}×${n}`;
          parts.push(
            h(
              'p',
              { class: 'note' },
              `Singular values of ${w.name} read as a ${m}×${n} matrix` +
                (partial ? ` (the largest ${spectrum.length})` : '') +
                `: σ₁ = ${num(spectrum[0])}.`,
            ),
            exportable(sp, `spectrum ${w.name}`),
          );
        }
        stats.replaceChildren(...parts);
      });
    }, (error) => {
      if ((error as Error)?.name === 'AbortError' || session.selected !== name) return;
      for (const { stats } of slots) {
        stats.replaceChildren(
          h('p', { role: 'alert' }, `Weight statistics failed: ${(error as Error).message}`),
        );
      }
    });
  };

  const showActivations = (opened: OpenedModel, node: NodeStructure) => {
    activationsBox.replaceChildren();
    const input = session.input;
    const model = opened.model;
    const output = node.outputs.find(Boolean);
    if (!model) {
      activationsBox.append(h(
        'p',
        { class: 'note' },
        session.engine
          ? 'The model does not run here, so it has no activations.'
          : 'Activations need WebGPU, which this page does not have.',
      ));
      return;
    }
    if (!input) {
      activationsBox.append(
        h('p', { class: 'note' }, 'Give the model an input to see what this node computes.'),
      );
      return;
    }
    if (!output) return;
    const { version } = input;
    const name = node.name;
    const wait = h('p', { class: 'note' }, `Running ${input.summary}…`);
    activationsBox.append(wait);
    const job = session.queue.submit(
      `Activations of ${name}`,
      ({ signal }) => nodeActivations(model, input, output, signal),
      { priority: 'interactive', key: 'node-panel:activations' },
    );
    job.promise.then((a) => {
      if (!session.isCurrent(version) || session.selected !== name) return;
      if (session.opened !== opened) return;
      const parts: Node[] = [];
      const label = session.labels?.[a.top.index] ?? `class ${a.top.index}`;
      if (a.shape.length === 4 && a.shape[2] * a.shape[3] > 1) {
        const el = document.createElement('glass-activations') as GlassActivations;
        el.label = `Feature maps of ${a.output}`;
        el.shape = a.shape.slice(1);
        el.data = a.values;
        parts.push(
          h(
            'p',
            { class: 'note' },
            `${a.output} ${shapeText(a.shape)}: ` +
              `${a.shape[1]} feature maps of ${a.shape[2]}×${a.shape[3]} (first example).`,
          ),
          exportable(el, `activations ${a.output}`),
        );
      } else {
        parts.push(
          h(
            'p',
            { class: 'note' },
            `${a.output} ${shapeText(a.shape)}: its values for the ` +
              `first example.`,
          ),
          exportable(histogramOf(a.stats, `Values of ${a.output}`), `histogram ${a.output}`),
        );
      }
      parts.push(statsList(a.stats));
      const g = a.gradient;
      parts.push(
        'problem' in g ? h('p', { class: 'gradient note' }, g.problem) : h(
          'p',
          { class: 'gradient' },
          `Gradient of the top class score (${label}, ${num(a.top.score)}) with respect to ` +
            `${a.output}: L2 norm `,
          h('b', { 'data-value': String(g.l2) }, num(g.l2)),
          ', mean |g| ',
          h('b', { 'data-value': String(g.meanAbs) }, num(g.meanAbs)),
          '.',
        ),
      );
      activationsBox.replaceChildren(...parts);
    }, (error) => {
      if ((error as Error)?.name === 'AbortError') return;
      if (!session.isCurrent(version) || session.selected !== name) return;
      activationsBox.replaceChildren(h(
        'p',
        { role: 'alert' },
        `Running the model failed: ${(error as Error).message}`,
      ));
    });
  };

  const onInput = () => {
    const opened = session.opened;
    const name = session.selected;
    const node = opened && name !== null
      ? drawnStructure(opened).nodes.find((n) => n.name === name)
      : undefined;
    if (opened && node) showActivations(opened, node);
  };
  session.addEventListener('select', render);
  session.addEventListener('model', render);
  session.addEventListener('input', onInput);
  render();
  return {
    destroy() {
      session.removeEventListener('select', render);
      session.removeEventListener('model', render);
      session.removeEventListener('input', onInput);
      root.remove();
    },
  };
}
