"""Markdown tables for models/MODEL_CARD.md from the slice cache and the experiment summaries
(results/cv_round*.json, written by experiments.py --summarise).

Usage: /usr/bin/python3 models/training/card_tables.py > /tmp/tables.md
"""
from __future__ import annotations

import csv
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from build_cache import DATA  # noqa: E402
from experiments import render_caches  # noqa: E402
from train_lib import LABEL_NAMES  # noqa: E402

# The shipped recipe's CV (1.2.0 = L1, round 5; shipped again in round 7) and the one withdrawn in round 7
# (1.3.0 = E1, round 6), both five folds under one protocol on this CPU (seed 0, 720 steps; the seed
# comparison is results/seed_compare_r7.json). PREVIOUS_NAME heads the comparison columns.
SHIPPED = ("cv_round5.json", "L1-plain-s-128-tight-phantom-twolegs")
PREVIOUS = ("cv_round6.json", "E1-plain-s-128-tight-phantom-twolegs-8bit")
PREVIOUS_NAME = "E1 (1.3.0, withdrawn)"


def data_table(cache: str) -> str:
    z = np.load(cache)
    lab, subj, mod, split = z["label"], z["subject"], z["modality"], z["split"]
    rows = ["| label | CT train | CT dev | MR train | MR dev | phantom renders |", "|---|---|---|---|---|---|"]
    ph = np.load(render_caches(SHIPPED[1], cache)[0])   # the CT-like renders the shipped recipe trains on
    for i, n in enumerate(LABEL_NAMES):
        cells = []
        for m in ("CT", "MR"):
            for s in ("train", "dev"):
                k = (lab == i) & (mod == m) & (split == s)
                cells.append(f"{k.sum()} / {len(np.unique(subj[k]))}" if k.any() else "–")
        pr = int((ph["label"] == i).sum())
        rows.append(f"| {n} | " + " | ".join(cells) + f" | {pr or '–'} |")
    return "\n".join(rows)


def candidates_table() -> str:
    rows = ["| round | candidate | MACs | dev acc | dev subj-acc | CV acc | CV subj-acc | CV source-macro | CV CT | CV MR | CV steps/job |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    macs = {"plain-s-128": "49 M", "plain-s-96": "28 M", "plain-m-128": "105 M"}
    for rnd, f in ((1, "cv_round1.json"), (2, "cv_round2.json")):
        s = json.load(open(os.path.join(HERE, "results", f)))
        for c, e in s.items():
            dv, cv = e["dev"], e["cv"]
            key = next((k for k in macs if k in c), "")
            rows.append(f"| {rnd} | {c} | {macs.get(key, '')} | {dv['acc']:.3f} | {dv['subject_acc']:.3f} | {cv['acc']:.3f} | "
                        f"{cv['subject_acc']:.3f} | {cv['source_macro_acc']:.3f} | {cv['per_modality']['CT']:.3f} | "
                        f"{cv['per_modality']['MR']:.3f} | {'~1300' if rnd == 1 else '~720'} |")
    return "\n".join(rows)


def status(c: dict | None) -> str:
    if c is None or c["subjects"] < 3:
        return "**not validated** (< 3 held-out subjects)"
    if c["recall"] >= 0.5:
        return "validated"
    if c["recall"] >= 0.2:
        return "validated, weak on unseen sources"
    return "**fails on unseen sources**"


def summary(which: tuple[str, str]) -> dict:
    return json.load(open(os.path.join(HERE, "results", which[0])))[which[1]]["cv"]


def per_class_table() -> str:
    cv, old = summary(SHIPPED)["per_class"], summary(PREVIOUS)["per_class"]
    rows = [f"| label | CV slices / subjects | CV recall (95 % CI over subjects) | CV subject-mean recall | {PREVIOUS_NAME} CV recall | status |",
            "|---|---|---|---|---|---|"]
    for n in LABEL_NAMES:
        c, o = cv.get(n), old.get(n)
        ci = f" ({c['ci95'][0]:.2f}–{c['ci95'][1]:.2f})" if c and c.get("ci95") else ""
        cells = f"{c['slices']} / {c['subjects']} | {c['recall']:.2f}{ci} | {c['subject_recall']:.2f}" if c else "– | – | –"
        previous = f"{o['recall']:.2f}" if o else "–"
        rows.append(f"| {n} | {cells} | {previous} | {status(c)} |")
    return "\n".join(rows)


def per_source_table() -> str:
    cv, old = summary(SHIPPED)["per_source"], summary(PREVIOUS)["per_source"]
    lic = {}
    for m in ("ct", "mr"):
        for r in csv.DictReader(open(os.path.join(DATA, m, "series.csv"))):
            lic.setdefault(r["source"], r["license"])
    rows = [f"| source (held out as a group) | slices | CV accuracy | {PREVIOUS_NAME} CV accuracy | licence (series.csv) |", "|---|---|---|---|---|"]
    for k, v in sorted(cv.items(), key=lambda kv: -kv[1]["slices"]):
        previous = f"{old[k]['acc']:.2f}" if k in old else "–"
        rows.append(f"| {k} | {v['slices']} | {v['acc']:.2f} | {previous} | {lic.get(k, '')[:90]} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print("## data\n" + data_table(os.path.join(HERE, "cache", "slices_128.npz")))
    print("\n## candidates\n" + candidates_table())
    print("\n## per class\n" + per_class_table())
    print("\n## per source\n" + per_source_table())
