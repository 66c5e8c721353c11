/**
 * The merge operator of a run: a recipe template from the method registry whose model references are
 * placeholders. `$A` is the better parent (SLERP's base_model, the t = 0 end), `$B` the other, and
 * `$BASE` the family's original base (for task-vector methods such as ties or task_arithmetic).
 */
import type { MergeRecipe } from '../core/merge/recipe';
import { RecipeError } from '../core/errors';

/** The paper's operator: mergekit SLERP with its gradients (HF cards of the paper's merges). */
export const PAPER_SLERP: MergeRecipe = {
  merge_method: 'slerp',
  base_model: '$A',
  models: [{ model: '$A' }, { model: '$B' }],
  parameters: {
    t: [
      { filter: 'self_attn', value: [0, 0.5, 0.3, 0.7, 1] },
      { filter: 'mlp', value: [1, 0.5, 0.7, 0.3, 0] },
      { value: 0.5 },
    ],
  },
};

export function instantiateRecipe(template: MergeRecipe, a: string, b: string, base?: string): MergeRecipe {
  const text = JSON.stringify(template);
  if (!text.includes('"$A"') || !text.includes('"$B"')) {
    throw new RecipeError('bad-template', 'A merge template must name both parents as "$A" (the better parent) and "$B".');
  }
  if (text.includes('"$BASE"') && base === undefined) {
    throw new RecipeError('bad-template', 'This merge template uses "$BASE" but no base model was given.');
  }
  const sub: Record<string, string> = { $A: a, $B: b, $BASE: base ?? '' };
  return JSON.parse(text, (_k, v) => (typeof v === 'string' && v in sub ? sub[v] : v)) as MergeRecipe;
}
