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
import { planMerge, type MergePlan, type PlannedTensor } from './plan';
import { dtypeOfName, recipeInputs, recipeToYaml, type MergeRecipe } from './recipe';
import type { MergeBackend, PlanIO } from './types';

export interface ExecuteOptions {
  recipe: MergeRecipe;
  /** Opens a model reference (path, name, library id) from the recipe (not needed with `prepared`). */
  resolve?: (ref: string) => Promise<TensorSource>;
  /** The merge already opened and planned by prepareMerge. */
  prepared?: PreparedMerge;
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

/** A merge resolved and planned, with its output metadata: everything checked, nothing written yet. */
export interface PreparedMerge {
  plan: MergePlan;
  sources: TensorSource[];
  metadata: Record<string, string>;
}

/** Opens the recipe's models, plans every tensor and builds the output metadata (the recipe, seed, parents). */
export async function prepareMerge(o: Pick<ExecuteOptions, 'recipe' | 'seed' | 'signal' | 'version' | 'parentSha256'> & Required<Pick<ExecuteOptions, 'resolve'>>): Promise<PreparedMerge> {
  const { recipe, signal } = o;
  const seed = o.seed ?? 0;
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
  return { plan, sources, metadata };
}

export async function executeMerge(o: ExecuteOptions): Promise<MergeResult> {
  const { recipe, sink, signal } = o;
  const chunkElems = Math.max(1, Math.floor(o.chunkElems ?? DEFAULT_CHUNK_ELEMS));
  const backend = o.backend ?? createCpuBackend();
  let writer: SafetensorsWriter | undefined;
  try {
    if (!o.prepared && !o.resolve) throw new TypeError('executeMerge needs resolve or prepared');
    const { plan, sources, metadata } = o.prepared ?? await prepareMerge({ ...o, resolve: o.resolve! });
    writer = createSafetensorsWriter(sink, plan.tensors.map((t) => ({ name: t.name, dtype: t.outDtype, shape: t.shape })), metadata);
    const cast = recipe.dtype ? dtypeOfName(recipe.dtype) : undefined;
    let params = 0;
    // Read-ahead across tensors: the first chunk of tensor i+1 is read while tensor i computes and
    // writes, so small tensors do not each start with an idle wait on the disk.
    const ahead = new ReadAhead(sources, cast, chunkElems, signal);
    for (let i = 0; i < plan.tensors.length; i++) {
      const t = plan.tensors[i];
      if (i + 1 < plan.tensors.length) ahead.start(plan.tensors[i + 1], t.name);
      o.onProgress?.({ phase: 'merge', done: i, total: plan.tensors.length, unit: 'tensors', detail: t.name });
      throwIfAborted(signal);
      if (t.plan.kind === 'raw') {
        await copyRaw(sources[t.plan.input], t, chunkElems, writer, signal);
      } else {
        await runTensor(backend, t, ahead, chunkElems, writer, signal);
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
  backend: MergeBackend, t: PlannedTensor, ahead: ReadAhead, chunkElems: number, writer: SafetensorsWriter, signal?: AbortSignal,
): Promise<void> {
  const { sources, cast } = ahead;
  const out = t.outDtype as FloatDType;
  const width = out === 'F32' ? 4 : 2;
  let written = 0;
  let bytes = new Uint8Array(0);
  const io: PlanIO = {
    tensorName: t.name,
    numel: t.numel,
    chunkElems,
    readF32: (input, start, n) => ahead.read(t.name, input, start, n),
    // No raw bytes while casting: they would bypass the cast above (GPU backends then upload f32).
    readRaw: cast && cast !== 'F32' ? undefined : (input, start, n) => sources[input].readRaw(t.name, start, n, signal),
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

/**
 * F32 tensors: view the raw bytes as f32 instead of decoding into a second array. Sources return a
 * fresh buffer per read, usually 4-byte aligned; saving the copy and the allocation matters at 10^8
 * elements (page faults of fresh 16 MB arrays dominated the profile).
 */
async function readF32Fast(src: TensorSource, name: string, start: number, n: number, signal?: AbortSignal): Promise<Float32Array> {
  if (src.get(name)?.dtype === 'F32' && LITTLE_ENDIAN) {
    const raw = await src.readRaw(name, start, n, signal);
    if (raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, n);
    return new Float32Array(raw.slice().buffer, 0, n);
  }
  return src.readF32(name, start, n, signal);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads (decoded, then cast to the recipe's dtype) with a read-ahead of the next tensor's first chunks. */
class ReadAhead {
  private pending = new Map<string, Promise<Float32Array>>();
  constructor(readonly sources: TensorSource[], readonly cast: FloatDType | undefined,
    private readonly chunkElems: number, private readonly signal?: AbortSignal) {}

  /** Starts reading `t`'s first chunks; read-aheads of older tensors that were never asked for are dropped. */
  start(t: PlannedTensor, current?: string): void {
    for (const k of this.pending.keys()) if (!k.startsWith(`${current}\0`)) this.pending.delete(k);
    const p = t.plan;
    const inputs = p.kind === 'raw' ? [] : p.kind === 'copy' ? [p.input] : p.kind === 'linear' ? p.inputs
      : p.kind === 'slerp' ? [p.a, p.b] : [p.base, ...p.models.map((m) => m.input)];
    const n = Math.min(this.chunkElems, t.numel);
    for (const i of new Set(inputs)) {
      const r = this.fetch(t.name, i, 0, n);
      r.catch(() => {}); // a failed read-ahead surfaces when (if) the tensor asks for it
      this.pending.set(`${t.name}\0${i}\0${n}`, r);
    }
  }

  read(name: string, input: number, start: number, n: number): Promise<Float32Array> {
    if (start === 0) {
      const key = `${name}\0${input}\0${n}`;
      const r = this.pending.get(key);
      if (r) { this.pending.delete(key); return r; }
    }
    return this.fetch(name, input, start, n);
  }

  private async fetch(name: string, input: number, start: number, n: number): Promise<Float32Array> {
    throwIfAborted(this.signal);
    const src = this.sources[input];
    const v = await readF32Fast(src, name, start, n, this.signal);
    // mergekit casts inputs to the config dtype when loading them.
    return this.cast && this.cast !== 'F32' && src.get(name)!.dtype !== this.cast ? roundToDType(this.cast, v) : v;
  }
}
