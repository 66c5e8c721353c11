import 'fake-indexeddb/auto';
import { describe, it, expect } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { importFiles } from '../../src/store/import';
import { importFromSink } from '../../src/store/sink';
import { openLibraryModel } from '../../src/store/open';
import { exportSafetensors, exportShards, lineageFor, mergekitConfigFor, modelCardFor, META, blobSink } from '../../src/store/export';
import { kinshipCsv, lineageYaml } from '../../src/store/export-formats';
import { openSafetensors } from '../../src/core/checkpoint';
import { createSafetensorsWriter, readSafetensorsHeader } from '../../src/core/safetensors';
import { encodeFromF32 } from '../../src/core/dtype';
import { parseRecipe, type MergeRecipe } from '../../src/core/merge/recipe';
import type { Library } from '../../src/store/library';
import type { FloatDType } from '../../src/core/types';
import type { ModelManifest } from '../../src/store/manifest';
import { memorySink, memorySource } from '../helpers/fixtures';
import { freshLibrary, sortedKeys, tinyFile, tinyShards } from './store-helpers';
import { sha256Hex } from './hash';

/** A "merge" of a and b (their mean), streamed through importFromSink the way the engine writes. */
async function mergeInto(lib: Library, a: ModelManifest, b: ModelManifest, name: string, recipe: MergeRecipe, seed: number): Promise<ModelManifest> {
  const sa = await openLibraryModel(lib, a.id);
  const sb = await openLibraryModel(lib, b.id);
  const entries = sa.tensors().map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
  const sink = await importFromSink(lib, {
    name, recipe, seed,
    parents: [a, b].map((m) => ({ id: m.id, name: m.name, sha256: m.files.filter((f) => f.safetensors).map((f) => f.sha256), hfId: m.source.hfId, rev: m.source.rev })),
  });
  const w = createSafetensorsWriter(sink, entries, { format: 'pt' });
  for (const t of sa.tensors()) {
    const x = await sa.readF32(t.name, 0, t.numel);
    const y = await sb.readF32(t.name, 0, t.numel);
    await w.write(encodeFromF32(t.dtype as FloatDType, x.map((v, i) => (v + y[i]) / 2)));
  }
  await w.finish();
  return sink.manifest!;
}

const linear = (a: string, b: string): MergeRecipe => parseRecipe(`merge_method: linear\nmodels:\n  - model: ${a}\n    parameters: {weight: 0.5}\n  - model: ${b}\n    parameters: {weight: 0.5}\ndtype: float32\n`);

describe('exports', () => {
  it('a merged model lands through the sink and exports as valid safetensors with provenance metadata', async () => {
    const { lib } = freshLibrary(2048);
    const a = await importFiles(lib, [tinyFile(1).file], { name: 'alpha' });
    const b = await importFiles(lib, [tinyFile(2).file], { name: 'beta' });
    const merged = await mergeInto(lib, a, b, 'alpha-beta', linear(a.id, b.id), 42);
    expect(merged.source.kind).toBe('merge');
    expect(merged.parents!.map((p) => p.name)).toEqual(['alpha', 'beta']);

    const sink = memorySink();
    const n = await exportSafetensors(lib, merged.id, sink, { pieceBytes: 300 });
    expect(sink.closed).toBe(true);
    const bytes = sink.bytes();
    expect(bytes.length).toBe(n);
    const header = await readSafetensorsHeader(memorySource(bytes)); // the strict reader
    expect(header.metadata.format).toBe('pt');
    expect(header.metadata[META.seed]).toBe('42');
    expect(JSON.parse(header.metadata[META.recipe])).toEqual(linear(a.id, b.id));
    expect(header.metadata[META.recipeSha256]).toBe(sha256Hex(new TextEncoder().encode(header.metadata[META.recipe])));
    expect(JSON.parse(header.metadata[META.parents]).map((p: { sha256: string[] }) => p.sha256[0])).toEqual([a.files[0].sha256, b.files[0].sha256]);
    const re = await openSafetensors(memorySource(bytes), 'exported');
    const stored = await openLibraryModel(lib, merged.id);
    for (const t of stored.tensors()) expect(await re.readF32(t.name, 0, t.numel)).toEqual(await stored.readF32(t.name, 0, t.numel));
  });

  it('a sharded import exports as one valid file with the same tensors', async () => {
    const { lib } = freshLibrary(1024);
    const { files, model } = tinyShards(6, 3);
    const m = await importFiles(lib, files);
    const sink = blobSink();
    await exportSafetensors(lib, m.id, sink);
    const bytes = new Uint8Array(await sink.blob().arrayBuffer());
    const re = await openSafetensors(memorySource(bytes), 'x');
    for (const t of model.tensors) expect(await re.readF32(t.name, 0, t.values.length)).toEqual(t.values);
    expect(re.metadata()[META.recipe]).toBeUndefined();
  });

  it('exports as Hugging Face shards with an index that re-imports to the same model', async () => {
    const { lib } = freshLibrary(1024);
    const { file, model } = tinyFile(9);
    const m = await importFiles(lib, [file], { name: 'to-shard' });
    const out = new Map<string, ReturnType<typeof memorySink>>();
    const names = await exportShards(lib, m.id, async (name) => { const s = memorySink(); out.set(name, s); return s; }, 1200);
    expect(names.at(-1)).toBe('model.safetensors.index.json');
    expect(names.length).toBeGreaterThan(3);
    expect(names.slice(0, -1).every((n, i) => n === `model-${String(i + 1).padStart(5, '0')}-of-${String(names.length - 1).padStart(5, '0')}.safetensors`)).toBe(true);
    for (const n of names.slice(0, -1)) {
      const h = await readSafetensorsHeader(memorySource(out.get(n)!.bytes()));
      expect(h.tensors.reduce((s, t) => s + t.byteLength, 0) <= 1200 || h.tensors.length === 1).toBe(true);
      expect(h.metadata[META.name]).toBe('to-shard');
    }
    const again = await importFiles(lib, names.map((n) => ({ name: n, blob: new Blob([out.get(n)!.bytes() as Uint8Array<ArrayBuffer>]) })), { name: 'reimported' });
    const src = await openLibraryModel(lib, again.id);
    for (const t of model.tensors) expect(await src.readF32(t.name, 0, t.values.length)).toEqual(t.values);
    await expect(exportShards(lib, m.id, async () => memorySink(), 0)).rejects.toMatchObject({ code: 'bad-shard-size' });
  });

  it('a sink that is aborted, or closed short, leaves the library as it was', async () => {
    const { lib, kv } = freshLibrary(512);
    const before = await sortedKeys(kv);
    const s1 = await importFromSink(lib, { name: 'x' });
    await s1.write(new Uint8Array(2000));
    await s1.abort();
    expect(await sortedKeys(kv)).toEqual(before);
    const { bytes } = tinyFile(3);
    const s2 = await importFromSink(lib, { name: 'y', expectedBytes: bytes.length });
    await s2.write(bytes.subarray(0, 1500));
    await expect(s2.close()).rejects.toMatchObject({ code: 'truncated' });
    const s3 = await importFromSink(lib, { name: 'z' });
    await s3.write(bytes.subarray(0, bytes.length - 4));
    await expect(s3.close()).rejects.toMatchObject({ name: 'ImportError', code: 'malformed-output' });
    expect(await sortedKeys(kv)).toEqual(before);
    const s4 = await importFromSink(lib, { name: 'ok' });
    await s4.write(bytes);
    await s4.close();
    expect(s4.manifest!.files[0].sha256).toBe(sha256Hex(bytes));
  });

  it('mergekit_config.yml and the model card name the parents as the Hub knows them, and parse back to the recipe', async () => {
    const { lib, kv } = freshLibrary(4096);
    const a = await importFiles(lib, [tinyFile(1).file], { name: 'alpha' });
    const b = await importFiles(lib, [tinyFile(2).file], { name: 'beta' });
    // Pretend alpha came from the Hub at a pinned revision.
    await kv.set(`model:${a.id}`, { ...a, source: { ...a.source, kind: 'hf', hfId: 'acme/alpha', rev: 'abc123' } });
    const a2 = (await lib.get(a.id))!;
    const merged = await mergeInto(lib, a2, b, 'alpha-beta', linear(a.id, b.id), 7);
    const yml = await mergekitConfigFor(lib, merged.id);
    expect(parseRecipe(yml)).toEqual(linear('acme/alpha@abc123', 'beta'));

    const card = await modelCardFor(lib, merged.id, ['kinship (pcc) alpha~beta: 0.91']);
    const m = /^---\n([\s\S]*?)\n---\n/.exec(card)!;
    expect(parseYaml(m[1])).toEqual({ base_model: ['acme/alpha@abc123', 'beta'], base_model_relation: 'merge', library_name: 'transformers', tags: ['mergekit', 'merge', 'kinmerge'] });
    const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(card)![1];
    expect(parseRecipe(yamlBlock)).toEqual(linear('acme/alpha@abc123', 'beta'));
    expect(card).toContain(a.files[0].sha256);
    expect(card).toContain('Random seed: 7');
    await expect(mergekitConfigFor(lib, b.id)).rejects.toMatchObject({ code: 'not-a-merge' });
  });

  it('a lineage exports as mergekit-multi YAML: stages in dependency order, referenced by name', async () => {
    const { lib } = freshLibrary(4096);
    const a = await importFiles(lib, [tinyFile(1).file], { name: 'alpha' });
    const b = await importFiles(lib, [tinyFile(2).file], { name: 'beta' });
    const c = await importFiles(lib, [tinyFile(3).file], { name: 'gamma' });
    const ab = await mergeInto(lib, a, b, 'gen1 merge', linear(a.id, b.id), 1);
    const abc = await mergeInto(lib, ab, c, 'gen2', linear(ab.id, c.id), 2);
    const docs = parseAllDocuments(await lineageFor(lib, abc.id)).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs.map((d) => d.name)).toEqual(['gen1-merge', 'gen2']);
    const recipes = docs.map(({ name: _n, ...rest }) => parseRecipe(rest));
    expect(recipes[0]).toEqual(linear('alpha', 'beta'));
    expect(recipes[1]).toEqual(linear('gen1-merge', 'gamma'));
    const cyc = [{ id: 'x', name: 'x', recipe: linear('y', 'p') }, { id: 'y', name: 'y', recipe: linear('x', 'q') }];
    expect(() => lineageYaml(cyc, (id) => id)).toThrow(/cycle/);
  });

  it('kinship CSV: ids as header and index, N+1 rows of N+1 cells', () => {
    const ids = ['org/a', 'b,with comma', 'c'];
    const csv = kinshipCsv(ids, [[1, 0.5, 0.25], [0.5, 1, -0.125], [0.25, -0.125, 1]]);
    const rows = csv.trim().split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[0]).toBe(',org/a,"b,with comma",c');
    expect(rows[2]).toBe('"b,with comma",0.5,1,-0.125');
    expect(() => kinshipCsv(ids, [[1]])).toThrow(/3x3/);
  });
});
