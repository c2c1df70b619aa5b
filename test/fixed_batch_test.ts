// Fixed-batch models (torch.onnx.export's default) run every explain method and global tool as
// their dynamic-batch originals do: for each shipped model graph, a copy with every input's batch
// fixed at 1 (which glassbox proves batch-free and re-plans) and a copy that also bakes its
// batch in with a Reshape to [1, -1] (which it runs in chunks of 1). Every result must equal the
// dynamic model's within 1e-5 relative L2 — the same kernels run on the same rows, so the
// differences are summation order at most — or fail with the same error.
import { assert, assertEquals, assertThrows, relativeL2 } from './assert.ts';
import { loadBytes, loadNpy } from './files.ts';
import { sharedEngine, testGpu } from './harness.ts';
import { fixedBatchCopy } from './fixed_batch.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { ShapeError } from '../src/gpu/errors.ts';
import { type InputData, loadModel, type Model, run } from '../src/onnx/model.ts';
import { explain, type ExplainOptions, METHODS } from '../src/explain/explain.ts';
import { deletionInsertion, maxSensitivity } from '../src/explain/metrics.ts';
import { parameterLayers, sanityCheck } from '../src/explain/sanity.ts';
import { captureActivations } from '../src/stats/capture.ts';
import { distill } from '../src/global/surrogate.ts';
import { defaultProbeLayers, probeLayers } from '../src/global/probe.ts';
import { tcav } from '../src/global/tcav.ts';

const getEngine = sharedEngine();
const TOLERANCE = 1e-5;

// Not fashion_cnn: its graph is mnist_cnn's (the same nodes, names and shapes; only the weights
// and the order of the initializer list differ), so it would re-run the same batch planning and
// the same chunked kernels. test/attributions_test.ts and test/models_test.ts run it.
const MODELS = ['mnist_cnn', 'text_transformer'];
const VARIANTS = ['fixed', 'baked'] as const;

/** Rows [start, start + count) of a fixture. */
async function rows(model: string, start: number, count: number): Promise<InputData> {
  const npy = await loadNpy(`test/fixtures/models/${model}_input.npy`);
  const per = npy.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = Array.from(npy.data.slice(start * per, (start + count) * per), Number);
  const float = model !== 'text_transformer';
  return {
    data: float ? Float32Array.from(data) : Int32Array.from(data),
    shape: [count, ...npy.shape.slice(1)],
  };
}

async function models(engine: Engine, name: string) {
  const bytes = await loadBytes(`models/${name}.onnx`);
  return {
    dynamic: loadModel(engine, bytes),
    fixed: loadModel(engine, fixedBatchCopy(bytes)),
    baked: loadModel(engine, fixedBatchCopy(bytes, { bake: true })),
  };
}

type Outcome = { error: string } | { values: number[] };

/** The numbers a call produces, or its error's class and message. */
async function outcome(fn: () => Promise<ArrayLike<number>>): Promise<Outcome> {
  try {
    return { values: Array.from(await fn()) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** What each model refuses on purpose (with a sentence); everything else must succeed. */
const REFUSED: Record<string, string[]> = {
  text_transformer: ['grad-cam', 'hires-cam', 'max-sensitivity'],
};

function same(what: string, a: Outcome, b: Outcome, model: string, tool: string): void {
  if ('error' in a) {
    assert(
      REFUSED[model]?.includes(tool),
      `${what}: the dynamic model failed unexpectedly: ${a.error}`,
    );
  }
  if ('error' in a || 'error' in b) {
    assertEquals(JSON.stringify(b), JSON.stringify(a), what);
    return;
  }
  assertEquals(b.values.length, a.values.length, `${what}: length`);
  const err = relativeL2(b.values, a.values);
  assert(err <= TOLERANCE, `${what}: relative L2 ${err} > ${TOLERANCE}`);
}

function close(x: Model) {
  x.destroy();
}

// A few path points, noise samples and occlusion windows are enough: the variants must agree
// whatever the count, and the baked copy runs each point, sample or window of each example as
// its own chunk of 1 either way (a forward and, but for occlusion, a backward: ~0.5 s of the
// transformer on SwiftShader). Images: 16 occlusion windows of 7×7, not the default 49 of 4×4.
const OPTIONS: Partial<ExplainOptions> = { steps: 4, samples: 3, seed: 3 };
const WINDOW: Record<string, number> = { mnist_cnn: 7 };

for (const name of MODELS) {
  testGpu(`fixed batch ${name}: run at batch 5 equals the dynamic model`, getEngine, async (e) => {
    const m = await models(e, name);
    try {
      const x = await rows(name, 0, 5);
      const input = m.dynamic.inputs[0].name;
      const want = run(m.dynamic, { [input]: x }).outputs;
      const ref = await want[m.dynamic.outputs[0].name].read();
      for (const t of Object.values(want)) t.destroy();
      for (const v of VARIANTS) {
        const plan = m[v].plan(
          new Map([[input, { dtype: m[v].inputs[0].dtype!, shape: x.shape as number[] }]]),
        );
        assertEquals(plan.batch?.mode, v === 'fixed' ? 'free' : 'chunked', `${v} plan`);
        const got = run(m[v], { [input]: x }).outputs;
        const out = got[m[v].outputs[0].name];
        assertEquals(out.shape.join(), [5, ...out.shape.slice(1)].join(), v);
        const err = relativeL2(await out.read(), ref);
        for (const t of Object.values(got)) t.destroy();
        assert(err <= TOLERANCE, `${v}: outputs differ by ${err}`);
      }
      // A batch the inputs disagree on is refused with a sentence.
      if (m.fixed.inputs.length === 1) {
        const bad = { ...x, shape: [0, ...x.shape.slice(1)] };
        assertThrows(() => run(m.fixed, { [input]: bad }), ShapeError);
      }
    } finally {
      Object.values(m).forEach(close);
    }
  });

  testGpu(
    `fixed batch ${name}: every explain method equals the dynamic model`,
    getEngine,
    async (e) => {
      const m = await models(e, name);
      try {
        const input = m.dynamic.inputs[0].name;
        const x = { [input]: await rows(name, 1, 2) };
        for (const method of METHODS) {
          const call = (model: Model) => () =>
            explain(model, x, { ...OPTIONS, window: WINDOW[name], method } as ExplainOptions)
              .then(async (r) => {
                const a = await r.attribution.readFloat32();
                r.attribution.destroy();
                return [...a, ...r.targets, ...(r.completeness?.delta ?? [])];
              });
          const want = await outcome(call(m.dynamic));
          for (const v of VARIANTS) {
            same(`${v} ${method}`, want, await outcome(call(m[v])), name, method);
          }
        }
      } finally {
        Object.values(m).forEach(close);
      }
    },
  );

  testGpu(
    `fixed batch ${name}: metrics and global tools equal the dynamic model`,
    getEngine,
    async (e) => {
      const m = await models(e, name);
      try {
        const input = m.dynamic.inputs[0].name;
        const one = await rows(name, 2, 1);
        // 11 rows: capture's batches of 5 still end in a short one (5, 5, 1).
        const data = await rows(name, 0, 11);
        const labels = Array.from({ length: 11 }, (_, i) => i % 2);
        const computed = new Set(m.dynamic.ir.graph.nodes.flatMap((n) => n.outputs));
        const layer = defaultProbeLayers(m.dynamic).find((l) => computed.has(l))!;
        const tools: [string, (model: Model) => Promise<ArrayLike<number>>][] = [
          ['deletion/insertion', async (model) => {
            const r = await explain(model, { [input]: one }, { method: 'gradient' });
            const map = await r.attribution.readFloat32();
            r.attribution.destroy();
            const d = await deletionInsertion(model, one, map, { steps: 6 });
            return [...d.deletion.scores, ...d.insertion.scores];
          }],
          ['max-sensitivity', async (model) => {
            const s = await maxSensitivity(model, one, { method: 'gradient', perturbations: 3 });
            return [s.maxSensitivity, ...s.values];
          }],
          ['sanity check', async (model) => {
            // The last two layers of the cascade: every layer is the same code path.
            const layers = parameterLayers(model).slice(0, 2).map((l) => l.node);
            const s = await sanityCheck(model, one, { method: 'gradient', seed: 1, layers });
            return s.steps.map((x) => x.spearman);
          }],
          ['capture', async (model) => {
            const t = await captureActivations(model, data, [layer], { batchSize: 5 });
            const v = await t[layer].readFloat32();
            for (const x of Object.values(t)) x.destroy();
            return v;
          }],
          ['distill', async (model) => {
            const s = await distill(model, data, { kind: 'linear', epochs: 3, seed: 1 });
            return [s.fidelity.agreement, s.fidelity.kl, ...s.history.map((h) => h.trainLoss)];
          }],
          ['probe', async (model) => {
            const r = await probeLayers(model, data, labels, {
              layers: [layer],
              epochs: 3,
              seed: 1,
            });
            return r.layers.map((l) => l.accuracy);
          }],
          ['tcav', async (model) => {
            const r = await tcav(model, {
              concept: await rows(name, 0, 4),
              inputs: await rows(name, 4, 3),
              randomSets: [await rows(name, 7, 4), await rows(name, 11, 4)],
            }, { layer, target: 1, epochs: 3, seed: 1 });
            return r.scores;
          }],
        ];
        for (const [what, fn] of tools) {
          const want = await outcome(() => fn(m.dynamic));
          for (const v of VARIANTS) {
            same(
              `${v} ${what}`,
              want,
              await outcome(() => fn(m[v])),
              name,
              what,
            );
          }
        }
      } finally {
        Object.values(m).forEach(close);
      }
    },
  );
}
