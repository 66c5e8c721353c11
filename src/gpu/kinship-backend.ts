/** Entry point of the WebGPU kinship (Gram) backend, loaded lazily by the kinship command and engine. */
import { cpuGramBackend, type GramBackend } from '../core/kinship/gram';
import { createWebGpuGramBackend } from './backend/gram';
import { createResilientGramBackend, type ResilientGramBackend } from './backend/resilient';
import { contextFactory, defaultNote, type WebGpuSetupOptions } from './setup';

export async function createGramBackend(opts: WebGpuSetupOptions = {}): Promise<ResilientGramBackend> {
  return createResilientGramBackend({
    createContext: await contextFactory(opts),
    make: (ctx) => createWebGpuGramBackend(ctx) as GramBackend,
    fallback: cpuGramBackend,
    onNote: opts.onNote ?? defaultNote,
  });
}
