/**
 * Compiles WGSL sources on a device and collects every diagnostic: the shader module's
 * compilation messages (errors, warnings, infos) and validation errors raised while creating a
 * compute pipeline for each `@compute` entry point with the overrides' defaults. Shared by the
 * Deno check (`test/check_wgsl.ts`, wgpu/naga) and the Chromium test (Dawn/Tint).
 *
 * @module
 */

/** One diagnostic about one shader. */
export interface ShaderDiagnostic {
  /** Path under `shaders/`. */
  shader: string;
  /** `error`, `warning`, `info`, or `validation` for a pipeline-creation error. */
  type: string;
  /** The compiler's text, with line and column where given. */
  message: string;
}

/** Names of the `@compute` entry points declared in `code`. */
export function computeEntryPoints(code: string): string[] {
  const names: string[] = [];
  const pattern = /@compute(?:\s+@workgroup_size\([^)]*\))?\s+fn\s+([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const match of code.matchAll(pattern)) names.push(match[1]);
  return names;
}

/** Compiles every shader of `shaders` on `device`; returns all diagnostics (empty when clean). */
export async function compileShaders(
  device: GPUDevice,
  shaders: Readonly<Record<string, string>>,
): Promise<ShaderDiagnostic[]> {
  const found: ShaderDiagnostic[] = [];
  for (const [shader, code] of Object.entries(shaders)) {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code, label: shader });
    const info = await module.getCompilationInfo();
    for (const m of info.messages ?? []) {
      found.push({ shader, type: m.type, message: `${m.lineNum}:${m.linePos} ${m.message}` });
    }
    const entries = computeEntryPoints(code);
    if (entries.length === 0) {
      found.push({ shader, type: 'error', message: 'no @compute entry point found' });
    }
    for (const entryPoint of entries) {
      device.pushErrorScope('validation');
      device.createComputePipeline({
        label: `${shader}:${entryPoint}`,
        layout: 'auto',
        compute: { module, entryPoint },
      });
      const error = await device.popErrorScope();
      if (error) found.push({ shader, type: 'validation', message: error.message });
    }
    const moduleError = await device.popErrorScope();
    if (moduleError) found.push({ shader, type: 'validation', message: moduleError.message });
  }
  return found;
}
