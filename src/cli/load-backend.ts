/**
 * Picks the merge backend for `kinmerge merge --backend`. The WebGPU backend is loaded lazily so the
 * CPU path never pulls in Dawn. Hook for src/gpu: a module `src/gpu/merge-backend.ts` exporting
 * `createWebGpuMergeBackend(): Promise<MergeBackend>` (the contract in src/core/merge/types.ts).
 */
import { KinmergeError } from '../core/errors';
import { createCpuBackend } from '../core/merge/cpu-backend';
import type { MergeBackend } from '../core/merge/types';

export const BACKENDS = ['cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A backend that cannot run here (no GPU adapter, or not built yet). */
export class BackendUnavailableError extends KinmergeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('backend-unavailable', message, options);
    this.name = 'BackendUnavailableError';
  }
}

// A variable specifier keeps bundlers and tsc from requiring the module to exist at build time.
const GPU_MODULE = '../gpu/merge-backend';

export async function loadBackend(name: BackendName): Promise<MergeBackend> {
  if (name === 'cpu') return createCpuBackend();
  let mod: { createWebGpuMergeBackend?: () => Promise<MergeBackend> };
  try {
    mod = await import(/* @vite-ignore */ GPU_MODULE);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module/.test(String((e as Error)?.message))) {
      throw new BackendUnavailableError('the WebGPU backend is not available yet; use --backend cpu.', { cause: e });
    }
    throw e;
  }
  if (typeof mod.createWebGpuMergeBackend !== 'function') {
    throw new BackendUnavailableError('the WebGPU backend is not available yet; use --backend cpu.');
  }
  return mod.createWebGpuMergeBackend();
}
