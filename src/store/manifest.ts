/**
 * What the library stores. A model is one manifest (`model:<id>`) plus the bytes of each of its files
 * in chunks (`chunk:<id>:<fileIndex>:<n>`, at most 16 MiB each). The manifest is written last, so a
 * model exists exactly when its manifest does; an import in flight is marked by `pending:<id>`.
 */
import type { TensorInfo } from '../core/types';

/** IndexedDB keeps large values best in pieces; 16 MiB bounds the memory of any one read or write. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

export type SourceKind = 'file' | 'url' | 'hf' | 'merge';

export interface ModelSource {
  kind: SourceKind;
  url?: string;
  /** `org/name` on the Hugging Face Hub. */
  hfId?: string;
  rev?: string;
  /** Every stored file name, in storage order (index = the fileIndex of its chunk keys). */
  files: string[];
}

export interface StoredFile {
  name: string;
  bytes: number;
  /** Lower-case hex SHA-256 of the whole file, computed while it streamed in. */
  sha256: string;
  chunkBytes: number;
  chunks: number;
  /** For a .safetensors file: its parsed header (absolute offsets). */
  safetensors?: { headerLength: number; metadata: Record<string, string>; tensors: TensorInfo[] };
}

/** Tensor name -> where its bytes are: file index and absolute byte range in that file. */
export type TensorIndex = Record<string, { file: number; byteOffset: number; byteLength: number }>;

export interface ParentRef {
  id: string;
  name: string;
  /** sha256 of each weight file of the parent, in its file order. */
  sha256: string[];
  hfId?: string;
  rev?: string;
}

export interface ModelManifest {
  version: 1;
  id: string;
  name: string;
  source: ModelSource;
  files: StoredFile[];
  /** Name -> location, over every weight file (a sharded model lists all shards here). */
  tensorIndex: TensorIndex;
  /** config.json, when one came with the model. */
  config?: Record<string, unknown>;
  /** Total stored bytes over all files. */
  bytes: number;
  params: number;
  /** Milliseconds since the epoch. */
  created: number;
  /** For merged models: where they came from. `recipe` is a mergekit recipe (MergeRecipe). */
  parents?: ParentRef[];
  recipe?: unknown;
  seed?: number;
}

export interface PendingMarker {
  id: string;
  name: string;
  started: number;
}

export const modelKey = (id: string): string => `model:${id}`;
export const pendingKey = (id: string): string => `pending:${id}`;
export const chunkKey = (id: string, file: number, n: number): string => `chunk:${id}:${file}:${n}`;

/** The model id of a chunk or pending key, undefined for other keys. */
export function ownerOf(key: string): { kind: 'model' | 'pending' | 'chunk'; id: string } | undefined {
  const m = /^(model|pending|chunk):([^:]+)/.exec(key);
  return m ? { kind: m[1] as 'model' | 'pending' | 'chunk', id: m[2] } : undefined;
}

export function isWeightFile(name: string): boolean {
  return name.toLowerCase().endsWith('.safetensors');
}

/** A fresh id: time-ordered, random tail, no ':' (keys split on it). */
export function newModelId(): string {
  const rnd = new Uint8Array(6);
  crypto.getRandomValues(rnd);
  return `m${Date.now().toString(36)}${Array.from(rnd, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
