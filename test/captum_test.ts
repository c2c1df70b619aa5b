// glassbox's attributions against Captum's on Captum's own test models, on models with the
// layer patterns Captum's LRP handles (nn.Linear on a 3-D tensor, average pooling) and on the
// shipped MNIST CNN: each check runs `explain` with the options that select Captum's
// convention (`trapezoidWeights: 'captum'`, `relu: false`, `upsample: 'nearest'`, ε = 1e-9, ...)
// and compares the map with Captum's float64 one. Fixtures: test/fixtures/make_captum_reference.py
// (Captum 0.8.0; the manifest records the commit). Both runners.
//
// Tolerance (relative L2 over the map): 1e-4 for every method. The maps are sums over at most a
// few thousand float32 products per layer (measured ≤ ~1e-6). Integrated gradients uses the same
// 16 points and weights as Captum, so it is the same finite sum, not an approximation of one:
// its error is the 16 float32 gradients' (≤ ~1e-6 each) accumulated over 16 terms, well inside
// 1e-4 — unless a path point lies within float32 rounding of a ReLU kink, which the fixture
// inputs avoid.
import { assert, relativeL2 } from './assert.ts';
import { loadBytes, loadNpy } from './files.ts';
import { sharedEngine, testGpu } from './harness.ts';
import { loadModel } from '../src/onnx/model.ts';
import { run } from '../src/onnx/model.ts';
import { explain, type ExplainOptions } from '../src/explain/explain.ts';

const getEngine = sharedEngine();

interface Check {
  id: string;
  captum: string;
  options: ExplainOptions;
  file: string;
  dynamic: boolean;
}

interface Case {
  name: string;
  model: string;
  model_dynamic?: string;
  input: string;
  input_name: string;
  target: number[];
  logits?: string;
  checks: Check[];
  vit?: { layer: string; grid: number[]; cam: string; cam_no_relu: string; cam_upsampled: string };
}

const manifest = JSON.parse(
  new TextDecoder().decode(await loadBytes('test/fixtures/captum/manifest.json')),
) as { captum: { version: string; commit: string }; cases: Case[] };

const TOLERANCE = 1e-4;

async function attribution(
  modelPath: string,
  c: Case,
  options: ExplainOptions,
): Promise<{ data: Float32Array; shape: readonly number[]; layer: string }> {
  const engine = await getEngine();
  using model = loadModel(engine, await loadBytes(modelPath));
  const x = await loadNpy(c.input);
  const e = await explain(model, { data: x.data as Float32Array, shape: x.shape }, {
    ...options,
    target: c.target,
  });
  try {
    return { data: await e.attribution.readFloat32(), shape: e.attribution.shape, layer: e.site };
  } finally {
    e.attribution.destroy();
  }
}

/** Checks `c`'s maps on `model` (or each check's own model) and fails listing every mismatch. */
async function compare(c: Case, checks: readonly Check[], model?: string): Promise<void> {
  const failures: string[] = [];
  for (const check of checks) {
    const path = model ?? (check.dynamic ? c.model_dynamic! : c.model);
    const got = await attribution(path, c, check.options);
    const want = await loadNpy(check.file);
    const shape = want.shape.join();
    const err = got.data.length === want.data.length
      ? relativeL2(got.data, want.data as Float32Array)
      : Infinity;
    console.log(`${c.name} ${check.id}: relative L2 ${err.toExponential(2)}`);
    if (!(err < TOLERANCE) || got.shape.join() !== shape) {
      failures.push(
        `${check.id} (${check.captum}; options ${JSON.stringify(check.options)}): relative ` +
          `L2 ${err}, shape [${got.shape}] vs Captum's [${shape}]`,
      );
    }
  }
  assert(
    failures.length === 0,
    `${c.name}: ${failures.length} of ${checks.length} maps differ from Captum's:\n` +
      failures.join('\n'),
  );
}

for (const c of manifest.cases.filter((c) => c.checks.length > 0)) {
  testGpu(
    `${c.name}: every method agrees with Captum ${manifest.captum.version}`,
    getEngine,
    async (engine) => {
      if (c.logits) {
        using model = loadModel(engine, await loadBytes(c.model));
        const x = await loadNpy(c.input);
        const out = run(model, {
          [c.input_name]: { data: x.data as Float32Array, shape: x.shape },
        });
        try {
          const got = await Object.values(out.outputs)[0].readFloat32();
          const want = await loadNpy(c.logits);
          const err = relativeL2(got, want.data as Float32Array);
          assert(err < 1e-5, `${c.name}: logits differ from PyTorch's by ${err} (relative L2)`);
        } finally {
          for (const t of Object.values(out.outputs)) t.destroy();
        }
      }
      await compare(c, c.checks);
    },
  );
}

// The methods that batch path points or occluded copies (IG, occlusion) on the batch-1 exports
// themselves, which is how torch.onnx.export saves a model unless given dynamic_axes.
for (const c of manifest.cases.filter((c) => c.model_dynamic && c.model !== c.model_dynamic)) {
  testGpu(
    `${c.name}: batched methods agree with Captum on the fixed-batch-1 export`,
    getEngine,
    () => compare(c, c.checks.filter((k) => k.dynamic), c.model),
  );
}

{
  const c = manifest.cases.find((c) => c.name === 'vit_tiny')!;
  const vit = c.vit!;
  testGpu(
    "vit_tiny: Grad-CAM's default layer is the patch grid before the last attention",
    getEngine,
    async () => {
      const cam = await attribution(c.model, c, { method: 'grad-cam' });
      assert(cam.layer === vit.layer, `default layer '${cam.layer}', want '${vit.layer}'`);
      assert(cam.shape.join() === `1,${vit.grid}`, `map shape [${cam.shape}], want the 4×4 grid`);
      const checks: [string, Float32Array, string][] = [
        ['ReLU', cam.data, vit.cam],
        [
          'no ReLU',
          (await attribution(c.model, c, { method: 'grad-cam', relu: false })).data,
          vit.cam_no_relu,
        ],
      ];
      const up = await attribution(c.model, c, { method: 'grad-cam', upsample: 'bilinear' });
      assert(up.shape.join() === '1,3,32,32', `upsampled shape [${up.shape}]`);
      checks.push(['upsampled', up.data.subarray(0, 32 * 32), vit.cam_upsampled]);
      for (const [label, got, file] of checks) {
        const err = relativeL2(got, (await loadNpy(file)).data as Float32Array);
        console.log(`vit_tiny Grad-CAM ${label}: relative L2 ${err.toExponential(2)}`);
        assert(err < TOLERANCE, `vit_tiny Grad-CAM ${label}: relative L2 ${err}`);
      }
    },
  );
}
