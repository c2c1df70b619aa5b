/**
 * One way to declare tests for both runners: under Deno it registers `Deno.test`, in the browser
 * (web-test-runner's mocha) `it`. GPU tests get a shared engine per module and run inside
 * `validation` and `out-of-memory` error scopes: any WebGPU error the test caused fails it.
 *
 * @module
 */

import { createEngine, type Engine, type EngineOptions } from '../src/gpu/engine.ts';

/** Options of a test. */
export interface TestOptions {
  /** Skip the test, giving the reason (printed by both runners). */
  ignore?: string | false;
  /** Timeout in ms for the browser runner (Deno has none). Default 120 s. */
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
  }).timeout(options.timeout ?? 120_000);
}

let logged = false;

/**
 * An engine for the tests of one module, made on first use. Logs the adapter once per runner.
 */
export function sharedEngine(options: EngineOptions = {}): () => Promise<Engine> {
  let engine: Promise<Engine> | null = null;
  return () => {
    engine ??= createEngine(options).then((e) => {
      if (!logged) {
        logged = true;
        console.log(`[glassbox tests] ${RUNNER} on adapter: ${e.adapterName}`);
      }
      return e;
    });
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
