/**
 * The merge goldens (mergekit formulas, numpy reference; test/golden/merge) through executeMerge on
 * the WebGPU backend, with the tolerances of test/core/merge-golden.test.ts (4 ULP F32 at the inputs'
 * scale, 1 ULP BF16/F16); every other case is forced into 1 KiB bindings (several chunks per tensor).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { context, gpuEnv } from './gpu-env';
import type { GpuContext } from '../../src/gpu/context';
import { createWebGpuBackend } from '../../src/gpu/backend/merge';
import { openSafetensors } from '../../src/core/checkpoint';
import { executeMerge } from '../../src/core/merge/execute';
import { parseRecipe, recipeInputs } from '../../src/core/merge/recipe';
import { memorySink, memorySource } from '../helpers/fixtures';
import { GOLDEN, goldenCases, goldenError, openFile as open } from '../helpers/merge-golden';

// SwiftShader runs these kernels on the CPU; on a shared, loaded machine a file can take minutes.
vi.setConfig({ testTimeout: 180_000 });

const cases = await goldenCases();

describe.skipIf(!gpuEnv.available)(`merge goldens on the WebGPU backend ${gpuEnv.reason}`, () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await context(); });
  afterAll(() => ctx?.destroy());

  for (const [index, c] of cases.entries()) {
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
        const { failure } = await goldenError(got, want, inputs);
        if (failure) expect.fail(`${c.name} (binding ${maxBindingBytes ?? 'device'}) ${failure}`);
      }
    }, 120_000);
  }
});
