import { describe, expect, it } from 'vitest';
import { earlyStop, earlyStopOf, stopTotals } from '../../scripts/experiment';
import { runEvolution } from '../../src/evolve/loop';
import { mulberry32 } from '../../src/core/rng';
import { DEFAULT_CONFIG, type EvolveDeps, type EvolveRecord, type GenerationRecord } from '../../src/evolve/types';

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

describe('earlyStop with patience (the patient rule)', () => {
  // best 50, 60, 60, 60, 62, 62; kinship high from generation 2
  const r = record([gen(1, 0.5, 0.4, 10), gen(2, 0.6, 0.95, 3), gen(3, 0.6, 0.97, 3), gen(4, 0.6, 0.99, 3), gen(5, 0.62, 0.99, 4), gen(6, 0.62, 0.99, 4)], 0.62);
  it('waits until the best has not risen for p finished generations', () => {
    expect(earlyStop(r, 0.9, 0)).toMatchObject({ afterGen: 2, saved: 14 });
    expect(earlyStop(r, 0.9, 1)).toMatchObject({ afterGen: 3, merges: 16, saved: 11 }); // best(3) == best(2)
    expect(earlyStop(r, 0.9, 2)).toEqual({ afterGen: 4, merges: 19, best: 0.6, saved: 8, lost: 0.62 - 0.6 }); // best(4) == best(2)
    expect(earlyStop(r, 0.9, 3)).toBeNull(); // best(4) > best(1), best(5) > best(2), best(6) > best(3)
    // Fired after the last generation: the full run ended there anyway, nothing saved.
    const short = record([gen(1, 0.5, 0.4, 10), gen(2, 0.6, 0.95, 3), gen(3, 0.6, 0.95, 3)], 0.6);
    expect(earlyStop(short, 0.9, 1)).toEqual({ afterGen: 3, merges: 16, best: 0.6, saved: 0, lost: 0 });
    expect(earlyStop(short, 0.9, 2)).toBeNull(); // needs 3 finished generations after the first: best(3) > best(1)
  });
  it('totals a rule over runs: share of merges saved, largest and mean loss', () => {
    const curve = (rec: EvolveRecord) => ({
      bestPerGen: rec.generations.map((g) => g.best_average), kinPerGen: rec.generations.map((g) => g.topk_kinship),
      mergesPerGen: rec.generations.map((g) => g.merges.length), best: rec.best.average, merges: 27,
    });
    const never = record([gen(1, 0.5, 0.4, 10), gen(2, 0.6, 0.5, 3)], 0.6);
    const t = stopTotals([curve(r), { ...curve(never), merges: 13 }], 0.9, 2);
    expect(t).toMatchObject({ saved: 8, total: 40, pct: 20, maxLost: 0.62 - 0.6, stopped: 1 });
    expect(t.meanLost).toBeCloseTo((0.62 - 0.6) / 2, 15);
    expect(() => earlyStopOf({ ...curve(r), mergesPerGen: [1] }, 0.9)).toThrow(/different lengths/);
  });
});

describe('the prefix is the run made with that stop', () => {
  /** Vectors merged by weighted average; saturating scores; pcc-like kinship (deterministic). */
  function world(seed: number): EvolveDeps {
    const rnd = mulberry32(seed);
    const dirs = Array.from({ length: 4 }, () => Array.from({ length: 10 }, () => rnd() * 2 - 1));
    const v = new Map<string, number[]>(dirs.map((d, s) => [`e${s}`, d.map((x) => x * (1 + 0.3 * s))]));
    const dot = (a: number[], b: number[]) => a.reduce((q, x, i) => q + x * b[i], 0);
    return {
      async merge(a, b, id) { const va = v.get(a)!, vb = v.get(b)!; v.set(id, va.map((x, i) => 0.6 * x + 0.4 * vb[i])); },
      async evaluate(id) {
        const x = v.get(id)!;
        const scores = Object.fromEntries(dirs.map((d, s) => [`s${s}`, 1 / (1 + Math.exp(-3 * (dot(x, d) / dot(d, d) - 0.25)))]));
        const xs = Object.values(scores);
        return { scores, average: xs.reduce((p, q) => p + q, 0) / xs.length };
      },
      async kinship(a, b) { const va = v.get(a)!, vb = v.get(b)!; return dot(va, vb) / Math.sqrt(dot(va, va) * dot(vb, vb)); },
    };
  }
  for (const strategy of ['greedy', 'kinship'] as const) {
    it(`${strategy}: for every patience and every threshold that can fire`, async () => {
      const config = { ...DEFAULT_CONFIG, strategy, maxGen: 7, stopKinship: null, seed: 3 };
      const foundation = ['e0', 'e1', 'e2', 'e3'];
      const full = await runEvolution(foundation, config, world(11));
      const thresholds = [...full.generations.map((g) => g.topk_kinship!).map((k) => k - 1e-9), 2];
      let fired = 0;
      for (const p of [0, 1, 2, 3]) for (const thr of thresholds) {
        const twin = earlyStop(full, thr, p);
        const real = await runEvolution(foundation, { ...config, stopKinship: thr, stopPatience: p }, world(11));
        const realMerges = real.models.filter((m) => m.parents.length).length;
        if (twin === null || twin.saved === 0) {
          expect(realMerges).toBe(full.models.filter((m) => m.parents.length).length);
        } else {
          fired++;
          expect(real.stopped).toBe('early-stop');
          expect(real.generations.length).toBe(twin.afterGen);
          expect(realMerges).toBe(twin.merges);
          expect(real.best.average).toBe(twin.best);
        }
      }
      expect(fired).toBeGreaterThan(3); // the comparison is not vacuous
    });
  }
});
