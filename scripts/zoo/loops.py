"""Python check of the paper's Top-k loops on the zoo (issues 5 and 6).

greedy: generation 1 merges every pair of the foundation models, each later
generation every not-yet-merged pair of the current top-k; stop when the top-k set
no longer changes or at max_gen. kinship: additionally merge the best model (as
SLERP base_model) with the lowest-kinship model among all others. Kinship is pcc of
deltas against the original base. Early stopping before a generation when the top-k
mean pcc exceeds a threshold is a prefix of the same run, so one run reports both.
"""
from itertools import combinations

import torch

from evaluate import score
from merge import PAPER_T, flat_delta, pcc, slerp


class Pool:
    """Evaluated models with cached merges, scores and deltas, shared across runs."""

    def __init__(self, base, cfg, suites):
        self.base, self.cfg, self.suites = base, cfg, suites
        self.params, self.scores, self.avg, self.delta = {}, {}, {}, {}
        self._kin = {}
        self.merges_done = 0

    def add(self, mid, params):
        if mid in self.params:
            return mid
        self.params[mid] = params
        self.scores[mid], self.avg[mid] = score(params, self.cfg, self.suites)
        self.delta[mid] = flat_delta(params, self.base).float()
        return mid

    def merge(self, a, b, rules=PAPER_T, tag="s"):
        mid = f"{tag}({a},{b})"
        if mid not in self.params:
            self.merges_done += 1
            self.add(mid, slerp(self.params[a], self.params[b], self.cfg["num_hidden_layers"], rules))
        return mid

    def kin(self, a, b):
        key = (a, b) if a < b else (b, a)
        if key not in self._kin:
            self._kin[key] = pcc(self.delta[a].double(), self.delta[b].double())
        return self._kin[key]


def mean_kin(pool, ids):
    pairs = list(combinations(ids, 2))
    return sum(pool.kin(a, b) for a, b in pairs) / len(pairs)


def run(pool, foundation, variant="greedy", k=3, max_gen=8, rules=PAPER_T, stop_kin=0.9):
    """Returns {generations: [...], merges, best, best_avg, early_stop: {...}}."""
    tag = "s" if rules is PAPER_T else "f"
    order = lambda ids: sorted(ids, key=lambda m: (-pool.avg[m], m))
    members = list(foundation)
    merged = set()
    models = []  # (id, parents, generation, exploration)
    labels = {m: m for m in foundation}  # the paper's naming: model-<generation>-<i>, -exp
    per_gen = {}

    def do_merge(a, b, gen, exploration=False):
        a, b = (a, b) if exploration else tuple(order([a, b]))  # higher f is base_model
        merged.add(frozenset((a, b)))
        mid = pool.merge(a, b, rules, tag)
        if mid not in members:
            members.append(mid)
            per_gen[gen] = per_gen.get(gen, 0) + 1
            labels[mid] = f"model-{gen}-exp" if exploration else f"model-{gen}-{per_gen[gen]}"
        models.append({"id": mid, "label": labels[mid], "parents": [labels[a], labels[b]], "generation": gen,
                       "exploration": exploration,
                       "average": pool.avg[mid], "gain": pool.avg[mid] - (pool.avg[a] + pool.avg[b]) / 2,
                       "parent_kinship": pool.kin(a, b)})

    gens = [{"generation": 0, "best_average": max(pool.avg[m] for m in foundation),
             "topk": order(foundation)[:k], "topk_kinship": mean_kin(pool, order(foundation)[:k]), "merges": 0}]
    for a, b in combinations(order(foundation), 2):
        do_merge(a, b, 1)
    top = order(members)[:k]
    gens.append({"generation": 1, "best_average": pool.avg[top[0]], "topk": top,
                 "topk_kinship": mean_kin(pool, top), "merges": len(models)})
    prev, gen, stop = None, 1, None
    while top != prev and gen < max_gen:
        if stop is None and stop_kin is not None and mean_kin(pool, top) > stop_kin:
            stop = {"after_generation": gen, "merges": len(models), "best_average": pool.avg[order(members)[0]]}
        gen += 1
        prev = top
        for a, b in combinations(top, 2):
            if frozenset((a, b)) not in merged:
                do_merge(a, b, gen)
        if variant == "kinship":
            best = top[0]
            cands = [m for m in members if m != best and frozenset((best, m)) not in merged]
            if cands:
                mf = min(cands, key=lambda m: (pool.kin(best, m), -pool.avg[m], m))
                do_merge(best, mf, gen, exploration=True)
        top = order(members)[:k]
        gens.append({"generation": gen, "best_average": pool.avg[top[0]], "topk": top,
                     "topk_kinship": mean_kin(pool, top), "merges": len(models)})
    best = order(members)[0]
    for g in gens:
        g["topk"] = [labels[m] for m in g["topk"]]
    return {"best_label": labels[best], "variant": variant, "foundation": list(foundation), "generations": gens, "models": models,
            "merges": len(models), "best": best, "best_average": pool.avg[best], "early_stop": stop,
            "stopped": "converged" if top == prev else "max-gen"}
