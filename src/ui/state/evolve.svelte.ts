import type { EvolveRecord } from '../../evolve/types.ts';
import { DEFAULT_CONFIG } from '../../evolve/types.ts';
import type { ShareState, StrategyParams } from '../share/schema.ts';

/** Evolve view: the editable configuration and the runs to show (several overlay in the chart). */
export class EvolveSession {
  strategy = $state<'greedy' | 'kinship' | 'random'>(DEFAULT_CONFIG.strategy);
  k = $state(DEFAULT_CONFIG.k);
  metric = $state<StrategyParams['metric'] & string>(DEFAULT_CONFIG.metric);
  stopOn = $state(DEFAULT_CONFIG.stopKinship !== null);
  stopKinship = $state(DEFAULT_CONFIG.stopKinship ?? 0.9);
  maxGen = $state(DEFAULT_CONFIG.maxGen);
  seed = $state(DEFAULT_CONFIG.seed);
  /** Finished or loaded runs, replaced whole. */
  runs = $state.raw<{ name: string; record: EvolveRecord }[]>([]);
  selected = $state<string | null>(null);

  primary(): EvolveRecord | null {
    return this.runs[0]?.record ?? null;
  }
  addRun(name: string, record: EvolveRecord): void {
    // One run per name: loading greedy twice replaces it; greedy and kinship overlay.
    this.runs = [...this.runs.filter((r) => r.name !== name), { name, record }];
  }
  params(): StrategyParams {
    return { k: this.k, metric: this.metric, stopKinship: this.stopOn ? this.stopKinship : null, maxGen: this.maxGen };
  }
  apply(s: ShareState): void {
    if (s.strategy) this.strategy = s.strategy;
    if (s.params.k !== undefined) this.k = s.params.k;
    if (s.params.metric !== undefined) this.metric = s.params.metric;
    if (s.params.stopKinship !== undefined) { this.stopOn = s.params.stopKinship !== null; if (s.params.stopKinship !== null) this.stopKinship = s.params.stopKinship; }
    if (s.params.maxGen !== undefined) this.maxGen = s.params.maxGen;
    this.seed = s.seed;
  }
}
