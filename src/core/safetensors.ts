/**
 * safetensors reading (header parse + validation) and streaming writing.
 *
 * Layout: [0,8) u64 LE header length N; [8, 8+N) UTF-8 JSON object, maybe right-padded with spaces;
 * [8+N, EOF) the byte buffer, each tensor at data_offsets relative to the buffer.
 * Validation follows the reference reader (huggingface/safetensors `Metadata::validate`); every
 * failure is a SafetensorsError whose `code` is one of SAFETENSORS_ERROR_CODES.
 */
import type { ByteSink, ByteSource, DType, TensorInfo } from './types';
import { SafetensorsError, throwIfAborted } from './errors';
import { DTYPE_BITS, isDType } from './dtype';

/** The reference reader's cap on the header length (100 MB): a larger N is an attack or corruption. */
export const MAX_HEADER_BYTES = 100_000_000;

export const SAFETENSORS_ERROR_CODES = [
  'file-too-short', 'header-too-large', 'header-exceeds-file', 'header-truncated', 'header-invalid-utf8',
  'header-not-object', 'header-invalid-json', 'duplicate-tensor', 'metadata-invalid', 'entry-not-object',
  'unknown-dtype', 'bad-shape', 'bad-offsets', 'misaligned-size', 'size-mismatch', 'offsets-hole',
  'offsets-overlap', 'data-truncated', 'trailing-bytes', 'short-read',
  'writer-invalid-entry', 'writer-overflow', 'writer-incomplete', 'writer-closed',
] as const;
export type SafetensorsErrorCode = (typeof SAFETENSORS_ERROR_CODES)[number];

export interface SafetensorsHeader {
  /** N: bytes of the JSON header (including its padding). */
  headerLength: number;
  /** 8 + N: where the byte buffer starts. */
  dataOffset: number;
  metadata: Record<string, string>;
  /** In header (JSON key) order, with absolute byte offsets. */
  tensors: TensorInfo[];
}

function fail(code: SafetensorsErrorCode, message: string): never {
  throw new SafetensorsError(code, message);
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Reads N from the 8-byte prefix and checks it against the cap and the file size. */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || prefix.length < 8) {
    fail('file-too-short', `The file is ${fileSize} bytes; a safetensors file starts with an 8-byte header length. Is this a safetensors file?`);
  }
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 0x100000000 + lo;
  if (hi >= 0x200000 || n > MAX_HEADER_BYTES) {
    fail('header-too-large', `The header length field says ${hi >= 0x200000 ? 'more than 2^53' : n} bytes, above the ${MAX_HEADER_BYTES}-byte cap. The file is corrupt or not a safetensors file.`);
  }
  if (8 + n > fileSize) {
    fail('header-exceeds-file', `The header length field says ${n} bytes but the file has only ${fileSize - 8} after it. The file is truncated or not a safetensors file.`);
  }
  return n;
}

/**
 * Parse and validate the header. `prefix` holds at least the first 8 + N bytes of a file of `fileSize`
 * bytes. Returns absolute tensor offsets; nothing after the header is read.
 */
export function parseHeader(prefix: Uint8Array, fileSize: number): SafetensorsHeader {
  const n = parseHeaderLength(prefix, fileSize);
  if (prefix.length < 8 + n) {
    fail('header-truncated', `Only ${prefix.length} of the ${8 + n} header bytes were given; read the whole header first.`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(prefix.subarray(8, 8 + n));
  } catch {
    fail('header-invalid-utf8', 'The header is not valid UTF-8. The file is corrupt.');
  }
  if (text[0] !== '{') {
    fail('header-not-object', `The header must be a JSON object starting with '{', but starts with ${JSON.stringify(text.slice(0, 16))}. The file is corrupt or not a safetensors file.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail('header-invalid-json', `The header is not valid JSON (${(e as Error).message}). The file is corrupt.`);
  }
  // JSON.parse keeps the last of duplicate keys and moves integer-like keys first, so the key order
  // and duplicates come from the raw text.
  const keys = scanTopLevelKeys(text);
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) fail('duplicate-tensor', `The header names ${JSON.stringify(k)} twice. The file is corrupt; re-export it.`);
    seen.add(k);
  }
  const obj = parsed as Record<string, unknown>;
  const dataOffset = 8 + n;
  let metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const name of keys) {
    const entry = obj[name];
    if (name === '__metadata__') {
      metadata = checkMetadata(entry);
      continue;
    }
    tensors.push(checkEntry(name, entry, dataOffset));
  }
  checkLayout(tensors, dataOffset, fileSize);
  return { headerLength: n, dataOffset, metadata, tensors };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkMetadata(entry: unknown): Record<string, string> {
  // The reference reader has Option<HashMap<String, String>>: null means absent.
  if (entry === null) return {};
  if (!isPlainObject(entry)) fail('metadata-invalid', '__metadata__ must be an object of string values.');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== 'string') {
      fail('metadata-invalid', `__metadata__.${k} is ${v === null ? 'null' : typeof v}; safetensors metadata holds strings only. Re-export with string values.`);
    }
    out[k] = v;
  }
  return out;
}

function isSafeCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SAFE;
}

function checkEntry(name: string, entry: unknown, dataOffset: number): TensorInfo {
  const where = `Tensor ${JSON.stringify(name)}`;
  if (!isPlainObject(entry)) fail('entry-not-object', `${where}: its header entry must be an object with dtype, shape and data_offsets.`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (!isDType(dtype)) {
    fail('unknown-dtype', `${where}: unknown dtype ${JSON.stringify(dtype)}. Known: ${Object.keys(DTYPE_BITS).join(', ')}.`);
  }
  if (!Array.isArray(shape)) fail('bad-shape', `${where}: shape must be an array of non-negative integers.`);
  let numel = 1;
  for (const d of shape) {
    if (!isSafeCount(d)) fail('bad-shape', `${where}: shape ${JSON.stringify(shape)} has ${JSON.stringify(d)}; dimensions are non-negative integers up to 2^53.`);
    numel *= d;
    if (numel > MAX_SAFE) fail('bad-shape', `${where}: shape ${JSON.stringify(shape)} has more than 2^53 elements.`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isSafeCount(offsets[0]) || !isSafeCount(offsets[1]) || offsets[1] < offsets[0]) {
    fail('bad-offsets', `${where}: data_offsets ${JSON.stringify(offsets)} must be [begin, end] with 0 <= begin <= end.`);
  }
  const bits = numel * DTYPE_BITS[dtype];
  if (bits % 8 !== 0) fail('misaligned-size', `${where}: ${numel} elements of ${dtype} are ${bits} bits, not a whole number of bytes.`);
  const byteLength = bits / 8;
  if (offsets[1] - offsets[0] !== byteLength) {
    fail('size-mismatch', `${where}: ${dtype} ${JSON.stringify(shape)} needs ${byteLength} bytes but data_offsets span ${offsets[1] - offsets[0]}. The header is corrupt.`);
  }
  return { name, dtype: dtype as DType, shape: shape as number[], numel, byteOffset: dataOffset + offsets[0], byteLength };
}

/** Sorted by offset, tensors must tile [0, end) of the buffer, and end must be the end of the file. */
function checkLayout(tensors: TensorInfo[], dataOffset: number, fileSize: number): void {
  const sorted = [...tensors].sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  let expected = dataOffset;
  let prev: TensorInfo | undefined;
  for (const t of sorted) {
    if (t.byteOffset > expected) {
      fail('offsets-hole', `Tensor ${JSON.stringify(t.name)} starts at buffer byte ${t.byteOffset - dataOffset} but the previous tensor${prev ? ` (${JSON.stringify(prev.name)})` : ''} ends at ${expected - dataOffset}: a hole. The header is corrupt.`);
    }
    if (t.byteOffset < expected) {
      fail('offsets-overlap', `Tensor ${JSON.stringify(t.name)} starts at buffer byte ${t.byteOffset - dataOffset}, inside ${prev ? JSON.stringify(prev.name) : 'the previous tensor'} (ends at ${expected - dataOffset}): overlapping tensors. The header is corrupt.`);
    }
    expected = t.byteOffset + t.byteLength;
    prev = t;
  }
  if (expected > fileSize) {
    fail('data-truncated', `The tensors need ${expected - dataOffset} data bytes but the file has ${fileSize - dataOffset}. The file is truncated (an interrupted download?); fetch it again.`);
  }
  if (expected < fileSize) {
    fail('trailing-bytes', `The file has ${fileSize - expected} bytes after the last tensor. The file is corrupt or was appended to.`);
  }
}

/** Read and validate the header of a source: reads only the first 8 + N bytes. */
export async function readSafetensorsHeader(src: ByteSource, signal?: AbortSignal): Promise<SafetensorsHeader> {
  throwIfAborted(signal);
  const first = await readExact(src, 0, Math.min(8, src.size), signal);
  const n = parseHeaderLength(first, src.size);
  const prefix = await readExact(src, 0, 8 + n, signal);
  return parseHeader(prefix, src.size);
}

/** `src.read` with a check that it returned what was asked (a source that shrank is a named error). */
export async function readExact(src: ByteSource, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
  const bytes = await src.read(offset, length, signal);
  if (bytes.length !== length) {
    fail('short-read', `Asked for ${length} bytes at ${offset} but got ${bytes.length}: the file changed or is truncated.`);
  }
  return bytes;
}

/**
 * Keys of the top-level object of valid JSON `text`, in text order, duplicates kept (JSON.parse
 * silently keeps the last duplicate). Strings at depth 1 followed by ':' are keys.
 */
export function scanTopLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \\ */) i++;
      if (depth === 1) {
        let j = i + 1;
        while (text[j] === ' ' || text[j] === '\n' || text[j] === '\r' || text[j] === '\t') j++;
        if (text[j] === ':') keys.push(JSON.parse(text.slice(start, i + 1)) as string);
      }
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
}

/** Header bytes (length prefix + JSON padded with spaces to a multiple of 8) and the tensors' byte ranges. */
export function buildHeader(entries: SafetensorsEntry[], metadata: Record<string, string> = {}): { bytes: Uint8Array; tensors: TensorInfo[] } {
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError('writer-invalid-entry', `Metadata ${k} must be a string, got ${typeof v}.`);
    }
    json.__metadata__ = metadata; // first, as the reference writer does
  }
  const names = new Set<string>();
  const ranges: { name: string; dtype: DType; shape: number[]; numel: number; begin: number; end: number }[] = [];
  let offset = 0;
  for (const e of entries) {
    const where = `Tensor ${JSON.stringify(e.name)}`;
    if (e.name === '__metadata__' || names.has(e.name)) {
      throw new SafetensorsError('writer-invalid-entry', `${where} is ${e.name === '__metadata__' ? 'a reserved name' : 'declared twice'}.`);
    }
    names.add(e.name);
    if (!isDType(e.dtype)) throw new SafetensorsError('writer-invalid-entry', `${where}: unknown dtype ${String(e.dtype)}.`);
    let numel = 1;
    for (const d of e.shape) {
      if (!isSafeCount(d)) throw new SafetensorsError('writer-invalid-entry', `${where}: bad dimension ${d}.`);
      numel *= d;
    }
    const bits = numel * DTYPE_BITS[e.dtype];
    if (bits % 8 !== 0) throw new SafetensorsError('writer-invalid-entry', `${where}: ${bits} bits is not a whole number of bytes.`);
    ranges.push({ name: e.name, dtype: e.dtype, shape: [...e.shape], numel, begin: offset, end: offset + bits / 8 });
    offset += bits / 8;
  }
  // Integer-like names would be reordered by a JS object; write the JSON by hand to keep declared order.
  const parts: string[] = [];
  if (json.__metadata__) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  for (const r of ranges) {
    parts.push(`${JSON.stringify(r.name)}:${JSON.stringify({ dtype: r.dtype, shape: r.shape, data_offsets: [r.begin, r.end] })}`);
  }
  const text = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(text.length / 8) * 8;
  const bytes = new Uint8Array(8 + n).fill(0x20, 8 + text.length);
  new DataView(bytes.buffer).setUint32(0, n, true); // n < 2^32 for any practical header
  bytes.set(text, 8);
  const tensors = ranges.map((r) => ({
    name: r.name, dtype: r.dtype, shape: r.shape, numel: r.numel, byteOffset: 8 + n + r.begin, byteLength: r.end - r.begin,
  }));
  return { bytes, tensors };
}

export interface SafetensorsWriter {
  /** Tensors with the absolute offsets they get in the file. */
  readonly tensors: TensorInfo[];
  /** Total file size once finished. */
  readonly totalBytes: number;
  readonly bytesWritten: number;
  /** Append bytes of the tensors, in declared order; any chunking. */
  write(bytes: Uint8Array): Promise<void>;
  /** Check that every byte was written and close the sink (aborting it when not). */
  finish(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
}

export function createSafetensorsWriter(sink: ByteSink, entries: SafetensorsEntry[], metadata?: Record<string, string>): SafetensorsWriter {
  const { bytes: header, tensors } = buildHeader(entries, metadata);
  const totalBytes = header.length + tensors.reduce((s, t) => s + t.byteLength, 0);
  let written = 0; // counts the header too
  let state: 'open' | 'done' = 'open';
  const tensorAt = (pos: number): string => tensors.find((t) => pos < t.byteOffset + t.byteLength)?.name ?? '(end)';
  const ensureHeader = async (): Promise<void> => {
    if (written === 0) {
      await sink.write(header);
      written = header.length;
    }
  };
  // Writes run one after another even if a producer does not await each one (the header must go first).
  let queue: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>): Promise<void> => (queue = queue.then(fn, fn));
  return {
    tensors,
    totalBytes,
    get bytesWritten() { return written; },
    write: (chunk) => serial(async () => {
      if (state !== 'open') throw new SafetensorsError('writer-closed', 'Write after finish or abort.');
      await ensureHeader();
      if (written + chunk.length > totalBytes) {
        throw new SafetensorsError('writer-overflow', `Writing ${chunk.length} bytes would pass the end of the declared tensors by ${written + chunk.length - totalBytes} bytes.`);
      }
      if (chunk.length === 0) return;
      await sink.write(chunk);
      written += chunk.length;
    }),
    finish: () => serial(async () => {
      if (state !== 'open') throw new SafetensorsError('writer-closed', 'finish() after finish or abort.');
      await ensureHeader();
      if (written !== totalBytes) {
        state = 'done';
        const msg = `Only ${written} of ${totalBytes} bytes were written (stopped in tensor ${JSON.stringify(tensorAt(written))}); the output was removed.`;
        await sink.abort(new SafetensorsError('writer-incomplete', msg));
        throw new SafetensorsError('writer-incomplete', msg);
      }
      state = 'done';
      await sink.close();
    }),
    async abort(reason) {
      if (state === 'done') return;
      state = 'done';
      await sink.abort(reason);
    },
  };
}

export interface InMemoryTensor extends SafetensorsEntry {
  /** Raw little-endian bytes (exactly numel * bits / 8). */
  data: Uint8Array;
}

/** A whole safetensors file in memory: for tests and small exports. */
export function encodeSafetensors(tensors: InMemoryTensor[], metadata?: Record<string, string>): Uint8Array {
  const { bytes: header, tensors: infos } = buildHeader(tensors, metadata);
  const total = header.length + infos.reduce((s, t) => s + t.byteLength, 0);
  const out = new Uint8Array(total);
  out.set(header, 0);
  tensors.forEach((t, i) => {
    if (t.data.length !== infos[i].byteLength) {
      throw new SafetensorsError('writer-invalid-entry', `Tensor ${JSON.stringify(t.name)} has ${t.data.length} bytes of data, ${infos[i].byteLength} expected.`);
    }
    out.set(t.data, infos[i].byteOffset);
  });
  return out;
}
