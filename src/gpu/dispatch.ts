/** Encoding one kernel dispatch: its uniform, bind group and workgroup grid. */
import type { GpuContext } from './context';
import type { CachedPipeline } from './pipelines';
import { GpuError } from './errors';

/** Workgroup grid (x, y) for `groups` workgroups within maxComputeWorkgroupsPerDimension. */
export function grid(ctx: GpuContext, groups: number): [number, number] {
  const max = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [Math.max(1, groups), 1];
  const y = Math.ceil(groups / max);
  if (y > max) throw new GpuError('gpu-too-large', `A dispatch of ${groups} workgroups exceeds the device's grid. Use a smaller chunk size.`);
  return [max, y];
}

export function encodeDispatch(
  ctx: GpuContext, enc: GPUCommandEncoder, p: CachedPipeline, uniform: ArrayBuffer,
  buffers: GPUBuffer[], groups: [number, number], release: GPUBuffer[],
): void {
  const ubuf = ctx.pool.acquire(uniform.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, 'params');
  ctx.device.queue.writeBuffer(ubuf, 0, uniform);
  const bind = ctx.device.createBindGroup({
    layout: p.layout,
    entries: [ubuf, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const pass = enc.beginComputePass();
  pass.setPipeline(p.pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(groups[0], groups[1]);
  pass.end();
  // Pool reuse is safe after submit: the queue orders later writes after this dispatch.
  release.push(ubuf);
}

/** Submit and release the buffers used by the encoded work. */
export function submit(ctx: GpuContext, enc: GPUCommandEncoder, release: GPUBuffer[]): void {
  ctx.device.queue.submit([enc.finish()]);
  for (const b of release) ctx.pool.release(b);
  release.length = 0;
}

/**
 * Runs GPU work inside validation and out-of-memory error scopes and throws a named GpuError when
 * either caught something, so no result computed by a failed dispatch is ever used.
 */
export async function guarded<T>(ctx: GpuContext, what: string, fn: () => Promise<T>): Promise<T> {
  ctx.check();
  ctx.device.pushErrorScope('out-of-memory');
  ctx.device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    const [validation, oom] = await Promise.all([ctx.device.popErrorScope().catch(() => null), ctx.device.popErrorScope().catch(() => null)]);
    if (oom) throw new GpuError('gpu-out-of-memory', `The GPU ran out of memory in ${what}: ${oom.message}. Use a smaller chunk size or the CPU backend.`);
    if (validation) throw new GpuError('gpu-validation', `The GPU rejected ${what}: ${validation.message}`);
  }
  ctx.check();
  return result;
}
