/**
 * One way to declare tests for both runners: under Deno it registers `Deno.test`, in the browser
 * (web-test-runner's mocha) `it`. GPU tests get a shared engine per module and run inside
 * `validation` and `out-of-memory` error scopes: any WebGPU error the test caused fails it.
 *
 * @module
 */

import { type AcquiredDevice, describeAdapter, requestDevice } from '../src/gpu/device.ts';
import { createEngine, type Engine, type EngineOptions } from '../src/gpu/engine.ts';

/**
 * The browser runner's limit on one test, in ms. It is there to end a hang, not to time the
 * tests: each is sized to take seconds on the 2-core CI machine, and the slowest under the default
 * took 92 s there under heavy load before the text-model cases were cut down (about 60 s after),
 * so 5 minutes leaves a machine 4× slower than that, and more, room to pass. Deno has no limit.
 */
export const TEST_TIMEOUT_MS = 300_000;

/** Options of a test. */
export interface TestOptions {
  /** Skip the test, giving the reason (printed by both runners). */
  ignore?: string | false;
  /**
   * Timeout in ms for the browser runner (Deno has none): at least {@linkcode TEST_TIMEOUT_MS}
   * (a smaller value is raised to it); tests with several times the usual work set more.
   */
  timeout?: number;
}

type Mocha = {
  it: ((name: string, fn: () => Promise<void>) => { timeout(ms: number): void }) & {
    skip(name: string, fn: () => void): void;
  };
};

const deno = (globalThis as { Deno?: typeof Deno }).Deno;

/** Which runner is executing: `deno` or `browser`. */
export const RUNNER: 'deno' | 'browser' = deno ? 'deno' : 'browser';

/** Declares a test that runs in Deno and in the browser. */
export function test(name: string, fn: () => Promise<void> | void, options: TestOptions = {}) {
  const title = options.ignore ? `${name} (skipped: ${options.ignore})` : name;
  if (deno) {
    deno.test({
      name: title,
      ignore: Boolean(options.ignore),
      // Engines are shared across a module's tests; their devices outlive single tests.
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        await fn();
      },
    });
    return;
  }
  const mocha = globalThis as unknown as Mocha;
  if (options.ignore) {
    mocha.it.skip(title, () => {});
    return;
  }
  mocha.it(title, async () => {
    await fn();
  }).timeout(Math.max(options.timeout ?? 0, TEST_TIMEOUT_MS));
}

let shared: Promise<AcquiredDevice> | null = null;

/**
 * The runner's one shared device, requested on first use and destroyed when the runner unloads
 * (fewer live devices at exit: wgpu on lavapipe has been seen to abort in teardown with many).
 */
function sharedDevice(): Promise<AcquiredDevice> {
  shared ??= requestDevice().then((acquired) => {
    console.log(`[glassbox tests] ${RUNNER} on adapter: ${describeAdapter(acquired.info)}`);
    globalThis.addEventListener?.('unload', () => acquired.device.destroy());
    return acquired;
  });
  return shared;
}

/**
 * An engine for the tests of one module, made on first use, on the runner's shared device.
 * Engines differ only in their options (e.g. a low `maxWorkgroupsPerDimension` to force
 * folding). Tests that destroy or lose a device make their own with `createEngine()`.
 */
export function sharedEngine(options: EngineOptions = {}): () => Promise<Engine> {
  let engine: Promise<Engine> | null = null;
  return () => {
    engine ??= sharedDevice().then(({ adapter, device }) =>
      createEngine({ ...options, adapter, device })
    );
    return engine;
  };
}

/**
 * Declares a GPU test: `fn` gets the module's shared engine (made with `options.engine`), and
 * fails if WebGPU reported a validation or out-of-memory error while it ran.
 */
export function testGpu(
  name: string,
  getEngine: () => Promise<Engine>,
  fn: (engine: Engine) => Promise<void>,
  options: TestOptions = {},
): void {
  test(name, async () => {
    const engine = await getEngine();
    engine.device.pushErrorScope('out-of-memory');
    engine.device.pushErrorScope('validation');
    let failure: unknown = null;
    try {
      await fn(engine);
      engine.flush();
    } catch (error) {
      failure = error;
    }
    const validation = await engine.device.popErrorScope();
    const memory = await engine.device.popErrorScope();
    if (failure) throw failure;
    if (validation) {
      throw new Error(`WebGPU validation error during the test: ${validation.message}`);
    }
    if (memory) throw new Error(`WebGPU out-of-memory error during the test: ${memory.message}`);
  }, options);
}
