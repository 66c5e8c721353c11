/**
 * The model library: list, get, rename, delete, storage use, and the start-up sweep of orphans.
 * Models are written only through `ModelWriter` (writer.ts), which makes each import atomic.
 */
import type { TensorSource } from '../core/types';
import { idbStore, type KeyValueStore } from './kv';
import { openLibraryModel } from './open';
import { StoreError } from './errors';
import { ChunkByteSource } from './chunk-source';
import { ModelWriter, type WriterHost } from './writer';
import {
  MAX_CHUNK_BYTES, modelKey, newModelId, ownerOf, type ModelManifest, type StoredFile,
} from './manifest';

export interface LibraryOptions {
  /** Chunk size for new imports (tests use small ones); at most 16 MiB. */
  chunkBytes?: number;
}

export interface StorageUse {
  models: { id: string; name: string; bytes: number }[];
  totalBytes: number;
}

export interface SweepResult {
  /** Ids whose chunks (or pending marker) had no manifest and were removed. */
  ids: string[];
  removedKeys: number;
}

const LOCK_PREFIX = 'kinmerge-import:';

type Locks = { request: (name: string, opts: object, cb: (lock: unknown) => Promise<unknown> | unknown) => Promise<unknown> };
const locks = (): Locks | undefined => (globalThis.navigator as { locks?: Locks } | undefined)?.locks;

export class Library implements WriterHost {
  readonly kv: KeyValueStore;
  readonly chunkBytes: number;
  /** Imports in flight in this page, with the Web Lock release that marks them alive for other tabs. */
  private readonly active = new Map<string, () => void>();

  constructor(kv: KeyValueStore = idbStore(), opts: LibraryOptions = {}) {
    this.kv = kv;
    this.chunkBytes = opts.chunkBytes ?? MAX_CHUNK_BYTES;
    if (!(this.chunkBytes > 0 && this.chunkBytes <= MAX_CHUNK_BYTES && Number.isInteger(this.chunkBytes))) {
      throw new StoreError('bad-chunk-size', `Chunk size must be a whole number of bytes in (0, ${MAX_CHUNK_BYTES}], got ${opts.chunkBytes}.`);
    }
  }

  /** All models, oldest first. */
  async list(): Promise<ModelManifest[]> {
    const ids = (await this.kv.keys()).filter((k) => k.startsWith('model:'));
    const all = (await this.kv.getMany<ModelManifest>(ids)).filter((m): m is ModelManifest => m !== undefined);
    return all.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
  }

  get(id: string): Promise<ModelManifest | undefined> {
    return this.kv.get<ModelManifest>(modelKey(id));
  }

  async require(id: string): Promise<ModelManifest> {
    const m = await this.get(id);
    if (!m) throw new StoreError('model-not-found', `No model with id ${id} is in the library. It may have been deleted; import it again.`);
    return m;
  }

  /** Models holding a weight file with this sha256 (to spot a model that is already in the library). */
  async findByHash(sha256: string): Promise<ModelManifest[]> {
    const h = sha256.toLowerCase();
    return (await this.list()).filter((m) => m.files.some((f) => f.safetensors && f.sha256 === h));
  }

  async rename(id: string, name: string): Promise<ModelManifest> {
    const trimmed = name.trim();
    if (!trimmed) throw new StoreError('bad-name', 'A model name cannot be empty.');
    const m = await this.require(id);
    const next = { ...m, name: trimmed };
    await this.kv.set(modelKey(id), next);
    return next;
  }

  /** Removes the manifest first (the model is gone at once), then its chunks. */
  async delete(id: string): Promise<void> {
    await this.require(id);
    await this.kv.del(modelKey(id));
    const mine = (await this.kv.keys()).filter((k) => ownerOf(k)?.id === id);
    for (let i = 0; i < mine.length; i += 256) await this.kv.delMany(mine.slice(i, i + 256));
  }

  async usage(): Promise<StorageUse> {
    const models = (await this.list()).map((m) => ({ id: m.id, name: m.name, bytes: m.bytes }));
    return { models, totalBytes: models.reduce((s, m) => s + m.bytes, 0) };
  }

  /** A ByteSource over one stored file of a model (by index or name). */
  async fileSource(id: string, file: number | string): Promise<ChunkByteSource> {
    const m = await this.require(id);
    const i = typeof file === 'number' ? file : m.files.findIndex((f) => f.name === file);
    const f: StoredFile | undefined = m.files[i];
    if (!f) throw new StoreError('file-not-found', `Model ${m.name} has no file ${String(file)}; it has ${m.files.map((x) => x.name).join(', ')}.`);
    return new ChunkByteSource(this.kv, id, i, f);
  }

  /** The model as a TensorSource streaming from its chunks (see open.ts). */
  async open(id: string, signal?: AbortSignal): Promise<TensorSource> {
    return openLibraryModel(this, id, signal);
  }

  /** Starts a new model; see ModelWriter. */
  async beginWrite(name: string, id = newModelId()): Promise<ModelWriter> {
    if (await this.get(id)) throw new StoreError('model-exists', `A model with id ${id} already exists.`);
    const w = new ModelWriter(this, id, name);
    await w.begin();
    return w;
  }

  /**
   * Removes chunks and pending markers that no manifest owns: imports abandoned by a crash or a reload.
   * Imports in flight in this page are kept, and so (where Web Locks exist) are those of other tabs.
   */
  async sweepOrphans(): Promise<SweepResult> {
    const keys = await this.kv.keys();
    const withManifest = new Set(keys.filter((k) => k.startsWith('model:')).map((k) => k.slice(6)));
    const orphanKeys = new Map<string, string[]>();
    for (const k of keys) {
      const o = ownerOf(k);
      if (!o || o.kind === 'model' || this.active.has(o.id)) continue;
      // A committed model's chunks are its own; its leftover marker (a commit that died just after
      // writing the manifest) is tidied away.
      if (withManifest.has(o.id) && o.kind !== 'pending') continue;
      const list = orphanKeys.get(o.id) ?? [];
      list.push(k);
      orphanKeys.set(o.id, list);
    }
    const ids: string[] = [];
    let removed = 0;
    for (const [id, ks] of orphanKeys) {
      if (await this.heldElsewhere(id)) continue;
      for (let i = 0; i < ks.length; i += 256) await this.kv.delMany(ks.slice(i, i + 256));
      if (!withManifest.has(id)) ids.push(id);
      removed += ks.length;
    }
    return { ids, removedKeys: removed };
  }

  track(id: string): void {
    const l = locks();
    let release = (): void => undefined;
    if (l) {
      // Hold a Web Lock for the import's lifetime: the browser drops it when the page goes away,
      // which is exactly when the pending chunks become orphans.
      const held = new Promise<void>((resolve) => { release = resolve; });
      void l.request(LOCK_PREFIX + id, {}, () => held);
    }
    this.active.set(id, release);
  }

  untrack(id: string): void {
    this.active.get(id)?.();
    this.active.delete(id);
  }

  private async heldElsewhere(id: string): Promise<boolean> {
    const l = locks();
    if (!l) return false;
    let held = false;
    await l.request(LOCK_PREFIX + id, { ifAvailable: true }, (lock) => { held = lock === null; });
    return held;
  }
}
