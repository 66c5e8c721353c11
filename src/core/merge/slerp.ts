/**
 * SLERP, mergekit semantics (merge_methods/slerp.py): one angle per whole flattened tensor; base_model is
 * the t = 0 end; lerp of the unnormalised tensors when |dot| > 0.9995 (strictly); t is not clamped.
 */
import type { MergeMethod } from './types';

/** Second moments of a pair of flat tensors, accumulated in f64. */
export interface PairMoments { aa: number; bb: number; ab: number }

export const SLERP_DOT_THRESHOLD = 0.9995;
export const SLERP_NORM_EPS = 1e-8;

/**
 * Coefficients of `res = s0·a + s1·b`. A vector is normalised only when its norm > 1e-8, so an all-zero
 * tensor gives dot = 0, theta = pi/2 and res = sin(t·pi/2)·b at the other end: mergekit's behaviour.
 * Exactly opposite or identical tensors (|dot| = 1) take the lerp branch.
 */
export function slerpCoefficients(t: number, m: PairMoments): { s0: number; s1: number; lerp: boolean; dot: number } {
  const na = Math.sqrt(m.aa);
  const nb = Math.sqrt(m.bb);
  const dot = m.ab / ((na > SLERP_NORM_EPS ? na : 1) * (nb > SLERP_NORM_EPS ? nb : 1));
  if (Math.abs(dot) > SLERP_DOT_THRESHOLD) return { s0: 1 - t, s1: t, lerp: true, dot };
  const theta0 = Math.acos(dot);
  const s = Math.sin(theta0);
  const thetaT = theta0 * t;
  return { s0: Math.sin(theta0 - thetaT) / s, s1: Math.sin(thetaT) / s, lerp: false, dot };
}

export const slerp: MergeMethod = {
  name: 'slerp',
  prettyName: 'SLERP',
  referenceUrl: 'https://github.com/arcee-ai/mergekit/blob/main/docs/merge_methods.md#slerp',
  base: 'required',
  minModels: 2,
  maxModels: 2,
  parameters: [
    { name: 't', type: 'number', range: [0, 1], description: 'Interpolation factor: 0 gives the base model, 1 the other model. Not clamped.' },
  ],
  modelParameters: [],
  planTensor(ctx) {
    const t = ctx.global('t') as number;
    return { kind: 'slerp', a: ctx.base, b: ctx.models[0], t };
  },
};
