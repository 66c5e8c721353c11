/** The streaming executor: errors before output, abort on failure, metadata, ordering, chunk invariance. */
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/core/checkpoint';
import { CancelledError, CompatibilityError, RecipeError } from '../../src/core/errors';
import { executeMerge } from '../../src/core/merge/execute';
import { parseRecipe } from '../../src/core/merge/recipe';
import { encodeSafetensors } from '../../src/core/safetensors';
import { makeTinyFamily, memorySink, memorySource, toSafetensors, type TinyModel } from '../helpers/fixtures';
import { mergeInMemory } from './merge-helpers';

const fam = makeTinyFamily({ zeroTensor: true, oneElementTensor: true });
const SLERP = 'merge_method: slerp\nbase_model: base\nmodels: [{model: base}, {model: fine}]\nparameters: {t: [0.1, 0.9]}\n';
const TIES = 'merge_method: ties\nbase_model: base\nmodels:\n  - {model: fine, parameters: {weight: 1, density: 0.4}}\n  - {model: opp, parameters: {weight: 0.6, density: 0.7}}\n';

async function expectFailure(yaml: string, models: Record<string, TinyModel | Uint8Array>, type: new (...a: never[]) => Error, msg: RegExp) {
  const sink = memorySink();
  const err = await executeMerge({
    recipe: parseRecipe(yaml), sink,
    resolve: async (ref) => { const m = models[ref]; return openSafetensors(memorySource(m instanceof Uint8Array ? m : toSafetensors(m)), ref); },
  }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(type);
  expect((err as Error).message).toMatch(msg);
  expect(sink.aborted).toBe(true);
  expect(sink.closed).toBe(false);
}

describe('executeMerge', () => {
  it('writes the base order, records the recipe, seed and parents, and reports progress', async () => {
    const progress: string[] = [];
    const { out, result } = await mergeInMemory(SLERP, { base: fam.base, fine: fam.fine }, { seed: 9, version: '1.2.3', onProgress: (p) => progress.push(`${p.done}/${p.total}`) });
    expect(out.tensors().map((t) => t.name)).toEqual(fam.base.tensors.map((t) => t.name));
    const md = out.metadata();
    expect(parseRecipe(md.kinmerge_recipe)).toEqual(parseRecipe(SLERP));
    expect(md.kinmerge_seed).toBe('9');
    expect(md.kinmerge_version).toBe('1.2.3');
    expect(JSON.parse(md.kinmerge_parents).map((p: { ref: string }) => p.ref)).toEqual(['base', 'fine']);
    expect(progress.at(-1)).toBe(`${fam.base.tensors.length}/${fam.base.tensors.length}`);
    expect(result.params).toBe(fam.base.tensors.reduce((s, t) => s + t.values.length, 0));
  });

  it('gives the same bytes for any chunk size (TIES ties across chunk boundaries, DARE masks)', async () => {
    const models = { base: fam.base, fine: fam.fine, opp: fam.opposite };
    const ref = await mergeInMemory(TIES, models, { chunkElems: 1 << 20 });
    for (const c of [1, 3, 64]) {
      const got = await mergeInMemory(TIES, models, { chunkElems: c });
      for (const [k, v] of ref.values) expect(got.values.get(k)).toEqual(v);
    }
    const dare = TIES.replace('ties', 'dare_ties');
    const a = await mergeInMemory(dare, models, { chunkElems: 5, seed: 1 });
    const b = await mergeInMemory(dare, models, { chunkElems: 1000, seed: 1 });
    const c = await mergeInMemory(dare, models, { chunkElems: 1000, seed: 2 });
    const name = 'model.layers.1.mlp.up_proj.weight';
    expect(a.values.get(name)).toEqual(b.values.get(name));
    expect(a.values.get(name)).not.toEqual(c.values.get(name));
  });

  it('notes k = 0 (a 1-element tensor at density < 1) and keeps the base there', async () => {
    const { values, result } = await mergeInMemory(TIES, { base: fam.base, fine: fam.fine, opp: fam.opposite });
    expect(result.notes.join('\n')).toMatch(/model\.scalar\.weight: density 0\.4 keeps 0 of 1/);
    expect(values.get('model.scalar.weight')).toEqual(fam.base.tensors.find((t) => t.name === 'model.scalar.weight')!.values);
  });

  it('casts inputs to dtype and writes out_dtype', async () => {
    const { out } = await mergeInMemory(`${SLERP}dtype: bfloat16\nout_dtype: float16\n`, { base: fam.base, fine: fam.fine });
    expect(new Set(out.tensors().map((t) => t.dtype))).toEqual(new Set(['F16']));
  });

  it('copies non-float tensors from the reference model', async () => {
    const extra = (m: TinyModel, v: number) => encodeSafetensors([
      ...m.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: new Uint8Array(t.values.buffer.slice(0)) })),
      { name: 'model.position_ids', dtype: 'I64', shape: [2], data: new Uint8Array(new BigInt64Array([BigInt(v), 7n]).buffer) },
    ]);
    const { out, result } = await mergeInMemory(SLERP, { base: extra(fam.base, 3), fine: extra(fam.fine, 5) });
    expect(Array.from(new BigInt64Array((await out.readRaw('model.position_ids', 0, 2)).slice().buffer))).toEqual([3n, 7n]);
    expect(result.notes.join()).toMatch(/position_ids \(I64\) is not a float tensor/);
  });

  it('fails before writing when a tensor is missing or a shape differs (CompatibilityError), aborting the sink', async () => {
    const missing: TinyModel = { ...fam.fine, tensors: fam.fine.tensors.filter((t) => t.name !== 'model.norm.weight') };
    await expectFailure(SLERP, { base: fam.base, fine: missing }, CompatibilityError, /model\.norm\.weight is in base but not in fine/);
    const reshaped: TinyModel = { ...fam.fine, tensors: fam.fine.tensors.map((t) => t.name === 'lm_head.weight' ? { ...t, shape: [t.shape[1], t.shape[0]] } : t) };
    await expectFailure(SLERP, { base: fam.base, fine: reshaped }, CompatibilityError, /lm_head\.weight has shape \[16,8\] in base but \[8,16\] in fine/);
  });

  it('fails on a missing required parameter and on a partial layer_range (RecipeError)', async () => {
    await expectFailure('merge_method: ties\nbase_model: base\nmodels: [{model: fine, parameters: {density: 0.5}}]', { base: fam.base, fine: fam.fine }, RecipeError, /ties needs parameter weight/);
    await expectFailure('merge_method: slerp\nbase_model: base\nslices: [{sources: [{model: base, layer_range: [0, 1]}, {model: fine, layer_range: [0, 1]}]}]\nparameters: {t: 0.5}',
      { base: fam.base, fine: fam.fine }, RecipeError, /layer_range \[0,1\].*use \[0, 2\]/);
    await expectFailure('merge_method: linear\nmodels: [{model: base, parameters: {weight: 1}}, {model: fine, parameters: {weight: -1}}]', { base: fam.base, fine: fam.fine }, RecipeError, /sum to 0/);
  });

  it('cancels between chunks and leaves no output', async () => {
    const ac = new AbortController();
    const sink = memorySink();
    const err = await executeMerge({
      recipe: parseRecipe(SLERP), sink, chunkElems: 4, signal: ac.signal,
      resolve: async (ref) => openSafetensors(memorySource(toSafetensors(ref === 'base' ? fam.base : fam.fine)), ref),
      onProgress: (p) => { if (p.done === 3) ac.abort(); },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(sink.aborted).toBe(true);
  });

  it('handles empty and 0-rank tensors in every method', async () => {
    const file = (v: number) => encodeSafetensors([
      { name: 'model.empty', dtype: 'F32', shape: [0, 4], data: new Uint8Array(0) },
      { name: 'model.scalar', dtype: 'F32', shape: [], data: new Uint8Array(new Float32Array([v]).buffer) },
    ]);
    const want: Record<string, number> = { slerp: 2, ties: 1, breadcrumbs: 1, task_arithmetic: 3, dare_linear: 3 };
    for (const [m, v] of Object.entries(want)) {
      const y = m === 'slerp' ? 'merge_method: slerp\nbase_model: a\nmodels: [{model: a}, {model: b}]\nparameters: {t: 0.5}'
        : `merge_method: ${m}\nbase_model: a\nmodels: [{model: b, parameters: {weight: 1${m === 'task_arithmetic' ? '' : ', density: 0.5'}}}]`;
      const r = await mergeInMemory(y, { a: file(1), b: file(3) }, { seed: 4 });
      expect(r.values.get('model.empty')!.length).toBe(0);
      // dare at density 0.5 on one element: kept for seed 4 (checked against the rng), L1 rescale factor 1.
      expect(Array.from(r.values.get('model.scalar')!)).toEqual([v]);
    }
  });
});
