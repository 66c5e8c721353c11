/**
 * Teacher-forced scoring, independent of the runtime that produces logits.
 *
 * Every example becomes one sequence `<bos> prompt answer <eos>` (and one per choice for multiple
 * choice). Sequences are sorted by length and cut into batches, each padded on the RIGHT to its
 * longest member: under a causal mask no real position can see a pad, so padding changes nothing.
 * One forward pass per batch gives logits for every position at once.
 *
 * Greedy exact match: the example is right when the argmax at every answer position, <eos> included,
 * is the next token; that is exactly what greedy decoding would emit, without decoding step by step.
 * Multiple choice: the choice with the highest summed log-probability (answer tokens + <eos>) wins.
 */
import { throwIfAborted } from '../core/errors';
import type { Suite } from './suites';
import type { Vocab } from './vocab';

/** Logits [batch, seq, vocab] of right-padded ids [batch, seq]. */
export type RunBatch = (ids: BigInt64Array, batch: number, seq: number) => Promise<Float32Array>;

/** Which example (and which choice, -1 for the greedy answer) a scored sequence stands for. */
interface Use {
  suite: number;
  example: number;
  choice: number;
}

interface Item {
  ids: number[];
  /** Index of the first target token (first answer token) in ids. */
  start: number;
  /** Usually one; more when the same sequence serves twice (the right choice is the greedy answer). */
  uses: Use[];
}

export interface Batch {
  items: Item[];
  seq: number;
}

export interface SuiteScores {
  /** skill -> greedy exact-match accuracy. */
  scores: Record<string, number>;
  /** Mean of `scores` over skills. */
  average: number;
  /** skill -> multiple-choice accuracy, for suites whose examples carry choices. */
  mc?: Record<string, number>;
}

/**
 * Sequences of all suites, sorted by length, in batches of at most `batchSize`. Identical sequences
 * are scored once (a multiple-choice example's right choice is its greedy answer). Choices are only
 * planned when `multipleChoice` is set: they multiply the work for a second metric.
 */
export function planBatches(suites: Suite[], vocab: Vocab, batchSize: number, multipleChoice = false): Batch[] {
  const items: Item[] = [];
  const byKey = new Map<string, Item>();
  const add = (ids: number[], start: number, use: Use) => {
    const key = ids.join(',');
    const seen = byKey.get(key);
    if (seen) return void seen.uses.push(use);
    const it = { ids, start, uses: [use] };
    byKey.set(key, it);
    items.push(it);
  };
  suites.forEach((s, si) => s.examples.forEach((ex, ei) => {
    const head = [vocab.bosId, ...ex.prompt];
    add([...head, ...ex.answer, vocab.eosId], head.length, { suite: si, example: ei, choice: -1 });
    if (multipleChoice) ex.choices?.forEach((c, ci) => add([...head, ...c, vocab.eosId], head.length, { suite: si, example: ei, choice: ci }));
  }));
  // Stable sort by length keeps the plan deterministic and padding minimal.
  const order = items.map((_, i) => i).sort((a, b) => items[a].ids.length - items[b].ids.length || a - b);
  const batches: Batch[] = [];
  for (let i = 0; i < order.length; i += batchSize) {
    const chunk = order.slice(i, i + batchSize).map((j) => items[j]);
    batches.push({ items: chunk, seq: Math.max(...chunk.map((it) => it.ids.length)) });
  }
  return batches;
}

/** Right-padded int64 ids [batch, seq]. */
export function batchIds(b: Batch, padId: number): BigInt64Array {
  const out = new BigInt64Array(b.items.length * b.seq).fill(BigInt(padId));
  b.items.forEach((it, r) => it.ids.forEach((t, j) => (out[r * b.seq + j] = BigInt(t))));
  return out;
}

/** Runs every batch through `run` and tallies both metrics. */
export async function scoreSuites(suites: Suite[], vocab: Vocab, vocabSize: number, batches: Batch[], run: RunBatch, signal?: AbortSignal): Promise<SuiteScores> {
  const multipleChoice = batches.some((b) => b.items.some((it) => it.uses.some((u) => u.choice >= 0)));
  const correct = suites.map((s) => new Uint8Array(s.examples.length));
  // Per example, best log-likelihood so far and its choice.
  const best = suites.map((s) => s.examples.map(() => ({ ll: -Infinity, choice: -1 })));
  const V = vocabSize;
  for (const b of batches) {
    throwIfAborted(signal);
    const logits = await run(batchIds(b, vocab.padId), b.items.length, b.seq);
    b.items.forEach((it, r) => {
      const wantLl = it.uses.some((u) => u.choice >= 0);
      let allRight = true;
      let ll = 0;
      for (let t = it.start; t < it.ids.length; t++) {
        const row = (r * b.seq + t - 1) * V; // logits at t-1 predict token t
        const target = it.ids[t];
        let arg = 0, mx = logits[row];
        for (let v = 1; v < V; v++) if (logits[row + v] > mx) { mx = logits[row + v]; arg = v; }
        if (arg !== target) allRight = false;
        if (wantLl) {
          let z = 0; // log-softmax in f64, max-shifted
          for (let v = 0; v < V; v++) z += Math.exp(logits[row + v] - mx);
          ll += logits[row + target] - mx - Math.log(z);
        }
      }
      for (const u of it.uses) {
        if (u.choice < 0) correct[u.suite][u.example] = allRight ? 1 : 0;
        else {
          const cur = best[u.suite][u.example];
          if (ll > cur.ll || (ll === cur.ll && u.choice < cur.choice)) best[u.suite][u.example] = { ll, choice: u.choice };
        }
      }
    });
  }
  const scores: Record<string, number> = {};
  let mc: Record<string, number> | undefined;
  suites.forEach((s, si) => {
    scores[s.skill] = correct[si].reduce((a, x) => a + x, 0) / s.examples.length;
    const withChoices = s.examples.filter((e) => e.choices);
    if (withChoices.length > 0 && multipleChoice) {
      const right = s.examples.reduce((a, e, ei) => a + (e.choices && best[si][ei].choice === e.label ? 1 : 0), 0);
      (mc ??= {})[s.skill] = right / withChoices.length;
    }
  });
  const skills = Object.keys(scores);
  const average = skills.reduce((a, k) => a + scores[k], 0) / skills.length;
  return mc ? { scores, average, mc } : { scores, average };
}
