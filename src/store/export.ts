/**
 * Export of a stored model as one .safetensors stream: the header is rebuilt with `__metadata__`
 * recording the recipe, the parents' hashes and the seed, then each tensor's bytes are copied from
 * the chunks in pieces of at most one chunk. Sinks: the File System Access API where the browser has
 * it, else Blob parts (the browser keeps those off the JS heap); never one giant ArrayBuffer.
 */
import type { ByteSink, ProgressFn, TensorInfo } from '../core/types';
import type { ChunkByteSource } from './chunk-source';
import { throwIfAborted } from '../core/errors';
import { createSafetensorsWriter } from '../core/safetensors';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Library } from './library';
import type { ModelManifest, ParentRef } from './manifest';
import { ExportError } from './errors';
import type { MergeRecipe } from '../core/merge/recipe';
import { lineageYaml, mapRecipeRefs, mergekitConfigYaml, modelCard, type LineageNode } from './export-formats';

/** Metadata keys written by kinmerge (values are strings, as safetensors requires). */
export const META = {
  recipe: 'kinmerge_recipe', recipeSha256: 'kinmerge_recipe_sha256', parents: 'kinmerge_parents', seed: 'kinmerge_seed', name: 'kinmerge_name',
} as const;

/** The `__metadata__` of an export: the first file's own metadata, format pt, and the provenance. */
export function exportMetadata(m: ModelManifest): Record<string, string> {
  const first = m.files.find((f) => f.safetensors)?.safetensors?.metadata ?? {};
  const meta: Record<string, string> = { ...first, format: 'pt', [META.name]: m.name };
  if (m.recipe !== undefined) {
    meta[META.recipe] = JSON.stringify(m.recipe);
    // A short identity for "same recipe?" comparisons across exports (hash of the JSON above).
    meta[META.recipeSha256] = Array.from(sha256(new TextEncoder().encode(meta[META.recipe])), (b) => b.toString(16).padStart(2, '0')).join('');
  }
  if (m.parents) meta[META.parents] = JSON.stringify(m.parents.map((p) => ({ name: p.name, hfId: p.hfId, rev: p.rev, sha256: p.sha256 })));
  if (m.seed !== undefined) meta[META.seed] = String(m.seed);
  return meta;
}

export interface ExportOptions {
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Bytes per copy step (default: the library's chunk size). */
  pieceBytes?: number;
}

type Located = { t: TensorInfo; file: number };

function locatedTensors(m: ModelManifest): Located[] {
  return m.files.flatMap((f, i) => (f.safetensors ? f.safetensors.tensors.map((t) => ({ t, file: i })) : []));
}

/** Writes `tensors` of stored model `id` as one .safetensors file; `progress` counts tensor bytes. */
async function writeFile(lib: Library, id: string, tensors: Located[], sink: ByteSink, metadata: Record<string, string>, opts: ExportOptions, progress: { done: number; total: number }): Promise<number> {
  const writer = createSafetensorsWriter(sink, tensors.map(({ t }) => ({ name: t.name, dtype: t.dtype, shape: t.shape })), metadata);
  const piece = opts.pieceBytes ?? lib.chunkBytes;
  try {
    const sources = new Map<number, ChunkByteSource>();
    for (const { t, file } of tensors) {
      let src = sources.get(file);
      if (!src) sources.set(file, (src = await lib.fileSource(id, file)));
      for (let o = 0; o < t.byteLength; o += piece) {
        throwIfAborted(opts.signal);
        const n = Math.min(piece, t.byteLength - o);
        await writer.write(await src.read(t.byteOffset + o, n, opts.signal));
        progress.done += n;
        opts.onProgress?.({ phase: 'export', done: progress.done, total: progress.total, unit: 'bytes', detail: t.name });
      }
    }
    await writer.finish();
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    throw e;
  }
  return writer.totalBytes;
}

/** Streams model `id` as one .safetensors file into `sink` (shards are joined). Returns the byte count. */
export async function exportSafetensors(lib: Library, id: string, sink: ByteSink, opts: ExportOptions = {}): Promise<number> {
  const m = await lib.require(id);
  const tensors = locatedTensors(m);
  const progress = { done: 0, total: tensors.reduce((s, x) => s + x.t.byteLength, 0) };
  return writeFile(lib, id, tensors, sink, exportMetadata(m), opts, progress);
}

/**
 * Streams model `id` as Hugging Face shards (`model-0000i-of-0000n.safetensors`, each at most
 * `maxShardBytes` of tensor data unless one tensor is larger) plus `model.safetensors.index.json`,
 * each file through a sink from `openSink`. Returns the file names in write order.
 */
export async function exportShards(lib: Library, id: string, openSink: (fileName: string) => Promise<ByteSink>, maxShardBytes: number, opts: ExportOptions = {}): Promise<string[]> {
  if (!(maxShardBytes > 0)) throw new ExportError('bad-shard-size', `The shard size must be positive, got ${maxShardBytes}.`);
  const m = await lib.require(id);
  const groups: Located[][] = [];
  let size = 0;
  for (const x of locatedTensors(m)) {
    if (!groups.length || (size + x.t.byteLength > maxShardBytes && size > 0)) { groups.push([]); size = 0; }
    groups[groups.length - 1].push(x);
    size += x.t.byteLength;
  }
  const pad = (i: number): string => String(i).padStart(5, '0');
  const names = groups.map((_, i) => `model-${pad(i + 1)}-of-${pad(groups.length)}.safetensors`);
  const total = groups.flat().reduce((s, x) => s + x.t.byteLength, 0);
  const progress = { done: 0, total };
  const weightMap: Record<string, string> = {};
  const meta = exportMetadata(m);
  for (let i = 0; i < groups.length; i++) {
    await writeFile(lib, id, groups[i], await openSink(names[i]), meta, opts, progress);
    for (const x of groups[i]) weightMap[x.t.name] = names[i];
  }
  const index = new TextEncoder().encode(JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  const sink = await openSink(INDEX_NAME);
  await sink.write(index);
  await sink.close();
  return [...names, INDEX_NAME];
}

const INDEX_NAME = 'model.safetensors.index.json';

/** A sink that collects Blob parts; `blob()` after close. Each part is one write, copied off the heap. */
export function blobSink(type = 'application/octet-stream'): ByteSink & { blob(): Blob } {
  let parts: Blob[] = [];
  let result: Blob | undefined;
  return {
    async write(chunk) { parts.push(new Blob([chunk as Uint8Array<ArrayBuffer>])); },
    async close() { result = new Blob(parts, { type }); parts = []; },
    async abort() { parts = []; result = undefined; },
    blob() {
      if (!result) throw new ExportError('not-finished', 'The export has not finished (or was cancelled).');
      return result;
    },
  };
}

/** A sink over a File System Access handle; abort discards the partial file (the API writes to a swap file). */
export async function fileHandleSink(handle: FileSystemFileHandle): Promise<ByteSink> {
  const w = await handle.createWritable();
  return {
    write: (chunk) => w.write(chunk as Uint8Array<ArrayBuffer>),
    close: () => w.close(),
    abort: (reason) => w.abort(reason),
  };
}

type SavePicker = (o: { suggestedName?: string; types?: { description: string; accept: Record<string, string[]> }[] }) => Promise<FileSystemFileHandle>;

/**
 * Saves a model for the user: a Save dialog where the browser has one (streamed to disk), else a
 * Blob download. Returns how it was saved; a dismissed dialog is `cancelled`.
 */
export async function saveModel(lib: Library, id: string, opts: ExportOptions = {}): Promise<'file' | 'download' | 'cancelled'> {
  const m = await lib.require(id);
  const suggestedName = `${m.name.replace(/[^\w.-]+/g, '_')}.safetensors`;
  const picker = (globalThis as { showSaveFilePicker?: SavePicker }).showSaveFilePicker;
  if (picker) {
    let handle: FileSystemFileHandle;
    try {
      handle = await picker({ suggestedName, types: [{ description: 'safetensors', accept: { 'application/octet-stream': ['.safetensors'] } }] });
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') return 'cancelled';
      throw new ExportError('save-failed', `Could not open a file to save into: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    await exportSafetensors(lib, id, await fileHandleSink(handle), opts);
    return 'file';
  }
  const sink = blobSink();
  await exportSafetensors(lib, id, sink, opts);
  downloadBlob(sink.blob(), suggestedName);
  return 'download';
}

/** Offers a Blob (or text) as a download through a temporary object URL. */
export function downloadBlob(blob: Blob | string, fileName: string): void {
  const b = typeof blob === 'string' ? new Blob([blob], { type: 'text/plain' }) : blob;
  const url = URL.createObjectURL(b);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---------------------------------------------------------------------------------------------
// Text exports for a stored merged model (the pure writers live in export-formats.ts)

/** How mergekit and the Hub should name a model: `org/name@rev` when it came from the Hub, else its name. */
export function hubRefOf(p: { name: string; hfId?: string; rev?: string; source?: { hfId?: string; rev?: string } }): string {
  const hfId = p.hfId ?? p.source?.hfId;
  const rev = p.rev ?? p.source?.rev;
  return hfId ? (rev && rev !== 'main' ? `${hfId}@${rev}` : hfId) : p.name;
}

function mergedRecipe(m: ModelManifest): MergeRecipe {
  if (!m.recipe) throw new ExportError('not-a-merge', `${m.name} was imported, not merged: it has no recipe to export. Export a merged model.`);
  return m.recipe as MergeRecipe;
}

/** Recipe refs may be parent ids or names; this maps both to what `to` returns for the parent. */
function parentMapper(m: ModelManifest, to: (p: ParentRef) => string): (ref: string) => string {
  const map = new Map<string, string>();
  for (const p of m.parents ?? []) { map.set(p.id, to(p)); map.set(p.name, to(p)); }
  return (ref) => map.get(ref) ?? ref;
}

export async function mergekitConfigFor(lib: Library, id: string): Promise<string> {
  const m = await lib.require(id);
  return mergekitConfigYaml(mergedRecipe(m), parentMapper(m, hubRefOf));
}

export async function modelCardFor(lib: Library, id: string, notes?: string[]): Promise<string> {
  const m = await lib.require(id);
  const recipe = mapRecipeRefs(mergedRecipe(m), parentMapper(m, hubRefOf));
  const parents = m.parents ?? [];
  return modelCard({
    name: m.name,
    baseModels: parents.map(hubRefOf),
    recipe,
    seed: m.seed,
    parentHashes: parents.map((p) => ({ ref: hubRefOf(p), sha256: p.sha256 })),
    notes,
  });
}

/** The model's merged ancestry (within the library) as mergekit-multi YAML, the model itself last. */
export async function lineageFor(lib: Library, id: string): Promise<string> {
  const nodes: LineageNode[] = [];
  const external = new Map<string, string>();
  const seen = new Set<string>();
  const walk = async (mid: string): Promise<void> => {
    if (seen.has(mid)) return;
    seen.add(mid);
    const m = await lib.require(mid);
    const recipe = mapRecipeRefs(mergedRecipe(m), parentMapper(m, (p) => p.id));
    nodes.push({ id: m.id, name: m.name, recipe });
    for (const p of m.parents ?? []) {
      const pm = await lib.get(p.id);
      if (pm?.recipe) await walk(p.id);
      else external.set(p.id, hubRefOf(pm ?? p));
    }
  };
  await walk(id);
  return lineageYaml(nodes.reverse(), (pid) => external.get(pid) ?? pid);
}
