import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../src/core/errors';
import { TensorRangeError, openSafetensors, openSharded, parseShardIndex } from '../../src/core/checkpoint';
import { encodeSafetensors } from '../../src/core/safetensors';
import type { TinyModel } from '../helpers/fixtures';
import { makeTinyFamily, makeTinyLlama, memorySource, toSafetensors, withDType } from '../helpers/fixtures';
import type { FloatDType } from '../../src/core/types';

describe('openSafetensors', () => {
  it.each(['F32', 'BF16', 'F16'] as FloatDType[])('reads %s tensors back exactly, in element ranges', async (dtype) => {
    const m = makeTinyLlama({ dtype, layers: 2, hidden: 8, seed: 3, zeroTensor: true, oneElementTensor: true });
    const src = memorySource(toSafetensors(m));
    const ts = await openSafetensors(src, 'tiny');
    expect(ts.tensors().map((t) => t.name)).toEqual(m.tensors.map((t) => t.name));
    expect(ts.metadata()).toEqual({ format: 'pt' });
    for (const t of m.tensors) {
      expect(await ts.readF32(t.name, 0, t.values.length)).toEqual(t.values);
    }
    const q = m.tensors[2];
    expect(await ts.readF32(q.name, 5, 7)).toEqual(q.values.subarray(5, 12));
    expect((await ts.readRaw(q.name, 1, 2)).length).toBe(dtype === 'F32' ? 8 : 4);
    // Reads are ranges: no read covers more than one tensor's bytes after the header.
    const maxRead = Math.max(...src.reads.slice(2).map((r) => r.length));
    expect(maxRead).toBeLessThanOrEqual(Math.max(...m.tensors.map((t) => t.values.length)) * 4);
  });
  it('names errors for unknown tensors, bad ranges and misaligned sub-byte ranges', async () => {
    const bytes = encodeSafetensors([
      { name: 'a', dtype: 'F32', shape: [4], data: new Uint8Array(16) },
      { name: 'p', dtype: 'F4', shape: [4], data: new Uint8Array(2) },
    ]);
    const ts = await openSafetensors(memorySource(bytes), 'f');
    await expect(ts.readF32('b', 0, 1)).rejects.toMatchObject({ name: 'TensorRangeError', code: 'tensor-not-found' });
    await expect(ts.readF32('a', 3, 2)).rejects.toMatchObject({ code: 'range-out-of-bounds' });
    await expect(ts.readF32('a', -1, 1)).rejects.toBeInstanceOf(TensorRangeError);
    await expect(ts.readRaw('p', 1, 2)).rejects.toMatchObject({ code: 'range-misaligned' });
    expect((await ts.readRaw('p', 2, 2)).length).toBe(1);
    await expect(ts.readF32('p', 0, 2)).rejects.toMatchObject({ name: 'DTypeError' });
  });
  it('prefixes validation errors with the id and reports short reads', async () => {
    const bytes = toSafetensors(makeTinyLlama({ layers: 1 }));
    await expect(openSafetensors(memorySource(bytes.subarray(0, bytes.length - 1)), 'cut.safetensors'))
      .rejects.toThrow(/^cut\.safetensors: .*truncated/);
    const lying = { size: bytes.length, read: async (o: number, l: number) => bytes.slice(o, o + Math.min(l, 10)) };
    await expect(openSafetensors(lying, 'x')).rejects.toMatchObject({ code: 'short-read' });
  });
});

function shardFiles(m: TinyModel, perShard: number): { files: Map<string, Uint8Array>; index: string } {
  const files = new Map<string, Uint8Array>();
  const weightMap: Record<string, string> = {};
  const n = Math.ceil(m.tensors.length / perShard);
  for (let s = 0; s < n; s++) {
    const file = `model-0000${s + 1}-of-0000${n}.safetensors`;
    const part = { dtype: m.dtype, tensors: m.tensors.slice(s * perShard, (s + 1) * perShard) };
    for (const t of part.tensors) weightMap[t.name] = file;
    files.set(file, toSafetensors(part));
  }
  return { files, index: JSON.stringify({ metadata: { total_size: 123 }, weight_map: weightMap }) };
}

describe('sharded checkpoints', () => {
  const m = withDType(makeTinyFamily({ layers: 2 }).fine, 'BF16');
  const open = (files: Map<string, Uint8Array>) => async (f: string) => memorySource(files.get(f)!);

  it('reads every tensor from its shard', async () => {
    const { files, index } = shardFiles(m, 5);
    const idx = parseShardIndex(index);
    expect(idx.files.length).toBe(5);
    expect(idx.totalSize).toBe(123);
    const ts = await openSharded(idx, open(files), 'folder');
    expect(ts.tensors().map((t) => t.name)).toEqual(m.tensors.map((t) => t.name));
    for (const t of m.tensors) expect(await ts.readF32(t.name, 0, t.values.length)).toEqual(t.values);
    expect(ts.get('lm_head.weight')?.dtype).toBe('BF16');
    await expect(ts.readF32('nope', 0, 1)).rejects.toMatchObject({ code: 'tensor-not-found' });
  });
  it('rejects a tensor missing from its shard, unlisted or in two shards', async () => {
    const { files, index } = shardFiles(m, 5);
    const idx = JSON.parse(index);
    const missing = { ...idx, weight_map: { ...idx.weight_map, 'extra.weight': 'model-00001-of-00005.safetensors' } };
    await expect(openSharded(parseShardIndex(JSON.stringify(missing)), open(files), 'f')).rejects.toMatchObject({ code: 'shard-missing-tensor' });
    const unlisted = { ...idx, weight_map: { ...idx.weight_map } };
    delete unlisted.weight_map['model.embed_tokens.weight'];
    await expect(openSharded(parseShardIndex(unlisted), open(files), 'f')).rejects.toMatchObject({ code: 'shard-unlisted-tensor' });
    // The same tensor stored in two shards.
    const twice = new Map(files);
    const first = m.tensors[0];
    twice.set('model-00002-of-00005.safetensors', toSafetensors({ dtype: m.dtype, tensors: [first, ...m.tensors.slice(5, 10)] }));
    await expect(openSharded(parseShardIndex(index), open(twice), 'f')).rejects.toMatchObject({ code: 'shard-duplicate-tensor' });
    // A broken shard names itself.
    const broken = new Map(files);
    broken.set('model-00003-of-00005.safetensors', new Uint8Array(3));
    await expect(openSharded(parseShardIndex(index), open(broken), 'f')).rejects.toThrow(/model-00003-of-00005.*8-byte/);
  });
  it('validates the index', () => {
    const code = (v: unknown): string => {
      try { parseShardIndex(v); } catch (e) { expect(e).toBeInstanceOf(SafetensorsError); return (e as SafetensorsError).code; }
      return 'ok';
    };
    expect(code('{')).toBe('index-invalid-json');
    expect(code('[]')).toBe('index-invalid');
    expect(code({ weight_map: {} })).toBe('index-invalid');
    expect(code({ metadata: { total_size: -1 }, weight_map: { a: 'x' } })).toBe('index-invalid');
    expect(code({ weight_map: { a: 5 } })).toBe('index-invalid');
    expect(code({ weight_map: { a: '../x.safetensors' } })).toBe('index-bad-shard-path');
    expect(code({ weight_map: { a: '/etc/x' } })).toBe('index-bad-shard-path');
    expect(code('{"metadata":{},"weight_map":{"a":"x","a":"y"}}')).toBe('index-duplicate-tensor');
    expect(code({ weight_map: { a: 'x.safetensors' } })).toBe('ok');
  });
});
