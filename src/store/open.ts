/**
 * A stored model as a TensorSource: the core readers (openSafetensors / openSharded) over chunk
 * ByteSources, so tensors stream from IndexedDB in element ranges.
 */
import type { TensorSource } from '../core/types';
import { openSafetensors, openSharded, parseShardIndex, type ShardIndex } from '../core/checkpoint';
import type { Library } from './library';
import { StoreError } from './errors';
import { INDEX_SUFFIX } from './import-core';

export async function openLibraryModel(lib: Library, id: string, signal?: AbortSignal): Promise<TensorSource> {
  const m = await lib.require(id);
  const weights = m.files.filter((f) => f.safetensors);
  if (weights.length === 0) throw new StoreError('no-weights', `Model ${m.name} has no weight file. Delete it and import it again.`);
  const label = `${m.name} (${m.id})`;
  if (weights.length === 1) return openSafetensors(await lib.fileSource(id, weights[0].name), label, signal);
  const indexFile = m.files.find((f) => f.name.endsWith(INDEX_SUFFIX));
  let index: ShardIndex;
  if (indexFile) {
    const src = await lib.fileSource(id, indexFile.name);
    index = parseShardIndex(new TextDecoder().decode(await src.read(0, src.size, signal)));
  } else {
    // Shards given without an index: the import located every tensor by header; rebuild the map from that.
    const weightMap = new Map<string, string>();
    for (const [name, at] of Object.entries(m.tensorIndex)) weightMap.set(name, m.files[at.file].name);
    index = { metadata: {}, weightMap, files: weights.map((w) => w.name).sort() };
  }
  return openSharded(index, (file) => lib.fileSource(id, file), label, signal);
}
