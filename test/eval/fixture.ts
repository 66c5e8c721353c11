/**
 * A deterministic random "zoo" in memory (pure TS: works in Node and in the browser), whose eval
 * suites have KNOWN scores: answers are the model's own greedy continuations (decoded with the CPU
 * forward pass), right for some examples and deliberately corrupted for others.
 */
import type { LlamaConfig } from '../../src/eval/config';
import { forwardCpu } from '../../src/eval/forward-cpu';
import { parseVocab, type Vocab } from '../../src/eval/vocab';
import { randomWeights, smallConfig } from './random-model';

export interface Fixture {
  config: LlamaConfig;
  vocabJson: { tokens: string[]; pad_id: number; bos_id: number; eos_id: number };
  vocab: Vocab;
  weights: Map<string, Float32Array>;
  /** skill -> jsonl text */
  suites: Record<string, string>;
  /** skill -> exact-match accuracy by construction */
  expected: Record<string, number>;
  /** skill -> multiple-choice accuracy by CPU log-likelihoods */
  expectedMc: Record<string, number>;
}

function argmaxRow(logits: Float64Array, row: number, V: number): number {
  let a = 0;
  for (let v = 1; v < V; v++) if (logits[row * V + v] > logits[row * V + a]) a = v;
  return a;
}

function logLik(c: LlamaConfig, ws: Map<string, Float32Array>, ids: number[], start: number): number {
  const lg = forwardCpu(c, ws, ids), V = c.vocabSize;
  let ll = 0;
  for (let t = start; t < ids.length; t++) {
    const r = (t - 1) * V;
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, lg[r + v]);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(lg[r + v] - mx);
    ll += lg[r + ids[t]] - mx - Math.log(z);
  }
  return ll;
}

export function makeFixture(seed = 5, perSkill = 12): Fixture {
  const config = smallConfig({ maxPositions: 24 });
  const chars = 'abcdefghijklmnopqrstu'.split('');
  const vocabJson = { tokens: ['<pad>', '<bos>', '<eos>', ...chars], pad_id: 0, bos_id: 1, eos_id: 2 };
  const vocab = parseVocab(vocabJson);
  const weights = randomWeights(config, seed);
  // Louder <eos> row so greedy continuations end within a few tokens.
  const head = weights.get('lm_head.weight')!;
  for (let i = 0; i < config.hiddenSize; i++) head[2 * config.hiddenSize + i] *= 2.5;
  const V = config.vocabSize;
  let s = seed * 7919;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const suites: Record<string, string> = {};
  const expected: Record<string, number> = {};
  const expectedMc: Record<string, number> = {};
  for (const [skill, minLen, maxLen] of [['short', 1, 4], ['long', 5, 9]] as const) {
    const lines: string[] = [];
    let right = 0, mcRight = 0, tries = 0;
    while (lines.length < perSkill && tries++ < 2000) {
      const n = minLen + Math.floor(next() * (maxLen - minLen + 1));
      const prompt = Array.from({ length: n }, () => 3 + Math.floor(next() * chars.length));
      const ids = [1, ...prompt];
      const answer: number[] = [];
      let ended = false;
      for (let k = 0; k < 5 && !ended; k++) {
        const t = argmaxRow(forwardCpu(config, weights, ids), ids.length - 1, V);
        if (t === 2) ended = true;
        else if (t < 3) break; // pad or bos: not a writable answer
        else { answer.push(t); ids.push(t); }
      }
      if (!ended || answer.length === 0) continue;
      const good = next() < 0.5;
      const wrong = answer.slice();
      wrong[wrong.length - 1] = 3 + ((wrong[wrong.length - 1] - 3 + 1 + Math.floor(next() * (chars.length - 1))) % chars.length);
      const shown = good ? answer : wrong;
      if (good) right++;
      const text = (a: number[]) => a.map((t) => vocabJson.tokens[t]).join('');
      const label = next() < 0.5 ? 0 : 1;
      const choices = label === 0 ? [text(answer), text(wrong)] : [text(wrong), text(answer)];
      const start = 1 + prompt.length;
      const lls = choices.map((ch) => logLik(config, weights, [1, ...prompt, ...[...ch].map((x) => vocab.charToId.get(x)!), 2], start));
      if ((lls[0] >= lls[1] ? 0 : 1) === label) mcRight++;
      lines.push(JSON.stringify({ prompt: text(prompt), answer: text(shown), choices, label }));
    }
    if (lines.length < perSkill) throw new Error('fixture: too few examples ended in <eos>');
    suites[skill] = lines.join('\n') + '\n';
    expected[skill] = right / lines.length;
    expectedMc[skill] = mcRight / lines.length;
  }
  return { config, vocabJson, vocab, weights, suites, expected, expectedMc };
}
