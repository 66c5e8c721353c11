/**
 * Chunk planning, pure: split a tensor into element ranges so every binding a kernel uses stays within
 * the device's maxStorageBufferBindingSize (or a smaller limit forced in tests), whatever the model size.
 */
import { GpuError } from './errors';

export interface ChunkRange { start: number; n: number }

export interface ChunkBudget {
  /** Bytes one element occupies in the largest binding (e.g. the sum over inputs packed into one buffer). */
  bytesPerElem: number;
  /** Extra bytes per element in a second binding (outputs, partials); must also fit. */
  outBytesPerElem?: number;
  /** Largest binding in bytes. */
  maxBindingBytes: number;
  /** Upper bound on elements per chunk regardless of the binding (the caller's memory budget). */
  maxElems?: number;
  /** Chunk starts are multiples of this (even keeps 16-bit inputs word aligned). Default 256. */
  align?: number;
}

/** Largest element count per chunk under the budget, a multiple of `align`. */
export function chunkElems(b: ChunkBudget): number {
  const align = b.align ?? 256;
  const per = Math.max(b.bytesPerElem, b.outBytesPerElem ?? 0);
  let n = Math.floor(b.maxBindingBytes / per);
  if (b.maxElems !== undefined) n = Math.min(n, b.maxElems);
  n = Math.floor(n / align) * align;
  if (n < align) {
    throw new GpuError('gpu-too-large', `A chunk of ${align} elements needs ${align * per} bytes in one binding, over the limit of ${b.maxBindingBytes}. Use fewer models per merge or the CPU backend.`);
  }
  return n;
}

/** Element ranges covering [0, numel) with at most `elems` each; [] for an empty tensor. */
export function planChunks(numel: number, elems: number): ChunkRange[] {
  if (!(elems > 0)) throw new RangeError(`chunk size must be positive, got ${elems}`);
  if (numel >= 2 ** 32) {
    throw new GpuError('gpu-too-large', `Tensor of ${numel} elements: the GPU kernels index elements with u32 (< 2^32). Use the CPU backend for this model.`);
  }
  const out: ChunkRange[] = [];
  for (let start = 0; start < numel; start += elems) out.push({ start, n: Math.min(elems, numel - start) });
  return out;
}
