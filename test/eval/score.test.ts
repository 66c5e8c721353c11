import { describe, it, expect, afterAll } from 'vitest';
import { createEvaluator } from '../../src/eval/evaluator';
import { parseSuite } from '../../src/eval/suites';
import { planBatches, scoreSuites, batchIds } from '../../src/eval/score';
import { forwardCpu } from '../../src/eval/forward-cpu';
import { expectedTensors } from '../../src/eval/config';
import { openSafetensors } from '../../src/core/checkpoint';
import { encodeSafetensors } from '../../src/core/safetensors';
import { memoryByteSource } from '../../src/eval/fetch-assets';
import { makeFixture } from './fixture';
import { randomWeights } from './random-model';

const fx = makeFixture();
const suites = await Promise.all(Object.entries(fx.suites).map(([k, t]) => parseSuite(k, t, fx.vocab, fx.config.maxPositions)));
const ev = createEvaluator({ suites, config: fx.config, vocab: fx.vocab, batchSize: 5, multipleChoice: true });
afterAll(() => ev.dispose());

describe('scoring', () => {
  it('ORT exact-match and multiple-choice scores equal the constructed ones', async () => {
    const r = await ev.score(fx.weights);
    expect(r.scores).toEqual(fx.expected);
    expect(r.average).toBeCloseTo((fx.expected.short + fx.expected.long) / 2, 12);
    expect(r.mc).toEqual(fx.expectedMc);
    expect(r.cached).toBe(false);
    expect(r.modelHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the batch size does not change scores (right padding is invisible under the causal mask)', async () => {
    const big = createEvaluator({ suites, config: fx.config, vocab: fx.vocab, batchSize: 256 });
    const one = createEvaluator({ suites, config: fx.config, vocab: fx.vocab, batchSize: 1 });
    const [a, b] = [await big.score(fx.weights), await one.score(fx.weights)];
    await big.dispose(); await one.dispose();
    expect(a.scores).toEqual(fx.expected);
    expect(b.scores).toEqual(fx.expected);
    expect(a.mc).toBeUndefined(); // multiple choice is opt-in
  });

  it('a sequence shared by the greedy answer and the right choice is scored once', () => {
    const plain = planBatches(suites, fx.vocab, 1000).flatMap((b) => b.items);
    const mc = planBatches(suites, fx.vocab, 1000, true).flatMap((b) => b.items);
    const n = suites.reduce((a, s) => a + s.examples.length, 0);
    const seqs = (withChoices: boolean) => new Set(suites.flatMap((s) => s.examples.flatMap((e) =>
      [e.answer, ...(withChoices ? e.choices! : [])].map((a) => [1, ...e.prompt, ...a, 2].join())))).size;
    expect(plain.length).toBe(seqs(false));
    expect(mc.length).toBe(seqs(true));
    expect(mc.length).toBeLessThan(3 * n); // the right choice repeats a greedy answer
    expect(mc.reduce((a, it) => a + it.uses.length, 0)).toBe(3 * n);
  });

  it('the CPU forward pass through the same scorer agrees', async () => {
    const batches = planBatches(suites, fx.vocab, 7, true);
    const r = await scoreSuites(suites, fx.vocab, fx.config.vocabSize, batches, async (ids, B, T) => {
      const out = new Float32Array(B * T * fx.config.vocabSize);
      for (let b = 0; b < B; b++) out.set(forwardCpu(fx.config, fx.weights, Array.from(ids.subarray(b * T, (b + 1) * T), Number)), b * T * fx.config.vocabSize);
      return out;
    });
    expect(r.scores).toEqual(fx.expected);
    expect(r.mc).toEqual(fx.expectedMc);
  });

  it('caches by model hash: the same weights again are a hit, other weights a miss', async () => {
    const a = await ev.score(new Map(fx.weights));
    expect(a.cached).toBe(true);
    const other = await ev.score(randomWeights(fx.config, 99));
    expect(other.cached).toBe(false);
    expect(other.modelHash).not.toBe(a.modelHash);
  });

  it('a TensorSource (safetensors file) scores like the in-memory map', async () => {
    const file = encodeSafetensors(expectedTensors(fx.config).map((t) => {
      const v = fx.weights.get(t.name)!;
      return { name: t.name, dtype: 'F32' as const, shape: t.shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
    }));
    const src = await openSafetensors(memoryByteSource(file), 'fixture.safetensors');
    const r = await ev.score(src);
    expect(r.scores).toEqual(fx.expected);
    expect(r.cached).toBe(true); // same f32 weights, same hash as the map
  });

  it('batches are sorted by length and padded on the right with pad_id', () => {
    const batches = planBatches(suites, fx.vocab, 4);
    const lens = batches.flatMap((b) => b.items.map((i) => i.ids.length));
    expect(lens).toEqual([...lens].sort((x, y) => x - y));
    const b = batches[batches.length - 1];
    const ids = batchIds(b, fx.vocab.padId);
    const shortest = b.items.reduce((m, i) => Math.min(m, i.ids.length), Infinity);
    const r = b.items.findIndex((i) => i.ids.length === shortest);
    expect(Number(ids[r * b.seq])).toBe(fx.vocab.bosId);
    for (let j = shortest; j < b.seq; j++) expect(Number(ids[r * b.seq + j])).toBe(fx.vocab.padId);
  });

  it('an abort signal stops scoring with a CancelledError', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(ev.score(randomWeights(fx.config, 3), ctl.signal)).rejects.toMatchObject({ name: 'CancelledError' });
  });
});
