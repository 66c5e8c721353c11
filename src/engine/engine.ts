/**
 * `createEngine(deps)`: the one implementation of MergeEngine. In the browser it runs inside a module
 * Web Worker (worker.ts) behind comlink; in Node and tests it runs in-process. The zoo comes from an
 * AssetReader; runs persist through an optional key-value store (IndexedDB in the browser).
 */
import { computeKinship, type GramBackend } from '../core/kinship';
import { CancelledError, KinmergeError } from '../core/errors';
import type { MergeBackend } from '../core/merge/types';
import type { MergeRecipe } from '../core/merge/recipe';
import type { TensorSource } from '../core/types';
import type { AssetReader } from '../eval/assets';
import { weightChange } from '../evolve/analysis';
import { runEvolution } from '../evolve/loop';
import type { EvolveRecord } from '../evolve/types';
import type {
  BackendChoice, EngineInfo, EngineModel, EvolveRequest, MergeEngine, MergeOutcome, SavedRun, ZooSummary,
} from './api';
import { createFamily, type Family } from './family';
import type { Library } from '../store/library';
import { importFromSink } from '../store/sink';
import { executeMerge } from '../core/merge/execute';
import { parentsOf } from '../store/export-formats';
import { loadZooFamily, type ZooFamily } from './zoo-family';

/** Where a run is saved after each finished generation (idb-keyval in the browser). */
export interface RunStore {
  get(): Promise<SavedRun | undefined>;
  set(run: SavedRun): Promise<void>;
  del(): Promise<void>;
}

export interface EngineDeps {
  assets: AssetReader;
  /** The IndexedDB model library (browser): its models are addressable by library id. */
  library?: Library;
  runs?: RunStore;
  /** Creates WebGPU backends (lazily imported so the CPU path never loads the GPU code). */
  gpu?: () => Promise<{ merge: MergeBackend; gram: GramBackend; adapter: string; fallback: boolean }>;
  onNote?: (m: string) => void;
}

interface Job { ctrl: AbortController; paused: boolean; wake?: () => void }

export function createEngine(deps: EngineDeps): MergeEngine {
  let info: EngineInfo = { backend: 'cpu', adapter: null, reason: 'not initialised yet', fallbackAdapter: false };
  let mergeBackend: MergeBackend | undefined;
  let gramBackend: GramBackend | undefined;
  let zooP: Promise<ZooFamily> | undefined;
  let bench: Family | undefined;
  let run: Family | undefined;
  const zooSources = new Map<string, TensorSource>();
  const jobs = new Map<string, Job>();
  let counter = 0;

  const zoo = (): Promise<ZooFamily> => {
    zooP ??= (async () => {
      const z = await loadZooFamily(deps.assets);
      for (const m of z.zoo.models) {
        if (m.name === z.baseName) zooSources.set(m.name, z.base);
        else if (z.foundation.has(m.name)) zooSources.set(m.name, z.foundation.get(m.name)!);
        else zooSources.set(m.name, await deps.assets.source(`zoo/${m.path}model.safetensors`, m.name));
      }
      bench = createFamily({ base: z.base, foundation: zooSources, evaluator: z.evaluator, mergeBackend, gramBackend });
      return z;
    })();
    zooP.catch(() => { zooP = undefined; });
    return zooP;
  };
  const family = (id: string): Family => {
    for (const f of [run, bench]) if (f?.has(id)) return f;
    throw new KinmergeError('unknown-model', `No model "${id}" in this session. Pick a zoo model or a merge made in this session.`);
  };
  /** Any model id: a merge of this session, a zoo model, or a library model. */
  const open = async (id: string): Promise<TensorSource> => {
    for (const f of [run, bench]) if (f?.has(id)) return f.source(id);
    if (deps.library && (await deps.library.get(id))) return deps.library.open(id);
    return family(id).source(id); // throws the named error
  };
  const job = (id: string): Job => {
    const j: Job = { ctrl: new AbortController(), paused: false };
    jobs.set(id, j);
    return j;
  };
  const done = (id: string) => jobs.delete(id);
  const params = (s: TensorSource) => s.tensors().reduce((n, t) => n + t.numel, 0);

  const engine: MergeEngine = {
    async init(choice: BackendChoice = 'auto') {
      await mergeBackend?.dispose?.();
      mergeBackend = undefined; gramBackend = undefined;
      if (choice === 'cpu') info = { backend: 'cpu', adapter: null, reason: 'CPU backend chosen.', fallbackAdapter: false };
      else if (!deps.gpu) info = { backend: 'cpu', adapter: null, reason: 'WebGPU is not available in this environment.', fallbackAdapter: false };
      else {
        try {
          const g = await deps.gpu();
          mergeBackend = g.merge; gramBackend = g.gram;
          info = { backend: 'webgpu', adapter: g.adapter, reason: null, fallbackAdapter: g.fallback };
        } catch (e) {
          if (choice === 'webgpu') throw e;
          info = { backend: 'cpu', adapter: null, reason: (e as Error).message, fallbackAdapter: false };
        }
      }
      zooP = undefined; run = undefined; // rebuild families with the new backends
      return info;
    },
    async info() { return info; },
    async zoo(): Promise<ZooSummary> {
      const z = await zoo();
      return {
        name: z.zoo.name, skills: z.zoo.skills, base: z.baseName,
        models: z.zoo.models.map((m) => ({ id: m.name, kind: 'zoo', role: m.role, skill: m.skill, params: params(zooSources.get(m.name)!) })),
      };
    },
    async models(): Promise<EngineModel[]> {
      const list = (await engine.zoo()).models;
      for (const f of [bench, run]) for (const id of f?.merged() ?? []) {
        list.push({ id, kind: 'merged', parents: f!.parentsOf(id), params: params(f!.source(id)) });
      }
      for (const m of (await deps.library?.list()) ?? []) {
        list.push({ id: m.id, name: m.name, kind: 'library', parents: m.parents?.map((p) => p.id), params: m.params ?? 0 });
      }
      return list;
    },
    async kinship(jobId, ids, opts = {}, onProgress) {
      const z = await zoo();
      const j = job(jobId);
      try {
        return await computeKinship({
          base: z.base, models: await Promise.all(ids.map(open)), split: opts.split,
          backend: gramBackend, signal: j.ctrl.signal, onProgress,
        });
      } finally { done(jobId); }
    },
    async merge(jobId, req, onProgress): Promise<MergeOutcome> {
      await zoo();
      const j = job(jobId);
      const t0 = performance.now();
      try {
        if (req.saveAs !== undefined) {
          if (!deps.library) throw new KinmergeError('no-library', 'There is no model library here to save the merge into.');
          const sink = await importFromSink(deps.library, { name: req.saveAs, recipe: req.recipe, seed: req.seed ?? 0, parents: await Promise.all(parentsOf(req.recipe).map(async (p) => {
            const m = await deps.library!.get(p);
            return { id: p, name: m?.name ?? p, sha256: m?.files.filter((x) => x.safetensors).map((x) => x.sha256) ?? [] };
          })) });
          const r = await executeMerge({ recipe: req.recipe, resolve: open, sink, seed: req.seed ?? 0, backend: mergeBackend, signal: j.ctrl.signal, onProgress });
          return { id: sink.id, notes: r.notes, params: r.params, seconds: (performance.now() - t0) / 1000 };
        }
        const id = req.id ?? `merge-${++counter}`;
        const notes = await bench!.mergeRecipe(req.recipe, id, { seed: req.seed, signal: j.ctrl.signal, onProgress, resolve: open });
        return { id, notes, params: params(bench!.source(id)), seconds: (performance.now() - t0) / 1000 };
      } finally { done(jobId); }
    },
    async evaluate(jobId, id) {
      const z = await zoo();
      const j = job(jobId);
      try {
        for (const f of [run, bench]) if (f?.has(id)) return await f.deps.evaluate(id, j.ctrl.signal);
        const r = await z.evaluator.score(await open(id), j.ctrl.signal);
        return { scores: r.scores, average: r.average };
      } finally { done(jobId); }
    },
    async evolve(jobId, req, onEvent): Promise<EvolveRecord> {
      const z = await zoo();
      const saved = req.resume ? await deps.runs?.get() : undefined;
      if (req.resume && !saved) throw new KinmergeError('no-saved-run', 'There is no saved run to resume.');
      const request = saved ? saved.request : req;
      const j = job(jobId);
      run = createFamily({
        base: z.base, foundation: zooSources, evaluator: z.evaluator, template: request.template,
        seed: request.config.seed,
        ...(request.compute === 'engine' ? { mergeBackend, gramBackend } : {}),
      });
      try {
        if (saved) await run.replay(saved.state.models, j.ctrl.signal);
        const rec = await runEvolution(request.foundation, request.config, run.deps, {
          signal: j.ctrl.signal,
          resume: saved?.state,
          // A macrotask turn before each merge: CPU merges and evaluation may only yield microtasks,
          // and without this the IndexedDB save of the last generation would not commit (a reload
          // would lose it) and pause/cancel messages would wait for the whole run.
          gate: async () => {
            await new Promise<void>((r) => setTimeout(r, 0));
            if (j.paused) await new Promise<void>((r) => { j.wake = r; });
          },
          onEvent: (e) => {
            if (e.type === 'generation') void deps.runs?.set({ request, state: e.state, savedAt: new Date().toISOString() });
            onEvent?.(e);
          },
        });
        await deps.runs?.del();
        return rec;
      } finally { done(jobId); }
    },
    async savedRun() { return (await deps.runs?.get()) ?? null; },
    async clearSavedRun() { await deps.runs?.del(); },
    async pause(jobId) { const j = jobs.get(jobId); if (j) j.paused = true; },
    async resume(jobId) { const j = jobs.get(jobId); if (j) { j.paused = false; j.wake?.(); j.wake = undefined; } },
    async cancel(jobId) {
      const j = jobs.get(jobId);
      if (!j) return;
      j.ctrl.abort(new CancelledError());
      j.paused = false; j.wake?.();
    },
    async weightChange(parent, child) {
      await zoo();
      return weightChange(await open(parent), await open(child));
    },
    async exportModel(id) {
      await zoo();
      for (const f of [run, bench]) { const b = f?.has(id) ? f.bytes(id) : undefined; if (b) return b; }
      const s = await open(id);
      const infos = s.tensors();
      const { encodeSafetensors } = await import('../core/safetensors');
      const tensors = [];
      for (const t of infos) tensors.push({ name: t.name, dtype: t.dtype, shape: t.shape, data: await s.readRaw(t.name, 0, t.numel) });
      return encodeSafetensors(tensors, s.metadata());
    },
    async recipeOf(id) {
      await zoo();
      for (const f of [run, bench]) if (f?.has(id)) return f.recipeOf(id) ?? null;
      return ((await deps.library?.get(id))?.recipe as MergeRecipe | undefined) ?? null;
    },
  };
  return engine;
}
