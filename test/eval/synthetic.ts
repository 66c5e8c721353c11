/**
 * Zoo-sized synthetic workload for timing: the prototype's architecture (d 128, 4 layers, 4 heads,
 * intermediate 352, 50 tokens, context 64) with random weights, and 6 suites x 200 examples with the
 * zoo's prompt/answer lengths. Scores are meaningless; only the time is measured.
 */
import type { Suite } from '../../src/eval/suites';
import { parseVocab } from '../../src/eval/vocab';
import { smallConfig } from './random-model';

export const zooSizedConfig = smallConfig({
  hiddenSize: 128, intermediateSize: 352, numLayers: 4, numHeads: 4, numKvHeads: 4, headDim: 32, vocabSize: 50, maxPositions: 64,
});

export const zooSizedVocab = parseVocab({
  tokens: ['<pad>', '<bos>', '<eos>', '\n', ' ', ...'0123456789abcdefghijklmnopqrstuvwxyz+-=>|?^#:'],
  pad_id: 0, bos_id: 1, eos_id: 2,
});

export function zooSizedSuites(skills = 6, perSkill = 200): Suite[] {
  let s = 12345;
  const rnd = (n: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % n);
  return Array.from({ length: skills }, (_, k) => ({
    skill: `skill${k}`,
    hash: `synthetic-${k}`,
    // prompts of 3-10 characters plus a marker, answers of 1-4 characters (the prototype's ranges)
    examples: Array.from({ length: perSkill }, () => ({
      prompt: Array.from({ length: 4 + rnd(8) }, () => 5 + rnd(45)),
      answer: Array.from({ length: 1 + rnd(4) }, () => 5 + rnd(45)),
    })),
  }));
}
