// The early-stopped twin read off a full run must be exactly the run made with the early stop: held
// here against the real loop on a synthetic world (deterministic, so runs compare exactly).
import { describe, it, expect } from 'vitest';
import { runEvolution } from '../../src/evolve/loop.ts';
import { DEFAULT_CONFIG, type EvolveConfig, type EvolveDeps, type EvolveRecord } from '../../src/evolve/types.ts';
import { mulberry32 } from '../../src/core/rng.ts';
import { earlyStopIndex, earlyStopped, mergeCount } from '../../src/ui/teach/early-stop.ts';

/** Models are vectors; a merge is a weighted average; scores saturate along skill directions. */
function world(seed: number): EvolveDeps {
  const rnd = mulberry32(seed);
  const dim = 10, nSkills = 4;
  const dirs = Array.from({ length: nSkills }, () => Array.from({ length: dim }, () => rnd() * 2 - 1));
  const models = new Map<string, number[]>();
  dirs.forEach((d, s) => models.set(`expert-${s}`, d.map((x) => x * (1 + 0.3 * s))));
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  return {
    async merge(a, b, id) { const va = models.get(a)!, vb = models.get(b)!; models.set(id, va.map((x, i) => 0.6 * x + 0.4 * vb[i])); },
    async evaluate(id) {
      const v = models.get(id)!;
      const scores: Record<string, number> = {};
      dirs.forEach((d, s) => { scores[`s${s}`] = 1 / (1 + Math.exp(-3 * (dot(v, d) / dot(d, d) - 0.25))); });
      const xs = Object.values(scores);
      return { scores, average: xs.reduce((p, q) => p + q, 0) / xs.length };
    },
    async kinship(a, b) {
      const va = models.get(a)!, vb = models.get(b)!;
      return dot(va, vb) / Math.sqrt(dot(va, va) * dot(vb, vb));
    },
  };
}
const strip = (r: EvolveRecord) => ({ ...r, generations: r.generations.map((g) => ({ ...g, seconds: 0 })), models: r.models.map((m) => ({ ...m, seconds: 0 })) });
const foundation = ['expert-0', 'expert-1', 'expert-2', 'expert-3'];

describe('earlyStopped', () => {
  // stopPatience (the loop's plateau condition) is read from the record's config when present.
  for (const [strategy, stopPatience] of [['greedy', 0], ['kinship', 0], ['greedy', 1], ['kinship', 1]] as const) {
    it(`equals a ${strategy} run made with the early stop (patience ${stopPatience}), for every threshold that matters`, async () => {
      const config = { ...DEFAULT_CONFIG, strategy, k: 3, maxGen: 6, stopKinship: null, seed: 3, stopPatience } as EvolveConfig;
      const full = await runEvolution(foundation, config, world(11));
      const kins = full.generations.map((g) => g.topk_kinship).filter((v): v is number => v !== null);
      expect(kins.length).toBeGreaterThan(1);
      // Thresholds just under each generation's kinship (each can fire), plus one that never fires.
      const thresholds = [...kins.map((k) => k - 1e-9), 2];
      let fired = 0;
      for (const thr of thresholds) {
        const twin = earlyStopped(full, thr);
        const real = await runEvolution(foundation, { ...config, stopKinship: thr }, world(11));
        expect(strip(twin)).toEqual(strip(real));
        if (twin.stopped === 'early-stop') fired++;
      }
      expect(fired).toBeGreaterThan(0); // the test exercised the truncation, not only the no-op
    });
  }

  it('is a no-op when the kinship never crosses, and counts merges', async () => {
    const config: EvolveConfig = { ...DEFAULT_CONFIG, strategy: 'greedy', maxGen: 3, stopKinship: null };
    const full = await runEvolution(foundation, config, world(5));
    expect(earlyStopIndex(full, 2)).toBe(-1);
    expect(earlyStopped(full, 2).generations).toEqual(full.generations);
    expect(mergeCount(full)).toBe(full.models.length - foundation.length);
  });
});
