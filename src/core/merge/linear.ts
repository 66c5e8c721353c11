/** Linear: Σ w_i x_i / Σ w_i (normalize, the default) or Σ w_i x_i (mergekit merge_methods/linear.py). */
import { RecipeError } from '../errors';
import type { MergeMethod } from './types';

export const linear: MergeMethod = {
  name: 'linear',
  prettyName: 'Linear (model soup)',
  referenceUrl: 'https://github.com/arcee-ai/mergekit/blob/main/docs/merge_methods.md#linear',
  base: 'none',
  minModels: 1,
  maxModels: Infinity,
  parameters: [
    { name: 'normalize', type: 'boolean', default: true, description: 'Divide by the sum of the weights.' },
  ],
  modelParameters: [
    { name: 'weight', type: 'number', range: [-1, 2], description: 'Weight of this model (required).' },
  ],
  planTensor(ctx) {
    const w = ctx.models.map((i) => ctx.model(i, 'weight') as number);
    const sum = w.reduce((s, x) => s + x, 0);
    if (ctx.global('normalize')) {
      if (sum === 0) {
        throw new RecipeError('zero-weights', `linear: the weights of ${ctx.tensorName} sum to 0, so normalize would divide by zero; change a weight or set normalize: false.`);
      }
      return { kind: 'linear', inputs: ctx.models, coeffs: w.map((x) => x / sum) };
    }
    return { kind: 'linear', inputs: ctx.models, coeffs: w };
  },
};
