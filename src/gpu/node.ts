/** Node: both WebGPU backends on Dawn (SwiftShader unless VK_ICD_FILENAMES names a real driver). */
import { createNodeGpu } from './node-gpu';
import { createWebGpuMergeBackend } from './merge-backend';
import { createGramBackend } from './kinship-backend';
import type { WebGpuSetupOptions } from './setup';

export async function createNodeWebGpuBackends(opts: Omit<WebGpuSetupOptions, 'gpu'> = {}) {
  const gpu = await createNodeGpu();
  const [merge, gram] = await Promise.all([createWebGpuMergeBackend({ ...opts, gpu }), createGramBackend({ ...opts, gpu })]);
  return { merge, gram };
}
