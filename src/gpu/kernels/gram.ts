/**
 * Typed wrapper of shaders/gram.wgsl: per-block partial S_k = Σ d_k and G_ab = Σ d_a d_b of K inputs
 * (d = x - base with a base), read back and added in block order in float64: deterministic.
 */
import type { GpuContext } from '../context';
import type { PackedInputs } from '../packed';
import { encodeDispatch, grid, guarded, submit } from '../dispatch';
import { readBuffer } from '../readback';
import { GpuError } from '../errors';
import { MAX_INPUTS, UniformWriter, WG } from './uniform';

/** Elements per partial: f32 error is that of a 128-term sum; partials cost (K + K(K+1)/2) / 128 words per element. */
export const GRAM_BLOCK = 128;

export interface GramSums {
  k: number;
  /** Elements accumulated. */
  n: number;
  /** S_k = Σ d_k (f64). */
  s: Float64Array;
  /** G as a full symmetric k x k matrix, row-major (f64). */
  g: Float64Array;
}

export function newGramSums(k: number): GramSums {
  return { k, n: 0, s: new Float64Array(k), g: new Float64Array(k * k) };
}

/** f32 words of partials per block. */
export const gramStride = (k: number): number => k + (k * (k + 1)) / 2;

/** Bytes of partials per element (for chunk planning). */
export const gramPartialBytesPerElem = (k: number): number => (gramStride(k) * 4) / GRAM_BLOCK;

/** The Params uniform of gram.wgsl (144 bytes). */
export function gramUniform(packed: PackedInputs, k: number, hasBase: boolean): UniformWriter {
  return new UniformWriter(144)
    .u32(0, packed.n).u32(4, hasBase ? 1 : 0).u32(8, hasBase ? packed.offs[k] : 0).u32(12, hasBase ? packed.codes[k] : 0)
    .u32s(16, packed.offs.slice(0, k)).u32s(80, packed.codes.slice(0, k));
}

/**
 * Adds the chunk in `packed` to `acc`. Segments 0..k-1 are the inputs; segment k is the base when
 * `hasBase`.
 */
export async function accumulateGram(ctx: GpuContext, packed: PackedInputs, k: number, hasBase: boolean, acc: GramSums): Promise<void> {
  if (k < 1 || k > MAX_INPUTS) throw new GpuError('gpu-too-large', `The Gram kernel takes 1 to ${MAX_INPUTS} inputs, got ${k}.`);
  const n = packed.n;
  if (n === 0) return;
  const p = await ctx.pipelines.get('gram', { inputs: 1, outputs: 1 }, { WG, K: k, BLOCK: GRAM_BLOCK });
  const blocks = Math.ceil(n / GRAM_BLOCK);
  const stride = gramStride(k);
  const u = gramUniform(packed, k, hasBase);
  const bytes = blocks * stride * 4;
  const out = ctx.pool.acquire(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'gram partials');
  const release: GPUBuffer[] = [];
  try {
    const raw = await guarded(ctx, 'gram', async () => {
      const enc = ctx.device.createCommandEncoder();
      encodeDispatch(ctx, enc, p, u.buf, [packed.buffer, out], grid(ctx, Math.min(Math.ceil(blocks / WG), ctx.maxGroups)), release);
      submit(ctx, enc, release);
      return readBuffer(ctx, out, bytes);
    });
    const part = new Float32Array(raw.buffer, raw.byteOffset, blocks * stride);
    // Fixed order: block by block, so the f64 result does not depend on timing.
    const s = new Float64Array(k);
    const g = new Float64Array(stride - k);
    for (let b = 0, o = 0; b < blocks; b++, o += stride) {
      for (let i = 0; i < k; i++) s[i] += part[o + i];
      for (let j = 0; j < stride - k; j++) g[j] += part[o + k + j];
    }
    for (let i = 0; i < k; i++) acc.s[i] += s[i];
    for (let a = 0, q = 0; a < k; a++) {
      for (let c = a; c < k; c++, q++) { acc.g[a * k + c] += g[q]; if (c !== a) acc.g[c * k + a] += g[q]; }
    }
    acc.n += n;
  } finally {
    ctx.pool.release(out);
  }
}
