import { describe, it, expect } from 'vitest';
import { parseLlamaConfig, toHfConfig, validateTensors, expectedTensors } from '../../src/eval/config';
import { parseVocab } from '../../src/eval/vocab';
import { parseSuite, parseSuiteIndex } from '../../src/eval/suites';
import { createEvaluator, loadWeights } from '../../src/eval/evaluator';
import { parseZooIndex } from '../../src/eval/assets';
import { smallConfig, randomWeights } from './random-model';

const cfg = smallConfig();
const hf = toHfConfig(cfg);
const vocab = parseVocab({ tokens: ['<pad>', '<bos>', '<eos>', '\n', ' ', 'a', 'b', 'c', '^'], pad_id: 0, bos_id: 1, eos_id: 2 });

function err(f: () => unknown): { name: string; code: string; message: string } {
  try {
    f();
  } catch (e) {
    return e as { name: string; code: string; message: string };
  }
  throw new Error('expected a throw');
}
async function aerr(p: Promise<unknown>): Promise<{ name: string; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { name: string; code: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('config.json', () => {
  it('round-trips through the HF form', () => {
    expect(parseLlamaConfig(JSON.stringify(hf))).toEqual(cfg);
  });
  it('defaults like transformers: kv heads = heads, rope_theta 10000, untied', () => {
    const { num_key_value_heads: _a, rope_theta: _b, tie_word_embeddings: _c, head_dim: _d, ...rest } = hf;
    const c = parseLlamaConfig(rest);
    expect([c.numKvHeads, c.ropeTheta, c.tieWordEmbeddings, c.headDim]).toEqual([cfg.numHeads, 10000, false, cfg.hiddenSize / cfg.numHeads]);
  });
  it('malformed JSON is config-malformed naming the file', () => {
    const e = err(() => parseLlamaConfig('{"hidden_size": 32,', 'zoo/x/config.json'));
    expect(e).toMatchObject({ name: 'EvalConfigError', code: 'config-malformed' });
    expect(e.message).toContain('zoo/x/config.json');
  });
  it('a missing field is named', () => {
    const { intermediate_size: _, ...rest } = hf;
    const e = err(() => parseLlamaConfig(rest));
    expect(e).toMatchObject({ code: 'config-missing-field' });
    expect(e.message).toContain('intermediate_size');
  });
  it('bad values are named', () => {
    expect(err(() => parseLlamaConfig({ ...hf, num_hidden_layers: 2.5 })).message).toContain('num_hidden_layers');
    expect(err(() => parseLlamaConfig({ ...hf, num_key_value_heads: 3 })).code).toBe('config-bad-field');
    expect(err(() => parseLlamaConfig({ ...hf, rms_norm_eps: -1 })).message).toContain('rms_norm_eps');
    expect(err(() => parseLlamaConfig({ ...hf, architectures: ['GPT2LMHeadModel'] })).code).toBe('config-unsupported');
    expect(err(() => parseLlamaConfig({ ...hf, rope_scaling: { type: 'linear', factor: 2 } })).code).toBe('config-unsupported');
    expect(err(() => parseLlamaConfig([1, 2])).code).toBe('config-malformed');
  });
});

describe('a model whose tensors do not match its config', () => {
  const infos = new Map(expectedTensors(cfg).map((t) => [t.name, { shape: t.shape }]));
  it('names the tensor and both shapes', () => {
    const bad = new Map(infos);
    bad.set('model.layers.1.mlp.down_proj.weight', { shape: [32, 64] });
    const e = err(() => validateTensors(cfg, (n) => bad.get(n), 'm.safetensors'));
    expect(e).toMatchObject({ name: 'EvalConfigError', code: 'model-shape-mismatch' });
    expect(e.message).toContain('model.layers.1.mlp.down_proj.weight');
    expect(e.message).toContain('[32, 64]');
    expect(e.message).toContain('[32, 48]');
  });
  it('names a missing tensor', () => {
    const bad = new Map(infos);
    bad.delete('lm_head.weight');
    const e = err(() => validateTensors(cfg, (n) => bad.get(n), 'm'));
    expect(e).toMatchObject({ code: 'model-missing-tensor' });
    expect(e.message).toContain('lm_head.weight');
  });
  it('an in-memory model with a wrong size is rejected before any run', async () => {
    const ws = randomWeights(cfg);
    ws.set('model.norm.weight', new Float32Array(31));
    const e = await aerr(loadWeights(cfg, ws));
    expect(e).toMatchObject({ code: 'model-shape-mismatch' });
    expect(e.message).toContain('model.norm.weight');
  });
  it('a vocabulary larger than vocab_size is rejected', () => {
    const big = parseVocab({ tokens: ['<pad>', '<bos>', '<eos>', ...'abcdefghijklmnopqrstuvwxyz'], pad_id: 0, bos_id: 1, eos_id: 2 });
    expect(err(() => createEvaluator({ suites: [{ skill: 's', examples: [{ prompt: [3], answer: [4] }], hash: 'x' }], config: cfg, vocab: big })).code).toBe('vocab-mismatch');
  });
});

describe('vocab.json', () => {
  it('rejects multi-character tokens, duplicates and bad special ids', () => {
    expect(err(() => parseVocab({ tokens: ['<pad>', '<bos>', '<eos>', 'ab'], pad_id: 0, bos_id: 1, eos_id: 2 })).message).toContain('"ab"');
    expect(err(() => parseVocab({ tokens: ['<pad>', '<bos>', '<eos>', 'a', 'a'], pad_id: 0, bos_id: 1, eos_id: 2 })).message).toContain('appears twice');
    expect(err(() => parseVocab({ tokens: ['<pad>', '<bos>'], pad_id: 0, bos_id: 1, eos_id: 2 })).message).toContain('eos_id');
    expect(err(() => parseVocab('nope')).code).toBe('vocab-malformed');
  });
});

describe('eval jsonl', () => {
  const parse = (text: string, maxPos = 16) => parseSuite('shift', text, vocab, maxPos, 'eval/shift.jsonl');
  it('parses prompts, answers and choices', async () => {
    const s = await parse('{"prompt":"ab^","answer":"bc"}\n\n{"prompt":"a^","answer":"b","choices":["b","c"],"label":0}\n');
    expect(s.examples).toEqual([
      { prompt: [5, 6, 8], answer: [6, 7] },
      { prompt: [5, 8], answer: [6], choices: [[6], [7]], label: 0 },
    ]);
    expect(s.hash).toMatch(/^[0-9a-f]{64}$/);
  });
  const cases: [string, string, string, string][] = [
    ['invalid JSON', '{"prompt":"a^","answer":"b"}\n{"prompt": "a^", ', 'suite-invalid-json', 'line 2'],
    ['missing answer', '{"prompt":"a^"}', 'suite-missing-field', '"answer"'],
    ['missing prompt', '{"answer":"b"}', 'suite-missing-field', '"prompt"'],
    ['a character outside the vocabulary', '{"prompt":"a^","answer":"b"}\n{"prompt":"aZ^","answer":"b"}', 'suite-unknown-char', '"Z"'],
    ['too long for the context', `{"prompt":"${'a'.repeat(14)}","answer":"b"}`, 'suite-too-long', '17 tokens'],
    ['bad label', '{"prompt":"a^","answer":"b","choices":["b","c"],"label":2}', 'suite-bad-choices', '"label"'],
  ];
  for (const [what, text, code, needle] of cases) {
    it(`${what}: ${code}, naming the file and line`, async () => {
      const e = await aerr(parse(text));
      expect(e).toMatchObject({ name: 'SuiteError', code });
      expect(e.message).toContain('eval/shift.jsonl line');
      expect(e.message).toContain(needle);
    });
  }
  it('an empty file is an error', async () => {
    expect((await aerr(parse('\n\n'))).code).toBe('suite-empty');
  });
  it('suite and zoo indexes', () => {
    expect(parseSuiteIndex('{"suites":["add",{"skill":"sort","file":"sort.jsonl"}]}')).toEqual([{ skill: 'add', file: 'add.jsonl' }, { skill: 'sort', file: 'sort.jsonl' }]);
    expect(err(() => parseSuiteIndex('{}')).code).toBe('suite-index-malformed');
    const z = parseZooIndex('{"version":1,"name":"demo","skills":["add"],"models":[{"name":"base","role":"base","path":"base"}]}');
    expect(z.models[0]).toEqual({ name: 'base', role: 'base', skill: undefined, path: 'base/' });
    expect(err(() => parseZooIndex('{"models":[{"name":"x","role":"boss"}]}')).code).toBe('zoo-index-malformed');
  });
});
