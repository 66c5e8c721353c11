/**
 * Worker thread of the parallel file merge (parallel-merge.ts). Each worker takes whole tensors from a
 * shared queue, reads its inputs with positional reads into buffers it reuses, runs the core's own
 * kernels with the CPU backend's chunking (so the f64 moment sums, and hence every output byte, equal
 * the in-process path's), and writes the result at the tensor's offset in the output file. Tensors up
 * to `keepElems` are read once; larger ones are read twice (SLERP's angle needs the whole tensor).
 *
 * This file is bundled (esbuild) into a plain script at run time: a worker cannot load TypeScript fast.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { decodeInto, encodeInto } from '../core/dtype';
import { combine2, combineN, pairMoments, warmUpKernels } from '../core/merge/kernels';
import { slerpCoefficients, type PairMoments } from '../core/merge/slerp';
import type { FloatDType } from '../core/types';

/** One input tensor: a file (index into `files`), the absolute offset of its data and its dtype. */
export interface WorkerSide { file: number; byteOffset: number; dtype: FloatDType }

interface JobBase { index: number; numel: number; outOffset: number }
export type WorkerJob =
  | JobBase & { kind: 'raw'; src: { file: number; byteOffset: number }; byteLength: number }
  | JobBase & { kind: 'copy'; src: WorkerSide; outDtype: FloatDType }
  | JobBase & { kind: 'slerp'; a: WorkerSide; b: WorkerSide; t: number; outDtype: FloatDType }
  | JobBase & { kind: 'linear'; inputs: WorkerSide[]; coeffs: number[]; outDtype: FloatDType };

export interface WorkerInit {
  files: string[];
  out: string;
  jobs: WorkerJob[];
  /** jobs[order[i]] is the i-th job handed out (largest first, for balance). */
  order: number[];
  /** Shared counter: the next position in `order`. Any value past the end stops every worker. */
  next: Int32Array;
  chunkElems: number;
  keepElems: number;
}

export type WorkerMessage =
  | { type: 'done'; index: number; numel: number }
  | { type: 'finished' }
  | { type: 'error'; message: string; code?: string };

const WIDTH: Record<FloatDType, number> = { F32: 4, BF16: 2, F16: 2 };

class Reader {
  private readonly fds: number[];
  constructor(files: string[]) { this.fds = files.map((f) => openSync(f, 'r')); }
  /** Reads exactly `len` bytes at `pos` of file `file` into `buf` from offset 0. */
  read(file: number, pos: number, buf: Uint8Array, len: number, files: string[]): void {
    let done = 0;
    while (done < len) {
      const got = readSync(this.fds[file], buf, done, len - done, pos + done);
      if (got === 0) throw Object.assign(new Error(`${files[file]} ended at byte ${pos + done}, before ${pos + len}: it changed while being merged.`), { code: 'file-truncated' });
      done += got;
    }
  }
  close(): void { for (const fd of this.fds) closeSync(fd); }
}

/** Growable scratch buffers, reused across tensors (fresh memory costs a page fault per 4 KiB). */
class Scratch {
  private raw: Uint8Array[] = [];
  private f32: Float32Array[] = [];
  bytes(slot: number, len: number): Uint8Array {
    if (!this.raw[slot] || this.raw[slot].length < len) this.raw[slot] = new Uint8Array(len);
    return this.raw[slot];
  }
  floats(slot: number, n: number): Float32Array {
    if (!this.f32[slot] || this.f32[slot].length < n) this.f32[slot] = new Float32Array(n);
    return this.f32[slot];
  }
}

function run(init: WorkerInit): void {
  const { files, jobs, order, next, chunkElems, keepElems } = init;
  const reader = new Reader(files);
  const out = openSync(init.out, 'r+');
  const scratch = new Scratch();
  // Slots: 0..k-1 inputs, 100 output floats, 101 output bytes.
  const load = (slot: number, s: WorkerSide, start: number, n: number): Float32Array => {
    const w = WIDTH[s.dtype];
    const bytes = scratch.bytes(slot, n * w);
    reader.read(s.file, s.byteOffset + start * w, bytes, n * w, files);
    if (s.dtype === 'F32') return new Float32Array(bytes.buffer, 0, n);
    return decodeInto(s.dtype, bytes.subarray(0, n * w), n, scratch.floats(slot, n));
  };
  const write = (values: Float32Array, outDtype: FloatDType, pos: number): void => {
    const len = values.length * WIDTH[outDtype];
    const bytes = outDtype === 'F32'
      ? new Uint8Array(values.buffer, values.byteOffset, len)
      : encodeInto(outDtype, values, scratch.bytes(101, len).subarray(0, len));
    let done = 0;
    while (done < len) done += writeSync(out, bytes, done, len - done, pos + done);
  };
  /** Elementwise job over inputs `sides`: `fill(o, xs, n)` computes chunk values, written in place. */
  const elementwise = (job: WorkerJob & { outDtype: FloatDType }, sides: WorkerSide[], whole: Float32Array[] | undefined,
    fill: (o: Float32Array, xs: Float32Array[], n: number) => void): void => {
    const w = WIDTH[job.outDtype];
    for (let start = 0; start < job.numel; start += chunkElems) {
      const n = Math.min(chunkElems, job.numel - start);
      const xs = whole ? whole.map((x) => x.subarray(start, start + n)) : sides.map((s, k) => load(k, s, start, n));
      const o = scratch.floats(100, n).subarray(0, n);
      fill(o, xs, n);
      write(o, job.outDtype, job.outOffset + start * w);
    }
  };
  try {
    warmUpKernels();
    for (;;) {
      const at = Atomics.add(next, 0, 1);
      if (at >= order.length) break;
      const job = jobs[order[at]];
      if (job.kind === 'raw') {
        for (let start = 0; start < job.byteLength; start += chunkElems * 4) {
          const len = Math.min(chunkElems * 4, job.byteLength - start);
          const bytes = scratch.bytes(0, len);
          reader.read(job.src.file, job.src.byteOffset + start, bytes, len, files);
          let done = 0;
          while (done < len) done += writeSync(out, bytes, done, len - done, job.outOffset + start + done);
        }
      } else if (job.kind === 'copy') {
        elementwise(job, [job.src], undefined, (o, [x], n) => { o.set(x.subarray(0, n)); });
      } else if (job.kind === 'linear') {
        elementwise(job, job.inputs, undefined, (o, xs, n) => combineN(o, xs, n, job.coeffs));
      } else {
        // Pass 1 in the CPU backend's chunks (pairMoments adds per-block partial sums in order).
        const whole = job.numel <= keepElems ? [load(0, job.a, 0, job.numel), load(1, job.b, 0, job.numel)] : undefined;
        const m: PairMoments = { aa: 0, bb: 0, ab: 0 };
        for (let start = 0; start < job.numel; start += chunkElems) {
          const n = Math.min(chunkElems, job.numel - start);
          const [x, y] = whole ? [whole[0].subarray(start), whole[1].subarray(start)] : [load(0, job.a, start, n), load(1, job.b, start, n)];
          pairMoments(x, y, n, m);
        }
        const { s0, s1 } = slerpCoefficients(job.t, m);
        elementwise(job, [job.a, job.b], whole, (o, [x, y], n) => combine2(o, x, y, n, s0, s1));
      }
      parentPort!.postMessage({ type: 'done', index: job.index, numel: job.numel } satisfies WorkerMessage);
    }
    parentPort!.postMessage({ type: 'finished' } satisfies WorkerMessage);
  } catch (e) {
    // Stop the other workers too: nothing more will be written.
    Atomics.store(next, 0, order.length);
    const err = e as NodeJS.ErrnoException;
    parentPort!.postMessage({ type: 'error', message: err?.message ?? String(e), code: typeof err?.code === 'string' ? err.code : undefined } satisfies WorkerMessage);
  } finally {
    closeSync(out);
    reader.close();
  }
}

parentPort?.once('message', (init: WorkerInit) => run(init));
