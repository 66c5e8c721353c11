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
import { BlobByteSource, preflightFiles } from '../../src/store/preflight';
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

describe('library on real IndexedDB (Chromium)', () => {
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
