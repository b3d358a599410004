"""Slice cache: every labelled slice of ../shared/data as a padded, resized 8-bit-coded frame.

Values are modality values, stored as 8-bit codes (see encode/decode) (HU for CT, 8-bit CT sources mapped back to HU; stored values for MR),
padded to square with the frame minimum and resized to CACHE_SIZE with the spec's bilinear resize,
so training only has to augment and apply the spec's step 5.

Usage: /usr/bin/python3 models/training/build_cache.py [--size 128] [--out models/training/cache/slices_128.npz]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import time


import numpy as np

from preprocess import square_resized

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(REPO, "..", "shared", "data")
LABELS = [l["name"] for l in json.load(open(os.path.join(REPO, "models", "labels.json")))["labels"]]

# 8-bit CT sources: stored 0..255 of a display window. HU = lo + v * (hi - lo) / 255.
# Windows are from the source notes where given (DeepLesion), else read off the images
# (tissue peaks) and therefore approximate; training jitters them.
EIGHT_BIT_CT_WINDOWS = {
    "github:rsummers11/CADLab": (-175.0, 275.0),             # DeepLesion, per CADLab README
    "github:AIResearcher188/Musculoskeletal_Datasets": (-300.0, 1300.0),  # bone window (estimated)
    "Kitware/vtk-js": (-20.0, 400.0),                        # LIDC2 sample, mediastinal-like (estimated)
    "github:OpenGVLab/SAM-Med2D": (-2000.0, 1450.0),         # SA-Med2D normalised (estimated)
    "github:neurolabusc/dcm_qa_ct": (-1000.0, 1000.0),       # dose screen capture (OTHER)
}


def ct_window_for(row: dict, vmin: float, vmax: float):
    """The 8-bit window of a CT series, or None when the series holds HU."""
    eight = "8-bit" in row["notes"] or "NOT HU" in row["notes"]
    if not eight:
        return None
    return EIGHT_BIT_CT_WINDOWS.get(row["source"], (-1000.0, 1000.0))


# 8-bit cache encoding (keeps the cache small enough to travel to a GPU machine).
# CT: a companding table, 4 HU steps in -224..376 (soft tissue), 16 HU below, ~49 HU above.
CT_CODE_HU = np.concatenate([np.linspace(-1024, -224, 51)[:-1], np.arange(-224, 376, 4),
                             np.linspace(376, 3071, 56)]).astype(np.float32)
assert CT_CODE_HU.size == 256


def encode(frame: np.ndarray, is_ct: bool) -> tuple[np.ndarray, float, float]:
    """frame (float32 modality values) -> uint8 codes, lo, hi (lo/hi used for non-CT only)."""
    if is_ct:
        mid = (CT_CODE_HU[1:] + CT_CODE_HU[:-1]) / 2
        return np.searchsorted(mid, frame).astype(np.uint8), 0.0, 0.0
    lo, hi = float(frame.min()), float(frame.max())
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    return np.round((frame - lo) * scale).astype(np.uint8), lo, hi


def decode(codes: np.ndarray, is_ct: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Batch inverse of encode: codes [B, H, W] uint8 -> float32 modality values."""
    ct = CT_CODE_HU[codes]
    mr = lo[:, None, None] + codes.astype(np.float32) * ((hi - lo) / 255.0)[:, None, None]
    return np.where(is_ct[:, None, None], ct, mr).astype(np.float32)


def read_labels(path: str) -> dict[str, list[tuple[int, int, int]]]:
    out: dict[str, list[tuple[int, int, int]]] = {}
    for r in csv.DictReader(open(path)):
        out.setdefault(r["id"], []).append((int(r["first"]), int(r["last"]), LABELS.index(r["label"])))
    return out


def build(size: int, out_path: str, limit: int | None = None) -> None:
    import nibabel as nib  # lazily: the GPU machine has no nibabel and needs only the codes tables
    t0 = time.time()
    images, meta = [], {k: [] for k in ("label", "subject", "source", "modality", "split", "series",
                                         "slice", "orientation", "kind", "eight_bit", "rows", "cols", "lo", "hi")}
    for mod in ("ct", "mr"):
        series = list(csv.DictReader(open(os.path.join(DATA, mod, "series.csv"))))
        labels = read_labels(os.path.join(DATA, mod, "labels.csv"))
        if limit:
            series = series[:limit]
        for row in series:
            vol = np.asanyarray(nib.load(os.path.join(DATA, mod, "volumes", row["id"] + ".nii.gz")).dataobj)
            if vol.ndim == 2:
                vol = vol[:, :, None]
            vol = vol.reshape(vol.shape[0], vol.shape[1], -1)
            window = ct_window_for(row, float(vol.min()), float(vol.max())) if mod == "ct" else None
            for first, last, lab in labels[row["id"]]:
                for k in range(first, last + 1):
                    frame = vol[:, :, k].T.astype(np.float32)  # DICOM display frame
                    if window is not None:
                        lo, hi = window
                        frame = lo + frame * np.float32((hi - lo) / 255.0)
                    codes, lo_v, hi_v = encode(square_resized(frame, size), mod == "ct")
                    images.append(codes)
                    meta["lo"].append(lo_v)
                    meta["hi"].append(hi_v)
                    meta["label"].append(lab)
                    meta["subject"].append(mod + ":" + row["subject"])
                    meta["source"].append(row["source"])
                    meta["modality"].append(row["modality"])
                    meta["split"].append(row["split"])
                    meta["series"].append(row["id"])
                    meta["slice"].append(k)
                    meta["orientation"].append(row["orientation"])
                    meta["kind"].append(row["kind"])
                    meta["eight_bit"].append(window is not None)
                    meta["rows"].append(frame.shape[0])
                    meta["cols"].append(frame.shape[1])
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    np.savez_compressed(out_path, images=np.stack(images), **{k: np.array(v) for k, v in meta.items()})
    print(f"cache: {len(images)} slices at {size}px -> {out_path} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--out", default=None)
    ap.add_argument("--limit", type=int, default=None, help="series per modality (smoke tests)")
    a = ap.parse_args()
    build(a.size, a.out or os.path.join(HERE, "cache", f"slices_{a.size}.npz"), a.limit)
