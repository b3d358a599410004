"""Two candidates over source-grouped CV folds and several seeds: is one better than seed noise?

A candidate's run for fold f and seed s is `<exp>/<cand>_cv_<f>.json` (seed 0) or `<cand>_cv_<f>_<s>.json`
(experiments.py --job CAND:cv:f:s). Only (fold, seed) runs that both candidates have are compared, so the
comparison is paired: the same held-out images, the same seed, only the recipe differs.

Prints, per seed, the pooled figures over the folds it has; per fold, each seed's image accuracy; and the
paired differences (B - A) with a t interval over the (fold, seed) pairs. Writes the figures as JSON with --out.

Usage: /usr/bin/python3 models/training/seed_compare.py --a cache/exp5:L1-... --b cache/exp7:E1-... [--out results/x.json]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train_lib import load_data, metrics  # noqa: E402


def runs(exp: str, cand: str) -> dict[tuple[int, int], str]:
    """(fold, seed) -> result file of that run."""
    found = {}
    pattern = re.compile(re.escape(cand) + r"_cv_(\d+)(?:_(\d+))?\.json$")
    for name in os.listdir(exp):
        m = pattern.match(name)
        if m:
            found[(int(m.group(1)), int(m.group(2) or 0))] = os.path.join(exp, name)
    return found


def figures(d, idx: np.ndarray, prob: np.ndarray) -> dict:
    m = metrics(d, idx, prob)
    sources = [v["acc"] for v in m["per_source"].values() if v["slices"] >= 20]
    recalls = [c["recall"] for c in m["per_class"].values() if c["slices"] >= 20]
    return {"images": len(idx), "acc": m["acc"], "subject_acc": m["subject_acc"],
            "CT": m["per_modality"].get("CT"), "MR": m["per_modality"].get("MR"),
            "source_macro_acc": float(np.mean(sources)) if sources else None,
            "class_balanced_recall": float(np.mean(recalls)) if recalls else None}


def load_run(path: str) -> tuple[np.ndarray, np.ndarray]:
    r = json.load(open(path))
    return np.array(r["test_idx"]), np.array(r["prob"])


def t_interval(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and a 95 % t interval (small-sample quantiles for up to 30 pairs)."""
    n = len(x)
    mean = float(x.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    t95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23,
           11: 2.20, 12: 2.18, 13: 2.16, 14: 2.14, 15: 2.13}.get(n - 1, 2.05)
    half = t95 * float(x.std(ddof=1)) / np.sqrt(n)
    return mean, mean - half, mean + half


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True, help="EXP_DIR:CANDIDATE (the baseline)")
    ap.add_argument("--b", required=True, help="EXP_DIR:CANDIDATE (the challenger)")
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "slices_128.npz"))
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    (exp_a, cand_a), (exp_b, cand_b) = (s.split(":", 1) for s in (a.a, a.b))
    ra, rb = runs(exp_a, cand_a), runs(exp_b, cand_b)
    pairs = sorted(set(ra) & set(rb))
    if not pairs:
        sys.exit("no (fold, seed) run that both candidates have")
    d = load_data(a.cache)
    loaded = {k: {"A": load_run(ra[k]), "B": load_run(rb[k])} for k in pairs}
    fig = {k: {w: figures(d, *loaded[k][w]) for w in ("A", "B")} for k in pairs}

    print(f"A = {cand_a}\nB = {cand_b}\n{len(pairs)} paired runs (fold, seed): {pairs}\n")
    print("fold seed  images   A acc  B acc  B-A    A CT/MR      B CT/MR")
    for (f, s), v in fig.items():
        A, B = v["A"], v["B"]
        print(f"{f:4d} {s:4d} {A['images']:7d}   {A['acc']:.3f}  {B['acc']:.3f}  {B['acc'] - A['acc']:+.3f}  "
              f"{A['CT']:.3f}/{A['MR']:.3f}  {B['CT']:.3f}/{B['MR']:.3f}")

    seeds = sorted({s for _, s in pairs})
    per_seed = {}
    print("\npooled over the folds of each seed: images, subject mean, source mean and class-balanced recall (>= 20 images), CT, MR")
    for s in seeds:
        ks = [k for k in pairs if k[1] == s]
        pooled = {w: figures(d, np.concatenate([loaded[k][w][0] for k in ks]),
                             np.concatenate([loaded[k][w][1] for k in ks])) for w in ("A", "B")}
        per_seed[s] = {"folds": [f for f, _ in ks], **pooled}
        for w in ("A", "B"):
            p = pooled[w]
            print(f"  seed {s} {w}: folds {[f for f, _ in ks]}  {p['images']} images  acc {p['acc']:.3f}  subj {p['subject_acc']:.3f}  "
                  f"src {p['source_macro_acc']:.3f}  class-bal {p['class_balanced_recall']:.3f}  CT {p['CT']:.3f}  MR {p['MR']:.3f}")

    diffs = np.array([fig[k]["B"]["acc"] - fig[k]["A"]["acc"] for k in pairs])
    mean, lo, hi = t_interval(diffs)
    folds = sorted({f for f, _ in pairs})
    fold_means = {f: {w: float(np.mean([fig[k][w]["acc"] for k in pairs if k[0] == f])) for w in ("A", "B")}
                  for f in folds}
    # A fold's seed-mean, then the image-weighted mean over folds: the CV figure with seed noise averaged out.
    n_f = {f: fig[next(k for k in pairs if k[0] == f)]["A"]["images"] for f in folds}
    cv = {w: sum(fold_means[f][w] * n_f[f] for f in folds) / sum(n_f.values()) for w in ("A", "B")}
    print(f"\nper fold, mean over its seeds: " + "  ".join(
        f"{f}: {fold_means[f]['A']:.3f}/{fold_means[f]['B']:.3f}" for f in folds))
    print(f"seed-averaged CV image accuracy over folds {folds}: A {cv['A']:.3f}  B {cv['B']:.3f}")
    print(f"paired difference B-A per (fold, seed): mean {mean:+.3f}, 95 % t interval [{lo:+.3f}, {hi:+.3f}], "
          f"B better in {int((diffs > 0).sum())} of {len(diffs)}")
    if a.out:
        json.dump({"A": cand_a, "B": cand_b,
                   "runs": [{"fold": f, "seed": s, **{w: fig[(f, s)][w] for w in ("A", "B")}} for f, s in pairs],
                   "per_seed": per_seed, "fold_means": fold_means, "seed_averaged_cv": cv,
                   "paired_difference": {"mean": mean, "ci95_t": [lo, hi], "b_better": int((diffs > 0).sum()),
                                         "pairs": len(diffs)}},
                  open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
