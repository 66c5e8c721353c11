/**
 * The shipped demo zoo is exactly what `npm run zoo` wrote (sha256 manifest), and its files are
 * consistent: index.json vs folders, HF configs, safetensors headers vs configs, vocabularies and
 * eval suites. No Python needed: this checks the committed files.
 */
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseHeader } from '../../src/core/safetensors';

const PUBLIC = join(import.meta.dirname, '..', '..', 'public');
const ZOO = join(PUBLIC, 'zoo');
const EVAL = join(PUBLIC, 'eval');
const MODEL_FILES = ['model.safetensors', 'config.json', 'vocab.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'README.md'];

type Json = Record<string, any>;
const readJson = (p: string): Json => JSON.parse(readFileSync(p, 'utf8'));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Tensor names and shapes of LlamaForCausalLM for a config (HF naming, [out, in] weights). */
function expectedTensors(c: Json): Map<string, number[]> {
  const d = c.hidden_size, hd = d / c.num_attention_heads, kv = c.num_key_value_heads * hd;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocab_size, d]], ['model.norm.weight', [d]], ['lm_head.weight', [c.vocab_size, d]]]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    m.set(p + 'input_layernorm.weight', [d]);
    m.set(p + 'post_attention_layernorm.weight', [d]);
    m.set(p + 'self_attn.q_proj.weight', [c.num_attention_heads * hd, d]);
    m.set(p + 'self_attn.k_proj.weight', [kv, d]);
    m.set(p + 'self_attn.v_proj.weight', [kv, d]);
    m.set(p + 'self_attn.o_proj.weight', [d, c.num_attention_heads * hd]);
    m.set(p + 'mlp.gate_proj.weight', [c.intermediate_size, d]);
    m.set(p + 'mlp.up_proj.weight', [c.intermediate_size, d]);
    m.set(p + 'mlp.down_proj.weight', [d, c.intermediate_size]);
  }
  return m;
}

const manifest = readJson(join(ZOO, 'manifest.json'));
const index = readJson(join(ZOO, 'index.json'));

describe('demo zoo manifest', () => {
  it('every listed file exists and has the recorded sha256', () => {
    const files = Object.entries(manifest.files as Record<string, string>);
    expect(files.length).toBeGreaterThan(10);
    for (const [rel, hash] of files) {
      const data = readFileSync(join(PUBLIC, rel));
      expect(createHash('sha256').update(data).digest('hex'), rel).toBe(hash);
    }
  });

  it('lists every shipped file under public/zoo and public/eval, and the zoo is under 10 MB', () => {
    const shipped = [...walk(ZOO), ...walk(EVAL)].map((p) => relative(PUBLIC, p).split(sep).join('/'));
    const listed = new Set(Object.keys(manifest.files));
    expect(shipped.filter((p) => p !== 'zoo/manifest.json' && !listed.has(p))).toEqual([]);
    const bytes = walk(ZOO).reduce((s, p) => s + statSync(p).size, 0);
    expect(bytes).toBeLessThan(10_000_000); // the budget: the whole zoo under 10 MB
  });
});

describe('demo zoo index', () => {
  it('has the contract shape: one base, one expert per skill, one stranger', () => {
    expect(index.version).toBe(1);
    expect(index.name).toBe('demo');
    const skills: string[] = index.skills;
    expect(skills.length).toBeGreaterThanOrEqual(5);
    expect(new Set(skills).size).toBe(skills.length);
    const roles = index.models.map((m: Json) => m.role);
    expect(roles.filter((r: string) => r === 'base')).toHaveLength(1);
    expect(roles.filter((r: string) => r === 'stranger')).toHaveLength(1);
    const experts = index.models.filter((m: Json) => m.role === 'expert');
    expect(experts.map((m: Json) => m.skill).sort()).toEqual([...skills].sort());
    for (const m of index.models) {
      expect(m.path).toBe(`${m.name}/`);
      if (m.role === 'expert') expect(m.name).toBe(`expert-${m.skill}`);
      else expect(m.skill).toBeUndefined();
    }
  });

  it('matches the folders exactly, each with every model file', () => {
    const dirs = readdirSync(ZOO).filter((n) => statSync(join(ZOO, n)).isDirectory()).sort();
    expect(dirs).toEqual(index.models.map((m: Json) => m.name).sort());
    for (const m of index.models) for (const f of MODEL_FILES) expect(existsSync(join(ZOO, m.path, f)), `${m.path}${f}`).toBe(true);
  });
});

describe('demo zoo model files', () => {
  const models: Json[] = index.models;

  it('configs are valid LlamaForCausalLM configs, identical across the zoo', () => {
    const first = readFileSync(join(ZOO, models[0].path, 'config.json'), 'utf8');
    for (const m of models) {
      const raw = readFileSync(join(ZOO, m.path, 'config.json'), 'utf8');
      expect(raw, m.name).toBe(first);
      const c = JSON.parse(raw);
      expect(c.architectures).toEqual(['LlamaForCausalLM']);
      expect(c.model_type).toBe('llama');
      for (const k of ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'vocab_size', 'max_position_embeddings'])
        expect(Number.isInteger(c[k]) && c[k] > 0, k).toBe(true);
      expect(c.hidden_size % c.num_attention_heads).toBe(0);
      expect(c.num_attention_heads % c.num_key_value_heads).toBe(0);
      expect((c.hidden_size / c.num_attention_heads) % 2).toBe(0); // RoPE rotates halves
      expect(c.rms_norm_eps).toBeGreaterThan(0);
      expect(c.rope_theta).toBeGreaterThan(0);
      expect(c.tie_word_embeddings).toBe(false);
      expect(c.hidden_act).toBe('silu');
      expect(c.attention_bias).toBe(false);
      expect(c.mlp_bias).toBe(false);
      expect(c.torch_dtype).toBe('bfloat16');
    }
  });

  it('vocab.json and tokenizer.json agree with the config; tokens are single characters', () => {
    for (const m of models) {
      const c = readJson(join(ZOO, m.path, 'config.json'));
      const v = readJson(join(ZOO, m.path, 'vocab.json'));
      expect(v.tokens.length).toBe(c.vocab_size);
      expect(v.tokens.slice(0, 3)).toEqual(['<pad>', '<bos>', '<eos>']);
      expect([v.pad_id, v.bos_id, v.eos_id]).toEqual([c.pad_token_id, c.bos_token_id, c.eos_token_id]);
      expect(new Set(v.tokens).size).toBe(v.tokens.length);
      for (const t of v.tokens.slice(3)) expect([...t]).toHaveLength(1);
      const tok = readJson(join(ZOO, m.path, 'tokenizer.json'));
      expect(Object.entries(tok.model.vocab).sort((a: any, b: any) => a[1] - b[1]).map((e) => e[0])).toEqual(v.tokens);
    }
  });

  it('safetensors headers hold exactly the config tensors in BF16, contiguous and 8-byte aligned', () => {
    for (const m of models) {
      const c = readJson(join(ZOO, m.path, 'config.json'));
      const buf = readFileSync(join(ZOO, m.path, 'model.safetensors'));
      const n = Number(buf.readBigUInt64LE(0));
      expect(n % 8, m.name).toBe(0);
      const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
      expect(header.__metadata__).toEqual({ format: 'pt' });
      const want = expectedTensors(c);
      const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, Json][];
      expect(entries.map((e) => e[0]).sort()).toEqual([...want.keys()].sort());
      let end = 0;
      for (const [name, e] of entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0])) {
        expect(e.dtype).toBe('BF16');
        expect(e.shape, name).toEqual(want.get(name));
        expect(e.data_offsets[0]).toBe(end);
        end = e.data_offsets[1];
        expect(end - e.data_offsets[0]).toBe(2 * e.shape.reduce((a: number, b: number) => a * b, 1));
      }
      expect(8 + n + end).toBe(buf.length);
      // The project's own strict reader accepts the file too.
      expect(parseHeader(new Uint8Array(buf), buf.length).tensors).toHaveLength(want.size);
    }
  });

  it('model cards have YAML front matter; experts name their base model and skill', () => {
    for (const m of models) {
      const card = readFileSync(join(ZOO, m.path, 'README.md'), 'utf8');
      expect(card.startsWith('---\n')).toBe(true);
      const front = card.split('\n---\n')[0];
      expect(front).toContain(`role: ${m.role}`);
      expect(front).toContain('exact_match');
      if (m.role === 'expert') {
        expect(front).toContain('base_model: demo/base');
        expect(front).toContain(`skill: ${m.skill}`);
      }
    }
  });
});

describe('eval suites', () => {
  const ev = readJson(join(EVAL, 'index.json'));
  const vocab: string[] = readJson(join(ZOO, 'base', 'vocab.json')).tokens;

  it('index lists one suite per zoo skill with the exact-match metric', () => {
    expect(ev.metric).toBe('exact_match');
    expect(ev.suites.map((s: Json) => s.skill)).toEqual(index.skills);
  });

  it('every line is a valid item in the vocabulary; prompts are unique; counts match', () => {
    for (const s of ev.suites) {
      const lines = readFileSync(join(EVAL, s.path), 'utf8').trimEnd().split('\n');
      expect(lines.length).toBe(s.count);
      expect(s.count).toBeGreaterThanOrEqual(200);
      const prompts = new Set<string>();
      for (const line of lines) {
        const item = JSON.parse(line);
        expect(typeof item.prompt).toBe('string');
        expect(typeof item.answer).toBe('string');
        expect(item.answer.length).toBeGreaterThan(0);
        for (const ch of item.prompt + item.answer) expect(vocab.indexOf(ch), `${s.skill}: ${JSON.stringify(ch)}`).toBeGreaterThan(2);
        expect(item.choices[item.label]).toBe(item.answer);
        prompts.add(item.prompt);
      }
      expect(prompts.size).toBe(lines.length);
    }
  });
});
