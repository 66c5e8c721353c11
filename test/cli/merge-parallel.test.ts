/**
 * The parallel file merge (worker threads writing at final offsets) against the in-process executor:
 * byte-identical files for every dtype, plan kind and chunking, and no output left behind on failure.
 */
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFromF32 } from '../../src/core/dtype';
import { prepareMerge } from '../../src/core/merge/execute';
import { parseRecipe } from '../../src/core/merge/recipe';
import { encodeSafetensors, type InMemoryTensor } from '../../src/core/safetensors';
import type { FloatDType } from '../../src/core/types';
import { openModelPath, type OpenedModel } from '../../src/node/model-path';
import { parallelEligible, parallelFileMerge, workerBytes, WORKER_BUDGET_BYTES } from '../../src/node/parallel-merge';
import type { WorkerJob, WorkerSide } from '../../src/node/merge-worker';
import { makeTempDir, makeTinyFamily, withDType, type TinyModel } from '../helpers/fixtures';
import { runMain } from '../helpers/cli';

const fam = makeTinyFamily({ zeroTensor: true, oneElementTensor: true });
let dir: { path: string; cleanup: () => Promise<void> };

/** The tiny model in `dt`, plus an int64 tensor in the middle (copied byte for byte, never merged). */
function fileBytes(m: TinyModel, dt: FloatDType, seed: number): Uint8Array {
  const t: InMemoryTensor[] = withDType(m, dt).tensors.map((x) => ({ name: x.name, dtype: x.dtype, shape: x.shape, data: encodeFromF32(x.dtype, x.values) }));
  const ids = new BigInt64Array(37).map((_, i) => BigInt(i * seed));
  t.splice(3, 0, { name: 'model.position_ids', dtype: 'I64', shape: [37], data: new Uint8Array(ids.buffer) });
  return encodeSafetensors(t, { format: 'pt' });
}

beforeAll(async () => {
  dir = await makeTempDir('kinmerge-parallel-');
  for (const dt of ['F32', 'BF16', 'F16'] as const) {
    await writeFile(join(dir.path, `a-${dt}.safetensors`), fileBytes(fam.base, dt, 1));
    await writeFile(join(dir.path, `b-${dt}.safetensors`), fileBytes(fam.fine, dt, 2));
  }
});
afterAll(() => dir.cleanup());

const RECIPES: Record<string, (a: string, b: string) => string> = {
  'slerp gradient': (a, b) => `merge_method: slerp\nbase_model: ${a}\nmodels: [{model: ${a}}, {model: ${b}}]\nparameters:\n  t:\n    - filter: self_attn\n      value: [0, 0.5, 0.3, 0.7, 1]\n    - filter: mlp\n      value: [1, 0.5, 0.7, 0.3, 0]\n    - value: 0.5\n`,
  'slerp to bf16': (a, b) => `merge_method: slerp\nbase_model: ${b}\nmodels: [{model: ${a}}, {model: ${b}}]\nparameters: {t: 0.3}\nout_dtype: bfloat16\n`,
  linear: (a, b) => `merge_method: linear\nmodels:\n  - model: ${a}\n    parameters: {weight: 0.3}\n  - model: ${b}\n    parameters: {weight: 0.9}\nout_dtype: float16\n`,
};

describe('parallel file merge', () => {
  it('writes the same bytes as the in-process executor for every dtype, recipe, chunking and thread count', async () => {
    let compared = 0;
    for (const dt of ['F32', 'BF16', 'F16'] as const) {
      for (const [name, recipe] of Object.entries(RECIPES)) {
        const cfg = join(dir.path, `${name.replace(/ /g, '-')}-${dt}.yml`);
        await writeFile(cfg, recipe(`a-${dt}.safetensors`, `b-${dt}.safetensors`));
        for (const chunk of ['16', '300']) {
          const outs = await Promise.all(['1', '2', '3'].map(async (threads) => {
            const out = join(dir.path, `out-${threads}.safetensors`);
            const r = await runMain(['merge', cfg, '--out', out, '--threads', threads, '--chunk-elems', chunk, '--quiet']);
            expect(r.status, `${name} ${dt} --threads ${threads}: ${r.stderr}`).toBe(0);
            return readFile(out);
          }));
          expect(Buffer.compare(outs[0], outs[1]), `${name} ${dt} chunk ${chunk}`).toBe(0);
          expect(Buffer.compare(outs[0], outs[2]), `${name} ${dt} chunk ${chunk}`).toBe(0);
          compared++;
        }
      }
    }
    expect(compared).toBe(18);
    expect(readdirSync(dir.path).filter((f) => f.includes('.partial-'))).toEqual([]);
  }, 120_000);

  it('is chosen only for single files without a dtype cast and for plans it can run', async () => {
    const open = async (text: string) => {
      const opened: OpenedModel[] = [];
      const prepared = await prepareMerge({ recipe: parseRecipe(text), resolve: async (ref) => { const m = await openModelPath(join(dir.path, ref)); opened.push(m); return m.source; } });
      return { prepared, close: () => Promise.all(opened.map((m) => m.close())) };
    };
    const slerp = await open(RECIPES['slerp gradient']('a-F32.safetensors', 'b-F32.safetensors'));
    expect(parallelEligible(slerp.prepared.plan, ['x', 'y'], false, 16)).toBe(true);
    expect(parallelEligible(slerp.prepared.plan, ['x', undefined], false, 16)).toBe(false);
    expect(parallelEligible(slerp.prepared.plan, ['x', 'y'], true, 16)).toBe(false);
    // Less than four chunks of work: the workers would cost more than they save.
    const total = slerp.prepared.plan.tensors.reduce((s, t) => s + t.numel, 0);
    expect(parallelEligible(slerp.prepared.plan, ['x', 'y'], false, Math.floor(total / 4))).toBe(true);
    expect(parallelEligible(slerp.prepared.plan, ['x', 'y'], false, Math.floor(total / 4) + 1)).toBe(false);
    await slerp.close();
    const ties = await open(`merge_method: ties\nbase_model: a-F32.safetensors\nmodels:\n  - model: b-F32.safetensors\n    parameters: {weight: 1, density: 0.5}\n`);
    expect(parallelEligible(ties.prepared.plan, ['x', 'y'], false, 16)).toBe(false);
    await ties.close();
  });

  it('fails with a named error and leaves no file when an input is shorter than its header said', async () => {
    const a = join(dir.path, 'a-F32.safetensors'), b = join(dir.path, 'b-F32.safetensors');
    const short = join(dir.path, 'short.safetensors');
    const full = await readFile(b);
    await writeFile(short, full.subarray(0, full.length - 100));
    const ma = await openModelPath(a), mb = await openModelPath(b);
    try {
      const prepared = await prepareMerge({ recipe: parseRecipe(RECIPES['slerp gradient'](a, b)), resolve: async (r) => (r === a ? ma : mb).source });
      const out = join(dir.path, 'never.safetensors');
      await expect(parallelFileMerge({ prepared, paths: [a, short], out, threads: 2, chunkElems: 16 }))
        .rejects.toMatchObject({ name: 'FileError', code: 'file-truncated' });
      const left = readdirSync(dir.path);
      expect(left).not.toContain('never.safetensors');
      expect(left.filter((f) => f.includes('.partial-'))).toEqual([]);
      const ctl = new AbortController();
      ctl.abort();
      await expect(parallelFileMerge({ prepared, paths: [a, b], out, threads: 2, chunkElems: 16, signal: ctl.signal }))
        .rejects.toMatchObject({ name: 'CancelledError' });
      expect(readdirSync(dir.path)).not.toContain('never.safetensors');
      // Cancelled while the workers run (at the first finished tensor): the partial file goes too.
      const mid = new AbortController();
      await expect(parallelFileMerge({ prepared, paths: [a, b], out, threads: 2, chunkElems: 16, signal: mid.signal, onProgress: () => mid.abort() }))
        .rejects.toMatchObject({ name: 'CancelledError' });
      expect(mid.signal.aborted).toBe(true);
      expect(readdirSync(dir.path).filter((f) => f.startsWith('never'))).toEqual([]);
    } finally {
      await ma.close();
      await mb.close();
    }
  });
});

describe('parallel merge memory', () => {
  it('sizes worker scratch from the plan and the chunk, not the model, so the worker count fits the budget', () => {
    const side = (dtype: 'F32' | 'BF16'): WorkerSide => ({ file: 0, byteOffset: 0, dtype });
    const chunk = 2 * 1024 * 1024;
    const slerp: WorkerJob & { kind: 'slerp' } = { kind: 'slerp', index: 0, numel: 1e9, outOffset: 0, a: side('F32'), b: side('F32'), t: 0.5, outDtype: 'F32' };
    // A huge tensor streams in chunks: two F32 inputs of one chunk plus the output chunk.
    expect(workerBytes([slerp], chunk, 2 * chunk)).toBe(2 * chunk * 4 + chunk * 6);
    // A tensor under the keep size is held whole (read once).
    expect(workerBytes([{ ...slerp, numel: 3 * 2 ** 20 }], chunk, 2 * chunk)).toBe(2 * 3 * 2 ** 20 * 4 + chunk * 6);
    const linear: WorkerJob = { kind: 'linear', index: 0, numel: 1e9, outOffset: 0, inputs: [side('BF16'), side('BF16'), side('BF16')], coeffs: [1, 1, 1], outDtype: 'BF16' };
    expect(workerBytes([linear], chunk, 2 * chunk)).toBe(3 * chunk * 6 + chunk * 6);
    expect(Math.floor(WORKER_BUDGET_BYTES / workerBytes([slerp], chunk, 2 * chunk))).toBeGreaterThanOrEqual(2);
  });
});

describe('interrupting the CLI', () => {
  it('exits 130 with one line and writes nothing when its signal is aborted (Ctrl-C)', async () => {
    const cfg = join(dir.path, 'interrupt.yml');
    await writeFile(cfg, RECIPES.linear('a-F32.safetensors', 'b-F32.safetensors'));
    const ctl = new AbortController();
    ctl.abort();
    const out = join(dir.path, 'interrupted.safetensors');
    const r = await runMain(['merge', cfg, '--out', out], ctl.signal);
    expect(r.status).toBe(130);
    expect(r.stderr).toMatch(/^kinmerge: [^\n]*\n$/);
    expect(readdirSync(dir.path).filter((f) => f.startsWith('interrupted'))).toEqual([]);
  });
});
