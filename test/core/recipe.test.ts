import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RecipeError } from '../../src/core/errors';
import { parseRecipe, recipeInputs, recipeToYaml } from '../../src/core/merge/recipe';
import { METHODS } from '../../src/core/merge/registry';

const GRADIENT_SLERP = `
slices:
  - sources:
      - model: psmathur/orca_mini_v3_13b
        layer_range: [0, 40]
      - model: garage-bAInd/Platypus2-13B
        layer_range: [0, 40]
merge_method: slerp
base_model: psmathur/orca_mini_v3_13b
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5 # fallback for rest of tensors
dtype: float16
`;

describe('recipes', () => {
  it("parses mergekit's gradient-slerp example and round-trips through YAML", () => {
    const r = parseRecipe(GRADIENT_SLERP);
    expect(r.merge_method).toBe('slerp');
    expect(r.dtype).toBe('float16');
    expect(r.slices![0].sources[1]).toEqual({ model: 'garage-bAInd/Platypus2-13B', layer_range: [0, 40] });
    expect(recipeInputs(r)).toEqual({ refs: ['psmathur/orca_mini_v3_13b', 'garage-bAInd/Platypus2-13B'], base: 0, models: [1] });
    const y = recipeToYaml(r);
    expect(parseRecipe(y)).toEqual(r);
    expect(parseYaml(y).merge_method).toBe('slerp');
  });

  it('parses a TIES recipe with per-model parameters and JSON input', () => {
    const r = parseRecipe(JSON.stringify({
      merge_method: 'ties', base_model: 'base',
      models: [{ model: 'base' }, { model: 'a', parameters: { weight: 1, density: [0.2, 0.8] } }, { model: 'b', parameters: { weight: 0.5 } }],
      parameters: { normalize: false, density: 0.5 }, out_dtype: 'bf16',
    }));
    expect(r.out_dtype).toBe('bfloat16');
    expect(recipeInputs(r)).toEqual({ refs: ['base', 'a', 'b'], base: 0, models: [1, 2] });
    expect(parseRecipe(recipeToYaml(r))).toEqual(r);
  });

  it('every registered method declares typed parameters with descriptions', () => {
    for (const m of METHODS) {
      for (const p of [...m.parameters, ...m.modelParameters]) {
        expect(p.description.length).toBeGreaterThan(5);
        expect(['number', 'boolean']).toContain(p.type);
      }
    }
  });

  const bad: [string, string, RegExp][] = [
    ['unknown method', 'merge_method: frankenmerge\nmodels: [{model: a}]', /Unknown merge_method "frankenmerge". Supported: slerp, linear, task_arithmetic, ties/],
    ['unknown key', 'merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\ntokenizer_source: union', /unsupported key\(s\) tokenizer_source\. Supported: merge_method/],
    ['unknown parameter', 'merge_method: slerp\nbase_model: a\nmodels: [{model: a}, {model: b}]\nparameters: {t: 0.5, density: 0.3}', /unknown parameter density\. This method reads: t/],
    ['no base for ties', 'merge_method: ties\nmodels: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 1}}]', /ties needs base_model/],
    ['three models for slerp', 'merge_method: slerp\nbase_model: a\nmodels: [{model: a}, {model: b}, {model: c}]\nparameters: {t: 0.5}', /exactly 2 models/],
    ['two slices', 'merge_method: slerp\nbase_model: a\nslices: [{sources: [{model: a}]}, {sources: [{model: b}]}]', /exactly one slice/],
    ['bad dtype', 'merge_method: linear\nmodels: [{model: a}]\ndtype: int8', /unsupported dtype "int8"/],
    ['not YAML', 'merge_method: [unclosed', /not valid YAML/],
    ['models and slices', 'merge_method: linear\nmodels: [{model: a}]\nslices: [{sources: [{model: a}]}]', /either models or slices/],
    ['duplicate model', 'merge_method: linear\nmodels: [{model: a}, {model: a}]', /listed twice/],
    ['no models', 'merge_method: linear', /lists no models/],
    ['bad layer_range', 'merge_method: slerp\nbase_model: a\nslices: [{sources: [{model: a, layer_range: [4, 2]}, {model: b}]}]', /layer_range/],
  ];
  for (const [what, text, msg] of bad) {
    it(`rejects ${what} with a RecipeError`, () => {
      let err: unknown;
      try { parseRecipe(text); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(RecipeError);
      expect((err as Error).message).toMatch(msg);
    });
  }
});
