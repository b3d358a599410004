"""Cheap variants of finished CV runs, without training: flip test-time augmentation of a candidate's
fold models, and an ensemble of two candidates' held-out probabilities (same folds, same images).

Usage: /usr/bin/python3 models/training/cv_variants.py --exp cache/exp3 --candidate A3-... --folds 0 1 \
         [--ensemble-exp cache/exp4 --ensemble M1-...]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import build_model  # noqa: E402
from train_lib import channels_torch, decode_batch, load_data, metrics  # noqa: E402


def show(name: str, m: dict) -> None:
    print(f"{name:28s} n={m['n']} acc={m['acc']:.3f} " + " ".join(f"{k}={v:.3f}" for k, v in m["per_modality"].items()))


@torch.no_grad()
def flip_tta(d, exp: str, cand: str, fold: int, idx: np.ndarray, arch: str = "plain-s") -> np.ndarray:
    net = build_model(arch)
    net.load_state_dict(torch.load(os.path.join(exp, f"{cand}.cv{fold}.pt"), map_location="cpu"))
    net.eval()
    out = []
    for i in range(0, len(idx), 256):
        pick = torch.from_numpy(idx[i:i + 256])
        xb = channels_torch(decode_batch(d, pick), d.is_ct[pick])
        out.append(torch.softmax((net(xb) + net(torch.flip(xb, dims=[3]))) / 2, 1))
    return torch.cat(out).numpy()


def held_out(exp: str, cand: str, fold: int) -> tuple[np.ndarray, np.ndarray]:
    r = json.load(open(os.path.join(exp, f"{cand}_cv_{fold}.json")))
    return np.array(r["test_idx"]), np.array(r["prob"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--exp", required=True)
    ap.add_argument("--candidate", required=True)
    ap.add_argument("--folds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--ensemble-exp")
    ap.add_argument("--ensemble")
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "slices_128.npz"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    d = load_data(a.cache)
    idx, plain, flipped, other = [], [], [], []
    for f in a.folds:
        te, p = held_out(a.exp, a.candidate, f)
        idx.append(te)
        plain.append(p)
        flipped.append(flip_tta(d, a.exp, a.candidate, f, te))
        if a.ensemble:
            te2, p2 = held_out(a.ensemble_exp or a.exp, a.ensemble, f)
            assert np.array_equal(te, te2), "the two candidates' folds hold out different images"
            other.append(p2)
    te = np.concatenate(idx)
    show(a.candidate[:28], metrics(d, te, np.concatenate(plain)))
    show("flip TTA", metrics(d, te, np.concatenate(flipped)))
    if a.ensemble:
        show(a.ensemble[:28], metrics(d, te, np.concatenate(other)))
        for w in (0.5, 0.3):
            show(f"ensemble {1 - w:.1f}/{w:.1f}", metrics(d, te, (1 - w) * np.concatenate(plain) + w * np.concatenate(other)))


if __name__ == "__main__":
    main()
