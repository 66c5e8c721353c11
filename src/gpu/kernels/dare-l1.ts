/** Typed wrapper of shaders/dare_l1.wgsl: per model Σ|d| and Σ|kept d| for the DARE L1 rescale. */
import type { GpuContext } from '../context';
import type { PackedInputs } from '../packed';
import { encodeDispatch, grid, guarded, submit } from '../dispatch';
import { readBuffer } from '../readback';
import { gtaUniform, type GtaKernelModel } from './gta';
import { WG } from './uniform';

export const DARE_BLOCK = 128;

/** Adds this chunk's Σ|d_j| and Σ|kept d_j| (f64, block order) to all[j], kept[j]. */
export async function accumulateDareL1(ctx: GpuContext, packed: PackedInputs, start: number, models: GtaKernelModel[], all: Float64Array, kept: Float64Array): Promise<void> {
  const n = packed.n;
  if (n === 0) return;
  const k = models.length;
  const uniform = gtaUniform(packed, start, models, { consensus: false, normalize: false, div: 1, lambda: 1 }, 0);
  const p = await ctx.pipelines.get('dare_l1', { inputs: 1, outputs: 1 }, { WG, BLOCK: DARE_BLOCK });
  const blocks = Math.ceil(n / DARE_BLOCK);
  const bytes = blocks * k * 4 * 4;
  const out = ctx.pool.acquire(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'dare partials');
  const release: GPUBuffer[] = [];
  try {
    const raw = await guarded(ctx, 'dare_l1', async () => {
      const enc = ctx.device.createCommandEncoder();
      encodeDispatch(ctx, enc, p, uniform, [packed.buffer, out], grid(ctx, Math.min(Math.ceil(blocks / WG), ctx.maxGroups)), release);
      submit(ctx, enc, release);
      return readBuffer(ctx, out, bytes);
    });
    const part = new Float32Array(raw.buffer, raw.byteOffset, blocks * k * 4);
    for (let b = 0; b < blocks; b++) {
      for (let j = 0; j < k; j++) {
        const o = (b * k + j) * 4;
        all[j] += part[o] + part[o + 1];
        kept[j] += part[o + 2] + part[o + 3];
      }
    }
  } finally {
    ctx.pool.release(out);
  }
}
