"""Renders from the ICRP 110 voxel phantoms (../shared/data/phantoms).

`--contrast ct` (default): CT-like limb renders, for the classes with little or no real data (arm
segments and joints, ankle, foot; single-limb leg fields of view).
`--contrast mr`: MR-like renders of every region in the spirit of SynthSeg: each image draws one MR
contrast family (T1, T2, PD, fat-suppressed, post-contrast) and then a separate random intensity
for every organ label, so that the net learns anatomy (shape, layout, size) rather than one fixed
tissue ordering; trunk regions get a body-sized field of view, limbs a one-limb one (sometimes both
legs), as the scans are made.

Each render: one region slab of REGIONS.md (regions_*.csv `region_suggestion` rows), one side, a
random tissue->HU table, sub-voxel texture noise, a dedicated limb field of view (the other limbs and
the trunk removed for arm segments, one leg kept for leg classes), axial or coronal/sagittal reformat,
resampled to the cache size with partial-volume (trilinear) interpolation. Training adds CT noise,
blur, windows and the CT->pseudo-MR map on top. Written in the slice-cache format (build_cache.py).

Usage: /usr/bin/python3 models/training/render_phantoms.py [--per-slice 3] [--out models/training/cache/phantom_128.npz]
"""
from __future__ import annotations

import argparse
import csv
import os

import numpy as np
from scipy import ndimage

from build_cache import DATA, LABELS, encode

PH = os.path.join(DATA, "phantoms")
ARM_IDS = [11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 59, 104, 108, 118, 124]
BONES = {
    "SHOULDER": [13, 14, 15], "UPPER_ARM": [13, 14, 15, 16, 17, 18], "ELBOW": [16, 17, 18, 19, 20, 21],
    "FOREARM": [19, 20, 21], "WRIST": [19, 20, 21, 22, 23], "HAND": [22, 23], "HIP": [28, 29, 30],
    "THIGH": [28, 29, 30, 31, 32, 33], "KNEE": [31, 32, 33, 34, 35, 36], "LOWER_LEG": [34, 35, 36],
    "ANKLE": [34, 35, 36, 37, 38], "FOOT": [37, 38],
}
FOV_MM = {"SHOULDER": (160, 240), "UPPER_ARM": (100, 180), "ELBOW": (100, 170), "FOREARM": (90, 160),
          "WRIST": (80, 140), "HAND": (90, 170), "HIP": (170, 260), "THIGH": (150, 260), "KNEE": (120, 190),
          "LOWER_LEG": (120, 200), "ANKLE": (110, 180), "FOOT": (130, 220)}
FOV_MM_TRUNK = {"HEAD": (180, 260), "NECK": (180, 300), "CHEST": (300, 480), "ABDOMEN": (300, 480),
                "PELVIS": (300, 480)}
ARM_CLASSES = {"UPPER_ARM", "ELBOW", "FOREARM", "WRIST", "HAND"}
LEG_CLASSES = {"THIGH", "KNEE", "LOWER_LEG", "ANKLE", "FOOT"}
HU_RANGES = {"air": (-1000, -1000), "lung": (-850, -750), "adipose": (-120, -80), "marrow_fatty": (-100, 0),
             "soft_tissue": (20, 60), "skin": (20, 60), "blood": (30, 50), "gi_contents": (0, 40),
             "urine": (0, 15), "cartilage": (80, 120), "spongiosa": (200, 400), "cortical_bone": (700, 1500),
             "teeth": (1500, 3000)}


def tissue_classes() -> list[str]:
    cls = ["air"] * 142
    for r in csv.DictReader(open(os.path.join(PH, "organs.csv"))):
        cls[int(r["organ_id"])] = r["tissue_class"]
    return cls


def hu_table(rng: np.random.RandomState, cls: list[str]) -> np.ndarray:
    """Per image: one draw per tissue class plus a little per-organ jitter."""
    per_class = {c: rng.uniform(*r) for c, r in HU_RANGES.items()}
    t = np.array([per_class[c] + (rng.normal(0, 8) if c not in ("air", "cortical_bone") else 0) for c in cls], np.float32)
    t[0] = -1000
    return t


# MR contrast families: per tissue class, the range of the class mean (0..1); organs then jitter around it
MR_FAMILIES = {
    "T1": {"adipose": (0.75, 1.0), "marrow_fatty": (0.7, 1.0), "spongiosa": (0.5, 0.8), "soft_tissue": (0.25, 0.5),
           "skin": (0.3, 0.5), "blood": (0.05, 0.5), "gi_contents": (0.1, 0.6), "urine": (0.05, 0.2),
           "cartilage": (0.3, 0.5), "lung": (0.0, 0.08)},
    "T2": {"adipose": (0.55, 0.9), "marrow_fatty": (0.5, 0.85), "spongiosa": (0.35, 0.65), "soft_tissue": (0.15, 0.5),
           "skin": (0.2, 0.45), "blood": (0.05, 0.9), "gi_contents": (0.2, 1.0), "urine": (0.8, 1.0),
           "cartilage": (0.35, 0.7), "lung": (0.0, 0.08)},
    "PD": {"adipose": (0.65, 0.95), "marrow_fatty": (0.6, 0.9), "spongiosa": (0.45, 0.7), "soft_tissue": (0.35, 0.6),
           "skin": (0.4, 0.6), "blood": (0.1, 0.7), "gi_contents": (0.3, 0.8), "urine": (0.5, 0.9),
           "cartilage": (0.45, 0.75), "lung": (0.0, 0.1)},
    "FS": {"adipose": (0.02, 0.2), "marrow_fatty": (0.02, 0.2), "spongiosa": (0.05, 0.25), "soft_tissue": (0.15, 0.45),
           "skin": (0.2, 0.5), "blood": (0.1, 0.9), "gi_contents": (0.2, 1.0), "urine": (0.6, 1.0),
           "cartilage": (0.3, 0.7), "lung": (0.0, 0.08)},
    "T1C": {"adipose": (0.02, 0.25), "marrow_fatty": (0.05, 0.3), "spongiosa": (0.1, 0.35), "soft_tissue": (0.25, 0.6),
            "skin": (0.3, 0.6), "blood": (0.6, 1.0), "gi_contents": (0.1, 0.5), "urine": (0.05, 0.8),
            "cartilage": (0.2, 0.45), "lung": (0.0, 0.08)},
}


def mr_table(rng: np.random.RandomState, cls: list[str]) -> np.ndarray:
    """Per image: a contrast family, a class mean per tissue class, and an independent jitter per organ."""
    fam = MR_FAMILIES[list(MR_FAMILIES)[rng.randint(len(MR_FAMILIES))]]
    per_class = {c: rng.uniform(*r) for c, r in fam.items()}
    t = np.zeros(len(cls), np.float32)
    for i, c in enumerate(cls):
        if c in per_class:
            t[i] = np.clip(per_class[c] + rng.normal(0, 0.08), 0, 1)
        elif c in ("cortical_bone", "teeth"):
            t[i] = rng.uniform(0, 0.06)
    t[0] = 0.0
    return t * 1000


def render(ph: str, label: str, side: str, z0: int, z1: int, n: int, size: int, rng,
           contrast: str = "ct", two_legs_ct: float = 0.0) -> list[tuple[np.ndarray, str, int, float]]:
    d = np.load(os.path.join(PH, f"icrp110_{ph.lower()}.npz"))
    organ, (dz, dy, dx) = d["organ"], d["spacing_mm"]
    cls = tissue_classes()
    nz, ny, nx = organ.shape
    body_x = np.nonzero(organ.any(axis=(0, 1)))[0]
    mid_x = (body_x.min() + body_x.max()) / 2
    xs = np.arange(nx)[None, None, :]
    keep = np.ones_like(organ, dtype=bool)
    side_mask = (xs < mid_x) if side == "R" else (xs >= mid_x)   # x = 0 is the patient's right
    if label in ARM_CLASSES:
        keep = np.isin(organ, ARM_IDS) & side_mask
    elif label in LEG_CLASSES:
        keep = np.broadcast_to(side_mask, organ.shape)
    two_legs = label in LEG_CLASSES and contrast == "mr" and rng.rand() < 0.3
    # CT legs are often both legs, small, in a whole-body scanner's large reconstruction field
    wide_ct = label in LEG_CLASSES and contrast == "ct" and two_legs_ct > 0 and rng.rand() < two_legs_ct
    two_legs = two_legs or wide_ct
    if two_legs:
        keep = np.ones_like(organ, dtype=bool)
    org = np.where(keep, organ, 0)
    bones = np.isin(org, BONES[label]) if label in BONES else (org > 0)
    out = []
    for _ in range(n):
        z = rng.randint(z0, z1 + 1)
        sl = bones[z] if bones[z].any() else (org[z] > 0)
        if not sl.any():
            continue
        cy, cx = [float(v.mean()) for v in np.nonzero(sl)]
        fov = rng.uniform(*(FOV_MM.get(label) or FOV_MM_TRUNK[label])) * (1.8 if two_legs else 1.0)
        if wide_ct:
            fov *= rng.uniform(1.0, 2.0)
        if two_legs:   # centre between the legs
            cx = float(np.nonzero(org[z] > 0)[1].mean())
        # HU only in the box the field of view can reach (the whole volume is slow)
        rz, ry, rx = int(0.8 * fov / dz) + 2, int(0.8 * fov / dy) + 2, int(0.8 * fov / dx) + 2
        bz0, by0, bx0 = max(z - rz, 0), max(int(cy) - ry, 0), max(int(cx) - rx, 0)
        sub = org[bz0:z + rz + 1, by0:int(cy) + ry + 1, bx0:int(cx) + rx + 1]
        if contrast == "mr":
            hu = mr_table(rng, cls)[sub]
            hu = hu + rng.normal(0, rng.uniform(5, 40), hu.shape).astype(np.float32) * (sub > 0)
        else:
            hu = hu_table(rng, cls)[sub]
            hu = hu + rng.normal(0, rng.uniform(5, 25), hu.shape).astype(np.float32) * (sub > 0)
        cy += rng.uniform(-0.1, 0.1) * fov / dy
        cx += rng.uniform(-0.1, 0.1) * fov / dx
        ang = rng.uniform(-np.pi / 12, np.pi / 12)
        u = (np.arange(size) + 0.5) / size - 0.5                      # -0.5..0.5 across the FOV
        vv, uu = np.meshgrid(u, u, indexing="ij")                    # rows (down), columns (right)
        ori = "axial" if (rng.rand() < 0.6 or label in ("HIP", "THIGH")) else ("coronal" if rng.rand() < 0.5 else "sagittal")
        ca, sa = np.cos(ang), np.sin(ang)
        r_mm, c_mm = (ca * vv - sa * uu) * fov, (sa * vv + ca * uu) * fov
        if ori == "axial":   # rows anterior->posterior (y), columns patient right->left (x)
            coords = [np.full_like(r_mm, z), cy + r_mm / dy, cx + c_mm / dx]
        elif ori == "coronal":  # rows superior->inferior, columns right->left
            coords = [z - r_mm / dz, np.full_like(r_mm, cy), cx + c_mm / dx]
        else:  # sagittal: rows superior->inferior, columns anterior->posterior
            coords = [z - r_mm / dz, cy + c_mm / dy, np.full_like(r_mm, cx)]
        coords = [coords[0] - bz0, coords[1] - by0, coords[2] - bx0]
        img = ndimage.map_coordinates(hu, coords, order=1, mode="constant", cval=0.0 if contrast == "mr" else -1000.0)
        img = ndimage.gaussian_filter(img, rng.uniform(0.3, 1.2))
        out.append((img.astype(np.float32), ori, int(z), float(fov)))
    return out


def ct_cache_name(size: int, two_legs_ct: float = 0.0) -> str:
    """The CT render cache's file name, derived from the options it was made with, so that a cache
    made with one share of two-leg renders is never read as another."""
    return f"phantom_{size}.npz" if not two_legs_ct else f"phantom_{size}_twolegs{round(two_legs_ct * 100)}.npz"


def main(per_slice: int, size: int, out_path: str, seed: int = 0, contrast: str = "ct", two_legs_ct: float = 0.0) -> None:
    rng = np.random.RandomState(seed)
    images, meta = [], {k: [] for k in ("label", "subject", "source", "modality", "split", "series", "slice",
                                         "orientation", "kind", "eight_bit", "rows", "cols", "lo", "hi", "fov_mm")}
    for ph in ("AM", "AF"):
        for r in csv.DictReader(open(os.path.join(PH, f"regions_{ph.lower()}.csv"))):
            if r["kind"] != "region_suggestion":
                continue
            limb = r["name"] in BONES and r["side"] in ("R", "L")
            trunk = contrast == "mr" and r["name"] in FOV_MM_TRUNK and r["side"] == "-"
            if not (limb or trunk):
                continue
            z0, z1 = int(r["z_first"]), int(r["z_last"])
            n = per_slice * (z1 - z0 + 1)
            n = int(np.clip(n, 24, 60))
            for img, ori, z, fov in render(ph, r["name"], r["side"], z0, z1, n, size, rng, contrast, two_legs_ct):
                codes, lo, hi = encode(img, contrast == "ct")
                images.append(codes)
                for k, v in (("label", LABELS.index(r["name"])), ("subject", "phantom:" + ph), ("source", "phantom-render"),
                             ("modality", "CT" if contrast == "ct" else "MR"), ("split", "train"), ("series", (f"phantom_{ph}_" if contrast == "ct" else f"phantom_mr_{ph}_") + f"{r['name']}_{r['side']}"),
                             ("slice", z), ("orientation", ori), ("kind", "render"), ("eight_bit", False),
                             ("rows", size), ("cols", size), ("lo", lo), ("hi", hi), ("fov_mm", fov)):
                    meta[k].append(v)
            print(ph, r["name"], r["side"], "done", len(images), flush=True)
    np.savez_compressed(out_path, images=np.stack(images), **{k: np.array(v) for k, v in meta.items()})
    print(f"{len(images)} renders -> {out_path}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-slice", type=int, default=3)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--contrast", choices=("ct", "mr"), default="ct")
    ap.add_argument("--out", default=None,
                    help="default: cache/phantom_128.npz (ct; phantom_128_twolegs40.npz with --two-legs-ct 0.4), cache/phantom_mr_128.npz (mr)")
    ap.add_argument("--two-legs-ct", type=float, default=0.0,
                    help="share of CT leg renders with both legs in a large field of view (round 5 candidate L1: 0.4)")
    a = ap.parse_args()
    name = ct_cache_name(a.size, a.two_legs_ct) if a.contrast == "ct" else f"phantom_mr_{a.size}.npz"
    out = a.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache", name)
    main(a.per_slice, a.size, out, seed=0 if a.contrast == "ct" else 1, contrast=a.contrast, two_legs_ct=a.two_legs_ct)
