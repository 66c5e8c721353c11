import 'fake-indexeddb/auto';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { importFiles, importFromHub, importFromUrl } from '../../src/store/import';
import { openLibraryModel } from '../../src/store/open';
import { Library } from '../../src/store/library';
import { idbStore } from '../../src/store/kv';
import { CancelledError } from '../../src/core/errors';
import type { Progress } from '../../src/core/types';
import { startRangeServer, type RangeServer } from '../helpers/range-server';
import { freshLibrary, quotaAfter, sortedKeys, tinyFile, tinyShards } from './store-helpers';
import { sha256Hex } from './hash';
import { makeTinyLlama, toSafetensors } from '../helpers/fixtures';

let server: RangeServer;
beforeAll(async () => { server = await startRangeServer(); });
afterAll(async () => { await server.close(); });

/** A library that already holds one model, and its key set, to compare after a failed import. */
async function withOneModel(chunkBytes = 1024) {
  const f = freshLibrary(chunkBytes);
  await importFiles(f.lib, [tinyFile(1).file], { name: 'kept' });
  return { ...f, before: await sortedKeys(f.kv) };
}

const big = toSafetensors(makeTinyLlama({ seed: 11, hidden: 64, layers: 2, vocab: 64 })); // ~330 KB

describe('imports from URLs', () => {
  it('streams a URL with byte progress and the content hash', async () => {
    const { lib } = freshLibrary(16 * 1024);
    const url = server.put('/files/big.safetensors', big);
    const events: Progress[] = [];
    const m = await importFromUrl(lib, url, { onProgress: (p) => events.push(p) });
    expect(m.name).toBe('big');
    expect(m.source).toMatchObject({ kind: 'url', url });
    expect(m.files[0].sha256).toBe(sha256Hex(big));
    const imports = events.filter((e) => e.phase === 'import');
    expect(imports.length).toBeGreaterThan(2);
    expect(imports.every((e) => e.total === big.length && e.unit === 'bytes')).toBe(true);
    expect(imports.map((e) => e.done)).toEqual([...imports.map((e) => e.done)].sort((a, b) => a - b));
    expect(imports.at(-1)!.done).toBe(big.length);
  });

  it('resolves Hub ids org/name@rev to resolve URLs, single-file and sharded', async () => {
    const { lib } = freshLibrary(4096);
    const { bytes } = tinyFile(4);
    server.putHub('acme/tiny', 'v1', 'model.safetensors', bytes);
    server.putHub('acme/tiny', 'v1', 'config.json', new TextEncoder().encode('{"model_type":"llama"}'));
    const single = await importFromHub(lib, 'acme/tiny@v1', { baseUrl: server.baseUrl });
    expect(single.source).toMatchObject({ kind: 'hf', hfId: 'acme/tiny', rev: 'v1' });
    expect(single.files.map((f) => f.name).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(single.files.find((f) => f.name === 'model.safetensors')!.sha256).toBe(sha256Hex(bytes));
    expect(single.config).toEqual({ model_type: 'llama' });

    const { parts, model } = tinyShards(5, 2);
    for (const [name, b] of parts) server.putHub('acme/sharded', 'main', name, b);
    const sharded = await importFromHub(lib, 'acme/sharded', { baseUrl: server.baseUrl });
    expect(sharded.source.rev).toBe('main');
    const src = await openLibraryModel(lib, sharded.id);
    for (const t of model.tensors) expect(await src.readF32(t.name, 0, t.values.length)).toEqual(t.values);

    await expect(importFromHub(lib, 'acme/missing', { baseUrl: server.baseUrl })).rejects.toMatchObject({ name: 'NetworkError', code: 'not-found' });
    await expect(importFromHub(lib, 'not a model id', { baseUrl: server.baseUrl })).rejects.toMatchObject({ code: 'bad-hub-id' });
    expect((await lib.list()).length).toBe(2);
  });
});

describe('every fault leaves the library exactly as before', () => {
  it('cancel mid-download', async () => {
    const { lib, kv, before } = await withOneModel();
    const url = server.put('/slow.safetensors', big, { delayMs: 5 });
    const ac = new AbortController();
    const p = importFromUrl(lib, url, { signal: ac.signal, onProgress: (e) => { if (e.done > 100_000) ac.abort(); } });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    await expect(p).rejects.toThrow(/cancelled; nothing was kept/);
    expect(await sortedKeys(kv)).toEqual(before);
  });

  it('quota exceeded mid-import: a QuotaError naming what to delete', async () => {
    const { lib: first, kv, before, db } = await withOneModel();
    const lib = new Library(quotaAfter(kv, 50_000), { chunkBytes: 4096 });
    const err = await importFromUrl(lib, server.put('/q.safetensors', big)).catch((e) => e);
    expect(err).toMatchObject({ name: 'QuotaError', code: 'quota-exceeded' });
    expect(err.message).toMatch(/Not enough storage for "q".*Delete a model to make room, e.g. "kept"/);
    expect(err.suggestions.map((s: { name: string }) => s.name)).toEqual(['kept']);
    expect(await sortedKeys(kv)).toEqual(before);
    expect(first).toBeDefined();
    expect(db).toBeTruthy();
  });

  it('a dropped connection is resumed with Range (+ If-Range) and the hash still matches', async () => {
    const { lib } = freshLibrary(4096);
    const url = server.put('/resume.safetensors', big, { dropAfter: 150_000 });
    const from = server.log.length;
    const m = await importFromUrl(lib, url, { backoffMs: 5 });
    expect(m.files[0].sha256).toBe(sha256Hex(big));
    expect(server.log.slice(from).map((r) => r.range).filter((r) => r?.endsWith('-') && r !== 'bytes=0-')).toEqual(['bytes=150000-', 'bytes=300000-']);
  });

  it('connection dropped mid-download, for good', async () => {
    const { lib, kv, before } = await withOneModel();
    const url = server.put('/drop.safetensors', big, { dropAfter: 150_000 });
    const err = await importFromUrl(lib, url, { retries: 0 }).catch((e) => e);
    expect(err).toMatchObject({ name: 'NetworkError', code: 'connection-lost' });
    expect(err.message).toMatch(/broke off after \d+ of \d+ bytes.*try again/);
    const again = await importFromUrl(lib, server.put('/drop2.safetensors', big, { dropAfter: 50_000 }), { retries: 2, backoffMs: 5 }).catch((e) => e);
    expect(again).toMatchObject({ name: 'NetworkError', code: 'connection-lost' });
    expect(await sortedKeys(kv)).toEqual(before);
  });

  it('a server that cannot resume (ignores Range) fails clearly', async () => {
    const { lib, kv, before } = await withOneModel();
    const url = server.put('/norange.safetensors', big, { dropAfter: 100_000, ignoreRange: true });
    await expect(importFromUrl(lib, url, { backoffMs: 5 })).rejects.toMatchObject({ name: 'NetworkError', code: 'cannot-resume', message: expect.stringMatching(/would not send the rest/) });
    expect(await sortedKeys(kv)).toEqual(before);
  });

  it('a wrong Content-Length (more announced than sent)', async () => {
    const { lib, kv, before } = await withOneModel();
    const url = server.put('/cl.safetensors', big, { contentLength: big.length + 1000 });
    // The header is checked against the announced size as soon as it arrives: caught before the weights.
    await expect(importFromUrl(lib, url, { backoffMs: 5 })).rejects.toMatchObject({ name: 'ImportError', code: 'size-mismatch', message: expect.stringMatching(/header does not fit its size.*wrong length/) });
    expect(await sortedKeys(kv)).toEqual(before);
  });

  it('a truncated file on the server, a truncated local file, a malformed header', async () => {
    const { lib, kv, before } = await withOneModel();
    const url = server.put('/trunc.safetensors', big, { truncateTo: big.length - 10 });
    await expect(importFromUrl(lib, url)).rejects.toMatchObject({ name: 'ImportError', code: 'size-mismatch', message: expect.stringMatching(/trunc\.safetensors: its header does not fit its size/) });
    const cut = { name: 'cut.safetensors', blob: new Blob([big.subarray(0, 5000) as Uint8Array<ArrayBuffer>]) };
    await expect(importFiles(lib, [cut])).rejects.toMatchObject({ code: 'size-mismatch' });
    const junk = new Uint8Array(4096).fill(0x41);
    await expect(importFiles(lib, [{ name: 'junk.safetensors', blob: new Blob([junk]) }])).rejects.toMatchObject({ code: 'malformed-file', message: expect.stringMatching(/header/) });
    const badJson = new Uint8Array(24);
    new DataView(badJson.buffer).setUint32(0, 16, true);
    badJson.set(new TextEncoder().encode('{"a": broken!!!}'), 8);
    await expect(importFiles(lib, [{ name: 'bad.safetensors', blob: new Blob([badJson]) }])).rejects.toMatchObject({ code: 'malformed-file' });
    expect(await sortedKeys(kv)).toEqual(before);
  });

  it('a Hub shard that breaks off after the first shard was stored: both shards are removed', async () => {
    const { lib, kv, before } = await withOneModel();
    const { parts } = tinyShards(12, 2);
    for (const [name, b] of parts) {
      server.putHub('acme/flaky', 'main', name, b, name.includes('-00002-') ? { dropAfter: 100 } : {});
    }
    const err = await importFromHub(lib, 'acme/flaky', { baseUrl: server.baseUrl, backoffMs: 5 }).catch((e) => e);
    expect(err).toMatchObject({ name: 'NetworkError', code: 'connection-lost', message: expect.stringContaining('model-00002-of-00002.safetensors') });
    expect(await sortedKeys(kv)).toEqual(before);
  });

  it('two imports at once do not disturb each other', async () => {
    const { lib } = freshLibrary(512);
    const [a, b] = await Promise.all([
      importFromUrl(lib, server.put('/par/a.safetensors', big)),
      importFiles(lib, tinyShards(13, 2).files, { name: 'b' }),
    ]);
    expect(a.files[0].sha256).toBe(sha256Hex(big));
    expect((await lib.list()).map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
    expect((await lib.sweepOrphans()).removedKeys).toBe(0);
  });

  it('a server error and a missing file', async () => {
    const { lib, kv, before } = await withOneModel();
    await expect(importFromUrl(lib, server.put('/e500.safetensors', big, { status: 500 }))).rejects.toMatchObject({ code: 'http-status', status: 500 });
    await expect(importFromUrl(lib, `${server.baseUrl}/nope.safetensors`)).rejects.toMatchObject({ code: 'not-found' });
    expect(await sortedKeys(kv)).toEqual(before);
  });

  it('a reload during import: the abandoned chunks are swept at the next start-up', async () => {
    const { kv, before, db } = await withOneModel();
    // The "page" dies after its third chunk: later writes never settle, nothing is cleaned up.
    let puts = 0;
    let died!: () => void;
    const dead = new Promise<void>((r) => { died = r; });
    const dying = { ...kv, set: (k: string, v: unknown) => (++puts > 4 ? (died(), new Promise<void>(() => {})) : kv.set(k, v)) };
    const doomed = new Library(dying, { chunkBytes: 4096 });
    void importFromUrl(doomed, server.put('/reload.safetensors', big)).catch(() => undefined);
    await dead;
    const during = await sortedKeys(kv);
    expect(during.some((k) => k.startsWith('pending:'))).toBe(true);
    expect(during.filter((k) => k.startsWith('chunk:')).length).toBeGreaterThan(before.filter((k) => k.startsWith('chunk:')).length);

    const reloaded = new Library(idbStore(db));
    expect((await reloaded.list()).map((m) => m.name)).toEqual(['kept']); // never half a model
    const swept = await reloaded.sweepOrphans();
    expect(swept.ids).toHaveLength(1);
    expect(await sortedKeys(kv)).toEqual(before);
  });
});
