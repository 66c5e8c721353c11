/**
 * Loading a tensor's chunk for the kernels: each input's elements [start, start + n) as raw bytes in
 * its own dtype when the executor offers readRaw (BF16 uploads half the bytes of f32, decoded in the
 * kernel), else as f32. A tensor that fits in one chunk is packed once and reused by every pass.
 */
import type { PlanIO } from '../../core/merge/types';
import { throwIfAborted } from '../../core/errors';
import type { GpuContext } from '../context';
import { DT } from '../dtype-codes';
import { f32Segment, packInputs, packInputsStreamed, type PackedInputs, type Segment } from '../packed';
import { planChunks, type ChunkRange } from '../chunk';
import type { ChunkVisitor } from '../select';

export function inputCode(io: PlanIO, input: number): number {
  if (!io.readRaw || !io.dtypeOf) return DT.F32;
  const dt = io.dtypeOf(input);
  return dt === 'F16' ? DT.F16 : dt === 'BF16' ? DT.BF16 : DT.F32;
}

async function readSegment(io: PlanIO, input: number, code: number, start: number, n: number): Promise<Segment> {
  // F32 sources also go raw when possible: no decode on the CPU at all.
  if (io.readRaw && io.dtypeOf && (code !== DT.F32 || io.dtypeOf(input) === 'F32')) {
    return { code, bytes: await io.readRaw(input, start, n) };
  }
  return f32Segment(await io.readF32(input, start, n));
}

/**
 * Chunks of one plan over fixed inputs; `visit` runs a pass, `close` releases the resident chunk.
 * `whole`: the entire tensor is one resident chunk, uploaded once in pieces of the executor's chunk
 * (host memory stays at one piece per input) and reused by every pass: for multi-pass plans whose
 * passes would otherwise read and upload every chunk again.
 */
export class PlanChunks {
  readonly ranges: ChunkRange[];
  readonly codes: number[];
  private resident?: PackedInputs;
  constructor(private readonly ctx: GpuContext, private readonly io: PlanIO, private readonly inputs: number[], chunkElems: number,
    private readonly signal?: AbortSignal, private readonly whole = false) {
    this.ranges = whole ? (io.numel > 0 ? [{ start: 0, n: io.numel }] : []) : planChunks(io.numel, chunkElems);
    this.codes = inputs.map((i) => inputCode(io, i));
  }

  private async load(r: ChunkRange): Promise<PackedInputs> {
    throwIfAborted(this.signal);
    if (this.whole) {
      const piece = Math.max(2, Math.floor(this.io.chunkElems / 2) * 2);
      return packInputsStreamed(this.ctx, r.n, this.codes, piece,
        async (j, start, m) => (await readSegment(this.io, this.inputs[j], this.codes[j], start, m)).bytes, this.signal);
    }
    const segs = await Promise.all(this.inputs.map((inp, j) => readSegment(this.io, inp, this.codes[j], r.start, r.n)));
    return packInputs(this.ctx, r.n, segs);
  }

  readonly visit: ChunkVisitor = async (fn) => {
    if (this.ranges.length === 1) {
      this.resident ??= await this.load(this.ranges[0]);
      await fn(this.resident, 0);
      return;
    }
    // Prefetch the next chunk from the source while the GPU works on this one.
    let next: Promise<PackedInputs> | undefined = this.ranges.length ? this.load(this.ranges[0]) : undefined;
    try {
      for (let i = 0; i < this.ranges.length; i++) {
        const packed = await next!;
        next = i + 1 < this.ranges.length ? this.load(this.ranges[i + 1]) : undefined;
        next?.catch(() => {});
        try {
          await fn(packed, this.ranges[i].start);
        } finally {
          packed.release();
        }
      }
    } finally {
      // A pass that failed midway leaves a prefetched chunk: return its buffer to the pool.
      next?.then((p) => p.release(), () => {});
    }
  };

  close(): void { this.resident?.release(); this.resident = undefined; }
}
