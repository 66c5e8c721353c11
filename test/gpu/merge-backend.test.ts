import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { context, gpuEnv } from './gpu-env';
import type { GpuContext } from '../../src/gpu/context';
import { createWebGpuBackend } from '../../src/gpu/backend/merge';
import { createCpuBackend } from '../../src/core/merge/cpu-backend';
import type { TensorPlan, GtaModel } from '../../src/core/merge/types';
import { mulberry32, streamKey } from '../../src/core/rng';
import { input, runPlanOn, worstUlps, type ArrayInput } from './plan-io';

// SwiftShader runs these kernels on the CPU; on a shared, loaded machine a file can take minutes.
vi.setConfig({ testTimeout: 180_000 });

const rand = (n: number, seed: number, scale = 1) => { const g = mulberry32(seed); return Float32Array.from({ length: n }, () => (g() * 2 - 1) * scale); };
const tied = (n: number, seed: number) => { const g = mulberry32(seed); return Float32Array.from({ length: n }, () => Math.floor(g() * 9 - 4) / 8); };

const cpu = createCpuBackend();

function plans(n: number): [string, TensorPlan, number][] {
  const key = (j: number) => streamKey(42, 'model.layers.0.mlp.up_proj.weight', j);
  const models = (sp: (j: number) => GtaModel['sparsify']): GtaModel[] => [1, 2, 3].map((input, j) => ({ input, weight: [0.6, 0.9, -0.3][j], sparsify: sp(j) }));
  const k = Math.floor(0.4 * n);
  return [
    ['linear', { kind: 'linear', inputs: [1, 2, 3], coeffs: [0.2, 0.5, 0.3] }, 3],
    ['slerp t=0.3', { kind: 'slerp', a: 0, b: 1, t: 0.3 }, 2],
    ['slerp t=1.2', { kind: 'slerp', a: 1, b: 2, t: 1.2 }, 3],
    ['task_arithmetic', { kind: 'gta', base: 0, models: models(() => ({ kind: 'none' })), consensus: false, normalize: false, lambda: 1 }, 4],
    ['ties', { kind: 'gta', base: 0, models: models(() => ({ kind: 'magnitude', lo: 0, hi: k })), consensus: true, normalize: true, lambda: 1 }, 4],
    ['breadcrumbs_ties', { kind: 'gta', base: 0, models: models(() => ({ kind: 'magnitude', lo: Math.floor(0.05 * n), hi: k })), consensus: true, normalize: false, lambda: 0.8 }, 4],
    ['dare_ties', { kind: 'gta', base: 0, models: models((j) => ({ kind: 'bernoulli', density: 0.5, key: key(j), rescale: true })), consensus: true, normalize: false, lambda: 1 }, 4],
    ['dare_linear', { kind: 'gta', base: 0, models: models((j) => ({ kind: 'bernoulli', density: 0.3, key: key(j), rescale: true })), consensus: false, normalize: false, lambda: 1 }, 4],
  ];
}

describe.skipIf(!gpuEnv.available)(`WebGPU merge backend vs the CPU backend ${gpuEnv.reason}`, () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await context(); });
  afterAll(() => { ctx?.destroy(); });

  const cases: [string, (n: number) => ArrayInput[]][] = [
    ['random f32', (n) => [0, 1, 2, 3].map((j) => input(rand(n, 10 + j)))],
    ['random bf16/f16 mixed', (n) => [input(rand(n, 20), 'BF16'), input(rand(n, 21), 'F16'), input(rand(n, 22), 'BF16'), input(rand(n, 23))]],
    ['ties in |d|', (n) => [input(tied(n, 30)), input(tied(n, 31)), input(tied(n, 32)), input(tied(n, 33))]],
    ['identical, opposite and zero', (n) => { const b = rand(n, 40); const d = rand(n, 41, 0.1); return [input(b), input(b.map((v, i) => v + d[i])), input(b.map((v, i) => v - d[i])), input(new Float32Array(b))]; }],
  ];

  for (const [label, make] of cases) {
    it(`every plan kind on ${label}, sizes 1, 255 and 601, in one chunk and across chunks`, async () => {
      for (const n of [1, 255, 601]) {
        if (label !== 'random f32' && n === 255) continue;
        const inputs = make(n);
        for (const [name, plan] of plans(n)) {
          const want = await runPlanOn(cpu, plan, inputs, 1 << 20);
          // The device's limit (one chunk); a forced 2 KiB binding; the executor's own small chunk.
          const configs = label === 'random f32' ? [[undefined, 1 << 20], [2048, 1 << 20], [undefined, 100]] as const : [[undefined, 1 << 20], [2048, 1 << 20]] as const;
          for (const [binding, chunk] of configs) {
            const got = await runPlanOn(createWebGpuBackend(ctx, { maxBindingBytes: binding }), plan, inputs, chunk);
            const { ulps, at } = worstUlps(got, want, inputs);
            if (ulps > 8) throw new Error(`${label} ${name} n=${n} chunk=${chunk} binding=${binding}: ${ulps.toFixed(1)} ULPs at ${at}: got ${got[at]} want ${want[at]}`);
          }
        }
      }
    });
  }

  it('two runs are bit-identical, and the pool stays bounded by the chunk size', async () => {
    const n = 5000;
    const inputs = [0, 1, 2, 3].map((j) => input(rand(n, 50 + j), 'BF16'));
    ctx.pool.trim();
    ctx.pool.resetPeak();
    const backend = createWebGpuBackend(ctx, { maxBindingBytes: 4096 });
    for (const [, plan] of plans(n)) {
      const a = await runPlanOn(backend, plan, inputs, 1 << 20);
      const b = await runPlanOn(backend, plan, inputs, 1 << 20);
      expect(new Uint32Array(b.buffer)).toEqual(new Uint32Array(a.buffer));
    }
    // 4 KiB bindings: a handful of buffers of at most one binding each, whatever the tensor size.
    expect(ctx.pool.peakBytes).toBeLessThanOrEqual(16 * 4096);
  });
});
