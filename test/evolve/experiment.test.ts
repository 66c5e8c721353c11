import { describe, expect, it } from 'vitest';
import { earlyStop } from '../../scripts/experiment';
import { DEFAULT_CONFIG, type EvolveRecord, type GenerationRecord } from '../../src/evolve/types';

const gen = (generation: number, best: number, kin: number | null, merges: number): GenerationRecord => ({
  generation, best_average: best, best_id: 'x', topk: [], topk_average: 0, topk_kinship: kin,
  merges: Array.from({ length: merges }, (_, i) => `m${generation}-${i}`), stage: 'learning', seconds: 0,
});
const record = (gens: GenerationRecord[], best: number): EvolveRecord => ({
  strategy: 'greedy', seed: 0, config: DEFAULT_CONFIG, foundation: [], stopped: 'max-gen', best: { id: 'b', average: best }, generations: gens,
  models: gens.flatMap((g) => g.merges.map((id) => ({ id, parents: ['a', 'b'], generation: g.generation, exploration: false, scores: {}, average: 0, gain: 0, parent_kinship: 0 }))),
});

describe('earlyStop (the early-stopped twin of a full run)', () => {
  it('stops after the first generation whose top-k kinship exceeds the threshold', () => {
    const r = record([gen(1, 0.5, 0.4, 10), gen(2, 0.6, 0.95, 3), gen(3, 0.62, 0.99, 3), gen(4, 0.62, 1, 3)], 0.62);
    expect(earlyStop(r, 0.9)).toEqual({ afterGen: 2, merges: 13, best: 0.6, saved: 6, lost: 0.62 - 0.6 });
  });
  it('saves nothing when the threshold is first crossed in the last generation, and never fires below it', () => {
    const r = record([gen(1, 0.5, 0.4, 10), gen(2, 0.6, 0.95, 3)], 0.6);
    expect(earlyStop(r, 0.9)).toMatchObject({ afterGen: 2, saved: 0, lost: 0 });
    expect(earlyStop(r, 0.99)).toBeNull();
  });
});
