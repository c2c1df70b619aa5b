/**
 * Per-device cache of shader modules and compute pipelines, keyed by everything that changes the
 * compiled code: the WGSL source, the entry point and the override constants. It lives in a
 * `WeakMap` keyed by the device, so a lost or destroyed device takes its pipelines with it.
 *
 * @module
 */

/** What identifies a compute pipeline. */
export interface PipelineKey {
  /** WGSL source. */
  code: string;
  /** Label for the module and pipeline (the shader path, e.g. `nn/unary.wgsl`). */
  label: string;
  /** Entry point; default `main`. */
  entryPoint?: string;
  /** Values for the shader's `override` declarations. */
  constants?: Record<string, number>;
}

interface DeviceCache {
  modules: Map<string, GPUShaderModule>;
  pipelines: Map<string, GPUComputePipeline>;
}

const CACHES = new WeakMap<GPUDevice, DeviceCache>();

function cacheOf(device: GPUDevice): DeviceCache {
  let cache = CACHES.get(device);
  if (!cache) {
    cache = { modules: new Map(), pipelines: new Map() };
    CACHES.set(device, cache);
  }
  return cache;
}

/** A stable string for a constants record: keys sorted, so `{a, b}` and `{b, a}` agree. */
export function constantsKey(constants: Record<string, number> | undefined): string {
  if (!constants) return '';
  return Object.keys(constants).sort().map((k) => `${k}=${constants[k]}`).join(',');
}

/** The shader module for `code` on `device`, compiled once. */
export function getShaderModule(device: GPUDevice, code: string, label: string): GPUShaderModule {
  const cache = cacheOf(device);
  let module = cache.modules.get(code);
  if (!module) {
    module = device.createShaderModule({ code, label });
    cache.modules.set(code, module);
  }
  return module;
}

/** The compute pipeline for `key` on `device` (layout `auto`), created once and then reused. */
export function getPipeline(device: GPUDevice, key: PipelineKey): GPUComputePipeline {
  const cache = cacheOf(device);
  const entryPoint = key.entryPoint ?? 'main';
  const constants = constantsKey(key.constants);
  // The code itself is part of the key: two shaders that share a label never collide.
  const id = `${entryPoint}|${constants}|${key.code}`;
  let pipeline = cache.pipelines.get(id);
  if (!pipeline) {
    const module = getShaderModule(device, key.code, key.label);
    pipeline = device.createComputePipeline({
      label: constants ? `${key.label}:${entryPoint}[${constants}]` : `${key.label}:${entryPoint}`,
      layout: 'auto',
      compute: { module, entryPoint, constants: key.constants },
    });
    cache.pipelines.set(id, pipeline);
  }
  return pipeline;
}

/** How many pipelines are cached for `device` (for tests and diagnostics). */
export function cachedPipelineCount(device: GPUDevice): number {
  return CACHES.get(device)?.pipelines.size ?? 0;
}
