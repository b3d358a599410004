"""Reproduce the shipped body-region model end to end (`npm run train`):
slice cache -> training -> ONNX + model.json -> PyTorch reference outputs (golden/model-outputs.json).

The defaults are the shipped recipe (see models/MODEL_CARD.md). It runs on CUDA when available,
else on CPU (2 cores: see the model card for times).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(os.path.dirname(HERE))

from build_cache import build  # noqa: E402
from export import export_all  # noqa: E402
from golden_inputs import golden_model_inputs  # noqa: E402
from render_phantoms import ct_cache_name, main as render_phantoms  # noqa: E402
from calibrate import calibration_report, cv_logits  # noqa: E402
from replay import write_replay  # noqa: E402
from train_lib import Config, load_data, metrics, predict, train  # noqa: E402

# The shipped recipe = candidate L1 of experiments.py (round 5: A3 = plain-s at 128 px, br-pre-1, tight-FOV
# crops, 12 % phantom renders; with 40 % of the CT leg renders showing both legs in a wide field),
# 2834 steps of 128 images on all (train+dev) subjects. Round 3's br-pre-2 candidate
# (P1: physical mm per pixel, true-scale crops) lost on source-held-out CV and is not shipped; it stays
# reproducible with --preprocessing br-pre-2. The temperature comes from the recipe's own source-held-out
# CV logits (cv_report.py output, --calibration). The shipped one was fitted on folds 0-1 (the
# *_folds01_ file); the five-fold fit (1.2126) has the same ECE and an NLL 0.0006 lower, and changing it
# moved one dev stack's fast map off the exhaustive one, so 1.1747 stays (MODEL_CARD.md).
SHIPPED = dict(arch="plain-s", size=128, steps=2834, batch=128, lr=3e-3, train_on="all", phantom_frac=0.12,
               preprocessing="br-pre-1", candidate="L1-plain-s-128-tight-phantom-twolegs", two_legs_ct=0.4,
               eight_bit_p=0.0, model_id="br-plain-s-128", version="1.2.0",
               calibration="cv_L1-plain-s-128-tight-phantom-twolegs_folds01_logits.npz")
# 1.3.0 (round 6's E1, withdrawn in round 7: over two seeds of five folds its mean was lower and its
# spread wider than L1's): --eight-bit-p 0.1; its temperature came from its five-fold logits.
ROUND6 = dict(candidate="E1-plain-s-128-tight-phantom-twolegs-8bit", eight_bit_p=0.1,
              calibration="cv_E1-plain-s-128-tight-phantom-twolegs-8bit_logits.npz")
ROUND3 = dict(candidate="P1-plain-s-128-phys-phantom", eight_bit_p=0.1, pseudo_mr_p=0.3)
ROUND4 = dict(candidate="M1-plain-s-128-tight-phantom-mr", phantom_frac=0.2)
ZOOM_OUT = dict(candidate="Z1-plain-s-128-tight-phantom-zoomout", zoom_out_p=0.25)   # round 5, not shipped


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--arch", default=SHIPPED["arch"])
    ap.add_argument("--size", type=int, default=SHIPPED["size"])
    ap.add_argument("--steps", type=int, default=SHIPPED["steps"])
    ap.add_argument("--batch", type=int, default=SHIPPED["batch"])
    ap.add_argument("--lr", type=float, default=SHIPPED["lr"])
    ap.add_argument("--phantom-frac", type=float, default=SHIPPED["phantom_frac"],
                    help="share of phantom renders per batch (0 = none)")
    ap.add_argument("--preprocessing", choices=["br-pre-1", "br-pre-2"], default=SHIPPED["preprocessing"])
    ap.add_argument("--calibration", default=None,
                    help="CV logits (npz with logits, labels) for the temperature; missing -> T = 1")
    ap.add_argument("--train-on", choices=["train", "all"], default=SHIPPED["train_on"],
                    help="'all' = train+dev subjects (shipped); 'train' keeps dev for evaluation")
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "slices_128.npz"))
    ap.add_argument("--phantom-cache", default=None,
                    help="CT-like renders (default: cache/ named after --two-legs-ct; made if missing)")
    ap.add_argument("--two-legs-ct", type=float, default=SHIPPED["two_legs_ct"])
    ap.add_argument("--mr-renders", action="store_true",
                    help="also train on SynthSeg-style MR phantom renders (round 4 candidate M1)")
    ap.add_argument("--zoom-out-p", type=float, default=SHIPPED.get("zoom_out_p", 0.0),
                    help=f"share of zoomed-out views (round 5 candidate Z1: {ZOOM_OUT['zoom_out_p']})")
    ap.add_argument("--eight-bit-p", type=float, default=SHIPPED["eight_bit_p"],
                    help=f"share of real-HU CT turned into 8-bit display-window exports (round 6's E1, 1.3.0: {ROUND6['eight_bit_p']})")
    ap.add_argument("--mr-phantom-cache", default=os.path.join(HERE, "cache", "phantom_mr_128.npz"))
    ap.add_argument("--out", default=os.path.join(REPO, "models"))
    ap.add_argument("--golden", default=os.path.join(REPO, "models", "golden", "model-outputs.json"))
    ap.add_argument("--model-id", default=SHIPPED["model_id"])
    ap.add_argument("--version", default=SHIPPED["version"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--time-budget", type=float, default=None,
                    help="seconds: the learning-rate schedule follows max(step, time) progress (ends early on a slow machine)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--export-only", metavar="STATE_PT",
                    help="skip training: export these weights (e.g. cache/state-all.pt) with the current calibration")
    a = ap.parse_args(argv)

    torch.set_num_threads(a.threads)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    t0 = time.time()
    a.phantom_cache = a.phantom_cache or os.path.join(HERE, "cache", ct_cache_name(128, a.two_legs_ct))
    if not os.path.exists(a.cache):
        build(128, a.cache)
    if a.phantom_frac and not os.path.exists(a.phantom_cache):
        render_phantoms(3, 128, a.phantom_cache, two_legs_ct=a.two_legs_ct)
    renders = [a.phantom_cache] if a.phantom_frac else []
    if a.phantom_frac and a.mr_renders:
        if not os.path.exists(a.mr_phantom_cache):
            render_phantoms(3, 128, a.mr_phantom_cache, seed=1, contrast="mr")
        renders.append(a.mr_phantom_cache)
    d = load_data(a.cache, renders).to(dev)
    split = d.meta["split"]
    tr = np.nonzero(split == "train")[0] if a.train_on == "train" else np.arange(len(split))
    physical = a.preprocessing == "br-pre-2"
    candidate = (ROUND3["candidate"] if physical else ROUND4["candidate"] if a.mr_renders
                 else ZOOM_OUT["candidate"] if a.zoom_out_p else ROUND6["candidate"] if a.eight_bit_p
                 else SHIPPED["candidate"])
    cv_logits_file = next((r["calibration"] for r in (SHIPPED, ROUND6) if r["candidate"] == candidate),
                          f"cv_{candidate}_logits.npz")
    calibration = a.calibration or os.path.join(HERE, "results", cv_logits_file)
    cfg = Config(arch=a.arch, size=a.size, steps=a.steps, batch=a.batch, lr=a.lr, seed=a.seed,
                 phantom_frac=a.phantom_frac, physical=physical,
                 eight_bit_p=ROUND3["eight_bit_p"] if physical else a.eight_bit_p,
                 pseudo_mr_p=ROUND3["pseudo_mr_p"] if physical else 0.15, zoom_out_p=a.zoom_out_p,
                 time_budget=a.time_budget)
    if a.export_only:
        from model import build_model
        model = build_model(a.arch)
        model.load_state_dict(torch.load(a.export_only, map_location="cpu"))
        model.eval()
        info = json.load(open(a.export_only + ".json"))
    else:
        print(f"training {cfg} on {len(tr)} slices ({a.train_on}) on {dev}")
        model = train(d, tr, cfg, dev)
        info = {"arch": a.arch, "trainedOn": a.train_on, "steps": model.steps_done, "batch": a.batch,
                "phantomFrac": a.phantom_frac, "mrRenders": a.mr_renders, "zoomOutP": a.zoom_out_p, "twoLegsCt": a.two_legs_ct,
                "eightBitP": cfg.eight_bit_p, "preprocessing": a.preprocessing, "candidate": candidate,
                "trainSeconds": round(time.time() - t0), "device": dev}
        torch.save(model.state_dict(), os.path.join(HERE, "cache", f"state-{a.train_on}.pt"))
        json.dump(info, open(os.path.join(HERE, "cache", f"state-{a.train_on}.pt.json"), "w"))
    if a.train_on == "train":
        dv = np.nonzero((split == "dev") & ~d.render.cpu().numpy())[0]
        m = metrics(d, dv, predict(model, d, dv, a.size, dev, physical=physical))
        info["devAccuracy"] = round(m["acc"], 4)
        print(f"dev accuracy {m['acc']:.3f} (subject-balanced {m['subject_acc']:.3f})")
    model = model.cpu()
    extra = {"training": info}
    if os.path.exists(calibration):
        z = np.load(calibration)
        cal = calibration_report(z["logits"], z["labels"])
        extra["temperature"] = cal["temperature"]
        extra["calibration"] = {**cal, "on": f"source-held-out CV logits of the recipe ({os.path.basename(calibration)}, cv_report.py)"}
    os.makedirs(a.out, exist_ok=True)
    extra["replay"] = write_replay(model, d, a.size, a.out, physical=physical)
    man = export_all(model, a.size, a.out, a.model_id, a.version, golden_model_inputs(a.size, a.preprocessing), a.golden,
                     extra=extra, preprocessing=a.preprocessing)
    print(json.dumps(man, indent=2))
    print(f"done in {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
