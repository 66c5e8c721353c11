"""The zoo's metric: greedy exact match, computed in one teacher-forced pass.

The model sees <bos> + prompt + answer + <eos>; an item is correct when the argmax
at every answer position, the EOS position included, is the gold token. That is
identical to greedy decoding and is what the TypeScript engine computes.
"""
import torch

from data import BOS, EOS, encode
from model import forward


class Suite:
    """Pre-tokenised items of one skill, grouped by sequence length so that no
    padding is computed (results are the same as one padded batch: attention is causal)."""

    def __init__(self, items):
        groups = {}
        for p, a in items:
            s = [BOS] + encode(p) + encode(a) + [EOS]
            groups.setdefault((len(s), len(p)), []).append((s, len(a)))
        self.groups = []
        for (n, plen), rows in sorted(groups.items()):
            seq = torch.tensor([s for s, _ in rows])
            ans = torch.zeros((len(rows), n - 1), dtype=torch.bool)
            for r, (_, alen) in enumerate(rows):
                # Target index j predicts token j+1; answer tokens start after <bos>+prompt.
                ans[r, plen : plen + alen + 1] = True
            self.groups.append((seq[:, :-1], seq[:, 1:], ans))
        self.n = len(items)


@torch.no_grad()
def accuracy(params, cfg, suite):
    correct = 0
    for inp, tgt, ans in suite.groups:
        pred = forward(params, cfg, inp).argmax(-1)
        correct += ((pred == tgt) | ~ans).all(dim=1).sum().item()
    return correct / suite.n


def score(params, cfg, suites):
    """{skill: exact-match accuracy} and the average over skills."""
    scores = {k: accuracy(params, cfg, s) for k, s in suites.items()}
    return scores, sum(scores.values()) / len(scores)
