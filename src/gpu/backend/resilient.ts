/**
 * Device loss and GPU failures, handled without a silent wrong result. A tensor whose GPU run fails
 * with a GpuError is retried on a recreated device (device loss, validation, out-of-memory) or run on
 * the CPU backend (a plan the kernels cannot take, or a second failure); every switch is reported
 * through `onNote`. Output already written for the tensor is not written twice: the retry's first
 * values are skipped up to the count already sent, so the executor sees one contiguous stream.
 */
import type { MergeBackend, PlanIO, TensorPlan } from '../../core/merge/types';
import type { GramBackend, GramJob, ReadChunk, TensorGram } from '../../core/kinship/gram';
import { GpuError } from '../errors';
import type { GpuContext } from '../context';

export interface ResilientOptions<B> {
  /** A fresh context (a new device). */
  createContext: () => Promise<GpuContext>;
  /** The GPU backend on a context. */
  make: (ctx: GpuContext) => B;
  /** The CPU reference backend, used when the GPU cannot finish. */
  fallback: B;
  onNote?: (message: string) => void;
  /** Device recreations allowed per run (default 2). */
  maxRecreates?: number;
}

/** Kernels cannot take this plan at all: go to the CPU for this tensor, keep the device. */
const CPU_ONLY = new Set(['gpu-too-large', 'gpu-dtype']);

class Resilience<B extends { name: string }> {
  ctx?: GpuContext;
  gpu?: B;
  cpuOnly = false;
  recreates = 0;
  readonly notes: string[] = [];
  constructor(private readonly o: ResilientOptions<B>, ctx: GpuContext) { this.ctx = ctx; this.gpu = o.make(ctx); }

  note(m: string): void { this.notes.push(m); this.o.onNote?.(m); }

  async run<T>(what: string, onGpu: (b: B, attempt: number) => Promise<T>, onCpu: (b: B) => Promise<T>): Promise<T> {
    for (let attempt = 0; !this.cpuOnly && this.gpu; attempt++) {
      try {
        return await onGpu(this.gpu, attempt);
      } catch (e) {
        if (!(e instanceof GpuError)) throw e;
        if (CPU_ONLY.has(e.code)) {
          this.note(`${what}: ${e.message} Computed on the CPU instead.`);
          return onCpu(this.o.fallback);
        }
        if (this.recreates >= (this.o.maxRecreates ?? 2)) {
          this.cpuOnly = true;
          this.note(`${what}: ${e.message} The GPU failed again, so this and the remaining tensors run on the CPU.`);
          break;
        }
        this.recreates++;
        try { this.ctx?.destroy(); } catch { /* already gone */ }
        try {
          this.ctx = await this.o.createContext();
          this.gpu = this.o.make(this.ctx);
          this.note(`${what}: ${e.message} Recreated the GPU device and retried the tensor.`);
        } catch (e2) {
          this.cpuOnly = true;
          this.note(`${what}: ${e.message} A new GPU device could not be created (${(e2 as Error).message}); this and the remaining tensors run on the CPU.`);
        }
      }
    }
    return onCpu(this.o.fallback);
  }
}

/** io whose first `skip` written values are dropped (already written by a failed attempt). */
function resumeIO(io: PlanIO, skip: number, count: (n: number) => void): PlanIO {
  let seen = 0;
  return {
    ...io,
    async write(values) {
      const drop = Math.min(Math.max(0, skip - seen), values.length);
      seen += values.length;
      if (drop === values.length) return;
      count(values.length - drop);
      await io.write(drop ? values.subarray(drop) : values);
    },
  };
}

export interface ResilientMergeBackend extends MergeBackend { readonly notes: string[]; readonly context: () => GpuContext | undefined }

export async function createResilientMergeBackend(o: ResilientOptions<MergeBackend>): Promise<ResilientMergeBackend> {
  const r = new Resilience(o, await o.createContext());
  return {
    name: 'webgpu',
    notes: r.notes,
    context: () => (r.cpuOnly ? undefined : r.ctx),
    async runPlan(plan: TensorPlan, io: PlanIO, signal?: AbortSignal) {
      let written = 0;
      const add = (n: number) => { written += n; };
      const attemptIO = () => resumeIO(io, written, add);
      await r.run(io.tensorName, (b) => b.runPlan(plan, attemptIO(), signal), (cpu) => cpu.runPlan(plan, attemptIO(), signal));
    },
    dispose() { r.ctx?.destroy(); },
  };
}

export interface ResilientGramBackend extends GramBackend { readonly notes: string[] }

export async function createResilientGramBackend(o: ResilientOptions<GramBackend>): Promise<ResilientGramBackend> {
  const r = new Resilience(o, await o.createContext());
  return {
    name: 'webgpu',
    notes: r.notes,
    accumulate(job: GramJob, readChunk: ReadChunk, signal?: AbortSignal): Promise<TensorGram> {
      return r.run(job.name, (b) => b.accumulate(job, readChunk, signal), (cpu) => cpu.accumulate(job, readChunk, signal));
    },
  };
}
