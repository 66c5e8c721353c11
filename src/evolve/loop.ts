/**
 * Top-k greedy merging with kinship-guided exploration and kinship early stopping
 * (Hu et al. 2024, Algorithm 1; random pairs = Appendix C Algorithm 2), as a pure loop over
 * injected merge / evaluate / kinship functions. Every choice the paper leaves open is a config field.
 *
 * Determinism: ties are broken by creation order, random draws come from a per-generation seeded
 * PRNG, and the state after each generation (EvolveState, plain JSON) fully determines the rest
 * of the run, so a resumed run ends exactly like an uninterrupted one.
 */
import { CancelledError } from '../core/errors';
import { mulberry32 } from '../core/rng';
import { earlyStopFires, exceedsStop, plateaued, stopPatienceOf } from './early-stop';
import type {
  EvolveConfig, EvolveDeps, EvolveEvent, EvolveRecord, EvolveState, GenerationRecord, KinshipMetric, ModelRecord,
} from './types';

export interface RunOptions {
  signal?: AbortSignal;
  onEvent?: (e: EvolveEvent) => void;
  /** Continue from the state emitted after a finished generation. */
  resume?: EvolveState;
  /** Awaited between merges: resolves immediately unless the run is paused. */
  gate?: () => Promise<void>;
}

const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** Similarity orientation: higher = more related (ed is a distance, so it is negated for comparisons). */
export function similarity(metric: KinshipMetric, value: number): number {
  return metric === 'ed' ? -value : value;
}

export { exceedsStop };

export async function runEvolution(
  foundation: string[], config: EvolveConfig, deps: EvolveDeps, opts: RunOptions = {},
): Promise<EvolveRecord> {
  if (foundation.length < 2) throw new RangeError('Evolution needs at least two foundation models.');
  if (new Set(foundation).size !== foundation.length) throw new RangeError('Foundation models must be distinct.');
  if (!(config.k >= 2)) throw new RangeError(`k must be at least 2, got ${config.k}.`);
  const patience = stopPatienceOf(config);
  const { signal, onEvent, gate } = opts;
  const st: EvolveState = opts.resume ? structuredClone(opts.resume) : {
    version: 1, config, foundation: [...foundation], models: [], generations: [], merged: [],
    topk: [], prevTopk: null, generation: 0, stopped: null,
  };
  const byId = new Map(st.models.map((m) => [m.id, m] as const));
  const order = new Map(st.models.map((m, i) => [m.id, i] as const));
  const merged = new Set(st.merged);
  const kinCache = new Map<string, number | null>();

  const check = async () => {
    if (signal?.aborted) throw new CancelledError('Evolution cancelled.');
    if (gate) await gate();
    if (signal?.aborted) throw new CancelledError('Evolution cancelled.');
  };
  const kin = async (a: string, b: string): Promise<number | null> => {
    const key = pairKey(a, b);
    if (!kinCache.has(key)) kinCache.set(key, await deps.kinship(a, b, config.metric, signal));
    return kinCache.get(key)!;
  };
  const rank = (ids: string[]) => [...ids].sort((a, b) =>
    byId.get(b)!.average - byId.get(a)!.average || order.get(a)! - order.get(b)!);
  const topk = () => rank([...byId.keys()]).slice(0, config.k);
  const meanPairwise = async (ids: string[]): Promise<number | null> => {
    let sum = 0, n = 0;
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) {
      const v = await kin(ids[i], ids[j]);
      if (v === null) return null;
      sum += v; n++;
    }
    return n ? sum / n : null;
  };
  const addModel = (m: ModelRecord) => {
    order.set(m.id, st.models.length);
    st.models.push(m);
    byId.set(m.id, m);
    onEvent?.({ type: 'model', model: m });
  };
  const makeChild = async (base: string, other: string, id: string, generation: number, exploration: boolean) => {
    await check();
    const t0 = performance.now();
    await deps.merge(base, other, id, signal);
    const s = await deps.evaluate(id, signal);
    const pa = byId.get(base)!, pb = byId.get(other)!;
    merged.add(pairKey(base, other));
    addModel({
      id, parents: [base, other], generation, exploration, scores: s.scores, average: s.average,
      gain: s.average - (pa.average + pb.average) / 2, parent_kinship: await kin(base, other),
      seconds: (performance.now() - t0) / 1000,
    });
  };
  const finishGeneration = async (generation: number, merges: string[], t0: number) => {
    const prevBest = st.generations.length
      ? st.generations[st.generations.length - 1].best_average
      : Math.max(...st.foundation.map((f) => byId.get(f)!.average));
    st.topk = topk();
    const best = rank([...byId.keys()])[0];
    const bestAvg = byId.get(best)!.average;
    const g: GenerationRecord = {
      generation, best_average: bestAvg, best_id: best, topk: [...st.topk],
      topk_average: st.topk.reduce((s, id) => s + byId.get(id)!.average, 0) / st.topk.length,
      topk_kinship: await meanPairwise(st.topk), merges,
      stage: bestAvg - prevBest > config.learningEps ? 'learning' : 'saturation',
      seconds: (performance.now() - t0) / 1000,
    };
    st.generations.push(g);
    st.generation = generation;
    st.merged = [...merged];
    onEvent?.({ type: 'generation', generation: g, state: structuredClone(st) });
  };

  if (!opts.resume) {
    // Generation 0: evaluate the foundation models. Generation 1: merge every pair of them,
    // the better-scoring parent as SLERP base_model.
    for (const [i, f] of foundation.entries()) {
      await check();
      onEvent?.({ type: 'phase', text: `Evaluating ${f}`, done: i, total: foundation.length });
      const s = await deps.evaluate(f, signal);
      addModel({ id: f, parents: [], generation: 0, exploration: false, scores: s.scores, average: s.average, gain: null, parent_kinship: null });
    }
    const t0 = performance.now();
    const ranked = rank(foundation);
    const ids: string[] = [];
    for (let i = 0; i < ranked.length; i++) for (let j = i + 1; j < ranked.length; j++) {
      const id = `model-1-${ids.length + 1}`;
      await makeChild(ranked[i], ranked[j], id, 1, false);
      ids.push(id);
    }
    await finishGeneration(1, ids, t0);
  }

  while (st.stopped === null) {
    const same = st.prevTopk !== null && st.prevTopk.length === st.topk.length && st.topk.every((id) => st.prevTopk!.includes(id));
    if (same) { st.stopped = 'converged'; break; }
    if (st.generation >= config.maxGen) { st.stopped = 'max-gen'; break; }
    // The plateau test needs no kinship, so a patient rule skips the kinship pass until it holds.
    // Everything it reads is in the saved state (st.generations), so a resumed run decides the same.
    if (config.stopKinship !== null && plateaued(st.generations, patience)) {
      const k = await meanPairwise(st.topk);
      if (earlyStopFires(st.generations, k, config.metric, config.stopKinship, patience)) { st.stopped = 'early-stop'; break; }
    }
    const gen = st.generation + 1;
    const t0 = performance.now();
    st.prevTopk = [...st.topk];
    const plan: Array<[string, string, boolean]> = [];
    const planned = new Set<string>();
    const S = rank(st.topk);
    if (config.strategy === 'random') {
      const rng = mulberry32((config.seed ^ Math.imul(gen, 0x9e3779b9)) >>> 0);
      const all = rank([...byId.keys()]);
      const free: Array<[string, string]> = [];
      for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) {
        if (!merged.has(pairKey(all[i], all[j]))) free.push([all[i], all[j]]);
      }
      const want = config.randomMerges ?? (config.k * (config.k - 1)) / 2;
      for (let n = 0; n < want && free.length; n++) {
        const [a, b] = free.splice(Math.floor(rng() * free.length), 1)[0];
        plan.push([a, b, false]);
      }
    } else {
      for (let i = 0; i < S.length; i++) for (let j = i + 1; j < S.length; j++) {
        if (!merged.has(pairKey(S[i], S[j]))) { plan.push([S[i], S[j], false]); planned.add(pairKey(S[i], S[j])); }
      }
      if (config.strategy === 'kinship') {
        const best = S[0];
        const pool = rank(config.explorePool === 'topk' ? S : [...byId.keys()]).filter((m) => m !== best);
        let choice: string | null = null, choiceSim = Infinity;
        for (const m of pool) {
          const key = pairKey(best, m);
          if (merged.has(key) || planned.has(key)) continue;
          const v = await kin(best, m);
          const s = v === null ? Infinity : similarity(config.metric, v);
          if (s < choiceSim) { choice = m; choiceSim = s; } // pool is ranked: ties keep the better model
        }
        if (choice !== null) plan.push([best, choice, true]);
      }
    }
    if (plan.length === 0) { st.stopped = 'converged'; break; }
    const ids: string[] = [];
    for (const [a, b, exp] of plan) {
      const id = exp ? `model-${gen}-exp` : `model-${gen}-${ids.filter((x) => !x.endsWith('-exp')).length + 1}`;
      onEvent?.({ type: 'phase', text: `Generation ${gen}: merging ${a} + ${b}`, done: ids.length, total: plan.length });
      await makeChild(a, b, id, gen, exp);
      ids.push(id);
    }
    await finishGeneration(gen, ids, t0);
  }

  const bestId = rank([...byId.keys()])[0];
  return {
    strategy: config.strategy, seed: config.seed, config, foundation: st.foundation, stopped: st.stopped!,
    best: { id: bestId, average: byId.get(bestId)!.average },
    generations: st.generations, models: st.models,
  };
}
