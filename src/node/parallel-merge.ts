/**
 * The CLI's fast path for merges of single-file checkpoints on the CPU: worker threads take whole
 * tensors from a shared queue (largest first), each reading, merging and writing its tensors at their
 * final offsets in the output file, so every core reads, computes and writes at once and each input
 * byte is read once (twice for tensors above the keep size). The bytes equal the in-process executor's
 * (same kernels, same chunking; the tests compare the two files), and the output appears only once
 * complete: it is written to `OUT.partial-<pid>` and renamed, or removed on any failure.
 *
 * Eligible: slerp, linear and copy plans (and raw copies) over F32/BF16/F16 inputs without a dtype
 * cast. Everything else takes the in-process executor.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { CancelledError, KinmergeError, throwIfAborted } from '../core/errors';
import type { MergePlan } from '../core/merge/plan';
import type { PreparedMerge, MergeResult } from '../core/merge/execute';
import { buildHeader } from '../core/safetensors';
import type { FloatDType, ProgressFn } from '../core/types';
import { fileError, FileError } from './files';
import type { WorkerInit, WorkerJob, WorkerMessage, WorkerSide } from './merge-worker';

const FLOAT = new Set(['F32', 'BF16', 'F16']);

/** Scratch memory all workers together may hold (their buffers, not V8's own), whatever the core count. */
export const WORKER_BUDGET_BYTES = 160 * 2 ** 20;

/** Bytes of scratch one worker needs at most: every input's read (and decode) buffer, plus the output's. */
export function workerBytes(jobs: WorkerJob[], chunkElems: number, keepElems: number): number {
  let worst = 0;
  for (const j of jobs) {
    const sides = j.kind === 'raw' ? [] : j.kind === 'copy' ? [j.src] : j.kind === 'slerp' ? [j.a, j.b] : j.inputs;
    const held = j.kind === 'slerp' && j.numel <= keepElems ? j.numel : Math.min(j.numel, chunkElems);
    const inputs = sides.reduce((s, x) => s + held * (x.dtype === 'F32' ? 4 : 6), 0);
    worst = Math.max(worst, j.kind === 'raw' ? Math.min(j.byteLength, chunkElems * 4) : inputs + Math.min(j.numel, chunkElems) * 6);
  }
  return worst;
}

/**
 * Whether `plan` should run on worker threads: every input a single file, no cast, supported plan
 * kinds, and at least four chunks of work (below that, starting the workers costs more than they save:
 * 120 ms vs 47 ms in process for the 2.4M-parameter demo pair).
 */
export function parallelEligible(plan: MergePlan, paths: (string | undefined)[], hasCast: boolean, chunkElems: number): boolean {
  if (hasCast || paths.some((p) => p === undefined)) return false;
  if (plan.tensors.reduce((s, t) => s + t.numel, 0) < 4 * chunkElems) return false;
  return plan.tensors.every((t) => t.plan.kind === 'raw' || ((t.plan.kind === 'slerp' || t.plan.kind === 'linear' || t.plan.kind === 'copy') && FLOAT.has(t.outDtype)));
}

export interface ParallelMergeOptions {
  prepared: PreparedMerge;
  /** The file of each input, as `prepared.sources`. */
  paths: string[];
  out: string;
  /** Worker threads wanted; fewer run when their buffers would pass WORKER_BUDGET_BYTES. */
  threads: number;
  chunkElems: number;
  /** Tensors up to this many elements are held whole per input and read once (default 2 chunks). */
  keepElems?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

/** A worker thread that failed in a way that is not the user's input (it should not happen). */
export class ParallelMergeError extends KinmergeError {
  constructor(code: string, message: string) { super(code, message); this.name = 'ParallelMergeError'; }
}

export async function parallelFileMerge(o: ParallelMergeOptions): Promise<MergeResult> {
  const { prepared: { plan, sources, metadata }, paths, chunkElems } = o;
  const { bytes: header, tensors: layout } = buildHeader(plan.tensors.map((t) => ({ name: t.name, dtype: t.outDtype, shape: t.shape })), metadata);
  const totalBytes = header.length + layout.reduce((s, t) => s + t.byteLength, 0);
  const side = (input: number, name: string): WorkerSide => {
    const info = sources[input].get(name)!;
    return { file: input, byteOffset: info.byteOffset, dtype: info.dtype as FloatDType };
  };
  const jobs: WorkerJob[] = plan.tensors.map((t, index) => {
    const base = { index, numel: t.numel, outOffset: layout[index].byteOffset };
    const p = t.plan;
    const outDtype = t.outDtype as FloatDType;
    switch (p.kind) {
      case 'raw': {
        const info = sources[p.input].get(t.name)!;
        return { ...base, kind: 'raw', src: { file: p.input, byteOffset: info.byteOffset }, byteLength: info.byteLength };
      }
      case 'copy': return { ...base, kind: 'copy', src: side(p.input, t.name), outDtype };
      case 'slerp': return { ...base, kind: 'slerp', a: side(p.a, t.name), b: side(p.b, t.name), t: p.t, outDtype };
      case 'linear': return { ...base, kind: 'linear', inputs: p.inputs.map((i) => side(i, t.name)), coeffs: p.coeffs, outDtype };
      default: throw new ParallelMergeError('parallel-unsupported', `Tensor ${t.name}: plan ${p.kind} cannot run on worker threads.`);
    }
  });
  // Largest first: the big tensors start at once and the small ones fill in, so the workers end together.
  const order = jobs.map((_, i) => i).sort((x, y) => jobs[y].numel - jobs[x].numel || x - y);
  // Before any file exists: without a bundler the caller falls back to the in-process executor.
  let code: string;
  try {
    code = await workerSource();
  } catch (e) {
    throw new ParallelMergeError('parallel-unavailable', `Worker threads are unavailable (${(e as Error).message}).`);
  }
  const partial = `${o.out}.partial-${process.pid}`;
  let workers: Worker[] = [];
  try {
    throwIfAborted(o.signal);
    const fh = await open(partial, 'w').catch((e) => { throw fileError(e, o.out, 'write'); });
    try {
      await fh.write(header, 0, header.length, 0);
      await fh.truncate(totalBytes);
    } catch (e) {
      throw fileError(e, o.out, 'write');
    } finally {
      await fh.close();
    }
    const next = new Int32Array(new SharedArrayBuffer(4));
    // Memory is bounded by the chunk size, not by the core count: fewer workers where buffers are
    // large. Past what fits while holding tensors of up to two chunks whole, more workers that each
    // hold one chunk (and read the tensors between one and two chunks twice) may do better.
    const fit = (keep: number) => Math.max(1, Math.min(o.threads, jobs.length, Math.floor(WORKER_BUDGET_BYTES / Math.max(1, workerBytes(jobs, chunkElems, keep)))));
    let keepElems = o.keepElems ?? 2 * chunkElems;
    if (o.keepElems === undefined && fit(keepElems) < o.threads && fit(chunkElems) > fit(keepElems)) keepElems = chunkElems;
    const threads = fit(keepElems);
    const init: WorkerInit = { files: paths, out: partial, jobs, order, next, chunkElems, keepElems };
    let done = 0;
    await new Promise<void>((resolve, reject) => {
      let running = threads;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        Atomics.store(next, 0, order.length);
        reject(e);
      };
      const onAbort = () => fail(o.signal!.reason instanceof CancelledError ? o.signal!.reason : new CancelledError('Merge cancelled; nothing was written.'));
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (o.signal?.aborted) onAbort();
      const count = running;
      for (let w = 0; w < count; w++) {
        const worker = new Worker(code, { eval: true });
        workers.push(worker);
        worker.on('message', (msg: WorkerMessage) => {
          if (msg.type === 'done') {
            done++;
            o.onProgress?.({ phase: 'merge', done, total: jobs.length, unit: 'tensors', detail: plan.tensors[msg.index].name });
          } else if (msg.type === 'error') {
            fail(msg.code === 'file-truncated' ? new FileError('file-truncated', msg.message)
              : msg.code && /^E[A-Z]+$/.test(msg.code) ? fileError(Object.assign(new Error(msg.message), { code: msg.code }), o.out, 'merge into')
                : new ParallelMergeError('parallel-worker', `A merge worker failed: ${msg.message}`));
          } else if (--running === 0) {
            o.signal?.removeEventListener('abort', onAbort);
            if (done === jobs.length) resolve();
            else fail(new ParallelMergeError('parallel-incomplete', `Only ${done} of ${jobs.length} tensors were merged.`));
          }
        });
        worker.on('error', (e) => fail(new ParallelMergeError('parallel-worker', `A merge worker failed: ${e.message}`)));
        worker.on('exit', (c) => { if (c !== 0) fail(new ParallelMergeError('parallel-worker', `A merge worker exited with code ${c}.`)); });
        worker.postMessage(init);
      }
    });
    await Promise.all(workers.map((w) => w.terminate()));
    workers = [];
    try {
      await rename(partial, o.out);
    } catch (e) {
      throw fileError(e, o.out, 'write');
    }
    return { tensors: jobs.length, params: plan.tensors.reduce((s, t) => s + t.numel, 0), bytes: totalBytes, notes: plan.notes, metadata };
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate().catch(() => 0)));
    await rm(partial, { force: true }).catch(() => {});
    throw e;
  }
}

let bundled: Promise<string> | undefined;

/**
 * The worker as one plain script: `merge-worker.cjs` beside this module when a build shipped one (a
 * bundled CLI), else bundled now from merge-worker.ts and the core kernels it imports.
 */
function workerSource(): Promise<string> {
  bundled ??= (async () => {
    try {
      return await readFile(new URL('./merge-worker.cjs', import.meta.url), 'utf8');
    } catch { /* running from source */ }
    // esbuild comes with tsx, which runs the CLI from source.
    const { build } = await import('esbuild');
    const r = await build({
      entryPoints: [fileURLToPath(new URL('./merge-worker.ts', import.meta.url))],
      bundle: true, platform: 'node', format: 'cjs', write: false, target: 'node20', logLevel: 'silent',
    });
    return r.outputFiles[0].text;
  })();
  return bundled;
}
