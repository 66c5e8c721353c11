/**
 * The WebGPU context: adapter, a device with the adapter's real limits (the defaults cap a binding at
 * 128 MiB), the pipeline cache and the buffer pool. `device.lost` and `uncapturederror` become named
 * GpuError events; `check()` throws the first one so no caller proceeds on a dead device.
 */
import { GpuError } from './errors';
import { PipelineCache } from './pipelines';
import { BufferPool } from './buffers';

export interface GpuContextOptions {
  /** The GPU object (navigator.gpu in browsers, `create([])` of the `webgpu` package in Node). */
  gpu?: GPU;
  /** Force a smaller binding limit (tests of chunking; a tighter memory budget). */
  maxBindingBytes?: number;
  /** Cap of the buffer pool in bytes (default: 4 bindings + 64 MiB). */
  poolCapBytes?: number;
  powerPreference?: GPUPowerPreference;
}

export interface AdapterSummary { vendor: string; architecture: string; device: string; description: string; isFallback: boolean }

export interface GpuContext {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly info: AdapterSummary;
  /**
   * Most workgroups per dispatch (kernels grid-stride beyond it): many on real GPUs to fill them, few
   * on CPU fallback adapters, where SwiftShader ran an elementwise pass 6x slower at 16384 groups than at 64.
   */
  readonly maxGroups: number;
  /** Largest storage binding a kernel may use (bytes, multiple of 16). */
  readonly maxBindingBytes: number;
  readonly pipelines: PipelineCache;
  readonly pool: BufferPool;
  /** Listen to device loss and uncaptured errors. Returns an unsubscribe function. */
  onError(fn: (e: GpuError) => void): () => void;
  /** Throws the first device error seen (a lost device, an uncaptured validation error). */
  check(): void;
  readonly lost: boolean;
  /** Destroy the device (also the way tests simulate a lost device). */
  destroy(): void;
}

/** The limits we ask for: everything that bounds chunk sizes and dispatch shapes. */
const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export async function requestGpuContext(opts: GpuContextOptions = {}): Promise<GpuContext> {
  const gpu = opts.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new GpuError('gpu-unavailable', 'WebGPU is not available here (no navigator.gpu). Use the CPU backend, or a browser with WebGPU enabled.');
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) throw new GpuError('gpu-unavailable', 'No WebGPU adapter was found. Use the CPU backend (--backend cpu), or check the GPU driver (in Node: VK_ICD_FILENAMES).');
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredLimits, label: 'kinmerge' });
  const a = adapter.info ?? ({} as GPUAdapterInfo);
  const info: AdapterSummary = {
    vendor: a.vendor ?? '', architecture: a.architecture ?? '', device: a.device ?? '', description: a.description ?? '',
    isFallback: Boolean((a as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize, opts.maxBindingBytes ?? Infinity);
  const maxBindingBytes = Math.floor(limit / 16) * 16;
  const listeners = new Set<(e: GpuError) => void>();
  let first: GpuError | undefined;
  let lost = false;
  const emit = (e: GpuError) => { first ??= e; for (const fn of listeners) fn(e); };
  void device.lost.then((li) => {
    lost = true;
    emit(new GpuError('gpu-device-lost', `The GPU device was lost (${li.reason}${li.message ? `: ${li.message}` : ''}). The work in flight is retried on a new device or finished on the CPU.`));
  });
  device.addEventListener?.('uncapturederror', (ev: Event) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    const oom = typeof GPUOutOfMemoryError !== 'undefined' && err instanceof GPUOutOfMemoryError;
    emit(new GpuError(oom ? 'gpu-out-of-memory' : 'gpu-uncaptured', `The GPU reported an error: ${err.message}`));
  });
  const pool = new BufferPool(device, opts.poolCapBytes ?? 4 * maxBindingBytes + 64 * 2 ** 20);
  return {
    adapter, device, info, maxBindingBytes, pool,
    maxGroups: info.isFallback || /swiftshader/i.test(`${info.vendor} ${info.architecture}`) ? 64 : 8192,
    pipelines: new PipelineCache(device),
    onError(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    check() { if (first) throw first; },
    get lost() { return lost; },
    destroy() { pool.destroyAll(); device.destroy(); },
  };
}

/** A one-line description of the adapter for logs and the UI. */
export function describeAdapter(info: AdapterSummary): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(Boolean);
  return `${parts.join(' ') || 'unknown adapter'}${info.isFallback ? ' (software fallback adapter)' : ''}`;
}
