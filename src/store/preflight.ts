/**
 * Preflight from headers alone: for a URL (HTTP Range), a Hub id (index + each shard's header), local
 * files (their first bytes) or a stored model (its manifest), list tensors, dtypes and parameter count
 * without touching the weights, so a mismatch shows in seconds instead of after a download.
 */
import type { ByteSource, DType, TensorInfo } from '../core/types';
import { readSafetensorsHeader } from '../core/safetensors';
import { parseShardIndex } from '../core/checkpoint';
import { throwIfAborted } from '../core/errors';
import type { Library } from './library';
import { fetchOk, hubFileUrl, parseHubRef, HttpByteSource, HF_BASE_URL, type FetchFn } from './http';
import { INDEX_SUFFIX } from './import-core';
import { isWeightFile } from './manifest';
import type { NamedBlob } from './import';

export interface PreflightReport {
  /** Library id, URL or Hub ref: what the user chose. */
  id: string;
  files: { name: string; bytes: number; tensors: number; metadata: Record<string, string> }[];
  /** All tensors of all weight files, in file then header order. */
  tensors: TensorInfo[];
  /** Parameter count per dtype. */
  dtypes: Partial<Record<DType, number>>;
  params: number;
  /** Total bytes of the weight files. */
  bytes: number;
  config?: Record<string, unknown>;
  /** Bytes actually fetched or read to make this report (headers only). */
  bytesRead: number;
}

export interface PreflightOptions {
  signal?: AbortSignal;
  fetch?: FetchFn;
  /** Hub base URL (tests point it at a local server). */
  baseUrl?: string;
}

/** A ByteSource over a Blob/File: reads only the slices asked for. */
export class BlobByteSource implements ByteSource {
  constructor(private readonly blob: Blob) {}
  get size(): number {
    return this.blob.size;
  }
  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
  }
}

/** Counts the bytes a source hands out (the report shows that only headers were read). */
function counting(src: ByteSource): ByteSource & { bytesRead: number } {
  const c = {
    size: src.size,
    bytesRead: 0,
    async read(o: number, l: number, s?: AbortSignal) {
      const b = await src.read(o, l, s);
      c.bytesRead += b.length;
      return b;
    },
  };
  return c;
}

function report(id: string, files: { name: string; src: ByteSource & { bytesRead: number } }[], headers: Awaited<ReturnType<typeof readSafetensorsHeader>>[], config?: Record<string, unknown>, extraRead = 0): PreflightReport {
  const tensors = headers.flatMap((h) => h.tensors);
  const dtypes: Partial<Record<DType, number>> = {};
  for (const t of tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + t.numel;
  return {
    id,
    files: files.map((f, i) => ({ name: f.name, bytes: f.src.size, tensors: headers[i].tensors.length, metadata: headers[i].metadata })),
    tensors,
    dtypes,
    params: tensors.reduce((s, t) => s + t.numel, 0),
    bytes: files.reduce((s, f) => s + f.src.size, 0),
    config,
    bytesRead: files.reduce((s, f) => s + f.src.bytesRead, 0) + extraRead,
  };
}

async function headersOf(files: { name: string; src: ByteSource & { bytesRead: number } }[], signal?: AbortSignal) {
  const out = [];
  for (const f of files) out.push(await readSafetensorsHeader(f.src, signal));
  return out;
}

/** One .safetensors URL, by two Range requests (the length, then the header). */
export async function preflightUrl(url: string, opts: PreflightOptions = {}): Promise<PreflightReport> {
  const src = counting(await HttpByteSource.open(url, opts.signal, opts.fetch));
  const files = [{ name: url.split('/').pop() ?? url, src }];
  return report(url, files, await headersOf(files, opts.signal));
}

/** A Hub model: the shard index (when sharded) then each shard's header, plus config.json. */
export async function preflightHub(ref: string, opts: PreflightOptions = {}): Promise<PreflightReport> {
  const hub = parseHubRef(ref);
  const f = opts.fetch ?? fetch;
  const url = (file: string): string => hubFileUrl(hub, file, opts.baseUrl ?? HF_BASE_URL);
  let extra = 0;
  const getText = async (file: string): Promise<string | undefined> => {
    const res = await fetchOk(url(file), { signal: opts.signal }, f, true);
    if (!res) return undefined;
    const text = await res.text();
    extra += text.length;
    return text;
  };
  const indexText = await getText(`model${INDEX_SUFFIX}`);
  const shards = indexText ? parseShardIndex(indexText).files : ['model.safetensors'];
  const files = [];
  for (const s of shards) files.push({ name: s, src: counting(await HttpByteSource.open(url(s), opts.signal, f)) });
  const configText = await getText('config.json');
  const config = configText ? (JSON.parse(configText) as Record<string, unknown>) : undefined;
  return report(`${hub.hfId}@${hub.rev}`, files, await headersOf(files, opts.signal), config, extra);
}

/** Local files (picked or dropped): reads each weight file's first 8 + N bytes and config.json. */
export async function preflightFiles(input: (File | NamedBlob)[], opts: PreflightOptions = {}): Promise<PreflightReport> {
  const named = input.map((f): NamedBlob => ('blob' in f ? f : { name: f.name, blob: f }));
  const files = named.filter((f) => isWeightFile(f.name)).map((f) => ({ name: f.name, src: counting(new BlobByteSource(f.blob)) }));
  const cfg = named.find((f) => f.name === 'config.json' || f.name.endsWith('/config.json'));
  const config = cfg ? (JSON.parse(await cfg.blob.text()) as Record<string, unknown>) : undefined;
  const id = named.length === 1 ? named[0].name : named[0]?.path?.split('/')[0] ?? 'files';
  return report(id, files, await headersOf(files, opts.signal), config, cfg?.blob.size ?? 0);
}

/** A stored model: everything is in its manifest, nothing is read. */
export async function preflightLibrary(lib: Library, id: string): Promise<PreflightReport> {
  const m = await lib.require(id);
  const weights = m.files.filter((f) => f.safetensors);
  const tensors = weights.flatMap((f) => f.safetensors!.tensors);
  const dtypes: Partial<Record<DType, number>> = {};
  for (const t of tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + t.numel;
  return {
    id: m.id,
    files: weights.map((f) => ({ name: f.name, bytes: f.bytes, tensors: f.safetensors!.tensors.length, metadata: f.safetensors!.metadata })),
    tensors, dtypes, params: m.params, bytes: weights.reduce((s, f) => s + f.bytes, 0), config: m.config, bytesRead: 0,
  };
}
