/** Shared pieces of the store tests: fresh databases, tiny models as Blobs, a quota-faulting store. */
import { idbStore, type KeyValueStore } from '../../src/store/kv';
import { Library } from '../../src/store/library';
import { makeTinyLlama, toSafetensors, type TinyModel } from '../helpers/fixtures';
import type { NamedBlob } from '../../src/store/import';

let dbCounter = 0;

/** A library in a database of its own (fake-indexeddb is global to the test file). */
export function freshLibrary(chunkBytes = 1024): { lib: Library; kv: KeyValueStore; db: string } {
  const db = `kinmerge-test-${process.pid}-${++dbCounter}`;
  const kv = idbStore(db);
  return { lib: new Library(kv, { chunkBytes }), kv, db };
}

export const sortedKeys = async (kv: KeyValueStore): Promise<string[]> => (await kv.keys()).sort();

export function tinyFile(seed = 1, name = 'model.safetensors', extra: Partial<Parameters<typeof makeTinyLlama>[0]> = {}): { file: NamedBlob; model: TinyModel; bytes: Uint8Array } {
  const model = makeTinyLlama({ seed, ...extra });
  const bytes = toSafetensors(model);
  return { file: { name, blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) }, model, bytes };
}

/** Shards of a tiny model plus its index, the way HF writes them. */
export function tinyShards(seed = 1, shards = 2): { files: NamedBlob[]; model: TinyModel; parts: Map<string, Uint8Array> } {
  const model = makeTinyLlama({ seed, layers: 3 });
  const per = Math.ceil(model.tensors.length / shards);
  const weightMap: Record<string, string> = {};
  const parts = new Map<string, Uint8Array>();
  const pad = (i: number): string => String(i).padStart(5, '0');
  for (let s = 0; s < shards; s++) {
    const file = `model-${pad(s + 1)}-of-${pad(shards)}.safetensors`;
    const part = { dtype: model.dtype, tensors: model.tensors.slice(s * per, (s + 1) * per) };
    for (const t of part.tensors) weightMap[t.name] = file;
    parts.set(file, toSafetensors(part));
  }
  parts.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap })));
  parts.set('config.json', new TextEncoder().encode(JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 16 })));
  const files = [...parts].map(([name, bytes]) => ({ name, blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) }));
  return { files, model, parts };
}

/** Wraps a store so that writes fail with QuotaExceededError once `limit` bytes of values were stored. */
export function quotaAfter(kv: KeyValueStore, limit: number): KeyValueStore & { stored: number } {
  const size = (v: unknown): number => (v instanceof Blob ? v.size : v instanceof Uint8Array ? v.byteLength : JSON.stringify(v ?? null).length);
  const w = {
    ...kv,
    stored: 0,
    async set(key: string, value: unknown) {
      w.stored += size(value);
      if (w.stored > limit) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return kv.set(key, value);
    },
  };
  return w;
}
