import { describe, it, expect } from 'vitest';
import { checkSweepT, slerpRecipe, sweepId, sweepLines, sweepSentence, sweepWins, TeachStepError, type SweepResult } from '../../src/ui/teach/sweep.ts';
import { parseRecipe } from '../../src/core/merge/recipe.ts';
import { kinshipSentence, pickFoundation, stallSentence, taskVectorSentence, compareSentence } from '../../src/ui/teach/summaries.ts';
import { DEFAULT_CONFIG, type EvolveRecord, type GenerationRecord } from '../../src/evolve/types.ts';
import { TEACH_STEPS } from '../../src/ui/teach/steps.ts';

const sc = (average: number, scores: Record<string, number> = { a: average, b: average }) => ({ average, scores });
const sweep = (avgs: number[], pa: number, pb: number): SweepResult => ({
  a: 'A', b: 'B', parentA: sc(pa), parentB: sc(pb),
  points: avgs.map((v, i) => ({ t: i / (avgs.length - 1), id: `m${i}`, ...sc(v, { x: v + 1, y: v - 1 }) })),
});

describe('SLERP sweep helpers', () => {
  it('checks, sorts and deduplicates t', () => {
    expect(checkSweepT([1, 0, 0.5, 0.5])).toEqual([0, 0.5, 1]);
    expect(() => checkSweepT([])).toThrow(TeachStepError);
    expect(() => checkSweepT([0, 1.5])).toThrow(/between 0 and 1, got 1.5/);
    expect(() => checkSweepT([Number.NaN])).toThrow(TeachStepError);
  });
  it('builds a SLERP recipe the merge parser accepts, with a stable id per t', () => {
    const r = slerpRecipe('expert-a', 'expert-b', 0.25);
    expect(parseRecipe(r)).toMatchObject({ merge_method: 'slerp', base_model: 'expert-a', parameters: { t: 0.25 } });
    expect(sweepId('a', 'b', 0.25)).toBe(sweepId('a', 'b', 0.25));
    expect(sweepId('a', 'b', 0.25)).not.toBe(sweepId('a', 'b', 0.5));
  });
  it('draws one line per skill plus the average, one point per t', () => {
    const lines = sweepLines(sweep([1, 2, 3], 0, 0).points);
    expect(lines.map((l) => l.name)).toEqual(['average', 'x', 'y']);
    expect(lines.every((l) => l.points.length === 3)).toBe(true);
    expect(lines[1].points.map((p) => p.y)).toEqual([2, 3, 4]);
  });
  it('says where the child beats both parents, from the numbers', () => {
    const r = sweep([20, 31, 35, 28, 25], 20, 30);
    expect(sweepWins(r).map((p) => p.t)).toEqual([0.25, 0.5]);
    expect(sweepSentence(r)).toBe('The merge beats both parents at t = 0.25 and 0.5: at t = 0.5 it averages 35, 5 above B (30).');
    expect(sweepSentence(sweep([20, 25, 29, 30, 30], 20, 30))).toBe('No t beats both parents: the best child (t = 0.75) averages 30, against 30 for B.');
  });
});

describe('teaching summaries', () => {
  it('picks the preferred experts the zoo has, topping up in zoo order', () => {
    expect(pickFoundation(['e3', 'e1'], ['e1', 'e2', 'e3'])).toEqual(['e1', 'e3']);
    expect(pickFoundation(['x', 'e3', 'y'], ['e1', 'e2', 'e3'])).toEqual(['e1', 'e2', 'e3']);
    expect(() => pickFoundation(['e1'], ['e1'])).toThrow(/at least two experts/);
  });
  it('locates the task vector', () => {
    const s = taskVectorSentence([{ group: 'embed', l2: 1, relative: 0 }, { group: 'layer 0', l2: 3, relative: 0 }, { group: 'final', l2: 0, relative: 0 }]);
    expect(s).toBe('The largest change is in layer 0 (90% of the squared size); the 3 largest of 3 groups hold 100%.');
    expect(taskVectorSentence([{ group: 'layer 0', l2: 0, relative: 0 }])).toMatch(/zero everywhere/);
  });
  it('reads the kinship matrix: experts among themselves, the stranger apart', () => {
    const m = [[1, 0.5, 0.1], [0.5, 1, 0.3], [0.1, 0.3, 1]];
    expect(kinshipSentence(['e1', 'e2', 'str'], m, 'pcc', ['str'])).toBe("The experts' mean pairwise pcc is 0.5; the closest pair is e1 and e2 (0.5); str averages 0.2 with them.");
  });
  const gen = (generation: number, best: number, kin: number | null, stage: 'learning' | 'saturation' = 'learning'): GenerationRecord => ({
    generation, best_average: best, best_id: `b${generation}`, topk: [`t${generation}`], topk_average: best, topk_kinship: kin, merges: [], stage, seconds: 0,
  });
  const rec = (strategy: 'greedy' | 'kinship', gens: GenerationRecord[]): EvolveRecord => ({
    strategy, seed: 0, config: { ...DEFAULT_CONFIG, strategy, stopKinship: null, maxGen: 8 }, foundation: [], stopped: 'max-gen',
    best: { id: gens.at(-1)!.best_id, average: Math.max(...gens.map((g) => g.best_average)) }, generations: gens,
    models: gens.map((g) => ({ id: `c${g.generation}`, parents: ['p', 'q'], generation: g.generation, exploration: false, scores: {}, average: g.best_average, gain: 0, parent_kinship: 0 })),
  });
  it('says when greedy stalled and how kinship climbed', () => {
    // Stages come from the loop's rule: a small gain in generation 4 is still saturation.
    expect(stallSentence(rec('greedy', [gen(1, 40, 0.4), gen(2, 50, 0.8), gen(3, 50, 0.99, 'saturation'), gen(4, 50.1, 1, 'saturation')])))
      .toBe('After generation 2 (best 50) the best average gained only 0.1 in 2 more generations, while the top-3 kinship went from 0.4 to 1.');
    expect(stallSentence(rec('greedy', [gen(1, 40, 0.4), gen(2, 50, 0.8)])))
      .toBe('The best average was still rising at generation 2 (50), while the top-3 kinship went from 0.4 to 0.8.');
    expect(stallSentence(rec('greedy', [gen(1, 0.5, 0.4), gen(2, 0.5004, 0.9, 'saturation')])))
      .toBe('After generation 1 (best 0.5) the best average gained only 0.0004 in 1 more generation, while the top-3 kinship went from 0.4 to 0.9.');
  });
  it('compares greedy with kinship-guided and prices the early stop', () => {
    const g = rec('greedy', [gen(1, 40, 0.4), gen(2, 50, 0.95)]);
    const k = rec('kinship', [gen(1, 40, 0.4), gen(2, 50, 0.95), gen(3, 55, 0.99)]);
    expect(compareSentence(g, k, 0.9)).toBe('Kinship-guided best 55 is 5 above greedy (50). Early stopping at 0.9 would end it after generation 2 with best 50, saving 1 of 3 merges.');
  });
  it('declares runnable steps: valid t lists and foundations', () => {
    for (const s of TEACH_STEPS) {
      if (s.action.kind === 'slerp-sweep') expect(checkSweepT(s.action.t)).toEqual(s.action.t);
      if (s.action.kind === 'evolve' || s.action.kind === 'compare') expect(s.action.foundation.length).toBeGreaterThanOrEqual(2);
    }
  });
});
