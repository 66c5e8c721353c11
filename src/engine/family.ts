/**
 * A model family for the evolution loop: the original base (kinship is always measured against it),
 * the foundation models, and every merged child, kept in memory as safetensors bytes (a zoo model is
 * ~1.6 MB). Implements the loop's `EvolveDeps` with the real engine: `executeMerge` for merges (any
 * backend), `computeKinship` for kinship (any Gram backend), and an `Evaluator` for scores.
 *
 * Merges are deterministic, so a child can always be rebuilt from its parents: `replay` restores the
 * family from a saved run's records after a reload.
 */
import { computeKinship, type GramBackend } from '../core/kinship';
import { openSafetensors } from '../core/checkpoint';
import { executeMerge } from '../core/merge/execute';
import type { MergeRecipe } from '../core/merge/recipe';
import type { MergeBackend } from '../core/merge/types';
import { KinmergeError } from '../core/errors';
import type { ByteSink, ProgressFn, TensorSource } from '../core/types';
import { memoryByteSource } from '../eval/fetch-assets';
import type { Evaluator } from '../eval/evaluator';
import { instantiateRecipe, PAPER_SLERP } from '../evolve/recipe';
import type { EvolveDeps, KinshipMetric, ModelRecord, Scores } from '../evolve/types';

export interface FamilyOptions {
  base: TensorSource;
  /** Foundation models by id. */
  foundation: Map<string, TensorSource>;
  evaluator: Evaluator;
  /** Merge operator ($A = better parent / SLERP base_model, $B = other, $BASE = the family's base). */
  template?: MergeRecipe;
  seed?: number;
  mergeBackend?: MergeBackend;
  gramBackend?: GramBackend;
}

export interface MergeRecipeOptions {
  seed?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Resolves references outside this family (default: this family's models). */
  resolve?: (ref: string) => Promise<TensorSource>;
}

export interface Family {
  deps: EvolveDeps;
  has(id: string): boolean;
  source(id: string): TensorSource;
  /** Ids of the merged children, in creation order. */
  merged(): string[];
  parentsOf(id: string): string[];
  /** Runs any recipe (references are model ids) into a new child `id`; returns the executor's notes. */
  mergeRecipe(recipe: MergeRecipe, id: string, o?: MergeRecipeOptions): Promise<string[]>;
  /** The merged child's safetensors bytes (for export). */
  bytes(id: string): Uint8Array | undefined;
  recipeOf(id: string): MergeRecipe | undefined;
  /** Re-create merged children from saved records (parents before children). */
  replay(models: ModelRecord[], signal?: AbortSignal): Promise<void>;
  /** Scores computed so far, by id. */
  scores: Map<string, Scores>;
}

function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  let total = 0;
  let out: Uint8Array | null = null;
  return {
    async write(c) { parts.push(c.slice()); total += c.byteLength; },
    async close() {
      out = new Uint8Array(total);
      let o = 0;
      for (const p of parts) { out.set(p, o); o += p.byteLength; }
      parts.length = 0;
    },
    async abort() { parts.length = 0; out = null; },
    bytes() {
      if (!out) throw new KinmergeError('merge-incomplete', 'The merge did not finish writing.');
      return out;
    },
  };
}

export const BASE_ID = '$BASE';

export function createFamily(o: FamilyOptions): Family {
  const template = o.template ?? PAPER_SLERP;
  const seed = o.seed ?? 0;
  const sources = new Map<string, TensorSource>(o.foundation);
  const bytes = new Map<string, Uint8Array>();
  const recipes = new Map<string, MergeRecipe>();
  const scores = new Map<string, Scores>();
  const get = (id: string): TensorSource => {
    if (id === BASE_ID) return o.base;
    const s = sources.get(id);
    if (!s) throw new KinmergeError('unknown-model', `Model "${id}" is not part of this family.`);
    return s;
  };

  const mergeRecipe = async (recipe: MergeRecipe, id: string, mo: MergeRecipeOptions = {}): Promise<string[]> => {
    const sink = memorySink();
    const resolve = mo.resolve ?? (async (ref: string) => get(ref));
    const r = await executeMerge({
      recipe, resolve, sink, seed: mo.seed ?? seed, backend: o.mergeBackend,
      signal: mo.signal, onProgress: mo.onProgress,
    });
    const out = sink.bytes();
    bytes.set(id, out);
    recipes.set(id, recipe);
    sources.set(id, await openSafetensors(memoryByteSource(out), id));
    scores.delete(id);
    return r.notes;
  };
  const merge = async (a: string, b: string, id: string, signal?: AbortSignal) => {
    await mergeRecipe(instantiateRecipe(template, a, b, BASE_ID), id, { signal });
  };

  const deps: EvolveDeps = {
    merge,
    async evaluate(id, signal) {
      const cached = scores.get(id);
      if (cached) return cached;
      const r = await o.evaluator.score(get(id), signal);
      const s = { scores: r.scores, average: r.average };
      scores.set(id, s);
      return s;
    },
    async kinship(a, b, metric: KinshipMetric, signal) {
      const r = await computeKinship({ base: o.base, models: [get(a), get(b)], metrics: [metric], backend: o.gramBackend, signal });
      return r.metrics[metric]![0][1];
    },
  };

  return {
    deps,
    has: (id) => id === BASE_ID || sources.has(id),
    source: get,
    merged: () => [...recipes.keys()],
    parentsOf: (id) => {
      const r = recipes.get(id);
      if (!r) return [];
      const refs = new Set<string>();
      if (r.base_model && r.base_model !== BASE_ID) refs.add(r.base_model);
      for (const m of r.models ?? []) if (m.model !== BASE_ID) refs.add(m.model);
      for (const m of r.slices?.[0].sources ?? []) if (m.model !== BASE_ID) refs.add(m.model);
      return [...refs];
    },
    mergeRecipe,
    bytes: (id) => bytes.get(id),
    recipeOf: (id) => recipes.get(id),
    scores,
    async replay(models, signal) {
      for (const m of models) {
        if (m.parents.length === 2 && !sources.has(m.id)) await merge(m.parents[0], m.parents[1], m.id, signal);
        if (!scores.has(m.id)) scores.set(m.id, { scores: m.scores, average: m.average });
      }
    },
  };
}
