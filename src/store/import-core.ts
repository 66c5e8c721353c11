/**
 * The import pipeline shared by files, URLs and Hub ids: stream each file into a ModelWriter with byte
 * progress, check the set of files is one model (shards against their index), commit the manifest.
 * Any failure or cancel deletes what was written and ends in a named error.
 */
import type { ProgressFn } from '../core/types';
import { CancelledError, KinmergeError, SafetensorsError, throwIfAborted } from '../core/errors';
import type { Library } from './library';
import type { ModelWriter } from './writer';
import { ImportError, isQuotaExceeded } from './errors';
import { quotaError } from './quota';
import { isWeightFile, type ModelManifest, type ModelSource, type StoredFile, type TensorIndex } from './manifest';

/** One file to import: opened lazily (a URL is fetched only when its turn comes). */
export interface IncomingFile {
  name: string;
  /** Size when known before opening (Blobs, sized URLs): lets the progress bar show a total. */
  size?: number;
  open(signal?: AbortSignal): Promise<OpenedFile>;
}

export interface OpenedFile {
  size?: number;
  /** Pushes every byte to `onChunk` in order; resolves at the end of the file. */
  pipe(onChunk: (bytes: Uint8Array) => Promise<void>, signal?: AbortSignal): Promise<void>;
}

export interface ImportOptions {
  /** Display name; defaults to the folder, file or repository name. */
  name?: string;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

export const INDEX_SUFFIX = '.safetensors.index.json';
/** Small JSON files are also kept in memory while they stream, to read config.json and the shard index. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

export async function runImport(lib: Library, name: string, source: Omit<ModelSource, 'files'>, files: IncomingFile[], opts: ImportOptions = {}): Promise<ModelManifest> {
  const { signal, onProgress } = opts;
  throwIfAborted(signal);
  if (!files.some((f) => isWeightFile(f.name))) {
    throw new ImportError('no-safetensors', `No .safetensors file among ${files.map((f) => f.name).join(', ') || 'the files given'}. kinmerge reads safetensors checkpoints; convert others first (e.g. with transformers' save_pretrained(safe_serialization=True)).`);
  }
  // Small files first: config and index are then known before the weights stream.
  const ordered = [...files].sort((a, b) => Number(isWeightFile(a.name)) - Number(isWeightFile(b.name)));
  const total = ordered.every((f) => f.size !== undefined) ? ordered.reduce((s, f) => s + f.size!, 0) : 0;
  let done = 0;
  const json = new Map<string, unknown>();
  let writer: ModelWriter | undefined;
  let current = '';
  try {
    writer = await lib.beginWrite(name);
    for (const f of ordered) {
      current = f.name;
      const opened = await f.open(signal);
      const fw = writer.file(f.name, opened.size ?? f.size);
      const keepText = f.name.toLowerCase().endsWith('.json') ? ([] as Uint8Array[]) : undefined;
      let kept = 0;
      await opened.pipe(async (bytes) => {
        await fw.write(bytes, signal);
        if (keepText && (kept += bytes.length) <= MAX_JSON_BYTES) keepText.push(bytes.slice());
        done += bytes.length;
        onProgress?.({ phase: 'import', done, total, unit: 'bytes', detail: f.name });
      }, signal);
      await fw.finish(signal);
      if (keepText && kept <= MAX_JSON_BYTES) json.set(f.name, parseJson(f.name, keepText));
    }
    current = '';
    const stored = writer.storedFiles;
    const tensorIndex = buildTensorIndex(stored, json);
    const config = json.get('config.json');
    const manifest = await writer.commit({
      name,
      source: { ...source, files: stored.map((f) => f.name) },
      tensorIndex,
      config: config && typeof config === 'object' ? (config as Record<string, unknown>) : undefined,
      bytes: stored.reduce((s, f) => s + f.bytes, 0),
      params: stored.reduce((s, f) => s + (f.safetensors?.tensors.reduce((t, x) => t + x.numel, 0) ?? 0), 0),
      created: Date.now(),
    });
    onProgress?.({ phase: 'done', done, total: done, unit: 'bytes' });
    return manifest;
  } catch (e) {
    await writer?.abort().catch(() => undefined); // a failed cleanup is left to the start-up sweep
    throw await explain(lib, e, name, current, total, signal);
  }
}

async function explain(lib: Library, e: unknown, name: string, file: string, total: number, signal?: AbortSignal): Promise<unknown> {
  if (e instanceof CancelledError || signal?.aborted) return new CancelledError(`The import of "${name}" was cancelled; nothing was kept.`);
  if (isQuotaExceeded(e)) return quotaError(lib, e, `"${name}"`, total);
  if (e instanceof SafetensorsError) {
    return new ImportError(`malformed-file`, `${file || name} is not a valid safetensors file (${e.code}): ${e.message} Nothing was kept.`, { cause: e });
  }
  if (e instanceof KinmergeError) return e;
  return new ImportError('import-failed', `The import of "${name}" failed${file ? ` while storing ${file}` : ''}: ${(e as Error)?.message ?? e}. Nothing was kept.`, { cause: e });
}

function parseJson(name: string, parts: Uint8Array[]): unknown {
  const text = new TextDecoder().decode(concat(parts));
  try {
    return JSON.parse(text);
  } catch {
    throw new ImportError('bad-json', `${name} is not valid JSON. Nothing was kept; check the file.`);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Every tensor of every weight file, located; shards are checked against their index when one came along. */
export function buildTensorIndex(files: readonly StoredFile[], json: Map<string, unknown>): TensorIndex {
  const index: TensorIndex = {};
  files.forEach((f, i) => {
    for (const t of f.safetensors?.tensors ?? []) {
      const prev = index[t.name];
      if (prev) throw new ImportError('duplicate-tensor', `Tensor ${t.name} is in both ${files[prev.file].name} and ${f.name}. These files are not shards of one model.`);
      index[t.name] = { file: i, byteOffset: t.byteOffset, byteLength: t.byteLength };
    }
  });
  const weights = files.filter((f) => f.safetensors);
  const indexName = [...json.keys()].find((n) => n.endsWith(INDEX_SUFFIX));
  if (indexName) {
    const map = (json.get(indexName) as { weight_map?: unknown } | null)?.weight_map;
    if (!map || typeof map !== 'object') throw new ImportError('bad-index', `${indexName} has no weight_map object.`);
    const entries = Object.entries(map as Record<string, unknown>);
    for (const [tensor, shard] of entries) {
      const at = index[tensor];
      if (typeof shard !== 'string') throw new ImportError('bad-index', `${indexName}: the shard of ${tensor} is not a file name.`);
      if (!weights.some((w) => w.name === shard)) throw new ImportError('missing-shard', `${indexName} puts ${tensor} in ${shard}, which was not given. Add every shard the index lists.`);
      if (!at || files[at.file].name !== shard) throw new ImportError('index-mismatch', `${indexName} puts ${tensor} in ${shard}, but ${at ? `it is in ${files[at.file].name}` : 'no shard holds it'}.`);
    }
    const listed = new Set(entries.map(([t]) => t));
    const extra = Object.keys(index).find((t) => !listed.has(t));
    if (extra) throw new ImportError('index-mismatch', `${extra} is in a shard but not in ${indexName}. The shards and the index are from different models.`);
  } else {
    // No index: shards are located by their own headers, but a numbered set must be complete.
    const of = weights.map((w) => /-(\d+)-of-(\d+)\.safetensors$/i.exec(w.name)).filter((m) => m !== null);
    const want = of.length ? Number(of[0]![2]) : 0;
    if (of.length && of.length !== want) {
      throw new ImportError('missing-shard', `Only ${of.length} of the ${want} shards (${of.map((m) => m![0].slice(1)).join(', ')}) were given. Add the missing shards, or their model.safetensors.index.json.`);
    }
  }
  return index;
}
