"""Compare an evaluation's raw labels (predictions.csv of `body-region evaluate`) with PyTorch
predictions of the same weights on the training pipeline's slice cache: proves that the evaluation
(NIfTI reading, 8-bit CT re-mapping, synthetic geometry, engine preprocessing, onnxruntime-web) feeds
the model what training fed it.

  /usr/bin/python3 models/reports/parity_check.py WEIGHTS.pt models/reports/dev/predictions.csv [--split dev] [--arch plain-s]

WEIGHTS.pt: the state dict the shipped ONNX was exported from (models/training/cache/...final.pt).
Exit status 1 when any image's argmax differs.
"""
import argparse
import csv
import os
import sys

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "models", "training"))
from model import build_model  # noqa: E402
from train_lib import LABEL_NAMES, load_data, predict  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("predictions")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--arch", default="plain-s")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--cache", default=os.path.join(REPO, "models", "training", "cache", "slices_128.npz"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    d = load_data(a.cache)
    model = build_model(a.arch)
    model.load_state_dict(torch.load(a.weights, map_location="cpu"))
    model = model.to(memory_format=torch.channels_last)
    idx = np.nonzero(d.meta["split"] == a.split)[0]
    prob = predict(model, d, idx, a.size)
    key = lambda i: (str(d.meta["series"][i]), int(d.meta["slice"][i]))  # noqa: E731
    torch_label = {key(i): LABEL_NAMES[int(p)] for i, p in zip(idx, prob.argmax(1))}
    truth = {key(i): LABEL_NAMES[int(d.label[i])] for i in idx}
    rows = list(csv.DictReader(open(a.predictions)))
    differ = [r for r in rows if torch_label.get((r["series"], int(r["slice"]))) != r["raw"]]
    acc = sum(torch_label[k] == truth[k] for k in torch_label) / max(1, len(torch_label))
    print(f"{len(rows) - len(differ)} of {len(rows)} images: same argmax in the engine and PyTorch; "
          f"PyTorch accuracy {acc:.4f} over {len(torch_label)} cached {a.split} slices")
    for r in differ[:20]:
        k = (r["series"], int(r["slice"]))
        print(f"  {k}: truth {r['truth']}, engine {r['raw']} ({r['raw_confidence']}), PyTorch {torch_label.get(k)}")
    return 1 if differ or len(rows) != len(torch_label) else 0


if __name__ == "__main__":
    sys.exit(main())
