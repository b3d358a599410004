"""Calibration of the per-image probabilities: one temperature T (softmax(logits / T)) fitted on
source-held-out cross-validation logits, never on the data the model was trained on, and the
expected calibration error (ECE) before and after."""
from __future__ import annotations

import json
import os

import numpy as np


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def nll(logits: np.ndarray, y: np.ndarray, t: float) -> float:
    return float(-log_softmax(logits / t)[np.arange(len(y)), y].mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Golden-section search of the NLL over log T in [log 0.25, log 10] (the NLL is convex in 1/T)."""
    lo, hi = np.log(0.25), np.log(10.0)
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    for _ in range(60):
        if nll(logits, y, np.exp(a)) < nll(logits, y, np.exp(b)):
            hi = b
        else:
            lo = a
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    return float(np.exp((lo + hi) / 2))


def ece(prob: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top-1 confidence, equal-width bins."""
    conf, pred = prob.max(1), prob.argmax(1)
    ok = pred == y
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for i in range(bins):
        m = (conf > edges[i]) & (conf <= edges[i + 1])
        if m.any():
            total += m.mean() * abs(ok[m].mean() - conf[m].mean())
    return float(total)


def softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(z))


def cv_logits(exp_dir: str, candidate: str, labels: np.ndarray, folds: int = 5):
    """Pooled held-out logits and true labels of a candidate's CV jobs (experiments.py output)."""
    zs, ys = [], []
    for f in range(folds):
        p = os.path.join(exp_dir, f"{candidate}_cv_{f}.json")
        if not os.path.exists(p):   # a partial CV (some folds) is pooled over the folds that ran
            continue
        r = json.load(open(p))
        zs.append(np.array(r["logits"], np.float64))
        ys.append(labels[np.array(r["test_idx"])])
    return np.concatenate(zs), np.concatenate(ys)


def calibration_report(logits: np.ndarray, y: np.ndarray) -> dict:
    t = fit_temperature(logits, y)
    return {"temperature": round(t, 4), "images": int(len(y)),
            "ece_before": round(ece(softmax(logits), y), 4), "ece_after": round(ece(softmax(logits / t), y), 4),
            "nll_before": round(nll(logits, y, 1.0), 4), "nll_after": round(nll(logits, y, t), 4)}
