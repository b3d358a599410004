"""Stress test for 8-bit display-window exports on source-held-out CV folds: every held-out real-HU CT
image is exported in one display window, quantised to 8 bits and read back with the default
-1000..1000 HU window (as a viewer reads a screenshot or secondary capture whose window it does not
know), then classified by each candidate's fold model that never saw that source. Per window and class.

The export is the same transform E1 trains on (`train_lib.eight_bit_export`), so this measures what the
augmentation buys on unseen anatomy and scanners, not on real screenshots.

Usage: /usr/bin/python3 models/training/eight_bit_stress.py --runs cache/exp5:L1-... cache/exp7:E1-...
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
from train_lib import LABEL_NAMES, channels_torch, decode_batch, load_data, window_export  # noqa: E402

WINDOWS = {"brain 0..80": (0, 80), "soft tissue -160..240": (-160, 240), "bone -450..1050": (-450, 1050),
           "lung -1350..150": (-1350, 150)}


@torch.no_grad()
def predict(net, d, idx: np.ndarray, window: tuple[float, float] | None) -> np.ndarray:
    out = []
    for i in range(0, len(idx), 256):
        pick = torch.from_numpy(idx[i:i + 256])
        x = decode_batch(d, pick)
        if window:
            x = window_export(x, *window)
        out.append(net(channels_torch(x, d.is_ct[pick])).argmax(1))
    return torch.cat(out).numpy()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", nargs="+", required=True, help="EXP_DIR:CANDIDATE")
    ap.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "slices_128.npz"))
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("BR_THREADS", "2")))
    d = load_data(a.cache)
    real_hu = (d.is_ct & torch.isnan(d.eight_lo)).numpy()
    y_all = d.label.numpy()
    result = {}
    for run in a.runs:
        exp, cand = run.split(":")
        rows = {w: ([], []) for w in ["as stored (HU)"] + list(WINDOWS)}
        for f in a.folds:
            te = np.array(json.load(open(os.path.join(exp, f"{cand}_cv_{f}.json")))["test_idx"])
            te = te[real_hu[te]]
            net = build_model("plain-s")
            net.load_state_dict(torch.load(os.path.join(exp, f"{cand}.cv{f}.pt"), map_location="cpu"))
            net.eval()
            for w in rows:
                rows[w][0].append(y_all[te])
                rows[w][1].append(predict(net, d, te, WINDOWS.get(w)))
        result[cand] = {}
        for w, (ys, ps) in rows.items():
            y, p = np.concatenate(ys), np.concatenate(ps)
            head = y == LABEL_NAMES.index("HEAD")
            result[cand][w] = {"images": int(len(y)), "acc": float((p == y).mean()),
                               "head_images": int(head.sum()), "head_acc": float((p[head] == y[head]).mean())}
            print(f"{cand[:2]} {w:22s} n={len(y)} acc={(p == y).mean():.3f} HEAD n={head.sum()} acc={(p[head] == y[head]).mean():.3f}", flush=True)
    if a.out:
        json.dump(result, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
