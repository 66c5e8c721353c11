/** Typed wrapper of shaders/combine.wgsl: out = Σ c_k x_k over the packed segments, as F32/F16/BF16 bytes. */
import type { GpuContext } from '../context';
import type { PackedInputs } from '../packed';
import { encodeDispatch, grid, guarded, submit } from '../dispatch';
import { readBuffer } from '../readback';
import { GpuError } from '../errors';
import { MAX_INPUTS, UniformWriter, WG } from './uniform';

/** The Params uniform of combine.wgsl (208 bytes). */
export function combineUniform(packed: PackedInputs, coeffs: number[], outCode: number): UniformWriter {
  const k = coeffs.length;
  return new UniformWriter(208).u32(0, packed.n).u32(4, k).u32(8, outCode)
    .u32s(16, packed.offs.slice(0, k)).u32s(80, packed.codes.slice(0, k)).f32s(144, coeffs);
}

/** Raw little-endian bytes of the n combined elements in dtype `outCode`. */
export async function combineChunk(ctx: GpuContext, packed: PackedInputs, coeffs: number[], outCode: number): Promise<Uint8Array> {
  const k = coeffs.length;
  if (k < 1 || k > MAX_INPUTS) throw new GpuError('gpu-too-large', `The combine kernel takes 1 to ${MAX_INPUTS} inputs, got ${k}.`);
  const n = packed.n;
  const outBytes = outCode === 0 ? 4 * n : 2 * n;
  if (n === 0) return new Uint8Array(0);
  const p = await ctx.pipelines.get('combine', { inputs: 1, outputs: 1 }, { WG });
  const u = combineUniform(packed, coeffs, outCode);
  const out = ctx.pool.acquire(Math.ceil(outBytes / 4) * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'combine out');
  const release: GPUBuffer[] = [];
  try {
    const raw = await guarded(ctx, 'combine', async () => {
      const enc = ctx.device.createCommandEncoder();
      encodeDispatch(ctx, enc, p, u.buf, [packed.buffer, out], grid(ctx, Math.min(Math.ceil(n / 2 / WG), ctx.maxGroups)), release);
      submit(ctx, enc, release);
      return readBuffer(ctx, out, outBytes);
    });
    return raw;
  } finally {
    ctx.pool.release(out);
  }
}
