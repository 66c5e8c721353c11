/**
 * The merge goldens (mergekit formulas, numpy reference; test/golden/merge) through executeMerge on
 * the WebGPU backend, with the tolerances of test/core/merge-golden.test.ts (4 ULP F32 at the inputs'
 * scale, 1 ULP BF16/F16); every other case is forced into 1 KiB bindings (several chunks per tensor).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { context, gpuEnv } from './gpu-env';
import type { GpuContext } from '../../src/gpu/context';
import { createWebGpuBackend } from '../../src/gpu/backend/merge';
import { openSafetensors } from '../../src/core/checkpoint';
import { executeMerge } from '../../src/core/merge/execute';
import { parseRecipe, recipeInputs } from '../../src/core/merge/recipe';
import type { TensorSource } from '../../src/core/types';
import { memorySink, memorySource } from '../helpers/fixtures';

// SwiftShader runs these kernels on the CPU; on a shared, loaded machine a file can take minutes.
vi.setConfig({ testTimeout: 180_000 });

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'merge');
interface Case { name: string; recipe: string; expected: string; seed: number }
const manifest = JSON.parse(await readFile(join(GOLDEN, 'manifest.json'), 'utf8')) as { cases: Case[] };
const FORMAT = { F32: { mant: 23, minExp: -126 }, BF16: { mant: 7, minExp: -126 }, F16: { mant: 10, minExp: -14 } } as const;
const ulp = (dtype: keyof typeof FORMAT, x: number) => {
  const { mant, minExp } = FORMAT[dtype];
  const a = Math.abs(x);
  return 2 ** ((a === 0 ? minExp : Math.max(minExp, Math.floor(Math.log2(a)))) - mant);
};
const open = async (path: string, id: string): Promise<TensorSource> => openSafetensors(memorySource(new Uint8Array(await readFile(path))), id);

describe.skipIf(!gpuEnv.available)(`merge goldens on the WebGPU backend ${gpuEnv.reason}`, () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await context(); });
  afterAll(() => ctx?.destroy());

  for (const [index, c] of manifest.cases.entries()) {
    it(`${c.name} within the CPU tolerances${index % 2 ? ' (forced 1 KiB bindings)' : ''}`, async () => {
      const recipePath = join(GOLDEN, c.recipe);
      const recipe = parseRecipe(await readFile(recipePath, 'utf8'));
      const dir = dirname(recipePath);
      const want = await open(join(GOLDEN, c.expected), 'expected');
      const inputs = await Promise.all(recipeInputs(recipe).refs.map((r) => open(resolve(dir, r), r)));
      for (const maxBindingBytes of [index % 2 ? 1024 : undefined]) {
        const sink = memorySink();
        await executeMerge({ recipe, resolve: (ref) => open(resolve(dir, ref), ref), sink, seed: c.seed, backend: createWebGpuBackend(ctx, { maxBindingBytes }) });
        const got = await openSafetensors(memorySource(sink.bytes()), 'got');
        expect(got.tensors().map((t) => [t.name, t.dtype, t.shape])).toEqual(want.tensors().map((t) => [t.name, t.dtype, t.shape]));
        for (const t of want.tensors()) {
          const w = await want.readF32(t.name, 0, t.numel);
          const g = await got.readF32(t.name, 0, t.numel);
          const xs = await Promise.all(inputs.map((s) => s.readF32(t.name, 0, t.numel)));
          const dtype = t.dtype as keyof typeof FORMAT;
          for (let i = 0; i < t.numel; i++) {
            const scale = dtype === 'F32' ? Math.max(Math.abs(w[i]), ...xs.map((x) => Math.abs(x[i]))) : Math.max(Math.abs(w[i]), Math.abs(g[i]));
            const err = Math.abs(g[i] - w[i]) / ulp(dtype, scale);
            if (!(err <= (dtype === 'F32' ? 4 : 1))) expect.fail(`${c.name} (binding ${maxBindingBytes ?? 'device'}) ${t.name}[${i}]: got ${g[i]}, want ${w[i]} (${err.toFixed(2)} ULP of ${dtype})`);
          }
        }
      }
    }, 120_000);
  }
});
