import { describe, expect, it, vi } from 'vitest';
import { context, gpuEnv } from './gpu-env';
import { createWebGpuBackend } from '../../src/gpu/backend/merge';
import { createResilientMergeBackend } from '../../src/gpu/backend/resilient';
import { createCpuBackend } from '../../src/core/merge/cpu-backend';
import type { TensorPlan } from '../../src/core/merge/types';
import { GpuError } from '../../src/gpu/errors';
import { mulberry32 } from '../../src/core/rng';
import { input, runPlanOn, worstUlps } from './plan-io';

// SwiftShader runs these kernels on the CPU; on a shared, loaded machine a file can take minutes.
vi.setConfig({ testTimeout: 180_000 });

const rand = (n: number, seed: number) => { const g = mulberry32(seed); return Float32Array.from({ length: n }, () => g() * 2 - 1); };

describe.skipIf(!gpuEnv.available)(`device loss mid-merge ${gpuEnv.reason}`, () => {
  const n = 2000;
  const inputs = [0, 1, 2].map((j) => input(rand(n, 90 + j), 'BF16'));
  const plan: TensorPlan = { kind: 'gta', base: 0, models: [1, 2].map((i) => ({ input: i, weight: 0.5, sparsify: { kind: 'magnitude' as const, lo: 0, hi: 800 } })), consensus: true, normalize: true, lambda: 1 };
  const cpu = createCpuBackend();

  it('device.destroy() after the first chunk: a new device finishes the tensor, output continuous and correct, and a note says so', async () => {
    const notes: string[] = [];
    const backend = await createResilientMergeBackend({
      createContext: () => context(), make: (ctx) => createWebGpuBackend(ctx, { maxBindingBytes: 2048 }), fallback: cpu, onNote: (m) => notes.push(m),
    });
    const first = backend.context()!;
    let destroyed = false;
    const got = await runPlanOn(backend, plan, inputs, 1 << 20, { onWrite: () => { if (!destroyed) { destroyed = true; first.device.destroy(); } } });
    const want = await runPlanOn(cpu, plan, inputs, 1 << 20);
    expect(destroyed).toBe(true);
    expect(worstUlps(got, want, inputs).ulps).toBeLessThanOrEqual(8);
    expect(notes.join('\n')).toMatch(/lost|Recreated the GPU device/);
    expect(backend.context()).not.toBe(first);
    backend.dispose?.();
  });

  it('no new device: the tensor and the rest finish on the CPU, with a note', async () => {
    const notes: string[] = [];
    let calls = 0;
    const backend = await createResilientMergeBackend({
      createContext: async () => { if (calls++ > 0) throw new GpuError('gpu-unavailable', 'no adapter left'); return context(); },
      make: (ctx) => createWebGpuBackend(ctx, { maxBindingBytes: 2048 }), fallback: cpu, onNote: (m) => notes.push(m),
    });
    let destroyed = false;
    const got = await runPlanOn(backend, plan, inputs, 1 << 20, { onWrite: () => { if (!destroyed) { destroyed = true; backend.context()!.device.destroy(); } } });
    const want = await runPlanOn(cpu, plan, inputs, 1 << 20);
    expect(worstUlps(got, want, inputs).ulps).toBeLessThanOrEqual(8);
    expect(notes.join('\n')).toMatch(/run on the CPU/);
    expect(backend.context()).toBeUndefined();
    // Later tensors go straight to the CPU.
    const again = await runPlanOn(backend, plan, inputs, 1 << 20);
    expect(new Uint32Array(again.buffer)).toEqual(new Uint32Array(want.buffer));
  });
});
