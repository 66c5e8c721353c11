/**
 * Reading GPU results back: copy into a MAP_READ staging buffer, mapAsync, copy out, unmap. The
 * staging buffer returns to the pool in `finally`, also when mapping fails on a lost device.
 */
import type { GpuContext } from './context';
import { GpuError } from './errors';

export async function readBuffer(ctx: GpuContext, src: GPUBuffer, byteLength: number, encoder?: GPUCommandEncoder): Promise<Uint8Array> {
  const size = Math.ceil(byteLength / 4) * 4;
  const staging = ctx.pool.acquire(size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'staging');
  try {
    const enc = encoder ?? ctx.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, staging, 0, size);
    ctx.device.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, size);
    } catch (e) {
      ctx.check();
      throw new GpuError('gpu-device-lost', `Reading a result back from the GPU failed: ${(e as Error).message}`, { cause: e });
    }
    const out = new Uint8Array(byteLength);
    out.set(new Uint8Array(staging.getMappedRange(0, size), 0, byteLength));
    staging.unmap();
    return out;
  } finally {
    ctx.pool.release(staging);
  }
}
