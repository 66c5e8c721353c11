/**
 * Typed wrapper of shaders/radix_hist.wgsl: one 8-bit histogram pass of the radix select over the
 * 64-bit key (bits(|d|), ~index) for several queries at once.
 */
import type { GpuContext } from '../context';
import type { PackedInputs } from '../packed';
import { encodeDispatch, grid, guarded, submit } from '../dispatch';
import { readBuffer } from '../readback';
import { GpuError } from '../errors';
import { MAX_INPUTS, UniformWriter, WG } from './uniform';

export interface RadixQuery {
  model: number;
  /** 0: digit of bits(|d|); 1: digit of ~index among elements with bits(|d|) == valPrefix. */
  phase: 0 | 1;
  shift: number;
  valPrefix: number;
  valMask: number;
  ikPrefix: number;
  ikMask: number;
}

/** Queries per dispatch (the uniform table holds 32). */
export function maxQueries(_ctx: GpuContext): number {
  return 32;
}

/** The Params uniform of radix_hist.wgsl (1184 bytes). */
export function radixUniform(packed: PackedInputs, k: number, start: number, hasBase: boolean, queries: RadixQuery[]): UniformWriter {
  const u = new UniformWriter(160 + 64 * 16)
    .u32(0, packed.n).u32(4, start).u32(8, queries.length).u32(12, hasBase ? 1 : 0)
    .u32(16, hasBase ? packed.offs[k] : 0).u32(20, hasBase ? packed.codes[k] : 0)
    .u32s(32, packed.offs.slice(0, k)).u32s(96, packed.codes.slice(0, k));
  queries.forEach((q, i) => {
    const b = 160 + 32 * i;
    u.u32(b, q.model).u32(b + 4, q.phase).u32(b + 8, q.shift)
      .u32(b + 16, q.valPrefix).u32(b + 20, q.valMask).u32(b + 24, q.ikPrefix).u32(b + 28, q.ikMask);
  });
  return u;
}

/**
 * Counts for this chunk, hist[q * 256 + digit]. Segments 0..k-1 are the models (k = number of model
 * segments); segment k is the base when hasBase.
 */
export async function radixHistChunk(ctx: GpuContext, packed: PackedInputs, k: number, start: number, hasBase: boolean, queries: RadixQuery[]): Promise<Uint32Array> {
  const nq = queries.length;
  if (nq < 1 || nq > maxQueries(ctx)) throw new GpuError('gpu-too-large', `radix_hist takes 1 to ${maxQueries(ctx)} queries per dispatch, got ${nq}.`);
  if (k > MAX_INPUTS) throw new GpuError('gpu-too-large', `radix_hist takes up to ${MAX_INPUTS} models, got ${k}.`);
  const hist = new Uint32Array(nq * 256);
  const n = packed.n;
  if (n === 0) return hist;
  const p = await ctx.pipelines.get('radix_hist', { inputs: 1, outputs: 1 }, { WG });
  const u = radixUniform(packed, k, start, hasBase, queries);
  const bytes = nq * 256 * 4;
  const out = ctx.pool.acquire(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'hist');
  const release: GPUBuffer[] = [];
  try {
    const raw = await guarded(ctx, 'radix_hist', async () => {
      const enc = ctx.device.createCommandEncoder();
      enc.clearBuffer(out, 0, bytes);
      encodeDispatch(ctx, enc, p, u.buf, [packed.buffer, out], grid(ctx, Math.min(Math.ceil(n / WG), ctx.maxGroups)), release);
      submit(ctx, enc, release);
      return readBuffer(ctx, out, bytes);
    });
    hist.set(new Uint32Array(raw.buffer, raw.byteOffset, nq * 256));
    return hist;
  } finally {
    ctx.pool.release(out);
  }
}
