"""Label-free test-time adaptation of the BatchNorm statistics (AdaBN) on source-held-out CV folds.

A site's own images, without labels, re-estimate the mean and variance each BatchNorm layer normalises
with; `alpha` blends them with the training statistics (0 = the model as trained, 1 = the site's only).
Groups: `site` (one modality of one source: what a hospital's archive would supply) or `series` (one
series alone: what the viewer has when it opens a study).

Usage: /usr/bin/python3 models/training/adabn_cv.py --exp cache/exp5 --candidate L1-... \
         [--folds 0 1 2 3 4] [--group site] [--alpha 0 0.5 1] [--out results/adabn.json]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import build_model  # noqa: E402
from train_lib import channels_torch, decode_batch, load_data, metrics  # noqa: E402

CHUNK = 256


def inputs(d, idx: np.ndarray) -> torch.Tensor:
    pick = torch.from_numpy(idx)
    return channels_torch(decode_batch(d, pick), d.is_ct[pick])


@torch.no_grad()
def site_statistics(net: nn.Module, d, idx: np.ndarray) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each BatchNorm layer's mean and variance over the group's images (layer by layer, so a layer
    sees its inputs as normalised by the adapted layers before it)."""
    probe = copy.deepcopy(net)
    bns = [m for m in probe.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None   # cumulative average over the chunks
    probe.eval()
    for m in bns:
        m.train()
    for i in range(0, len(idx), CHUNK):
        probe(inputs(d, idx[i:i + CHUNK]))
    return [(m.running_mean.clone(), m.running_var.clone()) for m in bns]


@torch.no_grad()
def adapted_probabilities(net: nn.Module, d, idx: np.ndarray, alpha: float) -> np.ndarray:
    if alpha > 0:
        net = copy.deepcopy(net)
        stats = site_statistics(net, d, idx)
        for m, (mean, var) in zip([m for m in net.modules() if isinstance(m, nn.BatchNorm2d)], stats):
            m.running_mean.mul_(1 - alpha).add_(alpha * mean)
            m.running_var.mul_(1 - alpha).add_(alpha * var)
    net.eval()
    return torch.cat([torch.softmax(net(inputs(d, idx[i:i + CHUNK])), 1) for i in range(0, len(idx), CHUNK)]).numpy()


def groups(d, te: np.ndarray, how: str) -> list[np.ndarray]:
    if how == "site":
        key = np.char.add(d.meta["modality"][te].astype(str), np.char.add("|", d.meta["source"][te].astype(str)))
    elif how == "series":
        key = d.meta["series"][te].astype(str)
    else:
        raise ValueError(how)
    return [te[key == k] for k in np.unique(key)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--exp", required=True)
    ap.add_argument("--candidate", required=True)
    ap.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--group", default="site", choices=["site", "series"])
    ap.add_argument("--alpha", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    ap.add_argument("--min-group", type=int, default=1, help="groups smaller than this keep the training statistics")
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "slices_128.npz"))
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("BR_THREADS", "2")))
    d = load_data(a.cache)
    idx_all, prob_all = [], {al: [] for al in a.alpha}
    for f in a.folds:
        te = np.array(json.load(open(os.path.join(a.exp, f"{a.candidate}_cv_{f}.json")))["test_idx"])
        net = build_model("plain-s")
        net.load_state_dict(torch.load(os.path.join(a.exp, f"{a.candidate}.cv{f}.pt"), map_location="cpu"))
        for g in groups(d, te, a.group):
            idx_all.append(g)
            for al in a.alpha:
                prob_all[al].append(adapted_probabilities(net, d, g, al if len(g) >= a.min_group else 0.0))
        print(f"fold {f} done", flush=True)
    te = np.concatenate(idx_all)
    summary = {}
    for al in a.alpha:
        m = metrics(d, te, np.concatenate(prob_all[al]))
        summary[str(al)] = m
        print(f"alpha={al:.2f} n={m['n']} acc={m['acc']:.3f} " +
              " ".join(f"{k}={v:.3f}" for k, v in m["per_modality"].items()) +
              f" subj={m.get('subject_acc', float('nan')):.3f}", flush=True)
    if a.out:
        json.dump({"candidate": a.candidate, "folds": a.folds, "group": a.group, "summary": summary},
                  open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
