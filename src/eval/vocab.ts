/**
 * The zoo's character vocabulary: `{"tokens": [...], "pad_id", "bos_id", "eos_id"}` where every token
 * other than the specials is exactly one character (one UTF-16 code unit is not assumed: we split by
 * code point).
 */
import { EvalConfigError } from './config';

export interface Vocab {
  tokens: string[];
  padId: number;
  bosId: number;
  eosId: number;
  /** character -> id, for the single-character tokens. */
  charToId: Map<string, number>;
}

export function parseVocab(text: string | unknown, where = 'vocab.json', vocabSize?: number): Vocab {
  let raw: unknown = text;
  if (typeof text === 'string') {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new EvalConfigError('vocab-malformed', `${where} is not valid JSON (${(e as Error).message}).`, { cause: e });
    }
  }
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { tokens?: unknown }).tokens)) {
    throw new EvalConfigError('vocab-malformed', `${where} must be an object with a "tokens" array of strings.`);
  }
  const o = raw as Record<string, unknown>;
  const tokens = o.tokens as unknown[];
  const ids: Record<string, number> = {};
  for (const k of ['pad_id', 'bos_id', 'eos_id']) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= tokens.length) {
      throw new EvalConfigError('vocab-malformed', `${where}: "${k}" must be an index into "tokens" (0..${tokens.length - 1}), got ${JSON.stringify(v)}.`);
    }
    ids[k] = v;
  }
  const specials = new Set([ids.pad_id, ids.bos_id, ids.eos_id]);
  const charToId = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (typeof t !== 'string') throw new EvalConfigError('vocab-malformed', `${where}: token ${i} is not a string.`);
    if (specials.has(i)) return;
    if ([...t].length !== 1) {
      throw new EvalConfigError('vocab-malformed', `${where}: token ${i} ${JSON.stringify(t)} is not a single character; the zoo's vocabulary is character-level.`);
    }
    if (charToId.has(t)) throw new EvalConfigError('vocab-malformed', `${where}: character ${JSON.stringify(t)} appears twice (ids ${charToId.get(t)} and ${i}).`);
    charToId.set(t, i);
  });
  if (vocabSize !== undefined && tokens.length > vocabSize) {
    throw new EvalConfigError('vocab-mismatch', `${where} has ${tokens.length} tokens but config.json vocab_size is ${vocabSize}.`);
  }
  return { tokens: tokens as string[], padId: ids.pad_id, bosId: ids.bos_id, eosId: ids.eos_id, charToId };
}

/** Token ids of `text`, or the first character the vocabulary lacks. */
export function encodeText(v: Vocab, text: string): { ids: number[] } | { unknown: string; index: number } {
  const ids: number[] = [];
  let index = 0;
  for (const ch of text) {
    const id = v.charToId.get(ch);
    if (id === undefined) return { unknown: ch, index };
    ids.push(id);
    index++;
  }
  return { ids };
}

export function decodeIds(v: Vocab, ids: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) s += v.tokens[ids[i]] ?? '\uFFFD';
  return s;
}
