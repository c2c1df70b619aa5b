// torchvision's classification models as people export them (torch.onnx.export defaults: batch
// fixed at 1, opset 14), with random weights: each loads and runs, its logits are within 1e-4
// relative L2 of PyTorch's float64 forward, the input gradient of PyTorch's top class within
// 1e-3, and integrated gradients with 32 steps (Gauss–Legendre, zero baseline, which needs the
// fixed batch to run 32 points) is checked in one of two ways. Where PyTorch's own float64 IG-32
// adds up to f(x) − f(0) within 1% (the smooth models: EfficientNet, ViT, Swin, ConvNeXt), the map
// must match PyTorch's within 1e-3 and the completeness be within 1%. On random ReLU networks
// float64 IG-32 itself misses by 1%–1700% (their gradients jump along the path), and a
// pre-activation within ~1e-6 of a kink at one of the 32 points flips in f32 (PyTorch's float32
// misses its float64 map by up to 2e-2 there): the map must equal x · Σ wᵢ ∇f(αᵢx) from glassbox's
// own gradients at the same points within 1e-4, and the completeness is logged. Both runners.
//
// References: test/fixtures/make_torchvision_models.py. The small committed models (small
// members of the same torchvision classes, 10 classes, 32×32 inputs) always run; the standard
// configurations (1000 classes, test/fixtures/torchvision/full/, git-ignored) run under Deno
// when regenerated and GLASSBOX_TORCHVISION=full is set — they take minutes each on a software
// adapter. bench/torchvision_table.ts prints the same measurements as a table.
//
// Tolerances (bench/torchvision_table.ts BOUNDS): f32 sums of at most a few thousand terms per
// layer over tens of layers; PyTorch's own float32 forward lands at 2e-7..2e-5 relative L2 from
// float64 on the committed models (`torch_f32` in the manifest), the input gradient at 2e-7..5e-6.
// The inputs were picked away from ReLU/ReLU6/Hardswish kinks so both sides take the same branches.
import { assert } from './assert.ts';
import { RUNNER, sharedEngine, testGpu } from './harness.ts';
import {
  BOUNDS,
  completenessReachable,
  hasFiles,
  IG_STEPS,
  loadManifest,
  measure,
  REGENERATE,
  verdicts,
} from '../bench/torchvision_table.ts';

const getEngine = sharedEngine();
const manifest = await loadManifest();

const deno = (globalThis as { Deno?: typeof Deno }).Deno;
const full = deno?.env.get('GLASSBOX_TORCHVISION') === 'full';

for (const m of manifest.models) {
  const shape = m.input_shape ? ` ${m.input_shape.join('×')}` : '';
  const title = `torchvision ${m.name}${shape}: runs, logits within ${BOUNDS.logits}, ` +
    `top-class gradient within ${BOUNDS.gradient}, ` +
    (completenessReachable(m)
      ? `IG-${IG_STEPS} map within ${BOUNDS.ig} and completeness within ` +
        `${BOUNDS.completeness * 100}%`
      : `IG-${IG_STEPS} within ${BOUNDS.igPointwise} of its own gradients at the ${IG_STEPS} ` +
        `points (completeness not checked: ${
          m.torch_ig32
            ? `PyTorch's float64 IG-${IG_STEPS} misses by ${
              (m.torch_ig32.completeness * 100).toPrecision(2)
            }% on this random network`
            : 'no float64 reference above 96 px'
        })`);
  let ignore: string | false = false;
  if (!m.exported) ignore = `torch 1.13 did not export it: ${m.error}`;
  else if (!m.committed && RUNNER === 'browser') {
    ignore = 'standard-size models run under Deno only (software adapters take minutes each)';
  } else if (!m.committed && !full) {
    ignore = 'standard-size model: set GLASSBOX_TORCHVISION=full to run it';
  } else if (!m.committed && !(await hasFiles(m))) {
    // A committed model's missing file fails its test instead.
    ignore = `${m.files?.model} absent; regenerate with ${REGENERATE}`;
  }
  testGpu(title, getEngine, async (engine) => {
    const r = await measure(engine, m);
    console.log(
      `${m.name}: logits ${r.logitsRelL2?.toExponential(2)}, gradient ${
        r.gradientRelL2?.toExponential(2)
      }, IG-${IG_STEPS} map ${r.igRelL2?.toExponential(2)} (own gradients ${
        r.igPointwiseRelL2?.toExponential(2)
      }), completeness ${r.igCompleteness?.toExponential(2)} (PyTorch float64 ${
        m.torch_ig32?.completeness.toExponential(2)
      }) (${(r.ms / 1000).toFixed(1)} s)`,
    );
    const failed = verdicts(m, r);
    assert(r.runs, `${m.name} does not run: ${failed.join('; ')}`);
    assert(failed.length === 0, `${m.name}: ${failed.join('; ')}`);
  }, { ignore, timeout: 300_000 });
}
