"""Preprocessing specs br-pre-1 and br-pre-2 (models/PREPROCESSING.md), the training side.

The engine (extension/src/engine/preprocess/) implements the same steps in TypeScript; the
golden files written by make_golden.py keep the two in agreement.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

PREPROCESSING_ID = "br-pre-2"
PREPROCESSING_IDS = ("br-pre-1", "br-pre-2")
# br-pre-2: every output pixel is MM_PER_PIXEL mm wide (128 px = 448 mm), centred on the frame's centre.
MM_PER_PIXEL = 3.5
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


def spacing_known(pixel_spacing) -> bool:
    """br-pre-2 uses the physical grid only with two finite, positive spacings."""
    if pixel_spacing is None or len(pixel_spacing) != 2:
        return False
    return all(np.isfinite(v) and v > 0 for v in pixel_spacing)


def physical_resample(m: np.ndarray, size: int, pixel_spacing, mm_per_pixel: float = MM_PER_PIXEL) -> np.ndarray:
    """br-pre-2 step 3: bilinear samples of the frame on a size x size grid of mm_per_pixel mm,
    centred on the frame centre; samples outside the frame take the frame minimum."""
    rows, cols = m.shape
    dr, dc = float(pixel_spacing[0]), float(pixel_spacing[1])
    fill = np.float32(m.min())
    off = (np.arange(size, dtype=np.float64) + 0.5 - size / 2) * mm_per_pixel
    sy = (rows - 1) / 2 + off / dr
    sx = (cols - 1) / 2 + off / dc

    def taps(s, n):
        i0 = np.floor(s).astype(np.int64)
        w1 = (s - i0).astype(np.float32)
        idx = np.stack([i0, i0 + 1])
        weights = np.stack([1 - w1, w1])
        inside = (idx >= 0) & (idx < n)
        return np.clip(idx, 0, n - 1), weights, inside

    iy, wy, iny = taps(sy, rows)
    ix, wx, inx = taps(sx, cols)
    out = np.zeros((size, size), np.float32)
    for a in range(2):
        for b in range(2):
            v = m[iy[a][:, None], ix[b][None, :]]
            v = np.where(iny[a][:, None] & inx[b][None, :], v, fill)
            out += (wy[a][:, None] * wx[b][None, :]) * v
    return out


def view(m: np.ndarray, size: int, version: str = PREPROCESSING_ID, pixel_spacing=None) -> np.ndarray:
    """Steps 3-4 of either version: the size x size view of modality values."""
    if version == "br-pre-2" and spacing_known(pixel_spacing):
        return physical_resample(m, size, pixel_spacing)
    if version not in PREPROCESSING_IDS:
        raise ValueError(f"unknown preprocessing version {version}")
    return square_resized(m, size)


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
                     intercept: float = 0.0, photometric: str = "MONOCHROME2", version: str = "br-pre-1",
                     pixel_spacing=None) -> np.ndarray:
    """The whole spec for one frame: returns float32 [3, size, size]. pixel_spacing = (row, column) mm."""
    m = modality_values(stored, modality, slope, intercept, photometric)
    return channels(view(m, size, version, pixel_spacing), modality)


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
