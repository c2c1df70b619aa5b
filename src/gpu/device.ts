/**
 * Acquiring a WebGPU adapter and device in a browser or in Deno.
 *
 * @module
 */

import { WebGpuUnavailableError } from './errors.ts';

/** Options for {@linkcode requestDevice}. */
export interface RequestDeviceOptions {
  /** Passed to `requestAdapter`. */
  powerPreference?: GPUPowerPreference;
  /** Features to require; unavailable ones raise {@linkcode WebGpuUnavailableError}. */
  requiredFeatures?: GPUFeatureName[];
  /**
   * Ask for the adapter's maximum limits (storage binding size, workgroup storage, ...) instead
   * of WebGPU's defaults. Default `true`: large weight tensors need them.
   */
  maxLimits?: boolean;
  /** Label of the device. */
  label?: string;
}

/** An adapter with the device requested from it, and what is known about the adapter. */
export interface AcquiredDevice {
  /** The adapter the device came from. */
  adapter: GPUAdapter;
  /** The new device. Its owner must `destroy()` it. */
  device: GPUDevice;
  /** A plain description of the adapter (vendor, architecture, description, fallback flag). */
  info: AdapterSummary;
}

/** A serializable description of an adapter, for logs and benchmark reports. */
export interface AdapterSummary {
  /** Vendor as WebGPU reports it (may be empty). */
  vendor: string;
  /** Architecture, e.g. `swiftshader`. */
  architecture: string;
  /** Device id or name. */
  device: string;
  /** Driver description, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  description: string;
  /** True for software adapters (SwiftShader, lavapipe): correctness only, never speed claims. */
  isFallbackAdapter: boolean;
}

const HOW_TO_FIX = 'In Chrome or Edge 113+, WebGPU is on by default over HTTPS or localhost; ' +
  'on Linux start Chromium with --enable-unsafe-webgpu. In Deno (2.x), install a Vulkan driver ' +
  '(Debian: apt-get install mesa-vulkan-drivers) so that navigator.gpu finds an adapter. ' +
  'Firefox needs version 141+ (Windows) or dom.webgpu.enabled.';

/** Summarizes an adapter for logs; works with the older `requestAdapterInfo` shape too. */
export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const fallback = (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ??
    (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  const architecture = info?.architecture ?? '';
  const description = info?.description ?? '';
  return {
    vendor: info?.vendor ?? '',
    architecture,
    device: info?.device ?? '',
    description,
    // lavapipe and SwiftShader are CPU rasterizers even where the flag is not set.
    isFallbackAdapter: fallback ||
      /swiftshader|llvmpipe|lavapipe/i.test(architecture + description),
  };
}

/** One line naming the adapter, e.g. `swiftshader (fallback)`. */
export function describeAdapter(info: AdapterSummary): string {
  const name = [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') ||
    'unknown adapter';
  return info.isFallbackAdapter ? `${name} (software)` : name;
}

/**
 * Requests a fresh adapter and a device from it. A new adapter is requested every time, since an
 * adapter whose device was destroyed will not make another.
 *
 * @throws {WebGpuUnavailableError} when WebGPU, an adapter or the device is not available.
 */
export async function requestDevice(options: RequestDeviceOptions = {}): Promise<AcquiredDevice> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new WebGpuUnavailableError(
      `WebGPU is not available: navigator.gpu is undefined. ${HOW_TO_FIX}`,
    );
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
  } catch (cause) {
    throw new WebGpuUnavailableError(`WebGPU requestAdapter() failed: ${cause}. ${HOW_TO_FIX}`, {
      cause,
    });
  }
  if (!adapter) {
    throw new WebGpuUnavailableError(`WebGPU found no adapter. ${HOW_TO_FIX}`);
  }
  const missing = (options.requiredFeatures ?? []).filter((f) => !adapter.features.has(f));
  if (missing.length > 0) {
    throw new WebGpuUnavailableError(
      `The WebGPU adapter lacks required features: ${missing.join(', ')}.`,
    );
  }
  const requiredLimits: Record<string, number> = {};
  if (options.maxLimits ?? true) {
    for (
      const name of [
        'maxStorageBufferBindingSize',
        'maxBufferSize',
        'maxComputeWorkgroupStorageSize',
        'maxComputeInvocationsPerWorkgroup',
        'maxComputeWorkgroupSizeX',
        'maxComputeWorkgroupSizeY',
        'maxStorageBuffersPerShaderStage',
      ] as const
    ) {
      const value = adapter.limits[name];
      if (typeof value === 'number') requiredLimits[name] = value;
    }
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: options.label ?? 'glassbox',
      requiredFeatures: options.requiredFeatures,
      requiredLimits,
    });
  } catch (cause) {
    throw new WebGpuUnavailableError(`WebGPU requestDevice() failed: ${cause}.`, { cause });
  }
  return { adapter, device, info: summarizeAdapter(adapter) };
}
