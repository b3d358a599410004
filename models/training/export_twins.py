"""Source-held-out twins: the cross-validation models of a candidate (experiments.py saves
CAND.cv{f}.pt), each exported like the shipped model (ONNX with embeddings, head.json, model.json, a
replay set drawn only from the sources it was trained on) plus the list of sources it never saw.
Site-adaptation evidence (docs/ADAPTATION.md) is measured on these: adapt a twin with a few series of
a held-out source, score the rest of that source.

Usage: /usr/bin/python3 models/training/export_twins.py --exp cache/exp3 --candidate P1-plain-s-128-phys-phantom --out DIR
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from experiments import CANDIDATES, FOLDS, render_caches  # noqa: E402
from export import export_all  # noqa: E402
from model import build_model  # noqa: E402
from replay import write_replay  # noqa: E402
from train_lib import Data, load_data, source_folds  # noqa: E402


def subset(d: Data, idx: np.ndarray) -> Data:
    t = torch.from_numpy(idx)
    return Data(codes=d.codes[t], is_ct=d.is_ct[t], lo=d.lo[t], hi=d.hi[t], label=d.label[t], eight_lo=d.eight_lo[t],
                eight_hi=d.eight_hi[t], axial=d.axial[t], render=d.render[t], fov=d.fov[t],
                meta={k: v[idx] for k, v in d.meta.items()})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--exp", required=True)
    ap.add_argument("--candidate", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "slices_128.npz"))
    a = ap.parse_args()
    cfg = CANDIDATES[a.candidate]
    # the same renders the candidate trained on, so that the replay set is drawn from its training data
    d = load_data(a.cache, render_caches(a.candidate, a.cache))
    folds = source_folds(d, FOLDS)
    labels = os.path.join(HERE, "..", "labels.json")
    index = []
    for f in range(FOLDS):
        pt = os.path.join(a.exp, f"{a.candidate}.cv{f}.pt")
        if not os.path.exists(pt):
            continue
        model = build_model(cfg["arch"])
        model.load_state_dict(torch.load(pt, map_location="cpu"))
        model.eval()
        out = os.path.join(a.out, f"fold{f}")
        os.makedirs(out, exist_ok=True)
        held = sorted(set(d.meta["source"][folds[f]]))
        train_idx = np.setdiff1d(np.arange(len(d.label)), folds[f])
        replay = write_replay(model, subset(d, train_idx), cfg["size"], out, physical=bool(cfg.get("physical")))
        export_all(model, cfg["size"], out, f"{a.candidate}-cv{f}", "twin", extra={
            "replay": replay, "twin": {"candidate": a.candidate, "fold": f, "heldOutSources": held,
                                       "note": "cross-validation twin: never trained on heldOutSources; not for shipping"}},
            preprocessing="br-pre-2" if cfg.get("physical") else "br-pre-1")
        shutil.copy(labels, os.path.join(out, "labels.json"))
        index.append({"fold": f, "dir": f"fold{f}", "heldOutSources": held})
        print(f"fold {f}: {len(held)} held-out sources -> {out}", flush=True)
    json.dump(index, open(os.path.join(a.out, "twins.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
