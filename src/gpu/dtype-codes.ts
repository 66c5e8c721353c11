/** Dtype codes shared with shaders/dtype.wgsl (DT_F32, DT_F16, DT_BF16). */
import { GpuError } from './errors';

export const DT = { F32: 0, F16: 1, BF16: 2 } as const;
export type GpuDType = keyof typeof DT;

export function dtypeCode(dtype: string): number {
  if (dtype === 'F32' || dtype === 'F16' || dtype === 'BF16') return DT[dtype];
  throw new GpuError('gpu-dtype', `The GPU kernels read F32, F16 and BF16, not ${dtype}. Convert the model, or use the CPU backend.`);
}

/** Words (u32) a segment of n elements of this dtype takes in a packed input buffer. */
export function segmentWords(code: number, n: number): number {
  return code === DT.F32 ? n : Math.ceil(n / 2);
}
