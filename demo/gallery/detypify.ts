/**
 * detypify-service's symbol classifier: its graph, weights, histogram and spectrum.
 *
 * @module
 */

import type {
  GlassGraph,
  GlassHistogram,
  GlassSpectrum,
  GlassWeights,
  GraphSelectDetail,
} from '../../components/mod.ts';
import { modelStructure, tensor, tensorStats, topSingularValues } from '../../src/mod.ts';
import type { Section } from './section.ts';
import { DETYPIFY, glass, h, model } from './dom.ts';

const NO_SELECTION = 'Click a node for its details.';

/**
 * The caption for a `glass-select` of the graph: "name: Op, N parameters", or the hint when the
 * selection was cleared (a click on empty space gives `{name: null}`).
 */
export function describeSelection(d: GraphSelectDetail | null | undefined): string {
  if (!d || d.name === null || d.name === undefined) return NO_SELECTION;
  const params = d.params ? `, ${Number(d.params).toLocaleString()} parameters` : '';
  return `${d.name}${d.op ? `: ${d.op}` : ''}${params}`;
}

const PREFIX = 'model_opt._orig_mod.';

export const graphSection: Section = {
  id: 'graph',
  title: 'Graph of detypify’s symbol classifier',
  intro: 'The structure of the ONNX CNN that ships with the npm package detypify-service ' +
    '(1.15 M parameters, 411 handwritten symbols): nodes colored by operator, with output shapes ' +
    'and parameter counts. Drag to pan, wheel to zoom, click a node to select it.',
  async run({ engine, body, status }) {
    status('Loading the model…');
    const m = await model(engine, DETYPIFY);
    const s = modelStructure(m);
    const el = glass<GlassGraph>('glass-graph', 'height: 700px');
    const detail = h('p', { class: 'caption' }, NO_SELECTION);
    el.addEventListener('glass-select', (e) => {
      detail.textContent = describeSelection((e as CustomEvent<GraphSelectDetail | null>).detail);
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

export const weightsSection: Section = {
  id: 'weights',
  title: 'Weights of detypify’s symbol classifier',
  intro: 'Weight tensors of the same model: a block’s 32 × 16 convolution filters (3×3) as a ' +
    'grid (rows: output channels), the 411 × 1280 classifier matrix as a zoomable heatmap (wheel ' +
    'to zoom, drag to pan; colors clipped at ±3σ) and its bias as bars; then the histogram of ' +
    'the classifier weights (computed on the GPU) and its singular values.',
  async run({ engine, body, status }) {
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
