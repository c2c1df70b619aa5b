// Compiles every shader in the runner's WebGPU implementation (wgpu/naga under Deno, Dawn/Tint
// in Chromium) and fails on any diagnostic, warnings included. The two compilers disagree in
// places (Tint rejects a constant expression that evaluates to NaN or ±inf; naga accepts it).
import { assert } from './assert.ts';
import { sharedEngine, testGpu } from './harness.ts';
import { SHADERS } from '../src/shaders.ts';
import { compileShaders, computeEntryPoints } from './wgsl_compile.ts';

const getEngine = sharedEngine();

testGpu('every shader compiles without diagnostics', getEngine, async (engine) => {
  const diagnostics = await compileShaders(engine.device, SHADERS);
  assert(
    diagnostics.length === 0,
    diagnostics.map((d) => `${d.shader}: ${d.type}: ${d.message}`).join('\n'),
  );
});

testGpu('the WGSL check finds real errors', getEngine, async (engine) => {
  const diagnostics = await compileShaders(engine.device, {
    'bad/syntax.wgsl': '@compute @workgroup_size(1) fn main() { let x = ; }',
    'bad/nan.wgsl': '@compute @workgroup_size(1) fn main() { let x = sqrt(-1.0); }',
  });
  assert(diagnostics.some((d) => d.shader === 'bad/syntax.wgsl'), 'syntax error found');
  assert(diagnostics.some((d) => d.shader === 'bad/nan.wgsl'), 'constant NaN found');
  assert(computeEntryPoints(SHADERS['nn/matmul.wgsl']).includes('main'));
});
