import { describe, expect, it } from 'vitest';
import { countLayers, evaluateSetting, interpolateGradient, layerIndex, layerPosition, resolveSetting, validateSetting } from '../../src/core/merge/params';
import { RecipeError } from '../../src/core/errors';

describe('parameter settings (mergekit evaluate_setting)', () => {
  it('reads layer indices and positions; non-layer tensors sit at p = 0', () => {
    expect(layerIndex('model.layers.12.mlp.up_proj.weight')).toBe(12);
    expect(layerIndex('model.embed_tokens.weight')).toBe(-1);
    expect(layerIndex('transformer.h.3.attn.c_attn.weight')).toBe(3);
    expect(countLayers(['model.layers.0.a', 'model.layers.31.b', 'lm_head.weight'])).toBe(32);
    expect(layerPosition('model.layers.31.x.weight', 32)).toBe(1);
    expect(layerPosition('model.layers.0.x.weight', 1)).toBe(1);
    expect(layerPosition('lm_head.weight', 32)).toBe(0);
  });

  it('interpolates gradients piecewise-linearly (the paper config values)', () => {
    const g = [0, 0.5, 0.3, 0.7, 1];
    const at = (i: number) => interpolateGradient(g, i / 31);
    expect(at(0)).toBe(0);
    expect(at(1)).toBeCloseTo(0.0645, 4);
    expect(at(8)).toBeCloseTo(0.4935, 4);
    expect(at(16)).toBeCloseTo(0.3258, 4);
    expect(at(31)).toBe(1);
    expect(interpolateGradient([0.7], 0.4)).toBe(0.7);
  });

  it('conditionals: first match wins, substring filters, "*" and absent filters match, values may be gradients', () => {
    const t = validateSetting([{ filter: 'self_attn', value: [0, 1] }, { filter: 'mlp', value: 0.9 }, { value: 0.5 }], 't');
    expect(evaluateSetting(t, 'model.layers.1.self_attn.q_proj.weight', 0.25)).toBe(0.25);
    expect(evaluateSetting(t, 'model.layers.1.mlp.up_proj.weight', 0.25)).toBe(0.9);
    expect(evaluateSetting(t, 'model.norm.weight', 0)).toBe(0.5);
    expect(evaluateSetting(validateSetting([{ filter: '*', value: 2 }], 'x'), 'anything', 0)).toBe(2);
  });

  it('precedence: the first level with a matching value wins; unmatched conditionals fall through', () => {
    const model = validateSetting([{ filter: 'mlp', value: 0.1 }], 'w');
    expect(resolveSetting([model, 0.7], 'model.layers.0.mlp.up_proj.weight', 0)).toBe(0.1);
    expect(resolveSetting([model, 0.7], 'model.layers.0.self_attn.q_proj.weight', 0)).toBe(0.7);
    expect(resolveSetting([undefined, undefined], 'x', 0)).toBeUndefined();
  });

  it('rejects malformed settings with a RecipeError naming where', () => {
    expect(() => validateSetting([], 'parameters.t')).toThrow(/parameters\.t/);
    expect(() => validateSetting('0.5', 'parameters.t')).toThrow(RecipeError);
    expect(() => validateSetting([{ filter: 'a', value: 1, extra: 2 }], 'p')).toThrow(/unknown key/);
    expect(() => validateSetting([{ filter: 'a' }], 'p')).toThrow(/no value/);
    expect(() => validateSetting([{ value: [{ value: 1 }] }], 'p')).toThrow(/do not nest/);
  });
});
