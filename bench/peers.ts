// Peer libraries for the browser benchmarks, bundled by bench/wtr.config.mjs with esbuild into
// bench/dist/peers.js (they ship CommonJS parts that the test server cannot serve as modules).
import '@tensorflow/tfjs-backend-webgpu';

export * as tf from '@tensorflow/tfjs';
export { EVD, Matrix } from 'ml-matrix';
export { UMAP } from 'umap-js';
export * as jax from '@jax-js/jax';
