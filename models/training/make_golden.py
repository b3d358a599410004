"""Write models/golden/preprocess.json: frames and their expected br-pre-1 / br-pre-2 tensors (preprocess.py),
which the TypeScript engine's tests must reproduce within 1e-3 per value.

Usage: /usr/bin/python3 models/training/make_golden.py [--out models/golden/preprocess.json]
"""
from __future__ import annotations

import argparse
import base64
import json
import os

import numpy as np

from golden_inputs import DATA, frame
from preprocess import preprocess_frame

HERE = os.path.dirname(os.path.abspath(__file__))


def body_like(rows: int, cols: int, rng: np.random.RandomState, lo: float, hi: float) -> np.ndarray:
    """An ellipse of 'tissue' with a bright ring and noise on a dark background (keeps the
    percentiles and the three CT windows all exercised)."""
    yy, xx = np.mgrid[0:rows, 0:cols]
    r = ((yy - rows / 2) / (rows * 0.4)) ** 2 + ((xx - cols / 2) / (cols * 0.4)) ** 2
    img = np.where(r < 1, lo + 0.35 * (hi - lo), lo) + np.where((r > 0.7) & (r < 1), 0.5 * (hi - lo), 0)
    img = img + rng.normal(0, 0.03 * (hi - lo), size=(rows, cols)) * (r < 1)
    return img


def case(name, modality, stored, size, slope=1.0, intercept=0.0, photometric="MONOCHROME2", version="br-pre-1",
         pixel_spacing=None):
    dtype = {np.dtype("int16"): "int16", np.dtype("uint16"): "uint16", np.dtype("uint8"): "uint8"}[stored.dtype]
    expected = preprocess_frame(stored, modality, size, slope, intercept, photometric, version, pixel_spacing)
    return {"name": name, "preprocessing": version,
            "pixelSpacing": None if pixel_spacing is None else [float(v) for v in pixel_spacing],
            "modality": modality, "rows": int(stored.shape[0]), "columns": int(stored.shape[1]),
            "rescaleSlope": float(slope), "rescaleIntercept": float(intercept),
            "photometricInterpretation": photometric, "dtype": dtype,
            "pixels": base64.b64encode(stored.astype(stored.dtype.newbyteorder("<")).tobytes()).decode(),
            "size": int(size),
            "expected": base64.b64encode(expected.astype("<f4").tobytes()).decode()}


def cases() -> list[dict]:
    rng = np.random.RandomState(7)
    out = []
    ct = np.clip(body_like(64, 64, rng, -1024, 1400), -1024, 3071).astype(np.int16)
    out.append(case("ct_int16_square_64", "CT", ct, 32))
    ct = np.clip(body_like(200, 300, rng, 0, 2400), 0, 4095).astype(np.uint16)
    out.append(case("ct_uint16_slope_intercept_200x300", "CT", ct, 48, 1.0, -1024.0))
    ct = np.clip(body_like(90, 60, rng, -1000, 1000) / 2.5, -2000, 2000).astype(np.int16)
    out.append(case("ct_int16_fractional_slope_90x60", "CT", ct, 40, 2.5, -10.0))
    ct = np.clip(body_like(24, 16, rng, -1024, 1000), -1024, 3071).astype(np.int16)
    out.append(case("ct_upsampled_24x16_to_40", "CT", ct, 40))
    ct = np.clip(body_like(64, 48, rng, -1024, 1000), -1024, 3071).astype(np.int16)
    out.append(case("ct_monochrome1_unchanged_64x48", "CT", ct, 32, photometric="MONOCHROME1"))
    mr = np.clip(body_like(300, 200, rng, 0, 255), 0, 255).astype(np.uint8)
    out.append(case("mr_uint8_slope_intercept_300x200", "MR", mr, 48, 2.0, 5.0))
    mr = np.clip(body_like(60, 90, rng, 20, 900), 0, 4095).astype(np.int16)
    out.append(case("mr_int16_60x90", "MR", mr, 48))
    mr = np.clip(body_like(64, 80, rng, 10, 2000), 0, 4095).astype(np.int16)
    out.append(case("mr_monochrome1_64x80", "MR", mr, 32, photometric="MONOCHROME1"))
    mr = np.clip(body_like(90, 120, rng, 0, 3000), 0, 65535).astype(np.uint16)
    out.append(case("mr_uint16_90x120", "MR", mr, 32))
    out.append(case("mr_flat_zero_output", "MR", np.full((50, 70), 321, np.int16), 32))
    # a real CT slice from a shared NIfTI volume (DICOM frame = volume[:, :, k].T; this is the
    # slice of ct/dicom/elastix_chest/*slice070.dcm, resampled to 192 px), at a model input size
    out.append(case("real_ct_nifti_elastix_chest_slice70", "CT", frame("ct", "elastix_chest", 70).astype(np.int16), 128))
    # br-pre-2: physical grid of 3.5 mm pixels around the frame centre
    ct = np.clip(body_like(200, 300, rng, -1024, 1400), -1024, 3071).astype(np.int16)
    out.append(case("pre2_ct_200x300_0.8mm_cropped", "CT", ct, 128, version="br-pre-2", pixel_spacing=(0.8, 0.8)))
    ct = np.clip(body_like(64, 48, rng, 0, 2400), 0, 4095).astype(np.uint16)
    out.append(case("pre2_ct_small_fov_64x48_1.1x0.9mm_padded", "CT", ct, 64, 1.0, -1024.0, version="br-pre-2",
                    pixel_spacing=(1.1, 0.9)))
    mr = np.clip(body_like(90, 120, rng, 20, 900), 0, 4095).astype(np.int16)
    out.append(case("pre2_mr_90x120_anisotropic_2.5x1.7mm", "MR", mr, 48, version="br-pre-2", pixel_spacing=(2.5, 1.7)))
    mr = np.clip(body_like(64, 80, rng, 10, 2000), 0, 4095).astype(np.int16)
    out.append(case("pre2_mr_monochrome1_64x80_4.2mm_upsampled", "MR", mr, 32, photometric="MONOCHROME1",
                    version="br-pre-2", pixel_spacing=(4.2, 4.2)))
    mr = np.clip(body_like(60, 90, rng, 20, 900), 0, 4095).astype(np.int16)
    out.append(case("pre2_mr_unknown_spacing_falls_back_60x90", "MR", mr, 48, version="br-pre-2", pixel_spacing=None))
    out.append(case("pre2_real_ct_elastix_chest_slice70", "CT", frame("ct", "elastix_chest", 70).astype(np.int16), 128,
                    version="br-pre-2", pixel_spacing=(2.6042, 2.6042)))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "golden", "preprocess.json"))
    a = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    cs = cases()
    json.dump(cs, open(a.out, "w"))
    print(f"{len(cs)} cases -> {a.out} ({os.path.getsize(a.out) / 1e3:.0f} kB)")
