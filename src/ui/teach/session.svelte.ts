/**
 * Runs the teaching steps' actions (steps.ts) on the real demo zoo through the engine, and keeps their
 * results for the page session (one instance per page, so results survive switching views). Results
 * are replaced whole in `$state.raw`; the evolution runs reuse the Evolve view's EvolveSession, so the
 * live chart and tree are fed exactly as there.
 */
import { CancelledError } from '../../core/errors.ts';
import type { KinshipResult } from '../../core/kinship.ts';
import type { LayerChange } from '../../evolve/analysis.ts';
import { DEFAULT_CONFIG, type EvolveConfig, type EvolveEvent, type EvolveRecord } from '../../evolve/types.ts';
import type { EngineClient } from '../../engine/client.ts';
import type { Progress } from '../../core/types.ts';
import { proxy, type EngineSession } from '../state/engine.svelte.ts';
import { EvolveSession } from '../state/evolve.svelte.ts';
import { earlyStopped } from './early-stop.ts';
import type { ShareState } from '../share/schema.ts';
import { stepIndex, TEACH_STEPS, type TeachAction, type TeachRunSpec, type TeachStepId } from './steps.ts';
import { pickFoundation } from './summaries.ts';
import { checkSweepT, slerpRecipe, sweepId, TeachStepError, type SweepResult } from './sweep.ts';

export interface TaskVectorResult { base: string; expert: string; layers: LayerChange[] }
export interface TeachKinship { metric: string; models: string[]; matrix: (number | null)[][]; strangers: string[]; backend: string }
export interface CompareResult { greedy: EvolveRecord; kinship: EvolveRecord; early: EvolveRecord; threshold: number }

type Action<K extends TeachAction['kind']> = Extract<TeachAction, { kind: K }>;

export class TeachSession {
  /** Index in TEACH_STEPS of the step the Teach view shows; kept here so it survives switching views. */
  step = $state(0);
  /** The share link whose step was last applied, so re-running the App's link effect changes nothing. */
  private linked: ShareState | null = null;
  taskVector = $state.raw<TaskVectorResult | null>(null);
  kinship = $state.raw<TeachKinship | null>(null);
  /** Grows point by point while the sweep runs. */
  sweep = $state.raw<SweepResult | null>(null);
  compare = $state.raw<CompareResult | null>(null);
  /** The SLERP sweep's parents (engine ids); empty = the zoo's first two experts. */
  pair = $state<[string, string]>(['', '']);
  /** Id of the step whose job runs now, or null. */
  running = $state<string | null>(null);
  /** The greedy step's run and the comparison's runs, shown with the Evolve view's pieces. */
  readonly evolveRun = new EvolveSession();
  readonly compareRuns = new EvolveSession();
  /** Finished records by configuration: a rerun or the comparison reuses an identical run. */
  private records = new Map<string, EvolveRecord>();
  private cancelled = false;

  get stepId(): TeachStepId {
    return TEACH_STEPS[this.step].id;
  }
  /** Shows the step a newly opened link names; a link naming none opens at step 1, as before the field existed. */
  openLink(s: ShareState): void {
    if (s === this.linked) return;
    this.linked = s;
    this.step = stepIndex(s.teach);
  }

  /** Cancels the running step: the engine call under way, and the calls it had yet to make. */
  cancel(eng: EngineSession): void {
    this.cancelled = true;
    eng.cancel();
  }
  private check(): void {
    if (this.cancelled) throw new CancelledError('Step cancelled.');
  }

  async run(stepId: string, action: TeachAction, eng: EngineSession): Promise<void> {
    this.cancelled = false;
    this.running = stepId;
    try {
      switch (action.kind) {
        case 'task-vector': return await this.runTaskVector(eng);
        case 'kinship': return await this.runKinship(action, eng);
        case 'slerp-sweep': return await this.runSweep(action, eng);
        case 'evolve': return await this.runEvolve(action, eng);
        case 'compare': return await this.runCompare(action, eng);
      }
    } finally {
      this.running = null;
    }
  }

  private zooOf(eng: EngineSession) {
    const zoo = eng.zoo;
    if (!zoo) throw new TeachStepError('teach-no-zoo', 'The demo zoo is not loaded yet; wait for the engine to start, then run the step again.');
    return zoo;
  }

  private async runTaskVector(eng: EngineSession): Promise<void> {
    const zoo = this.zooOf(eng);
    const expert = eng.experts()[0];
    if (!expert) throw new TeachStepError('teach-few-experts', 'The zoo has no expert to take a task vector of. Reload to fetch the demo zoo again.');
    // weightChange(base, expert) per layer group is ‖expert − base‖: the task vector's size there.
    const layers = await eng.job(`Task vector of ${expert}`, 'teach', (c) => c.weightChange(zoo.base, expert));
    this.taskVector = { base: zoo.base, expert, layers };
  }

  private async runKinship(action: Action<'kinship'>, eng: EngineSession): Promise<void> {
    const zoo = this.zooOf(eng);
    const models = zoo.models.filter((m) => m.role !== 'base');
    const res: KinshipResult = await eng.job('Kinship of the zoo', 'teach', (c, id, onProgress) => c.kinship(id, models.map((m) => m.id), {}, onProgress));
    const matrix = res.metrics[action.metric];
    if (!matrix) throw new TeachStepError('teach-kinship-metric', `The engine returned no ${action.metric} matrix; choose pcc or cs in the step.`);
    this.kinship = { metric: action.metric, models: res.models, matrix, strangers: models.filter((m) => m.role === 'stranger').map((m) => m.id), backend: res.backend };
  }

  /** The sweep's parents: the chosen pair if both are experts of this zoo, else its first two. */
  sweepPair(eng: EngineSession): [string, string] {
    const experts = eng.experts();
    const [a, b] = this.pair;
    if (a && b && a !== b && experts.includes(a) && experts.includes(b)) return [a, b];
    const [x, y] = pickFoundation([], experts, 2);
    return [x, y];
  }

  private async runSweep(action: Action<'slerp-sweep'>, eng: EngineSession): Promise<void> {
    const ts = checkSweepT(action.t);
    const [a, b] = this.sweepPair(eng);
    this.sweep = null;
    await eng.job(`SLERP sweep of ${a} and ${b}`, 'teach', async (c, id, onProgress) => {
      const total = ts.length + 2;
      let done = 0;
      const tell = (detail: string) => onProgress({ phase: 'SLERP sweep', done, total, unit: 'models scored', detail });
      tell(`scoring ${a}`);
      const parentA = await c.evaluate(id, a);
      this.check(); done++; tell(`scoring ${b}`);
      const parentB = await c.evaluate(id, b);
      this.check(); done++;
      let r: SweepResult = { a, b, parentA, parentB, points: [] };
      this.sweep = r;
      for (const t of ts) {
        tell(`t = ${t}: merging`);
        const out = await c.merge(id, { recipe: slerpRecipe(a, b, t), id: sweepId(a, b, t) });
        this.check(); tell(`t = ${t}: scoring`);
        const s = await c.evaluate(id, out.id);
        this.check(); done++;
        r = { ...r, points: [...r.points, { t, id: out.id, scores: s.scores, average: s.average }] };
        this.sweep = r;
      }
      tell('done');
    });
  }

  private configFor(strategy: 'greedy' | 'kinship', stopKinship: number | null, spec: TeachRunSpec): EvolveConfig {
    return { ...DEFAULT_CONFIG, strategy, stopKinship, maxGen: spec.maxGen, seed: spec.seed };
  }

  /**
   * One evolution through the engine, drawn live into `into`. The engine saves a run after every
   * generation for the Evolve view's resume; a teaching run must not replace the user's saved run, and
   * one it leaves behind (cancelled) is removed.
   */
  private async evolveOnce(eng: EngineSession, into: EvolveSession, config: EvolveConfig, foundation: string[], label: string): Promise<EvolveRecord> {
    const key = JSON.stringify({ config, foundation });
    const cached = this.records.get(key);
    if (cached) return cached;
    const c: EngineClient | null = eng.raw();
    const saved = await c?.savedRun();
    if (saved) {
      throw new TeachStepError('teach-saved-run', `The Evolve view holds a saved ${saved.request.config.strategy} run (generation ${saved.state.generation}) that this step would replace. Resume or discard it in the Evolve view, then run this step again.`);
    }
    this.check();
    into.startLive(config, foundation);
    try {
      const rec = await eng.job(label, 'evolve', (cl, id, onProgress) =>
        cl.evolve(id, { config, foundation }, proxy((e: EvolveEvent) => {
          if (e.type === 'phase') onProgress({ phase: label, done: e.done, total: e.total, unit: 'steps', detail: e.text } satisfies Progress);
          else into.onEvent(e);
        })));
      this.records.set(key, rec);
      into.live = null;
      return rec;
    } catch (err) {
      into.live = null;
      await c?.clearSavedRun().catch(() => undefined);
      throw err;
    }
  }

  private async runEvolve(action: Action<'evolve'>, eng: EngineSession): Promise<void> {
    const foundation = pickFoundation(action.foundation, eng.experts());
    const config = this.configFor(action.strategy, action.stopKinship, action);
    this.evolveRun.runs = [];
    const rec = await this.evolveOnce(eng, this.evolveRun, config, foundation, `Evolving (${action.strategy})`);
    this.evolveRun.runs = [{ name: `${action.strategy}, ${foundation.length} experts`, record: rec }];
  }

  private async runCompare(action: Action<'compare'>, eng: EngineSession): Promise<void> {
    const foundation = pickFoundation(action.foundation, eng.experts());
    this.compare = null;
    this.compareRuns.runs = [];
    const done: Partial<Record<'greedy' | 'kinship', EvolveRecord>> = {};
    // Both runs without early stopping; the early-stopped kinship run is read off the full one (exact,
    // see early-stop.ts), so the chart shows what the stop keeps and what it forgoes.
    for (const strategy of action.strategies) {
      const rec = await this.evolveOnce(eng, this.compareRuns, this.configFor(strategy, null, action), foundation, `Evolving (${strategy})`);
      done[strategy] = rec;
      this.compareRuns.runs = [...this.compareRuns.runs, { name: strategy, record: rec }];
    }
    const { greedy, kinship } = done;
    if (!greedy || !kinship) throw new TeachStepError('teach-compare', 'The comparison needs both a greedy and a kinship run; list both strategies in the step.');
    const early = earlyStopped(kinship, action.stopKinship);
    this.compareRuns.runs = [...this.compareRuns.runs, { name: `kinship, early stop at ${action.stopKinship}`, record: early }];
    this.compare = { greedy, kinship, early, threshold: action.stopKinship };
  }
}

/** One per page: results outlive the view, as the other views' sessions do in App.svelte. */
export const teach = new TeachSession();
