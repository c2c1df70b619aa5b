/**
 * Activation capture: run a model over a dataset in batches and collect named intermediate
 * tensors (feature maps for the activations view, layer activations for projections and
 * probes), concatenated along the batch axis on the GPU.
 *
 * @module
 */

import { ArgumentError } from '../gpu/errors.ts';
import { type InputData, type Model, run } from '../onnx/model.ts';
import { concat } from '../ops/concat.ts';
import type { Tensor } from '../tensor.ts';

/** Options for {@linkcode captureActivations}. */
export interface CaptureOptions {
  /** Examples per run (default 64): bounds the memory of the intermediates. */
  batchSize?: number;
  /** Called after each batch with the number of examples done, for progress bars. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between batches; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Runs `model` on `data` (the model's first input, batch axis first) batch by batch and returns
 * the named tensors for all examples, as GPU tensors the caller owns. Graph outputs may be
 * named too.
 *
 * @throws {ArgumentError} for unknown names or a bad batch size.
 */
export async function captureActivations(
  model: Model,
  data: InputData,
  names: readonly string[],
  options: CaptureOptions = {},
): Promise<Record<string, Tensor>> {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ArgumentError(`Cannot capture activations: batchSize must be ≥ 1, got ${batchSize}`);
  }
  if (names.length === 0) throw new ArgumentError('Cannot capture activations: no tensor named');
  const total = data.shape[0];
  const per = data.shape.slice(1).reduce((a, b) => a * b, 1);
  const inputName = model.inputs[0].name;
  const outputs = new Set(model.outputs.map((o) => o.name));
  const chunks: Record<string, Tensor[]> = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let start = 0; start < total; start += batchSize) {
      if (options.signal?.aborted) throw options.signal.reason;
      const count = Math.min(batchSize, total - start);
      const slice = data.data.slice(start * per, (start + count) * per) as InputData['data'];
      const result = run(model, {
        [inputName]: { data: slice, shape: [count, ...data.shape.slice(1)] },
      }, {
        keep: names.filter((n) => !outputs.has(n)),
      });
      for (const n of names) {
        const t = outputs.has(n) ? result.outputs[n] : result.intermediates[n];
        chunks[n].push(t);
      }
      for (const [n, t] of Object.entries(result.outputs)) if (!names.includes(n)) t.destroy();
      // Let the GPU catch up between batches so progress is real and memory stays bounded.
      await model.engine.sync();
      options.onProgress?.(start + count, total);
    }
    const captured: Record<string, Tensor> = {};
    for (const n of names) {
      captured[n] = chunks[n].length === 1
        ? chunks[n][0].reshape(chunks[n][0].shape)
        : concat(model.engine, chunks[n], { axis: 0 });
    }
    return captured;
  } finally {
    for (const list of Object.values(chunks)) for (const t of list) t.destroy();
  }
}
