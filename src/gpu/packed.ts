/**
 * Several input segments (the chunk [start, start + n) of each input tensor, in its own dtype) packed
 * into ONE read-only storage buffer: kernels take any number of inputs through one binding, and read
 * each segment at a word offset with its dtype code. F16/BF16 segments hold two elements per word.
 */
import type { GpuContext } from './context';
import { segmentWords } from './dtype-codes';
import { throwIfAborted } from '../core/errors';

export interface Segment {
  /** Dtype code (dtype-codes.ts). */
  code: number;
  /** Raw little-endian bytes of the n elements (F32 as 4 bytes each). */
  bytes: Uint8Array;
}

export interface PackedInputs {
  buffer: GPUBuffer;
  /** Elements per segment (the chunk length). */
  n: number;
  /** Word offset and dtype code of each segment, in the order given. */
  offs: number[];
  codes: number[];
  byteLength: number;
  release(): void;
}

/** Bytes the packed buffer of these dtypes takes for n elements (for chunk planning). */
export function packedBytesPerElem(codes: number[]): number {
  return codes.reduce((s, c) => s + (c === 0 ? 4 : 2), 0);
}

/** Word offset of each segment of n elements, each rounded to 4 words (16-byte aligned for writeBuffer). */
function segmentLayout(codes: number[], n: number): { offs: number[]; byteLength: number } {
  const offs: number[] = [];
  let words = 0;
  for (const c of codes) {
    offs.push(words);
    words += Math.ceil(segmentWords(c, n) / 4) * 4;
  }
  return { offs, byteLength: Math.max(16, words * 4) };
}

export function packInputs(ctx: GpuContext, n: number, segments: Segment[]): PackedInputs {
  const { offs, byteLength } = segmentLayout(segments.map((s) => s.code), n);
  const buffer = ctx.pool.acquire(byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, 'packed inputs');
  segments.forEach((s, i) => {
    const need = segmentWords(s.code, n) * 4;
    if (s.bytes.byteLength === need) {
      ctx.device.queue.writeBuffer(buffer, offs[i] * 4, s.bytes.buffer, s.bytes.byteOffset, need);
    } else {
      // An odd count of 16-bit elements: pad to a whole word.
      const padded = new Uint8Array(need);
      padded.set(s.bytes.subarray(0, Math.min(need, s.bytes.byteLength)));
      ctx.device.queue.writeBuffer(buffer, offs[i] * 4, padded);
    }
  });
  return { buffer, n, offs, codes: segments.map((s) => s.code), byteLength, release: () => ctx.pool.release(buffer) };
}

/**
 * Like packInputs for `n` elements, but filled piece by piece: `read(segment, start, m)` returns the
 * raw bytes of elements [start, start + m) of one segment, called for pieces of at most `piece`
 * elements (even, so 16-bit pieces start on a word), so host memory holds one piece while the GPU
 * buffer holds the whole tensor: for plans that read their inputs many times.
 */
export async function packInputsStreamed(ctx: GpuContext, n: number, codes: number[], piece: number,
  read: (segment: number, start: number, m: number) => Promise<Uint8Array>, signal?: AbortSignal): Promise<PackedInputs> {
  if (piece < 2 || piece % 2 !== 0) throw new RangeError(`piece must be even and at least 2, got ${piece}`);
  const { offs, byteLength } = segmentLayout(codes, n);
  const buffer = ctx.pool.acquire(byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, 'packed inputs (resident)');
  try {
    for (let i = 0; i < codes.length; i++) {
      const width = codes[i] === 0 ? 4 : 2;
      for (let start = 0; start < n; start += piece) {
        throwIfAborted(signal);
        const m = Math.min(piece, n - start);
        const bytes = await read(i, start, m);
        const need = Math.ceil((m * width) / 4) * 4;
        const data = bytes.byteLength === need ? bytes : (() => { const p = new Uint8Array(need); p.set(bytes.subarray(0, Math.min(need, bytes.byteLength))); return p; })();
        ctx.device.queue.writeBuffer(buffer, offs[i] * 4 + start * width, data.buffer, data.byteOffset, need);
      }
    }
  } catch (e) {
    ctx.pool.release(buffer);
    throw e;
  }
  return { buffer, n, offs, codes: [...codes], byteLength, release: () => ctx.pool.release(buffer) };
}

/** A Float32Array as an F32 segment (no copy). */
export function f32Segment(x: Float32Array): Segment {
  return { code: 0, bytes: new Uint8Array(x.buffer, x.byteOffset, x.byteLength) };
}
