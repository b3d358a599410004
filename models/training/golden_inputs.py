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


def golden_model_inputs(size: int) -> np.ndarray:
    out = []
    for mod, series, k in GOLDEN_SLICES:
        f = frame(mod, series, k)
        out.append(preprocess_frame(f, "CT" if mod == "ct" else "MR", size))
    return np.stack(out).astype(np.float32)
