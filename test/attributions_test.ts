// Attribution maps of the shipped models against PyTorch: gradient, integrated gradients (256
// Gauss–Legendre steps for the CNNs, 64 for the transformer, against a 4096-step midpoint
// reference), Grad-CAM and HiResCAM at /relu2 (raw and upsampled), guided backpropagation, LRP-ε
// and LRP-ε+ (z⁺ on convolutions), occlusion with two window geometries, and for the text model
// the per-token gradient and IG at the token embedding. References:
// test/fixtures/make_torch_reference.py (float64). Both runners.
//
// Tolerances (relative L2 over the batch's maps):
// - gradient, guided backprop, LRP: 1e-4 — f32 sums over ≤ ~3k terms per layer (see
//   test/gradients_test.ts; measured ~1e-7).
// - Grad-CAM / HiResCAM: 1e-3 as the issue asks (measured far below).
// - occlusion: 1e-4 — differences of two f32 forwards whose logits agree with PyTorch to ~1e-7
//   relative, divided by window counts.
// - IG: 1% against the high-step reference (the bar); completeness under 1% of
//   |f(x) − f(baseline)|.
import { assert, relativeL2 } from './assert.ts';
import { loadBytes, loadNpy } from './files.ts';
import { RUNNER, sharedEngine, testGpu } from './harness.ts';
import { loadModel } from '../src/onnx/model.ts';
import { explain, type ExplainOptions } from '../src/explain/explain.ts';

const getEngine = sharedEngine();

interface Case {
  name: string;
  model: string;
  inputs: Record<string, string>;
  target: number[];
  // deno-lint-ignore no-explicit-any
  methods: Record<string, any>;
}

const manifest = JSON.parse(
  new TextDecoder().decode(await loadBytes('test/fixtures/grad/manifest.json')),
) as { cases: Case[] };
const byName = (n: string) => manifest.cases.find((c) => c.name === n)!;

async function maps(
  c: Case,
  options: ExplainOptions,
  rows?: number,
): Promise<{ got: Float32Array; shape: readonly number[]; completeness?: unknown }> {
  const engine = await getEngine();
  using model = loadModel(engine, await loadBytes(c.model));
  const [name, file] = Object.entries(c.inputs)[0];
  const x = await loadNpy(file);
  const n = rows ?? x.shape[0];
  const per = x.data.length / x.shape[0];
  const e = await explain(model, {
    [name]: { data: x.data.slice(0, n * per) as Float32Array, shape: [n, ...x.shape.slice(1)] },
  }, { ...options, target: c.target.slice(0, n) });
  try {
    return {
      got: await e.attribution.readFloat32(),
      shape: e.attribution.shape,
      completeness: e.completeness,
    };
  } finally {
    e.attribution.destroy();
  }
}

async function expect(
  label: string,
  got: ArrayLike<number>,
  file: string,
  tolerance: number,
  rows?: number,
): Promise<void> {
  const want = await loadNpy(file);
  const per = want.data.length / want.shape[0];
  const reference = (want.data as Float32Array).subarray(0, (rows ?? want.shape[0]) * per);
  assert(
    got.length === reference.length,
    `${label}: ${got.length} values, PyTorch ${reference.length}`,
  );
  const err = relativeL2(got, reference);
  console.log(`${label}: relative L2 ${err.toExponential(2)}`);
  assert(
    err < tolerance,
    `${label}: differs from PyTorch by ${err} (relative L2), bound ${tolerance}`,
  );
}

for (const name of ['mnist_cnn', 'fashion_cnn']) {
  const c = byName(name);
  const m = c.methods;
  testGpu(`${name}: gradient, guided backprop and LRP match PyTorch`, getEngine, async () => {
    await expect(
      `${name} gradient`,
      (await maps(c, { method: 'gradient' })).got,
      m.gradient.file,
      1e-4,
    );
    await expect(
      `${name} guided backprop`,
      (await maps(c, { method: 'guided-backprop' })).got,
      m.guided_backprop.file,
      1e-4,
    );
    await expect(
      `${name} LRP-ε`,
      (await maps(c, { method: 'lrp', lrpRule: 'epsilon', epsilon: m.lrp_epsilon.epsilon })).got,
      m.lrp_epsilon.file,
      1e-4,
    );
    await expect(
      `${name} LRP-ε+`,
      (await maps(c, {
        method: 'lrp',
        lrpRule: 'epsilon-plus',
        epsilon: m.lrp_epsilon_plus.epsilon,
      })).got,
      m.lrp_epsilon_plus.file,
      1e-4,
    );
  });

  testGpu(`${name}: Grad-CAM and HiResCAM at /relu2 match PyTorch`, getEngine, async () => {
    const layer = m.grad_cam.layer;
    const cam = await maps(c, { method: 'grad-cam', layer });
    assert(cam.shape.join() === '4,14,14', `Grad-CAM shape [${cam.shape}]`);
    await expect(`${name} Grad-CAM`, cam.got, m.grad_cam.cam, 1e-3);
    const up = await maps(c, { method: 'grad-cam', layer, upsample: true });
    assert(up.shape.join() === '4,1,28,28', `upsampled shape [${up.shape}]`);
    await expect(`${name} Grad-CAM upsampled`, up.got, m.grad_cam.upsampled.file, 1e-3);
    await expect(
      `${name} HiResCAM`,
      (await maps(c, { method: 'hires-cam', layer })).got,
      m.hires_cam.file,
      1e-3,
    );
  });

  testGpu(`${name}: occlusion matches PyTorch for two window geometries`, getEngine, async () => {
    for (const o of m.occlusion) {
      // The PyTorch reference keeps full windows only (5×5 windows at stride 3 leave the last
      // two rows and columns of the 28×28 image uncovered): `border: 'skip'`. Captum's clipped
      // border windows, the default, are checked in test/captum_test.ts.
      const r = await maps(c, {
        method: 'occlusion',
        window: o.window,
        stride: o.stride,
        fill: o.fill,
        border: 'skip',
      });
      await expect(`${name} occlusion ${o.window.join('×')}/${o.stride[0]}`, r.got, o.file, 1e-4);
    }
  });

  // 256 steps: ReLU kinks make the integrand piecewise smooth and the quadrature converge slowly
  // (fashion_cnn, relative L2 to the 4096-step map: 64 steps 1.0e-2, 128 5.0e-3, 256 2.7e-3).
  // Chromium's software adapter takes ~6 s per example here (under load): it checks the first
  // two of the four examples (fashion_cnn 2.7e-3, mnist_cnn 5.8e-4 on those two as well).
  const igRows = RUNNER === 'browser' ? 2 : 4;
  testGpu(
    `${name}: integrated gradients (256 steps) within 1% of PyTorch's 4096-step map`,
    getEngine,
    async () => {
      const r = await maps(c, { method: 'integrated-gradients', steps: 256 }, igRows);
      await expect(`${name} IG 256`, r.got, m.integrated_gradients.attribution, 0.01, igRows);
      const { delta, fx, fBaseline } = r.completeness as {
        delta: number[];
        fx: number[];
        fBaseline: number[];
      };
      const want = (await loadNpy(m.integrated_gradients.f_x)).data as Float32Array;
      delta.forEach((d, b) => {
        const gap = Math.abs(fx[b] - fBaseline[b]);
        assert(Math.abs(d) < 0.01 * gap, `${name} example ${b}: completeness delta ${d} of ${gap}`);
        assert(Math.abs(fx[b] - want[b]) < 1e-4 * Math.abs(want[b]) + 1e-5, 'f(x)');
      });
      console.log(
        `${name} IG completeness |δ|/|Δf|: ${
          delta.map((d, b) => (Math.abs(d) / Math.abs(fx[b] - fBaseline[b])).toExponential(1)).join(
            ', ',
          )
        }`,
      );
    },
  );
}

{
  const c = byName('text_transformer');
  const m = c.methods;
  testGpu('text_transformer: per-token gradient norms match PyTorch', getEngine, async () => {
    const r = await maps(c, { method: 'gradient' });
    assert(r.shape.join() === '4,64', `shape [${r.shape}]`);
    const g = await loadNpy(m.gradient.file);
    const [b, t, d] = g.shape;
    const norms = new Float64Array(b * t);
    for (let i = 0; i < b * t; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (g.data[i * d + k] as number) ** 2;
      norms[i] = Math.sqrt(s);
    }
    const err = relativeL2(r.got, norms);
    console.log(`text gradient norms: relative L2 ${err.toExponential(2)}`);
    assert(err < 1e-4, `per-token gradient norms differ by ${err}`);
  });

  // Chromium's software adapter runs this transformer ~10× slower than lavapipe: one example.
  const rows = RUNNER === 'browser' ? 1 : 4;
  // 64 steps, not the CNNs' 256: this GELU/softmax network's path integrand is smooth, so
  // Gauss–Legendre converges fast (relative L2 to the 4096-step map, 4 examples: 8 steps 0.17,
  // 16 0.040, 32 4.9e-3, 64 8.8e-4, 128 2.2e-6), and 64 steps sit 11× inside the 1% bar; the
  // CNNs above show convergence where it is slow (ReLU kinks). Each step is a forward and a
  // backward of the transformer (~0.5 s on SwiftShader). Chunks of 24 path points (24, 24, 16)
  // keep the sum across chunks, with a short last one, that 256 steps had in chunks of 99.
  testGpu('text_transformer: token IG (64 steps) within 1% of PyTorch', getEngine, async () => {
    const r = await maps(c, { method: 'integrated-gradients', steps: 64, batchSize: 24 }, rows);
    assert(r.shape.join() === `${rows},64`, `shape [${r.shape}]`);
    await expect(
      'text IG per token',
      r.got,
      m.integrated_gradients.attribution_token_sum,
      0.01,
      rows,
    );
    const { delta, fx, fBaseline } = r.completeness as {
      delta: number[];
      fx: number[];
      fBaseline: number[];
    };
    delta.forEach((dl, b) =>
      assert(Math.abs(dl) < 0.01 * Math.abs(fx[b] - fBaseline[b]), `text completeness ${dl}`)
    );
  });
}
