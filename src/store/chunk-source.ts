/**
 * A ByteSource over one stored file's chunks: any byte range is read from just the chunks it covers,
 * so a tensor streams to the engine without the model ever being loaded whole.
 */
import type { ByteSource } from '../core/types';
import { throwIfAborted } from '../core/errors';
import type { KeyValueStore } from './kv';
import { StoreError } from './errors';
import { chunkKey, type StoredFile } from './manifest';

type ChunkValue = Blob | Uint8Array | ArrayBuffer;

export class ChunkByteSource implements ByteSource {
  readonly size: number;
  /** The last chunk value read: sequential tensor reads hit the same chunk many times in a row. */
  private cached: { n: number; value: Promise<ChunkValue | undefined> } | undefined;

  constructor(private readonly kv: KeyValueStore, readonly modelId: string, readonly fileIndex: number, readonly file: StoredFile) {
    this.size = file.bytes;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new StoreError('range-outside-file', `Bytes [${offset}, ${offset + length}) lie outside ${this.file.name} (${this.size} bytes).`);
    }
    const out = new Uint8Array(length);
    const cb = this.file.chunkBytes;
    let pos = offset;
    while (pos < offset + length) {
      throwIfAborted(signal);
      const n = Math.floor(pos / cb);
      const inChunk = pos - n * cb;
      const take = Math.min(offset + length - pos, cb - inChunk);
      const part = await this.slice(n, inChunk, take);
      if (part.length !== take) {
        throw new StoreError('chunk-short', `Chunk ${n} of ${this.file.name} (model ${this.modelId}) is shorter than recorded. Delete the model and import it again.`);
      }
      out.set(part, pos - offset);
      pos += take;
    }
    return out;
  }

  private async slice(n: number, start: number, length: number): Promise<Uint8Array> {
    let entry = this.cached;
    if (entry?.n !== n) {
      const value = this.kv.get<ChunkValue>(chunkKey(this.modelId, this.fileIndex, n));
      entry = this.cached = { n, value };
      value.catch(() => { if (this.cached?.value === value) this.cached = undefined; });
    }
    const v = await entry.value;
    if (v === undefined) {
      throw new StoreError('chunk-missing', `Chunk ${n} of ${this.file.name} (model ${this.modelId}) is missing from the library. Delete the model and import it again.`);
    }
    if (v instanceof Uint8Array) return v.subarray(start, start + length);
    if (v instanceof ArrayBuffer) return new Uint8Array(v, start, length);
    return new Uint8Array(await v.slice(start, start + length).arrayBuffer());
  }
}
