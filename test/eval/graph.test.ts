import { describe, it, expect, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { buildLlamaGraph, causalMask, ropeTables } from '../../src/eval/llama-graph';
import { createOrtSession, type OrtSession } from '../../src/eval/ort-session';
import { forwardCpu } from '../../src/eval/forward-cpu';
import { expectedTensors, type LlamaConfig } from '../../src/eval/config';
import { loadWeights } from '../../src/eval/evaluator';
import { loadModelDir, loadZooIndex } from '../../src/eval/assets';
import { nodeAssetReader } from '../../src/eval/node-assets';
import { smallConfig, randomWeights } from './random-model';

const sessions: OrtSession[] = [];
afterAll(async () => { for (const s of sessions) await s.dispose(); });

/** Max |ORT - CPU| over all logits of a batch of right-padded sequences. */
async function maxLogitDiff(c: LlamaConfig, ws: Map<string, Float32Array>, seqs: number[][], session?: OrtSession): Promise<number> {
  const s = session ?? await createOrtSession(buildLlamaGraph(c));
  if (!session) sessions.push(s);
  const B = seqs.length, T = Math.max(...seqs.map((q) => q.length)), V = c.vocabSize;
  const ids = new BigInt64Array(B * T); // pad id 0 on the right
  seqs.forEach((q, b) => q.forEach((t, j) => (ids[b * T + j] = BigInt(t))));
  const { cos, sin } = ropeTables(c, T);
  const feeds = Object.fromEntries(expectedTensors(c).map((t) => [t.name, { data: ws.get(t.name)!, dims: t.shape }]));
  const w = s.prepareWeights(feeds);
  const out = await s.run({ input_ids: { data: ids, dims: [B, T] }, rope_cos: { data: cos, dims: [T, c.headDim] }, rope_sin: { data: sin, dims: [T, c.headDim] }, attn_mask: { data: causalMask(T), dims: [T, T] } }, w, 'logits');
  w.dispose();
  expect(out.dims).toEqual([B, T, V]);
  let md = 0;
  seqs.forEach((q, b) => {
    const ref = forwardCpu(c, ws, q); // only the real positions: pads are never compared
    for (let i = 0; i < ref.length; i++) md = Math.max(md, Math.abs(ref[i] - out.data[b * T * V + i]));
  });
  return md;
}

function seqs(c: LlamaConfig, lens: number[], seed: number): number[][] {
  return lens.map((n, b) => Array.from({ length: n }, (_, j) => (seed * 31 + b * 7 + j * 13 + j * j) % c.vocabSize));
}

describe('ORT Llama graph vs the CPU forward pass', () => {
  const cases: [string, LlamaConfig][] = [
    ['GQA (4 heads, 2 kv heads)', smallConfig()],
    ['multi-head (kv = heads), tied embeddings', smallConfig({ numKvHeads: 4, tieWordEmbeddings: true })],
    ['multi-query (1 kv head), odd sizes', smallConfig({ hiddenSize: 24, numHeads: 6, numKvHeads: 1, headDim: 4, intermediateSize: 40, numLayers: 3, ropeTheta: 500, rmsNormEps: 1e-6 })],
  ];
  for (const [label, c] of cases) {
    it(`logits match within 1e-4: ${label}`, async () => {
      const ws = randomWeights(c, 7);
      expect(await maxLogitDiff(c, ws, seqs(c, [9, 3, 12, 1], 3))).toBeLessThan(1e-4);
    });
  }

  it('one session scores different weights on every run (weights are inputs)', async () => {
    const c = smallConfig();
    const s = await createOrtSession(buildLlamaGraph(c));
    sessions.push(s);
    const q = seqs(c, [6, 6], 1);
    expect(await maxLogitDiff(c, randomWeights(c, 1), q, s)).toBeLessThan(1e-4);
    expect(await maxLogitDiff(c, randomWeights(c, 2), q, s)).toBeLessThan(1e-4);
  });

  it('a wrong weight would be caught: the CPU pass differs when one tensor changes', async () => {
    const c = smallConfig();
    const a = randomWeights(c, 3);
    const b = new Map(a);
    const k = b.get('model.layers.1.mlp.up_proj.weight')!.slice();
    k[5] += 0.5;
    b.set('model.layers.1.mlp.up_proj.weight', k);
    const x = forwardCpu(c, a, [1, 4, 5, 6]), y = forwardCpu(c, b, [1, 4, 5, 6]);
    expect(Math.max(...x.map((v, i) => Math.abs(v - y[i])))).toBeGreaterThan(1e-3);
  });
});

// Every shipped zoo model, when the zoo is present (public/zoo/index.json).
const zooReady = existsSync('public/zoo/index.json');
describe.skipIf(!zooReady)('ORT vs CPU on every zoo model', () => {
  it('logits match within 1e-4', async () => {
    const r = nodeAssetReader();
    const index = await loadZooIndex(r);
    let session: OrtSession | undefined;
    let sessionConfig = '';
    for (const m of index.models) {
      const model = await loadModelDir(r, `zoo/${m.path}`, m.name);
      const key = JSON.stringify(model.config);
      if (key !== sessionConfig) {
        session = await createOrtSession(buildLlamaGraph(model.config));
        sessions.push(session);
        sessionConfig = key;
      }
      const ws = await loadWeights(model.config, model.source);
      await model.close();
      const chars = [...model.vocab.charToId.values()];
      const q = [0, 1, 2].map((k) => [model.vocab.bosId, ...Array.from({ length: 10 + 4 * k }, (_, j) => chars[(j * 7 + k * 5) % chars.length])]);
      const d = await maxLogitDiff(model.config, ws, q, session);
      expect(d, m.name).toBeLessThan(1e-4);
    }
  });
});
