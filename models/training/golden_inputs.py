"""Real slices from the shared volumes, preprocessed exactly by the spec (no cache encoding): the
inputs of golden/model-outputs.json."""
from __future__ import annotations

import os

import nibabel as nib
import numpy as np

from preprocess import preprocess_frame

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data")

# (modality folder, series id, slice index): a chest CT and a head MR (two keep the file small)
GOLDEN_SLICES = [("ct", "elastix_chest", 70), ("mr", "r4_forrest-t1", 20)]


def frame(mod: str, series: str, k: int) -> np.ndarray:
    """Slice k of a shared NIfTI volume as the DICOM display frame (int16)."""
    vol = np.asanyarray(nib.load(os.path.join(DATA, mod, "volumes", series + ".nii.gz")).dataobj)
    return np.ascontiguousarray(vol.reshape(vol.shape[0], vol.shape[1], -1)[:, :, k].T)


def pixel_spacing(mod: str, series: str):
    """(row, column) mm of a shared series, or None when the source gave none."""
    import csv
    for r in csv.DictReader(open(os.path.join(DATA, mod, "series.csv"))):
        if r["id"] == series and r["row_mm"] and r["col_mm"]:
            return float(r["row_mm"]), float(r["col_mm"])
    return None


def golden_model_inputs(size: int, version: str = "br-pre-2") -> np.ndarray:
    out = []
    for mod, series, k in GOLDEN_SLICES:
        f = frame(mod, series, k)
        out.append(preprocess_frame(f, "CT" if mod == "ct" else "MR", size, version=version,
                                    pixel_spacing=pixel_spacing(mod, series)))
    return np.stack(out).astype(np.float32)
