/**
 * Entry point of the WebGPU merge backend, loaded lazily by src/cli/load-backend.ts (and the engine):
 * a resilient backend (device loss -> new device or the CPU, with a note) on the best adapter.
 */
import type { MergeBackend } from '../core/merge/types';
import { createCpuBackend } from '../core/merge/cpu-backend';
import { createWebGpuBackend } from './backend/merge';
import { createResilientMergeBackend, type ResilientMergeBackend } from './backend/resilient';
import { contextFactory, defaultNote, type WebGpuSetupOptions } from './setup';

export async function createWebGpuMergeBackend(opts: WebGpuSetupOptions = {}): Promise<ResilientMergeBackend> {
  return createResilientMergeBackend({
    createContext: await contextFactory(opts),
    make: (ctx) => createWebGpuBackend(ctx) as MergeBackend,
    fallback: createCpuBackend(),
    onNote: opts.onNote ?? defaultNote,
  });
}
