/**
 * WebGPU in plain Node through Dawn (the `webgpu` npm package). Imported dynamically so browser
 * bundles never see it. Without a GPU, Dawn runs on SwiftShader's Vulkan ICD from Debian's chromium:
 * VK_ICD_FILENAMES defaults to it when unset and the file exists (set it to use a real Vulkan driver).
 */
import { existsSync } from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let cached: Promise<GPU> | undefined;

/** navigator.gpu's equivalent for Node (one Dawn instance per process). */
export function createNodeGpu(): Promise<GPU> {
  cached ??= (async () => {
    if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    const { create, globals } = await import('webgpu');
    // Dawn's constants (GPUBufferUsage, GPUMapMode, ...) are globals in browsers; provide them here.
    for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    return create([]) as GPU;
  })();
  return cached;
}
