/**
 * The mergekit goldens (scripts/golden/mergekit_ref.py, committed in test/golden/merge) and their
 * tolerance rule, shared by the CPU and the WebGPU golden tests: 4 ULP for F32 outputs at the largest
 * magnitude among the inputs and the expected value (mergekit computes in f32, kinmerge in f64, and
 * under cancellation the reference's own error is relative to the inputs), 1 ULP for BF16/F16 at the
 * larger of the two results.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSafetensors } from '../../src/core/checkpoint';
import type { TensorSource } from '../../src/core/types';
import { memorySource } from './fixtures';

export const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'merge');

export interface GoldenCase { name: string; recipe: string; expected: string; seed: number }
export const goldenCases = async (): Promise<GoldenCase[]> =>
  (JSON.parse(await readFile(join(GOLDEN, 'manifest.json'), 'utf8')) as { cases: GoldenCase[] }).cases;

const FORMAT = { F32: { mant: 23, minExp: -126 }, BF16: { mant: 7, minExp: -126 }, F16: { mant: 10, minExp: -14 } } as const;
type GoldenDType = keyof typeof FORMAT;

export function ulp(dtype: GoldenDType, x: number): number {
  const { mant, minExp } = FORMAT[dtype];
  const a = Math.abs(x);
  const e = a === 0 ? minExp : Math.max(minExp, Math.floor(Math.log2(a)));
  return 2 ** (e - mant);
}

export async function openFile(path: string, id: string): Promise<TensorSource> {
  return openSafetensors(memorySource(new Uint8Array(await readFile(path))), id);
}

/**
 * Worst error of `got` against `want` over every tensor, in ULPs of its dtype by the rule above, and
 * the first element past the tolerance (4 F32, 1 BF16/F16), described for a failure message.
 */
export async function goldenError(got: TensorSource, want: TensorSource, inputs: TensorSource[]): Promise<{ worst: number; failure?: string }> {
  let worst = 0;
  for (const t of want.tensors()) {
    const w = await want.readF32(t.name, 0, t.numel);
    const g = await got.readF32(t.name, 0, t.numel);
    const xs = await Promise.all(inputs.map((s) => s.readF32(t.name, 0, t.numel)));
    const dtype = t.dtype as GoldenDType;
    for (let i = 0; i < t.numel; i++) {
      const scale = dtype === 'F32'
        ? Math.max(Math.abs(w[i]), ...xs.map((x) => Math.abs(x[i])))
        : Math.max(Math.abs(w[i]), Math.abs(g[i]));
      const err = Math.abs(g[i] - w[i]) / ulp(dtype, scale);
      worst = Math.max(worst, err);
      if (!(err <= (dtype === 'F32' ? 4 : 1))) {
        return { worst: err, failure: `${t.name}[${i}]: got ${g[i]}, want ${w[i]} (${err.toFixed(2)} ULP of ${dtype})` };
      }
    }
  }
  return { worst };
}
