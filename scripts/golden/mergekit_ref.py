#!/usr/bin/python3
"""
Reference outputs for kinmerge's merge goldens: mergekit's formulas re-implemented from the
description in ../shared/reference (merge-semantics.md, paper-and-mergekit.md sections 3-4), in numpy.

- SLERP exactly as mergekit's slerp.py does it: whole flattened tensor, np.float32 throughout,
  normalise only when the norm > 1e-8, lerp of the unnormalised tensors when |dot| > 0.9995.
- linear and the generalised task arithmetic family in float32 (mergekit computes in the input dtype;
  kinmerge computes in f64 and rounds once; the tests allow the ULPs the issue allows).
- Magnitude ranking with a STABLE sort of -|d| (ties by lower index: kinmerge's documented rule; the
  reference's argsort leaves ties unspecified). For k = 0 kinmerge keeps nothing (mergekit asserts).
- DARE masks from kinmerge's counter-based RNG (src/core/rng.ts) ported here, so DARE is checked
  exactly, not only statistically.

Usage: /usr/bin/python3 scripts/golden/mergekit_ref.py   (writes test/golden/merge/)
"""
import json
import os
import re
import shutil
import sys

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(__file__))
import st_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "golden", "merge")
M32 = 0xFFFFFFFF

# ---------------------------------------------------------------- RNG (port of src/core/rng.ts)


def lowbias32(x):
    x = np.asarray(x, dtype=np.uint32)
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint32(16))
        x = x * np.uint32(0x7FEB352D)
        x = x ^ (x >> np.uint32(15))
        x = x * np.uint32(0x846CA68B)
        x = x ^ (x >> np.uint32(16))
    return x


def fnv1a32(s):
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & M32
    return h


def stream_key(seed, name, model_index):
    lo, hi = seed % 2**32, seed // 2**32
    k = int(lowbias32(lo ^ 0x9E3779B9))
    k = int(lowbias32(k ^ hi))
    k = int(lowbias32(k ^ fnv1a32(name)))
    k = int(lowbias32((k + ((model_index + 1) * 0x9E3779B9)) & M32))
    return k


def bits_at(key, idx):
    idx = np.asarray(idx, dtype=np.uint32)
    with np.errstate(over="ignore"):
        return lowbias32(lowbias32(idx ^ np.uint32(key)) + np.uint32(key))


def threshold24(density):
    return int(np.floor(density * 16777216 + 0.5))  # Math.round for non-negative values

# ---------------------------------------------------------------- parameters (mergekit evaluate_setting)


def layer_index(name):
    m = re.search(r"(?:^|\.)(?:layers|h|blocks|layer)\.(\d+)\.", name)
    return int(m.group(1)) if m else -1


def position(name, n_layers):
    i = layer_index(name)
    if i < 0:
        return 0.0
    return 1.0 if n_layers <= 1 else i / (n_layers - 1)


def evaluate(v, name, p):
    if v is None:
        return None
    if isinstance(v, (bool, int, float)):
        return v
    if all(isinstance(x, dict) for x in v):
        for c in v:
            f = c.get("filter")
            if f is None or f == "*" or f in name:
                return evaluate(c["value"], name, p)
        return None
    scaled = p * (len(v) - 1)
    i0 = int(np.floor(scaled))
    i1 = min(len(v) - 1, i0 + 1)
    f = scaled - i0
    return (1 - f) * v[i0] + f * v[i1]


def first(levels, key, name, p, default=None):
    for lv in levels:
        if lv and key in lv:
            r = evaluate(lv[key], name, p)
            if r is not None:
                return r
    return default

# ---------------------------------------------------------------- methods


def slerp(t, v0, v1, dot_threshold=0.9995, eps=1e-8):
    """mergekit slerp.py, np.float32 throughout."""
    t = np.float32(t)
    v0c, v1c = v0.astype(np.float32).copy(), v1.astype(np.float32).copy()
    n0, n1 = np.linalg.norm(v0c), np.linalg.norm(v1c)
    a = v0c / n0 if n0 > eps else v0c
    b = v1c / n1 if n1 > eps else v1c
    dot = np.sum(a * b)
    if np.abs(dot) > dot_threshold:
        return (1 - t) * v0c + t * v1c
    theta0 = np.arccos(dot)
    s = np.sin(theta0)
    theta_t = theta0 * t
    s0 = np.sin(theta0 - theta_t) / s
    s1 = np.sin(theta_t) / s
    return (s0 * v0c + s1 * v1c).astype(np.float32)


def keep_ranks(d, lo, hi):
    order = np.argsort(-np.abs(d).astype(np.float32), kind="stable")
    mask = np.zeros(d.size, dtype=bool)
    mask[order[lo:hi]] = True
    return mask


def magnitude_ranks(numel, density):
    return (0, numel) if density >= 1 else (0, int(np.floor(density * numel)))


def outlier_ranks(numel, density, gamma):
    if density >= 1:
        return 0, numel
    target = int(np.floor(numel * density))
    n_top = int(np.floor(numel * gamma))
    n_bot = numel - target - n_top
    if n_bot < 0:
        n_bot, n_top = 0, numel - target
    return n_top, numel - n_bot


GTA = {  # sparsify, consensus, normalize default
    "task_arithmetic": ("none", False, False),
    "ties": ("magnitude", True, True),
    "dare_linear": ("bernoulli", False, False),
    "dare_ties": ("bernoulli", True, False),
    "breadcrumbs": ("outliers", False, False),
    "breadcrumbs_ties": ("outliers", True, False),
}


def gta(method, name, base, xs, params, glob, seed):
    sp, consensus, norm_default = GTA[method]
    f32 = np.float32
    ws, Ws = [], []
    for k, (x, prm) in enumerate(zip(xs, params)):
        d = (x - base).astype(f32)
        w = f32(prm("weight"))
        if sp in ("magnitude", "outliers"):
            dens = prm("density", 1.0)
            lo, hi = magnitude_ranks(d.size, dens) if sp == "magnitude" else outlier_ranks(d.size, dens, prm("gamma", 0.01))
            d = np.where(keep_ranks(d, lo, hi), d, f32(0)).astype(f32)
        elif sp == "bernoulli":
            dens = prm("density", 1.0)
            if dens < 1:
                key = stream_key(seed, name, k)
                m = (bits_at(key, np.arange(d.size)) >> np.uint32(8)) < threshold24(dens)
                kept = np.where(m, d, f32(0)).astype(f32)
                if glob("rescale", True):
                    l1, l1m = np.abs(d.astype(np.float64)).sum(), np.abs(kept.astype(np.float64)).sum()
                    if l1 >= 1e-7 and l1m >= 1e-7:
                        kept = (kept.astype(np.float64) * (l1 / l1m)).astype(f32)
                d = kept
        ws.append(w)
        Ws.append((w * d).astype(f32))
    W = np.stack(Ws)
    wv = np.array(ws, dtype=f32)[:, None] * np.ones_like(W)
    if consensus:
        sign = np.where(W.sum(axis=0, dtype=f32) >= 0, f32(1), f32(-1))
        mask = np.sign(W) == sign
        mixed = (W * mask).sum(axis=0, dtype=f32)
        div = (wv * mask).sum(axis=0, dtype=f32)
        div[div == 0] = 1
    else:
        mixed = W.sum(axis=0, dtype=f32)
        div = wv.sum(axis=0, dtype=f32)
        div[np.abs(div) < 1e-8] = 1
    if glob("normalize", norm_default):
        mixed = (mixed / div).astype(f32)
    lam = glob("lambda", 1.0)
    if lam != 1:
        mixed = (mixed * f32(lam)).astype(f32)
    return (base + mixed).astype(f32)


DTYPES = {"float32": "F32", "bfloat16": "BF16", "float16": "F16"}


def run_case(cfg, case_dir, seed):
    """Evaluate a recipe dict; returns the output tensors (name, dtype, shape, values)."""
    method = cfg["merge_method"]
    base_ref = cfg.get("base_model")
    if "slices" in cfg:
        s = cfg["slices"][0]
        entries = [(src["model"], [src.get("parameters"), s.get("parameters")]) for src in s["sources"]]
        glob_levels = [s.get("parameters"), cfg.get("parameters")]
    else:
        entries = [(m["model"], [m.get("parameters")]) for m in cfg["models"]]
        glob_levels = [cfg.get("parameters")]
    top = cfg.get("parameters")
    load = lambda ref: st_io.read(os.path.join(case_dir, ref))[0]  # noqa: E731
    models = {ref: load(ref) for ref, _ in entries}
    if base_ref and base_ref not in models:
        models[base_ref] = load(base_ref)
    cast = DTYPES.get(cfg.get("dtype", ""), None)
    out_dt = DTYPES.get(cfg.get("out_dtype") or cfg.get("dtype") or "", None)
    ref_model = models[base_ref] if base_ref else models[entries[0][0]]
    n_layers = max([layer_index(t[0]) for t in ref_model]) + 1
    tensor = {ref: {t[0]: t for t in m} for ref, m in models.items()}
    out = []
    for name, dt, shape, _ in ref_model:
        p = position(name, n_layers)
        val = lambda ref: st_io.round_to(cast, tensor[ref][name][3]) if cast else tensor[ref][name][3]  # noqa: E731
        glob = lambda key, default=None: first(glob_levels, key, name, p, default)  # noqa: E731
        if method == "slerp":
            other = [r for r, _ in entries if r != base_ref][0]
            res = slerp(glob("t"), val(base_ref), val(other))
        elif method == "linear":
            xs = [val(r) for r, _ in entries]
            w = [np.float32(first(lv + [top], "weight", name, p)) for _, lv in entries]
            res = sum(wi * x for wi, x in zip(w, xs)).astype(np.float32)
            if glob("normalize", True):
                res = (res / np.float32(sum(w))).astype(np.float32)
        else:
            others = [(r, lv) for r, lv in entries if r != base_ref]
            prms = [(lambda lv: lambda key, default=None: first(lv + [top], key, name, p, default))(lv) for _, lv in others]
            res = gta(method, name, val(base_ref), [val(r) for r, _ in others], prms, glob, seed)
        out.append((name, out_dt or cast or dt, shape, st_io.round_to(out_dt or cast or dt, res)))
    return out
