/**
 * The CPU reference backend: runs the four plan kinds chunk by chunk with memory bounded by the chunk
 * size. Elementwise math is f64 (JS numbers) with ONE rounding to f32 when stored; the executor then
 * rounds to BF16/F16 with RNE. Reductions accumulate in f64.
 */
import { throwIfAborted } from '../errors';
import { ChunkCache, DoubleBufferedWriter, forEachChunk } from './chunks';
import { runGta } from './cpu-gta';
import { slerpCoefficients, type PairMoments } from './slerp';
import type { MergeBackend, PlanIO, TensorPlan } from './types';

export const DEFAULT_CHUNK_ELEMS = 4 * 1024 * 1024;

export interface CpuBackendOptions {
  /** Elements of chunks kept per plan for its later passes (bounded memory; 0 disables). Default 4 chunks' worth. */
  cacheElems?: number;
}

export function createCpuBackend(opts: CpuBackendOptions = {}): MergeBackend {
  return {
    name: 'cpu',
    async runPlan(plan: TensorPlan, io: PlanIO, signal?: AbortSignal): Promise<void> {
      throwIfAborted(signal);
      const cache = new ChunkCache(io, opts.cacheElems ?? 4 * io.chunkElems);
      switch (plan.kind) {
        case 'copy': return runCopy(plan.input, io, signal);
        case 'linear': return runLinear(plan.inputs, plan.coeffs, io, signal);
        case 'slerp': return runSlerp(plan.a, plan.b, plan.t, io, cache, signal);
        case 'gta': return runGta(plan, io, cache, signal);
      }
    },
  };
}

async function runCopy(input: number, io: PlanIO, signal?: AbortSignal): Promise<void> {
  let pending: Promise<void> = Promise.resolve();
  await forEachChunk(io.numel, io.chunkElems, (r) => io.readF32(input, r.start, r.n), async (x) => {
    await pending;
    pending = io.write(x);
  }, signal);
  await pending;
}

async function runLinear(inputs: number[], coeffs: number[], io: PlanIO, signal?: AbortSignal): Promise<void> {
  const out = new DoubleBufferedWriter(io, io.chunkElems);
  await forEachChunk(io.numel, io.chunkElems, (r) => Promise.all(inputs.map((i) => io.readF32(i, r.start, r.n))), async (xs, r) => {
    const o = await out.take(r.n);
    if (xs.length === 2) {
      const [a, b] = xs; const [c0, c1] = coeffs;
      for (let j = 0; j < r.n; j++) o[j] = c0 * a[j] + c1 * b[j];
    } else {
      for (let j = 0; j < r.n; j++) {
        let s = 0;
        for (let k = 0; k < xs.length; k++) s += coeffs[k] * xs[k][j];
        o[j] = s;
      }
    }
    await out.put(o);
  }, signal);
  await out.flush();
}

/** Σa², Σb², Σab over a pair of chunks, in f64. */
export function pairMoments(a: Float32Array, b: Float32Array, n: number, m: PairMoments): void {
  let aa = 0, bb = 0, ab = 0;
  for (let j = 0; j < n; j++) {
    const x = a[j], y = b[j];
    aa += x * x; bb += y * y; ab += x * y;
  }
  m.aa += aa; m.bb += bb; m.ab += ab;
}

async function runSlerp(a: number, b: number, t: number, io: PlanIO, cache: ChunkCache, signal?: AbortSignal): Promise<void> {
  const m: PairMoments = { aa: 0, bb: 0, ab: 0 };
  const load = (r: { start: number; n: number }) => Promise.all([cache.read(a, r.start, r.n), cache.read(b, r.start, r.n)]);
  await forEachChunk(io.numel, io.chunkElems, load, ([x, y], r) => pairMoments(x, y, r.n, m), signal);
  const { s0, s1 } = slerpCoefficients(t, m);
  const out = new DoubleBufferedWriter(io, io.chunkElems);
  await forEachChunk(io.numel, io.chunkElems, load, async ([x, y], r) => {
    const o = await out.take(r.n);
    for (let j = 0; j < r.n; j++) o[j] = s0 * x[j] + s1 * y[j];
    await out.put(o);
  }, signal);
  await out.flush();
  cache.clear();
}
