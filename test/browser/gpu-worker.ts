/**
 * Module worker for gpu.browser.test.ts: the same checks as the Node GPU tests, inside a Web Worker
 * (where the engine runs), on navigator.gpu: every plan kind of the WebGPU merge backend against the
 * CPU backend (F32 and BF16 inputs, one chunk and forced small bindings), the Gram backend against the
 * CPU Gram, bit-identical reruns, and device.destroy() mid-merge recovered with a note.
 */
import { requestGpuContext, describeAdapter } from '../../src/gpu/context';
import { createWebGpuBackend } from '../../src/gpu/backend/merge';
import { createWebGpuGramBackend } from '../../src/gpu/backend/gram';
import { createResilientMergeBackend } from '../../src/gpu/backend/resilient';
import { createCpuBackend } from '../../src/core/merge/cpu-backend';
import { cpuGramBackend } from '../../src/core/kinship/gram';
import type { GtaModel, TensorPlan } from '../../src/core/merge/types';
import { mulberry32, streamKey } from '../../src/core/rng';
import { input, runPlanOn, worstUlps } from '../gpu/plan-io';

const rand = (n: number, seed: number) => { const g = mulberry32(seed); return Float32Array.from({ length: n }, () => g() * 2 - 1); };

function plans(n: number): [string, TensorPlan][] {
  const models = (sp: (j: number) => GtaModel['sparsify']): GtaModel[] => [1, 2, 3].map((i, j) => ({ input: i, weight: [0.6, 0.9, -0.3][j], sparsify: sp(j) }));
  return [
    ['linear', { kind: 'linear', inputs: [1, 2, 3], coeffs: [0.2, 0.5, 0.3] }],
    ['slerp', { kind: 'slerp', a: 0, b: 1, t: 0.3 }],
    ['task_arithmetic', { kind: 'gta', base: 0, models: models(() => ({ kind: 'none' })), consensus: false, normalize: false, lambda: 1 }],
    ['ties', { kind: 'gta', base: 0, models: models(() => ({ kind: 'magnitude', lo: 0, hi: Math.floor(0.4 * n) })), consensus: true, normalize: true, lambda: 1 }],
    ['dare_ties', { kind: 'gta', base: 0, models: models((j) => ({ kind: 'bernoulli', density: 0.5, key: streamKey(42, 'model.layers.0.mlp.up_proj.weight', j), rescale: true })), consensus: true, normalize: false, lambda: 1 }],
  ];
}

async function checks(): Promise<{ adapter: string; results: string[]; failures: string[]; notes: string[] }> {
  const ctx = await requestGpuContext();
  const cpu = createCpuBackend();
  const results: string[] = [], failures: string[] = [];
  for (const dtype of ['F32', 'BF16'] as const) {
    for (const n of [1, 601]) {
      const inputs = [0, 1, 2, 3].map((j) => input(rand(n, 10 * j + n), dtype));
      for (const [name, plan] of plans(n)) {
        const want = await runPlanOn(cpu, plan, inputs, 1 << 20);
        for (const maxBindingBytes of [undefined, 2048]) {
          const backend = createWebGpuBackend(ctx, { maxBindingBytes });
          const got = await runPlanOn(backend, plan, inputs, 1 << 20);
          const again = await runPlanOn(backend, plan, inputs, 1 << 20);
          const { ulps } = worstUlps(got, want, inputs);
          const label = `${name} ${dtype} n=${n} binding=${maxBindingBytes ?? 'device'}: ${ulps.toFixed(2)} ULP`;
          results.push(label);
          if (!(ulps <= 8)) failures.push(label);
          if (!new Uint32Array(got.buffer).every((v, i) => v === new Uint32Array(again.buffer)[i])) failures.push(`${label}: rerun not bit-identical`);
        }
      }
    }
  }
  const K = 3, n = 777;
  const xs = Array.from({ length: K + 1 }, (_, i) => rand(n, 100 + i));
  const job = { name: 't', numel: n, models: K, chunkElems: 256 };
  const read = async (i: number, s: number, l: number) => xs[i].slice(s, s + l);
  const g = await createWebGpuGramBackend(ctx).accumulate(job, read);
  const c = await cpuGramBackend.accumulate(job, read);
  const gramErr = Math.max(...Array.from(c.G, (v, q) => Math.abs(g.G[q] - v) / Math.max(1, Math.abs(v))));
  results.push(`gram K=3: max rel error ${gramErr.toExponential(2)}`);
  if (!(gramErr <= 2e-6)) failures.push(`gram error ${gramErr}`);

  const notes: string[] = [];
  const resilient = await createResilientMergeBackend({
    createContext: () => requestGpuContext(), make: (cx) => createWebGpuBackend(cx, { maxBindingBytes: 2048 }), fallback: cpu, onNote: (m) => notes.push(m),
  });
  const inputs = [0, 1, 2, 3].map((j) => input(rand(2000, 300 + j), 'BF16'));
  const [, ties] = plans(2000)[3];
  let destroyed = false;
  const got = await runPlanOn(resilient, ties, inputs, 1 << 20, { onWrite: () => { if (!destroyed) { destroyed = true; resilient.context()!.device.destroy(); } } });
  const want = await runPlanOn(cpu, ties, inputs, 1 << 20);
  const lossUlps = worstUlps(got, want, inputs).ulps;
  results.push(`device loss: ${lossUlps.toFixed(2)} ULP after recovery`);
  if (!destroyed || !(lossUlps <= 8) || notes.length === 0) failures.push(`device loss: destroyed=${destroyed} ulps=${lossUlps} notes=${notes.length}`);
  ctx.destroy();
  return { adapter: describeAdapter(ctx.info), results, failures, notes };
}

self.onmessage = async () => {
  try {
    (self as unknown as Worker).postMessage({ ok: true, result: await checks() });
  } catch (e) {
    (self as unknown as Worker).postMessage({ ok: false, error: `${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}` });
  }
};
