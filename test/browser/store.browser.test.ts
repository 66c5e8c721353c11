/**
 * The library on Chromium's real IndexedDB: file and shard imports, a URL import with progress,
 * a reload-equivalent (a new store handle) that finds the models, and an export.
 */
import { describe, it, expect } from 'vitest';
import { encodeSafetensors, readSafetensorsHeader } from '../../src/core/safetensors';
import { openSafetensors } from '../../src/core/checkpoint';
import { Library } from '../../src/store/library';
import { idbStore } from '../../src/store/kv';
import { importFiles, importFromUrl } from '../../src/store/import';
import { openLibraryModel } from '../../src/store/open';
import { blobSink, exportSafetensors } from '../../src/store/export';
import { BlobByteSource, preflightFiles, preflightUrl } from '../../src/store/preflight';
import { storageStatus } from '../../src/store/quota';
import type { Progress } from '../../src/core/types';

const db = `kinmerge-browser-${Date.now()}`;

function tensor(name: string, shape: number[], seed: number) {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13) % 101) / 64 - 0.75);
  return { name, dtype: 'F32' as const, shape, data: new Uint8Array(values.buffer), values };
}
const layer = (i: number, seed: number) => [tensor(`model.layers.${i}.mlp.weight`, [64, 32], seed + i), tensor(`model.layers.${i}.norm.weight`, [32], seed + i)];
const model = (seed: number) => [tensor('model.embed_tokens.weight', [100, 32], seed), ...layer(0, seed), ...layer(1, seed)];
const file = (ts: ReturnType<typeof tensor>[]) => new Blob([encodeSafetensors(ts, { format: 'pt' }) as Uint8Array<ArrayBuffer>]);

/**
 * A fetch that serves Blobs the way an HTTP server with Range support does (206 + Content-Range),
 * built on the browser's own Response and streams: the browser tests cannot start a server.
 */
function rangeFetch(files: Record<string, Blob>, log: string[]): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const blob = files[url];
    const range = new Headers(init?.headers).get('range');
    log.push(range ?? 'full');
    if (!blob) return new Response('not found', { status: 404 });
    const m = range ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
    if (!m) return new Response(blob.stream(), { status: 200, headers: { 'Content-Length': String(blob.size) } });
    const a = Number(m[1]), b = Math.min(Number(m[2]) + 1, blob.size);
    return new Response(blob.slice(a, b).stream(), { status: 206, headers: { 'Content-Range': `bytes ${a}-${b - 1}/${blob.size}`, 'Content-Length': String(b - a) } });
  }) as typeof fetch;
}

describe('library on real IndexedDB (Chromium)', () => {
  it('preflight of a served URL reads the header by Range before any weights; then the import streams it', async () => {
    const lib = new Library(idbStore(`${db}-url`), { chunkBytes: 2048 });
    const weights = model(4);
    const blob = file(weights);
    const log: string[] = [];
    const f = rangeFetch({ 'https://models.test/acme/m/resolve/main/model.safetensors': blob }, log);
    const url = 'https://models.test/acme/m/resolve/main/model.safetensors';
    const pre = await preflightUrl(url, { fetch: f });
    expect(pre.tensors.map((t) => t.name)).toEqual(weights.map((t) => t.name));
    expect(pre.bytesRead).toBeLessThan(blob.size / 10);
    expect(log.every((r) => r.startsWith('bytes=0-'))).toBe(true);
    const events: Progress[] = [];
    const m = await importFromUrl(lib, url, { fetch: f, onProgress: (p) => events.push(p) });
    const imports = events.filter((e) => e.phase === 'import');
    expect(imports.at(-1)).toMatchObject({ done: blob.size, total: blob.size });
    const src = await openLibraryModel(lib, m.id);
    for (const t of weights) expect(await src.readF32(t.name, 0, t.values.length)).toEqual(t.values);
    await lib.delete(m.id);
  });

  it('imports a file, shards and a URL; a new handle finds them; a model exports and re-reads', async () => {
    const lib = new Library(idbStore(db), { chunkBytes: 4096 });
    await lib.sweepOrphans();
    const single = model(1);
    const a = await importFiles(lib, [new File([file(single)], 'alpha.safetensors')]);
    expect(a.name).toBe('alpha');

    const shardModel = model(2);
    const s1 = shardModel.slice(0, 2), s2 = shardModel.slice(2);
    const weightMap = Object.fromEntries([...s1.map((t) => [t.name, 'model-00001-of-00002.safetensors']), ...s2.map((t) => [t.name, 'model-00002-of-00002.safetensors'])]);
    const shards = [
      new File([file(s1)], 'model-00001-of-00002.safetensors'),
      new File([file(s2)], 'model-00002-of-00002.safetensors'),
      new File([JSON.stringify({ metadata: {}, weight_map: weightMap })], 'model.safetensors.index.json'),
      new File([JSON.stringify({ model_type: 'llama' })], 'config.json'),
    ];
    const pre = await preflightFiles(shards);
    expect(pre.params).toBe(shardModel.reduce((s, t) => s + t.values.length, 0));
    const b = await importFiles(lib, shards, { name: 'beta' });
    expect(b.config).toEqual({ model_type: 'llama' });

    // A URL import (a blob: URL stands in for a server: fetch streams its body the same way).
    const url = URL.createObjectURL(file(model(3)));
    const events: Progress[] = [];
    const c = await importFromUrl(lib, url, { name: 'gamma', onProgress: (p) => events.push(p) });
    URL.revokeObjectURL(url);
    expect(events.filter((e) => e.phase === 'import').at(-1)!.done).toBe(c.bytes);

    // "Reload": a new handle on the same database.
    const again = new Library(idbStore(db));
    expect((await again.sweepOrphans()).removedKeys).toBe(0);
    expect((await again.list()).map((m) => m.name)).toEqual(['alpha', 'beta', 'gamma']);
    const src = await openLibraryModel(again, b.id);
    for (const t of shardModel) expect(await src.readF32(t.name, 0, t.values.length)).toEqual(t.values);

    const sink = blobSink();
    await exportSafetensors(again, a.id, sink);
    const out = sink.blob();
    const header = await readSafetensorsHeader(new BlobByteSource(out));
    expect(header.metadata).toMatchObject({ format: 'pt', kinmerge_name: 'alpha' });
    const re = await openSafetensors(new BlobByteSource(out), 'exported');
    for (const t of single) expect(await re.readF32(t.name, 0, t.values.length)).toEqual(t.values);

    const st = await storageStatus();
    expect(st.quota).toBeGreaterThan(0);
    for (const m of await again.list()) await again.delete(m.id);
    expect(await idbStore(db).keys()).toEqual([]);
  });
});
