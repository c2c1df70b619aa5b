// Properties of the attribution methods on the shipped models, in both runners. The
// comparisons with PyTorch's maps are in test/attributions_test.ts.
import { assert, assertClose, assertRejects, assertThrows } from '../../test/assert.ts';
import { loadBytes, loadNpy } from '../../test/files.ts';
import { sharedEngine, test, testGpu } from '../../test/harness.ts';
import { ArgumentError } from '../gpu/errors.ts';
import { loadModel, type Model, run } from '../onnx/model.ts';
import type { Engine } from '../gpu/engine.ts';
import { explain } from './explain.ts';
import { deletionInsertion, maxSensitivity, spearman } from './metrics.ts';
import { baselineFor } from './baseline.ts';
import { interpolationMatrix } from './grad_cam.ts';
import { planOcclusion } from './occlusion.ts';
import { separateBiases } from './rules.ts';

const getEngine = sharedEngine();

async function mnist(engine: Engine): Promise<{ model: Model; x: Float32Array }> {
  const model = loadModel(engine, await loadBytes('models/mnist_cnn.onnx'));
  const all = await loadNpy('models/data/mnist_test_x.npy');
  return { model, x: (all.data as Float32Array).slice(0, 2 * 784) };
}

const one = (x: Float32Array, b = 0) => ({
  data: x.slice(b * 784, (b + 1) * 784),
  shape: [1, 1, 28, 28],
});

async function read(e: { attribution: { readFloat32(): Promise<Float32Array>; destroy(): void } }) {
  try {
    return await e.attribution.readFloat32();
  } finally {
    e.attribution.destroy();
  }
}

testGpu(
  'integrated gradients: completeness within 1% at 64 steps, batched',
  getEngine,
  async (engine) => {
    const { model, x } = await mnist(engine);
    using _ = model;
    // Two examples, two targets each time: the per-example paths are independent. Four chunks
    // per example, as 256 steps in chunks of 64 had, at a quarter of the work: measured |δ|/|Δf|
    // 2.9e-4 and 5.4e-4 (1.8e-4, 3.4e-4 at 256 steps), far inside 1%, while a chunk summed twice
    // or dropped moves the sum by that chunk's share of the path integral. Convergence to
    // PyTorch's map at 256 steps is checked in test/attributions_test.ts.
    const e = await explain(model, { data: x, shape: [2, 1, 28, 28] }, {
      method: 'integrated-gradients',
      steps: 64,
      batchSize: 16,
    });
    const a = await read(e);
    assert(a.length === 2 * 784, `shape ${e.attribution.shape}`);
    const c = e.completeness!;
    for (let b = 0; b < 2; b++) {
      const gap = Math.abs(c.fx[b] - c.fBaseline[b]);
      console.log(
        `IG example ${b}: Σ ${c.sum[b].toFixed(5)} vs f(x) − f(0) ${
          (c.fx[b] - c.fBaseline[b]).toFixed(5)
        }`,
      );
      assert(Math.abs(c.delta[b]) < 0.01 * gap, `delta ${c.delta[b]} vs gap ${gap}`);
    }
  },
);

testGpu('integrated gradients: the rules agree as steps grow', getEngine, async (engine) => {
  const { model, x } = await mnist(engine);
  using _ = model;
  const maps: Float32Array[] = [];
  for (const rule of ['gausslegendre', 'riemann_middle', 'riemann_trapezoid'] as const) {
    maps.push(
      await read(
        await explain(model, one(x), { method: 'integrated-gradients', steps: 128, rule }),
      ),
    );
  }
  // A ReLU network's integrand is piecewise constant along the path, so the rules converge
  // at O(1/steps) at the kinks: compare whole maps (relative L2), not single pixels.
  for (const m of maps.slice(1)) {
    let num = 0;
    let den = 0;
    m.forEach((v, i) => {
      num += (v - maps[0][i]) ** 2;
      den += maps[0][i] ** 2;
    });
    assert(Math.sqrt(num / den) < 0.02, `rules differ by ${Math.sqrt(num / den)} (relative L2)`);
  }
});

testGpu(
  'smoothgrad with no noise is the gradient; vargrad with no noise is 0',
  getEngine,
  async (engine) => {
    const { model, x } = await mnist(engine);
    using _ = model;
    const g = await read(await explain(model, one(x), { method: 'gradient' }));
    const sg = await read(
      await explain(model, one(x), { method: 'smoothgrad', noise: 0, samples: 5 }),
    );
    assertClose(sg, g, { atol: 1e-6, rtol: 1e-5 });
    const vg = await read(
      await explain(model, one(x), { method: 'vargrad', noise: 0, samples: 5 }),
    );
    let max = 0;
    let scale = 0;
    for (let i = 0; i < vg.length; i++) {
      max = Math.max(max, Math.abs(vg[i]));
      scale = Math.max(scale, g[i] * g[i]);
    }
    // E[g²] − E[g]² of five equal gradients: only rounding remains.
    assert(max <= 1e-5 * scale, `vargrad without noise reaches ${max} (gradient² up to ${scale})`);
    const sq = await read(
      await explain(model, one(x), { method: 'smoothgrad-sq', noise: 0, samples: 3 }),
    );
    assertClose(sq, Array.from(g, (v) => v * v), { atol: 1e-7, rtol: 1e-5 });
  },
);

testGpu('smoothgrad is seeded: the same seed gives the same map', getEngine, async (engine) => {
  const { model, x } = await mnist(engine);
  using _ = model;
  const a = await read(await explain(model, one(x), { method: 'smoothgrad', samples: 8, seed: 3 }));
  const b = await read(
    await explain(model, one(x), { method: 'smoothgrad', samples: 8, seed: 3, batchSize: 3 }),
  );
  assertClose(b, a, { atol: 1e-6, rtol: 1e-5 });
});

testGpu(
  'LRP-ε with a tiny ε equals input × gradient on a ReLU network',
  getEngine,
  async (engine) => {
    // For ReLU networks with max pooling, LRP-ε (ε → 0, relevance seeded with the logit) is
    // gradient × input exactly (Ancona et al. 2018); here it checks the rule wiring end to end.
    const { model, x } = await mnist(engine);
    using _ = model;
    const ixg = await read(await explain(model, one(x), { method: 'input-x-gradient' }));
    const lrp = await read(await explain(model, one(x), { method: 'lrp', epsilon: 1e-9 }));
    assertClose(lrp, ixg, { atol: 1e-5, rtol: 1e-3 });
    // A large ε absorbs relevance: the map keeps its sign pattern but shrinks.
    const damped = await read(await explain(model, one(x), { method: 'lrp', epsilon: 10 }));
    const total = (a: Float32Array) => a.reduce((s, v) => s + Math.abs(v), 0);
    assert(total(damped) < total(lrp), 'a large ε did not absorb relevance');
  },
);

testGpu('occlusion matches running every occluded input', getEngine, async (engine) => {
  const { model, x } = await mnist(engine);
  using _ = model;
  const options = { window: 7, stride: 7, fill: 0 };
  const e = await explain(model, one(x), { method: 'occlusion', ...options, batchSize: 5 });
  const target = e.targets[0];
  const got = await read(e);
  const plan = planOcclusion([1, 1, 28, 28], options);
  const row = one(x).data;
  const base = run(model, { input: one(x) });
  const f0 = (await base.outputs.logits.readFloat32())[target];
  base.outputs.logits.destroy();
  const want = new Float64Array(784);
  for (const [r0, c0] of plan.starts) {
    const occluded = row.slice();
    for (let r = r0; r < r0 + 7; r++) for (let c = c0; c < c0 + 7; c++) occluded[r * 28 + c] = 0;
    const out = run(model, { input: { data: occluded, shape: [1, 1, 28, 28] } });
    const drop = f0 - (await out.outputs.logits.readFloat32())[target];
    out.outputs.logits.destroy();
    for (let r = r0; r < r0 + 7; r++) for (let c = c0; c < c0 + 7; c++) want[r * 28 + c] = drop;
  }
  assertClose(got, want, { atol: 1e-4, rtol: 1e-4 });
});

testGpu(
  'grad-cam: non-negative maps at the default layer, upsampled to the input',
  getEngine,
  async (engine) => {
    const { model, x } = await mnist(engine);
    using _ = model;
    const e = await explain(model, one(x), { method: 'grad-cam' });
    assert(e.attribution.shape.join() === '1,7,7', `shape [${e.attribution.shape}]`);
    const cam = await read(e);
    assert(cam.every((v) => v >= 0) && cam.some((v) => v > 0), 'Grad-CAM map is not a ReLU map');
    const up = await explain(model, one(x), { method: 'grad-cam', upsample: true, layer: e.site });
    assert(up.attribution.shape.join() === '1,1,28,28', `upsampled [${up.attribution.shape}]`);
    await read(up);
  },
);

testGpu('deletion of the IG map falls faster than of a shuffled map', getEngine, async (engine) => {
  const { model, x } = await mnist(engine);
  using _ = model;
  const a = await read(await explain(model, one(x), { method: 'integrated-gradients', steps: 32 }));
  const curves = await deletionInsertion(model, one(x), a, { steps: 10 });
  const shuffled = Float32Array.from(a, (_, i) => a[(i * 373) % a.length]);
  const control = await deletionInsertion(model, one(x), shuffled, { steps: 10 });
  console.log(
    `deletion AUC IG ${curves.deletion.auc.toFixed(3)} shuffled ${
      control.deletion.auc.toFixed(3)
    }; insertion ${curves.insertion.auc.toFixed(3)} vs ${control.insertion.auc.toFixed(3)}`,
  );
  assert(curves.deletion.auc < control.deletion.auc, 'IG deletion AUC not below the control');
  assert(curves.insertion.auc > control.insertion.auc, 'IG insertion AUC not above the control');
  assert(
    curves.deletion.scores.length === 11 && curves.deletion.fractions[10] === 1,
    'curve points',
  );
});

testGpu(
  'token attributions: one value per token, IG complete at the embedding',
  getEngine,
  async (engine) => {
    using model = loadModel(engine, await loadBytes('models/text_transformer.onnx'));
    const ids = await loadNpy('models/data/text_test_ids.npy');
    const row = { data: (ids.data as BigInt64Array).slice(0, 64), shape: [1, 64] };
    const g = await explain(model, row, { method: 'saliency' });
    assert(g.attribution.shape.join() === '1,64', `saliency shape [${g.attribution.shape}]`);
    assert(g.site.includes('Gather'), `site ${g.site}`);
    const s = await read(g);
    assert(s.every((v) => v >= 0), 'per-token L2 norms must be ≥ 0');
    // 64 steps: this smooth network's completeness gap at row 0 is 2.2e-3 of f(x) − f(0) (2e-6
    // at 128, but each step is a transformer forward and backward, ~0.5 s on SwiftShader).
    const ig = await explain(model, row, { method: 'integrated-gradients', steps: 64 });
    await read(ig);
    const c = ig.completeness!;
    const gap = Math.abs(c.fx[0] - c.fBaseline[0]);
    console.log(`text IG: Σ ${c.sum[0].toFixed(4)} vs ${(c.fx[0] - c.fBaseline[0]).toFixed(4)}`);
    assert(Math.abs(c.delta[0]) < 0.01 * gap, `text IG delta ${c.delta[0]} vs gap ${gap}`);
    const occ = await explain(model, row, { method: 'occlusion', window: 1, fill: 0 });
    assert(occ.attribution.shape.join() === '1,64', `occlusion shape [${occ.attribution.shape}]`);
    await read(occ);
  },
);

testGpu('explain: progress, cancellation and bad options', getEngine, async (engine) => {
  const { model, x } = await mnist(engine);
  using _ = model;
  const seen: number[] = [];
  const e = await explain(model, one(x), {
    method: 'integrated-gradients',
    steps: 20,
    batchSize: 8,
    onProgress: (done, total) => seen.push(done / total),
  });
  await read(e);
  assert(seen.join() === [8 / 20, 16 / 20, 1].join(), `progress ${seen}`);
  const controller = new AbortController();
  const pending = explain(model, one(x), {
    method: 'smoothgrad',
    samples: 40,
    batchSize: 4,
    signal: controller.signal,
    onProgress: () => controller.abort(new Error('stopped by the test')),
  });
  await assertRejects(() => pending, Error, 'stopped by the test');
  await assertRejects(
    () => explain(model, one(x), { method: 'magic' as unknown as 'gradient' }),
    ArgumentError,
    'unknown method',
  );
  await assertRejects(
    () => explain(model, one(x), { method: 'gradient', target: 10 }),
    ArgumentError,
    'out of range',
  );
  await assertRejects(
    () => explain(model, one(x), { method: 'grad-cam', layer: 'nope' }),
    ArgumentError,
    'nope',
  );
});

testGpu(
  'the sanity check decorrelates gradient maps as layers are randomized',
  getEngine,
  async (engine) => {
    const { model, x } = await mnist(engine);
    using _ = model;
    const { sanityCheck } = await import('./sanity.ts');
    const r = await sanityCheck(model, one(x), { method: 'gradient' });
    console.log(
      `sanity (gradient): ${r.steps.map((s) => `${s.layer} ${s.spearman.toFixed(2)}`).join(', ')}`,
    );
    assert(r.steps.length === 4, `${r.steps.length} layers`);
    assert(Math.abs(r.steps[r.steps.length - 1].spearman) < 0.3, 'gradient map still correlated');
    assert(spearman([1, 2, 3], [3, 2, 1]) === -1, 'spearman');
  },
);

testGpu(
  'tabular inputs: on a linear model every method has its closed form',
  getEngine,
  async (engine) => {
    // y = x·Wᵀ + b over 6 features and 3 classes: ∂y_t/∂x = W[t]; IG from 0 and single-feature
    // occlusion with fill 0 both equal x ⊙ W[t]; SmoothGrad equals W[t] whatever the noise.
    const { buildModel } = await import('../../test/onnx_builder.ts');
    const w = Array.from({ length: 18 }, (_, i) => Math.sin(i + 1));
    using model = loadModel(
      engine,
      buildModel({
        nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'], ints: { transB: 1 } }],
        inputs: [{ name: 'x', shape: ['batch', 6] }],
        outputs: [{ name: 'y', shape: ['batch', 3] }],
        initializers: [
          { name: 'w', dims: [3, 6], float: w },
          { name: 'b', dims: [3], float: [0.5, -1, 2] },
        ],
      }),
    );
    const x = Float32Array.from([0.3, -1.2, 2, 0.7, -0.4, 1.1, 1, 0, -2, 0.5, 0.25, -0.75]);
    const input = { data: x, shape: [2, 6] };
    const targets = [1, 2];
    const expected = (times: boolean) =>
      Array.from({ length: 12 }, (_, i) => {
        const b = Math.floor(i / 6);
        const wt = Math.fround(w[targets[b] * 6 + (i % 6)]);
        return times ? x[i] * wt : wt;
      });
    const tol = { atol: 1e-6, rtol: 1e-5 };
    assertClose(
      await read(await explain(model, input, { method: 'gradient', target: targets })),
      expected(false),
      tol,
    );
    assertClose(
      await read(await explain(model, input, { method: 'input-x-gradient', target: targets })),
      expected(true),
      tol,
    );
    assertClose(
      await read(
        await explain(model, input, { method: 'integrated-gradients', target: targets, steps: 7 }),
      ),
      expected(true),
      tol,
    );
    assertClose(
      await read(await explain(model, input, { method: 'occlusion', target: targets, window: 1 })),
      expected(true),
      tol,
    );
    assertClose(
      await read(
        await explain(model, input, { method: 'smoothgrad', target: targets, samples: 6 }),
      ),
      expected(false),
      tol,
    );
    // A linear model's gradient does not move under perturbation; input × gradient moves by
    // exactly ‖δ ⊙ W[t]‖, at most radius·‖W[t]‖.
    const one = { data: x.slice(0, 6), shape: [1, 6] };
    const still = await maxSensitivity(model, one, { method: 'gradient', target: 1, radius: 0.1 });
    assert(still.maxAbsolute < 1e-6, `gradient sensitivity ${still.maxAbsolute}`);
    const moving = await maxSensitivity(model, one, {
      method: 'input-x-gradient',
      target: 1,
      radius: 0.1,
    });
    const norm = Math.hypot(...w.slice(6, 12));
    assert(
      moving.maxAbsolute > 0 && moving.maxAbsolute <= 0.1 * norm * (1 + 1e-5),
      `IxG sensitivity ${moving.maxAbsolute}`,
    );
    assert(moving.values.length === 10, 'ten perturbations by default');
  },
);

/** A small conv net whose biases are separate Add nodes (bias first in one of them). */
async function separateBiasModel(engine: Engine): Promise<Model> {
  const { buildModel } = await import('../../test/onnx_builder.ts');
  const wave = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(k * i + 1));
  return loadModel(
    engine,
    buildModel({
      nodes: [
        { op: 'Conv', inputs: ['x', 'cw'], outputs: ['c'], ints: { pads: [1, 1, 1, 1] } },
        { op: 'Add', inputs: ['cb', 'c'], outputs: ['cz'] },
        { op: 'Relu', inputs: ['cz'], outputs: ['a'] },
        {
          op: 'AveragePool',
          inputs: ['a'],
          outputs: ['p'],
          ints: { kernel_shape: [2, 2], strides: [2, 2] },
        },
        { op: 'Reshape', inputs: ['p', 'rows'], outputs: ['t'] },
        { op: 'Add', inputs: ['t', 'pos'], outputs: ['tp'] },
        { op: 'MatMul', inputs: ['tp', 'w'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'b'], outputs: ['mz'] },
        { op: 'Relu', inputs: ['mz'], outputs: ['h'] },
        { op: 'Reshape', inputs: ['h', 'grid'], outputs: ['h4'] },
        { op: 'GlobalAveragePool', inputs: ['h4'], outputs: ['g'] },
        { op: 'Reshape', inputs: ['g', 'flat'], outputs: ['y0'] },
        { op: 'Gemm', inputs: ['y0', 'fw', 'fb'], outputs: ['y'], ints: { transB: 1 } },
      ],
      inputs: [{ name: 'x', shape: [1, 1, 6, 6] }],
      outputs: [{ name: 'y', shape: [1, 3] }],
      initializers: [
        { name: 'cw', dims: [2, 1, 3, 3], float: wave(18, 0.7) },
        { name: 'cb', dims: [2, 1, 1], float: [0.3, -0.2] },
        { name: 'rows', dims: [3], int64: [1, 2, 9] },
        // Zeros, so that LRP = input × gradient still holds through it; its shape is the point.
        { name: 'pos', dims: [1, 2, 9], float: new Array(18).fill(0) },
        { name: 'w', dims: [9, 4], float: wave(36, 0.9) },
        { name: 'b', dims: [4], float: [0.1, -0.3, 0.2, 0.05] },
        { name: 'grid', dims: [4], int64: [1, 2, 2, 2] },
        { name: 'flat', dims: [2], int64: [1, 2] },
        { name: 'fw', dims: [3, 2], float: wave(6, 2.1) },
        { name: 'fb', dims: [3], float: [0.2, -0.1, 0.4] },
      ],
    }),
  );
}

testGpu(
  'LRP: a bias in its own Add counts in z, and average pooling shares relevance by value',
  getEngine,
  async (engine) => {
    using model = await separateBiasModel(engine);
    const plan = model.plan(new Map([['x', { dtype: 'float32', shape: [1, 1, 6, 6] }]]));
    // Conv + Add(bias [2, 1, 1]) and MatMul + Add(bias [4]) are layers with a bias; the Add of a
    // [1, 2, 9] table (a positional embedding) is not a bias: it varies along the rows.
    const biases = separateBiases(plan);
    assert(
      [...biases].map(([k, v]) => `${k}:${v}`).join() === 'c:cb,m:b',
      `separate biases ${[...biases]}`,
    );
    // On a ReLU network LRP-ε with ε → 0 and z with every bias is input × gradient; before the
    // bias fusion and the pooling rule it was not (the MatMul's z lacked b, the pools passed R/k
    // to ReLU-dead inputs).
    const x = {
      data: Float32Array.from({ length: 36 }, (_, i) => Math.cos(0.37 * i)),
      shape: [1, 1, 6, 6],
    };
    const ixg = await read(await explain(model, x, { method: 'input-x-gradient' }));
    const lrp = await read(await explain(model, x, { method: 'lrp', epsilon: 1e-9 }));
    assertClose(lrp, ixg, { atol: 1e-6, rtol: 1e-4 });
    assert(ixg.some((v) => Math.abs(v) > 1e-3), 'the test input gives a non-trivial map');
  },
);

test(
  "occlusion covers the border with Captum's clipped windows by default",
  () => {
    const clip = planOcclusion([1, 1, 28, 28], { window: 5, stride: 3 });
    // ⌈(28 − 5) / 3⌉ + 1 = 9 starts per axis: 0, 3, …, 24; the last window covers 24..27 only.
    assert(clip.border === 'clip' && clip.starts.length === 81, `${clip.starts.length} windows`);
    assert(clip.starts.at(-1)!.join() === '24,24', `last start ${clip.starts.at(-1)}`);
    assert(clip.counts.every((c) => c >= 1), 'a position no window covers');
    const skip = planOcclusion([1, 1, 28, 28], { window: 5, stride: 3, border: 'skip' });
    assert(skip.starts.length === 64, `${skip.starts.length} full windows`);
    assert(
      skip.counts[27 * 28 + 27] === 0 && skip.counts[25 * 28 + 25] === 1,
      'border strip counts',
    );
    // Dividing strides: both modes give the same windows.
    const even = planOcclusion([1, 1, 28, 28], { window: 4, stride: 4 });
    assert(even.starts.length === 49, `${even.starts.length} windows`);
    assertThrows(
      () => planOcclusion([1, 1, 28, 28], { window: 4, border: 'wrap' as 'clip' }),
      ArgumentError,
      'border',
    );
    assertThrows(() => planOcclusion([1], { window: 1 }), ArgumentError, 'no axis');
  },
);

testGpu(
  'methods refuse what they cannot explain, with a sentence that names a better choice',
  getEngine,
  async (engine) => {
    const { model, x } = await mnist(engine);
    using _ = model;
    // A dense layer has no spatial axes: Grad-CAM names the default layer instead.
    await assertRejects(
      () => explain(model, one(x), { method: 'grad-cam', layer: '/fc1/Gemm_output_0' }),
      ArgumentError,
      "the default layer is '/pool2/MaxPool_output_0'",
    );
    await assertRejects(
      () => explain(model, one(x), { method: 'grad-cam', upsample: 'cubic' as 'nearest' }),
      ArgumentError,
      'upsample must be',
    );
    using text = loadModel(engine, await loadBytes('models/text_transformer.onnx'));
    const ids = await loadNpy('models/data/text_test_ids.npy');
    const row = { data: (ids.data as BigInt64Array).slice(0, 64), shape: [1, 64] };
    // A text transformer's [1, 64, 32] tensors are token sequences, not feature maps.
    await assertRejects(
      () => explain(text, row, { method: 'grad-cam' }),
      ArgumentError,
      'for token inputs use integrated-gradients',
    );
    await assertRejects(
      () => explain(text, row, { method: 'occlusion', window: 1, fill: 1_000_000 }),
      ArgumentError,
      'outside the embedding table',
    );
    await assertRejects(
      () => explain(text, row, { method: 'integrated-gradients', steps: 4, baseline: 'blur' }),
      ArgumentError,
      'mix',
    );
    assertThrows(
      () => baselineFor('blur', [1, 2, 3], [1, 3]),
      ArgumentError,
      'no spatial axes',
    );
  },
);

testGpu(
  "grad-cam on a 1-D signal: the layer's axis, resampled as F.interpolate does",
  getEngine,
  async (engine) => {
    // PyTorch's F.interpolate(align_corners=False): linear 2 → 4 is x0, ¾x0 + ¼x1, ¼x0 + ¾x1, x1;
    // nearest 3 → 5 reads ⌊o · 3/5⌋ = 0, 0, 1, 1, 2.
    assertClose(interpolationMatrix(2, 4, 'bilinear'), [1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1], {
      atol: 0,
    });
    assertClose(
      interpolationMatrix(3, 5, 'nearest'),
      [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1],
      { atol: 0 },
    );
    const { buildModel } = await import('../../test/onnx_builder.ts');
    const wave = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(k * i + 1));
    using model = loadModel(
      engine,
      buildModel({
        nodes: [
          { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], ints: { pads: [1, 1] } },
          { op: 'Relu', inputs: ['c'], outputs: ['a'] },
          {
            op: 'MaxPool',
            inputs: ['a'],
            outputs: ['p'],
            ints: { kernel_shape: [2], strides: [2] },
          },
          { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
          { op: 'Gemm', inputs: ['f', 'fw'], outputs: ['y'], ints: { transB: 1 } },
        ],
        inputs: [{ name: 'x', shape: [1, 2, 8] }],
        outputs: [{ name: 'y', shape: [1, 2] }],
        initializers: [
          { name: 'w', dims: [3, 2, 3], float: wave(18, 0.8) },
          { name: 'b', dims: [3], float: [0.1, 0.2, -0.1] },
          { name: 'fw', dims: [2, 12], float: wave(24, 1.7) },
        ],
      }),
    );
    const x = {
      data: Float32Array.from({ length: 16 }, (_, i) => Math.cos(0.5 * i)),
      shape: [1, 2, 8],
    };
    const e = await explain(model, x, { method: 'grad-cam', relu: false });
    assert(
      e.site === 'p' && e.attribution.shape.join() === '1,4',
      `${e.site} [${e.attribution.shape}]`,
    );
    const cam = await read(e);
    assert(cam.some((v) => v !== 0), 'a zero map');
    for (const mode of ['bilinear', 'nearest'] as const) {
      const up = await explain(model, x, { method: 'grad-cam', relu: false, upsample: mode });
      assert(up.attribution.shape.join() === '1,2,8', `upsampled [${up.attribution.shape}]`);
      const got = await read(up);
      const m = interpolationMatrix(4, 8, mode);
      const want = Array.from({ length: 16 }, (_, i) => {
        let s = 0;
        for (let k = 0; k < 4; k++) s += m[(i % 8) * 4 + k] * cam[k];
        return s;
      });
      assertClose(got, want, { atol: 1e-6, rtol: 1e-5 }, mode);
    }
  },
);
