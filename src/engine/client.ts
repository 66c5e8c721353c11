/**
 * The UI's handle on the engine: a comlink proxy to the engine worker. Callbacks must be wrapped with
 * `proxy(fn)`; job ids let the UI cancel, pause and resume.
 */
import { proxy, wrap, type Remote } from 'comlink';
import type { MergeEngine } from './api';

export type EngineClient = Remote<MergeEngine>;

let client: EngineClient | undefined;

export function engineClient(): EngineClient {
  client ??= wrap<MergeEngine>(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'kinmerge-engine' }));
  return client;
}

let jobs = 0;
export const newJobId = (kind: string): string => `${kind}-${Date.now().toString(36)}-${++jobs}`;

export { proxy };
