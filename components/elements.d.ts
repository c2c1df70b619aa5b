/**
 * The `glass-*` tags in `HTMLElementTagNameMap`, so `document.createElement('glass-graph')` and
 * `querySelector('glass-graph')` are typed as the element classes.
 *
 * Kept out of the element modules: JSR refuses global augmentations in a published module graph
 * (`unsupported-global-module`), so no module imports this file. Type checking here sees it
 * through `compilerOptions.types` in deno.json (and `include` in tsconfig.json); the npm build
 * ships it beside the generated declarations and references it from every element's `.d.ts`.
 *
 * @module
 */

import type { GlassActivations } from './activations.ts';
import type { GlassAttention } from './attention.ts';
import type { GlassGraph } from './graph.ts';
import type { GlassHistogram } from './histogram.ts';
import type { GlassProbes } from './probes.ts';
import type { GlassProjector } from './projector.ts';
import type { GlassSaliency } from './saliency.ts';
import type { GlassSpectrum } from './spectrum.ts';
import type { GlassSurrogate } from './surrogate.ts';
import type { GlassTokens } from './tokens.ts';
import type { GlassWeights } from './weights.ts';

declare global {
  interface HTMLElementTagNameMap {
    'glass-activations': GlassActivations;
    'glass-attention': GlassAttention;
    'glass-graph': GlassGraph;
    'glass-histogram': GlassHistogram;
    'glass-probes': GlassProbes;
    'glass-projector': GlassProjector;
    'glass-saliency': GlassSaliency;
    'glass-spectrum': GlassSpectrum;
    'glass-surrogate': GlassSurrogate;
    'glass-tokens': GlassTokens;
    'glass-weights': GlassWeights;
  }
}
