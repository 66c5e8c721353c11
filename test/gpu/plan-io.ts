/** A PlanIO over in-memory inputs, with readRaw in each input's dtype, that collects the output. */
import type { PlanIO, TensorPlan, MergeBackend } from '../../src/core/merge/types';
import { decodeToF32, encodeFromF32 } from '../../src/core/dtype';
import type { FloatDType } from '../../src/core/types';

export interface ArrayInput { values: Float32Array; dtype: FloatDType }

/** Inputs rounded to their dtype (what a checkpoint would hold). */
export function input(values: Float32Array, dtype: FloatDType = 'F32'): ArrayInput {
  return { values: decodeToF32(dtype, encodeFromF32(dtype, values), values.length), dtype };
}

export async function runPlanOn(backend: MergeBackend, plan: TensorPlan, inputs: ArrayInput[], chunkElems: number, hooks: { onWrite?: (pos: number) => void } = {}): Promise<Float32Array> {
  const numel = inputs[0].values.length;
  const out = new Float32Array(numel);
  let pos = 0;
  const io: PlanIO = {
    tensorName: 'model.layers.0.mlp.up_proj.weight',
    numel,
    chunkElems,
    readF32: async (i, start, n) => inputs[i].values.slice(start, start + n),
    readRaw: async (i, start, n) => encodeFromF32(inputs[i].dtype, inputs[i].values.subarray(start, start + n)),
    dtypeOf: (i) => inputs[i].dtype,
    write: async (v) => {
      if (pos + v.length > numel) throw new Error(`overflow: ${pos} + ${v.length} > ${numel}`);
      out.set(v, pos); pos += v.length;
      hooks.onWrite?.(pos);
    },
  };
  await backend.runPlan(plan, io);
  if (pos !== numel) throw new Error(`wrote ${pos} of ${numel}`);
  return out;
}

/** Largest |got - want| in units of 2^-23 of the largest input magnitude at that element (f32 ULPs of the inputs' scale). */
export function worstUlps(got: Float32Array, want: Float32Array, inputs: ArrayInput[]): { ulps: number; at: number } {
  let worst = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const scale = Math.max(Math.abs(want[i]), ...inputs.map((x) => Math.abs(x.values[i])), 1e-30);
    const u = Math.abs(got[i] - want[i]) / (scale * 2 ** -23);
    if (!(u <= worst)) { worst = u; at = i; }
  }
  return { ulps: worst, at };
}
