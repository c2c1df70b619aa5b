/**
 * Checks whose outcome only the GPU knows — indices a model computes or a caller passes as a
 * GPU tensor, int64 results — reported without a readback of their own.
 *
 * A check kernel (`shaders/nn/index_check.wgsl`, `shaders/nn/binary_overflow.wgsl`) records the
 * first failure into a small flag buffer that all checks of an engine share:
 * `[hits, check, position, value, aux, 0, 0, 0]` (u32 words; `check` is the id
 * {@linkcode deferCheck} gave, `value` and `aux` i32 bits). Nothing waits for it. The next
 * readback the caller makes anyway (`Tensor.read`, `Engine.read`, `Engine.sync`) copies the flag
 * out, clears it, and maps the copy beside its own data — in flight together, so a run with
 * nothing wrong costs one extra 32-byte copy and map but no extra round trip — and rejects with
 * the error the failed check describes (an `IndexError`, an `IntegerOverflowError`) instead of
 * returning the data. Work recorded before that readback is covered, whichever tensor is read;
 * the first failure in recording order is the one reported, once, as with the engine's
 * debug-mode errors. The tensors of the faulty work hold what the kernels leave (gathers clamp,
 * scatters skip an update): a caller that catches the error and reads them again gets that.
 *
 * The hook: the engine has no extension point for this yet, so the first check on an engine
 * wraps that engine object's `read` and `sync` (once; the class is untouched). Moving
 * {@linkcode takeChecks} into `Engine.read` and `Engine.sync` would make the wrapper
 * unnecessary.
 *
 * @module
 */

import type { Engine } from '../gpu/engine.ts';
import type { GlassboxError } from '../gpu/errors.ts';

/** Words in the flag buffer (32 bytes). */
export const FLAG_WORDS = 8;

/** What a check kernel recorded about its first failure. */
export interface CheckFailure {
  /** Flat element index where it failed (of the indices, of the output). */
  position: number;
  /** The offending value (an index, the left operand). */
  value: number;
  /** A second value when the kernel records one (the right operand), else 0. */
  aux: number;
}

/** Turns a failure into the error the readback rejects with. */
export type CheckReport = (failure: CheckFailure) => GlassboxError;

interface CheckState {
  flag: GPUBuffer;
  reports: CheckReport[];
}

const STATES = new WeakMap<Engine, CheckState>();

/** A flag copy in flight: resolves to the failure it holds, or null. */
interface TakenChecks {
  failure(): Promise<GlassboxError | null>;
  discard(): Promise<void>;
}

function stateOf(engine: Engine): CheckState {
  const existing = STATES.get(engine);
  if (existing) return existing;
  engine.assertAlive('record a check');
  // Not through engine.createBuffer: its usage equals a tensor's, and it is no tensor (the
  // engine counts tensor buffers). It lives as long as the device.
  const flag = engine.device.createBuffer({
    label: 'glassbox.checks',
    size: FLAG_WORDS * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const created: CheckState = { flag, reports: [] };
  STATES.set(engine, created);
  const read = engine.read.bind(engine);
  const sync = engine.sync.bind(engine);
  engine.read = (source, byteLength) => {
    const taken = takeChecks(engine);
    return settle(taken, read(source, byteLength));
  };
  engine.sync = () => {
    const taken = takeChecks(engine);
    return settle(taken, sync());
  };
  return created;
}

/**
 * Registers a check that a kernel is about to record: returns the flag buffer to bind
 * (read_write, `array<atomic<u32>>`) and the id the kernel writes with a failure. `report`
 * builds the error from what the kernel recorded.
 */
export function deferCheck(engine: Engine, report: CheckReport): { flag: GPUBuffer; id: number } {
  const state = stateOf(engine);
  state.reports.push(report);
  return { flag: state.flag, id: state.reports.length - 1 };
}

/** How many checks are recorded and not yet resolved by a readback (for tests). */
export function pendingChecks(engine: Engine): number {
  return STATES.get(engine)?.reports.length ?? 0;
}

/**
 * Starts resolving the pending checks: records a copy of the flag (then clears it), submits,
 * and maps the copy. Null when there is nothing to check. The readback hooks call it before
 * their own work, so that both maps are in flight together.
 */
export function takeChecks(engine: Engine): TakenChecks | null {
  const state = STATES.get(engine);
  if (!state || state.reports.length === 0 || engine.isLost) return null;
  const reports = state.reports;
  state.reports = [];
  const bytes = FLAG_WORDS * 4;
  const staging = engine.createBuffer(
    'glassbox.checks.staging',
    bytes,
    GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  );
  const encoder = engine.encoder();
  encoder.copyBufferToBuffer(state.flag, 0, staging, 0, bytes);
  encoder.clearBuffer(state.flag);
  engine.flush();
  const mapped = staging.mapAsync(GPUMapMode.READ);
  // Awaited later (or discarded); a rejection must not go unhandled meanwhile.
  mapped.catch(() => {});
  return {
    async failure() {
      let words: Uint32Array;
      try {
        await mapped;
        // A device lost meanwhile fails getMappedRange/unmap (OperationError): report the loss.
        engine.assertAlive('read the checks');
        words = new Uint32Array(staging.getMappedRange(0, bytes).slice(0));
        staging.unmap();
      } catch (cause) {
        throw await engine.asDeviceLoss('read the checks', cause);
      } finally {
        staging.destroy();
      }
      if (words[0] === 0) return null;
      const report = reports[words[1]];
      const failure = { position: words[2], value: words[3] | 0, aux: words[4] | 0 };
      return report ? report(failure) : null;
    },
    async discard() {
      await mapped.catch(() => {});
      staging.destroy();
    },
  };
}

/**
 * Awaits `work` (a readback), then the checks taken before it: rejects with a failed check's
 * error, else returns the work's result. An error of the work itself (device lost, debug-mode
 * validation) wins.
 */
async function settle<T>(taken: TakenChecks | null, work: Promise<T>): Promise<T> {
  if (!taken) return await work;
  let result: T;
  try {
    result = await work;
  } catch (error) {
    await taken.discard();
    throw error;
  }
  const failure = await taken.failure();
  if (failure) throw failure;
  return result;
}

/**
 * Resolves the pending checks now (one small readback): rejects with the first failure. The
 * readbacks do this on their own; call it to learn of a failure without reading a result.
 */
export async function resolveChecks(engine: Engine): Promise<void> {
  const failure = await takeChecks(engine)?.failure();
  if (failure) throw failure;
}
