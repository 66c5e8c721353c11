/**
 * Types shared by every layer. `core` is pure: no DOM, no navigator.gpu, no IndexedDB, no node:fs.
 * Byte and element units are in the names (byteOffset, nElems).
 */

export type DType =
  | 'BOOL' | 'U8' | 'I8' | 'F8_E5M2' | 'F8_E4M3' | 'F8_E8M0' | 'F8_E4M3FNUZ' | 'F8_E5M2FNUZ'
  | 'F4' | 'F6_E2M3' | 'F6_E3M2'
  | 'I16' | 'U16' | 'F16' | 'BF16'
  | 'I32' | 'U32' | 'F32'
  | 'C64' | 'F64' | 'I64' | 'U64';

/** Float dtypes that merges read and write. */
export type FloatDType = 'F32' | 'F16' | 'BF16';

/** One tensor of a checkpoint, with its bytes located in its file. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Product of the shape (1 for a 0-rank tensor). */
  numel: number;
  /** Absolute offset of the tensor's first byte in its file. */
  byteOffset: number;
  byteLength: number;
}

/** Random access to bytes: a file (Node), a Blob/File (browser), an HTTP resource with Range, IndexedDB chunks. */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Exactly `length` bytes starting at `offset`; throws if the source is shorter. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
}

/** Sequential byte output: a file, a WritableStream, an IndexedDB writer, memory. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Called on failure or cancellation: must remove anything partially written. */
  abort(reason?: unknown): Promise<void>;
}

/** A model (one file or a sharded set) whose tensors can be read in element ranges. */
export interface TensorSource {
  /** A human-readable id (path, zoo name, library id). */
  readonly id: string;
  /** Tensors in header order of the file(s). */
  tensors(): TensorInfo[];
  get(name: string): TensorInfo | undefined;
  /** `__metadata__` of the (first) file. */
  metadata(): Record<string, string>;
  /** Elements [start, start + nElems) of a float tensor, decoded to f32. */
  readF32(name: string, start: number, nElems: number, signal?: AbortSignal): Promise<Float32Array>;
  /** The raw little-endian bytes of elements [start, start + nElems). */
  readRaw(name: string, start: number, nElems: number, signal?: AbortSignal): Promise<Uint8Array>;
}

/** Progress of a long operation. */
export interface Progress {
  /** What is happening, for a status line. */
  phase: string;
  done: number;
  total: number;
  /** Unit of done/total: 'tensors' | 'bytes' | 'merges' | 'models' ... */
  unit: string;
  detail?: string;
}

export type ProgressFn = (p: Progress) => void;
