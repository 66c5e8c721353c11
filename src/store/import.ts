/**
 * Imports into the library: files (picker, drag-and-drop, a folder), a URL, a Hugging Face id.
 * All stream through `runImport`, so each one is atomic, cancellable and reports byte progress.
 */
import type { ModelManifest } from './manifest';
import { isWeightFile } from './manifest';
import type { Library } from './library';
import { ImportError } from './errors';
import { throwIfAborted } from '../core/errors';
import { runImport, INDEX_SUFFIX, type ImportOptions, type IncomingFile } from './import-core';
import { announcedLength, fetchOk, hubFileUrl, parseHubRef, streamResumable, HttpByteSource, HF_BASE_URL, type FetchFn, type ResumeOptions } from './http';

export type { ImportOptions } from './import-core';

/** A file to import: a File (its name, or its path inside a picked folder) or any Blob with a name. */
export interface NamedBlob {
  name: string;
  blob: Blob;
  /** Path inside a dropped or picked folder, e.g. `my-model/config.json`. */
  path?: string;
}

/** Files that describe a model besides its weights; others in a folder (pytorch .bin, .gguf, ...) are skipped. */
const KEEP = /(\.safetensors|\.json|\.txt|\.model)$/i;

const baseName = (p: string): string => p.split('/').filter(Boolean).pop() ?? p;

function blobFile(f: NamedBlob): IncomingFile {
  return {
    name: baseName(f.name),
    size: f.blob.size,
    async open() {
      return {
        size: f.blob.size,
        async pipe(onChunk, signal) {
          const reader = f.blob.stream().getReader();
          try {
            for (;;) {
              throwIfAborted(signal);
              const r = await reader.read();
              if (r.done) return;
              await onChunk(r.value);
            }
          } catch (e) {
            if (e instanceof Error && e.name === 'NotReadableError') {
              throw new ImportError('file-unreadable', `${f.name} could not be read (it changed or was moved while importing). Pick it again.`, { cause: e });
            }
            throw e;
          } finally {
            reader.cancel().catch(() => undefined);
          }
        },
      };
    },
  };
}

/** Which given files make up the model, and which are skipped (with the reason in the result). */
export function selectModelFiles(files: NamedBlob[]): { keep: NamedBlob[]; skipped: string[] } {
  // In a folder only the top level counts (subfolders hold onnx/, original/ and other formats).
  const depth = (f: NamedBlob): number => (f.path ?? f.name).split('/').filter(Boolean).length;
  const minDepth = Math.min(...files.map(depth));
  const keep: NamedBlob[] = [];
  const skipped: string[] = [];
  for (const f of files) {
    if (depth(f) === minDepth && KEEP.test(f.name) && !baseName(f.name).startsWith('.')) keep.push(f);
    else skipped.push(f.path ?? f.name);
  }
  return { keep, skipped };
}

/** The name a set of files gets: the folder name, else the single file's stem, else the index's stem. */
function defaultName(files: NamedBlob[]): string {
  const folder = files.map((f) => f.path?.split('/').filter(Boolean)).find((p) => p && p.length > 1)?.[0];
  if (folder) return folder;
  const weights = files.filter((f) => isWeightFile(f.name));
  return weights.length === 1 ? baseName(weights[0].name).replace(/\.safetensors$/i, '') : baseName(files.find((f) => f.name.endsWith(INDEX_SUFFIX))?.name ?? weights[0]?.name ?? 'model').replace(/(\.safetensors)?(\.index\.json)?$/i, '');
}

/** A single .safetensors file, several shards (+ index), or a whole folder's files (+ config.json). */
export async function importFiles(lib: Library, files: (File | NamedBlob)[], opts: ImportOptions = {}): Promise<ModelManifest & { skipped: string[] }> {
  const named = files.map((f): NamedBlob => ('blob' in f ? f : { name: f.name, blob: f, path: (f as File).webkitRelativePath || undefined }));
  if (named.length === 0) throw new ImportError('no-files', 'No files were given. Pick a .safetensors file, its shards, or a model folder.');
  const { keep, skipped } = selectModelFiles(named);
  const m = await runImport(lib, opts.name ?? defaultName(named), { kind: 'file' }, keep.map(blobFile), opts);
  return { ...m, skipped };
}

/** Files of a drag-and-drop, folders walked (FileSystemEntry API), paths kept for `importFiles`. */
export async function filesFromDataTransfer(dt: DataTransfer): Promise<NamedBlob[]> {
  const out: NamedBlob[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ name: file.name, blob: file, path: prefix + file.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns at most ~100 entries per call: read until it returns none.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  const entries = Array.from(dt.items).map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length) for (const e of entries) await walk(e, '');
  else for (const f of Array.from(dt.files)) out.push({ name: f.name, blob: f });
  return out;
}

export interface UrlImportOptions extends ImportOptions, ResumeOptions {
  fetch?: FetchFn;
}

function urlFile(url: string, name: string, fetchImpl: FetchFn, size: number | undefined, resume: ResumeOptions): IncomingFile {
  return {
    name,
    size,
    async open(signal) {
      const res = (await fetchOk(url, { signal }, fetchImpl))!;
      // A compressed body's length is not the file's: then neither size checks nor resuming apply.
      const length = res.headers.get('content-encoding') ? undefined : announcedLength(res);
      return { size: length, pipe: async (onChunk, sig) => { await streamResumable(res, url, onChunk, fetchImpl, sig, length, resume); } };
    },
  };
}

/** Size from a Range probe, so the progress bar has a total; undefined when the server will not say. */
async function probeSize(url: string, signal: AbortSignal | undefined, fetchImpl: FetchFn): Promise<number | undefined> {
  try {
    return (await HttpByteSource.open(url, signal, fetchImpl)).size;
  } catch {
    return undefined; // the download itself reports real failures
  }
}

/** One .safetensors file at a URL. */
export async function importFromUrl(lib: Library, url: string, opts: UrlImportOptions = {}): Promise<ModelManifest> {
  const f = opts.fetch ?? fetch;
  const file = baseName(new URL(url).pathname) || 'model.safetensors';
  const name = opts.name ?? file.replace(/\.safetensors$/i, '');
  const size = await probeSize(url, opts.signal, f);
  return runImport(lib, name, { kind: 'url', url }, [urlFile(url, isWeightFile(file) ? file : `${file}.safetensors`, f, size, opts)], opts);
}

export interface HubImportOptions extends UrlImportOptions {
  /** Where `<id>/resolve/<rev>/<file>` URLs live; tests point it at a local server. */
  baseUrl?: string;
}

/** Files of a Hub model besides the weights that are worth keeping when present. */
const HUB_EXTRAS = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

/** A Hub model `org/name@rev`: sharded (index + shards) or a single model.safetensors, plus config and tokenizer. */
export async function importFromHub(lib: Library, ref: string, opts: HubImportOptions = {}): Promise<ModelManifest> {
  const f = opts.fetch ?? fetch;
  const hub = parseHubRef(ref);
  const base = opts.baseUrl ?? HF_BASE_URL;
  const url = (file: string): string => hubFileUrl(hub, file, base);
  const files: IncomingFile[] = [];
  const indexName = `model${INDEX_SUFFIX}`;
  const index = await fetchOk(url(indexName), { signal: opts.signal }, f, true);
  let weights: string[];
  if (index) {
    const bytes = new Uint8Array(await index.arrayBuffer());
    let shards: string[];
    try {
      shards = [...new Set(Object.values((JSON.parse(new TextDecoder().decode(bytes)) as { weight_map: Record<string, string> }).weight_map))];
    } catch {
      throw new ImportError('bad-index', `${url(indexName)} is not a valid shard index (no weight_map). The repository may be broken; try another revision.`);
    }
    weights = shards;
    files.push({ name: indexName, size: bytes.length, open: async () => ({ size: bytes.length, pipe: (onChunk) => onChunk(bytes) }) });
  } else {
    weights = ['model.safetensors'];
  }
  for (const extra of HUB_EXTRAS) {
    const res = await fetchOk(url(extra), { signal: opts.signal }, f, true);
    if (!res) continue;
    const bytes = new Uint8Array(await res.arrayBuffer());
    files.push({ name: extra, size: bytes.length, open: async () => ({ size: bytes.length, pipe: (onChunk) => onChunk(bytes) }) });
  }
  for (const w of weights) files.push(urlFile(url(w), w, f, await probeSize(url(w), opts.signal, f), opts));
  return runImport(lib, opts.name ?? hub.hfId.split('/')[1], { kind: 'hf', hfId: hub.hfId, rev: hub.rev, url: base }, files, opts);
}
