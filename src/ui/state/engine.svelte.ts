/**
 * The UI's session with the engine worker: backend info, the demo zoo, and the one long job at a time
 * (progress + cancel by job id). Only small plain values are reactive; results are handed to the
 * view's own session classes. The worker starts on first use, which is the first page load.
 */
import { engineClient, newJobId, proxy, type EngineClient } from '../../engine/client.ts';
import type { EngineInfo, ZooSummary } from '../../engine/api.ts';
import type { Progress } from '../../core/types.ts';

export class EngineSession {
  status = $state<'idle' | 'starting' | 'ready' | 'failed'>('idle');
  info = $state.raw<EngineInfo | null>(null);
  zoo = $state.raw<ZooSummary | null>(null);
  error = $state.raw<unknown>(null);
  progress = $state.raw<Progress | null>(null);
  /** What the running job does, for the progress bar's label; null when idle. */
  busy = $state<string | null>(null);
  /** Whether the running job is paused (evolution pauses between merges). */
  paused = $state(false);
  private jobId: string | null = null;
  private client: EngineClient | null = null;

  get ready(): boolean { return this.status === 'ready'; }
  /** Ids of the zoo experts (the default foundation models). */
  experts(): string[] {
    return (this.zoo?.models ?? []).filter((m) => m.role === 'expert').map((m) => m.id);
  }

  async start(): Promise<void> {
    if (this.status !== 'idle' && this.status !== 'failed') return;
    this.status = 'starting';
    try {
      this.client = engineClient();
      this.info = await this.client.init('auto');
      this.zoo = await this.client.zoo();
      this.status = 'ready';
    } catch (e) {
      this.error = e;
      this.status = 'failed';
    }
  }

  /** Runs one job; a second job while one runs is refused (the engine serialises work anyway). */
  async job<T>(label: string, kind: string, fn: (c: EngineClient, jobId: string, onProgress: (p: Progress) => void) => Promise<T>): Promise<T> {
    if (!this.client || this.status !== 'ready') throw new Error('The engine is not ready yet; wait for the Library to list the demo zoo.');
    if (this.busy) throw new Error(`Wait for "${this.busy}" to finish or cancel it first.`);
    const id = newJobId(kind);
    this.jobId = id;
    this.busy = label;
    this.progress = { phase: label, done: 0, total: 0, unit: '' };
    try {
      return await fn(this.client, id, proxy((p: Progress) => { if (this.jobId === id) this.progress = p; }));
    } finally {
      if (this.jobId === id) { this.jobId = null; this.busy = null; this.progress = null; this.paused = false; }
    }
  }

  cancel(): void {
    if (this.client && this.jobId) void this.client.cancel(this.jobId);
  }

  /** Pauses the running job at its next checkpoint (for evolution: before the next merge). */
  async pause(): Promise<void> {
    if (!this.client || !this.jobId) return;
    await this.client.pause(this.jobId);
    this.paused = true;
  }

  async resume(): Promise<void> {
    if (!this.client || !this.jobId) return;
    await this.client.resume(this.jobId);
    this.paused = false;
  }

  raw(): EngineClient | null { return this.client; }
}

export { proxy };
