/**
 * A Hugging Face LlamaForCausalLM config.json: parsing, validation, and the tensor names and shapes
 * that such a model must have. Every rejection is an EvalConfigError naming the field or tensor.
 */
import { KinmergeError } from '../core/errors';
import type { TensorInfo } from '../core/types';

/** A config.json or a model that cannot be evaluated as a Llama model. */
export class EvalConfigError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'EvalConfigError';
  }
}

export interface LlamaConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  vocabSize: number;
  maxPositions: number;
  tieWordEmbeddings: boolean;
}

function need(obj: Record<string, unknown>, key: string, where: string): unknown {
  if (!(key in obj) || obj[key] === null || obj[key] === undefined) {
    throw new EvalConfigError('config-missing-field', `${where}: missing field "${key}". A LlamaForCausalLM config.json must set it.`);
  }
  return obj[key];
}

function posInt(obj: Record<string, unknown>, key: string, where: string): number {
  const v = need(obj, key, where);
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new EvalConfigError('config-bad-field', `${where}: "${key}" must be a positive integer, got ${JSON.stringify(v)}.`);
  }
  return v;
}

function posNum(obj: Record<string, unknown>, key: string, where: string, fallback?: number): number {
  if (fallback !== undefined && !(key in obj)) return fallback;
  const v = need(obj, key, where);
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new EvalConfigError('config-bad-field', `${where}: "${key}" must be a positive number, got ${JSON.stringify(v)}.`);
  }
  return v;
}

/**
 * Parses config.json text (or an already parsed object). `where` names the file in messages.
 * Defaults follow transformers' LlamaConfig only where HF itself defaults (rope_theta 10000,
 * num_key_value_heads = num_attention_heads, tie_word_embeddings false).
 */
export function parseLlamaConfig(text: string | unknown, where = 'config.json'): LlamaConfig {
  let raw: unknown = text;
  if (typeof text === 'string') {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new EvalConfigError('config-malformed', `${where} is not valid JSON (${(e as Error).message}). Fix or regenerate the file.`, { cause: e });
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new EvalConfigError('config-malformed', `${where} must hold a JSON object, got ${Array.isArray(raw) ? 'an array' : typeof raw}.`);
  }
  const o = raw as Record<string, unknown>;
  const arch = o.architectures;
  if (Array.isArray(arch) && arch.length > 0 && !arch.includes('LlamaForCausalLM')) {
    throw new EvalConfigError('config-unsupported', `${where}: architectures ${JSON.stringify(arch)} is not LlamaForCausalLM; only Llama models can be evaluated.`);
  }
  const hiddenSize = posInt(o, 'hidden_size', where);
  const numHeads = posInt(o, 'num_attention_heads', where);
  const numKvHeads = 'num_key_value_heads' in o && o.num_key_value_heads != null ? posInt(o, 'num_key_value_heads', where) : numHeads;
  const headDim = 'head_dim' in o && o.head_dim != null ? posInt(o, 'head_dim', where) : hiddenSize / numHeads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new EvalConfigError('config-bad-field', `${where}: head dimension ${headDim} (hidden_size ${hiddenSize} / num_attention_heads ${numHeads}) must be an even integer for RoPE.`);
  }
  if (numHeads % numKvHeads !== 0) {
    throw new EvalConfigError('config-bad-field', `${where}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}.`);
  }
  if (o.rope_scaling != null) {
    throw new EvalConfigError('config-unsupported', `${where}: rope_scaling ${JSON.stringify(o.rope_scaling)} is not supported; remove it or use plain RoPE.`);
  }
  for (const k of ['attention_bias', 'mlp_bias'] as const) {
    if (o[k] === true) throw new EvalConfigError('config-unsupported', `${where}: ${k}=true is not supported (the graph has no biases).`);
  }
  if (o.hidden_act != null && o.hidden_act !== 'silu') {
    throw new EvalConfigError('config-unsupported', `${where}: hidden_act "${String(o.hidden_act)}" is not supported; Llama uses "silu".`);
  }
  const tie = o.tie_word_embeddings ?? false;
  if (typeof tie !== 'boolean') {
    throw new EvalConfigError('config-bad-field', `${where}: "tie_word_embeddings" must be true or false, got ${JSON.stringify(tie)}.`);
  }
  return {
    hiddenSize,
    intermediateSize: posInt(o, 'intermediate_size', where),
    numLayers: posInt(o, 'num_hidden_layers', where),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: posNum(o, 'rms_norm_eps', where),
    ropeTheta: posNum(o, 'rope_theta', where, 10000),
    vocabSize: posInt(o, 'vocab_size', where),
    maxPositions: posInt(o, 'max_position_embeddings', where),
    tieWordEmbeddings: tie,
  };
}

/** The HF config.json object for a config (what the zoo writes and tests round-trip). */
export function toHfConfig(c: LlamaConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_act: 'silu',
    hidden_size: c.hiddenSize, intermediate_size: c.intermediateSize, num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads, num_key_value_heads: c.numKvHeads, head_dim: c.headDim,
    rms_norm_eps: c.rmsNormEps, rope_theta: c.ropeTheta, vocab_size: c.vocabSize,
    max_position_embeddings: c.maxPositions, tie_word_embeddings: c.tieWordEmbeddings,
  };
}

/** Every tensor the model needs, in graph-input order, with its [out, in] (HF) shape. */
export function expectedTensors(c: LlamaConfig): { name: string; shape: number[] }[] {
  const d = c.hiddenSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim, f = c.intermediateSize;
  const out: { name: string; shape: number[] }[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, d] }];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    out.push(
      { name: `${p}input_layernorm.weight`, shape: [d] },
      { name: `${p}self_attn.q_proj.weight`, shape: [q, d] },
      { name: `${p}self_attn.k_proj.weight`, shape: [kv, d] },
      { name: `${p}self_attn.v_proj.weight`, shape: [kv, d] },
      { name: `${p}self_attn.o_proj.weight`, shape: [d, q] },
      { name: `${p}post_attention_layernorm.weight`, shape: [d] },
      { name: `${p}mlp.gate_proj.weight`, shape: [f, d] },
      { name: `${p}mlp.up_proj.weight`, shape: [f, d] },
      { name: `${p}mlp.down_proj.weight`, shape: [d, f] },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [d] });
  if (!c.tieWordEmbeddings) out.push({ name: 'lm_head.weight', shape: [c.vocabSize, d] });
  return out;
}

/**
 * Checks that a model's tensors match its config: every expected tensor present with the expected
 * shape. Extra tensors are ignored except rotary caches; `lm_head.weight` in a tied model is ignored.
 */
export function validateTensors(c: LlamaConfig, get: (name: string) => Pick<TensorInfo, 'shape'> | undefined, modelId: string): void {
  for (const { name, shape } of expectedTensors(c)) {
    const t = get(name);
    if (!t) {
      throw new EvalConfigError('model-missing-tensor', `${modelId}: tensor "${name}" is missing, but its config.json needs it (shape [${shape.join(', ')}]). Is this the right config for the model?`);
    }
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new EvalConfigError('model-shape-mismatch', `${modelId}: tensor "${name}" has shape [${t.shape.join(', ')}] but its config.json expects [${shape.join(', ')}]. The config and the weights do not belong together.`);
    }
  }
}
