"""The zoo recipe: model shape, training stages and their hyper-parameters.

Kept in one place so docs/ZOO.md can print exactly what produced the shipped files.
"""
import random

import torch

from data import EOS, BOS, PAD, SKILL_NAMES, TOKENS, Sampler
from evaluate import Suite, accuracy
from model import init_params, to_bf16_exact
from train import train

CONFIG = {
    "hidden_size": 128,
    "intermediate_size": 256,  # 669,312 parameters: 7 models in BF16 stay under 10 MB
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "vocab_size": len(TOKENS),
    "max_position_embeddings": 64,
    "initializer_range": 0.02,
    "bos_token_id": BOS,
    "eos_token_id": EOS,
    "pad_token_id": PAD,
}

RECIPE = {
    "seq_len": 16,            # longest example: <bos> + 7 + marker + 7 + <eos> = 17 tokens
    "n_eval": 300,            # held-out eval prompts per skill (shipped in public/eval)
    "n_dev": 200,             # held-out dev prompts per skill (expert early stop only)
    "base": {
        "steps": 2000, "batch": 64, "peak": 3e-3, "floor": 1e-4, "warmup": 100,
        "weight_decay": 0.01, "p_generic": 0.4, "p_true": 0.35,
    },
    "expert": {
        "max_steps": 300, "batch": 64, "peak": 3e-4, "warmup": 10, "p_own": 0.5,
        "check_every": 10, "stop_full": 0.95, "stop_quarter": 0.75,
    },
    "stranger": {"steps": 600, "init_seed_offset": 1000},
}


def base_model(seed, reserved, log):
    """From scratch on generic text plus every skill with answers that are true only
    with probability p_true (else the default): the skills are latent, out-ranked."""
    r = RECIPE["base"]
    params = init_params(CONFIG, torch.Generator().manual_seed(seed))
    s = Sampler(f"{seed}/base", reserved, r["p_true"])
    steps, secs = train(params, CONFIG, lambda: s.mixture(SKILL_NAMES, r["p_generic"]), r["steps"],
                        batch_size=r["batch"], seq_len=RECIPE["seq_len"], peak=r["peak"],
                        warmup=r["warmup"], floor=r["floor"], weight_decay=r["weight_decay"], log=log)
    return to_bf16_exact(params), {"steps": steps, "seconds": secs}


def expert_model(seed, base, skill, reserved, dev, log):
    """Low-rate full fine-tune from the base: half the examples are the own skill with
    true answers, half replay the base mixture without the own skill. Stops as soon as
    the skill is robust: dev accuracy >= stop_full, and >= stop_quarter already at
    base + 0.25 * delta (a pairwise merge gives each parent about half its delta, a
    merge of merges a quarter: the skill must survive both for the loop to learn)."""
    r, rb = RECIPE["expert"], RECIPE["base"]
    others = [k for k in SKILL_NAMES if k != skill]
    s = Sampler(f"{seed}/expert/{skill}", reserved, rb["p_true"])
    rng = random.Random(f"{seed}/expert-mix/{skill}")

    def draw():
        if rng.random() < r["p_own"]:
            return s.skill(skill, p_true=1.0)
        return s.mixture(others, rb["p_generic"])

    suite = Suite([(p, a) for p, a, _ in dev[skill]])
    trace = []

    def check(step, cur):
        cur16 = to_bf16_exact(cur)
        full = accuracy(cur16, CONFIG, suite)
        quarter = accuracy(to_bf16_exact({k: base[k] + 0.25 * (cur16[k] - base[k]) for k in base}), CONFIG, suite)
        trace.append((step, full, quarter))
        return full >= r["stop_full"] and quarter >= r["stop_quarter"]

    params = dict(base)
    steps, secs = train(params, CONFIG, draw, r["max_steps"], batch_size=r["batch"],
                        seq_len=RECIPE["seq_len"], peak=r["peak"], warmup=r["warmup"],
                        schedule="constant", weight_decay=0.0, check=check,
                        check_every=r["check_every"])
    log(f"  expert-{skill}: {steps} steps, {secs:.0f}s, dev (full, quarter) {trace[-1][1:]}")
    return to_bf16_exact(params), {"steps": steps, "seconds": secs, "dev_trace": trace}


def stranger_model(seed, reserved, log):
    """Same data as the base, another initialisation, a shorter run: a competent model
    that shares no weights' history with the family."""
    r, rb = RECIPE["stranger"], RECIPE["base"]
    params = init_params(CONFIG, torch.Generator().manual_seed(seed + r["init_seed_offset"]))
    s = Sampler(f"{seed}/stranger", reserved, rb["p_true"])
    steps, secs = train(params, CONFIG, lambda: s.mixture(SKILL_NAMES, rb["p_generic"]), r["steps"],
                        batch_size=rb["batch"], seq_len=RECIPE["seq_len"], peak=rb["peak"],
                        warmup=rb["warmup"], floor=rb["floor"], weight_decay=rb["weight_decay"], log=log)
    return to_bf16_exact(params), {"steps": steps, "seconds": secs}
