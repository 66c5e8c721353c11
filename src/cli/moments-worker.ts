/**
 * Uses the second core for SLERP: a worker thread computes each tensor's pass-1 moments (Σa², Σb², Σab)
 * ahead of the main thread, which then only reads, combines and writes (pass 2). The worker reads the
 * files itself into reused buffers and runs the core's own moments kernel (as plain JS source, built
 * from the same functions, since loading TypeScript in a worker is slow), with the same chunking, so
 * the moments are bit-identical to the main thread's and the output does not depend on the worker.
 *
 * Only single-file F32/BF16 inputs without a dtype cast qualify; anything else, or any worker failure,
 * falls back to the main thread's pass 1.
 */
import { Worker } from 'node:worker_threads';
import { momentsKernelSource } from '../core/merge/kernels';
import type { MergePlan, PlannedTensor } from '../core/merge/plan';
import type { PairMoments } from '../core/merge/slerp';
import type { TensorSource } from '../core/types';

interface Side { path: string; byteOffset: number; dtype: 'F32' | 'BF16' }
interface Job { name: string; numel: number; a: Side; b: Side }

const WORKER = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
${momentsKernelSource()}
parentPort.once('message', ({ jobs, chunkElems, claims }) => {
  const fds = new Map();
  const fd = (p) => { if (!fds.has(p)) fds.set(p, fs.openSync(p, 'r')); return fds.get(p); };
  const raw = [new Uint8Array(chunkElems * 4), new Uint8Array(chunkElems * 4)];
  const f32 = [new Float32Array(chunkElems), new Float32Array(chunkElems)];
  const read = (k, side, start, n) => {
    const width = side.dtype === 'F32' ? 4 : 2;
    const len = n * width, buf = raw[k];
    let done = 0;
    while (done < len) {
      const got = fs.readSync(fd(side.path), buf, done, len - done, side.byteOffset + start * width + done);
      if (got === 0) throw new Error('unexpected end of ' + side.path);
      done += got;
    }
    if (side.dtype === 'F32') return new Float32Array(buf.buffer, 0, n);
    const src = new Uint16Array(buf.buffer, 0, n), o = new Uint32Array(f32[k].buffer, 0, n);
    for (let i = 0; i < n; i++) o[i] = src[i] << 16;
    return f32[k];
  };
  try {
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j];
      // Claim the job; the main thread computes the ones it reaches first itself.
      if (Atomics.compareExchange(claims, j, 0, 1) !== 0) continue;
      const m = { aa: 0, bb: 0, ab: 0 };
      for (let start = 0; start < job.numel; start += chunkElems) {
        const n = Math.min(chunkElems, job.numel - start);
        pairMoments(read(0, job.a, start, n), read(1, job.b, start, n), n, m);
      }
      parentPort.postMessage({ name: job.name, m });
    }
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message || e) });
  } finally {
    for (const f of fds.values()) fs.closeSync(f);
  }
});
`;

export interface MomentsAhead {
  /** `paths[i]`: the single safetensors file of input i, or undefined (sharded, in memory...). */
  onPlan(plan: MergePlan, sources: TensorSource[], paths: (string | undefined)[]): void;
  pairMoments(t: PlannedTensor, a: number, b: number): Promise<PairMoments> | undefined;
  /** Resolves when the worker has answered every job (tests). */
  settled(): Promise<void>;
  dispose(): Promise<void>;
}

export function createMomentsAhead(chunkElems: number, hasCast: boolean): MomentsAhead {
  let worker: Worker | undefined;
  let claims: Int32Array | undefined;
  const index = new Map<string, number>();
  const waiting = new Map<string, { resolve: (m: PairMoments) => void; reject: (e: Error) => void; promise: Promise<PairMoments> }>();
  const failAll = (e: Error) => { for (const w of waiting.values()) w.reject(e); };
  return {
    onPlan(plan, sources, paths) {
      if (hasCast) return;
      const side = (input: number, name: string): Side | undefined => {
        const info = sources[input].get(name);
        const path = paths[input];
        return path && info && (info.dtype === 'F32' || info.dtype === 'BF16') ? { path, byteOffset: info.byteOffset, dtype: info.dtype } : undefined;
      };
      const jobs: Job[] = [];
      for (const t of plan.tensors) {
        if (t.plan.kind !== 'slerp') continue;
        const a = side(t.plan.a, t.name), b = side(t.plan.b, t.name);
        if (a && b) jobs.push({ name: t.name, numel: t.numel, a, b });
      }
      // Small merges finish before a worker would have started.
      if (jobs.reduce((s, j) => s + j.numel, 0) < 4 * chunkElems) return;
      claims = new Int32Array(new SharedArrayBuffer(4 * jobs.length));
      jobs.forEach((j, i) => index.set(j.name, i));
      for (const j of jobs) {
        let resolve!: (m: PairMoments) => void, reject!: (e: Error) => void;
        const promise = new Promise<PairMoments>((res, rej) => { resolve = res; reject = rej; });
        promise.catch(() => {});
        waiting.set(j.name, { resolve, reject, promise });
      }
      try {
        worker = new Worker(WORKER, { eval: true });
      } catch (e) {
        failAll(e as Error);
        return;
      }
      worker.on('message', (msg: { name?: string; m?: PairMoments; error?: string }) => {
        if (msg.error !== undefined) failAll(new Error(msg.error));
        else waiting.get(msg.name!)?.resolve(msg.m!);
      });
      worker.on('error', (e) => failAll(e));
      worker.on('exit', () => failAll(new Error('moments worker exited')));
      worker.unref();
      worker.postMessage({ jobs, chunkElems, claims });
    },
    pairMoments(t) {
      const i = index.get(t.name);
      if (i === undefined || !claims) return undefined;
      // Not started by the worker yet (it is still starting up, or behind): compute it here instead.
      if (Atomics.compareExchange(claims, i, 0, 2) === 0) return undefined;
      return waiting.get(t.name)?.promise;
    },
    async settled() {
      await Promise.all([...waiting.values()].map((w) => w.promise.catch(() => {})));
    },
    async dispose() {
      failAll(new Error('merge finished'));
      if (claims) Atomics.store(claims, 0, 2); // nothing more to do; terminate without waiting for it
      void worker?.terminate();
    },
  };
}
