import { describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/core/checkpoint';
import { CancelledError, CompatibilityError, KinmergeError } from '../../src/core/errors';
import { GRAM_BLOCK, accumulateChunk, accumulateDeltas, computeKinship, cpuGramBackend, meanPairwise, type GramBackend, type GramJob } from '../../src/core/kinship';
import { mulberry32 } from '../../src/core/rng';
import type { TensorSource } from '../../src/core/types';
import { makeTinyFamily, memorySource, toSafetensors, withExtraVocabRows, type TinyModel } from '../helpers/fixtures';

const open = (m: TinyModel, id: string) => openSafetensors(memorySource(toSafetensors(m)), id);
const without = (m: TinyModel, name: string): TinyModel => ({ dtype: m.dtype, tensors: m.tensors.filter((t) => t.name !== name) });
const norm2 = (m: Map<string, Float32Array>) => Math.sqrt([...m.values()].reduce((s, v) => s + v.reduce((a, x) => a + x * x, 0), 0));

describe('computeKinship on the tiny family', () => {
  const fam = makeTinyFamily({ seed: 3 });
  const all = async () => Promise.all([open(fam.fine, 'fine'), open(fam.identical, 'identical'), open(fam.opposite, 'opposite'), open(fam.zeroDelta, 'zero')]);

  it('identical, opposite and zero-delta models', async () => {
    const r = await computeKinship({ base: await open(fam.base, 'base'), models: await all() });
    const { pcc, cs, cs_abs, ed } = r.metrics as Required<typeof r.metrics>;
    expect(r.models).toEqual(['fine', 'identical', 'opposite', 'zero']);
    expect(pcc[0][1]).toBeCloseTo(1, 12);
    expect(pcc[0][2]).toBeCloseTo(-1, 12);
    expect(cs[0][2]).toBeCloseTo(-1, 12);
    expect(cs_abs[0][2]).toBeCloseTo(1, 12);
    expect(ed[0][1]).toBe(0);
    const dn = norm2(fam.delta);
    expect(ed[0][2]).toBeCloseTo(2 * dn, 10);
    expect(ed[0][3]).toBeCloseTo(dn, 10);
    for (const m of [pcc, cs, cs_abs]) {
      expect(m[3]).toEqual([null, null, null, null]);
      expect(m.map((row) => row[3])).toEqual([null, null, null, null]);
    }
    expect(ed[3][3]).toBe(0);
    // One note per metric for the zero model, naming it; none for ed.
    for (const metric of ['pcc', 'cs', 'cs_abs']) {
      const notes = r.notes.filter((n) => n.startsWith(`${metric} `) || n.startsWith(`${metric}[`));
      expect(notes).toHaveLength(1);
      expect(notes[0]).toContain('zero');
      expect(notes[0]).toContain('zero task vector');
    }
    expect(r.notes.some((n) => n.startsWith('ed'))).toBe(false);
    expect(r.tensors).toBe(fam.base.tensors.length);
    expect(r.backend).toBe('cpu');
  });

  it('reads every byte of every checkpoint exactly once, whatever the chunk size', async () => {
    for (const chunkElems of [3, 1 << 18]) {
      const files = [fam.base, fam.fine, fam.opposite].map((m) => toSafetensors(m));
      const srcs = files.map((b) => memorySource(b));
      const [base, ...models] = await Promise.all(srcs.map((s, i) => openSafetensors(s, `m${i}`)));
      const r = await computeKinship({ base, models, chunkElems });
      const dataBytes = (t: TensorSource) => t.tensors().reduce((s, x) => s + x.byteLength, 0);
      expect(r.bytesRead).toBe(dataBytes(base) + models.reduce((s, m) => s + dataBytes(m), 0));
      [base, ...models].forEach((t, i) => {
        // Every tensor byte once: the reads past the header cover the data exactly, no byte twice.
        const dataStart = files[i].length - dataBytes(t);
        const data = srcs[i].reads.filter((x) => x.offset >= dataStart).sort((a, b) => a.offset - b.offset);
        let at = dataStart;
        for (const x of data) {
          expect(x.offset).toBe(at);
          at += x.length;
        }
        expect(at).toBe(files[i].length);
      });
    }
  });

  it('keeps only the base vocabulary rows, and rejects a smaller vocabulary', async () => {
    const base = await open(fam.base, 'base');
    const plain = await computeKinship({ base, models: [await open(fam.fine, 'fine'), await open(fam.opposite, 'opp')] });
    const ext = await computeKinship({ base, models: [await open(withExtraVocabRows(fam.fine, 5), 'fine+5'), await open(fam.opposite, 'opp')] });
    expect(ext.metrics).toEqual(plain.metrics);
    expect(ext.notes.some((n) => n.includes('fine+5') && n.includes('first 16 rows'))).toBe(true);
    const big = await open(withExtraVocabRows(fam.base, 2), 'bigbase');
    const err = await computeKinship({ base: big, models: [await open(fam.fine, 'fine'), await open(fam.opposite, 'opp')] }).catch((e) => e);
    expect(err).toBeInstanceOf(CompatibilityError);
    expect(err.code).toBe('kinship-fewer-rows');
    expect(err.message).toContain('fine');
  });

  it('names the tensor and model of a shape mismatch', async () => {
    const other = makeTinyFamily({ seed: 3, hidden: 4 }).fine;
    const err = await computeKinship({ base: await open(fam.base, 'base'), models: [await open(fam.fine, 'fine'), await open(other, 'small')] }).catch((e) => e);
    expect(err).toBeInstanceOf(CompatibilityError);
    expect(err.message).toMatch(/model\.embed_tokens\.weight of model small/);
  });

  it('skips a tensor missing in one model for that model\'s pairs only', async () => {
    const gone = 'model.layers.1.mlp.up_proj.weight';
    const base = await open(fam.base, 'base');
    const other = makeTinyFamily({ seed: 3, deltaSeed: 99 }).fine;
    const r = await computeKinship({ base, models: [await open(fam.fine, 'fine'), await open(other, 'other'), await open(without(other, gone), 'lacking')] });
    expect(r.notes.some((n) => n.includes('lacking') && n.includes(gone))).toBe(true);
    const full = await computeKinship({ base, models: [await open(fam.fine, 'fine'), await open(other, 'other')] });
    const cut = await computeKinship({ base: await open(without(fam.base, gone), 'base-'), models: [await open(without(fam.fine, gone), 'fine-'), await open(without(other, gone), 'other-')] });
    for (const m of ['pcc', 'cs', 'ed'] as const) {
      expect(r.metrics[m]![0][1]).toBe(full.metrics[m]![0][1]);
      expect(r.metrics[m]![0][2]).toBeCloseTo(cut.metrics[m]![0][1]!, 12);
    }
  });

  it('falls back to the embedding rows when the base has no lm_head (with a note)', async () => {
    const r = await computeKinship({ base: await open(without(fam.base, 'lm_head.weight'), 'tied'), models: [await open(withExtraVocabRows(fam.fine, 2), 'fine'), await open(fam.opposite, 'opp')] });
    expect(r.notes[0]).toMatch(/no lm_head\.weight.*model\.embed_tokens\.weight/);
    expect(r.metrics.pcc![0][1]).toBeCloseTo(-1, 12);
  });

  it('split mode: numel-weighted per-tensor metrics, undefined tensors skipped', async () => {
    const f = makeTinyFamily({ seed: 5, zeroTensor: true, oneElementTensor: true });
    const r = await computeKinship({ base: await open(f.base, 'b'), models: [await open(f.fine, 'fine'), await open(f.opposite, 'opp')], split: true });
    expect(r.split).toBe(true);
    expect(r.metrics.pcc![0][1]).toBeCloseTo(-1, 12);
    expect(r.metrics.cs_abs![0][1]).toBeCloseTo(1, 12);
    // The all-zero tensor (every metric but ed) and the 1-element tensor (pcc) are skipped.
    expect(r.notes.some((n) => n.startsWith('pcc (split): skipped') && n.includes('fine / opp: 2'))).toBe(true);
    expect(r.notes.some((n) => n.startsWith('cs (split): skipped') && n.includes('fine / opp: 1'))).toBe(true);
  });

  it('reports only the metrics asked for and rejects unknown ones', async () => {
    const base = await open(fam.base, 'base');
    const models = [await open(fam.fine, 'fine'), await open(fam.opposite, 'opp')];
    const r = await computeKinship({ base, models, metrics: ['ed'] });
    expect(Object.keys(r.metrics)).toEqual(['ed']);
    await expect(computeKinship({ base, models, metrics: ['cos' as never] })).rejects.toThrow(KinmergeError);
    await expect(computeKinship({ base, models, chunkElems: 0 })).rejects.toThrow(/chunkElems/);
  });

  it('NaN or infinite weights give null with a reason, in every metric, never NaN', async () => {
    const bad = makeTinyFamily({ seed: 3 }).fine;
    bad.tensors[3].values[2] = Number.NaN;
    const base = await open(fam.base, 'base');
    const models = [await open(fam.fine, 'fine'), await open(fam.opposite, 'opp'), await open(bad, 'bad')];
    const r = await computeKinship({ base, models });
    for (const m of ['pcc', 'cs', 'cs_abs', 'ed'] as const) {
      expect(r.metrics[m]![2]).toEqual([null, null, null]);
      expect(r.metrics[m]![0][1]).not.toBeNull();
      expect(r.notes.some((n) => n.startsWith(`${m} undefined (null) for model bad`) && n.includes('NaN'))).toBe(true);
    }
    // Split mode skips that one tensor, as ModelKinship skips NaN.
    const s = await computeKinship({ base, models, split: true });
    expect(s.metrics.pcc![0][2]).not.toBeNull();
  });

  it('is cancellable', async () => {
    const ac = new AbortController();
    ac.abort();
    const p = computeKinship({ base: await open(fam.base, 'base'), models: await all(), signal: ac.signal });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });

  it('runs through a pluggable GramBackend and reports progress in bytes', async () => {
    const jobs: GramJob[] = [];
    const backend: GramBackend = { name: 'recording', accumulate: (job, read, sig) => (jobs.push(job), cpuGramBackend.accumulate(job, read, sig)) };
    const progress: number[] = [];
    const r = await computeKinship({ base: await open(fam.base, 'base'), models: await all(), backend, onProgress: (p) => progress.push(p.done) });
    expect(r.backend).toBe('recording');
    expect(jobs.map((j) => j.name)).toEqual(fam.base.tensors.map((t) => t.name));
    expect(jobs.every((j) => j.models === 4)).toBe(true);
    expect(progress.at(-1)).toBe(r.bytesRead);
  });

  it('per-group drill-down data', async () => {
    const r = await computeKinship({ base: await open(fam.base, 'base'), models: [await open(fam.fine, 'fine'), await open(fam.opposite, 'opp')] });
    expect(r.groups.map((g) => g.key)).toEqual(['embed', 'layers.0.norm', 'layers.0.self_attn', 'layers.0.mlp', 'layers.1.norm', 'layers.1.self_attn', 'layers.1.mlp', 'norm', 'head']);
    expect(r.groups.reduce((s, g) => s + g.numel, 0)).toBe(r.params);
    for (const g of r.groups) expect(g.pcc[0][1]).toBeCloseTo(-1, 12);
  });
});

describe('Gram kernels', () => {
  it('the fused chunk kernel equals separate deltas + accumulateDeltas', () => {
    const rand = mulberry32(9);
    const K = 3, len = 5000; // not a multiple of the block or of the unroll
    const inputs = Array.from({ length: K + 1 }, () => Float32Array.from({ length: len }, () => rand() - 0.5));
    const S1 = new Float64Array(K), G1 = new Float64Array(K * K), S2 = new Float64Array(K), G2 = new Float64Array(K * K);
    accumulateChunk(inputs, Array.from({ length: K }, () => new Float32Array(GRAM_BLOCK)), len, S1, G1);
    const deltas = inputs.slice(1).map((m) => m.map((x, e) => x - inputs[0][e]));
    accumulateDeltas(deltas, len, S2, G2);
    for (let i = 0; i < K; i++) {
      expect(S1[i]).toBeCloseTo(S2[i], 10);
      for (let j = i; j < K; j++) expect(G1[i * K + j]).toBeCloseTo(G2[i * K + j], 10);
    }
    expect(G1[K]).toBe(0); // lower triangle untouched until symmetrize
  });
});

describe('meanPairwise (Eq. 3)', () => {
  const m = [[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]];
  it('averages the pairs i < j', () => {
    expect(meanPairwise(m)).toBeCloseTo(1 / 3, 15);
    expect(meanPairwise(m, [0, 2])).toBe(0.2);
    expect(meanPairwise(m, [1])).toBeNull();
    expect(meanPairwise([[1, null], [null, 1]])).toBeNull();
    expect(() => meanPairwise(m, [0, 3])).toThrow(RangeError);
  });
});
