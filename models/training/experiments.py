"""Model selection: for each candidate, a dev run (train split -> dev split), group k-fold
cross-validation over sources (train+dev of the other folds -> the held-out sources), and a final
model on all subjects. Jobs run as parallel processes (GPU or CPU); each writes a JSON of
predictions, and `summarise` turns them into the tables of MODEL_CARD.md.

  run all:    python3 experiments.py --out DIR [--parallel 14] [--budget 110]
  one job:    python3 experiments.py --job CAND:KIND[:FOLD] --out DIR
  summarise:  python3 experiments.py --summarise DIR
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train_lib import LABEL_NAMES, Config, load_data, metrics, predict, source_folds, train  # noqa: E402
from render_phantoms import ct_cache_name  # noqa: E402

CANDIDATES = {
    # round 1 (no tight-FOV crops yet: tight_p=0)
    "A-plain-s-128": dict(arch="plain-s", size=128, tight_p=0.0),
    "B-plain-s-96": dict(arch="plain-s", size=96, tight_p=0.0),
    "C-plain-m-128": dict(arch="plain-m", size=128, tight_p=0.0),
    "D-plain-s-128-lightaug": dict(arch="plain-s", size=128, aug="light", tight_p=0.0),
    # round 2: tight-FOV crops; with / without phantom renders
    "A2-plain-s-128-tight": dict(arch="plain-s", size=128),
    "A3-plain-s-128-tight-phantom": dict(arch="plain-s", size=128, phantom_frac=0.12),
    "C3-plain-m-128-tight-phantom": dict(arch="plain-m", size=128, phantom_frac=0.12),
    # round 3: br-pre-2 (physical mm per pixel) with true-scale crops
    # plus 8-bit default-window exports of real-HU CT (10 %) and more CT->pseudo-MR (30 %)
    "P1-plain-s-128-phys-phantom": dict(arch="plain-s", size=128, phantom_frac=0.12, physical=True,
                                        eight_bit_p=0.1, pseudo_mr_p=0.3),
    # round 4: A3 plus SynthSeg-style MR renders of every region (render_phantoms.py --contrast mr)
    "M1-plain-s-128-tight-phantom-mr": dict(arch="plain-s", size=128, phantom_frac=0.2, mr_renders=True),
    # round 5: domain generalisation on the A3 recipe (training-only; the exported net is unchanged)
    "R1-plain-s-128-tight-phantom-randconv": dict(arch="plain-s", size=128, phantom_frac=0.12, randconv_p=0.5),
    "X1-plain-s-128-tight-phantom-mixstyle": dict(arch="plain-s", size=128, phantom_frac=0.12, mixstyle_p=0.5),
    # round 5: zoomed-out views (fold 1's CT lower legs are two small legs in a large field of view)
    "Z1-plain-s-128-tight-phantom-zoomout": dict(arch="plain-s", size=128, phantom_frac=0.12, zoom_out_p=0.25),
    # round 5: CT leg renders with both legs in a large field (render_phantoms.py --two-legs-ct 0.4)
    "L1-plain-s-128-tight-phantom-twolegs": dict(arch="plain-s", size=128, phantom_frac=0.12, two_legs_ct=0.4),
    # round 6: L1 plus 8-bit display-window exports of real-HU CT read back without their window or
    # spacing (10 %; the held-out set's single 8-bit head CT slices were called UPPER_ARM or SHOULDER)
    "E1-plain-s-128-tight-phantom-twolegs-8bit": dict(arch="plain-s", size=128, phantom_frac=0.12, two_legs_ct=0.4,
                                                      eight_bit_p=0.1),
    # round 8: E1's exports only of head, neck and trunk CT (labels HEAD..SPINE, real scans), not of limbs
    "E2-plain-s-128-tight-phantom-twolegs-8bit-trunk": dict(arch="plain-s", size=128, phantom_frac=0.12, two_legs_ct=0.4,
                                                            eight_bit_p=0.1, eight_bit_trunk_only=True),
}
FOLDS = 5


def render_caches(cand: str, cache: str) -> list[str]:
    """The phantom render caches a candidate trains on (beside the slice cache)."""
    cfg = CANDIDATES[cand]
    here = os.path.dirname(cache)
    renders = [os.path.join(here, ct_cache_name(128, cfg.get("two_legs_ct", 0.0)))] if cfg.get("phantom_frac") else []
    if cfg.get("mr_renders"):
        renders.append(os.path.join(here, "phantom_mr_128.npz"))
    return renders


def run_job(spec: str, out: str, cache: str, steps: int, budget: float, final_steps: int, final_budget: float) -> None:
    parts = spec.split(":")
    cand, kind = parts[0], parts[1]
    seed = int(parts[3]) if kind == "cv" and len(parts) > 3 else 0   # cand:cv:fold:seed (seed-noise runs)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(int(os.environ.get("BR_THREADS", "1")))
    d = load_data(cache, render_caches(cand, cache)).to(dev)
    split = d.meta["split"]
    real = ~d.render.cpu().numpy()
    if kind == "dev":
        tr, te = np.nonzero(split == "train")[0], np.nonzero((split == "dev") & real)[0]
    elif kind == "cv":
        f = int(parts[2])
        folds = source_folds(d, FOLDS)
        te = folds[f]
        tr = np.setdiff1d(np.arange(len(split)), te)
    else:
        tr, te = np.arange(len(split)), np.zeros(0, np.int64)
    final = kind == "final"
    cfg = Config(**{k: v for k, v in CANDIDATES[cand].items() if k not in ("mr_renders", "two_legs_ct")}, seed=seed, steps=final_steps if final else steps,
                 time_budget=final_budget if final else budget)
    t0 = time.time()
    model = train(d, tr, cfg, dev, log_every=0)
    res = {"job": spec, "config": cfg.__dict__, "steps_done": model.steps_done, "seconds": time.time() - t0,
           "device": dev, "test_idx": te.tolist()}
    if len(te):
        z = predict(model, d, te, cfg.size, dev, physical=cfg.physical, logits=True)
        res["logits"] = z.round(4).tolist()
        res["prob"] = torch.softmax(torch.from_numpy(z), 1).numpy().round(4).tolist()
    if kind == "cv":   # fold twins: models that never saw the held-out sources (adaptation evidence)
        torch.save(model.cpu().state_dict(), os.path.join(out, f"{cand}.cv{parts[2]}" + (f".seed{seed}" if seed else "") + ".pt"))
    if final:
        torch.save(model.cpu().state_dict(), os.path.join(out, f"{cand}.final.pt"))
    json.dump(res, open(os.path.join(out, spec.replace(":", "_") + ".json"), "w"))
    print(f"{spec}: {model.steps_done} steps in {time.time() - t0:.0f}s", flush=True)


def run_all(a) -> None:
    os.makedirs(a.out, exist_ok=True)
    cands = a.candidates.split(",") if a.candidates else list(CANDIDATES)
    jobs = [f"{c}:final" for c in cands] + [f"{c}:dev" for c in cands] + \
           [f"{c}:cv:{f}" for f in range(FOLDS) for c in cands]
    running, t0 = [], time.time()
    common = ["--out", a.out, "--cache", a.cache, "--steps", str(a.steps), "--budget", str(a.budget),
              "--final-steps", str(a.final_steps), "--final-budget", str(a.final_budget)]
    while jobs or running:
        while jobs and len(running) < a.parallel:
            j = jobs.pop(0)
            running.append((j, subprocess.Popen([sys.executable, __file__, "--job", j] + common)))
        time.sleep(1)
        for j, p in list(running):
            if p.poll() is not None:
                running.remove((j, p))
                if p.returncode:
                    print(f"job {j} failed with {p.returncode}", flush=True)
    print(f"all jobs done in {time.time() - t0:.0f}s", flush=True)


def summarise(out: str, cache: str) -> dict:
    d = load_data(cache)
    summary = {}
    for cand in CANDIDATES:
        entry = {}
        p = os.path.join(out, f"{cand}_dev.json")
        if os.path.exists(p):
            r = json.load(open(p))
            entry["dev"] = metrics(d, np.array(r["test_idx"]), np.array(r["prob"]))
            entry["dev_steps"] = r["steps_done"]
        idx, prob = [], []
        for f in range(FOLDS):
            p = os.path.join(out, f"{cand}_cv_{f}.json")
            if os.path.exists(p):
                r = json.load(open(p))
                idx += r["test_idx"]
                prob += r["prob"]
        if idx:
            m = metrics(d, np.array(idx), np.array(prob))
            srcs = [v["acc"] for k, v in m["per_source"].items() if v["slices"] >= 20]
            m["source_macro_acc"] = float(np.mean(srcs))
            m["worst_sources"] = sorted(((v["acc"], k, v["slices"]) for k, v in m["per_source"].items()
                                         if v["slices"] >= 20))[:5]
            entry["cv"] = m
        if entry:
            summary[cand] = entry
    json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
    for cand, e in summary.items():
        dv, cv = e.get("dev", {}), e.get("cv", {})
        print(f"{cand:26s} dev acc {dv.get('acc', float('nan')):.3f} subj {dv.get('subject_acc', float('nan')):.3f} | "
              f"cv acc {cv.get('acc', float('nan')):.3f} subj {cv.get('subject_acc', float('nan')):.3f} "
              f"src-macro {cv.get('source_macro_acc', float('nan')):.3f} CT {cv.get('per_modality', {}).get('CT', float('nan')):.3f} "
              f"MR {cv.get('per_modality', {}).get('MR', float('nan')):.3f}")
    return summary


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "cache", "experiments"))
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "slices_128.npz"))
    ap.add_argument("--job")
    ap.add_argument("--summarise")
    ap.add_argument("--candidates", default="")
    ap.add_argument("--parallel", type=int, default=14)
    ap.add_argument("--steps", type=int, default=2500)
    ap.add_argument("--budget", type=float, default=110)
    ap.add_argument("--final-steps", type=int, default=5000)
    ap.add_argument("--final-budget", type=float, default=170)
    a = ap.parse_args()
    if a.summarise:
        summarise(a.summarise, a.cache)
    elif a.job:
        run_job(a.job, a.out, a.cache, a.steps, a.budget, a.final_steps, a.final_budget)
    else:
        run_all(a)
