import { describe, expect, it } from 'vitest';
import { runEvolution } from '../../src/evolve/loop';
import { pearson, studentTwoSidedP, regularizedIncompleteBeta } from '../../src/evolve/stats';
import { DEFAULT_CONFIG, type EvolveConfig, type EvolveDeps, type EvolveEvent, type EvolveState } from '../../src/evolve/types';
import { EvolveConfigError } from '../../src/evolve/early-stop';
import { mulberry32 } from '../../src/core/rng';
import { CancelledError } from '../../src/core/errors';

/**
 * A synthetic model world: a model is a task vector over S skills x D dims; merging averages the
 * two vectors (a linear-regime merge); a skill's accuracy is a saturating function of the projection
 * on its direction, penalised by interference. Deterministic, so runs can be compared exactly.
 */
function world(nSkills = 5, dim = 12, seed = 1) {
  const rnd = mulberry32(seed);
  const dirs = Array.from({ length: nSkills }, () => Array.from({ length: dim }, () => rnd() * 2 - 1));
  const models = new Map<string, number[]>();
  for (let s = 0; s < nSkills; s++) models.set(`expert-${s}`, dirs[s].map((x) => x * (1 + 0.2 * s)));
  const calls = { merge: 0, evaluate: 0 };
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  const deps: EvolveDeps = {
    async merge(a, b, id) {
      calls.merge++;
      const va = models.get(a)!, vb = models.get(b)!;
      models.set(id, va.map((x, i) => 0.55 * x + 0.45 * vb[i]));
    },
    async evaluate(id) {
      calls.evaluate++;
      const v = models.get(id)!;
      const scores: Record<string, number> = {};
      dirs.forEach((d, s) => { scores[`skill${s}`] = 1 / (1 + Math.exp(-4 * (dot(v, d) / dot(d, d) - 0.3))); });
      const vals = Object.values(scores);
      return { scores, average: vals.reduce((a, b) => a + b, 0) / vals.length };
    },
    async kinship(a, b) {
      const va = models.get(a)!, vb = models.get(b)!;
      const ma = va.reduce((s, x) => s + x, 0) / dim, mb = vb.reduce((s, x) => s + x, 0) / dim;
      let sab = 0, saa = 0, sbb = 0;
      for (let i = 0; i < dim; i++) { sab += (va[i] - ma) * (vb[i] - mb); saa += (va[i] - ma) ** 2; sbb += (vb[i] - mb) ** 2; }
      return sab / Math.sqrt(saa * sbb);
    },
  };
  return { deps, calls, models };
}
/**
 * A scripted world for the stop rules: foundation a, b, c; every pair has the same kinship; the best
 * average is 0.50 after generation 1 and 0.60 from generation 2 on, while each later generation's
 * children (just below 0.60, rising) still enter the top-3, so the greedy loop itself never converges.
 */
function scripted(kinship: number) {
  const found: Record<string, number> = { a: 0.3, b: 0.2, c: 0.1 };
  const average = (id: string): number => {
    if (id in found) return found[id];
    const [, g, i] = /^model-(\d+)-(\d+)$/.exec(id)!.map(Number);
    if (g === 1) return [0.5, 0.45, 0.4][i - 1];
    if (g === 2) return [0.6, 0.55, 0.52][i - 1];
    return 0.6 - 0.01 / g - 0.0001 * i;
  };
  const deps: EvolveDeps = {
    async merge() {},
    async evaluate(id) { return { scores: { s: average(id) }, average: average(id) }; },
    async kinship() { return kinship; },
  };
  return { deps };
}
const cfg = (over: Partial<EvolveConfig>): EvolveConfig => ({ ...DEFAULT_CONFIG, stopKinship: null, ...over });
const foundation = ['expert-0', 'expert-1', 'expert-2', 'expert-3', 'expert-4'];

describe('runEvolution', () => {
  it('greedy: generation 1 merges every foundation pair, then only new pairs of the top-k', async () => {
    const { deps } = world();
    const rec = await runEvolution(foundation, cfg({ strategy: 'greedy' }), deps);
    expect(rec.generations[0].merges).toHaveLength(10);
    for (const g of rec.generations.slice(1)) expect(g.merges.length).toBeLessThanOrEqual(3);
    const pairs = rec.models.filter((m) => m.parents.length).map((m) => [...m.parents].sort().join('|'));
    expect(new Set(pairs).size).toBe(pairs.length); // no pair merged twice
    expect(rec.models.some((m) => m.exploration)).toBe(false);
    expect(['converged', 'max-gen']).toContain(rec.stopped);
    // gain is the average minus the parents' mean
    for (const m of rec.models.filter((x) => x.parents.length)) {
      const [a, b] = m.parents.map((p) => rec.models.find((x) => x.id === p)!.average);
      expect(m.gain).toBeCloseTo(m.average - (a + b) / 2, 12);
    }
    expect(rec.best.average).toBe(Math.max(...rec.models.map((m) => m.average)));
  });

  it('kinship: one exploration merge per generation, best as base_model, lowest-kinship partner', async () => {
    const { deps } = world();
    const rec = await runEvolution(foundation, cfg({ strategy: 'kinship', maxGen: 4 }), deps);
    for (const g of rec.generations.slice(1)) {
      const exp = g.merges.filter((id) => id.endsWith('-exp'));
      expect(exp.length).toBeLessThanOrEqual(1);
      if (exp.length) {
        const m = rec.models.find((x) => x.id === exp[0])!;
        expect(m.exploration).toBe(true);
        const prev = rec.generations[g.generation - 2];
        expect(m.parents[0]).toBe(prev.topk[0]);
        // the partner had the lowest kinship to the best among the models that existed then
        const existing = rec.models.filter((x) => x.generation < g.generation && x.id !== m.parents[0]);
        const kins = await Promise.all(existing.map((x) => deps.kinship(m.parents[0], x.id, 'pcc')));
        const chosen = await deps.kinship(m.parents[0], m.parents[1], 'pcc');
        const mergedBefore = new Set(rec.models.filter((x) => x.generation < g.generation && x.parents.length).map((x) => [...x.parents].sort().join('|')));
        const candidates = existing.map((x, i) => ({ id: x.id, k: kins[i]! }))
          .filter((c) => !mergedBefore.has([m.parents[0], c.id].sort().join('|')) && !g.merges.some((id) => {
            const r = rec.models.find((y) => y.id === id)!; return !r.exploration && [...r.parents].sort().join('|') === [m.parents[0], c.id].sort().join('|');
          }));
        expect(chosen).toBeCloseTo(Math.min(...candidates.map((c) => c.k)), 12);
      }
    }
  });

  it('is deterministic and a resumed run equals an uninterrupted one', async () => {
    const full = await runEvolution(foundation, cfg({ strategy: 'kinship', maxGen: 5 }), world().deps);
    const again = await runEvolution(foundation, cfg({ strategy: 'kinship', maxGen: 5 }), world().deps);
    const strip = (r: typeof full) => JSON.stringify({ ...r, generations: r.generations.map((g) => ({ ...g, seconds: 0 })), models: r.models.map((m) => ({ ...m, seconds: 0 })) });
    expect(strip(again)).toBe(strip(full));
    // interrupt after generation 2, then resume from the saved state in a fresh world
    const w = world();
    const ctrl = new AbortController();
    let saved: EvolveState | null = null;
    await expect(runEvolution(foundation, cfg({ strategy: 'kinship', maxGen: 5 }), w.deps, {
      signal: ctrl.signal,
      onEvent: (e) => { if (e.type === 'generation') { saved = e.state; if (e.generation.generation === 2) ctrl.abort(); } },
    })).rejects.toBeInstanceOf(CancelledError);
    expect(saved!.generation).toBe(2);
    const fresh = world(); // merged children must be re-creatable: replay the lineage deterministically
    for (const m of saved!.models.filter((x) => x.parents.length)) await fresh.deps.merge(m.parents[0], m.parents[1], m.id);
    const resumed = await runEvolution(foundation, cfg({ strategy: 'kinship', maxGen: 5 }), fresh.deps, { resume: JSON.parse(JSON.stringify(saved)) });
    expect(strip(resumed)).toBe(strip(full));
  });

  it('early stopping fires before a generation when the top-k kinship exceeds the threshold', async () => {
    const off = await runEvolution(foundation, cfg({ strategy: 'greedy', maxGen: 8 }), world().deps);
    const on = await runEvolution(foundation, cfg({ strategy: 'greedy', maxGen: 8, stopKinship: 0.9 }), world().deps);
    expect(on.stopped).toBe('early-stop');
    const last = on.generations[on.generations.length - 1];
    expect(last.topk_kinship!).toBeGreaterThan(0.9);
    for (const g of on.generations.slice(0, -1)) expect(g.topk_kinship!).toBeLessThanOrEqual(0.9);
    expect(on.models.length).toBeLessThan(off.models.length);
    const never = await runEvolution(foundation, cfg({ strategy: 'greedy', stopKinship: 2 }), world().deps);
    expect(never.stopped).not.toBe('early-stop');
  });

  it('stopPatience 0 (or absent, as in configs saved before it existed) is the plain kinship rule', async () => {
    const strip = (r: Awaited<ReturnType<typeof runEvolution>>) => JSON.stringify({ ...r, config: null, generations: r.generations.map((g) => ({ ...g, seconds: 0 })), models: r.models.map((m) => ({ ...m, seconds: 0 })) });
    const { stopPatience: _, ...legacy } = cfg({ strategy: 'kinship', stopKinship: 0.9 });
    const absent = await runEvolution(foundation, legacy, world().deps);
    const zero = await runEvolution(foundation, cfg({ strategy: 'kinship', stopKinship: 0.9, stopPatience: 0 }), world().deps);
    expect(absent.stopped).toBe('early-stop');
    expect(strip(zero)).toBe(strip(absent));
  });

  it('stopPatience p: fires only once the best has not risen for p generations, and survives a resume', async () => {
    const s = scripted(0.95);
    const run = (over: Partial<EvolveConfig>, opts = {}) => runEvolution(['a', 'b', 'c'], cfg({ strategy: 'greedy', maxGen: 8, stopKinship: 0.9, ...over }), s.deps, opts);
    // best per generation: 0.50, 0.60, 0.60, 0.60, ...; top-3 kinship 0.95 after every generation
    const plain = await run({ stopPatience: 0 });
    expect(plain.generations.map((g) => g.generation)).toEqual([1]); // kinship alone: stop before generation 2
    const p1 = await run({ stopPatience: 1 });
    expect(p1.stopped).toBe('early-stop');
    expect(p1.generations.map((g) => g.best_average)).toEqual([0.5, 0.6, 0.6]); // best(3) == best(2)
    const p2 = await run({ stopPatience: 2 });
    expect(p2.stopped).toBe('early-stop');
    expect(p2.generations.map((g) => g.best_average)).toEqual([0.5, 0.6, 0.6, 0.6]); // best(4) == best(2); best(3) > best(1)
    const off = await run({ stopKinship: null });
    expect(off.stopped).toBe('max-gen'); // the stop, not the loop, ended p2 after generation 4
    expect(off.generations.length).toBe(8);
    // A plateau alone does not stop: the kinship must exceed the threshold too.
    const loose = await runEvolution(['a', 'b', 'c'], cfg({ strategy: 'greedy', maxGen: 8, stopKinship: 0.9, stopPatience: 2 }), scripted(0.5).deps);
    expect(loose.stopped).toBe('max-gen');
    // Interrupted after generation 3 (before the stop), then resumed: the same run, stopping at the same place.
    const ctrl = new AbortController();
    let saved: EvolveState | null = null;
    await expect(run({ stopPatience: 2 }, {
      signal: ctrl.signal, onEvent: (e: EvolveEvent) => { if (e.type === 'generation') { saved = e.state; if (e.generation.generation === 3) ctrl.abort(); } },
    })).rejects.toBeInstanceOf(CancelledError);
    expect(saved!.generation).toBe(3);
    const resumed = await run({ stopPatience: 2 }, { resume: JSON.parse(JSON.stringify(saved)) });
    const strip = (r: typeof p2) => JSON.stringify({ ...r, generations: r.generations.map((g) => ({ ...g, seconds: 0 })), models: r.models.map((m) => ({ ...m, seconds: 0 })) });
    expect(strip(resumed)).toBe(strip(p2));
  });

  it('rejects a stopPatience that is not a whole number of generations, with a named error', async () => {
    for (const bad of [-1, 1.5, Number.NaN, 1e9]) {
      await expect(runEvolution(foundation, cfg({ stopPatience: bad }), world().deps)).rejects.toBeInstanceOf(EvolveConfigError);
    }
    await expect(runEvolution(foundation, cfg({ stopPatience: -1 }), world().deps)).rejects.toThrow(/stopPatience must be a whole number/);
  });

  it('random: seeded pairs from all evaluated models, reproducible, different across seeds', async () => {
    const a = await runEvolution(foundation, cfg({ strategy: 'random', seed: 3, maxGen: 4 }), world().deps);
    const b = await runEvolution(foundation, cfg({ strategy: 'random', seed: 3, maxGen: 4 }), world().deps);
    const c = await runEvolution(foundation, cfg({ strategy: 'random', seed: 4, maxGen: 4 }), world().deps);
    const lineage = (r: typeof a) => r.models.map((m) => `${m.id}:${m.parents.join('+')}`).join(',');
    expect(lineage(a)).toBe(lineage(b));
    expect(lineage(a)).not.toBe(lineage(c));
  });

  it('rejects bad input', async () => {
    await expect(runEvolution(['a'], cfg({}), world().deps)).rejects.toThrow(/at least two/);
    await expect(runEvolution(['a', 'a'], cfg({}), world().deps)).rejects.toThrow(/distinct/);
  });
});

describe('stats', () => {
  it('Student t two-sided p-values match tables', () => {
    expect(studentTwoSidedP(2.228, 10)).toBeCloseTo(0.05, 3);
    expect(studentTwoSidedP(2.0, 12)).toBeCloseTo(0.0686, 3);
    expect(studentTwoSidedP(0, 5)).toBeCloseTo(1, 12);
    expect(regularizedIncompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 12);
  });
  it('pearson r and p', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8], y = [2, 1, 4, 3, 6, 5, 8, 7];
    const c = pearson(x, y);
    expect(c.r!).toBeCloseTo(0.9047619, 6);
    expect(c.p!).toBeGreaterThan(0); expect(c.p!).toBeLessThan(0.01);
    expect(pearson([1, 1, 1], [1, 2, 3]).r).toBeNull();
    expect(pearson([1, 2], [1, 2]).r).toBeNull();
  });
});

describe('analysis', async () => {
  const { gainCorrelation, layerGroup } = await import('../../src/evolve/analysis');
  it('correlates parent kinship with gain and |gain| over merged models', async () => {
    const rec = await runEvolution(foundation, cfg({ strategy: 'kinship', maxGen: 4 }), world().deps);
    const c = gainCorrelation(rec);
    expect(c.points.length).toBe(rec.models.filter((m) => m.parents.length).length);
    const direct = pearson(c.points.map((p) => p.kinship), c.points.map((p) => Math.abs(p.gain)));
    expect(c.absGain.r).toBe(direct.r);
    expect(c.gain.r! >= -1 && c.gain.r! <= 1).toBe(true);
  });
  it('groups Llama tensor names by layer', () => {
    expect(layerGroup('model.layers.12.mlp.up_proj.weight')).toBe('layer 12');
    expect(layerGroup('model.embed_tokens.weight')).toBe('embed');
    expect(layerGroup('lm_head.weight')).toBe('final');
    expect(layerGroup('model.norm.weight')).toBe('final');
  });
});
