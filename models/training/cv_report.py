"""One candidate's source-held-out CV, for the model card: the summary (experiments.summarise's
metrics), the pooled held-out logits (results/cv_round{N}_logits.npz: the temperature is fitted on
them), calibration before/after, and 95 % bootstrap intervals over subjects (never slices).

Usage: /usr/bin/python3 models/training/cv_report.py --exp cache/exp3 --candidate P1-... --round 3
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from calibrate import calibration_report, cv_logits, softmax  # noqa: E402
from experiments import FOLDS  # noqa: E402
from train_lib import LABEL_NAMES, load_data, metrics  # noqa: E402


def subject_bootstrap(ok: np.ndarray, subj: np.ndarray, reps: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % interval of image accuracy, resampling subjects with replacement."""
    rng = np.random.RandomState(seed)
    subs, inv = np.unique(subj, return_inverse=True)
    hits = np.bincount(inv, weights=ok.astype(float), minlength=len(subs))
    counts = np.bincount(inv, minlength=len(subs)).astype(float)
    draws = rng.randint(0, len(subs), size=(reps, len(subs)))
    acc = hits[draws].sum(1) / counts[draws].sum(1)
    return float(np.percentile(acc, 2.5)), float(np.percentile(acc, 97.5))


def write_sequences(d, idx: np.ndarray, z: np.ndarray, path: str) -> None:
    """Held-out probabilities per series in slice order, for tune_decoder.mjs (the engine's decoder)."""
    import csv
    from build_cache import DATA
    slice_mm = {}
    for mod in ("ct", "mr"):
        for r in csv.DictReader(open(os.path.join(DATA, mod, "series.csv"))):
            slice_mm[r["id"]] = float(r["slice_mm"]) if r["slice_mm"] else None
    prob = softmax(z)
    out = {}
    series, sl = d.meta["series"][idx], d.meta["slice"][idx]
    for s in np.unique(series):
        k = np.nonzero(series == s)[0]
        k = k[np.argsort(sl[k])]
        out[str(s)] = {"modality": str(d.meta["modality"][idx][k[0]]), "source": str(d.meta["source"][idx][k[0]]),
                       "subject": str(d.meta["subject"][idx][k[0]]), "sliceMm": slice_mm.get(str(s)),
                       "slices": sl[k].tolist(), "labels": [LABEL_NAMES[i] for i in d.label.numpy()[idx][k]],
                       "probs": prob[k].round(5).tolist()}
    json.dump(out, open(path, "w"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--exp", required=True)
    ap.add_argument("--candidate", required=True)
    ap.add_argument("--round", type=int, required=True)
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "slices_128.npz"))
    ap.add_argument("--dev-exp", default=None,
                    help="folder with the candidate's dev run (experiments.py --job CAND:dev): its figures are added as 'dev'")
    a = ap.parse_args()
    d = load_data(a.cache)
    labels = d.label.numpy()
    idx = []
    done = [f for f in range(FOLDS) if os.path.exists(os.path.join(a.exp, f"{a.candidate}_cv_{f}.json"))]
    for f in done:
        idx += json.load(open(os.path.join(a.exp, f"{a.candidate}_cv_{f}.json")))["test_idx"]
    idx = np.array(idx)
    z, y = cv_logits(a.exp, a.candidate, labels, FOLDS)
    prob = softmax(z)
    m = metrics(d, idx, prob)
    srcs = [v["acc"] for v in m["per_source"].values() if v["slices"] >= 20]
    m["source_macro_acc"] = float(np.mean(srcs))
    ok = prob.argmax(1) == y
    subj, mod = d.meta["subject"][idx], d.meta["modality"][idx]
    m["ci95"] = {"all": subject_bootstrap(ok, subj)}
    for mm in ("CT", "MR"):
        k = mod == mm
        m["ci95"][mm] = subject_bootstrap(ok[k], subj[k])
    for n, c in m["per_class"].items():
        k = y == LABEL_NAMES.index(n)
        c["ci95"] = subject_bootstrap(ok[k], subj[k]) if c["subjects"] >= 3 else None
    m["calibration"] = calibration_report(z, y)
    m["folds"] = done
    out = os.path.join(HERE, "results", f"cv_round{a.round}.json")
    summary = json.load(open(out)) if os.path.exists(out) else {}
    summary[a.candidate] = {"cv": m}
    dev_run = os.path.join(a.dev_exp, f"{a.candidate}_dev.json") if a.dev_exp else None
    if dev_run and os.path.exists(dev_run):
        r = json.load(open(dev_run))
        dev_idx, dev_prob = np.array(r["test_idx"]), np.array(r["prob"])
        dv = metrics(d, dev_idx, dev_prob)
        dv["ci95"] = {"all": subject_bootstrap(dev_prob.argmax(1) == labels[dev_idx], d.meta["subject"][dev_idx])}
        dv["steps"] = r["steps_done"]
        summary[a.candidate]["dev"] = dv
        print(f"{a.candidate}: dev acc {dv['acc']:.3f} {dv['ci95']['all']} CT {dv['per_modality']['CT']:.3f} "
              f"MR {dv['per_modality']['MR']:.3f}")
    json.dump(summary, open(out, "w"), indent=1)
    np.savez_compressed(os.path.join(HERE, "results", f"cv_{a.candidate}_logits.npz"), logits=z.astype(np.float32),
                        labels=y, subjects=subj, sources=d.meta["source"][idx], modality=mod)
    write_sequences(d, idx, z / m["calibration"]["temperature"], os.path.join(a.exp, f"{a.candidate}_cv_sequences.json"))
    print(f"{a.candidate}: CV acc {m['acc']:.3f} {m['ci95']['all']} subj {m['subject_acc']:.3f} "
          f"src-macro {m['source_macro_acc']:.3f} CT {m['per_modality']['CT']:.3f} {m['ci95']['CT']} "
          f"MR {m['per_modality']['MR']:.3f} {m['ci95']['MR']}; calibration {m['calibration']}")


if __name__ == "__main__":
    main()
