// Bad public inputs get typed errors whose messages say what is wrong, before any GPU work:
// a table of inputs to `run`, `explain` and `sanityCheck`, each a valid control case with one
// thing changed, against the error class and a fragment of its message. Runs in Deno and in
// the browser.

import { assert, assertEquals } from './assert.ts';
import { buildModel } from './onnx_builder.ts';
import { sharedEngine, testGpu } from './harness.ts';
import { ArgumentError, LimitExceededError, ShapeError } from '../src/gpu/errors.ts';
import { loadModel, type Model, run } from '../src/onnx/model.ts';
import { explain, type ExplainOptions } from '../src/explain/explain.ts';
import { sanityCheck } from '../src/explain/sanity.ts';
import { MAX_SAMPLES, MAX_STEPS } from '../src/explain/limits.ts';

const getEngine = sharedEngine();

/** A small image classifier: x [N, 1, 8, 8] → Conv 3×3 (2 maps) → ReLU → Gemm → 3 classes. */
function imageModel(): Uint8Array {
  const w = Array.from({ length: 18 }, (_, i) => Math.sin(i + 1) / 3);
  const fw = Array.from({ length: 3 * 72 }, (_, i) => Math.cos(i) / 10);
  return buildModel({
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
      { op: 'Relu', inputs: ['c'], outputs: ['a'] },
      { op: 'Flatten', inputs: ['a'], outputs: ['f'], ints: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'fw', 'fb'], outputs: ['y'], ints: { transB: 1 } },
    ],
    inputs: [{ name: 'x', shape: ['batch', 1, 8, 8] }],
    outputs: [{ name: 'y', shape: ['batch', 3] }],
    initializers: [
      { name: 'w', dims: [2, 1, 3, 3], float: w },
      { name: 'fw', dims: [3, 72], float: fw },
      { name: 'fb', dims: [3], float: [0.1, -0.2, 0.3] },
    ],
  });
}

const pixels = Float32Array.from({ length: 64 }, (_, i) => (i % 9) / 8);
const input = { data: pixels, shape: [1, 1, 8, 8] };

interface Case {
  /** What is wrong. */
  name: string;
  /** The call, with one thing changed from a valid one. */
  call: (model: Model) => unknown;
  /** The error class expected. */
  error: abstract new (...args: never[]) => Error;
  /** A fragment of the message. */
  includes: string;
}

const ig: ExplainOptions = { method: 'integrated-gradients', steps: 4 };
const sg: ExplainOptions = { method: 'smoothgrad', samples: 2 };
const occ: ExplainOptions = { method: 'occlusion', window: 4 };
const ex = (options: Record<string, unknown>) => (m: Model) =>
  explain(m, input, options as unknown as ExplainOptions);
const feed = (x: unknown) => (m: Model) => run(m, { x } as never);

const CASES: Case[] = [
  // run: inputs
  {
    name: 'run, null inputs',
    call: (m) => run(m, null as never),
    error: ArgumentError,
    includes: 'got null',
  },
  {
    name: 'run, inputs an array',
    call: (m) => run(m, [input] as never),
    error: ArgumentError,
    includes: 'got an array',
  },
  {
    name: 'run, input missing',
    call: (m) => run(m, {}),
    error: ArgumentError,
    includes: "input 'x' is missing",
  },
  {
    name: 'run, input a number',
    call: feed(3),
    error: ArgumentError,
    includes: "input 'x' must be",
  },
  {
    name: 'run, shape a number',
    call: feed({ data: pixels, shape: 64 }),
    error: ArgumentError,
    includes: 'shape as an array',
  },
  {
    name: 'run, shape a string',
    call: feed({ data: pixels, shape: '1,1,8,8' }),
    error: ArgumentError,
    includes: 'shape as an array',
  },
  {
    name: 'run, shape missing',
    call: feed({ data: pixels }),
    error: ArgumentError,
    includes: 'shape as an array',
  },
  {
    name: 'run, negative dimension',
    call: feed({ data: pixels, shape: [1, 1, -8, -8] }),
    error: ArgumentError,
    includes: 'integers ≥ 0',
  },
  {
    name: 'run, fractional dimension',
    call: feed({ data: pixels, shape: [1, 1, 8.5, 8] }),
    error: ArgumentError,
    includes: 'integers ≥ 0',
  },
  {
    name: 'run, data a string',
    call: feed({ data: 'pixels', shape: [1, 1, 8, 8] }),
    error: ArgumentError,
    includes: 'data as a typed array',
  },
  {
    name: 'run, data null',
    call: feed({ data: null, shape: [1, 1, 8, 8] }),
    error: ArgumentError,
    includes: 'got null',
  },
  {
    name: 'run, too few values',
    call: feed({ data: pixels.subarray(1), shape: [1, 1, 8, 8] }),
    error: ShapeError,
    includes: '63 values',
  },
  {
    name: 'run, wrong rank',
    call: feed({ data: pixels, shape: [1, 64] }),
    error: ShapeError,
    includes: 'rank 4',
  },
  {
    name: 'run, unknown input',
    call: (m) => run(m, { x: input, z: input }),
    error: ArgumentError,
    includes: 'unknown input z',
  },
  // explain: input and method
  {
    name: 'explain, null input',
    call: (m) => explain(m, null as never, ig),
    error: ArgumentError,
    includes: 'got null',
  },
  {
    name: 'explain, no options',
    call: (m) => explain(m, input, null as never),
    error: ArgumentError,
    includes: 'unknown method',
  },
  {
    name: 'explain, unknown method',
    call: ex({ method: 'shap' }),
    error: ArgumentError,
    includes: "unknown method 'shap'",
  },
  // targets
  {
    name: 'target too large',
    call: ex({ ...ig, target: 3 }),
    error: ArgumentError,
    includes: 'target 3 is out of range',
  },
  {
    name: 'target negative',
    call: ex({ ...ig, target: -1 }),
    error: ArgumentError,
    includes: 'target -1',
  },
  {
    name: 'target fractional',
    call: ex({ ...ig, target: 0.5 }),
    error: ArgumentError,
    includes: 'target 0.5',
  },
  {
    name: 'target NaN',
    call: ex({ ...ig, target: NaN }),
    error: ArgumentError,
    includes: 'target NaN',
  },
  {
    name: 'target a string',
    call: ex({ ...ig, target: '1' }),
    error: ArgumentError,
    includes: 'class index',
  },
  {
    name: 'targets per example, too many',
    call: ex({ ...ig, target: [0, 1] }),
    error: ArgumentError,
    includes: '2 targets for a batch of 1',
  },
  // integrated gradients
  {
    name: 'steps 0',
    call: ex({ ...ig, steps: 0 }),
    error: ArgumentError,
    includes: 'steps must be an integer ≥ 1, got 0',
  },
  {
    name: 'steps negative',
    call: ex({ ...ig, steps: -5 }),
    error: ArgumentError,
    includes: 'got -5',
  },
  { name: 'steps NaN', call: ex({ ...ig, steps: NaN }), error: ArgumentError, includes: 'got NaN' },
  {
    name: 'steps fractional',
    call: ex({ ...ig, steps: 2.5 }),
    error: ArgumentError,
    includes: 'got 2.5',
  },
  {
    name: 'steps a string',
    call: ex({ ...ig, steps: '50' }),
    error: ArgumentError,
    includes: "got '50'",
  },
  {
    name: 'steps Infinity',
    call: ex({ ...ig, steps: Infinity }),
    error: ArgumentError,
    includes: 'got Infinity',
  },
  {
    name: 'steps over the limit',
    call: ex({ ...ig, steps: MAX_STEPS + 1 }),
    error: LimitExceededError,
    includes: `steps ${MAX_STEPS + 1} exceeds the limit of ${MAX_STEPS}`,
  },
  {
    name: 'steps 10⁶ (riemann)',
    call: ex({ ...ig, steps: 1e6, rule: 'riemann_left' }),
    error: LimitExceededError,
    includes: 'steps 1000000',
  },
  {
    name: 'trapezoid with 1 step',
    call: ex({ ...ig, steps: 1, rule: 'riemann_trapezoid' }),
    error: ArgumentError,
    includes: '≥ 2',
  },
  {
    name: 'unknown rule',
    call: ex({ ...ig, rule: 'simpson' }),
    error: ArgumentError,
    includes: "unknown rule 'simpson'",
  },
  {
    name: 'unknown trapezoid weights',
    call: ex({ ...ig, trapezoidWeights: 'half' }),
    error: ArgumentError,
    includes: 'trapezoidWeights',
  },
  {
    name: 'unknown baseline',
    call: ex({ ...ig, baseline: 'black' }),
    error: ArgumentError,
    includes: "baseline 'black'",
  },
  {
    name: 'baseline of the wrong size',
    call: ex({ ...ig, baseline: [0, 0] }),
    error: ShapeError,
    includes: 'has 2 values',
  },
  {
    name: 'blur σ negative',
    call: ex({ ...ig, baseline: 'blur', blurSigma: -1 }),
    error: ArgumentError,
    includes: 'blurSigma must be',
  },
  {
    name: 'blur σ NaN',
    call: ex({ ...ig, baseline: 'blur', blurSigma: NaN }),
    error: ArgumentError,
    includes: 'got NaN',
  },
  {
    name: 'blur σ over the side',
    call: ex({ ...ig, baseline: 'blur', blurSigma: 1e6 }),
    error: LimitExceededError,
    includes: 'blurSigma 1000000 exceeds the limit of 8',
  },
  {
    name: 'seed NaN',
    call: ex({ ...ig, baseline: 'uniform', seed: NaN }),
    error: ArgumentError,
    includes: 'seed',
  },
  // SmoothGrad family
  {
    name: 'samples 0',
    call: ex({ ...sg, samples: 0 }),
    error: ArgumentError,
    includes: 'samples must be an integer ≥ 1, got 0',
  },
  {
    name: 'samples NaN',
    call: ex({ ...sg, samples: NaN }),
    error: ArgumentError,
    includes: 'got NaN',
  },
  {
    name: 'samples fractional',
    call: ex({ ...sg, method: 'vargrad', samples: 1.5 }),
    error: ArgumentError,
    includes: 'vargrad',
  },
  {
    name: 'samples 10⁷',
    call: ex({ ...sg, samples: 1e7 }),
    error: LimitExceededError,
    includes: `samples 10000000 exceeds the limit of ${MAX_SAMPLES}`,
  },
  {
    name: 'noise negative',
    call: ex({ ...sg, noise: -0.1 }),
    error: ArgumentError,
    includes: 'noise must be a finite number ≥ 0, got -0.1',
  },
  {
    name: 'noise NaN',
    call: ex({ ...sg, method: 'smoothgrad-sq', noise: NaN }),
    error: ArgumentError,
    includes: 'noise',
  },
  {
    name: 'noise Infinity',
    call: ex({ ...sg, noise: Infinity }),
    error: ArgumentError,
    includes: 'got Infinity',
  },
  {
    name: 'noise seed Infinity',
    call: ex({ ...sg, seed: Infinity }),
    error: ArgumentError,
    includes: 'seed must be a finite number',
  },
  // batch size, progress, signal
  {
    name: 'batchSize 0',
    call: ex({ ...sg, batchSize: 0 }),
    error: ArgumentError,
    includes: 'batchSize must be an integer ≥ 1, got 0',
  },
  {
    name: 'batchSize NaN',
    call: ex({ ...ig, batchSize: NaN }),
    error: ArgumentError,
    includes: 'batchSize',
  },
  {
    name: 'batchSize fractional',
    call: ex({ ...occ, batchSize: 1.5 }),
    error: ArgumentError,
    includes: 'got 1.5',
  },
  {
    name: 'signal not a signal',
    call: ex({ ...ig, signal: {} }),
    error: ArgumentError,
    includes: 'AbortSignal',
  },
  {
    name: 'onProgress not a function',
    call: ex({ ...ig, onProgress: 1 }),
    error: ArgumentError,
    includes: 'onProgress',
  },
  // occlusion
  {
    name: 'window 0',
    call: ex({ ...occ, window: 0 }),
    error: ArgumentError,
    includes: 'window must be a positive integer',
  },
  {
    name: 'window NaN',
    call: ex({ ...occ, window: NaN }),
    error: ArgumentError,
    includes: 'window',
  },
  {
    name: 'window per axis, too few',
    call: ex({ ...occ, window: [2] }),
    error: ArgumentError,
    includes: 'or 2 of them',
  },
  {
    name: 'window null',
    call: ex({ ...occ, window: null }),
    error: ArgumentError,
    includes: 'window',
  },
  {
    name: 'window larger than the image',
    call: ex({ ...occ, window: 9 }),
    error: ArgumentError,
    includes: 'larger than axis 2 (8)',
  },
  {
    name: 'stride negative',
    call: ex({ ...occ, stride: -1 }),
    error: ArgumentError,
    includes: 'stride must be',
  },
  {
    name: 'stride fractional',
    call: ex({ ...occ, stride: [1, 0.5] }),
    error: ArgumentError,
    includes: 'stride',
  },
  {
    name: 'unknown border',
    call: ex({ ...occ, border: 'wrap' }),
    error: ArgumentError,
    includes: "border must be 'clip' or 'skip'",
  },
  {
    name: 'fill NaN',
    call: ex({ ...occ, fill: NaN }),
    error: ArgumentError,
    includes: 'fill must be a finite number',
  },
  // LRP and Grad-CAM
  {
    name: 'lrp epsilon negative',
    call: ex({ method: 'lrp', epsilon: -1 }),
    error: ArgumentError,
    includes: 'epsilon must be',
  },
  {
    name: 'lrp unknown rule',
    call: ex({ method: 'lrp', lrpRule: 'alpha-beta' }),
    error: ArgumentError,
    includes: "got 'alpha-beta'",
  },
  {
    name: 'cam unknown upsample',
    call: ex({ method: 'grad-cam', upsample: 'cubic' }),
    error: ArgumentError,
    includes: 'upsample must be',
  },
  {
    name: 'cam relu a string',
    call: ex({ method: 'grad-cam', relu: 'yes' }),
    error: ArgumentError,
    includes: 'relu must be',
  },
  // sanity check
  {
    name: 'sanity, null input',
    call: (m) => sanityCheck(m, null as never, ig),
    error: ArgumentError,
    includes: '{ data, shape }',
  },
  {
    name: 'sanity, two examples',
    call: (m) => sanityCheck(m, { data: [...pixels, ...pixels], shape: [2, 1, 8, 8] }, ig),
    error: ArgumentError,
    includes: 'batch of 2',
  },
  {
    name: 'sanity, unknown layer',
    call: (m) => sanityCheck(m, input, { ...ig, layers: ['conv9'] }),
    error: ArgumentError,
    includes: "'conv9' is not a layer",
  },
  {
    name: 'sanity, bad option',
    call: (m) => sanityCheck(m, input, { ...ig, steps: -1 }),
    error: ArgumentError,
    includes: 'steps',
  },
];

testGpu(
  'bad inputs: typed errors that say what is wrong, before any GPU work',
  getEngine,
  async (engine) => {
    using model = loadModel(engine, imageModel());
    // The control cases run (each table row changes one thing in one of them).
    for (
      const options of [ig, sg, occ, { method: 'lrp' }, { method: 'grad-cam' }] as ExplainOptions[]
    ) {
      const e = await explain(model, input, options);
      assertEquals(e.attribution.size > 0, true, `${options.method} control`);
      e.attribution.destroy();
    }
    const failures: string[] = [];
    for (const c of CASES) {
      const dispatches = engine.dispatchCount;
      const buffers = engine.tensorBuffersCreated;
      let thrown: unknown = null;
      try {
        await c.call(model);
      } catch (error) {
        thrown = error;
      }
      const e = thrown as Error | null;
      const got = e ? `${e.name}: ${e.message}` : 'no error';
      if (!(e instanceof c.error)) {
        failures.push(`${c.name}: expected ${c.error.name}, got ${got}`);
      } else if (!e.message.includes(c.includes)) {
        failures.push(`${c.name}: message "${e.message}" lacks "${c.includes}"`);
      } else if (engine.dispatchCount !== dispatches || engine.tensorBuffersCreated !== buffers) {
        failures.push(`${c.name}: the GPU was used before the error`);
      }
    }
    assert(
      failures.length === 0,
      `${failures.length} of ${CASES.length} cases:\n${failures.join('\n')}`,
    );
  },
);

testGpu('limits: the largest accepted counts pass validation', getEngine, async (engine) => {
  using model = loadModel(engine, imageModel());
  // At each limit the options are accepted: cancel at the first progress report, so only one
  // chunk runs, and expect the abort's reason, not a validation error.
  for (
    const options of [
      { method: 'integrated-gradients', steps: MAX_STEPS, batchSize: 8 },
      { method: 'smoothgrad', samples: MAX_SAMPLES, batchSize: 8 },
    ] as ExplainOptions[]
  ) {
    const controller = new AbortController();
    const reason = new Error('stop');
    let thrown: unknown = null;
    try {
      (await explain(model, input, {
        ...options,
        signal: controller.signal,
        onProgress: () => controller.abort(reason),
      })).attribution.destroy();
    } catch (error) {
      thrown = error;
    }
    assert(thrown === reason, `${options.method} at its limit: ${thrown}`);
  }
});
