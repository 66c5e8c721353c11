/**
 * Runs a recipe end to end: resolve the models, plan every tensor (all checks before any byte is
 * written), then stream a safetensors file tensor by tensor in the reference model's order through a
 * backend. On any failure or cancellation the sink is aborted, so no partial file remains.
 */
import { encodeInto, roundToDType } from '../dtype';
import { KinmergeError, throwIfAborted } from '../errors';
import { createSafetensorsWriter, type SafetensorsWriter } from '../safetensors';
import type { ByteSink, FloatDType, ProgressFn, TensorSource } from '../types';
import { createCpuBackend, DEFAULT_CHUNK_ELEMS } from './cpu-backend';
import { planMerge, type PlannedTensor } from './plan';
import { dtypeOfName, recipeInputs, recipeToYaml, type MergeRecipe } from './recipe';
import type { MergeBackend, PlanIO } from './types';

export interface ExecuteOptions {
  recipe: MergeRecipe;
  /** Opens a model reference (path, name, library id) from the recipe. */
  resolve: (ref: string) => Promise<TensorSource>;
  sink: ByteSink;
  /** Seed of DARE's masks (default 0). */
  seed?: number;
  backend?: MergeBackend;
  chunkElems?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Recorded in the output's metadata. */
  version?: string;
  /** SHA-256 of parents by reference, when the caller knows them (recorded in the metadata). */
  parentSha256?: Record<string, string>;
}

export interface MergeResult {
  tensors: number;
  params: number;
  bytes: number;
  notes: string[];
  metadata: Record<string, string>;
}

/** An internal inconsistency (a backend that wrote the wrong number of values). */
export class MergeExecutionError extends KinmergeError {
  constructor(code: string, message: string) { super(code, message); this.name = 'MergeExecutionError'; }
}

export async function executeMerge(o: ExecuteOptions): Promise<MergeResult> {
  const { recipe, sink, signal } = o;
  const seed = o.seed ?? 0;
  const chunkElems = Math.max(1, Math.floor(o.chunkElems ?? DEFAULT_CHUNK_ELEMS));
  const backend = o.backend ?? createCpuBackend();
  let writer: SafetensorsWriter | undefined;
  try {
    throwIfAborted(signal);
    const { refs } = recipeInputs(recipe);
    const sources = await Promise.all(refs.map((r) => o.resolve(r)));
    throwIfAborted(signal);
    const plan = planMerge(recipe, sources, seed);
    const metadata: Record<string, string> = {
      format: 'pt',
      kinmerge_version: o.version ?? 'dev',
      kinmerge_recipe: recipeToYaml(recipe),
      kinmerge_seed: String(seed),
      kinmerge_parents: JSON.stringify(refs.map((ref, i) => ({
        ref, id: sources[i].id, ...(o.parentSha256?.[ref] ? { sha256: o.parentSha256[ref] } : {}),
      }))),
    };
    writer = createSafetensorsWriter(sink, plan.tensors.map((t) => ({ name: t.name, dtype: t.outDtype, shape: t.shape })), metadata);
    const cast = recipe.dtype ? dtypeOfName(recipe.dtype) : undefined;
    let params = 0;
    for (let i = 0; i < plan.tensors.length; i++) {
      const t = plan.tensors[i];
      o.onProgress?.({ phase: 'merge', done: i, total: plan.tensors.length, unit: 'tensors', detail: t.name });
      throwIfAborted(signal);
      if (t.plan.kind === 'raw') {
        await copyRaw(sources[t.plan.input], t, chunkElems, writer, signal);
      } else {
        await runTensor(backend, t, sources, cast, chunkElems, writer, signal);
      }
      params += t.numel;
    }
    o.onProgress?.({ phase: 'merge', done: plan.tensors.length, total: plan.tensors.length, unit: 'tensors' });
    await writer.finish();
    return { tensors: plan.tensors.length, params, bytes: writer.totalBytes, notes: plan.notes, metadata };
  } catch (e) {
    try {
      if (writer) await writer.abort(e);
      else await sink.abort(e);
    } catch { /* the original error matters more */ }
    throw e;
  }
}

async function copyRaw(src: TensorSource, t: PlannedTensor, chunkElems: number, writer: SafetensorsWriter, signal?: AbortSignal): Promise<void> {
  for (let start = 0; start < t.numel; start += chunkElems) {
    throwIfAborted(signal);
    await writer.write(await src.readRaw(t.name, start, Math.min(chunkElems, t.numel - start), signal));
  }
}

async function runTensor(
  backend: MergeBackend, t: PlannedTensor, sources: TensorSource[], cast: FloatDType | undefined,
  chunkElems: number, writer: SafetensorsWriter, signal?: AbortSignal,
): Promise<void> {
  const out = t.outDtype as FloatDType;
  const width = out === 'F32' ? 4 : 2;
  let written = 0;
  let bytes = new Uint8Array(0);
  const io: PlanIO = {
    tensorName: t.name,
    numel: t.numel,
    chunkElems,
    async readF32(input, start, n) {
      throwIfAborted(signal);
      const v = await sources[input].readF32(t.name, start, n, signal);
      // mergekit casts inputs to the config dtype when loading them.
      return cast && cast !== 'F32' && sources[input].get(t.name)!.dtype !== cast ? roundToDType(cast, v) : v;
    },
    readRaw: (input, start, n) => sources[input].readRaw(t.name, start, n, signal),
    dtypeOf: (input) => sources[input].get(t.name)!.dtype,
    async write(values) {
      if (written + values.length > t.numel) {
        throw new MergeExecutionError('backend-overflow', `Backend wrote more than the ${t.numel} values of ${t.name}.`);
      }
      written += values.length;
      if (out === 'F32') {
        // The writer finishes with the bytes before resolving, so a view is enough (no copy).
        await writer.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
        return;
      }
      if (bytes.length < values.length * width) bytes = new Uint8Array(values.length * width);
      const b = bytes.subarray(0, values.length * width);
      encodeInto(out, values, b);
      await writer.write(b);
    },
  };
  await backend.runPlan(t.plan as Exclude<PlannedTensor['plan'], { kind: 'raw' }>, io, signal);
  if (written !== t.numel) {
    throw new MergeExecutionError('backend-underflow', `Backend ${backend.name} wrote ${written} of the ${t.numel} values of ${t.name}.`);
  }
}
