/**
 * The paper's iterative merging (Hu et al. 2024, Algorithm 1 and Appendix C Algorithm 2) as data.
 * The JSON shape of `EvolveRecord` is the contract of `kinmerge evolve --json`: extend, never rename.
 */

export type Strategy = 'greedy' | 'kinship' | 'random';
export type KinshipMetric = 'pcc' | 'cs' | 'cs_abs' | 'ed';
export type StopReason = 'converged' | 'early-stop' | 'max-gen' | 'cancelled';
export type Stage = 'learning' | 'saturation';

export interface EvolveConfig {
  strategy: Strategy;
  /** Size of the top-k set S (the paper's runs used k = 3). */
  k: number;
  /** Kinship metric used for exploration and early stopping. */
  metric: KinshipMetric;
  /** Stop before a generation when the mean pairwise kinship of the top-k exceeds this; null = off. */
  stopKinship: number | null;
  /**
   * Early-stop patience p (integer >= 0): with p > 0 the kinship stop also needs the best average to
   * have not risen over the last p finished generations (src/evolve/early-stop.ts). 0 = kinship alone.
   * Absent (configs saved before this field) = 0.
   */
  stopPatience?: number;
  /** Generation cap (generation 1 merges the foundation pairs). */
  maxGen: number;
  seed: number;
  /**
   * Pool for the exploration partner m_f: 'all' = every evaluated model except the best (what the
   * paper's published run did), 'topk' = the top-k set only (Algorithm 1's literal wording).
   */
  explorePool: 'all' | 'topk';
  /** Random strategy: merges per generation (default C(k, 2), the greedy count). */
  randomMerges?: number;
  /** Stage rule: a generation is 'learning' while the best average rose by more than this. */
  learningEps: number;
}

export const DEFAULT_CONFIG: EvolveConfig = {
  strategy: 'kinship',
  k: 3,
  metric: 'pcc',
  stopKinship: 0.9,
  stopPatience: 0,
  maxGen: 8,
  seed: 0,
  explorePool: 'all',
  learningEps: 0.005,
};

export interface Scores {
  scores: Record<string, number>;
  average: number;
}

export interface ModelRecord {
  id: string;
  /** [base_model (t = 0 end), other]; empty for foundation models. */
  parents: string[];
  generation: number;
  exploration: boolean;
  scores: Record<string, number>;
  average: number;
  /** average - mean of the parents' averages (the paper's merge gain, Eq. 5); null for foundation models. */
  gain: number | null;
  /** Kinship of the two parents' task vectors; null for foundation models or when undefined. */
  parent_kinship: number | null;
  /** Seconds spent merging and evaluating this model. */
  seconds?: number;
}

export interface GenerationRecord {
  generation: number;
  best_average: number;
  best_id: string;
  topk: string[];
  topk_average: number;
  /** Mean pairwise kinship of the top-k (the paper's Eq. 3); null when undefined. */
  topk_kinship: number | null;
  /** Ids of the models merged in this generation. */
  merges: string[];
  stage: Stage;
  seconds: number;
}

export interface EvolveRecord {
  strategy: Strategy;
  seed: number;
  config: EvolveConfig;
  foundation: string[];
  stopped: StopReason;
  best: { id: string; average: number };
  generations: GenerationRecord[];
  models: ModelRecord[];
}

/** What the loop needs from the engine. All of it must be deterministic for the same inputs. */
export interface EvolveDeps {
  /** Merges `base` (t = 0 end) with `other` into a new model named `id`. */
  merge(base: string, other: string, id: string, signal?: AbortSignal): Promise<void>;
  evaluate(id: string, signal?: AbortSignal): Promise<Scores>;
  /** Kinship of two models' task vectors against the original base (never against a parent). */
  kinship(a: string, b: string, metric: KinshipMetric, signal?: AbortSignal): Promise<number | null>;
}

/** Everything needed to resume after the last finished generation. Plain JSON. */
export interface EvolveState {
  version: 1;
  config: EvolveConfig;
  foundation: string[];
  models: ModelRecord[];
  generations: GenerationRecord[];
  /** Pairs already merged, as "a|b" with a < b. */
  merged: string[];
  topk: string[];
  prevTopk: string[] | null;
  generation: number;
  stopped: StopReason | null;
}

export type EvolveEvent =
  | { type: 'model'; model: ModelRecord }
  | { type: 'generation'; generation: GenerationRecord; state: EvolveState }
  | { type: 'phase'; text: string; done: number; total: number };
