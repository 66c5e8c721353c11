"""Llama-architecture forward pass with exactly the Hugging Face semantics.

The weights live in a plain dict keyed by Hugging Face tensor names, so the same
dict is trained, merged, scored and written to safetensors without renaming.
"""
import math

import torch
import torch.nn.functional as F


def tensor_shapes(cfg):
    """Every tensor name and shape of LlamaForCausalLM for this config, in HF state-dict order."""
    d, ff, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = d // heads
    shapes = [("model.embed_tokens.weight", (v, d))]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes += [
            (p + "self_attn.q_proj.weight", (heads * hd, d)),
            (p + "self_attn.k_proj.weight", (kv * hd, d)),
            (p + "self_attn.v_proj.weight", (kv * hd, d)),
            (p + "self_attn.o_proj.weight", (d, heads * hd)),
            (p + "mlp.gate_proj.weight", (ff, d)),
            (p + "mlp.up_proj.weight", (ff, d)),
            (p + "mlp.down_proj.weight", (d, ff)),
            (p + "input_layernorm.weight", (d,)),
            (p + "post_attention_layernorm.weight", (d,)),
        ]
    shapes += [("model.norm.weight", (d,)), ("lm_head.weight", (v, d))]
    return shapes


def init_params(cfg, generator):
    """HF-style init (normal, std = initializer_range; norms = 1), output projections
    scaled by 1/sqrt(2 * layers) so the residual stream starts at unit scale."""
    std = cfg.get("initializer_range", 0.02)
    layers = cfg["num_hidden_layers"]
    params = {}
    for name, shape in tensor_shapes(cfg):
        if len(shape) == 1:
            t = torch.ones(shape)
        else:
            s = std / math.sqrt(2 * layers) if name.endswith(("o_proj.weight", "down_proj.weight")) else std
            t = torch.randn(shape, generator=generator) * s
        params[name] = t
    return params


def rms_norm(x, weight, eps):
    # HF LlamaRMSNorm: computed in f32, then scaled by the weight.
    x32 = x.float()
    return weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope_tables(cfg, seq_len):
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    pos = torch.arange(seq_len, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def forward(params, cfg, tokens):
    """Logits [B, T, V] for token ids [B, T]; causal, no attention mask needed for right padding."""
    b, t = tokens.shape
    d = cfg["hidden_size"]
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = d // heads
    eps = cfg["rms_norm_eps"]
    cos, sin = rope_tables(cfg, t)
    causal = torch.full((t, t), float("-inf")).triu(1)
    x = F.embedding(tokens, params["model.embed_tokens.weight"])
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, params[p + "input_layernorm.weight"], eps)
        q = F.linear(h, params[p + "self_attn.q_proj.weight"]).view(b, t, heads, hd).transpose(1, 2)
        k = F.linear(h, params[p + "self_attn.k_proj.weight"]).view(b, t, kv, hd).transpose(1, 2)
        v = F.linear(h, params[p + "self_attn.v_proj.weight"]).view(b, t, kv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if kv != heads:
            k = k.repeat_interleave(heads // kv, dim=1)
            v = v.repeat_interleave(heads // kv, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + causal
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, heads * hd)
        x = x + F.linear(o, params[p + "self_attn.o_proj.weight"])
        h = rms_norm(x, params[p + "post_attention_layernorm.weight"], eps)
        g = F.linear(h, params[p + "mlp.gate_proj.weight"])
        u = F.linear(h, params[p + "mlp.up_proj.weight"])
        x = x + F.linear(F.silu(g) * u, params[p + "mlp.down_proj.weight"])
    x = rms_norm(x, params["model.norm.weight"], eps)
    return F.linear(x, params["lm_head.weight"])


def to_bf16_exact(params):
    """Round every tensor to BF16 (nearest even) and back to f32: what the shipped file holds."""
    return {k: v.detach().to(torch.bfloat16).float() for k, v in params.items()}
