"""The zoo's metric: greedy exact match, computed in one teacher-forced pass.

The model sees <bos> + prompt + answer + <eos>; an item is correct when the argmax
at every answer position, the EOS position included, is the gold token. That is
identical to greedy decoding and is what the TypeScript engine computes.
"""
import torch

from data import BOS, EOS, PAD, encode
from model import forward


class Suite:
    """Pre-tokenised items of one skill: inputs, targets and the answer-position mask."""

    def __init__(self, items):
        seqs = [[BOS] + encode(p) + encode(a) + [EOS] for p, a in items]
        t = max(len(s) for s in seqs) - 1
        n = len(seqs)
        self.inp = torch.full((n, t), PAD, dtype=torch.long)
        self.tgt = torch.full((n, t), PAD, dtype=torch.long)
        self.ans = torch.zeros((n, t), dtype=torch.bool)
        for r, ((p, a), s) in enumerate(zip(items, seqs)):
            self.inp[r, : len(s) - 1] = torch.tensor(s[:-1])
            self.tgt[r, : len(s) - 1] = torch.tensor(s[1:])
            # Target index j predicts token j+1; answer tokens start after <bos>+prompt.
            start = len(p)
            self.ans[r, start : start + len(a) + 1] = True
        self.n = n


@torch.no_grad()
def accuracy(params, cfg, suite):
    pred = forward(params, cfg, suite.inp).argmax(-1)
    ok = (pred == suite.tgt) | ~suite.ans
    return ok.all(dim=1).float().mean().item()


def score(params, cfg, suites):
    """{skill: exact-match accuracy} and the average over skills."""
    scores = {k: accuracy(params, cfg, s) for k, s in suites.items()}
    return scores, sum(scores.values()) / len(scores)
