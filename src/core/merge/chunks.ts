/**
 * Chunked streaming helpers shared by the CPU backend's plan runners: a reader that memoises chunks
 * within a budget (so a multi-pass plan on a small tensor reads it once) and a pipeline that prefetches
 * the next chunk while the current one is computed and overlaps the previous write.
 */
import { throwIfAborted } from '../errors';
import type { PlanIO } from './types';

/** Reads through `io`, keeping up to `budgetElems` elements of chunks for later passes of the same plan. */
export class ChunkCache {
  private readonly cache = new Map<string, Promise<Float32Array>>();
  private held = 0;
  constructor(private readonly io: PlanIO, private readonly budgetElems: number) {}
  read(input: number, start: number, n: number): Promise<Float32Array> {
    const key = `${input}:${start}:${n}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const p = this.io.readF32(input, start, n);
    if (this.held + n <= this.budgetElems) {
      this.cache.set(key, p);
      this.held += n;
      p.catch(() => { this.cache.delete(key); });
    }
    return p;
  }
  clear(): void { this.cache.clear(); this.held = 0; }
}

export interface ChunkRange { start: number; n: number; index: number }

export function chunkRanges(numel: number, chunkElems: number): ChunkRange[] {
  const out: ChunkRange[] = [];
  for (let start = 0, index = 0; start < numel; start += chunkElems, index++) out.push({ start, n: Math.min(chunkElems, numel - start), index });
  return out;
}

/**
 * For each chunk: load (prefetched one chunk ahead), then `step`. Runs strictly in chunk order, so
 * sequential state in `step` (rank testers, running sums) sees elements in index order.
 */
export async function forEachChunk<T>(
  numel: number, chunkElems: number,
  load: (r: ChunkRange) => Promise<T>,
  step: (data: T, r: ChunkRange) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const ranges = chunkRanges(numel, chunkElems);
  let next = ranges.length ? load(ranges[0]) : undefined;
  for (let i = 0; i < ranges.length; i++) {
    throwIfAborted(signal);
    const data = await next!;
    next = i + 1 < ranges.length ? load(ranges[i + 1]) : undefined;
    // A prefetch that fails while we compute must not become an unhandled rejection.
    next?.catch(() => {});
    await step(data, ranges[i]);
  }
}

/**
 * Output side: two alternating f32 buffers, so chunk i is computed while chunk i-1 is being written.
 * `write` must not keep the buffer after its promise resolves (the executor encodes or copies it).
 */
export class DoubleBufferedWriter {
  private bufs: Float32Array[];
  private turn = 0;
  private pending: Promise<void> = Promise.resolve();
  /** `pool` lends long-lived buffers: writing into freshly allocated memory costs a page fault per
   * 4 KiB on first touch, which made the combine loop ~10x slower than on reused buffers. */
  constructor(private readonly io: PlanIO, chunkElems: number, pool?: OutputPool) {
    const size = Math.min(chunkElems, io.numel);
    const lent = pool?.take(size);
    this.bufs = lent ?? [new Float32Array(size), new Float32Array(size)];
    if (lent) this.pool = pool;
  }
  private pool?: OutputPool;
  /** Returns pooled buffers; call once the last write has finished (after flush or on failure). */
  release(): void { this.pool?.release(); this.pool = undefined; }
  /** A buffer of n elements that is not being written. */
  async take(n: number): Promise<Float32Array> {
    const b = this.bufs[this.turn];
    // Pooled buffers may be longer than this plan's chunks.
    // The buffer was last handed out two chunks ago; its write finished before the previous write began.
    return n === b.length ? b : b.subarray(0, n);
  }
  async put(values: Float32Array): Promise<void> {
    await this.pending;
    this.pending = this.io.write(values);
    this.pending.catch(() => {});
    this.turn ^= 1;
  }
  async flush(): Promise<void> { await this.pending; }
  /** After success or failure: wait for any write still using a buffer, then return pooled buffers. */
  async settle(): Promise<void> {
    await this.pending.catch(() => {});
    this.release();
  }
}

/**
 * A plan's output pass: for each chunk, `fill` computes its values into one of two pooled buffers,
 * which is written while the next chunk is loaded and computed.
 */
export async function writeChunks<T>(
  io: PlanIO, pool: OutputPool | undefined,
  load: (r: ChunkRange) => Promise<T>,
  fill: (o: Float32Array, data: T, r: ChunkRange) => void,
  signal?: AbortSignal,
): Promise<void> {
  const out = new DoubleBufferedWriter(io, io.chunkElems, pool);
  try {
    await forEachChunk(io.numel, io.chunkElems, load, async (data, r) => {
      const o = await out.take(r.n);
      fill(o, data, r);
      await out.put(o);
    }, signal);
    await out.flush();
  } finally {
    await out.settle();
  }
}

/** Two output buffers reused by every plan of one backend (plans run one at a time per backend). */
export class OutputPool {
  private bufs: Float32Array[] = [];
  private busy = false;
  /** The pooled pair, or undefined while another plan holds it. */
  take(size: number): Float32Array[] | undefined {
    if (this.busy) return undefined;
    if (this.bufs.length === 0 || this.bufs[0].length < size) this.bufs = [new Float32Array(size), new Float32Array(size)];
    this.busy = true;
    return this.bufs;
  }
  release(): void { this.busy = false; }
}
