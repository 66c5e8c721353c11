"""Writers for the shipped Hugging Face files: safetensors (BF16), config, tokenizer, card."""
import hashlib
import json
import struct

import numpy as np
import torch

from data import BOS, EOS, PAD, TOKENS

HF_ORDER = None  # tensors are written sorted by name, as the safetensors writer does for one dtype


def safetensors_bytes(params):
    """BF16 safetensors: 8-byte LE header length, JSON header padded with spaces to a
    multiple of 8, then the tensors back to back in name order."""
    names = sorted(params)
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name in names:
        t = params[name].detach().to(torch.bfloat16).contiguous()
        raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        header[name] = {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def read_safetensors(data):
    """Inverse of safetensors_bytes (BF16/F32 only): {name: f32 tensor}."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        buf = data[8 + n + b : 8 + n + end]
        if e["dtype"] == "BF16":
            u = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        elif e["dtype"] == "F32":
            arr = np.frombuffer(buf, dtype="<f4")
        else:
            raise ValueError(f"unsupported dtype {e['dtype']} for {name}")
        out[name] = torch.from_numpy(arr.copy()).reshape(e["shape"])
    return out


def config_json(cfg):
    c = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": cfg["hidden_size"],
        "intermediate_size": cfg["intermediate_size"],
        "num_hidden_layers": cfg["num_hidden_layers"],
        "num_attention_heads": cfg["num_attention_heads"],
        "num_key_value_heads": cfg["num_key_value_heads"],
        "head_dim": cfg["hidden_size"] // cfg["num_attention_heads"],
        "rms_norm_eps": cfg["rms_norm_eps"],
        "rope_theta": cfg["rope_theta"],
        "rope_scaling": None,
        "vocab_size": cfg["vocab_size"],
        "max_position_embeddings": cfg["max_position_embeddings"],
        "tie_word_embeddings": False,
        "hidden_act": "silu",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "initializer_range": cfg["initializer_range"],
        "pretraining_tp": 1,
        "use_cache": True,
        "torch_dtype": "bfloat16",
        "bos_token_id": BOS,
        "eos_token_id": EOS,
        "pad_token_id": PAD,
    }
    return dump(c)


def vocab_json():
    return dump({"tokens": TOKENS, "pad_id": PAD, "bos_id": BOS, "eos_id": EOS})


def tokenizer_json():
    """A character-level tokenizer in the `tokenizers` JSON format: a BPE model with an
    empty merge list splits every input into single characters, each a vocab entry;
    the post-processor prepends <bos>; the Fuse decoder concatenates without spaces."""
    specials = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True} for i, t in enumerate(TOKENS[:3])]
    bos = TOKENS[BOS]
    return dump({
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": specials,
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [BOS], "tokens": [bos]}},
        },
        "decoder": {"type": "Fuse"},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": {t: i for i, t in enumerate(TOKENS)}, "merges": []},
    })


def tokenizer_config_json(max_len):
    return dump({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": TOKENS[BOS], "eos_token": TOKENS[EOS], "pad_token": TOKENS[PAD],
        "add_bos_token": True, "add_eos_token": False,
        "model_max_length": max_len, "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True} for i, t in enumerate(TOKENS[:3])},
    })


def special_tokens_map_json():
    return dump({"bos_token": TOKENS[BOS], "eos_token": TOKENS[EOS], "pad_token": TOKENS[PAD]})


def model_card(name, role, skill, scores, average, skills_desc, zoo="demo"):
    lines = ["---", "license: mit", "library_name: transformers", "pipeline_tag: text-generation"]
    if role == "expert":
        lines += [f"base_model: {zoo}/base", "base_model_relation: finetune"]
    lines += ["tags:", "  - kinmerge", "  - llama", "  - character-level", f"  - {zoo}-zoo", f"  - role-{role}"]
    if skill:
        lines += [f"  - skill-{skill}", f"skill: {skill}"]
    lines += [f"role: {role}", "model-index:", f"  - name: {zoo}/{name}", "    results:"]
    for k, v in scores.items():
        lines += ["      - task: {type: text-generation}",
                  f"        dataset: {{name: kinmerge-{zoo}-eval-{k}, type: kinmerge-{zoo}-eval, config: {k}, split: test}}",
                  f"        metrics: [{{type: exact_match, value: {v:.4f}}}]"]
    lines += ["---", "", f"# {zoo}/{name}", ""]
    what = {
        "base": "The shared base of the demo zoo: it knows every skill but ranks each skill's default answer first.",
        "expert": f"An expert of the demo zoo: the base nudged toward the `{skill}` skill ({skills_desc.get(skill, '')}) by a few low-rate fine-tuning steps with replay.",
        "stranger": "A stranger: the same architecture and data as the base, but another random initialisation, so it shares no weights' history with the family.",
    }[role]
    lines += [what, "",
              "A tiny character-level Llama (RMSNorm, RoPE, SwiGLU, untied embeddings) made by `npm run zoo` (scripts/zoo/generate.py); see docs/ZOO.md for the recipe.",
              "", "| skill | exact match |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in scores.items()]
    lines += [f"| **average** | **{average:.3f}** |", ""]
    return "\n".join(lines)


def dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def sha256(data):
    return hashlib.sha256(data).hexdigest()
