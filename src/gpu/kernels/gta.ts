/**
 * Typed wrapper of shaders/gta.wgsl, the elementwise TIES / DARE / task-arithmetic pass. Its Params
 * layout (816 bytes) is shared with shaders/dare_l1.wgsl (kernels/dare-l1.ts).
 */
import type { GpuContext } from '../context';
import type { PackedInputs } from '../packed';
import { encodeDispatch, grid, guarded, submit } from '../dispatch';
import { readBuffer } from '../readback';
import { GpuError } from '../errors';
import { MAX_INPUTS, UniformWriter, WG } from './uniform';

/** A "top m" boundary of the order (|d| desc, index asc): in top iff bits > v or (bits == v and ~index >= ikCut). */
export interface TopBoundary { v: number; ikCut: number }
/** Nothing is in the top 0. */
export const TOP_NONE: TopBoundary = { v: 0xffffffff, ikCut: 0xffffffff };
/** Everything is in the top numel. */
export const TOP_ALL: TopBoundary = { v: 0, ikCut: 0 };

export interface GtaKernelModel {
  weight: number;
  /** DARE L1 rescale factor (1 when none). */
  scale: number;
  /** 0 none, 1 magnitude (keep top(hi) minus top(lo)), 2 bernoulli. */
  kind: 0 | 1 | 2;
  key: number;
  thr24: number;
  hi: TopBoundary;
  lo: TopBoundary;
}

export interface GtaKernelOptions { consensus: boolean; normalize: boolean; div: number; lambda: number }

/** The Params uniform shared by gta.wgsl and dare_l1.wgsl (816 bytes). */
export function gtaUniform(packed: PackedInputs, start: number, models: GtaKernelModel[], o: GtaKernelOptions, outCode: number): ArrayBuffer {
  const k = models.length;
  if (k < 1 || k > MAX_INPUTS) throw new GpuError('gpu-too-large', `The GTA kernels take 1 to ${MAX_INPUTS} models, got ${k}.`);
  const u = new UniformWriter(48 + 48 * 16)
    .u32(0, packed.n).u32(4, start).u32(8, k).u32(12, outCode)
    .u32(16, packed.offs[k]).u32(20, packed.codes[k]).u32(24, (o.consensus ? 1 : 0) | (o.normalize ? 2 : 0))
    .f32(32, o.div).f32(36, o.lambda);
  models.forEach((m, j) => {
    const b = 48 + 48 * j;
    u.u32(b, packed.offs[j]).u32(b + 4, packed.codes[j]).u32(b + 8, m.kind).u32(b + 12, m.key)
      .u32(b + 16, m.hi.v).u32(b + 20, m.hi.ikCut).u32(b + 24, m.lo.v).u32(b + 28, m.lo.ikCut)
      .f32(b + 32, m.weight).f32(b + 36, m.weight * m.scale).u32(b + 40, m.thr24);
  });
  return u.buf;
}

/** Merged chunk as raw bytes of dtype outCode. Segments 0..k-1 are the models, segment k the base. */
export async function gtaChunk(ctx: GpuContext, packed: PackedInputs, start: number, models: GtaKernelModel[], o: GtaKernelOptions, outCode: number): Promise<Uint8Array> {
  const n = packed.n;
  const outBytes = outCode === 0 ? 4 * n : 2 * n;
  if (n === 0) return new Uint8Array(0);
  const uniform = gtaUniform(packed, start, models, o, outCode);
  const p = await ctx.pipelines.get('gta', { inputs: 1, outputs: 1 }, { WG });
  const out = ctx.pool.acquire(Math.ceil(outBytes / 4) * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'gta out');
  const release: GPUBuffer[] = [];
  try {
    const raw = await guarded(ctx, 'gta', async () => {
      const enc = ctx.device.createCommandEncoder();
      encodeDispatch(ctx, enc, p, uniform, [packed.buffer, out], grid(ctx, Math.min(Math.ceil(n / 2 / WG), ctx.maxGroups)), release);
      submit(ctx, enc, release);
      return readBuffer(ctx, out, outBytes);
    });
    return raw;
  } finally {
    ctx.pool.release(out);
  }
}
