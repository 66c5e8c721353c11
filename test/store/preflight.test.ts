import 'fake-indexeddb/auto';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { preflightFiles, preflightHub, preflightLibrary, preflightUrl } from '../../src/store/preflight';
import { compareModels } from '../../src/store/compat';
import { importFiles } from '../../src/store/import';
import { startRangeServer, type RangeServer } from '../helpers/range-server';
import { makeTinyLlama, toSafetensors, withDType, withExtraVocabRows } from '../helpers/fixtures';
import { freshLibrary, tinyShards } from './store-helpers';

let server: RangeServer;
beforeAll(async () => { server = await startRangeServer(); });
afterAll(async () => { await server.close(); });

const base = makeTinyLlama({ seed: 1, hidden: 32, vocab: 64 });
const bytes = toSafetensors(base);
const headerEnd = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true));

describe('preflight reads headers only', () => {
  it('a URL: tensors, dtypes, params from two small Range requests', async () => {
    const url = server.put('/pf/model.safetensors', bytes);
    const from = server.log.length;
    const r = await preflightUrl(url);
    expect(r.tensors.map((t) => t.name)).toEqual(base.tensors.map((t) => t.name));
    expect(r.params).toBe(base.tensors.reduce((s, t) => s + t.values.length, 0));
    expect(r.dtypes).toEqual({ F32: r.params });
    expect(r.bytes).toBe(bytes.length);
    const sent = server.log.slice(from).reduce((s, x) => s + x.bytes, 0);
    expect(server.log.slice(from).map((x) => x.range)).toEqual(['bytes=0-7', `bytes=0-${headerEnd - 1}`]);
    expect(sent).toBe(8 + headerEnd);
    expect(sent).toBeLessThan(bytes.length / 10);
    expect(server.log.slice(from).every((x) => x.range && x.status === 206)).toBe(true);
  });

  it('a server without Range support is a named error, not a full download', async () => {
    const url = server.put('/pf/norange.safetensors', bytes, { ignoreRange: true });
    await expect(preflightUrl(url)).rejects.toMatchObject({ name: 'NetworkError', code: 'no-range' });
  });

  it('a sharded Hub model: index, then each shard header, and config.json', async () => {
    const { parts, model } = tinyShards(3, 3);
    for (const [name, b] of parts) server.putHub('acme/pf', 'abc123', name, b);
    const r = await preflightHub('acme/pf@abc123', { baseUrl: server.baseUrl });
    expect(r.id).toBe('acme/pf@abc123');
    expect(r.files).toHaveLength(3);
    expect(r.tensors.map((t) => t.name).sort()).toEqual(model.tensors.map((t) => t.name).sort());
    expect(r.config).toMatchObject({ model_type: 'llama' });
    const weightBytes = [...parts].filter(([n]) => n.endsWith('.safetensors')).reduce((s, [, b]) => s + b.length, 0);
    expect(r.bytes).toBe(weightBytes);
  });

  it('local files read only their first bytes; stored models read nothing', async () => {
    const r = await preflightFiles([{ name: 'model.safetensors', blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) }]);
    expect(r.bytesRead).toBeLessThanOrEqual(headerEnd + 8);
    expect(r.params).toBe(base.tensors.reduce((s, t) => s + t.values.length, 0));
    const { lib } = freshLibrary(4096);
    const m = await importFiles(lib, [{ name: 'model.safetensors', blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) }]);
    const s = await preflightLibrary(lib, m.id);
    expect(s.tensors).toEqual(r.tensors);
    expect(s.bytesRead).toBe(0);
  });
});

describe('compatibility from headers', () => {
  const t = (m: ReturnType<typeof makeTinyLlama>) => toSafetensors(m);
  const tensorsOf = async (id: string, b: Uint8Array) => ({ ...(await preflightFiles([{ name: `${id}.safetensors`, blob: new Blob([b as Uint8Array<ArrayBuffer>]) }])), id });

  it('same family: compatible, dtype differences shown but allowed', async () => {
    const a = await tensorsOf('a', t(base));
    const b = await tensorsOf('b', t(withDType(makeTinyLlama({ seed: 2, hidden: 32, vocab: 64 }), 'BF16')));
    const r = compareModels([a, b]);
    expect(r.compatible).toBe(true);
    expect(r.families).toEqual([['a', 'b']]);
    expect(r.diffs[0].dtypeDiffs.length).toBe(base.tensors.length);
    expect(r.messages).toEqual([]);
  });

  it('extra vocabulary rows are named as a tokenizer difference', async () => {
    const a = await tensorsOf('a', t(base));
    const v = await tensorsOf('v', t(withExtraVocabRows(base, 7)));
    const r = compareModels([a, v]);
    expect(r.compatible).toBe(false);
    expect(r.diffs[0].vocab).toEqual({ reference: 64, model: 71, tensors: expect.arrayContaining(['model.embed_tokens.weight']) });
    expect(r.messages.join('\n')).toMatch(/71 vocabulary rows where a has 64.*tokenizers differ/);
    expect(r.messages.join('\n')).not.toMatch(/different architecture/);
  });

  it('other sizes and other layer counts are separate families with a clear message', async () => {
    const a = await tensorsOf('a', t(base));
    const wide = await tensorsOf('wide', t(makeTinyLlama({ seed: 1, hidden: 16, vocab: 64 })));
    const deep = await tensorsOf('deep', t(makeTinyLlama({ seed: 1, hidden: 32, vocab: 64, layers: 3 })));
    const twin = await tensorsOf('twin', t(makeTinyLlama({ seed: 9, hidden: 32, vocab: 64 })));
    const r = compareModels([a, wide, deep, twin]);
    expect(r.compatible).toBe(false);
    expect(r.families).toEqual([['a', 'twin'], ['wide'], ['deep']]);
    expect(r.diffs.find((d) => d.id === 'deep')!.extra.length).toBeGreaterThan(0);
    expect(r.messages.some((m) => /wide differs in shape/.test(m))).toBe(true);
    expect(r.messages.some((m) => /deep and a do not have the same tensors/.test(m))).toBe(true);
  });
});
