/**
 * TensorSources over safetensors: one file (`openSafetensors`) or a sharded set through
 * `model.safetensors.index.json` (`parseShardIndex` + `openSharded`). Reads are element ranges of one
 * tensor; nothing reads a whole file, so memory is bounded by what the caller asks for.
 */
import type { ByteSource, TensorInfo, TensorSource } from './types';
import { KinmergeError, SafetensorsError } from './errors';
import { DTYPE_BITS, decodeToF32 } from './dtype';
import { readExact, readSafetensorsHeader, scanTopLevelKeys } from './safetensors';

/** A read that names a tensor the model lacks, or elements outside it. */
export class TensorRangeError extends KinmergeError {
  constructor(code: 'tensor-not-found' | 'range-out-of-bounds' | 'range-misaligned', message: string) {
    super(code, message);
    this.name = 'TensorRangeError';
  }
}

/** Shared by single and sharded sources: checks a range and maps it to bytes of one ByteSource. */
function rangeOf(id: string, info: TensorInfo | undefined, name: string, start: number, nElems: number): { offset: number; length: number } {
  if (!info) throw new TensorRangeError('tensor-not-found', `${id} has no tensor ${JSON.stringify(name)}.`);
  if (!(Number.isInteger(start) && Number.isInteger(nElems) && start >= 0 && nElems >= 0 && start + nElems <= info.numel)) {
    throw new TensorRangeError('range-out-of-bounds', `Elements [${start}, ${start + nElems}) are outside ${JSON.stringify(name)} of ${info.numel} elements (${id}).`);
  }
  const bits = DTYPE_BITS[info.dtype];
  if ((start * bits) % 8 !== 0 || (nElems * bits) % 8 !== 0) {
    throw new TensorRangeError('range-misaligned', `Elements [${start}, ${start + nElems}) of ${info.dtype} tensor ${JSON.stringify(name)} do not fall on byte boundaries.`);
  }
  return { offset: info.byteOffset + (start * bits) / 8, length: (nElems * bits) / 8 };
}

/** Prefix a SafetensorsError's message with the file it came from (the parser does not know it). */
function withId<T>(id: string, p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    if (e instanceof SafetensorsError) throw new SafetensorsError(e.code, `${id}: ${e.message}`, { cause: e });
    throw e;
  });
}

export async function openSafetensors(src: ByteSource, id: string, signal?: AbortSignal): Promise<TensorSource> {
  const header = await withId(id, readSafetensorsHeader(src, signal));
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const readRaw = async (name: string, start: number, nElems: number, sig?: AbortSignal): Promise<Uint8Array> => {
    const { offset, length } = rangeOf(id, byName.get(name), name, start, nElems);
    return withId(id, readExact(src, offset, length, sig));
  };
  return {
    id,
    tensors: () => header.tensors,
    get: (name) => byName.get(name),
    metadata: () => header.metadata,
    readRaw,
    async readF32(name, start, nElems, sig) {
      const bytes = await readRaw(name, start, nElems, sig);
      return decodeToF32(byName.get(name)!.dtype, bytes, nElems);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Sharded checkpoints

export interface ShardIndex {
  /** The index's `metadata` object (total_size and whatever else the writer put there). */
  metadata: Record<string, unknown>;
  totalSize?: number;
  /** tensor name -> shard file name, in index order. */
  weightMap: Map<string, string>;
  /** Shard files, sorted (model-00001-of-... first). */
  files: string[];
}

function indexError(code: string, message: string): never {
  throw new SafetensorsError(code, `model.safetensors.index.json: ${message}`);
}

/** Parse and validate `model.safetensors.index.json` (text or an already parsed value). */
export function parseShardIndex(json: string | unknown): ShardIndex {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      indexError('index-invalid-json', `not valid JSON (${(e as Error).message}).`);
    }
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(value)) indexError('index-invalid', 'must be an object with "metadata" and "weight_map".');
  const metadata = value.metadata ?? {};
  if (!isObj(metadata)) indexError('index-invalid', '"metadata" must be an object.');
  const totalSize = metadata.total_size;
  if (totalSize !== undefined && !(typeof totalSize === 'number' && Number.isSafeInteger(totalSize) && totalSize >= 0)) {
    indexError('index-invalid', `metadata.total_size must be a non-negative integer, got ${JSON.stringify(totalSize)}.`);
  }
  const wm = value.weight_map;
  if (!isObj(wm) || Object.keys(wm).length === 0) indexError('index-invalid', '"weight_map" must be a non-empty object of tensor name -> shard file.');
  if (typeof json === 'string') {
    // JSON.parse keeps only the last of duplicate keys: a tensor listed twice would go unnoticed.
    const inner = json.slice(json.indexOf('{', json.indexOf('"weight_map"')));
    const keys = scanTopLevelKeys(inner);
    const seen = new Set<string>();
    for (const k of keys) {
      if (seen.has(k)) indexError('index-duplicate-tensor', `weight_map lists ${JSON.stringify(k)} twice.`);
      seen.add(k);
    }
  }
  const weightMap = new Map<string, string>();
  for (const [name, file] of Object.entries(wm)) {
    if (typeof file !== 'string' || file === '') indexError('index-invalid', `weight_map[${JSON.stringify(name)}] must be a file name.`);
    // Shards live beside the index: refuse paths that would read elsewhere.
    if (file.startsWith('/') || file.includes('\\') || /^[A-Za-z]:/.test(file) || file.split('/').includes('..')) {
      indexError('index-bad-shard-path', `shard ${JSON.stringify(file)} for ${JSON.stringify(name)} is not a file inside the model folder.`);
    }
    weightMap.set(name, file);
  }
  const files = [...new Set(weightMap.values())].sort();
  return { metadata, totalSize: totalSize as number | undefined, weightMap, files };
}

/**
 * A TensorSource over the shards of `index`. Every tensor of the weight map must be in its shard,
 * and every tensor of a shard must be mapped to that shard (so no tensor is in two shards).
 * Tensors are in shard order, then header order.
 */
export async function openSharded(
  index: ShardIndex,
  openShard: (file: string) => Promise<ByteSource>,
  id: string,
  signal?: AbortSignal,
): Promise<TensorSource> {
  const shards: TensorSource[] = [];
  for (const file of index.files) shards.push(await openSafetensors(await openShard(file), `${id}/${file}`, signal));
  const owner = new Map<string, TensorSource>();
  const tensors: TensorInfo[] = [];
  index.files.forEach((file, i) => {
    for (const t of shards[i].tensors()) {
      const mapped = index.weightMap.get(t.name);
      if (mapped === undefined) {
        throw new SafetensorsError('shard-unlisted-tensor', `${id}: ${file} holds ${JSON.stringify(t.name)}, which the index does not list. The index and shards do not match.`);
      }
      if (mapped !== file) {
        throw new SafetensorsError('shard-duplicate-tensor', `${id}: ${JSON.stringify(t.name)} is in ${file} but the index maps it to ${mapped}: a tensor in two shards. The index and shards do not match.`);
      }
      owner.set(t.name, shards[i]);
      tensors.push(t);
    }
  });
  for (const [name, file] of index.weightMap) {
    if (!owner.has(name)) {
      throw new SafetensorsError('shard-missing-tensor', `${id}: the index maps ${JSON.stringify(name)} to ${file}, but that shard does not hold it. The download is incomplete or the index is wrong.`);
    }
  }
  const shardOf = (name: string): TensorSource => {
    const s = owner.get(name);
    if (!s) throw new TensorRangeError('tensor-not-found', `${id} has no tensor ${JSON.stringify(name)}.`);
    return s;
  };
  return {
    id,
    tensors: () => tensors,
    get: (name) => owner.get(name)?.get(name),
    metadata: () => shards[0]?.metadata() ?? {},
    readRaw: async (name, start, nElems, sig) => shardOf(name).readRaw(name, start, nElems, sig),
    readF32: async (name, start, nElems, sig) => shardOf(name).readF32(name, start, nElems, sig),
  };
}
