/**
 * Progress and cancellation for long attribution methods: work is counted in units (path
 * steps, noise samples, occlusion windows); between chunks the recorded work is submitted,
 * and when the caller listens (a progress callback or an abort signal) the CPU waits for the
 * queue — no data is read back — so progress is real and an abort stops the next chunk.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';

/** Reports progress and honours cancellation. */
export interface Progress {
  /** Marks `units` more units done; rejects with the signal's reason once aborted. */
  tick(units: number): Promise<void>;
  /** Rejects with the signal's reason if aborted. */
  check(): void;
}

/** A progress tracker over `total` units. */
export function progressTracker(
  engine: Engine,
  total: number,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
): Progress {
  let done = 0;
  const check = () => {
    if (options.signal?.aborted) {
      throw options.signal.reason ?? new DOMException('Aborted', 'AbortError');
    }
  };
  return {
    check,
    async tick(units: number) {
      done += units;
      engine.flush();
      if (options.onProgress || options.signal) {
        await engine.device.queue.onSubmittedWorkDone();
      }
      check();
      options.onProgress?.(Math.min(done, total), total);
    },
  };
}
