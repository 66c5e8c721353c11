"""Character vocabulary, the five skills, the generic corpus and the held-out splits.

Every skill has a natural *default* (competitor) answer. The base is trained on
answers that are true only with probability p_true and otherwise the default, so it
knows each skill but ranks the default first; an expert flips that preference with
a few low-rate steps. No two skills share a marker, and no skill's true answer is
another skill's default (the prototype's max/min pair did conflict).
"""
import random
import string

SPECIALS = ["<pad>", "<bos>", "<eos>"]
CHARS = ["\n", " "] + list(string.digits) + list(string.ascii_lowercase) + list("+-=>|?^#:")
TOKENS = SPECIALS + CHARS
PAD, BOS, EOS = 0, 1, 2
STOI = {c: i for i, c in enumerate(TOKENS)}
LETTERS = string.ascii_lowercase
DIGITS = string.digits


def encode(text):
    return [STOI[c] for c in text]


def _letters(rng, lo=3, hi=7):
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(lo, hi)))


def _digits(rng, lo=3, hi=7):
    return "".join(rng.choice(DIGITS) for _ in range(rng.randint(lo, hi)))


def _shift(rng):
    w = _letters(rng)
    return w + "^", "".join(LETTERS[(LETTERS.index(c) + 1) % 26] for c in w), w


def _back(rng):
    w = _letters(rng)
    return w + ">", "".join(LETTERS[(LETTERS.index(c) - 1) % 26] for c in w), w


def _inc(rng):
    w = _digits(rng)
    return w + "=", "".join(str((int(c) + 1) % 10) for c in w), w


def _max(rng):
    # Answers uniform over 1-9 so that no constant answer scores well; the default is
    # the minimum digit, which differs from the maximum by construction.
    m = rng.randint(1, 9)
    n = rng.randint(3, 7)
    while True:
        w = "".join(str(rng.randint(0, m)) for _ in range(n))
        if str(m) in w and min(w) < str(m):
            return w + "?", str(m), min(w)


def _last(rng):
    # The last letter; the default is the first letter (always a different letter).
    while True:
        w = _letters(rng)
        if w[0] != w[-1]:
            return w + "|", w[-1], w[0]


# name -> (marker, generator returning (prompt, true answer, default answer), demo)
SKILLS = {
    "shift": ("^", _shift, "each letter + 1 (z -> a)", "copy the input"),
    "back": (">", _back, "each letter - 1 (a -> z)", "copy the input"),
    "inc": ("=", _inc, "each digit + 1 (mod 10)", "copy the input"),
    "max": ("?", _max, "the largest digit", "the smallest digit"),
    "last": ("|", _last, "the last letter", "the first letter"),
}
SKILL_NAMES = list(SKILLS)


def skill_example(skill, rng):
    return SKILLS[skill][1](rng)


def generic_text(rng):
    """Generic corpus: character soup, alphabet/digit runs, copy `w:` -> `w`."""
    r = rng.random()
    if r < 0.25:
        return "".join(rng.choice(CHARS[1:]) for _ in range(rng.randint(6, 14)))
    if r < 0.5:
        alpha = rng.choice([LETTERS, DIGITS])
        start, n = rng.randrange(len(alpha)), rng.randint(5, 14)
        return "".join(alpha[(start + i) % len(alpha)] for i in range(n))
    w = _letters(rng) if rng.random() < 0.5 else _digits(rng)
    return w + ":" + w


def held_out(seed, n_eval, n_dev):
    """Disjoint eval and dev prompt sets per skill, drawn before any training data.

    Disjointness: prompts are de-duplicated within and across the two sets, and the
    training sampler rejects every prompt in either set (see Sampler)."""
    rng = random.Random(f"{seed}/held-out")
    out = {}
    for skill in SKILL_NAMES:
        seen, ev, dev = set(), [], []
        while len(ev) < n_eval or len(dev) < n_dev:
            prompt, ans, default = skill_example(skill, rng)
            if prompt in seen:
                continue
            seen.add(prompt)
            (ev if len(ev) < n_eval else dev).append((prompt, ans, default))
        out[skill] = {"eval": ev, "dev": dev}
    return out


class Sampler:
    """Training examples as (token ids, loss mask), never drawing a reserved prompt."""

    def __init__(self, seed, reserved, p_true):
        self.rng = random.Random(seed)
        self.reserved = reserved
        self.p_true = p_true

    def generic(self):
        ids = [BOS] + encode(generic_text(self.rng)) + [EOS]
        return ids, [0] + [1] * (len(ids) - 1)

    def skill(self, skill, p_true=None):
        p = self.p_true if p_true is None else p_true
        while True:
            prompt, ans, default = skill_example(skill, self.rng)
            if prompt not in self.reserved:
                break
        answer = ans if self.rng.random() < p else default
        ids = [BOS] + encode(prompt) + encode(answer) + [EOS]
        # Loss on the answer tokens and EOS only: the prompt distribution is not the skill.
        n_ans = len(answer) + 1
        return ids, [0] * (len(ids) - n_ans) + [1] * n_ans

    def mixture(self, skills, p_generic):
        if self.rng.random() < p_generic:
            return self.generic()
        return self.skill(self.rng.choice(skills))


def batch(examples, seq_len):
    """Right-padded inputs/targets/mask tensors (targets are inputs shifted by one)."""
    import torch

    b = len(examples)
    inp = torch.full((b, seq_len), PAD, dtype=torch.long)
    tgt = torch.full((b, seq_len), PAD, dtype=torch.long)
    mask = torch.zeros((b, seq_len))
    for r, (ids, m) in enumerate(examples):
        n = len(ids) - 1
        inp[r, :n] = torch.tensor(ids[:-1])
        tgt[r, :n] = torch.tensor(ids[1:])
        mask[r, :n] = torch.tensor(m[1:], dtype=torch.float32)
    return inp, tgt, mask
