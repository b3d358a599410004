"""Compare a candidate's CV (some or all folds) with an earlier round's candidate on the same
held-out sources: slice accuracy and source-macro accuracy from the per-source figures.

Usage: /usr/bin/python3 models/training/compare_cv.py results/cv_round3.json P1-... results/cv_round2.json A3-...
"""
from __future__ import annotations

import json
import sys

import numpy as np


def per_source(path: str, cand: str) -> dict:
    return json.load(open(path))[cand]["cv"]["per_source"]


def main(new_path: str, new: str, old_path: str, old: str) -> None:
    a, b = per_source(new_path, new), per_source(old_path, old)
    common = sorted(set(a) & set(b))
    n = np.array([a[s]["slices"] for s in common], float)
    acc_a = np.array([a[s]["acc"] for s in common])
    acc_b = np.array([b[s]["acc"] for s in common])
    big = n >= 20
    print(f"{len(common)} common held-out sources, {int(n.sum())} slices")
    print(f"slice accuracy   {new}: {np.sum(acc_a * n) / n.sum():.3f}   {old}: {np.sum(acc_b * n) / n.sum():.3f}")
    print(f"source-macro (>=20 slices, {int(big.sum())} sources)  {new}: {acc_a[big].mean():.3f}   {old}: {acc_b[big].mean():.3f}")
    for s, k, x, y in sorted(zip(common, n, acc_a, acc_b), key=lambda t: -t[1]):
        print(f"  {s[:50]:50s} {int(k):5d}  {x:.2f}  {y:.2f}  {'+' if x > y else ('-' if x < y else '=')}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
