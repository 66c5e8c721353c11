/**
 * Eval suites: one jsonl file per skill, one `{"prompt", "answer"}` object per line, optionally with
 * `"choices": [...]` and `"label": i` for multiple-choice log-likelihood accuracy. A scored sequence is
 * `<bos> prompt answer <eos>`; every bad line is a SuiteError naming the file and the line.
 */
import { KinmergeError } from '../core/errors';
import { encodeText, type Vocab } from './vocab';

export class SuiteError extends KinmergeError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'SuiteError';
  }
}

export interface Example {
  /** Token ids of the prompt (no <bos>). */
  prompt: number[];
  /** Token ids of the answer (no <eos>). */
  answer: number[];
  /** Multiple choice: candidate answers as token ids, and the index of the right one. */
  choices?: number[][];
  label?: number;
}

export interface Suite {
  skill: string;
  examples: Example[];
  /** sha256 (hex) of the file's text: part of the results-cache key. */
  hash: string;
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Parses one suite. `file` names it in errors; `maxPositions` is the model context: a sequence longer
 * than it would be scored on positions the model never saw, so it is rejected up front.
 */
export async function parseSuite(skill: string, text: string, vocab: Vocab, maxPositions: number, file = `${skill}.jsonl`): Promise<Suite> {
  const examples: Example[] = [];
  const lines = text.split('\n');
  const fail = (line: number, code: string, what: string): never => {
    throw new SuiteError(code, `${file} line ${line}: ${what}`);
  };
  const encode = (line: number, field: string, s: string): number[] => {
    const r = encodeText(vocab, s);
    if ('unknown' in r) {
      fail(line, 'suite-unknown-char', `${field} has character ${JSON.stringify(r.unknown)} (position ${r.index}) that the vocabulary lacks. Use only characters from vocab.json.`);
    }
    return (r as { ids: number[] }).ids;
  };
  for (let i = 0; i < lines.length; i++) {
    const ln = i + 1;
    const s = lines[i].trim();
    if (s === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(s);
    } catch (e) {
      fail(ln, 'suite-invalid-json', `not valid JSON (${(e as Error).message}).`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) fail(ln, 'suite-bad-line', 'each line must be a JSON object with "prompt" and "answer".');
    const r = o as Record<string, unknown>;
    for (const k of ['prompt', 'answer']) {
      if (typeof r[k] !== 'string') fail(ln, 'suite-missing-field', `missing string field "${k}".`);
    }
    const prompt = encode(ln, 'prompt', r.prompt as string);
    const answer = encode(ln, 'answer', r.answer as string);
    const ex: Example = { prompt, answer };
    let longest = answer.length;
    if (r.choices !== undefined || r.label !== undefined) {
      if (!Array.isArray(r.choices) || r.choices.length < 2 || r.choices.some((c) => typeof c !== 'string')) {
        fail(ln, 'suite-bad-choices', '"choices" must be an array of at least two strings.');
      }
      const choices = r.choices as string[];
      const label = r.label;
      if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= choices.length) {
        fail(ln, 'suite-bad-choices', `"label" must be an index into "choices" (0..${choices.length - 1}), got ${JSON.stringify(label)}.`);
      }
      ex.choices = choices.map((c, j) => encode(ln, `choice ${j}`, c));
      ex.label = label as number;
      longest = Math.max(longest, ...ex.choices.map((c) => c.length));
    }
    const seqLen = 1 + prompt.length + longest + 1;
    if (seqLen > maxPositions) {
      fail(ln, 'suite-too-long', `<bos> + prompt + answer + <eos> is ${seqLen} tokens, more than the model's context of ${maxPositions} (max_position_embeddings).`);
    }
    examples.push(ex);
  }
  if (examples.length === 0) throw new SuiteError('suite-empty', `${file} has no examples.`);
  return { skill, examples, hash: await sha256Hex(text) };
}

/** `public/eval/index.json`: `{"suites": [...]}` of skill names or `{skill, file}` objects, or a bare array. */
export function parseSuiteIndex(text: string, where = 'eval/index.json'): { skill: string; file: string }[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SuiteError('suite-index-malformed', `${where} is not valid JSON (${(e as Error).message}).`);
  }
  const list = Array.isArray(raw) ? raw : (raw as { suites?: unknown; skills?: unknown } | null)?.suites ?? (raw as { skills?: unknown } | null)?.skills;
  if (!Array.isArray(list) || list.length === 0) {
    throw new SuiteError('suite-index-malformed', `${where} must list the suites: {"suites": ["skill", ...]} or [{"skill", "file"}, ...].`);
  }
  return list.map((e, i) => {
    if (typeof e === 'string') return { skill: e, file: `${e}.jsonl` };
    const o = e as Record<string, unknown> | null;
    const skill = o?.skill ?? o?.name;
    if (typeof skill !== 'string') throw new SuiteError('suite-index-malformed', `${where}: entry ${i} has no "skill" name.`);
    return { skill, file: typeof o?.file === 'string' ? o.file : typeof o?.path === 'string' ? o.path : `${skill}.jsonl` };
  });
}
