"""Preprocessing spec br-pre-1 (models/PREPROCESSING.md), the training side.

The engine (extension/src/engine/preprocess/) implements the same steps in TypeScript; the
golden files written by make_golden.py keep the two in agreement.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

PREPROCESSING_ID = "br-pre-1"
CT_WINDOWS = ((-1000.0, 1000.0), (-160.0, 240.0), (0.0, 1500.0))


def modality_values(stored: np.ndarray, modality: str, slope: float = 1.0, intercept: float = 0.0,
                    photometric: str = "MONOCHROME2") -> np.ndarray:
    """Steps 1-2: modality LUT in float32, then inversion of MONOCHROME1 for non-CT."""
    m = stored.astype(np.float32) * np.float32(slope) + np.float32(intercept)
    if modality != "CT" and photometric == "MONOCHROME1":
        m = -m
    return m


def pad_square(m: np.ndarray) -> np.ndarray:
    """Step 3: centre the frame in an N x N canvas filled with the frame minimum."""
    rows, cols = m.shape
    n = max(rows, cols)
    if rows == cols:
        return m
    canvas = np.full((n, n), m.min(), dtype=np.float32)
    top, left = (n - rows) // 2, (n - cols) // 2
    canvas[top:top + rows, left:left + cols] = m
    return canvas


def resize(canvas: np.ndarray, size: int) -> np.ndarray:
    """Step 4: bilinear, half-pixel centres, no anti-aliasing (PyTorch align_corners=False)."""
    t = torch.from_numpy(np.ascontiguousarray(canvas, dtype=np.float32))[None, None]
    return F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)[0, 0].numpy()


def square_resized(m: np.ndarray, size: int) -> np.ndarray:
    """Steps 3-4 on modality values."""
    return resize(pad_square(m), size)


def ct_channels(r: np.ndarray) -> np.ndarray:
    """Step 5, CT: three HU windows clipped to [0, 1]."""
    out = np.empty((3,) + r.shape, dtype=np.float32)
    for i, (lo, hi) in enumerate(CT_WINDOWS):
        out[i] = np.clip((r - np.float32(lo)) / np.float32(hi - lo), 0.0, 1.0)
    return out


def percentile_lo_hi(r: np.ndarray) -> tuple[np.float32, np.float32]:
    v = np.sort(r.reshape(-1))
    n = v.size
    return v[int(np.floor(0.01 * (n - 1)))], v[int(np.floor(0.99 * (n - 1)))]


def other_channels(r: np.ndarray) -> np.ndarray:
    """Step 5, non-CT: robust 1st/99th percentile normalisation, same values in all channels."""
    lo, hi = percentile_lo_hi(r)
    if hi <= lo:
        c = np.zeros_like(r, dtype=np.float32)
    else:
        c = np.clip((r - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)
    return np.stack([c, c, c])


def channels(r: np.ndarray, modality: str) -> np.ndarray:
    return ct_channels(r) if modality == "CT" else other_channels(r)


def preprocess_frame(stored: np.ndarray, modality: str, size: int, slope: float = 1.0,
                     intercept: float = 0.0, photometric: str = "MONOCHROME2") -> np.ndarray:
    """The whole spec for one frame: returns float32 [3, size, size]."""
    m = modality_values(stored, modality, slope, intercept, photometric)
    return channels(square_resized(m, size), modality)


# ---- batched torch versions of step 5, used in training on already resized (augmented) images ----

def ct_channels_torch(r: torch.Tensor) -> torch.Tensor:
    """r: [B, 1, S, S] HU -> [B, 3, S, S]."""
    return torch.cat([((r - lo) / (hi - lo)).clamp(0, 1) for lo, hi in CT_WINDOWS], dim=1)


def other_channels_torch(r: torch.Tensor) -> torch.Tensor:
    """r: [B, 1, S, S] -> [B, 3, S, S] with the spec's per-image 1/99 percentiles."""
    b = r.shape[0]
    v, _ = r.reshape(b, -1).sort(dim=1)
    n = v.shape[1]
    lo = v[:, int(np.floor(0.01 * (n - 1)))].view(b, 1, 1, 1)
    hi = v[:, int(np.floor(0.99 * (n - 1)))].view(b, 1, 1, 1)
    ok = hi > lo
    c = ((r - lo) / torch.where(ok, hi - lo, torch.ones_like(hi))).clamp(0, 1)
    c = torch.where(ok, c, torch.zeros_like(c))
    return c.expand(-1, 3, -1, -1)


def channels_torch(r: torch.Tensor, is_ct: torch.Tensor) -> torch.Tensor:
    """Mixed batch: is_ct [B] bool."""
    out = other_channels_torch(r).clone()
    if bool(is_ct.any()):
        out[is_ct] = ct_channels_torch(r[is_ct])
    return out
