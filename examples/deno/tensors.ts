/**
 * The engine core: tensors on the GPU, kernels recorded into one command encoder, one readback.
 *
 * ```sh
 * deno run --allow-read --allow-env tensors.ts
 * ```
 *
 * @module
 */
import { createEngine, matmul, softmax, tensor } from 'glassbox';

using engine = await createEngine(); // WebGpuUnavailableError says how to fix a missing GPU
using x = tensor(engine, [1, 2, 3, 4], [2, 2]);
using w = tensor(engine, [0.5, -1, 2, 0], [2, 2]);
using logits = matmul(engine, x, w); // recorded, not yet run
using p = softmax(engine, logits);
console.log(await p.read()); // one submission, one readback
