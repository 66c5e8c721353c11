/**
 * Shared setup of the Node GPU tests: one Dawn adapter probe per file. Tests use
 * `describe.skipIf(!gpu.available)` and the reason is printed, so a skip is visible, never silent.
 */
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { requestGpuContext, type GpuContext, type GpuContextOptions } from '../../src/gpu/context';

export interface GpuEnv { available: boolean; reason: string; gpu?: GPU }

export async function probeGpu(): Promise<GpuEnv> {
  try {
    const gpu = await createNodeGpu();
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'no WebGPU adapter (install chromium + libvulkan1 for SwiftShader, or set VK_ICD_FILENAMES)' };
    return { available: true, reason: '', gpu };
  } catch (e) {
    return { available: false, reason: `Dawn did not load: ${(e as Error).message}` };
  }
}

export const gpuEnv = await probeGpu();
if (!gpuEnv.available) console.warn(`[gpu tests skipped] ${gpuEnv.reason}`);

export function context(opts: Omit<GpuContextOptions, 'gpu'> = {}): Promise<GpuContext> {
  return requestGpuContext({ ...opts, gpu: gpuEnv.gpu });
}
