"""Smoke test of the whole training path in well under a minute on 2 cores: a small slice cache from a
few shared volumes, a few training steps of a tiny net, ONNX export and model.json (+ labels.json)
into --out, with the PyTorch logits of two real slices (model-outputs.json, same format as
models/golden/model-outputs.json). test/integration/trainSmoke.test.ts loads the result with the engine's BodyRegionModel.

Usage: /usr/bin/python3 models/training/smoke_train.py --out <dir> [--size 32] [--steps 15]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from build_cache import build  # noqa: E402
from export import export_all  # noqa: E402
from golden_inputs import golden_model_inputs  # noqa: E402
from train_lib import Config, load_data, predict, train  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=15)
    a = ap.parse_args(argv)
    t0 = time.time()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    cache = os.path.join(a.out, "smoke_cache.npz")
    build(64, cache, limit=2)
    d = load_data(cache)
    model = train(d, np.arange(len(d.label)), Config(arch="plain-xs", size=a.size, steps=a.steps, batch=16, physical=True), log_every=0)
    prob = predict(model, d, np.arange(min(8, len(d.label))), a.size, physical=True)
    assert np.allclose(prob.sum(1), 1, atol=1e-4)
    man = export_all(model, a.size, a.out, "br-smoke", "0.0.0-smoke", golden_model_inputs(a.size),
                     os.path.join(a.out, "model-outputs.json"), extra={"training": {"arch": "plain-xs", "steps": a.steps, "smoke": True}})
    shutil.copy(os.path.join(HERE, "..", "labels.json"), os.path.join(a.out, "labels.json"))
    os.remove(cache)
    print(json.dumps({"manifest": man, "slices": int(len(d.label)), "seconds": round(time.time() - t0, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
