/**
 * Shared planning for mergekit's generalised task arithmetic family (generalized_task_arithmetic.py,
 * sparsify.py): task vectors d_i = x_i - base, sparsify, weight, optional sign consensus, normalize,
 * lambda, base + mixed. The methods differ only in sparsification, consensus and defaults.
 */
import { streamKey } from '../rng';
import type { GtaModel, MergeMethod, MethodName, ParamSpec, PlanContext, Sparsify } from './types';

export type SparsifyKind = 'none' | 'magnitude' | 'bernoulli' | 'outliers';

const WEIGHT: ParamSpec = { name: 'weight', type: 'number', range: [-1, 2], description: 'Weight of this model\'s task vector (required).' };
const DENSITY: ParamSpec = { name: 'density', type: 'number', default: 1, range: [0, 1], strict: true, description: 'Fraction of the task vector kept.' };
const GAMMA: ParamSpec = { name: 'gamma', type: 'number', default: 0.01, range: [0, 1], strict: true, description: 'Fraction of the largest |delta| dropped as outliers.' };

/**
 * TIES magnitude: keep the k = floor(density·numel) largest |d|. Documented rule for k = 0 (mergekit
 * aborts): nothing is kept, the model contributes nothing to that tensor, and a note says so.
 */
export function magnitudeRanks(numel: number, density: number): { lo: number; hi: number } {
  if (density >= 1) return { lo: 0, hi: numel };
  return { lo: 0, hi: Math.floor(density * numel) };
}

/** Breadcrumbs (mergekit magnitude_outliers): drop the top gamma and the bottom 1 - density - gamma. */
export function outlierRanks(numel: number, density: number, gamma: number): { lo: number; hi: number } {
  if (density >= 1) return { lo: 0, hi: numel };
  const target = Math.floor(numel * density);
  let nTop = Math.floor(numel * gamma);
  let nBot = numel - target - nTop;
  if (nBot < 0) { nBot = 0; nTop = numel - target; }
  return { lo: nTop, hi: numel - nBot };
}

export interface GtaOptions {
  name: MethodName;
  prettyName: string;
  anchor: string;
  sparsify: SparsifyKind;
  consensus: boolean;
  normalize: boolean;
}

export function makeGtaMethod(o: GtaOptions): MergeMethod {
  const modelParameters: ParamSpec[] = [WEIGHT];
  if (o.sparsify !== 'none') modelParameters.push(DENSITY);
  if (o.sparsify === 'outliers') modelParameters.push(GAMMA);
  const parameters: ParamSpec[] = [
    { name: 'normalize', type: 'boolean', default: o.normalize, description: 'Divide the mixed delta by the sum of the (kept) weights.' },
    { name: 'lambda', type: 'number', default: 1, range: [0, 2], description: 'Scale of the mixed task vector.' },
  ];
  if (o.sparsify === 'bernoulli') {
    parameters.push({ name: 'rescale', type: 'boolean', default: true, description: 'Rescale kept values so the L1 norm of the delta is preserved.' });
  }
  return {
    name: o.name,
    prettyName: o.prettyName,
    referenceUrl: `https://github.com/arcee-ai/mergekit/blob/main/docs/merge_methods.md#${o.anchor}`,
    base: 'required',
    minModels: 2,
    maxModels: Infinity,
    parameters,
    modelParameters,
    planTensor(ctx: PlanContext) {
      const models: GtaModel[] = ctx.models.map((input, modelIndex) => ({
        input,
        weight: ctx.model(input, 'weight') as number,
        sparsify: sparsifyFor(o.sparsify, ctx, input, modelIndex),
      }));
      return {
        kind: 'gta',
        base: ctx.base,
        models,
        consensus: o.consensus,
        normalize: ctx.global('normalize') as boolean,
        lambda: ctx.global('lambda') as number,
      };
    },
  };
}

function sparsifyFor(kind: SparsifyKind, ctx: PlanContext, input: number, modelIndex: number): Sparsify {
  if (kind === 'none') return { kind: 'none' };
  const density = ctx.model(input, 'density') as number;
  if (kind === 'bernoulli') {
    if (density >= 1) return { kind: 'none' };
    return { kind: 'bernoulli', density, key: streamKey(ctx.seed, ctx.tensorName, modelIndex), rescale: ctx.global('rescale') as boolean };
  }
  const r = kind === 'magnitude'
    ? magnitudeRanks(ctx.numel, density)
    : outlierRanks(ctx.numel, density, ctx.model(input, 'gamma') as number);
  if (r.lo === 0 && r.hi === ctx.numel) return { kind: 'none' };
  if (r.hi <= r.lo && ctx.numel > 0) {
    ctx.note(`${ctx.tensorName}: density ${density} keeps 0 of ${ctx.numel} values of model #${modelIndex + 1}'s task vector, so it contributes nothing there.`);
  }
  return { kind: 'magnitude', lo: r.lo, hi: r.hi };
}
