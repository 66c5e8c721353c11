import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { context, gpuEnv } from './gpu-env';
import type { GpuContext } from '../../src/gpu/context';
import { createWebGpuGramBackend } from '../../src/gpu/backend/gram';
import { cpuGramBackend, type ReadChunk } from '../../src/core/kinship/gram';
import { computeKinship, KINSHIP_METRICS, type KinshipMetric } from '../../src/core/kinship';
import { openSafetensors } from '../../src/core/checkpoint';
import { memorySource } from '../helpers/fixtures';
import { mulberry32 } from '../../src/core/rng';

// SwiftShader runs these kernels on the CPU; on a shared, loaded machine a file can take minutes.
vi.setConfig({ testTimeout: 180_000 });

const rand = (n: number, seed: number) => { const g = mulberry32(seed); return Float32Array.from({ length: n }, () => g() * 2 - 1); };
const DIR = join(__dirname, '..', 'golden', 'kinship');
interface GoldenCase { name: string; base: string; models: string[]; split: boolean; metrics: Record<KinshipMetric, (number | null)[][]> }
const golden = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { cases: GoldenCase[] };
const open = (file: string) => openSafetensors(memorySource(readFileSync(join(DIR, 'models', file))), file);

describe.skipIf(!gpuEnv.available)(`WebGPU Gram backend ${gpuEnv.reason}`, () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await context(); });
  afterAll(() => ctx?.destroy());

  it('matches the CPU Gram for K = 1, 3 and 10 (model tiles), across chunks, reading each element once', async () => {
    for (const [K, n, chunk] of [[1, 1, 64], [3, 1000, 333], [10, 700, 256]] as const) {
      const inputs = Array.from({ length: K + 1 }, (_, i) => rand(n, 7 * i + K));
      inputs[1] = new Float32Array(inputs[0]); // a zero task vector
      if (K > 2) inputs[3] = inputs[2].map((v, e) => 2 * inputs[0][e] - v); // the opposite of model 2
      const reads = new Float64Array(K + 1);
      const readChunk: ReadChunk = async (i, start, len) => { reads[i] += len; return inputs[i].slice(start, start + len); };
      const job = { name: 't', numel: n, models: K, chunkElems: chunk };
      const got = await createWebGpuGramBackend(ctx).accumulate(job, readChunk);
      expect(Array.from(reads)).toEqual(Array(K + 1).fill(n));
      const want = await cpuGramBackend.accumulate(job, async (i, s, l) => inputs[i].slice(s, s + l));
      expect(got.n).toBe(n);
      for (let i = 0; i < K; i++) expect(Math.abs(got.S[i] - want.S[i])).toBeLessThanOrEqual(1e-5 * Math.sqrt(n));
      for (let q = 0; q < K * K; q++) expect(Math.abs(got.G[q] - want.G[q])).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want.G[q])));
    }
  });

  for (const [index, c] of golden.cases.entries()) {
    // Every other case in chunks of 64 elements (several chunks per tensor).
    const chunkElems = index % 2 ? 64 : undefined;
    it(`kinship golden ${c.name} on the GPU backend${chunkElems ? ' (chunks of 64)' : ''}`, async () => {
      const r = await computeKinship({ base: await open(c.base), models: await Promise.all(c.models.map(open)), split: c.split, backend: createWebGpuGramBackend(ctx), chunkElems });
      for (const m of KINSHIP_METRICS) {
        c.metrics[m].forEach((row, i) => row.forEach((e, j) => {
          const a = r.metrics[m]![i][j];
          const where = `${c.name} ${m}[${i}][${j}]: got ${a}, reference ${e}`;
          if (e === null) expect(a, where).toBeNull();
          else expect(a !== null && Math.abs(a - e) <= 1e-4 * Math.abs(e) + 2e-7, where).toBe(true);
        }));
      }
    }, 120_000);
  }
});
