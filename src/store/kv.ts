/**
 * The key-value surface the library needs, over idb-keyval in its own database. An interface, so tests
 * can wrap it (quota faults after N bytes) and so every IndexedDB call goes through one place.
 */
import { createStore, del, delMany, get, getMany, keys, set, type UseStore } from 'idb-keyval';

export type Key = string;

export interface KeyValueStore {
  get<T>(key: Key): Promise<T | undefined>;
  getMany<T>(keys: Key[]): Promise<(T | undefined)[]>;
  set(key: Key, value: unknown): Promise<void>;
  del(key: Key): Promise<void>;
  delMany(keys: Key[]): Promise<void>;
  keys(): Promise<Key[]>;
}

/** Database and object-store names: a database of our own, so other idb-keyval users never see our keys. */
export const DEFAULT_DB = 'kinmerge';
export const DEFAULT_OBJECT_STORE = 'library';

export function idbStore(dbName = DEFAULT_DB, storeName = DEFAULT_OBJECT_STORE): KeyValueStore {
  const s: UseStore = createStore(dbName, storeName);
  return {
    get: (k) => get(k, s),
    getMany: (ks) => getMany(ks, s),
    set: (k, v) => set(k, v, s),
    del: (k) => del(k, s),
    delMany: (ks) => (ks.length ? delMany(ks, s) : Promise.resolve()),
    keys: async () => (await keys(s)).map(String),
  };
}
