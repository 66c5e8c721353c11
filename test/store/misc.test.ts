import 'fake-indexeddb/auto';
import { describe, it, expect, vi, afterEach } from 'vitest';
import { importFiles, filesFromDataTransfer } from '../../src/store/import';
import { importFromSink } from '../../src/store/sink';
import { exportSafetensors } from '../../src/store/export';
import { quotaError, requestPersist, storageStatus } from '../../src/store/quota';
import { Library } from '../../src/store/library';
import { CancelledError } from '../../src/core/errors';
import { memorySink } from '../helpers/fixtures';
import { freshLibrary, quotaAfter, sortedKeys, tinyFile, tinyShards } from './store-helpers';

afterEach(() => { vi.unstubAllGlobals(); });

describe('quota', () => {
  it('reports estimate and persistence where the browser has them, nothing in Node', async () => {
    expect(await storageStatus()).toEqual({ usage: undefined, quota: undefined, persisted: undefined });
    expect(await requestPersist()).toBe(false);
    vi.stubGlobal('navigator', { storage: { estimate: async () => ({ usage: 5 << 20, quota: 100 << 20 }), persisted: async () => false, persist: async () => true } });
    expect(await storageStatus()).toEqual({ usage: 5 << 20, quota: 100 << 20, persisted: false });
    expect(await requestPersist()).toBe(true);
  });

  it('names the largest models that would free the space needed, with the browser figures', async () => {
    const { lib } = freshLibrary(4096);
    const small = await importFiles(lib, [tinyFile(1).file], { name: 'small' });
    const large = await importFiles(lib, tinyShards(2, 2).files, { name: 'large' });
    vi.stubGlobal('navigator', { storage: { estimate: async () => ({ usage: 99 << 20, quota: 100 << 20 }) } });
    const e = await quotaError(lib, new DOMException('x', 'QuotaExceededError'), '"new"', large.bytes);
    expect(e.suggestions.map((s) => s.name)).toEqual(['large']);
    expect(e.message).toMatch(/allows 100\.0 MiB and 99\.0 MiB is in use.*"large"/);
    const all = await quotaError(lib, null, '"new"', large.bytes + small.bytes);
    expect(all.suggestions.map((s) => s.name)).toEqual(['large', 'small']);
    const { lib: empty } = freshLibrary();
    expect((await quotaError(empty, null, '"x"')).message).toMatch(/library is empty/);
  });

  it('quota exceeded when the manifest is written (the last step) still leaves nothing behind', async () => {
    const { kv, lib: plain } = freshLibrary(4096);
    await importFiles(plain, [tinyFile(1).file], { name: 'kept' });
    const before = await sortedKeys(kv);
    const { bytes } = tinyFile(5);
    // Enough room for the marker and the chunks, not for the manifest.
    const lib = new Library(quotaAfter(kv, bytes.length + 200), { chunkBytes: 4096 });
    await expect(importFiles(lib, [{ name: 'm.safetensors', blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) }])).rejects.toMatchObject({ name: 'QuotaError' });
    expect(await sortedKeys(kv)).toEqual(before);
  });
});

describe('sweep, cancel, folders', () => {
  it('the sweep leaves an import in flight in this page alone', async () => {
    const { lib, kv } = freshLibrary(512);
    const sink = await importFromSink(lib, { name: 'in flight' });
    await sink.write(new Uint8Array(3000));
    expect((await lib.sweepOrphans()).removedKeys).toBe(0);
    expect((await kv.keys()).filter((k) => k.startsWith('chunk:'))).toHaveLength(5);
    await sink.abort();
    expect(await kv.keys()).toEqual([]);
  });

  it('a marker left by a commit that died after the manifest is tidied, the model kept', async () => {
    const { lib, kv } = freshLibrary(512);
    const m = await importFiles(lib, [tinyFile(2).file]);
    const keys = await sortedKeys(kv);
    await kv.set(`pending:${m.id}`, { id: m.id, name: m.name, started: 0 });
    const r = await lib.sweepOrphans();
    expect(r).toEqual({ ids: [], removedKeys: 1 });
    expect(await sortedKeys(kv)).toEqual(keys);
    expect((await lib.open(m.id)).tensors().length).toBe(Object.keys(m.tensorIndex).length);
  });

  it('cancelling a local file import and an export', async () => {
    const { lib, kv } = freshLibrary(512);
    const before = await sortedKeys(kv);
    const ac = new AbortController();
    const p = importFiles(lib, tinyShards(3, 2).files, { signal: ac.signal, onProgress: (e) => { if (e.done > 2000) ac.abort(); } });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(await sortedKeys(kv)).toEqual(before);

    const m = await importFiles(lib, [tinyFile(1).file]);
    const sink = memorySink();
    const ex = new AbortController();
    await expect(exportSafetensors(lib, m.id, sink, { signal: ex.signal, pieceBytes: 64, onProgress: (e) => { if (e.done > 500) ex.abort(); } })).rejects.toBeInstanceOf(CancelledError);
    expect(sink.aborted).toBe(true);
  });

  it('a sink fed in 7-byte pieces (header split across writes and chunks) stores the same file', async () => {
    const { lib } = freshLibrary(100);
    const { bytes, model } = tinyFile(6);
    const sink = await importFromSink(lib, { name: 'pieces', expectedBytes: bytes.length });
    for (let o = 0; o < bytes.length; o += 7) await sink.write(bytes.subarray(o, o + 7));
    await sink.close();
    const src = await lib.open(sink.id);
    for (const t of model.tensors) expect(await src.readF32(t.name, 0, t.values.length)).toEqual(t.values);
    const file = await lib.fileSource(sink.id, 0);
    expect(await file.read(0, bytes.length)).toEqual(bytes);
  });

  it('a stored chunk that went missing is a named error on read', async () => {
    const { lib, kv } = freshLibrary(512);
    const m = await importFiles(lib, [tinyFile(1).file]);
    await kv.del(`chunk:${m.id}:0:1`);
    const src = await lib.fileSource(m.id, 0);
    await expect(src.read(500, 100)).rejects.toMatchObject({ name: 'StoreError', code: 'chunk-missing' });
  });

  it('walks dropped folders (FileSystemEntry API) into paths importFiles understands', async () => {
    const { files } = tinyShards(4, 2);
    type Entry = { name: string; isFile: boolean; isDirectory: boolean; file?: (ok: (f: File) => void) => void; createReader?: () => { readEntries: (ok: (e: Entry[]) => void) => void } };
    const fileEntry = (f: { name: string; blob: Blob }): Entry => ({ name: f.name, isFile: true, isDirectory: false, file: (ok) => ok(new File([f.blob], f.name)) });
    const dir = (name: string, children: Entry[]): Entry => {
      let served = false;
      // Two batches then an empty one, as Chromium returns at most ~100 entries per call.
      const batches = [children.slice(0, 2), children.slice(2)];
      return { name, isFile: false, isDirectory: true, createReader: () => ({ readEntries: (ok) => { ok(served ? batches.splice(0, 1)[0] ?? [] : (served = true, batches.splice(0, 1)[0])); } }) };
    };
    const root = dir('dropped-model', [...files.map(fileEntry), dir('onnx', [fileEntry({ name: 'model.onnx', blob: new Blob(['x']) })])]);
    const dt = { items: [{ webkitGetAsEntry: () => root }], files: [] } as unknown as DataTransfer;
    const named = await filesFromDataTransfer(dt);
    expect(named.map((f) => f.path).sort()).toEqual([...files.map((f) => `dropped-model/${f.name}`), 'dropped-model/onnx/model.onnx'].sort());
    const { lib } = freshLibrary(4096);
    const m = await importFiles(lib, named);
    expect(m.name).toBe('dropped-model');
    expect(m.skipped).toEqual(['dropped-model/onnx/model.onnx']);
  });
});
