import type { EvolveConfig, EvolveEvent, EvolveRecord, EvolveState } from '../../evolve/types.ts';
import { DEFAULT_CONFIG } from '../../evolve/types.ts';
import type { ShareState, StrategyParams } from '../share/schema.ts';

/** Evolve view: the editable configuration and the runs to show (several overlay in the chart). */
export class EvolveSession {
  strategy = $state<'greedy' | 'kinship' | 'random'>(DEFAULT_CONFIG.strategy);
  k = $state(DEFAULT_CONFIG.k);
  metric = $state<StrategyParams['metric'] & string>(DEFAULT_CONFIG.metric);
  stopOn = $state(DEFAULT_CONFIG.stopKinship !== null);
  stopKinship = $state(DEFAULT_CONFIG.stopKinship ?? 0.9);
  /** Generations without a rise of the best that the early stop also waits for (0 = kinship alone). */
  stopPatience = $state(DEFAULT_CONFIG.stopPatience ?? 0);
  maxGen = $state(DEFAULT_CONFIG.maxGen);
  seed = $state(DEFAULT_CONFIG.seed);
  /** Finished or loaded runs, replaced whole. */
  runs = $state.raw<{ name: string; record: EvolveRecord }[]>([]);
  selected = $state<string | null>(null);
  /** Foundation models by zoo id; null = every expert of the zoo (the CLI's default). */
  foundation = $state.raw<string[] | null>(null);
  /** The run the engine saved after its last finished generation (offered for resuming after a reload). */
  saved = $state.raw<{ generation: number; strategy: string; seed: number; foundation: string[] } | null>(null);

  /** The run in progress, rebuilt from the engine's events (replaced whole on each event). */
  live = $state.raw<EvolveRecord | null>(null);

  primary(): EvolveRecord | null {
    return this.live ?? this.runs[0]?.record ?? null;
  }
  config(): EvolveConfig {
    return { ...DEFAULT_CONFIG, strategy: this.strategy, k: this.k, metric: this.metric, stopKinship: this.stopOn ? this.stopKinship : null, stopPatience: this.stopPatience, maxGen: this.maxGen, seed: this.seed };
  }
  /** The foundation to run with: the chosen models, or every expert when none were chosen. */
  foundationFor(experts: string[]): string[] {
    return this.foundation ?? experts;
  }
  toggleFoundation(id: string, on: boolean, experts: string[]): void {
    const cur = this.foundationFor(experts);
    // Keep the zoo's order, so a link and the CLI's --models list the same sequence.
    const next = on ? experts.filter((e) => e === id || cur.includes(e)) : cur.filter((e) => e !== id);
    this.foundation = next;
  }
  /** Starts the live record; a resumed run starts from the saved models and generations. */
  startLive(config: EvolveConfig, foundation: string[], from?: EvolveState): void {
    const models = from?.models ?? [];
    const generations = from?.generations ?? [];
    const last = generations.at(-1);
    const best = last ? { id: last.best_id, average: last.best_average } : { id: '', average: 0 };
    this.live = { strategy: config.strategy, seed: config.seed, config, foundation, stopped: 'max-gen', best, generations, models };
  }
  /** Shows a saved run's settings in the form, so what is resumed is what is displayed. */
  showSaved(config: EvolveConfig, foundation: string[]): void {
    this.strategy = config.strategy; this.k = config.k; this.metric = config.metric; this.maxGen = config.maxGen; this.seed = config.seed;
    this.stopOn = config.stopKinship !== null;
    if (config.stopKinship !== null) this.stopKinship = config.stopKinship;
    this.stopPatience = config.stopPatience ?? 0; // saved before the field existed: ran with 0
    this.foundation = foundation;
  }
  /** Folds one engine event into the live record, so the chart and tree grow while the run goes. */
  onEvent(e: EvolveEvent): void {
    const r = this.live;
    if (!r) return;
    if (e.type === 'model') {
      const best = e.model.average > r.best.average || r.best.id === '' ? { id: e.model.id, average: e.model.average } : r.best;
      this.live = { ...r, models: [...r.models, e.model], best };
    } else if (e.type === 'generation') {
      this.live = { ...r, generations: [...r.generations, e.generation], best: { id: e.generation.best_id, average: e.generation.best_average } };
    }
  }
  finishLive(record: EvolveRecord | null): void {
    this.live = null;
    if (record) this.runs = [{ name: `${record.strategy}: this session, seed ${record.seed}`, record }, ...this.runs.filter((x) => x.name !== `${record.strategy}: this session, seed ${record.seed}`)];
  }
  addRun(name: string, record: EvolveRecord): void {
    // One run per name: loading greedy twice replaces it; greedy and kinship overlay.
    this.runs = [...this.runs.filter((r) => r.name !== name), { name, record }];
  }
  params(): StrategyParams {
    const p: StrategyParams = { k: this.k, metric: this.metric, stopKinship: this.stopOn ? this.stopKinship : null, maxGen: this.maxGen };
    // Only when set: links without it keep decoding as 0, and old kinmerge builds can still open plain-rule links.
    if (this.stopPatience !== 0) p.stopPatience = this.stopPatience;
    return p;
  }
  apply(s: ShareState): void {
    if (s.strategy) this.strategy = s.strategy;
    if (s.params.k !== undefined) this.k = s.params.k;
    if (s.params.metric !== undefined) this.metric = s.params.metric;
    if (s.params.stopKinship !== undefined) { this.stopOn = s.params.stopKinship !== null; if (s.params.stopKinship !== null) this.stopKinship = s.params.stopKinship; }
    // A link without the field was made before it existed (or with 0): the plain rule.
    this.stopPatience = s.params.stopPatience ?? 0;
    if (s.params.maxGen !== undefined) this.maxGen = s.params.maxGen;
    this.seed = s.seed;
    const named = s.models.flatMap((m) => ('zoo' in m ? [m.zoo] : []));
    if (named.length > 0) this.foundation = named;
  }
}
