import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSink, fileSource } from '../../src/node/files';
import { openModelPath } from '../../src/node/model-path';
import { createSafetensorsWriter } from '../../src/core/safetensors';
import { makeTempDir, makeTinyLlama, toSafetensors, writeTinyFile, writeTinyFolder } from '../helpers/fixtures';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => { tmp = await makeTempDir(); });
afterAll(async () => { await tmp.cleanup(); });

describe('fileSource / fileSink', () => {
  it('reads ranges, and names range and missing-file errors', async () => {
    const p = join(tmp.path, 'bytes.bin');
    await writeFile(p, Uint8Array.from({ length: 100 }, (_, i) => i));
    const src = await fileSource(p);
    expect(src.size).toBe(100);
    expect([...(await src.read(10, 3))]).toEqual([10, 11, 12]);
    expect((await src.read(100, 0)).length).toBe(0);
    await expect(src.read(99, 2)).rejects.toMatchObject({ name: 'FileError', code: 'file-range' });
    await src.close();
    await expect(fileSource(join(tmp.path, 'nope'))).rejects.toMatchObject({ code: 'file-not-found' });
    await expect(fileSource(tmp.path)).rejects.toMatchObject({ name: 'FileError' });
  });
  it('buffers writes, renames on close, removes the partial file on abort', async () => {
    const p = join(tmp.path, 'out.bin');
    const sink = await fileSink(p, 16);
    const all = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255);
    const reused = new Uint8Array(40);
    for (const [o, n] of [[0, 5], [5, 11], [16, 1], [17, 40], [57, 200], [257, 43]]) {
      // The producer reuses one array: the sink must have copied earlier chunks.
      const chunk = n <= 40 ? (reused.set(all.subarray(o, o + n)), reused.subarray(0, n)) : all.slice(o, o + n);
      await sink.write(chunk);
    }
    expect((await readdir(tmp.path)).some((f) => f.startsWith('out.bin.partial-'))).toBe(true);
    await sink.close();
    expect(new Uint8Array(await readFile(p))).toEqual(all);
    expect((await readdir(tmp.path)).some((f) => f.includes('partial'))).toBe(false);
    await expect(sink.write(all)).rejects.toMatchObject({ code: 'file-closed' });

    const q = join(tmp.path, 'aborted.bin');
    const s2 = await fileSink(q);
    await s2.write(all);
    await s2.abort(new Error('stop'));
    expect((await readdir(tmp.path)).filter((f) => f.startsWith('aborted'))).toEqual([]);
    await expect(fileSink(join(tmp.path, 'no-such-dir', 'x.bin'))).rejects.toMatchObject({ name: 'FileError' });
  });
  it('streams a safetensors file through the writer to disk', async () => {
    const p = join(tmp.path, 'w.safetensors');
    const w = createSafetensorsWriter(await fileSink(p), [{ name: 'a', dtype: 'F32', shape: [3] }]);
    await w.write(new Uint8Array(new Float32Array([1, 2, 3]).buffer));
    await w.finish();
    const m = await openModelPath(p);
    expect([...(await m.source.readF32('a', 0, 3))]).toEqual([1, 2, 3]);
    await m.close();
  });
});

describe('openModelPath', () => {
  const model = makeTinyLlama({ layers: 2, dtype: 'BF16' });
  it('opens a file, a folder and a sharded folder with the same tensors', async () => {
    const file = await writeTinyFile(join(tmp.path, 'tiny.safetensors'), model);
    const folder = await writeTinyFolder(join(tmp.path, 'folder'), model);
    const sharded = await writeTinyFolder(join(tmp.path, 'sharded'), model, { shards: 3 });
    for (const [p, kind] of [[file, 'file'], [folder, 'file'], [sharded, 'sharded'], [join(sharded, 'model.safetensors.index.json'), 'sharded']]) {
      const m = await openModelPath(p);
      expect(m.kind).toBe(kind);
      expect(m.source.tensors().map((t) => t.name)).toEqual(model.tensors.map((t) => t.name));
      const last = model.tensors[model.tensors.length - 1];
      expect(await m.source.readF32(last.name, 0, last.values.length)).toEqual(last.values);
      if (p !== file) expect(m.config?.model_type).toBe('llama');
      await m.close();
    }
  });
  it('names what is wrong with a path', async () => {
    await expect(openModelPath(join(tmp.path, 'missing'))).rejects.toMatchObject({ code: 'model-path-not-found' });
    const empty = join(tmp.path, 'empty');
    await mkdir(empty);
    await writeFile(join(empty, 'adapter.safetensors'), toSafetensors(model));
    await expect(openModelPath(empty)).rejects.toThrow(/adapter\.safetensors: pass one of those files directly/);
    const torch = join(tmp.path, 'torch');
    await mkdir(torch);
    await writeFile(join(torch, 'pytorch_model.bin'), 'x');
    await expect(openModelPath(torch)).rejects.toThrow(/PyTorch \.bin weights .*Convert them to safetensors/);
    const badConfig = join(tmp.path, 'badcfg');
    await writeTinyFolder(badConfig, model);
    await writeFile(join(badConfig, 'config.json'), '{nope');
    await expect(openModelPath(badConfig)).rejects.toMatchObject({ code: 'config-invalid' });
    const lost = await writeTinyFolder(join(tmp.path, 'lost'), model, { shards: 2 });
    const { rm } = await import('node:fs/promises');
    await rm(join(lost, 'model-00002-of-00002.safetensors'));
    await expect(openModelPath(lost)).rejects.toMatchObject({ code: 'shard-not-found' });
  });
});
