import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, gpuEnv } from './gpu-env';
import { requestGpuContext, type GpuContext } from '../../src/gpu/context';
import { guarded } from '../../src/gpu/dispatch';
import { GpuError } from '../../src/gpu/errors';
import { dtypeCode } from '../../src/gpu/dtype-codes';

describe('named GPU errors without a device', () => {
  it('no adapter and no navigator.gpu are GpuError gpu-unavailable with what to do', async () => {
    const none = { requestAdapter: async () => null } as unknown as GPU;
    await expect(requestGpuContext({ gpu: none })).rejects.toMatchObject({ name: 'GpuError', code: 'gpu-unavailable', message: expect.stringMatching(/--backend cpu/) });
    expect(() => dtypeCode('I8')).toThrow(GpuError);
  });
});

describe.skipIf(!gpuEnv.available)(`named GPU errors on Dawn ${gpuEnv.reason}`, () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await context(); });
  afterAll(() => ctx?.destroy());

  it('a validation error inside guarded work is a GpuError gpu-validation, never a silent result', async () => {
    const bad = guarded(ctx, 'a test dispatch', async () => {
      ctx.device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      return 42;
    });
    await expect(bad).rejects.toMatchObject({ name: 'GpuError', code: 'gpu-validation', message: expect.stringMatching(/a test dispatch/) });
    // The device is still usable afterwards.
    await expect(guarded(ctx, 'ok', async () => 1)).resolves.toBe(1);
  });
});
