"""Label-free re-estimation of a site's class priors (EM of Saerens et al., 2002) on the pooled
source-held-out CV logits: each site (one modality of one source) re-weights the calibrated
posteriors by the class frequencies its own images suggest, shrunk towards a uniform prior by
`smooth` pseudo-images. No labels are used; the labels only score the result.

Usage: /usr/bin/python3 models/training/label_shift_cv.py [--logits results/cv_L1-..._logits.npz] \
         [--temperature 1.1747] [--smooth 0 10 50 200]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from calibrate import softmax  # noqa: E402


def em_priors(p: np.ndarray, smooth: float, iterations: int = 50) -> np.ndarray:
    """Posteriors re-weighted by the site's estimated class priors (training prior taken as uniform:
    the sampler balances classes)."""
    k = p.shape[1]
    base = np.full(k, 1.0 / k)
    pi = base.copy()
    q = p
    for _ in range(iterations):
        q = p * (pi / base)
        q /= q.sum(1, keepdims=True)
        pi = (q.sum(0) + smooth * base) / (len(p) + smooth)
    return q


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--logits", default=os.path.join(HERE, "results", "cv_L1-plain-s-128-tight-phantom-twolegs_logits.npz"))
    ap.add_argument("--temperature", type=float, default=1.1747)
    ap.add_argument("--smooth", type=float, nargs="+", default=[0, 10, 50, 200, 1000])
    a = ap.parse_args()
    z = np.load(a.logits, allow_pickle=True)
    p = softmax(z["logits"] / a.temperature)
    y, mod = z["labels"], z["modality"].astype(str)
    site = np.char.add(mod, np.char.add("|", z["sources"].astype(str)))

    def show(name: str, pred: np.ndarray) -> None:
        ok = pred == y
        print(f"{name:14s} n={len(y)} acc={ok.mean():.3f} CT={ok[mod == 'CT'].mean():.3f} MR={ok[mod == 'MR'].mean():.3f}")

    show("as trained", p.argmax(1))
    for s in a.smooth:
        pred = np.zeros(len(y), np.int64)
        for k in np.unique(site):
            m = site == k
            pred[m] = em_priors(p[m], s).argmax(1)
        show(f"EM smooth {s:g}", pred)


if __name__ == "__main__":
    main()
