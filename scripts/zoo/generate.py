"""Generate the demo zoo: base, one expert per skill, a stranger; eval suites; docs/ZOO.md.

Usage: /usr/bin/python3 scripts/zoo/generate.py [--seed N] [--public DIR] [--docs FILE]
                                                [--quick] [--no-analysis] [--cache DIR] [--check]
Deterministic for a seed on one machine kind (one thread, deterministic algorithms;
BLAS kernels can differ across CPU types, so hashes are checked on the project's machine).
"""
import argparse
import hashlib
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import hf_files as hf  # noqa: E402
import recipe as R  # noqa: E402
from data import SKILL_NAMES, SKILLS, held_out  # noqa: E402
from evaluate import Suite, score  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--public", default=os.path.join(ROOT, "public"), help="writes DIR/zoo and DIR/eval")
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs", "ZOO.md"))
    ap.add_argument("--quick", action="store_true", help="tiny step counts: a smoke test of the pipeline, not the shipped zoo")
    ap.add_argument("--no-analysis", action="store_true", help="skip the merge/loop checks and docs/ZOO.md")
    ap.add_argument("--cache", help="development only: reuse trained stages saved in this folder")
    ap.add_argument("--subsets", action="store_true", help="also run both loops from every 3-of-5 expert subset (slow)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a design check fails")
    return ap.parse_args(argv)


def quick_recipe():
    R.RECIPE["base"]["steps"] = 60
    R.RECIPE["expert"]["max_steps"] = 20
    R.RECIPE["stranger"]["steps"] = 20
    R.RECIPE["n_eval"], R.RECIPE["n_dev"] = 40, 20


def cached(cache, name, make, parts):
    """Development aid: a stage's result is reused while the recipe parts it depends on are unchanged."""
    if not cache:
        return make()
    shared = {k: R.RECIPE[k] for k in ("seq_len", "n_eval", "n_dev")}
    key = hashlib.sha256(json.dumps([shared, R.CONFIG] + [R.RECIPE[p] for p in parts], sort_keys=True).encode()).hexdigest()[:12]
    path = os.path.join(cache, f"{key}-{name}.pt")
    if os.path.exists(path):
        return torch.load(path)
    out = make()
    os.makedirs(cache, exist_ok=True)
    torch.save(out, path)
    return out


def write(path, data, manifest, public):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)
    manifest[os.path.relpath(path, public).replace(os.sep, "/")] = hf.sha256(data)


def eval_lines(seed, skill, items):
    """JSONL with the true answer plus a two-way multiple choice (true vs default)."""
    rng = random.Random(f"{seed}/choices/{skill}")
    lines = []
    for prompt, ans, default in items:
        label = rng.randrange(2)
        choices = [default, ans] if label else [ans, default]
        lines.append(json.dumps({"prompt": prompt, "answer": ans, "choices": choices, "label": label}, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def main(argv):
    args = parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if args.quick:
        quick_recipe()
    t_start = time.time()
    log = lambda m: print(m, flush=True)
    seed, cfg = args.seed, R.CONFIG
    ho = held_out(seed, R.RECIPE["n_eval"], R.RECIPE["n_dev"])
    reserved = {p for parts in ho.values() for items in parts.values() for p, _, _ in items}
    dev = {k: ho[k]["dev"] for k in SKILL_NAMES}
    suites = {k: Suite([(p, a) for p, a, _ in ho[k]["eval"]]) for k in SKILL_NAMES}
    timing = {}

    log("base")
    base, timing["base"] = cached(args.cache, "base", lambda: R.base_model(seed, reserved, log), ["base"])
    experts = {}
    for k in SKILL_NAMES:
        log(f"expert-{k}")
        experts[k], info = cached(args.cache, f"expert-{k}", lambda: R.expert_model(seed, base, k, reserved, dev, log),
                               ["base", "expert"])
        timing[f"expert-{k}"] = {"steps": info["steps"], "seconds": info["seconds"]}
    log("stranger")
    stranger, timing["stranger"] = cached(args.cache, "stranger", lambda: R.stranger_model(seed, reserved, log),
                                        ["base", "stranger"])

    models = [("base", "base", None, base)] + [(f"expert-{k}", "expert", k, experts[k]) for k in SKILL_NAMES] + \
             [("stranger", "stranger", None, stranger)]
    t_files = time.time()
    public, manifest = args.public, {}
    descs = {k: SKILLS[k][2] for k in SKILL_NAMES}
    for name, role, skill, params in models:
        d = os.path.join(public, "zoo", name)
        st = hf.safetensors_bytes(params)
        # The shipped file is what everything downstream sees: score what was written.
        params = hf.read_safetensors(st)
        scores, avg = score(params, cfg, suites)
        log(f"  {name}: " + " ".join(f"{k} {v:.3f}" for k, v in scores.items()) + f" | avg {avg:.3f}")
        write(os.path.join(d, "model.safetensors"), st, manifest, public)
        write(os.path.join(d, "config.json"), hf.config_json(cfg), manifest, public)
        write(os.path.join(d, "vocab.json"), hf.vocab_json(), manifest, public)
        write(os.path.join(d, "tokenizer.json"), hf.tokenizer_json(), manifest, public)
        write(os.path.join(d, "tokenizer_config.json"), hf.tokenizer_config_json(cfg["max_position_embeddings"]), manifest, public)
        write(os.path.join(d, "special_tokens_map.json"), hf.special_tokens_map_json(), manifest, public)
        write(os.path.join(d, "README.md"), hf.model_card(name, role, skill, scores, avg, descs), manifest, public)
    index = {"version": 1, "name": "demo", "skills": SKILL_NAMES,
             "models": [dict({"name": n, "role": role}, **({"skill": s} if s else {}), path=f"{n}/") for n, role, s, _ in models]}
    write(os.path.join(public, "zoo", "index.json"), hf.dump(index), manifest, public)
    for k in SKILL_NAMES:
        write(os.path.join(public, "eval", f"{k}.jsonl"), eval_lines(seed, k, ho[k]["eval"]), manifest, public)
    eval_index = {
        "version": 1, "metric": "exact_match",
        "metric_definition": "the model reads <bos> + prompt + answer + <eos>; an item is correct when the "
                             "teacher-forced argmax is the gold token at every answer position, EOS included "
                             "(identical to greedy decoding); a suite's score is the fraction correct",
        "aggregate": "mean over suites", "zoo": "demo",
        "suites": [{"skill": k, "path": f"{k}.jsonl", "count": len(ho[k]["eval"]), "marker": SKILLS[k][0],
                    "description": SKILLS[k][2], "default_answer": SKILLS[k][3]} for k in SKILL_NAMES],
    }
    write(os.path.join(public, "eval", "index.json"), hf.dump(eval_index), manifest, public)
    mpath = os.path.join(public, "zoo", "manifest.json")
    with open(mpath, "w") as f:
        f.write(hf.dump({"version": 1, "seed": seed, "root": "public/",
                         "files": dict(sorted(manifest.items()))}))
    timing["files"] = {"seconds": time.time() - t_files}
    log(f"wrote {len(manifest)} files; manifest {mpath}")

    if args.no_analysis:
        return 0
    from analysis import analyze
    from report import render

    shipped = {name: hf.read_safetensors(open(os.path.join(public, "zoo", name, "model.safetensors"), "rb").read())
               for name, *_ in models}
    log("analysis")
    r = analyze(shipped["base"], {k: shipped[f"expert-{k}"] for k in SKILL_NAMES}, shipped["stranger"], cfg, suites, log,
                subsets=args.subsets)
    timing["analysis"] = {"seconds": r["seconds"]}
    # How latent the skills are: the base's exact match when the default answer is the target.
    r["base_default"] = score(shipped["base"], cfg, {k: Suite([(p, d) for p, _, d in ho[k]["eval"]]) for k in SKILL_NAMES})
    timing["total"] = {"seconds": time.time() - t_start}
    if args.cache:
        timing["total"]["note"] = "stages reused from --cache keep the seconds of the run that trained them"
    examples = {k: ho[k]["eval"][0][:2] for k in SKILL_NAMES}
    os.makedirs(os.path.dirname(args.docs), exist_ok=True)
    with open(args.docs, "w") as f:
        f.write(render(r, R.RECIPE, cfg, timing, seed, examples))
    failed = [n for n, ok, _ in r["checks"] if not ok]
    for n, ok, v in r["checks"]:
        log(f"  {'pass' if ok else 'FAIL'}: {n}: {v}")
    log(f"total {timing['total']['seconds']:.0f}s")
    return 1 if (args.check and failed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
