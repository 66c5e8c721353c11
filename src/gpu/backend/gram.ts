/**
 * The WebGPU GramBackend of kinship (src/core/kinship/gram.ts): per tensor, each input is read once
 * per chunk through `readChunk` (f32), packed, and gram.wgsl accumulates S and G of the K deltas.
 * K > 8 models are covered by tiles: pairs of model tiles (<= 16 inputs per dispatch) over the same
 * uploaded chunk, so the checkpoints are still read once.
 */
import type { GramBackend, GramJob, ReadChunk, TensorGram } from '../../core/kinship/gram';
import { throwIfAborted } from '../../core/errors';
import type { GpuContext } from '../context';
import { chunkElems, planChunks } from '../chunk';
import { f32Segment, packInputs } from '../packed';
import { accumulateGram, gramPartialBytesPerElem, newGramSums } from '../kernels/gram';

/** Models per tile: two tiles plus the base stay within the kernel's 16 inputs. */
const TILE = 7;

export function createWebGpuGramBackend(ctx: GpuContext): GramBackend & { ctx: GpuContext } {
  return {
    name: 'webgpu',
    ctx,
    async accumulate(job: GramJob, readChunk: ReadChunk, signal?: AbortSignal): Promise<TensorGram> {
      const K = job.models;
      const tiles: number[][] = [];
      for (let t = 0; t < K; t += TILE) tiles.push(Array.from({ length: Math.min(TILE, K - t) }, (_, i) => t + i));
      const pairs: [number[], number[]][] = [];
      for (let a = 0; a < tiles.length; a++) for (let b = a; b < tiles.length; b++) pairs.push([tiles[a], tiles[b]]);
      const kMax = Math.min(K, 2 * TILE);
      const elems = Math.min(job.chunkElems, chunkElems({
        bytesPerElem: 4 * (kMax + 1) + 16, outBytesPerElem: gramPartialBytesPerElem(kMax), maxBindingBytes: ctx.maxBindingBytes, align: 2,
      }));
      const S = new Float64Array(K);
      const G = new Float64Array(K * K);
      for (const r of planChunks(job.numel, Math.max(1, elems))) {
        throwIfAborted(signal);
        // Input 0 is the base, 1..K the models: read each once for this chunk.
        const data = await Promise.all(Array.from({ length: K + 1 }, (_, i) => readChunk(i, r.start, r.n, signal)));
        for (const [ta, tb] of pairs) {
          const ids = ta === tb ? ta : [...ta, ...tb];
          const packed = packInputs(ctx, r.n, [...ids.map((m) => f32Segment(data[m + 1])), f32Segment(data[0])]);
          try {
            const acc = newGramSums(ids.length);
            await accumulateGram(ctx, packed, ids.length, true, acc);
            ids.forEach((mi, i) => {
              if (ta === tb) S[mi] += acc.s[i];
              ids.forEach((mj, j) => {
                // Diagonal tiles give every pair of their models; off-diagonal tiles only the cross pairs.
                if (ta === tb || (i < ta.length) !== (j < ta.length)) G[mi * K + mj] += acc.g[i * ids.length + j];
              });
            });
          } finally {
            packed.release();
          }
        }
      }
      return { n: job.numel, S, G };
    },
  };
}
