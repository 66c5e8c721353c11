/**
 * Atomic writes of one new model: chunks first, manifest last. A `ModelWriter` is one import in
 * flight; `commit` makes it visible, `abort` deletes every key it wrote. Bytes pass through one
 * small reusable staging buffer into Blob parts (stored off the JS heap), so memory is bounded by the
 * stage size (4 MiB) whatever the chunk and model sizes.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { parseHeader, parseHeaderLength } from '../core/safetensors';
import { SafetensorsError, throwIfAborted } from '../core/errors';
import type { KeyValueStore } from './kv';
import { ImportError } from './errors';
import {
  chunkKey, isWeightFile, modelKey, pendingKey, type ModelManifest, type PendingMarker, type StoredFile,
} from './manifest';

/** What a writer needs from the library (kept narrow so writer and library do not import each other). */
export interface WriterHost {
  readonly kv: KeyValueStore;
  readonly chunkBytes: number;
  /** Registers/unregisters an import in flight so sweeps (this page's and other tabs') leave it alone. */
  track(id: string): void;
  untrack(id: string): void;
}

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Bytes staged on the JS heap before they are copied into a Blob part. */
const STAGE_BYTES = 4 * 1024 * 1024;

export class ModelWriter {
  private readonly written: string[] = [];
  private readonly files: StoredFile[] = [];
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private openFile: FileWriter | undefined;

  constructor(private readonly host: WriterHost, readonly id: string, readonly name: string) {}

  get chunkBytes(): number {
    return this.host.chunkBytes;
  }

  /** Writes the pending marker; call once before any file. */
  async begin(): Promise<void> {
    this.host.track(this.id);
    const marker: PendingMarker = { id: this.id, name: this.name, started: Date.now() };
    this.written.push(pendingKey(this.id));
    await this.host.kv.set(pendingKey(this.id), marker);
  }

  /** A writer for the next file. `expectedBytes` (when known) lets a malformed header fail early. */
  file(name: string, expectedBytes?: number): FileWriter {
    this.check();
    if (this.openFile && !this.openFile.finished) throw new ImportError('writer-busy', `File ${this.openFile.name} is still being written.`);
    if (this.files.some((f) => f.name === name)) throw new ImportError('duplicate-file', `Two files are named ${name}; a model holds each file once.`);
    this.openFile = new FileWriter(this, this.files.length, name, expectedBytes);
    return this.openFile;
  }

  /**
   * @internal Stored chunk values are Blobs: IndexedDB keeps them out of the JS heap and reads
   * slices of them lazily.
   */
  async putChunk(file: number, n: number, value: Blob): Promise<void> {
    this.check();
    const key = chunkKey(this.id, file, n);
    this.written.push(key); // before the put: a put that fails half-way may still have landed
    await this.host.kv.set(key, value);
  }

  /** @internal */
  addFile(f: StoredFile): void {
    this.files.push(f);
  }

  get storedFiles(): readonly StoredFile[] {
    return this.files;
  }

  /** Writes the manifest (the model now exists) and drops the pending marker. */
  async commit(manifest: Omit<ModelManifest, 'files' | 'id' | 'version'>): Promise<ModelManifest> {
    this.check();
    if (this.openFile && !this.openFile.finished) throw new ImportError('writer-busy', `File ${this.openFile.name} was not finished.`);
    const full: ModelManifest = { ...manifest, version: 1, id: this.id, files: [...this.files] };
    this.written.push(modelKey(this.id));
    await this.host.kv.set(modelKey(this.id), full);
    this.state = 'committed';
    this.host.untrack(this.id);
    // The marker's removal is tidying only: the manifest already makes the model whole.
    await this.host.kv.del(pendingKey(this.id)).catch(() => undefined);
    return full;
  }

  /** Deletes everything this import wrote. Safe to call twice and after a failed commit. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    try {
      // Chunks before the marker: a crash in between leaves a marker, which the sweep still finds.
      const keys = this.written.filter((k) => k !== pendingKey(this.id));
      for (let i = 0; i < keys.length; i += 256) await this.host.kv.delMany(keys.slice(i, i + 256));
      await this.host.kv.del(pendingKey(this.id));
    } finally {
      this.host.untrack(this.id);
    }
  }

  private check(): void {
    if (this.state !== 'open') throw new ImportError('writer-closed', `The import of ${this.name} has already ${this.state === 'committed' ? 'finished' : 'been cancelled'}.`);
  }
}

/** One file of an import: buffers into chunks, hashes, and parses the safetensors header as it arrives. */
export class FileWriter {
  private readonly chunkBytes: number;
  private readonly stage: Uint8Array;
  private stageFill = 0;
  /** Blob parts of the current chunk, and how many bytes they plus the stage hold. */
  private parts: Blob[] = [];
  private chunkFill = 0;
  private chunkIndex = 0;
  private total = 0;
  private readonly hash = sha256.create();
  private readonly weights: boolean;
  /** The first 8, then 8 + N, bytes of a weight file, kept for the header parse at the end. */
  private head: Uint8Array | undefined;
  private headFill = 0;
  finished = false;

  constructor(private readonly model: ModelWriter, readonly index: number, readonly name: string, readonly expectedBytes?: number) {
    this.weights = isWeightFile(name);
    this.chunkBytes = model.chunkBytes;
    this.stage = new Uint8Array(Math.min(STAGE_BYTES, model.chunkBytes));
    if (this.weights) this.head = new Uint8Array(8);
  }

  get bytesWritten(): number {
    return this.total;
  }

  async write(bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.finished) throw new ImportError('writer-closed', `${this.name} is already complete.`);
    if (this.expectedBytes !== undefined && this.total + bytes.length > this.expectedBytes) {
      throw new ImportError('too-long', `${this.name} is longer than the ${this.expectedBytes} bytes announced for it. The source changed or is wrong; try again.`);
    }
    this.hash.update(bytes);
    if (this.head) this.captureHead(bytes);
    this.total += bytes.length;
    let pos = 0;
    while (pos < bytes.length) {
      const n = Math.min(bytes.length - pos, this.stage.length - this.stageFill, this.chunkBytes - this.chunkFill);
      this.stage.set(bytes.subarray(pos, pos + n), this.stageFill);
      this.stageFill += n;
      this.chunkFill += n;
      pos += n;
      if (this.stageFill === this.stage.length || this.chunkFill === this.chunkBytes) this.unstage();
      if (this.chunkFill === this.chunkBytes) await this.flush(signal);
    }
  }

  /** Stores the last chunk, checks the length and the header against the whole file, and returns its record. */
  async finish(signal?: AbortSignal): Promise<StoredFile> {
    if (this.expectedBytes !== undefined && this.total !== this.expectedBytes) {
      throw new ImportError('truncated', `${this.name} ended after ${this.total} of ${this.expectedBytes} bytes. The download or file is incomplete; try again.`);
    }
    let safetensors: StoredFile['safetensors'];
    if (this.head) {
      if (this.headFill < this.head.length) parseHeaderLength(this.head.subarray(0, this.headFill), this.total); // throws the precise reason
      const h = this.parseAgainstSize(this.head, this.total); // offsets checked against the real size: catches truncation
      safetensors = { headerLength: h.headerLength, metadata: h.metadata, tensors: h.tensors };
      this.head = undefined;
    }
    this.unstage();
    if (this.chunkFill > 0) await this.flush(signal);
    const rec: StoredFile = {
      name: this.name, bytes: this.total, sha256: toHex(this.hash.digest()),
      chunkBytes: this.chunkBytes, chunks: this.chunkIndex, safetensors,
    };
    this.finished = true;
    this.model.addFile(rec);
    return rec;
  }

  private captureHead(bytes: Uint8Array): void {
    let head = this.head!;
    if (this.headFill >= head.length) return;
    const take = bytes.subarray(0, head.length - this.headFill);
    head.set(take, this.headFill);
    this.headFill += take.length;
    if (this.headFill < head.length) return;
    if (head.length === 8) {
      // Fail fast on a file that is not safetensors, before its gigabytes are stored.
      const n = parseHeaderLength(head, Math.max(this.expectedBytes ?? Number.MAX_SAFE_INTEGER, 8));
      const grown = new Uint8Array(8 + n); // one buffer for the whole header: no quadratic regrowth
      grown.set(head);
      this.head = head = grown;
      if (bytes.length > take.length) this.captureHead(bytes.subarray(take.length));
    } else if (this.expectedBytes !== undefined) {
      this.parseAgainstSize(head, this.expectedBytes);
    }
  }

  /** parseHeader, with a header that does not fit the file's size named as such (not as corruption). */
  private parseAgainstSize(head: Uint8Array, size: number): ReturnType<typeof parseHeader> {
    try {
      return parseHeader(head, size);
    } catch (e) {
      if (e instanceof SafetensorsError && (e.code === 'data-truncated' || e.code === 'trailing-bytes')) {
        throw new ImportError('size-mismatch', `${this.name}: its header does not fit its size of ${size} bytes (${e.message}) The file is truncated or padded, or the server reports a wrong length. Nothing was kept; get the file again.`, { cause: e });
      }
      throw e;
    }
  }

  /** Copies the staged bytes into a Blob part (off the JS heap) so the stage can be reused. */
  private unstage(): void {
    if (this.stageFill === 0) return;
    this.parts.push(new Blob([this.stage.subarray(0, this.stageFill) as Uint8Array<ArrayBuffer>])); // copies now
    this.stageFill = 0;
  }

  private async flush(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const value = new Blob(this.parts);
    this.parts = [];
    this.chunkFill = 0;
    await this.model.putChunk(this.index, this.chunkIndex, value);
    this.chunkIndex++;
  }
}
