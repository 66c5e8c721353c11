"""AdamW training loops for the base, the experts and the stranger."""
import math
import time

import torch

from data import batch


def lr_at(step, peak, warmup, total, floor, schedule):
    if step < warmup:
        return peak * (step + 1) / warmup
    if schedule == "constant":
        return peak
    frac = (step - warmup) / max(1, total - warmup)
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * frac))


def train(params, cfg, draw, steps, *, batch_size, seq_len, peak, warmup, floor=0.0,
          schedule="cosine", weight_decay=0.0, betas=(0.9, 0.98), clip=1.0,
          check=None, check_every=0, log=None):
    """Train `params` in place on batches from `draw()`.

    `check(step)` is called every `check_every` steps and stops training when it
    returns True (the experts' early stop). Returns (steps run, seconds)."""
    from model import forward

    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    decay = [v for v in leaves.values() if v.dim() == 2]
    no_decay = [v for v in leaves.values() if v.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=peak, betas=betas, eps=1e-8,
    )
    t0 = time.time()
    done = 0
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, peak, warmup, steps, floor, schedule)
        inp, tgt, mask = batch([draw() for _ in range(batch_size)], seq_len)
        logits = forward(leaves, cfg, inp)
        nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="none")
        loss = (nll * mask.reshape(-1)).sum() / mask.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(leaves.values()), clip)
        opt.step()
        done = step + 1
        if log and (done % 250 == 0 or done == steps):
            log(f"  step {done}/{steps} loss {loss.item():.4f} ({time.time() - t0:.0f}s)")
        if check_every and done % check_every == 0:
            with torch.no_grad():
                current = {k: v.detach() for k, v in leaves.items()}
                if check(done, current):
                    break
    for k in params:
        params[k] = leaves[k].detach().clone()
    return done, time.time() - t0
