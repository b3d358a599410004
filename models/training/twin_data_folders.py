"""Data folders of the sources each source-held-out twin never saw, in the shared data format, so that
`body-region evaluate --split test` and `--simulate-sites` score a twin only on what it did not train on.

For every fold in TWINS/twins.json (written by export_twins.py) this writes OUT/fold{f}/{ct,mr}/ with
series.csv and labels.csv cut to the held-out sources (split set to "test") and `volumes` / `dicom`
linked to the shared data, never copied. `--with-fold` adds another fold's held-out series to a
folder, as "other sources" the twin did train on (forgetting is measured on them).

Usage: /usr/bin/python3 models/training/twin_data_folders.py --twins DIR --out DIR [--with-fold 0:1]
"""
from __future__ import annotations

import argparse
import csv
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data")


def read_csv(path: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        return list(r.fieldnames or []), list(r)


def write_csv(path: str, fields: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)


def write_folder(data: str, sources: set[str], out: str) -> int:
    """One modality folder per modality with any series of `sources`; returns the series count."""
    n = 0
    for modality in ("ct", "mr"):
        fields, series = read_csv(os.path.join(data, modality, "series.csv"))
        kept = [dict(s, split="test") for s in series if s["source"] in sources]
        if not kept:
            continue
        ids = {s["id"] for s in kept}
        label_fields, labels = read_csv(os.path.join(data, modality, "labels.csv"))
        folder = os.path.join(out, modality)
        os.makedirs(folder, exist_ok=True)
        write_csv(os.path.join(folder, "series.csv"), fields, kept)
        write_csv(os.path.join(folder, "labels.csv"), label_fields, [r for r in labels if r["id"] in ids])
        for sub in ("volumes", "dicom"):
            link = os.path.join(folder, sub)
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(os.path.realpath(os.path.join(data, modality, sub)), link)
        n += len(kept)
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--twins", required=True, help="folder with twins.json (export_twins.py)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--with-fold", action="append", default=[], metavar="F:G",
                    help="also write OUT/fold{F}+{G}: fold F's held-out series plus fold G's")
    a = ap.parse_args()
    twins = {t["fold"]: set(t["heldOutSources"]) for t in json.load(open(os.path.join(a.twins, "twins.json")))}
    for fold, sources in sorted(twins.items()):
        n = write_folder(a.data, sources, os.path.join(a.out, f"fold{fold}"))
        print(f"fold {fold}: {n} series of {len(sources)} held-out sources", flush=True)
    for spec in a.with_fold:
        f, g = (int(x) for x in spec.split(":"))
        n = write_folder(a.data, twins[f] | twins[g], os.path.join(a.out, f"fold{f}+{g}"))
        print(f"fold {f} + fold {g}: {n} series", flush=True)


if __name__ == "__main__":
    main()
