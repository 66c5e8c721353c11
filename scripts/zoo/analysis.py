"""Design checks of the zoo (issue 5 "Done when", issue 6's kinship and early-stop checks)."""
import time
from itertools import combinations

from data import SKILL_NAMES
from evaluate import score
from loops import Pool, mean_kin, run
from merge import FLAT_T, PAPER_T, euclid, flat_delta, norm, pcc, slerp, task_arithmetic
from model import to_bf16_exact

ALPHAS = [0.0, 0.25, 0.5, 0.75, 1.0]


def analyze(base, experts, stranger, cfg, suites, log, subsets=False):
    t0 = time.time()
    L = cfg["num_hidden_layers"]
    names = [f"expert-{k}" for k in experts]
    pool = Pool(base, cfg, suites)
    pool.add("base", base)
    for k, p in experts.items():
        pool.add(f"expert-{k}", p)
    pool.add("stranger", stranger)
    r = {"scores": {m: pool.scores[m] for m in ["base", *names, "stranger"]},
         "average": {m: pool.avg[m] for m in ["base", *names, "stranger"]}}
    b = pool.scores["base"]

    # Alpha curves: own-skill accuracy of base + a * delta.
    r["alpha"] = {}
    for k, p in experts.items():
        curve = []
        for a in ALPHAS:
            m = to_bf16_exact({n: base[n] + a * (p[n] - base[n]) for n in base})
            curve.append(score(m, cfg, {k: suites[k]})[0][k])
        r["alpha"][k] = {"curve": curve, "half_retention": ratio(curve[2] - curve[0], curve[-1] - curve[0])}

    ids = [*names, "stranger"]
    r["kinship"] = {a: {c: pool.kin(a, c) for c in ids} for a in ids}
    r["distance"] = {m: euclid(pool.params[m], base) for m in ids}
    r["base_norm"] = norm(base)

    # Every pairwise flat SLERP t = 0.5.
    r["pairs"] = []
    for a, c in combinations(list(experts), 2):
        ia, ic = f"expert-{a}", f"expert-{c}"
        mid = pool.merge(ia, ic, FLAT_T, "f")
        ret_a = ratio(pool.scores[mid][a] - b[a], pool.scores[ia][a] - b[a])
        ret_c = ratio(pool.scores[mid][c] - b[c], pool.scores[ic][c] - b[c])
        gain = pool.avg[mid] - (pool.avg[ia] + pool.avg[ic]) / 2
        r["pairs"].append({"a": a, "b": c, "scores": pool.scores[mid], "average": pool.avg[mid],
                           "retention": [ret_a, ret_c], "gain": gain, "kinship": pool.kin(ia, ic),
                           "ok": min(ret_a, ret_c) >= 0.5 and gain > 0})
    # Merges with the stranger destroy skills.
    r["stranger_merges"] = []
    for k in experts:
        mid = pool.merge(f"expert-{k}", "stranger", FLAT_T, "f")
        ie = f"expert-{k}"
        r["stranger_merges"].append({"expert": k, "scores": pool.scores[mid], "average": pool.avg[mid],
                                     "retention": ratio(pool.scores[mid][k] - b[k], pool.scores[ie][k] - b[k]),
                                     "loss": pool.avg[ie] - pool.avg[mid]})
    r["task_arithmetic"] = {}
    for lam in (0.5, 1.0):
        m = task_arithmetic(base, list(experts.values()), lam)
        r["task_arithmetic"][lam] = score(m, cfg, suites)
    log(f"  pairs and alpha curves ({time.time() - t0:.0f}s)")

    # Loops from all experts (paper gradient SLERP, also flat for greedy) and over every 3-subset.
    r["runs"] = {}
    for variant in ("greedy", "kinship"):
        r["runs"][variant] = run(pool, names, variant, rules=PAPER_T)
    r["subsets"] = []
    for sub in combinations(names, 3) if subsets else []:
        g = run(pool, list(sub), "greedy", rules=PAPER_T)
        kx = run(pool, list(sub), "kinship", rules=PAPER_T)
        r["subsets"].append({"foundation": list(sub), "greedy": summary(g), "kinship": summary(kx)})
    log(f"  loops ({time.time() - t0:.0f}s, {pool.merges_done} merges)")
    r["checks"] = checks(r, experts, b, pool)
    r["seconds"] = time.time() - t0
    return r


def ratio(part, whole):
    """Share of a gain kept; 0 when there is no gain to keep (the check then fails)."""
    return part / whole if whole > 1e-9 else 0.0


def summary(run_):
    return {"best_average": run_["best_average"], "merges": run_["merges"], "early_stop": run_["early_stop"],
            "curve": [g["best_average"] for g in run_["generations"]],
            "kinship": [g["topk_kinship"] for g in run_["generations"]]}


def learning_generations(run_):
    """Generations whose best average rises above the previous generation's best."""
    curve = [g["best_average"] for g in run_["generations"]]
    return sum(1 for i in range(1, len(curve)) if curve[i] > curve[i - 1] + 1e-9)


def early_stop_effect(runs):
    """Fraction of merges saved and best-average loss of the 0.9 early stop over runs."""
    full = sum(x["merges"] for x in runs)
    kept = sum((x["early_stop"] or {"merges": x["merges"]})["merges"] for x in runs)
    loss = max(x["best_average"] - (x["early_stop"] or {"best_average": x["best_average"]})["best_average"] for x in runs)
    return (full - kept) / full, loss


def checks(r, experts, b, pool):
    c = []
    for k in experts:
        own = r["scores"][f"expert-{k}"][k]
        c.append((f"expert-{k} own skill >= 0.9 and >= base + 0.3", own >= 0.9 and own - b[k] >= 0.3, f"{own:.3f} (base {b[k]:.3f})"))
        h = r["alpha"][k]["half_retention"]
        c.append((f"expert-{k} base + 0.5 delta keeps >= 80% of the gain", h >= 0.8, f"{h:.2f}"))
    ok = sum(p["ok"] for p in r["pairs"])
    c.append(("SLERP t=0.5 pairs keeping half of both gains with positive merge gain >= 70%",
              ok >= 0.7 * len(r["pairs"]), f"{ok}/{len(r['pairs'])}"))
    g = r["runs"]["greedy"]
    best_expert = max(r["average"][f"expert-{k}"] for k in experts)
    lg = learning_generations(g)
    c.append(("greedy: best average rises for >= 2 generations, then stalls",
              lg >= 2 and g["best_average"] > best_expert, f"{lg} rising generations; {best_expert:.3f} -> {g['best_average']:.3f}"))
    kins = [x["topk_kinship"] for x in g["generations"]]
    c.append(("greedy: top-3 kinship climbs from near 0 toward 1", kins[0] < 0.3 and max(kins) > 0.9,
              " -> ".join(f"{x:.2f}" for x in kins)))
    dmax = max(r["distance"][f"expert-{k}"] for k in experts)
    c.append(("stranger ED to base >= 10x any expert's", r["distance"]["stranger"] >= 10 * dmax,
              f"{r['distance']['stranger']:.1f} vs {dmax:.2f}"))
    sm = r["stranger_merges"]
    mean_ret = sum(m["retention"] for m in sm) / len(sm)
    min_loss = min(m["loss"] for m in sm)
    c.append(("a merge with the stranger destroys skills (mean own-skill retention < 0.5, every merge below its expert)",
              mean_ret < 0.5 and min_loss > 0, f"mean retention {mean_ret:.2f}; smallest average loss {min_loss:.3f}"))
    subs = r["subsets"] + [{"greedy": summary(r["runs"]["greedy"]), "kinship": summary(r["runs"]["kinship"])}]
    ge = all(s["kinship"]["best_average"] >= s["greedy"]["best_average"] - 1e-9 for s in subs)
    gt = sum(s["kinship"]["best_average"] > s["greedy"]["best_average"] + 1e-9 for s in subs)
    c.append(("kinship-guided best >= greedy's on every starting set, strictly higher on some", ge and gt > 0,
              f"{gt}/{len(subs)} strictly higher; never lower: {ge}"))
    for v in ("greedy", "kinship"):
        saved, loss = early_stop_effect([s[v] for s in subs])
        c.append((f"{v}: early stop at top-3 pcc > 0.9 saves >= 25% of merges, loses <= 0.015",
                  saved >= 0.25 and loss <= 0.015, f"saved {saved:.0%}, worst loss {loss:.3f}"))
    return c
