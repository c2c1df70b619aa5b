// Recurrent layers against PyTorch: every layer of test/fixtures/recurrent/manifest.json
// (torch.nn.LSTM / GRU / RNN exported by torch.onnx.export at its defaults — uni- and
// bidirectional, one and two layers, batch first or not, batch 1 and 2, packed sequences with
// lengths, initial states as inputs) is run forward and backward by glassbox, and its outputs
// and gradients (with respect to the inputs and every W, R, B initializer) are compared with the
// float64 references test/fixtures/make_recurrent_reference.py wrote. Then two token classifiers
// (embedding → LSTM → linear, embedding → bidirectional GRU → linear) are explained per token
// with `gradient` and `integrated-gradients`, against PyTorch's gradient of the target logit at
// the embedding output reduced per token the way glassbox does. Runs in Deno and in Chromium.
//
// Tolerances (relative L2). Forward ≤ 1e-4: f32 through ≤ 2 layers × 5 steps of dot products of
// ≤ 12 terms, a few 1e-7 per step. Gradients ≤ 1e-3: backpropagation through time multiplies the
// forward's rounding through every step back (and sums T·B products per weight element); we
// measure ~1e-6. Token attributions ≤ 1e-3 (the brief's bound): gradient norms are one backward;
// IG sums 16 of them with the same Gauss–Legendre weights as the reference.
import { assert, relativeL2 } from './assert.ts';
import { loadBytes, loadNpy } from './files.ts';
import { sharedEngine, testGpu } from './harness.ts';
import { loadModel } from '../src/onnx/model.ts';
import { backward } from '../src/grad/backward.ts';
import { explain } from '../src/explain/explain.ts';
import { tensor } from '../src/tensor.ts';

const getEngine = sharedEngine();

interface Layer {
  name: string;
  model: string;
  ops: string[];
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  seeds: Record<string, string>;
  grads: Record<string, string>;
}

interface Classifier {
  name: string;
  model: string;
  dynamic: string;
  ids: string;
  target: number;
  logits: string;
  site: string;
  site_grad: string;
  gradient: string;
  ig_steps: number;
  integrated_gradients: string;
}

const manifest = JSON.parse(
  new TextDecoder().decode(await loadBytes('test/fixtures/recurrent/manifest.json')),
) as { layers: Layer[]; classifiers: Classifier[] };

const FORWARD = 1e-4;
const GRADIENT = 1e-3;
const ATTRIBUTION = 1e-3;

type Feed = { data: Float32Array | BigInt64Array; shape: number[] };

async function feedsOf(files: Record<string, string>): Promise<Record<string, Feed>> {
  const feeds: Record<string, Feed> = {};
  for (const [name, file] of Object.entries(files)) {
    const x = await loadNpy(file);
    feeds[name] = { data: x.data as Float32Array | BigInt64Array, shape: x.shape };
  }
  return feeds;
}

for (const c of manifest.layers) {
  testGpu(
    `recurrent ${c.name} (${c.ops.filter((o) => ['LSTM', 'GRU', 'RNN'].includes(o))}): ` +
      'outputs and gradients match PyTorch',
    getEngine,
    async (engine) => {
      using model = loadModel(engine, await loadBytes(c.model));
      const feeds = await feedsOf(c.inputs);
      const seeds: Record<string, Float32Array> = {};
      for (const [name, file] of Object.entries(c.seeds)) {
        seeds[name] = (await loadNpy(file)).data as Float32Array;
      }
      const wrt = Object.keys(c.grads);
      const result = backward(model, feeds, {
        wrt,
        seed: (value) =>
          Object.fromEntries(
            Object.entries(seeds).map(([name, g]) => [name, tensor(engine, g, value(name).shape)]),
          ),
      });
      try {
        const report: string[] = [];
        for (const [name, file] of Object.entries(c.outputs)) {
          const want = await loadNpy(file);
          const got = result.values[name];
          assert(
            got.shape.join() === want.shape.join(),
            `${name}: [${got.shape}] vs [${want.shape}]`,
          );
          const err = relativeL2(await got.readFloat32(), want.data as Float32Array);
          report.push(`${name} ${err.toExponential(1)}`);
          assert(err <= FORWARD, `${c.name}: output ${name} differs by ${err} (relative L2)`);
        }
        for (const name of wrt) {
          const want = await loadNpy(c.grads[name]);
          const got = result.grads[name];
          assert(
            got.shape.join() === want.shape.join(),
            `${c.name}: gradient of '${name}' is [${got.shape}], PyTorch's [${want.shape}]`,
          );
          const err = relativeL2(await got.readFloat32(), want.data as Float32Array);
          report.push(`d${name} ${err.toExponential(1)}`);
          assert(err <= GRADIENT, `${c.name}: gradient of '${name}' differs by ${err}`);
        }
        console.log(`${c.name}: ${report.join(', ')}`);
      } finally {
        for (const t of [...Object.values(result.grads), ...Object.values(result.values)]) {
          t.destroy();
        }
      }
    },
  );
}

for (const c of manifest.classifiers) {
  testGpu(
    `recurrent ${c.name}: the embedding gradient and the per-token gradient attribution match ` +
      'PyTorch',
    getEngine,
    async (engine) => {
      using model = loadModel(engine, await loadBytes(c.model));
      const ids = await loadNpy(c.ids);
      const input = { data: ids.data as BigInt64Array, shape: ids.shape };
      const result = backward(model, { ids: input }, {
        wrt: [c.site],
        seed: (value) => {
          const out = value('logits');
          const seed = new Float32Array(out.size);
          seed[c.target] = 1;
          return { logits: tensor(engine, seed, out.shape) };
        },
      });
      try {
        const logits = relativeL2(
          await result.values.logits.readFloat32(),
          (await loadNpy(c.logits)).data as Float32Array,
        );
        assert(logits <= FORWARD, `${c.name}: logits differ by ${logits}`);
        const site = relativeL2(
          await result.grads[c.site].readFloat32(),
          (await loadNpy(c.site_grad)).data as Float32Array,
        );
        assert(site <= GRADIENT, `${c.name}: embedding gradient differs by ${site}`);
        const e = await explain(model, input, { method: 'gradient', target: c.target });
        try {
          assert(e.attribution.shape.join() === ids.shape.join(), `[${e.attribution.shape}]`);
          const err = relativeL2(
            await e.attribution.readFloat32(),
            (await loadNpy(c.gradient)).data as Float32Array,
          );
          console.log(
            `${c.name}: logits ${logits.toExponential(1)}, embedding gradient ` +
              `${site.toExponential(1)}, token gradient ${err.toExponential(1)}`,
          );
          assert(err <= ATTRIBUTION, `${c.name}: token gradients differ by ${err}`);
        } finally {
          e.attribution.destroy();
        }
      } finally {
        for (const t of [...Object.values(result.grads), ...Object.values(result.values)]) {
          t.destroy();
        }
      }
    },
  );

  for (const variant of ['fixed batch 1', 'dynamic batch'] as const) {
    testGpu(
      `recurrent ${c.name}: integrated gradients per token match PyTorch (${variant})`,
      getEngine,
      async (engine) => {
        const fixed = variant.startsWith('fixed');
        using model = loadModel(engine, await loadBytes(fixed ? c.model : c.dynamic));
        const ids = await loadNpy(c.ids);
        const e = await explain(model, { data: ids.data as BigInt64Array, shape: ids.shape }, {
          method: 'integrated-gradients',
          target: c.target,
          steps: c.ig_steps,
          rule: 'gausslegendre',
        });
        try {
          const want = (await loadNpy(c.integrated_gradients)).data as Float32Array;
          const err = relativeL2(await e.attribution.readFloat32(), want);
          console.log(
            `${c.name} (${variant}): IG ${err.toExponential(1)}, completeness delta ` +
              `${e.completeness!.delta[0].toExponential(1)}`,
          );
          assert(err <= ATTRIBUTION, `${c.name}: IG differs by ${err}`);
        } finally {
          e.attribution.destroy();
        }
      },
    );
  }
}
