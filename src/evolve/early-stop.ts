/**
 * The early-stop rule, as one pure predicate shared by the loop (src/evolve/loop.ts) and the
 * experiment's prefix computation (scripts/experiment.ts), so what the report says a stop would have
 * saved is what a run with that stop does.
 *
 * Plain rule (patience 0, the paper's §4.2 wording): stop before generation g when the top-k mean
 * kinship after generation g-1 exceeds the threshold. With patience p > 0 it must also be a plateau:
 * the best average after g-1 is no higher than after g-1-p (the paper's greedy run stopped after
 * generation 4 "since its best has not changed since generation 2", i.e. p = 2). The plateau is read
 * off the generation records only (generation 0, the foundation, has none), so with fewer than p + 1
 * finished generations the patient rule does not fire.
 */
import { KinmergeError } from '../core/errors';
import type { EvolveConfig, GenerationRecord, KinshipMetric } from './types';

/** An evolution setting a user gave that the loop cannot run with. */
export class EvolveConfigError extends KinmergeError {
  constructor(message: string) {
    super('evolve-config', message);
    this.name = 'EvolveConfigError';
  }
}

/** Largest accepted patience: more than any generation cap a run can ask for. */
export const MAX_STOP_PATIENCE = 1000;

/** The patience a config runs with: absent (configs saved before the field existed) = 0, what they ran with. */
export function stopPatienceOf(config: Pick<EvolveConfig, 'stopPatience'>): number {
  const p = config.stopPatience ?? 0;
  if (!Number.isInteger(p) || p < 0 || p > MAX_STOP_PATIENCE) {
    throw new EvolveConfigError(`stopPatience must be a whole number of generations from 0 to ${MAX_STOP_PATIENCE} (0 = stop on kinship alone); got ${JSON.stringify(p)}.`);
  }
  return p;
}

/** True when the top-k kinship crosses the early-stop threshold (for ed, a distance: falls below it). */
export function exceedsStop(metric: KinshipMetric, value: number, threshold: number): boolean {
  return metric === 'ed' ? value < threshold : value > threshold;
}

/** Whether the best average has not risen over the last `patience` finished generations (always true for 0). */
export function plateaued(gens: ReadonlyArray<Pick<GenerationRecord, 'best_average'>>, patience: number): boolean {
  if (patience === 0) return true;
  const n = gens.length;
  if (n < patience + 1) return false;
  // The best is a running maximum, so "not improved" is "no higher than p generations earlier".
  return gens[n - 1].best_average <= gens[n - 1 - patience].best_average;
}

/**
 * Whether the early stop fires before the generation after `gens` (the finished generations, in order),
 * given the current top-k mean kinship (null = undefined: never fires).
 */
export function earlyStopFires(
  gens: ReadonlyArray<Pick<GenerationRecord, 'best_average'>>, topkKinship: number | null,
  metric: KinshipMetric, threshold: number, patience: number,
): boolean {
  return topkKinship !== null && exceedsStop(metric, topkKinship, threshold) && plateaued(gens, patience);
}
