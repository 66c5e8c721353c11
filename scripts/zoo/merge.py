"""mergekit-equivalent SLERP (flat and gradient t), task arithmetic and kinship.

Merged tensors are computed in f32 from BF16-exact inputs and rounded to BF16, as
mergekit does with `dtype: bfloat16`; the scalar coefficients are computed in f64.
"""
import math
import re

import torch

from model import to_bf16_exact

PAPER_T = [("self_attn", [0, 0.5, 0.3, 0.7, 1]), ("mlp", [1, 0.5, 0.7, 0.3, 0]), (None, 0.5)]
FLAT_T = [(None, 0.5)]


def gradient_value(value, pos):
    if not isinstance(value, list):
        return float(value)
    scaled = pos * (len(value) - 1)
    i0 = int(scaled)
    i1 = min(len(value) - 1, i0 + 1)
    f = scaled - i0
    return (1 - f) * value[i0] + f * value[i1]


def t_for(name, n_layers, rules):
    """First matching {filter, value} wins; filters are substrings; layer position i/(L-1)."""
    m = re.search(r"layers\.(\d+)\.", name)
    pos = (int(m.group(1)) / (n_layers - 1) if n_layers > 1 else 1.0) if m else 0.0
    for filt, value in rules:
        if filt is None or filt in name:
            return gradient_value(value, pos)
    raise ValueError(f"no t for {name}")


def slerp_tensor(t, a, b):
    a64, b64 = a.double(), b.double()
    na, nb = a64.norm().item(), b64.norm().item()
    dot = ((a64 / na if na > 1e-8 else a64) * (b64 / nb if nb > 1e-8 else b64)).sum().item()
    if abs(dot) > 0.9995:
        s0, s1 = 1 - t, t
    else:
        th = math.acos(dot)
        s0, s1 = math.sin((1 - t) * th) / math.sin(th), math.sin(t * th) / math.sin(th)
    return s0 * a + s1 * b


def slerp(base_model, other, n_layers, rules=FLAT_T):
    """mergekit slerp: base_model is the t = 0 end."""
    return to_bf16_exact({k: slerp_tensor(t_for(k, n_layers, rules), base_model[k], other[k]) for k in base_model})


def task_arithmetic(base, models, lam):
    return to_bf16_exact({k: base[k] + lam * sum(m[k] - base[k] for m in models) for k in base})


def flat_delta(model, base):
    return torch.cat([(model[k].double() - base[k].double()).reshape(-1) for k in base])


def pcc(x, y):
    xc, yc = x - x.mean(), y - y.mean()
    return max(-1.0, min(1.0, (xc @ yc).item() / math.sqrt((xc @ xc).item() * (yc @ yc).item())))


def euclid(a, b):
    return math.sqrt(sum(((a[k].double() - b[k].double()) ** 2).sum().item() for k in a))


def norm(a):
    return math.sqrt(sum((a[k].double() ** 2).sum().item() for k in a))
