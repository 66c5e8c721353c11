/**
 * The early-stopped twin of a finished run, read off the run itself instead of running it again.
 * runEvolution checks, before each generation: the top-k unchanged (converged), the generation cap,
 * then the top-k kinship against the threshold. Runs are deterministic, so a run with early stopping
 * is exactly the prefix of the same run without it, up to the first generation after which those checks
 * would have fired the kinship one. test/ui/teach-early-stop.test.ts holds this against the real loop.
 */
import { exceedsStop } from '../../evolve/loop.ts';
import type { EvolveRecord, GenerationRecord } from '../../evolve/types.ts';

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** Index into the sorted generations after which a run with this threshold stops early, or -1. */
export function earlyStopIndex(rec: EvolveRecord, threshold: number): number {
  const gens = sortedGenerations(rec);
  // A patient stop also needs the best to have stalled for that many generations (src/evolve/early-stop.ts);
  // records made before the field existed ran with 0.
  const patience = rec.config.stopPatience ?? 0;
  for (let i = 0; i < gens.length; i++) {
    const g = gens[i];
    // The loop tests convergence and the cap first: a run that stopped for those never reaches the kinship test.
    if (i > 0 && sameSet(g.topk, gens[i - 1].topk)) return -1;
    if (g.generation >= rec.config.maxGen) return -1;
    const stalled = patience === 0 || (i >= patience && g.best_average <= gens[i - patience].best_average);
    if (stalled && g.topk_kinship !== null && exceedsStop(rec.config.metric, g.topk_kinship, threshold)) return i;
  }
  return -1;
}

function sortedGenerations(rec: EvolveRecord): GenerationRecord[] {
  return [...rec.generations].sort((a, b) => a.generation - b.generation);
}

/**
 * The record `rec` would have been with `config.stopKinship = threshold`. `rec` must have run without
 * early stopping (stopKinship null), or with a higher threshold that never fired.
 */
export function earlyStopped(rec: EvolveRecord, threshold: number): EvolveRecord {
  const config = { ...rec.config, stopKinship: threshold };
  const i = earlyStopIndex(rec, threshold);
  if (i < 0) return { ...rec, config };
  const gens = sortedGenerations(rec).slice(0, i + 1);
  const last = gens[i];
  return {
    ...rec, config, stopped: 'early-stop',
    best: { id: last.best_id, average: last.best_average },
    generations: gens,
    models: rec.models.filter((m) => m.generation <= last.generation),
  };
}

/** Merges a run made (children, not foundation models). */
export const mergeCount = (rec: EvolveRecord): number => rec.models.filter((m) => m.parents.length > 0).length;
