import 'fake-indexeddb/auto';
import { describe, it, expect } from 'vitest';
import { importFiles } from '../../src/store/import';
import { openLibraryModel } from '../../src/store/open';
import { Library } from '../../src/store/library';
import { StoreError } from '../../src/store/errors';
import { freshLibrary, sortedKeys, tinyFile, tinyShards } from './store-helpers';
import { sha256Hex } from './hash';

describe('library', () => {
  it('imports a single file in chunks, lists, renames, reports use, deletes', async () => {
    const { lib, kv } = freshLibrary(1000);
    const { file, bytes, model } = tinyFile(3);
    const m = await importFiles(lib, [file]);
    expect(m.name).toBe('model');
    expect(m.files).toHaveLength(1);
    expect(m.files[0].bytes).toBe(bytes.length);
    expect(m.files[0].chunks).toBe(Math.ceil(bytes.length / 1000));
    expect(m.files[0].sha256).toBe(sha256Hex(bytes));
    expect(m.params).toBe(model.tensors.reduce((s, t) => s + t.values.length, 0));
    expect(Object.keys(m.tensorIndex)).toEqual(model.tensors.map((t) => t.name));
    const keys = await sortedKeys(kv);
    expect(keys.filter((k) => k.startsWith('chunk:'))).toHaveLength(m.files[0].chunks);
    expect(keys.filter((k) => k.startsWith('pending:'))).toEqual([]);

    expect((await lib.list()).map((x) => x.id)).toEqual([m.id]);
    expect((await lib.findByHash(sha256Hex(bytes).toUpperCase())).map((x) => x.id)).toEqual([m.id]);
    expect(await lib.findByHash('00')).toEqual([]);
    await lib.rename(m.id, '  tiny-3 ');
    expect((await lib.get(m.id))!.name).toBe('tiny-3');
    await expect(lib.rename(m.id, ' ')).rejects.toThrow(StoreError);
    expect(await lib.usage()).toEqual({ models: [{ id: m.id, name: 'tiny-3', bytes: bytes.length }], totalBytes: bytes.length });

    await lib.delete(m.id);
    expect(await kv.keys()).toEqual([]);
    await expect(lib.delete(m.id)).rejects.toMatchObject({ code: 'model-not-found' });
  });

  it('streams any tensor range from chunks, equal to the file', async () => {
    const { lib } = freshLibrary(777); // chunk boundaries fall inside tensors
    const { file, model } = tinyFile(5);
    const m = await importFiles(lib, [file]);
    const src = await openLibraryModel(lib, m.id);
    for (const t of model.tensors) {
      expect(await src.readF32(t.name, 0, t.values.length)).toEqual(t.values);
      const mid = Math.floor(t.values.length / 3);
      expect(await src.readF32(t.name, mid, t.values.length - mid)).toEqual(t.values.subarray(mid));
    }
    const whole = await lib.fileSource(m.id, 0);
    const direct = new Uint8Array(await file.blob.arrayBuffer());
    expect(await whole.read(500, 1600)).toEqual(direct.subarray(500, 2100));
    await expect(whole.read(whole.size - 1, 2)).rejects.toMatchObject({ code: 'range-outside-file' });
  });

  it('imports shards with their index and config, and opens them as one model', async () => {
    const { lib } = freshLibrary(512);
    const { files, model } = tinyShards(7, 3);
    const m = await importFiles(lib, files);
    expect(m.config).toMatchObject({ model_type: 'llama' });
    expect(m.files.map((f) => f.name).sort()).toEqual(files.map((f) => f.name).sort());
    const src = await openLibraryModel(lib, m.id);
    expect(src.tensors().map((t) => t.name).sort()).toEqual(model.tensors.map((t) => t.name).sort());
    for (const t of model.tensors) expect(await src.readF32(t.name, 0, t.values.length)).toEqual(t.values);
  });

  it('imports a picked folder: top level only, other formats skipped, named after the folder', async () => {
    const { lib } = freshLibrary(4096);
    const { files } = tinyShards(8, 2);
    const folder = files.map((f) => ({ ...f, path: `my-llama/${f.name}` }));
    folder.push({ name: 'pytorch_model.bin', blob: new Blob(['x']), path: 'my-llama/pytorch_model.bin' });
    folder.push({ name: 'model.onnx', blob: new Blob(['x']), path: 'my-llama/onnx/model.onnx' });
    const m = await importFiles(lib, folder);
    expect(m.name).toBe('my-llama');
    expect(m.skipped.sort()).toEqual(['my-llama/onnx/model.onnx', 'my-llama/pytorch_model.bin']);
    expect(m.source.files).toContain('config.json');
  });

  it('refuses shards without the rest of the set, and leaves the library as it was', async () => {
    const { lib, kv } = freshLibrary();
    await importFiles(lib, [tinyFile(1).file]);
    const before = await sortedKeys(kv);
    const { files } = tinyShards(9, 3);
    const noIndex = files.filter((f) => f.name.includes('-00001-') || f.name.includes('-00002-'));
    await expect(importFiles(lib, noIndex)).rejects.toMatchObject({ name: 'ImportError', code: 'missing-shard' });
    const withIndex = files.filter((f) => !f.name.includes('-00003-'));
    await expect(importFiles(lib, withIndex)).rejects.toMatchObject({ code: 'missing-shard', message: expect.stringContaining('00003') });
    await expect(importFiles(lib, [{ name: 'notes.txt', blob: new Blob(['hi']) }])).rejects.toMatchObject({ code: 'no-safetensors' });
    expect(await sortedKeys(kv)).toEqual(before);
  });

  it('a new handle on the same database (a reload) finds the models', async () => {
    const { lib, db } = freshLibrary();
    const a = await importFiles(lib, [tinyFile(1).file], { name: 'a' });
    const b = await importFiles(lib, tinyShards(2).files, { name: 'b' });
    const { idbStore } = await import('../../src/store/kv');
    const again = new Library(idbStore(db));
    expect((await again.list()).map((m) => m.name)).toEqual(['a', 'b']);
    expect((await again.sweepOrphans()).removedKeys).toBe(0);
    const src = await openLibraryModel(again, b.id);
    expect(src.tensors().length).toBeGreaterThan(0);
    expect((await again.get(a.id))!.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
