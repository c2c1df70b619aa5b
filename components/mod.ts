/**
 * The glassbox web components: importing this module registers every `glass-*` element.
 *
 * | element | shows |
 * |---|---|
 * | `<glass-saliency>` | an image with an attribution overlay, legend, deletion/insertion curve |
 * | `<glass-tokens>` | text with per-token attribution backgrounds |
 * | `<glass-attention>` | attention weights as a matrix and token-to-token lines |
 * | `<glass-activations>` | a layer's feature maps as a grid |
 * | `<glass-graph>` | a model's structure as a layered DAG, repeated blocks collapsed |
 * | `<glass-weights>` | a weight tensor as a heatmap, filter grid or bars, with statistics |
 * | `<glass-histogram>` | a histogram (counts and edges), linear or log |
 * | `<glass-spectrum>` | singular values with stable and effective rank |
 * | `<glass-projector>` | a 2-D scatter of embeddings, up to millions of points |
 * | `<glass-surrogate>` | a distilled surrogate: fidelity, templates or coefficients, tree rules |
 * | `<glass-probes>` | probe accuracy by layer with random-model and control-task baselines |
 *
 * @example
 * ```html
 * <glass-projector style="height: 400px"></glass-projector>
 * <script type="module">
 *   import './components/mod.ts';
 *   document.querySelector('glass-projector').positions = new Float32Array([0, 0, 1, 1]);
 * </script>
 * ```
 *
 * @module
 */

export * from './saliency.ts';
export * from './tokens.ts';
export * from './attention.ts';
export * from './activations.ts';
export * from './graph.ts';
export * from './weights.ts';
export * from './histogram.ts';
export * from './spectrum.ts';
export * from './projector.ts';
export * from './surrogate.ts';
export * from './probes.ts';
