/** Shared helpers of the merge tests: run a recipe on in-memory models and read the result back. */
import { openSafetensors } from '../../src/core/checkpoint';
import { executeMerge, type ExecuteOptions } from '../../src/core/merge/execute';
import { parseRecipe } from '../../src/core/merge/recipe';
import type { TensorSource } from '../../src/core/types';
import { memorySink, memorySource, toSafetensors, type TinyModel } from '../helpers/fixtures';

export async function sourceOf(m: TinyModel, id: string): Promise<TensorSource> {
  return openSafetensors(memorySource(toSafetensors(m)), id);
}

/** Runs `yaml` over models named by their keys; returns the output values per tensor and the result. */
export async function mergeInMemory(
  yaml: string, models: Record<string, TinyModel | Uint8Array>, extra: Partial<ExecuteOptions> = {},
): Promise<{ out: TensorSource; values: Map<string, Float32Array>; result: Awaited<ReturnType<typeof executeMerge>> }> {
  const sink = memorySink();
  const result = await executeMerge({
    recipe: parseRecipe(yaml),
    resolve: async (ref) => {
      const m = models[ref];
      if (!m) throw new Error(`no model ${ref}`);
      return openSafetensors(memorySource(m instanceof Uint8Array ? m : toSafetensors(m)), ref);
    },
    sink,
    ...extra,
  });
  const out = await openSafetensors(memorySource(sink.bytes()), 'out');
  const values = new Map<string, Float32Array>();
  for (const t of out.tensors()) values.set(t.name, await out.readF32(t.name, 0, t.numel));
  return { out, values, result };
}

import { createCpuBackend } from '../../src/core/merge/cpu-backend';
import type { TensorPlan } from '../../src/core/merge/types';

/** Runs one plan on in-memory inputs with the CPU backend; the output rounded to f32 as the executor stores it. */
export async function runPlanArrays(plan: TensorPlan, inputs: Float32Array[], chunkElems = 1 << 20, name = 'model.layers.0.mlp.up_proj.weight'): Promise<Float32Array> {
  const numel = inputs[0].length;
  const out = new Float32Array(numel);
  let pos = 0;
  await createCpuBackend().runPlan(plan, {
    tensorName: name,
    numel,
    chunkElems,
    readF32: async (i, start, n) => inputs[i].slice(start, start + n),
    write: async (v) => { out.set(v, pos); pos += v.length; },
  });
  if (pos !== numel) throw new Error(`wrote ${pos} of ${numel}`);
  return out;
}
