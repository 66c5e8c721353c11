import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../src/core/errors';
import {
  MAX_HEADER_BYTES, createSafetensorsWriter, encodeSafetensors, parseHeader, readSafetensorsHeader, scanTopLevelKeys,
} from '../../src/core/safetensors';
import { decodeToF32, encodeFromF32 } from '../../src/core/dtype';
import { makeTinyLlama, memorySink, memorySource, toSafetensors } from '../helpers/fixtures';

/** A file from a raw header text and `dataBytes` bytes of buffer (N as given, or the text length). */
function rawFile(header: string, dataBytes: number, n?: number): Uint8Array {
  const text = new TextEncoder().encode(header);
  const len = n ?? text.length;
  const out = new Uint8Array(8 + text.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(len), true);
  out.set(text, 8);
  return out;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return (e as SafetensorsError).code;
  }
  throw new Error('expected a SafetensorsError');
}

const parse = (bytes: Uint8Array) => parseHeader(bytes, bytes.length);
const t = (dtype: string, shape: unknown, offsets: unknown) => JSON.stringify({ dtype, shape, data_offsets: offsets });

describe('parseHeader accepts valid files', () => {
  it('returns absolute offsets in header order, metadata, padding allowed', () => {
    const h = `{"__metadata__":{"format":"pt"},"b":${t('F32', [2], [8, 16])},"a":${t('BF16', [2, 2], [0, 8])}}   `;
    const bytes = rawFile(h, 16);
    const hdr = parse(bytes);
    expect(hdr.metadata).toEqual({ format: 'pt' });
    expect(hdr.tensors.map((x) => x.name)).toEqual(['b', 'a']);
    expect(hdr.dataOffset).toBe(8 + h.length);
    expect(hdr.tensors[0]).toMatchObject({ dtype: 'F32', shape: [2], numel: 2, byteOffset: hdr.dataOffset + 8, byteLength: 8 });
    expect(hdr.tensors[1]).toMatchObject({ numel: 4, byteOffset: hdr.dataOffset, byteLength: 8 });
  });
  it('keeps the order of integer-like names, allows empty and 0-rank tensors and sub-byte dtypes', () => {
    const h = `{"10":${t('F32', [], [0, 4])},"2":${t('F16', [0, 3], [4, 4])},"x":${t('F4', [4], [4, 6])}}`;
    const hdr = parse(rawFile(h, 6));
    expect(hdr.tensors.map((x) => [x.name, x.numel])).toEqual([['10', 1], ['2', 0], ['x', 4]]);
    expect(parse(rawFile('{}', 0)).tensors).toEqual([]);
    expect(parse(rawFile('{"__metadata__":null}', 0)).metadata).toEqual({});
  });
  it('finds duplicates among raw keys, including escaped spellings, ignoring nested keys', () => {
    expect(scanTopLevelKeys('{"a":{"a":1,"b":[{"c":"a"}]},"b\\"":"x", "c" : 2}')).toEqual(['a', 'b"', 'c']);
    expect(codeOf(() => parse(rawFile(`{"a":${t('F32', [1], [0, 4])},"\\u0061":${t('F32', [1], [0, 4])}}`, 4)))).toBe('duplicate-tensor');
  });
});

describe('parseHeader rejects every malformed header with a distinct code', () => {
  const ok = t('F32', [2], [0, 8]);
  const cases: [string, () => Uint8Array, string][] = [
    ['shorter than 8 bytes', () => new Uint8Array(5), 'file-too-short'],
    ['header length above the cap', () => rawFile('{}', 0, MAX_HEADER_BYTES + 1), 'header-too-large'],
    ['header length beyond 2^53', () => { const b = rawFile('{}', 0); b[7] = 0xff; return b; }, 'header-too-large'],
    ['header length beyond the file', () => rawFile('{}', 0, 100), 'header-exceeds-file'],
    ['not starting with {', () => rawFile(` {"a":${ok}}`, 8), 'header-not-object'],
    ['a JSON array', () => rawFile('[1]', 0), 'header-not-object'],
    ['invalid UTF-8', () => { const b = rawFile('{"\u00e9":1}', 0); b[10] = 0xff; return b; }, 'header-invalid-utf8'],
    ['invalid JSON', () => rawFile('{"a":', 0), 'header-invalid-json'],
    ['metadata not a map', () => rawFile('{"__metadata__":[1]}', 0), 'metadata-invalid'],
    ['metadata with a number', () => rawFile('{"__metadata__":{"n":1}}', 0), 'metadata-invalid'],
    ['entry not an object', () => rawFile('{"a":5}', 0), 'entry-not-object'],
    ['unknown dtype', () => rawFile(`{"a":${t('F12', [2], [0, 8])}}`, 8), 'unknown-dtype'],
    ['missing dtype', () => rawFile('{"a":{"shape":[1],"data_offsets":[0,4]}}', 4), 'unknown-dtype'],
    ['negative dim', () => rawFile(`{"a":${t('F32', [-2], [0, 8])}}`, 8), 'bad-shape'],
    ['fractional dim', () => rawFile(`{"a":${t('F32', [1.5], [0, 6])}}`, 6), 'bad-shape'],
    ['string dim', () => rawFile(`{"a":${t('F32', ['2'], [0, 8])}}`, 8), 'bad-shape'],
    ['shape not an array', () => rawFile(`{"a":${t('F32', 2, [0, 8])}}`, 8), 'bad-shape'],
    ['numel beyond 2^53', () => rawFile(`{"a":${t('U8', [2 ** 30, 2 ** 30, 2 ** 30], [0, 8])}}`, 8), 'bad-shape'],
    ['offsets reversed', () => rawFile(`{"a":${t('F32', [0], [8, 0])}}`, 8), 'bad-offsets'],
    ['offsets with three numbers', () => rawFile(`{"a":${t('F32', [2], [0, 8, 9])}}`, 8), 'bad-offsets'],
    ['offsets negative', () => rawFile(`{"a":${t('F32', [0], [-1, -1])}}`, 0), 'bad-offsets'],
    ['sub-byte not whole bytes', () => rawFile(`{"a":${t('F4', [3], [0, 2])}}`, 2), 'misaligned-size'],
    ['size not numel * bits', () => rawFile(`{"a":${t('F32', [2], [0, 6])}}`, 6), 'size-mismatch'],
    ['a hole', () => rawFile(`{"a":${t('F32', [2], [4, 12])}}`, 12), 'offsets-hole'],
    ['a hole between tensors', () => rawFile(`{"a":${ok},"b":${t('F32', [1], [12, 16])}}`, 16), 'offsets-hole'],
    ['an overlap', () => rawFile(`{"a":${ok},"b":${t('F32', [2], [4, 12])}}`, 12), 'offsets-overlap'],
    ['two tensors on the same bytes', () => rawFile(`{"a":${ok},"b":${ok}}`, 8), 'offsets-overlap'],
    ['data truncated', () => rawFile(`{"a":${ok}}`, 7), 'data-truncated'],
    ['trailing bytes', () => rawFile(`{"a":${ok}}`, 9), 'trailing-bytes'],
    ['duplicate names', () => rawFile(`{"a":${ok},"a":${ok}}`, 8), 'duplicate-tensor'],
  ];
  it.each(cases)('%s', (_label, make, code) => {
    expect(codeOf(() => parse(make()))).toBe(code);
  });
  it('needs the whole header in the prefix', () => {
    const b = rawFile(`{"a":${ok}}`, 8);
    expect(codeOf(() => parseHeader(b.subarray(0, 12), b.length))).toBe('header-truncated');
  });
  it('says which tensor and what to do', () => {
    expect(() => parse(rawFile(`{"w.0":${t('F32', [2], [0, 6])}}`, 6))).toThrow(/Tensor "w\.0".*needs 8 bytes/);
  });
});

describe('readSafetensorsHeader', () => {
  it('reads only the header bytes', async () => {
    const bytes = toSafetensors(makeTinyLlama({ layers: 1 }));
    const src = memorySource(bytes);
    const hdr = await readSafetensorsHeader(src);
    expect(hdr.tensors.length).toBe(12); // embed + 9 per layer + norm + lm_head
    const read = src.reads.reduce((s, r) => s + r.length, 0);
    expect(read).toBeLessThanOrEqual(8 + 8 + hdr.headerLength);
  });
  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(readSafetensorsHeader(memorySource(rawFile('{}', 0)), ac.signal)).rejects.toMatchObject({ name: 'CancelledError' });
  });
});

describe('writer', () => {
  const entries = [
    { name: 'z.weight', dtype: 'BF16' as const, shape: [3, 5] },
    { name: '7', dtype: 'F32' as const, shape: [] },
    { name: 'empty', dtype: 'F16' as const, shape: [0] },
    { name: 'odd', dtype: 'U8' as const, shape: [13] },
  ];
  const datas = [
    encodeFromF32('BF16', Float32Array.from({ length: 15 }, (_, i) => i - 7.5)),
    encodeFromF32('F32', new Float32Array([Math.PI])),
    new Uint8Array(0),
    Uint8Array.from({ length: 13 }, (_, i) => i * 17),
  ];
  const payload = new Uint8Array(datas.reduce((s, d) => s + d.length, 0));
  datas.reduce((o, d) => (payload.set(d, o), o + d.length), 0);

  it.each([1, 3, 7, 64, 1000])('round-trips with chunks of %i bytes', async (chunk) => {
    const sink = memorySink();
    const w = createSafetensorsWriter(sink, entries, { format: 'pt', recipe: '{"t": 0.5}' });
    for (let o = 0; o < payload.length; o += chunk) await w.write(payload.subarray(o, o + chunk));
    await w.finish();
    expect(sink.closed).toBe(true);
    const bytes = sink.bytes();
    expect(bytes.length).toBe(w.totalBytes);
    const hdr = parse(bytes);
    expect(hdr.headerLength % 8).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + 14))).toBe('{"__metadata__');
    expect(hdr.metadata).toEqual({ format: 'pt', recipe: '{"t": 0.5}' });
    expect(hdr.tensors.map((x) => x.name)).toEqual(entries.map((e) => e.name));
    expect(hdr.tensors).toEqual(w.tensors);
    const z = hdr.tensors[0];
    expect([...decodeToF32('BF16', bytes.subarray(z.byteOffset), 15)]).toEqual(Array.from({ length: 15 }, (_, i) => i - 7.5));
    expect(bytes.subarray(hdr.tensors[3].byteOffset)).toEqual(datas[3]);
    expect(encodeSafetensors(entries.map((e, i) => ({ ...e, data: datas[i] })), { format: 'pt', recipe: '{"t": 0.5}' })).toEqual(bytes);
  });
  it('aborts the sink when finished early, and refuses overflow and bad entries', async () => {
    const sink = memorySink();
    const w = createSafetensorsWriter(sink, entries);
    await w.write(payload.subarray(0, 10));
    await expect(w.finish()).rejects.toMatchObject({ code: 'writer-incomplete', message: expect.stringContaining('z.weight') });
    expect(sink.aborted).toBe(true);
    const w2 = createSafetensorsWriter(memorySink(), entries);
    await expect(w2.write(new Uint8Array(payload.length + 1))).rejects.toMatchObject({ code: 'writer-overflow' });
    expect(() => createSafetensorsWriter(memorySink(), [entries[0], entries[0]])).toThrow(SafetensorsError);
    expect(() => createSafetensorsWriter(memorySink(), [{ name: '__metadata__', dtype: 'F32', shape: [1] }])).toThrow(/reserved/);
    expect(() => createSafetensorsWriter(memorySink(), [{ name: 'a', dtype: 'F4', shape: [3] }])).toThrow(/whole number/);
  });
  it('keeps order when writes are not awaited one by one', async () => {
    const sink = memorySink();
    const w = createSafetensorsWriter(sink, entries);
    const pending: Promise<void>[] = [];
    for (let o = 0; o < payload.length; o += 5) pending.push(w.write(payload.subarray(o, o + 5)));
    await Promise.all([...pending, w.finish()]);
    const bytes = sink.bytes();
    expect(bytes.subarray(bytes.length - payload.length)).toEqual(payload);
    expect(parse(bytes).tensors.length).toBe(4);
  });
  it('writes a file with no tensors', async () => {
    const sink = memorySink();
    const w = createSafetensorsWriter(sink, []);
    await w.finish();
    expect(parse(sink.bytes()).tensors).toEqual([]);
  });
});
